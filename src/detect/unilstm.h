#ifndef DETECT_UNILSTM_H
#define DETECT_UNILSTM_H
/*
 * A small LSTM that learns a univariate series online (one Adam step on the
 * newest window every few samples) and predicts the next value; its error is
 * the model component of the univariate detector. The struct owns its model
 * and buffers.
 */
#include <stdint.h>

struct unilstm;

struct unilstm *unilstm_new(uint64_t seed);
void unilstm_free(struct unilstm *u);
/*
 * v: the new value on a normalised scale (finite). Returns the absolute
 * error of the prediction made for it from the values before, or NaN while
 * the window fills; then learns from it.
 */
double unilstm_step(struct unilstm *u, double v);

#endif

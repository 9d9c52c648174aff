#ifndef DETECT_LSTM_FAST_H
#define DETECT_LSTM_FAST_H
/*
 * Batched float32 inference for a trained LSTM: many windows at once, the
 * batch cut into tiles that stay in cache, each time step one small matrix
 * product per layer (AVX2+FMA when the CPU has them, portable C otherwise)
 * fused with the gate nonlinearities. struct lstm_fast owns its copy of the
 * weights (lstm_fast_release frees them); it does not keep the model.
 */
#include <stddef.h>
#include "detect/lstm.h"

struct lstm_fast {
	struct lstm_shape sh;
	float *wt[LSTM_MAX_LAYERS];     /* K x 4H, transposed, K = in + H */
	float *b[LSTM_MAX_LAYERS];      /* 4H */
	float *wy, *by;                 /* nout x H, nout */
	int simd;                       /* 1 when the AVX2+FMA path is used */
};

void lstm_fast_init(struct lstm_fast *f, const struct lstm *m);
void lstm_fast_release(struct lstm_fast *f);
/* Disables the SIMD path (for tests that compare both). */
void lstm_fast_portable(struct lstm_fast *f);
/*
 * x: B windows of T x nin floats (already normalised, no NaN), row-major;
 * out: B x nout predictions. T <= window.
 */
void lstm_fast_run(const struct lstm_fast *f, const float *x, size_t B, int T,
		   float *out);
/* Multiply-add FLOPs of one window (2 per multiply-add, matrix products only). */
double lstm_fast_flops(const struct lstm_shape *sh, int T);

#endif

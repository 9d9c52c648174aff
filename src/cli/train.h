#ifndef CLI_TRAIN_H
#define CLI_TRAIN_H
/*
 * Pieces of `kubemend train` that `eval multi` reuses. Arguments are
 * borrowed; *xout is malloc'd for the caller.
 */
#include <stddef.h>
#include "detect/features.h"
#include "detect/lstm.h"
#include "detect/lstm_train.h"
#include "detect/model_config.h"

/* Learns m's normalisation from rows and writes the normalised model inputs
 * (nrows x nin, NaN = missing) to *xout. */
int train_prepare(const struct model_config *cfg, const struct features *rows,
		  size_t nrows, struct lstm *m, double **xout);
/* The loss curve as SVG (log scale). */
int train_loss_svg(const char *path, const struct lstm_epoch *log, size_t n);

#endif

#ifndef DETECT_LSTM_TRAIN_H
#define DETECT_LSTM_TRAIN_H
/*
 * Training an LSTM (detect/lstm.h) to predict the next step: minibatch BPTT,
 * Adam, global-norm gradient clipping, early stopping on a held-back split
 * (the last val_frac of every sequence, in time order). Deterministic for a
 * given seed. The data are borrowed from the caller for the call only.
 */
#include <stddef.h>
#include <stdint.h>
#include "detect/lstm.h"

/* Rows of normalised features; sequences are runs of consecutive rows. */
struct lstm_data {
	size_t nrows;
	int nin;
	const double *x;                /* nrows x nin; NaN = missing */
	const size_t *seq_start;        /* nseq + 1 boundaries, last = nrows */
	size_t nseq;
};

struct lstm_epoch {
	int epoch;
	double train_loss, val_loss;
	int best;                       /* this epoch's parameters were kept */
};

struct lstm_train_opts {
	int epochs, batch, patience;
	double lr, clip, val_frac;
	size_t stride;                  /* take every stride-th window */
	size_t max_windows;             /* cap on training windows per epoch (0: none) */
	uint64_t seed;
	/* progress within an epoch (done of total windows), may be NULL */
	void (*progress)(void *ctx, int epoch, size_t done, size_t total, double loss);
	void (*epoch_done)(void *ctx, const struct lstm_epoch *e);
	void *ctx;
};

void lstm_train_defaults(struct lstm_train_opts *o);
/*
 * Trains m in place; on return m holds the parameters with the lowest
 * validation loss and err_scale measured on the validation windows.
 * log (may be NULL) receives up to nlog epochs; *nepochs the number run.
 * -EINVAL when the data have no complete window.
 */
int lstm_train(struct lstm *m, const struct lstm_data *d,
	       const struct lstm_train_opts *o, struct lstm_epoch *log,
	       int nlog, int *nepochs);

/*
 * Mean squared prediction error of the window ending before row t of
 * sequence data x (rows x nin), in units of m->err_scale; NaN targets are
 * skipped. pred (nout) may be NULL. ws as for lstm_loss_grad.
 */
double lstm_surprise(const struct lstm *m, const double *window, int T,
		     const double *next, double *ws);

#endif

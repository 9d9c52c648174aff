#ifndef DETECT_LSTM_H
#define DETECT_LSTM_H
/*
 * A stacked LSTM that reads a window of feature vectors and predicts the
 * next one; its prediction error is the model's surprise. struct lstm owns
 * its parameters, feature names and normalisation (lstm_release frees them).
 * Training and the reference forward pass run in double; lstm_fast is a
 * float32 copy for batched inference (lstm_fast.c).
 *
 * Parameter layout (one contiguous vector, also the file layout): for each
 * layer l (input size in_l = nin for l = 0, else nhid), W_l with 4*nhid rows
 * of in_l + nhid columns (row-major; gate blocks i, f, g, o; columns are the
 * layer input then the previous hidden state), then b_l (4*nhid); then the
 * head Wy (nout x nhid, row-major) and by (nout).
 */
#include <stddef.h>
#include <stdint.h>

#define LSTM_MAX_IN 256
#define LSTM_MAX_HID 512
#define LSTM_MAX_LAYERS 4
#define LSTM_MAX_WINDOW 1024
#define LSTM_NAME_MAX 64

struct lstm_shape {
	int nin, nhid, nlayers, nout, window;
};

struct lstm {
	struct lstm_shape sh;
	double *p;              /* parameters */
	size_t np;
	char **feat;            /* nin feature names */
	double *centre, *scale; /* per feature: x_norm = (x - centre) / scale */
	double *err_scale;      /* per output: typical |error| on held-back data */
	/*
	 * Calibration of the pod detector's evidence score (detect/pod.h):
	 * ncal knots (cal_x increasing in [0,1], cal_y non-decreasing in
	 * [0,1]) of a monotone map fitted on labelled runs; 0 knots: none.
	 */
	int ncal;
	double *cal_x, *cal_y;
};

#define LSTM_MAX_CAL 64

/* 0, or -EINVAL when a dimension is out of its limit. */
int lstm_shape_check(const struct lstm_shape *sh);
size_t lstm_nparams(const struct lstm_shape *sh);
/*
 * A fresh model: uniform(+-1/sqrt(fan_in)) weights from seed, forget-gate
 * bias 1, identity normalisation, features named f0, f1, ...
 */
int lstm_init(struct lstm *m, const struct lstm_shape *sh, uint64_t seed);
void lstm_release(struct lstm *m);

/*
 * One window x (T x nin, normalised; T <= window) and the next step target
 * (nout values; mask[j] == 0 means target j is missing and not scored).
 * Returns the loss 0.5 * mean over present j of (pred_j - target_j)^2; adds
 * its gradient to grad (np values) when grad is not NULL; writes the
 * prediction to pred (nout) when not NULL. ws is scratch of
 * lstm_workspace_size(sh, T) doubles.
 */
double lstm_loss_grad(const struct lstm *m, const double *x, int T,
		      const double *target, const unsigned char *mask,
		      double *grad, double *pred, double *ws);
size_t lstm_workspace_size(const struct lstm_shape *sh, int T);

/* A deterministic generator (splitmix64) used for initialisation and shuffling. */
uint64_t lstm_rand(uint64_t *state);
double lstm_uniform(uint64_t *state); /* [0,1) */

#endif

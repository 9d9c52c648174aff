#ifndef EVAL_MULTI_H
#define EVAL_MULTI_H
/*
 * `eval multi`'s methods on one machine of SMD/ASD-layout data: the
 * multivariate LSTM's surprise and two PCA-reconstruction baselines, each
 * fitted on the train split and scoring every row of both splits (so a
 * threshold can be set in units of the machine's own train-split scores).
 * Arrays are borrowed; rows are n x d, row-major.
 */
#include <stddef.h>
#include "detect/lstm.h"
#include "detect/lstm_train.h"

struct multi_opts {
	struct lstm_shape sh;
	struct lstm_train_opts tr;
	double pca_share;
};

/*
 * Trains the LSTM on train (n1 x d) and writes the surprise of each test row
 * (n2) to test_score and of each train row (n1, the first window's rows 0)
 * to train_score when not NULL. -EINVAL when there is no complete window.
 */
int multi_lstm_scores(const struct multi_opts *o, const double *train, size_t n1,
		      const double *test, size_t n2, size_t d, double *test_score,
		      double *train_score, int *epochs_run, double *val_loss);

/*
 * PCA keeping share of the variance of train, on the columns as given
 * (standardise 0) or standardised by the train mean and deviation (1);
 * squared reconstruction error of every test and (when not NULL) train row.
 * *k and *explained describe the fit.
 */
void multi_pca_scores(const double *train, size_t n1, const double *test, size_t n2,
		      size_t d, double share, int standardise, double *test_score,
		      double *train_score, size_t *k, double *explained);

/*
 * Leave-one-machine-out thresholds. Machine i has n[i] test scores
 * score[i], labels label[i] and a reference scale ref[i] from its train
 * split (multi_ref_scale); thresholds are ref[i] times a factor from a fixed
 * log grid. For each machine the factor with the best mean F1 over the other
 * machines is applied to it: point_f1[i] and event_f1[i] (each metric
 * chooses its own factor, written to point_fac[i] and event_fac[i]).
 */
void multi_cv_thresholds(const double *const *score, const double *const *label,
			 const size_t *n, const double *ref, size_t nm,
			 double *point_f1, double *event_f1, double *point_fac,
			 double *event_fac);

/*
 * The same over nconf candidate configurations of a method: score[c * nm +
 * i] and ref[c * nm + i] are machine i under configuration c, and each
 * held-out machine gets the (configuration, factor) pair with the best mean
 * F1 on the other machines; point_conf[i] and event_conf[i] say which
 * configuration. Ties go to the lower configuration, then the lower factor.
 */
void multi_cv_choose(const double *const *score, const double *const *label,
		     const size_t *n, const double *ref, size_t nconf, size_t nm,
		     double *point_f1, double *event_f1, double *point_fac,
		     double *event_fac, size_t *point_conf, size_t *event_conf);

/*
 * The LSTM configurations `eval multi --grid` tries, around base (entry 0):
 * twice and half the window, twice the hidden units. Returns how many
 * (at most max).
 */
#define MULTI_GRID_MAX 4
size_t multi_lstm_grid(const struct multi_opts *base, struct multi_opts *out, size_t max);

/* The reference scale of a machine's scores: the 0.99 quantile of the
 * given train-split scores (positive). */
double multi_ref_scale(const double *train_score, size_t n);
/*
 * The first train row of the reference: the LSTM's validation rows (the
 * last o->tr.val_frac of the train split, which it was not fitted on), used
 * for every method alike.
 */
size_t multi_ref_from(size_t ntrain, const struct multi_opts *o);

/*
 * The LSTM's surprise mixed with the linear residual (eval/mvscore.h): one
 * machine's components over its train rows and its test rows; the
 * reference rows (multi_ref_from) are where each component's scale is read.
 */
struct multi_mix_in {
	const double *lstm_train, *lstm_test, *res_train, *res_test;
	size_t ntrain, ntest, ref_from;
};

/* A mixture: weight w on the LSTM, 1 - w on the residual, and share v of a
 * slow average (weight alpha per row) of the mix (eval/mvscore.h). */
struct multi_mix {
	double w, v, alpha;
};
#define MULTI_RESID_RIDGE 0.01
#define MULTI_MIX_MAX 32
/* The candidates leave one machine out chooses from: w in {0, 1/4, 1/2,
 * 3/4, 1}, each without the slow average and with v = 1/2 at alpha 0.02
 * and 0.1 (memories of about 50 and 10 rows). Returns how many. */
size_t multi_mix_grid(struct multi_mix *out, size_t max);

/*
 * score[c * nm + i] (allocated, ntest values; the caller frees) and
 * ref[c * nm + i]: machine i's mixed test scores under configuration c and
 * their reference scale, ready for multi_cv_choose.
 */
void multi_mix_scores(const struct multi_mix_in *in, size_t nm, const struct multi_mix *g,
		      size_t ng, double **score, double *ref);

#endif

#ifndef EVAL_MVSCORE_H
#define EVAL_MVSCORE_H
/*
 * A second multivariate component for `eval multi`, beside the LSTM's
 * forecast surprise: how far each metric is from what the other metrics
 * of the same row say it should be, under a linear model fitted on normal
 * rows. Where an anomaly breaks the correlation between metrics and
 * persists, a forecast catches up after a few rows; this residual does not.
 * struct mv_resid owns its arrays; input arrays are borrowed.
 *
 * It lives in eval/ because only evaluation uses it; detect/ is untouched.
 */
#include <stddef.h>

struct mv_resid {
	size_t d;
	double *mu, *sd;        /* per-column standardisation of the fit rows */
	double *prec;           /* d x d inverse of the ridge-regularised correlation */
	double *rscale;         /* robust scale of each column's residual on the fit rows */
};

/*
 * Fits on x (n x d, row-major; non-finite cells count as the column mean).
 * Column j's residual is its standardised value minus the ridge regression
 * on all other columns, computed at once from the precision matrix P as
 * (P z)_j / P_jj; ridge (added to the correlation's diagonal) keeps P
 * defined when columns are collinear or constant. -EINVAL when n < 2, d is 0
 * or the matrix cannot be factorised.
 */
int mv_resid_fit(struct mv_resid *r, const double *x, size_t n, size_t d, double ridge);

/* The mean over columns of the squared robust z of the residual. */
double mv_resid_score(const struct mv_resid *r, const double *row);

void mv_resid_release(struct mv_resid *r);

/*
 * The combined score of one machine over its train rows then its test rows
 * (one series, so the slow average runs on from train into test):
 *   c_t = w * lstm_t / ref_lstm + (1 - w) * resid_t / ref_resid
 *   out_t = (1 - v) * c_t + v * ewma_t(c),  ewma with weight alpha per row.
 * ref_* are the components' reference scales (multi_ref_scale on rows the
 * fits did not see). Writes ntrain + ntest values: train rows first.
 */
void mv_combine(const double *lstm_train, const double *lstm_test, const double *res_train,
		const double *res_test, size_t ntrain, size_t ntest, double ref_lstm,
		double ref_res, double w, double v, double alpha, double *out);

#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "eval/mvscore.h"
#include "base/banned.h"

/* A residual's z is capped so one column that never moved in the fit rows
 * cannot outweigh all others; the floor on the residual scale does the same
 * for columns the others predict exactly. */
#define ZCAP 10.0
#define RSCALE_FLOOR 0.1
#define SD_FLOOR 1e-2

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* In-place Cholesky factor (lower) of the symmetric positive definite a. */
static int cholesky(double *a, size_t d)
{
	for (size_t j = 0; j < d; j++) {
		double s = a[j * d + j];
		for (size_t k = 0; k < j; k++)
			s -= a[j * d + k] * a[j * d + k];
		if (!(s > 0))
			return -EINVAL;
		a[j * d + j] = sqrt(s);
		for (size_t i = j + 1; i < d; i++) {
			double t = a[i * d + j];
			for (size_t k = 0; k < j; k++)
				t -= a[i * d + k] * a[j * d + k];
			a[i * d + j] = t / a[j * d + j];
		}
	}
	return 0;
}

/* inv = (L L^T)^-1, column by column. */
static void chol_inverse(const double *l, size_t d, double *inv)
{
	double *y = xmalloc(d * sizeof(double));
	for (size_t c = 0; c < d; c++) {
		for (size_t i = 0; i < d; i++) {
			double t = i == c;
			for (size_t k = 0; k < i; k++)
				t -= l[i * d + k] * y[k];
			y[i] = t / l[i * d + i];
		}
		for (size_t i = d; i-- > 0;) {
			double t = y[i];
			for (size_t k = i + 1; k < d; k++)
				t -= l[k * d + i] * inv[k * d + c];
			inv[i * d + c] = t / l[i * d + i];
		}
	}
	free(y);
}

static double cell(const struct mv_resid *r, const double *row, size_t j)
{
	return isfinite(row[j]) ? (row[j] - r->mu[j]) / r->sd[j] : 0;
}

/* Column j's residual: standardised value minus its regression on the others. */
static void residuals(const struct mv_resid *r, const double *row, double *z, double *e)
{
	size_t d = r->d;
	for (size_t j = 0; j < d; j++)
		z[j] = cell(r, row, j);
	for (size_t j = 0; j < d; j++) {
		double s = 0;
		for (size_t k = 0; k < d; k++)
			s += r->prec[j * d + k] * z[k];
		e[j] = s / r->prec[j * d + j];
	}
}

int mv_resid_fit(struct mv_resid *r, const double *x, size_t n, size_t d, double ridge)
{
	double *a, *z, *e, *col;
	size_t *cnt;
	int rc;

	if (n < 2 || d == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->mu = xcalloc(d, sizeof(double));
	r->sd = xcalloc(d, sizeof(double));
	cnt = xcalloc(d, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			if (isfinite(x[i * d + j])) {
				r->mu[j] += x[i * d + j];
				cnt[j]++;
			}
	for (size_t j = 0; j < d; j++)
		r->mu[j] = cnt[j] ? r->mu[j] / (double)cnt[j] : 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			if (isfinite(x[i * d + j]))
				r->sd[j] += (x[i * d + j] - r->mu[j]) * (x[i * d + j] - r->mu[j]);
	for (size_t j = 0; j < d; j++)
		r->sd[j] = fmax(cnt[j] ? sqrt(r->sd[j] / (double)cnt[j]) : 0, SD_FLOOR);
	free(cnt);
	a = xcalloc(d * d, sizeof(double));
	z = xmalloc(d * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < d; j++)
			z[j] = cell(r, x + i * d, j);
		for (size_t p = 0; p < d; p++)
			for (size_t q = 0; q <= p; q++)
				a[p * d + q] += z[p] * z[q];
	}
	for (size_t p = 0; p < d; p++) {
		for (size_t q = 0; q <= p; q++) {
			a[p * d + q] /= (double)n;
			a[q * d + p] = a[p * d + q];
		}
		a[p * d + p] += ridge;
	}
	rc = cholesky(a, d);
	if (rc < 0) {
		free(a);
		free(z);
		mv_resid_release(r);
		return rc;
	}
	r->prec = xmalloc(d * d * sizeof(double));
	chol_inverse(a, d, r->prec);
	free(a);
	/* robust scale of each residual: MAD x 1.4826 over the fit rows */
	r->rscale = xmalloc(d * sizeof(double));
	e = xmalloc(n * d * sizeof(double));
	for (size_t i = 0; i < n; i++)
		residuals(r, x + i * d, z, e + i * d);
	col = xmalloc(n * sizeof(double));
	for (size_t j = 0; j < d; j++) {
		double med;
		for (size_t i = 0; i < n; i++)
			col[i] = e[i * d + j];
		qsort(col, n, sizeof(double), cmpd);
		med = col[n / 2];
		for (size_t i = 0; i < n; i++)
			col[i] = fabs(e[i * d + j] - med);
		qsort(col, n, sizeof(double), cmpd);
		r->rscale[j] = fmax(1.4826 * col[n / 2], RSCALE_FLOOR);
	}
	free(col);
	free(e);
	free(z);
	return 0;
}

double mv_resid_score(const struct mv_resid *r, const double *row)
{
	double z[512], e[512], s = 0;
	size_t d = r->d;
	if (d > 512)
		return NAN;
	residuals(r, row, z, e);
	for (size_t j = 0; j < d; j++) {
		double q = e[j] / r->rscale[j];
		q = fmin(q * q, ZCAP * ZCAP);
		s += q;
	}
	return s / (double)d;
}

void mv_resid_release(struct mv_resid *r)
{
	if (!r)
		return;
	free(r->mu);
	free(r->sd);
	free(r->prec);
	free(r->rscale);
	memset(r, 0, sizeof(*r));
}

void mv_combine(const double *lstm_train, const double *lstm_test, const double *res_train,
		const double *res_test, size_t ntrain, size_t ntest, double ref_lstm,
		double ref_res, double w, double v, double alpha, double *out)
{
	double ew = 0;
	int started = 0;
	for (size_t i = 0; i < ntrain + ntest; i++) {
		double l = i < ntrain ? lstm_train[i] : lstm_test[i - ntrain];
		double q = i < ntrain ? res_train[i] : res_test[i - ntrain];
		double c = 0;
		if (w > 0)
			c += w * log1p(fmax(isfinite(l) ? l : 0, 0) / ref_lstm);
		if (w < 1)
			c += (1 - w) * log1p(fmax(isfinite(q) ? q : 0, 0) / ref_res);
		ew = started ? (1 - alpha) * ew + alpha * c : c;
		started = 1;
		out[i] = expm1((1 - v) * c + v * ew);
	}
}

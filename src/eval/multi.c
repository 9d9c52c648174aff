#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/lstm_fast.h"
#include "eval/multi.h"
#include "eval/mvmetrics.h"
#include "eval/mvscore.h"
#include "eval/pca.h"
#include "base/banned.h"

#define CHUNK 1024

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Robust per-column centre and scale of the training rows. */
static void normaliser(const double *x, size_t n, size_t d, double *centre, double *scale)
{
	double *c = xmalloc(n * sizeof(double));
	for (size_t j = 0; j < d; j++) {
		for (size_t i = 0; i < n; i++)
			c[i] = x[i * d + j];
		qsort(c, n, sizeof(double), cmpd);
		centre[j] = c[n / 2];
		scale[j] = (c[(3 * n) / 4] - c[n / 4]) / 1.349;
		if (!(scale[j] > 1e-6)) {
			double m = 0, v = 0;
			for (size_t i = 0; i < n; i++)
				m += c[i];
			m /= (double)n;
			for (size_t i = 0; i < n; i++)
				v += (c[i] - m) * (c[i] - m);
			scale[j] = sqrt(v / (double)n);
		}
		/* constant in training: any change is measured on the raw [0,1] scale */
		if (!(scale[j] > 1e-2))
			scale[j] = 1e-2;
	}
	free(c);
}

/* Surprise of rows [from, to) of the normalised series all (n x d). */
static void surprise_rows(struct lstm_fast *f, const struct lstm *m, const double *all,
			  size_t from, size_t to, size_t d, float *xw, float *pred,
			  double *out)
{
	size_t T = (size_t)m->sh.window;

	for (size_t c0 = from; c0 < to; c0 += CHUNK) {
		size_t B = to - c0 < CHUNK ? to - c0 : CHUNK;
		for (size_t b = 0; b < B; b++) {
			size_t row = c0 + b;        /* predicted row */
			for (size_t t = 0; t < T; t++) {
				size_t src = row >= T - t ? row - (T - t) : 0;
				for (size_t j = 0; j < d; j++) {
					double v = all[src * d + j];
					xw[(b * T + t) * d + j] = isfinite(v) ? (float)v : 0.0f;
				}
			}
		}
		lstm_fast_run(f, xw, B, (int)T, pred);
		for (size_t b = 0; b < B; b++) {
			const double *truth = all + (c0 + b) * d;
			double s = 0;
			for (size_t j = 0; j < d; j++) {
				double e = ((double)pred[b * d + j] - truth[j]) / fmax(m->err_scale[j], 0.05);
				s += e * e;
			}
			out[c0 - from + b] = s / (double)d;
		}
	}
}

int multi_lstm_scores(const struct multi_opts *o, const double *train, size_t n1,
		      const double *test, size_t n2, size_t d, double *test_score,
		      double *train_score, int *epochs_run, double *val_loss)
{
	struct lstm m;
	struct lstm_shape sh = o->sh;
	struct lstm_fast f;
	size_t T, n = n1 + n2, bounds[2] = { 0, n1 };
	double *all = xmalloc(n * d * sizeof(double));
	float *xw, *pred;
	struct lstm_epoch log[256];
	int rc;

	sh.nin = sh.nout = (int)d;
	T = (size_t)sh.window;
	if (lstm_init(&m, &sh, o->tr.seed) < 0) {
		free(all);
		return -EINVAL;
	}
	normaliser(train, n1, d, m.centre, m.scale);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++) {
			double v = i < n1 ? train[i * d + j] : test[(i - n1) * d + j];
			all[i * d + j] = (v - m.centre[j]) / m.scale[j];
		}
	{
		struct lstm_data data = { n1, (int)d, all, bounds, 1 };
		rc = lstm_train(&m, &data, &o->tr, log, 256, epochs_run);
	}
	if (rc < 0) {
		lstm_release(&m);
		free(all);
		return rc;
	}
	*val_loss = log[*epochs_run - 1 < 255 ? *epochs_run - 1 : 255].val_loss;
	lstm_fast_init(&f, &m);
	xw = xmalloc(CHUNK * T * d * sizeof(float));
	pred = xmalloc(CHUNK * d * sizeof(float));
	surprise_rows(&f, &m, all, n1, n, d, xw, pred, test_score);
	if (train_score) {
		size_t from = T < n1 ? T : n1;
		for (size_t i = 0; i < from; i++)
			train_score[i] = 0;
		surprise_rows(&f, &m, all, from, n1, d, xw, pred, train_score + from);
	}
	free(xw);
	free(pred);
	lstm_fast_release(&f);
	lstm_release(&m);
	free(all);
	return 0;
}

void multi_pca_scores(const double *train, size_t n1, const double *test, size_t n2,
		      size_t d, double share, int standardise, double *test_score,
		      double *train_score, size_t *k, double *explained)
{
	struct pca p;
	double *mu = xcalloc(d, sizeof(double)), *sd = xcalloc(d, sizeof(double));
	double *z = NULL, *row = xmalloc(d * sizeof(double));

	if (standardise) {
		for (size_t i = 0; i < n1; i++)
			for (size_t j = 0; j < d; j++)
				mu[j] += train[i * d + j] / (double)n1;
		for (size_t i = 0; i < n1; i++)
			for (size_t j = 0; j < d; j++)
				sd[j] += (train[i * d + j] - mu[j]) * (train[i * d + j] - mu[j]) /
					 (double)n1;
		for (size_t j = 0; j < d; j++)
			sd[j] = fmax(sqrt(sd[j]), 1e-2);
		z = xmalloc(n1 * d * sizeof(double));
		for (size_t i = 0; i < n1; i++)
			for (size_t j = 0; j < d; j++)
				z[i * d + j] = (train[i * d + j] - mu[j]) / sd[j];
	} else {
		for (size_t j = 0; j < d; j++)
			sd[j] = 1;
	}
	pca_fit(&p, z ? z : train, n1, d, share);
	for (size_t i = 0; i < n2 + (train_score ? n1 : 0); i++) {
		const double *x = i < n2 ? test + i * d : train + (i - n2) * d;
		for (size_t j = 0; j < d; j++)
			row[j] = (x[j] - mu[j]) / sd[j];
		if (i < n2)
			test_score[i] = pca_score(&p, row);
		else
			train_score[i - n2] = pca_score(&p, row);
	}
	*k = p.k;
	*explained = p.explained;
	pca_release(&p);
	free(mu);
	free(sd);
	free(z);
	free(row);
}

double multi_ref_scale(const double *train_score, size_t n)
{
	double *c = xmalloc((n ? n : 1) * sizeof(double)), q;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(train_score[i]))
			c[m++] = train_score[i];
	if (!m) {
		free(c);
		return 1;
	}
	qsort(c, m, sizeof(double), cmpd);
	q = c[(size_t)(0.99 * (double)(m - 1))];
	free(c);
	return q > 1e-12 ? q : 1e-12;
}

size_t multi_lstm_grid(const struct multi_opts *base, struct multi_opts *out, size_t max)
{
	size_t n = 0;
	if (n < max)
		out[n++] = *base;
	if (n < max && base->sh.window * 2 <= LSTM_MAX_WINDOW) {
		out[n] = *base;
		out[n++].sh.window = base->sh.window * 2;
	}
	if (n < max && base->sh.window / 2 >= 2) {
		out[n] = *base;
		out[n++].sh.window = base->sh.window / 2;
	}
	if (n < max && base->sh.nhid * 2 <= LSTM_MAX_HID) {
		out[n] = *base;
		out[n++].sh.nhid = base->sh.nhid * 2;
	}
	return n;
}

size_t multi_ref_from(size_t ntrain, const struct multi_opts *o)
{
	double f = o->tr.val_frac > 0 && o->tr.val_frac < 1 ? o->tr.val_frac : 0.1;
	size_t from = (size_t)((double)ntrain * (1.0 - f));
	return from < ntrain ? from : ntrain ? ntrain - 1 : 0;
}

#define NFAC 61         /* factors 10^-1 .. 10^2, 20 per decade */

static double factor(int g)
{
	return pow(10.0, -1.0 + (double)g / 20.0);
}

void multi_cv_thresholds(const double *const *score, const double *const *label,
			 const size_t *n, const double *ref, size_t nm,
			 double *point_f1, double *event_f1, double *point_fac,
			 double *event_fac)
{
	size_t *pc = xmalloc((nm ? nm : 1) * sizeof(size_t));
	size_t *ec = xmalloc((nm ? nm : 1) * sizeof(size_t));
	multi_cv_choose(score, label, n, ref, 1, nm, point_f1, event_f1, point_fac,
			event_fac, pc, ec);
	free(pc);
	free(ec);
}

void multi_cv_choose(const double *const *score, const double *const *label,
		     const size_t *n, const double *ref, size_t nconf, size_t nm,
		     double *point_f1, double *event_f1, double *point_fac,
		     double *event_fac, size_t *point_conf, size_t *event_conf)
{
	size_t G = nconf * NFAC;
	double *pf = xmalloc((nm ? nm : 1) * G * sizeof(double));
	double *ef = xmalloc((nm ? nm : 1) * G * sizeof(double));

	/* pf[i * G + c * NFAC + g]: machine i, configuration c, factor g */
	for (size_t c = 0; c < nconf; c++)
		for (size_t i = 0; i < nm; i++)
			for (int g = 0; g < NFAC; g++)
				mv_f1_at(score[c * nm + i], label[i], n[i], ref[c * nm + i] * factor(g),
					 &pf[i * G + c * NFAC + (size_t)g],
					 &ef[i * G + c * NFAC + (size_t)g]);
	for (size_t i = 0; i < nm; i++) {
		size_t bp = 0, be = 0;
		double sp = -1, se = -1;
		for (size_t x = 0; x < G; x++) {
			double mp = 0, me = 0;
			for (size_t j = 0; j < nm; j++) {
				if (j == i)
					continue;
				mp += pf[j * G + x];
				me += ef[j * G + x];
			}
			if (mp > sp) {
				sp = mp;
				bp = x;
			}
			if (me > se) {
				se = me;
				be = x;
			}
		}
		point_f1[i] = pf[i * G + bp];
		event_f1[i] = ef[i * G + be];
		point_fac[i] = factor((int)(bp % NFAC));
		event_fac[i] = factor((int)(be % NFAC));
		point_conf[i] = bp / NFAC;
		event_conf[i] = be / NFAC;
	}
	free(pf);
	free(ef);
}

size_t multi_mix_grid(struct multi_mix *out, size_t max)
{
	static const double w[] = { 0, 0.25, 0.5, 0.75, 1 };
	static const double av[][2] = { { 0, 0 }, { 0.5, 0.02 }, { 0.5, 0.1 } };
	size_t n = 0;
	for (size_t b = 0; b < sizeof(av) / sizeof(av[0]); b++)
		for (size_t a = 0; a < sizeof(w) / sizeof(w[0]) && n < max; a++)
			out[n++] = (struct multi_mix){ w[a], av[b][0], av[b][1] };
	return n;
}

void multi_mix_scores(const struct multi_mix_in *in, size_t nm, const struct multi_mix *g,
		      size_t ng, double **score, double *ref)
{
	for (size_t i = 0; i < nm; i++) {
		const struct multi_mix_in *m = &in[i];
		size_t n = m->ntrain + m->ntest, nr = m->ntrain - m->ref_from;
		double *all = xmalloc((n ? n : 1) * sizeof(double));
		double rl = multi_ref_scale(m->lstm_train + m->ref_from, nr);
		double rr = multi_ref_scale(m->res_train + m->ref_from, nr);
		for (size_t c = 0; c < ng; c++) {
			mv_combine(m->lstm_train, m->lstm_test, m->res_train, m->res_test, m->ntrain,
				   m->ntest, rl, rr, g[c].w, g[c].v, g[c].alpha, all);
			ref[c * nm + i] = multi_ref_scale(all + m->ref_from, nr);
			score[c * nm + i] = xmalloc((m->ntest ? m->ntest : 1) * sizeof(double));
			memcpy(score[c * nm + i], all + m->ntrain, m->ntest * sizeof(double));
		}
		free(all);
	}
}

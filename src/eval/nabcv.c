#include <stdio.h>
#include <stdlib.h>
#include "base/mem.h"
#include "eval/nabcv.h"
#include "base/banned.h"

/* Copies the files of files[] whose fold is (or, with !in, is not) k. */
static size_t subset(const struct nab_file *files, size_t nfiles, const size_t *fold,
		     size_t k, int in, struct nab_file *out)
{
	size_t n = 0;
	for (size_t f = 0; f < nfiles; f++)
		if ((fold[f] == k) == (in != 0))
			out[n++] = files[f];
	return n;
}

/* The threshold grid of the cross-validated choice, and the half-width of
 * the band its objective is averaged over (see nabcv.h). */
#define TH_LO 0.20
#define TH_STEP 0.01
#define TH_N 81                 /* 0.20 .. 1.00 */
#define BAND 5                  /* +-0.05 */

/*
 * The threshold whose corpus score, averaged over the thresholds within
 * +-BAND steps, is highest: a threshold on a plateau rather than on the edge
 * of a cliff. Writes it and the averaged score.
 */
static void smooth_optimise(const struct nab_file *files, size_t n, enum nab_profile p,
			    double *theta, double *score)
{
	double s[TH_N];
	int have = 0;

	for (int i = 0; i < TH_N; i++) {
		struct nab_result r;
		nab_score_corpus(files, n, p, TH_LO + TH_STEP * i, &r);
		s[i] = r.raw;
	}
	for (int i = 0; i < TH_N; i++) {
		double m = 0;
		int k = 0;
		for (int j = i - BAND; j <= i + BAND; j++) {
			m += s[j < 0 ? 0 : j >= TH_N ? TH_N - 1 : j];
			k++;
		}
		m /= k;
		if (!have || m > *score) {
			*score = m;
			*theta = TH_LO + TH_STEP * i;
			have = 1;
		}
	}
}

/* Chooses on the files not in fold k (all files when fold is NULL), by the
 * plateau rule (smooth) or NAB's own rule. */
static void best_on(const struct nab_file *const *files, size_t nconf, size_t nfiles,
		    const size_t *fold, size_t k, int smooth, enum nab_profile p,
		    size_t *config, double *theta, struct nab_result *res)
{
	struct nab_file *tr = xcalloc(nfiles ? nfiles : 1, sizeof(*tr));
	double best = 0;
	int have = 0;

	*config = 0;
	*theta = 1.1;
	for (size_t c = 0; c < nconf; c++) {
		size_t n = !fold ? nfiles : subset(files[c], nfiles, fold, k, 0, tr);
		const struct nab_file *use = !fold ? files[c] : tr;
		struct nab_result r;
		double th, sc;
		if (!n)
			break;
		if (!smooth) {
			nab_optimise(use, n, p, &th, &r);
			sc = r.raw;
		} else {
			smooth_optimise(use, n, p, &th, &sc);
			nab_score_corpus(use, n, p, th, &r);
		}
		if (!have || sc > best) {
			best = sc;
			*config = c;
			*theta = th;
			*res = r;
			have = 1;
		}
	}
	free(tr);
}

void nabcv_run(const struct nab_file *const *files, size_t nconf, size_t nfiles,
	       const size_t *fold, size_t nfolds, enum nab_profile p,
	       struct nabcv_fold *out)
{
	struct nab_file *te = xcalloc(nfiles ? nfiles : 1, sizeof(*te));

	for (size_t k = 0; k < nfolds; k++) {
		struct nab_result tr = { 0 };
		size_t n;
		best_on(files, nconf, nfiles, fold, k, 1, p, &out[k].config, &out[k].theta, &tr);
		n = subset(files[out[k].config], nfiles, fold, k, 1, te);
		out[k].files = n;
		nab_score_corpus(te, n, p, out[k].theta, &out[k].r);
	}
	free(te);
}

double nabcv_pooled(const struct nabcv_fold *folds, size_t nfolds, enum nab_profile p)
{
	double raw = 0;
	size_t nwin = 0;
	for (size_t k = 0; k < nfolds; k++) {
		raw += folds[k].r.raw;
		nwin += folds[k].r.windows;
	}
	return nab_normalise(raw, nwin, p);
}

void nabcv_insample(const struct nab_file *const *files, size_t nconf, size_t nfiles,
		    enum nab_profile p, size_t *config, double *theta,
		    struct nab_result *out)
{
	best_on(files, nconf, nfiles, NULL, 0, 0, p, config, theta, out);
}

void nabcv_choose(const struct nab_file *const *files, size_t nconf, size_t nfiles,
		  enum nab_profile p, size_t *config, double *theta,
		  struct nab_result *out)
{
	best_on(files, nconf, nfiles, NULL, 0, 1, p, config, theta, out);
}

size_t nabcv_uni_grid(struct uni_params *out, size_t max)
{
	static const double hold[] = { -1, 250, 0 };     /* -1: the default */
	static const double smooth[] = { -1, 1 };
	static const double range[] = { -2, -1 };        /* -2: the default; -1: off */
	static const int season[] = { 1, 0 };
	struct uni_params def;
	size_t n = 0;

	uni_params_default(&def);
	for (size_t a = 0; a < sizeof(hold) / sizeof(hold[0]); a++)
		for (size_t b = 0; b < sizeof(smooth) / sizeof(smooth[0]); b++)
			for (size_t c = 0; c < sizeof(range) / sizeof(range[0]); c++)
				for (size_t d = 0; d < sizeof(season) / sizeof(season[0]); d++) {
					struct uni_params q = def;
					if (n >= max)
						return n;
					if (hold[a] >= 0)
						q.hold_ms = hold[a] * 300000.0;
					if (smooth[b] >= 0)
						q.smooth = smooth[b];
					if (range[c] > -2)
						q.range_tol = range[c];
					q.season = season[d];
					out[n++] = q;
				}
	return n;
}

void nabcv_uni_describe(const struct uni_params *p, char *buf, size_t len)
{
	char range[32];
	if (p->range_tol < 0)
		snprintf(range, sizeof(range), "off");
	else
		snprintf(range, sizeof(range), "%.2f", p->range_tol);
	snprintf(buf, len, "hold=%.0fx5m smooth=%.0f range=%s season=%d",
		 p->hold_ms / 300000.0, p->smooth, range, p->season);
}

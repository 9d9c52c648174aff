/* `kubemend eval multi`: the multivariate LSTM and a PCA baseline on
 * SMD/ASD-layout data (DIR/processed/<machine>_{train,test,test_label}.pkl). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strvec.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "cli/eval.h"
#include "detect/lstm.h"
#include "detect/lstm_train.h"
#include "eval/multi.h"
#include "eval/mvmetrics.h"
#include "eval/mvscore.h"
#include "eval/pca.h"
#include "eval/pkl.h"
#include "eval/plot.h"
#include "base/banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend eval multi --dataset smd|asd --data DIR [--out OUTDIR] [options]\n"
		"  For each DIR/processed/<machine>_train.pkl: trains the LSTM on the train\n"
		"  split, scores the test split, and reports point-wise best F1, event-wise\n"
		"  F1 and PA%%K (K = 0..100, its area) next to a PCA-reconstruction baseline\n"
		"  fitted on the same split. --out writes OUTDIR/<machine>.csv with one\n"
		"  anomaly_score per test row, in order.\n"
		"  --epochs N --hidden H --layers L --window W --max-windows N --seed S\n"
		"  --machines a,b,...   only these machines\n"
		"  --cv   adds leave-one-machine-out thresholds: each machine is scored at\n"
		"         the threshold (a multiple of the 0.99 quantile of its scores on\n"
		"         the last 10%% of its train split) that gives the best mean F1 on\n"
		"         the other machines, for the LSTM and both PCA baselines alike\n"
		"  --grid (with --cv) also trains the LSTM with twice and half the window\n"
		"         and twice the hidden units, and chooses configuration and\n"
		"         threshold together on the other machines (nested: the held-out\n"
		"         machine never votes)\n");
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load(const char *dir, const char *machine, const char *what,
		struct pkl_array *a, char *err, size_t errlen)
{
	struct buf p = BUF_INIT;
	int rc;
	buf_addf(&p, "%s/processed/%s_%s.pkl", dir, machine, what);
	rc = pkl_read_file(p.data, a, err, errlen);
	buf_release(&p);
	return rc;
}

static struct buf summary = BUF_INIT;

static void print_row(const char *machine, const char *method, const struct mv_metrics *m)
{
	char line[300];
	snprintf(line, sizeof(line), "%-14s %-6s point_f1=%.4f event_f1=%.4f pa_k_auc=%.4f "
		 "pa_f1(K=0)=%.4f pa_f1(K=50)=%.4f pa_f1(K=100)=%.4f\n", machine, method,
		 m->point_f1, m->event_f1, m->pak_auc, m->pak_f1[0], m->pak_f1[50], m->pak_f1[100]);
	fputs(line, stdout);
	buf_adds(&summary, line);
}

/* Leave one machine out: each machine at the thresholds chosen on the others. */
static void print_cv(char **names, double **const keep[3], double **label, const size_t *n,
		     double *const ref[3], size_t nm)
{
	static const char *const method[3] = { "lstm", "pca", "pca-z" };
	double *pf[3], *ef[3], *pfac[3], *efac[3], mp[3] = { 0 }, me[3] = { 0 };
	int all_p = 1, all_e = 1;

	for (int k = 0; k < 3; k++) {
		pf[k] = xmalloc(nm * sizeof(double));
		ef[k] = xmalloc(nm * sizeof(double));
		pfac[k] = xmalloc(nm * sizeof(double));
		efac[k] = xmalloc(nm * sizeof(double));
		multi_cv_thresholds((const double *const *)keep[k], (const double *const *)label,
				    n, ref[k], nm, pf[k], ef[k], pfac[k], efac[k]);
	}
	printf("cross-validation: leave one machine out; threshold = factor x the 0.99 quantile "
	       "of the machine's scores on its last 10%% of train rows, factor chosen on the "
	       "other machines\n");
	for (size_t i = 0; i < nm; i++) {
		for (int k = 0; k < 3; k++) {
			printf("cv %-14s %-6s point_f1=%.4f (factor %.3g) event_f1=%.4f (factor %.3g)\n",
			       names[i], method[k], pf[k][i], pfac[k][i], ef[k][i], efac[k][i]);
			mp[k] += pf[k][i] / (double)nm;
			me[k] += ef[k][i] / (double)nm;
		}
		if (!(pf[0][i] > fmax(pf[1][i], pf[2][i])))
			all_p = 0;
		if (!(ef[0][i] > fmax(ef[1][i], ef[2][i])))
			all_e = 0;
	}
	for (int k = 0; k < 3; k++)
		printf("cv %-14s %-6s point_f1=%.4f event_f1=%.4f\n", "mean", method[k], mp[k], me[k]);
	printf("cv lstm_beats_pca_on_every_machine point_f1=%s event_f1=%s (against the better PCA)\n",
	       all_p ? "yes" : "no", all_e ? "yes" : "no");
	for (int k = 0; k < 3; k++) {
		free(pf[k]);
		free(ef[k]);
		free(pfac[k]);
		free(efac[k]);
	}
}

/* The LSTM with its configuration chosen per held-out machine, against the
 * PCA baselines' cross-validated figures. */
static void print_grid(char **names, double **const keep[3], double **const *gkeep,
		       double **label, const size_t *n, double *const ref[3],
		       double *const *gref, size_t ngrid, size_t nm)
{
	const double **sc = xmalloc(ngrid * nm * sizeof(*sc));
	double *rf = xmalloc(ngrid * nm * sizeof(double));
	double *pf[3], *ef[3], *pfac = xmalloc(nm * sizeof(double));
	double *efac = xmalloc(nm * sizeof(double)), mp = 0, me = 0;
	size_t *pc = xmalloc(nm * sizeof(size_t)), *ec = xmalloc(nm * sizeof(size_t));
	int all_p = 1, all_e = 1;

	for (size_t g = 0; g < ngrid; g++)
		for (size_t i = 0; i < nm; i++) {
			sc[g * nm + i] = g ? gkeep[g][i] : keep[0][i];
			rf[g * nm + i] = g ? gref[g][i] : ref[0][i];
		}
	for (int k = 0; k < 3; k++) {
		pf[k] = xmalloc(nm * sizeof(double));
		ef[k] = xmalloc(nm * sizeof(double));
	}
	multi_cv_choose(sc, (const double *const *)label, n, rf, ngrid, nm, pf[0], ef[0],
			pfac, efac, pc, ec);
	for (int k = 1; k < 3; k++) {
		double *a = xmalloc(nm * sizeof(double)), *b = xmalloc(nm * sizeof(double));
		multi_cv_thresholds((const double *const *)keep[k], (const double *const *)label,
				    n, ref[k], nm, pf[k], ef[k], a, b);
		free(a);
		free(b);
	}
	printf("cross-validation with the LSTM configuration chosen on the other machines too:\n");
	for (size_t i = 0; i < nm; i++) {
		printf("cv-grid %-14s lstm   point_f1=%.4f (config %zu, factor %.3g) "
		       "event_f1=%.4f (config %zu, factor %.3g)\n", names[i], pf[0][i], pc[i],
		       pfac[i], ef[0][i], ec[i], efac[i]);
		mp += pf[0][i] / (double)nm;
		me += ef[0][i] / (double)nm;
		if (!(pf[0][i] > fmax(pf[1][i], pf[2][i])))
			all_p = 0;
		if (!(ef[0][i] > fmax(ef[1][i], ef[2][i])))
			all_e = 0;
	}
	printf("cv-grid %-14s lstm   point_f1=%.4f event_f1=%.4f\n", "mean", mp, me);
	printf("cv-grid lstm_beats_pca_on_every_machine point_f1=%s event_f1=%s\n",
	       all_p ? "yes" : "no", all_e ? "yes" : "no");
	for (int k = 0; k < 3; k++) {
		free(pf[k]);
		free(ef[k]);
	}
	free(sc);
	free(rf);
	free(pfac);
	free(efac);
	free(pc);
	free(ec);
}

/* The linear residual (eval/mvscore.h) fitted on train rows [0, fit_to),
 * scoring every train and test row; 0 everywhere when it cannot be fitted. */
static void resid_scores(const double *train, size_t n1, const double *test, size_t n2,
			 size_t d, size_t fit_to, double *t_res, double *s_res)
{
	struct mv_resid r;
	if (mv_resid_fit(&r, train, fit_to, d, MULTI_RESID_RIDGE) < 0) {
		memset(t_res, 0, n1 * sizeof(double));
		memset(s_res, 0, n2 * sizeof(double));
		return;
	}
	for (size_t i = 0; i < n1; i++)
		t_res[i] = mv_resid_score(&r, train + i * d);
	for (size_t i = 0; i < n2; i++)
		s_res[i] = mv_resid_score(&r, test + i * d);
	mv_resid_release(&r);
}

/* The same nested choice among the candidates without the LSTM (w = 0:
 * the residual, with or without its slow average): what statistics alone
 * reach, cross-validated. */
static void print_stats_only(char **names, const struct multi_mix *g, size_t ng,
			     double *const *sc, const double *rf, double **label,
			     const size_t *n, size_t nm)
{
	const double **ssc = xmalloc(ng * nm * sizeof(*ssc));
	double *srf = xmalloc(ng * nm * sizeof(double)), *pf = xmalloc(nm * sizeof(double));
	double *ef = xmalloc(nm * sizeof(double)), *pfac = xmalloc(nm * sizeof(double));
	double *efac = xmalloc(nm * sizeof(double)), mp = 0, me = 0;
	size_t *pc = xmalloc(nm * sizeof(size_t)), *ec = xmalloc(nm * sizeof(size_t));
	size_t *idx = xmalloc(ng * sizeof(size_t)), ns = 0;

	for (size_t c = 0; c < ng; c++)
		if (g[c].w == 0)
			idx[ns++] = c;
	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < nm; i++) {
			ssc[k * nm + i] = sc[idx[k] * nm + i];
			srf[k * nm + i] = rf[idx[k] * nm + i];
		}
	if (ns) {
		multi_cv_choose(ssc, (const double *const *)label, n, srf, ns, nm, pf, ef, pfac,
				efac, pc, ec);
		for (size_t i = 0; i < nm; i++) {
			printf("cv %-14s resid  point_f1=%.4f (v %.2f alpha %.2f, factor %.3g) "
			       "event_f1=%.4f (v %.2f alpha %.2f, factor %.3g)\n", names[i], pf[i],
			       g[idx[pc[i]]].v, g[idx[pc[i]]].alpha, pfac[i], ef[i], g[idx[ec[i]]].v,
			       g[idx[ec[i]]].alpha, efac[i]);
			mp += pf[i] / (double)nm;
			me += ef[i] / (double)nm;
		}
		printf("cv %-14s resid  point_f1=%.4f event_f1=%.4f\n", "mean", mp, me);
	}
	free(ssc);
	free(srf);
	free(pf);
	free(ef);
	free(pfac);
	free(efac);
	free(pc);
	free(ec);
	free(idx);
}

/* The mixture of LSTM and residual, configuration and threshold chosen
 * together on the other machines, against the PCA baselines. */
static void print_mix(char **names, const struct multi_mix_in *mix, double **const keep[3],
		      double **label, const size_t *n, double *const ref[3], size_t nm)
{
	struct multi_mix g[MULTI_MIX_MAX];
	size_t ng = multi_mix_grid(g, MULTI_MIX_MAX);
	double **sc = xmalloc(ng * nm * sizeof(*sc)), *rf = xmalloc(ng * nm * sizeof(double));
	double *pf[3], *ef[3], *pfac = xmalloc(nm * sizeof(double));
	double *efac = xmalloc(nm * sizeof(double)), mp = 0, me = 0;
	size_t *pc = xmalloc(nm * sizeof(size_t)), *ec = xmalloc(nm * sizeof(size_t));
	int all_p = 1, all_e = 1;

	multi_mix_scores(mix, nm, g, ng, sc, rf);
	for (size_t c = 0; c < ng; c++)
		for (size_t i = 0; i < nm; i++) {
			struct mv_metrics m;
			mv_metrics_compute(sc[c * nm + i], label[i], n[i], &m);
			printf("mix %-14s w=%.2f v=%.2f alpha=%.2f point_f1=%.4f event_f1=%.4f "
			       "(in-sample best threshold)\n", names[i], g[c].w, g[c].v, g[c].alpha,
			       m.point_f1, m.event_f1);
		}
	for (int k = 0; k < 3; k++) {
		pf[k] = xmalloc(nm * sizeof(double));
		ef[k] = xmalloc(nm * sizeof(double));
	}
	multi_cv_choose((const double *const *)sc, (const double *const *)label, n, rf, ng, nm,
			pf[0], ef[0], pfac, efac, pc, ec);
	for (int k = 1; k < 3; k++) {
		double *a = xmalloc(nm * sizeof(double)), *b = xmalloc(nm * sizeof(double));
		multi_cv_thresholds((const double *const *)keep[k], (const double *const *)label,
				    n, ref[k], nm, pf[k], ef[k], a, b);
		free(a);
		free(b);
	}
	printf("cross-validation of the mixture (LSTM weight w, slow-average share v, chosen with "
	       "the threshold on the other machines):\n");
	for (size_t i = 0; i < nm; i++) {
		printf("cv %-14s mix    point_f1=%.4f (w %.2f v %.2f alpha %.2f, factor %.3g) "
		       "event_f1=%.4f (w %.2f v %.2f alpha %.2f, factor %.3g)\n", names[i], pf[0][i],
		       g[pc[i]].w, g[pc[i]].v, g[pc[i]].alpha, pfac[i], ef[0][i], g[ec[i]].w,
		       g[ec[i]].v, g[ec[i]].alpha, efac[i]);
		mp += pf[0][i] / (double)nm;
		me += ef[0][i] / (double)nm;
		if (!(pf[0][i] > fmax(pf[1][i], pf[2][i])))
			all_p = 0;
		if (!(ef[0][i] > fmax(ef[1][i], ef[2][i])))
			all_e = 0;
	}
	printf("cv %-14s mix    point_f1=%.4f event_f1=%.4f\n", "mean", mp, me);
	printf("cv mix_beats_pca_on_every_machine point_f1=%s event_f1=%s (against the better PCA)\n",
	       all_p ? "yes" : "no", all_e ? "yes" : "no");
	print_stats_only(names, g, ng, sc, rf, label, n, nm);
	for (size_t x = 0; x < ng * nm; x++)
		free(sc[x]);
	for (int k = 0; k < 3; k++) {
		free(pf[k]);
		free(ef[k]);
	}
	free(sc);
	free(rf);
	free(pfac);
	free(efac);
	free(pc);
	free(ec);
}

int eval_multi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dataset", required_argument, NULL, 'D' },
		{ "data", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "hidden", required_argument, NULL, 'H' },
		{ "layers", required_argument, NULL, 'L' },
		{ "window", required_argument, NULL, 'W' },
		{ "max-windows", required_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 's' },
		{ "machines", required_argument, NULL, 'm' },
		{ "cv", no_argument, NULL, 'c' },
		{ "grid", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dataset = NULL, *data = NULL, *outdir = NULL, *only = NULL;
	struct multi_opts o;
	struct strvec machines = STRVEC_INIT, filter = STRVEC_INIT;
	struct mv_metrics sum[3];
	static const char *const method[3] = { "lstm", "pca", "pca-z" };
	size_t nm = 0;
	int c, rc = 1, v, do_cv = 0, do_grid = 0;
	struct multi_opts grid[MULTI_GRID_MAX];
	size_t ngrid = 0;
	double **gkeep[MULTI_GRID_MAX] = { 0 }, *gref[MULTI_GRID_MAX] = { 0 };
	double **keep[3] = { 0 }, **keep_label = NULL, *ref[3] = { 0 };
	struct multi_mix_in *mix = NULL;
	size_t *keep_n = NULL;
	DIR *dh;
	struct dirent *e;
	struct buf pdir = BUF_INIT;

	memset(&o, 0, sizeof(o));
	memset(sum, 0, sizeof(sum));
	o.sh = (struct lstm_shape){ 0, 32, 1, 0, 16 };
	lstm_train_defaults(&o.tr);
	o.tr.epochs = 10;
	o.tr.max_windows = 2000;
	o.pca_share = 0.9;
	optind = 1;
	while ((c = getopt_long(argc, argv, "D:d:o:e:H:L:W:M:s:m:cgh", opts, NULL)) != -1) {
		if (strchr("eHLWMs", c) && str_to_int(optarg, &v) < 0) {
			fprintf(stderr, "kubemend eval multi: bad number '%s'\n", optarg);
			return EXIT_USAGE;
		}
		switch (c) {
		case 'D': dataset = optarg; break;
		case 'd': data = optarg; break;
		case 'o': outdir = optarg; break;
		case 'e': o.tr.epochs = v; break;
		case 'H': o.sh.nhid = v; break;
		case 'L': o.sh.nlayers = v; break;
		case 'W': o.sh.window = v; break;
		case 'M': o.tr.max_windows = (size_t)v; break;
		case 's': o.tr.seed = (uint64_t)v; break;
		case 'm': only = optarg; break;
		case 'c': do_cv = 1; break;
		case 'g': do_grid = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!dataset || !data || optind != argc ||
	    (strcmp(dataset, "smd") && strcmp(dataset, "asd"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.tr.epochs < 1 || o.sh.nhid < 1 || o.sh.nhid > LSTM_MAX_HID || o.sh.nlayers < 1 ||
	    o.sh.nlayers > LSTM_MAX_LAYERS || o.sh.window < 1 || o.sh.window > LSTM_MAX_WINDOW) {
		fprintf(stderr, "kubemend eval multi: model size out of range\n");
		return EXIT_USAGE;
	}
	if (do_grid && !do_cv) {
		fprintf(stderr, "kubemend eval multi: --grid needs --cv\n");
		return EXIT_USAGE;
	}
	if (do_grid)
		ngrid = multi_lstm_grid(&o, grid, MULTI_GRID_MAX);
	if (only)
		strvec_split(&filter, only, ',');
	buf_addf(&pdir, "%s/processed", data);
	dh = opendir(pdir.data);
	if (!dh) {
		fprintf(stderr, "kubemend eval multi: %s: %s\n", pdir.data, strerror(errno));
		buf_release(&pdir);
		return 1;
	}
	while ((e = readdir(dh)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l > 10 && !strcmp(e->d_name + l - 10, "_train.pkl")) {
			char *name = xstrndup(e->d_name, l - 10);
			if (!only || strvec_contains(&filter, name))
				strvec_push(&machines, name);
			free(name);
		}
	}
	closedir(dh);
	buf_release(&pdir);
	if (!machines.n) {
		fprintf(stderr, "kubemend eval multi: no <machine>_train.pkl under %s/processed\n", data);
		goto out;
	}
	qsort(machines.v, machines.n, sizeof(char *), strcmp_ptr);
	printf("dataset %s: %zu machine(s); LSTM %d layer(s) of %d, window %d, %d epochs "
	       "(at most %zu windows each), seed %llu; PCA keeps %.0f%% of the variance\n",
	       dataset, machines.n, o.sh.nlayers, o.sh.nhid, o.sh.window, o.tr.epochs,
	       o.tr.max_windows, (unsigned long long)o.tr.seed, 100 * o.pca_share);
	for (size_t mi = 0; mi < machines.n; mi++) {
		struct pkl_array tr = { 0 }, te = { 0 }, lb = { 0 };
		size_t pk = 0;
		double pexpl = 0, *t_lstm, *t_pca, *t_pcaz;
		struct mv_metrics ml, mp, mz;
		double *s_lstm, *s_pca, *s_pcaz, *s_res, *t_res, val = 0;
		char err[512];
		int ep = 0;
		int64_t t0 = time_mono_ms();
		const char *mname = machines.v[mi];

		if (load(data, mname, "train", &tr, err, sizeof(err)) ||
		    load(data, mname, "test", &te, err, sizeof(err)) ||
		    load(data, mname, "test_label", &lb, err, sizeof(err))) {
			fprintf(stderr, "kubemend eval multi: %s\n", err);
			pkl_release(&tr);
			pkl_release(&te);
			goto out;
		}
		if (tr.ndim != 2 || te.ndim != 2 || tr.cols != te.cols || lb.rows != te.rows ||
		    tr.cols > PCA_MAX_DIM || tr.cols > LSTM_MAX_IN || tr.rows < 2) {
			fprintf(stderr, "kubemend eval multi: %s: train %zux%zu, test %zux%zu, "
				"labels %zu do not fit together\n", mname, tr.rows, tr.cols,
				te.rows, te.cols, lb.rows);
			pkl_release(&tr);
			pkl_release(&te);
			pkl_release(&lb);
			goto out;
		}
		s_lstm = xmalloc(te.rows * sizeof(double));
		s_pca = xmalloc(te.rows * sizeof(double));
		s_pcaz = xmalloc(te.rows * sizeof(double));
		t_lstm = xmalloc(tr.rows * sizeof(double));
		t_pca = xmalloc(tr.rows * sizeof(double));
		t_pcaz = xmalloc(tr.rows * sizeof(double));
		/* PCA on the columns as given (already scaled to [0,1] by the
		 * provider) and on standardised columns: both are reported and the
		 * LSTM is compared with the better of the two. */
		multi_pca_scores(tr.data, tr.rows, te.data, te.rows, tr.cols, o.pca_share, 0,
				 s_pca, t_pca, &pk, &pexpl);
		{
			size_t kz;
			double ez;
			multi_pca_scores(tr.data, tr.rows, te.data, te.rows, tr.cols, o.pca_share, 1,
					 s_pcaz, t_pcaz, &kz, &ez);
		}
		s_res = xmalloc(te.rows * sizeof(double));
		t_res = xmalloc(tr.rows * sizeof(double));
		resid_scores(tr.data, tr.rows, te.data, te.rows, tr.cols,
			     multi_ref_from(tr.rows, &o), t_res, s_res);
		if (multi_lstm_scores(&o, tr.data, tr.rows, te.data, te.rows, tr.cols, s_lstm,
				      t_lstm, &ep, &val) < 0) {
			fprintf(stderr, "kubemend eval multi: %s: too few training rows for the window\n",
				mname);
			for (size_t i = 0; i < te.rows; i++)
				s_lstm[i] = 0;
			for (size_t i = 0; i < tr.rows; i++)
				t_lstm[i] = 0;
		}
		mv_metrics_compute(s_lstm, lb.data, te.rows, &ml);
		mv_metrics_compute(s_pca, lb.data, te.rows, &mp);
		mv_metrics_compute(s_pcaz, lb.data, te.rows, &mz);
		printf("%s: %zu train rows, %zu test rows, %zu columns, %zu segments; LSTM %d epochs "
		       "(val loss %.4f); PCA %zu components (%.0f%%); %.1f s\n", mname, tr.rows,
		       te.rows, te.cols, ml.segments, ep, val, pk, 100 * pexpl,
		       (double)(time_mono_ms() - t0) / 1000.0);
		print_row(mname, "lstm", &ml);
		print_row(mname, "pca", &mp);
		print_row(mname, "pca-z", &mz);
		{
			struct mv_metrics mr;
			mv_metrics_compute(s_res, lb.data, te.rows, &mr);
			print_row(mname, "resid", &mr);
		}
		for (int k = 0; k < 3; k++) {
			const struct mv_metrics *src = k == 2 ? &mz : k ? &mp : &ml;
			sum[k].point_f1 += src->point_f1;
			sum[k].event_f1 += src->event_f1;
			sum[k].pak_auc += src->pak_auc;
			for (int K = 0; K <= 100; K++)
				sum[k].pak_f1[K] += src->pak_f1[K];
		}
		nm++;
		if (outdir) {
			struct buf csv = BUF_INIT, p = BUF_INIT;
			buf_adds(&csv, "anomaly_score\n");
			for (size_t i = 0; i < te.rows; i++)
				buf_addf(&csv, "%.9g\n", s_lstm[i]);
			buf_addf(&p, "%s/%s.csv", outdir, mname);
			if ((c = file_mkdirs(outdir)) < 0 ||
			    (c = file_write_atomic(p.data, csv.data, csv.len)) < 0 ||
			    (c = evalplot_multi(outdir, mname, s_lstm, s_pca, lb.data, te.rows)) < 0)
				fprintf(stderr, "kubemend eval multi: %s: %s\n", p.data, strerror(-c));
			buf_release(&csv);
			buf_release(&p);
		}
		if (do_cv) {
			double *ts[3] = { t_lstm, t_pca, t_pcaz }, *ss[3] = { s_lstm, s_pca, s_pcaz };
			for (int k = 0; k < 3; k++) {
				keep[k] = xrealloc(keep[k], (nm) * sizeof(*keep[k]));
				ref[k] = xrealloc(ref[k], (nm) * sizeof(*ref[k]));
				keep[k][nm - 1] = ss[k];
				ref[k][nm - 1] = multi_ref_scale(ts[k] + multi_ref_from(tr.rows, &o),
								 tr.rows - multi_ref_from(tr.rows, &o));
			}
			keep_label = xrealloc(keep_label, nm * sizeof(*keep_label));
			keep_n = xrealloc(keep_n, nm * sizeof(*keep_n));
			keep_label[nm - 1] = xmalloc(te.rows * sizeof(double));
			memcpy(keep_label[nm - 1], lb.data, te.rows * sizeof(double));
			keep_n[nm - 1] = te.rows;
			for (size_t g = 1; g < ngrid; g++) {
				double *sg = xmalloc(te.rows * sizeof(double));
				double *tg = xmalloc(tr.rows * sizeof(double));
				size_t from = multi_ref_from(tr.rows, &o);
				int epg = 0;
				double vg = 0;
				struct mv_metrics mg;
				if (multi_lstm_scores(&grid[g], tr.data, tr.rows, te.data, te.rows, tr.cols,
						      sg, tg, &epg, &vg) < 0) {
					memset(sg, 0, te.rows * sizeof(double));
					memset(tg, 0, tr.rows * sizeof(double));
				}
				gkeep[g] = xrealloc(gkeep[g], nm * sizeof(*gkeep[g]));
				gref[g] = xrealloc(gref[g], nm * sizeof(*gref[g]));
				gkeep[g][nm - 1] = sg;
				gref[g][nm - 1] = multi_ref_scale(tg + from, tr.rows - from);
				mv_metrics_compute(sg, lb.data, te.rows, &mg);
				printf("grid %-14s config %zu (%d of %d, window %d) point_f1=%.4f event_f1=%.4f"
				       " (in-sample best threshold)\n", mname, g, grid[g].sh.nlayers,
				       grid[g].sh.nhid, grid[g].sh.window, mg.point_f1, mg.event_f1);
				free(tg);
				fflush(stdout);
			}
			mix = xrealloc(mix, nm * sizeof(*mix));
			mix[nm - 1] = (struct multi_mix_in){ t_lstm, s_lstm, t_res, s_res, tr.rows,
							     te.rows, multi_ref_from(tr.rows, &o) };
		} else {
			free(s_lstm);
			free(s_pca);
			free(s_pcaz);
			free(s_res);
			free(t_res);
			free(t_lstm);
		}
		free(t_pca);
		free(t_pcaz);
		pkl_release(&tr);
		pkl_release(&te);
		pkl_release(&lb);
		fflush(stdout);
	}
	for (int k = 0; k < 3; k++) {
		sum[k].point_f1 /= (double)nm;
		sum[k].event_f1 /= (double)nm;
		sum[k].pak_auc /= (double)nm;
		for (int K = 0; K <= 100; K++)
			sum[k].pak_f1[K] /= (double)nm;
		print_row("mean", method[k], &sum[k]);
	}
	printf("lstm_beats_pca point_f1=%s event_f1=%s (against the better PCA)\n",
	       sum[0].point_f1 > fmax(sum[1].point_f1, sum[2].point_f1) ? "yes" : "no",
	       sum[0].event_f1 > fmax(sum[1].event_f1, sum[2].event_f1) ? "yes" : "no");
	if (do_cv && nm > 1)
		print_cv(machines.v, keep, keep_label, keep_n, ref, nm);
	if (do_cv && nm > 1)
		print_mix(machines.v, mix, keep, keep_label, keep_n, ref, nm);
	if (ngrid > 1 && nm > 1)
		print_grid(machines.v, keep, gkeep, keep_label, keep_n, ref, gref, ngrid, nm);
	if (outdir && evalplot_multi_index(outdir, (const char *const *)machines.v, machines.n,
					   summary.data ? summary.data : "") < 0)
		fprintf(stderr, "kubemend eval multi: %s/index.html: cannot write\n", outdir);
	rc = 0;
out:
	for (size_t i = 0; i < nm && keep_n; i++) {
		for (int k = 0; k < 3; k++)
			free(keep[k][i]);
		free(keep_label[i]);
		free((double *)mix[i].lstm_train);
		free((double *)mix[i].res_train);
		free((double *)mix[i].res_test);
	}
	for (int k = 0; k < 3; k++) {
		free(keep[k]);
		free(ref[k]);
	}
	for (size_t g = 1; g < ngrid; g++) {
		for (size_t i = 0; i < nm && gkeep[g]; i++)
			free(gkeep[g][i]);
		free(gkeep[g]);
		free(gref[g]);
	}
	free(keep_label);
	free(keep_n);
	free(mix);
	buf_release(&summary);
	strvec_clear(&machines);
	strvec_clear(&filter);
	return rc;
}

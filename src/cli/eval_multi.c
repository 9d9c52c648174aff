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
#include "detect/lstm_fast.h"
#include "detect/lstm_train.h"
#include "eval/mvmetrics.h"
#include "eval/pca.h"
#include "eval/pkl.h"
#include "eval/plot.h"
#include "base/banned.h"

#define CHUNK 1024

struct multi_opts {
	struct lstm_shape sh;
	struct lstm_train_opts tr;
	double pca_share;
};

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
		"  --machines a,b,...   only these machines\n");
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

/* Trains the LSTM on train (n1 x d) and scores every test row (n2 x d). */
static int lstm_scores(const struct multi_opts *o, const double *train, size_t n1,
		       const double *test, size_t n2, size_t d, double *score,
		       int *epochs_run, double *val)
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
	*val = log[*epochs_run - 1 < 255 ? *epochs_run - 1 : 255].val_loss;
	lstm_fast_init(&f, &m);
	xw = xmalloc(CHUNK * T * d * sizeof(float));
	pred = xmalloc(CHUNK * d * sizeof(float));
	for (size_t c0 = 0; c0 < n2; c0 += CHUNK) {
		size_t B = n2 - c0 < CHUNK ? n2 - c0 : CHUNK;
		for (size_t b = 0; b < B; b++) {
			size_t row = n1 + c0 + b;        /* predicted row */
			for (size_t t = 0; t < T; t++) {
				size_t src = row >= T - t ? row - (T - t) : 0;
				for (size_t j = 0; j < d; j++) {
					double v = all[src * d + j];
					xw[(b * T + t) * d + j] = isfinite(v) ? (float)v : 0.0f;
				}
			}
		}
		lstm_fast_run(&f, xw, B, (int)T, pred);
		for (size_t b = 0; b < B; b++) {
			const double *truth = all + (n1 + c0 + b) * d;
			double s = 0;
			for (size_t j = 0; j < d; j++) {
				double e = ((double)pred[b * d + j] - truth[j]) / fmax(m.err_scale[j], 0.05);
				s += e * e;
			}
			score[c0 + b] = s / (double)d;
		}
	}
	free(xw);
	free(pred);
	lstm_fast_release(&f);
	lstm_release(&m);
	free(all);
	return 0;
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dataset = NULL, *data = NULL, *outdir = NULL, *only = NULL;
	struct multi_opts o;
	struct strvec machines = STRVEC_INIT, filter = STRVEC_INIT;
	struct mv_metrics sum[3];
	static const char *const method[3] = { "lstm", "pca", "pca-z" };
	size_t nm = 0;
	int c, rc = 1, v;
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
	while ((c = getopt_long(argc, argv, "D:d:o:e:H:L:W:M:s:m:h", opts, NULL)) != -1) {
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
		struct pca pca;
		struct mv_metrics ml, mp, mz;
		double *s_lstm, *s_pca, *s_pcaz, val = 0;
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
		/* PCA on the columns as given (already scaled to [0,1] by the
		 * provider) and on standardised columns: both are reported and the
		 * LSTM is compared with the better of the two. */
		pca_fit(&pca, tr.data, tr.rows, tr.cols, o.pca_share);
		for (size_t i = 0; i < te.rows; i++)
			s_pca[i] = pca_score(&pca, te.data + i * te.cols);
		{
			struct pca pz;
			size_t d = tr.cols;
			double *mu = xcalloc(d, sizeof(double)), *sd = xcalloc(d, sizeof(double));
			double *z = xmalloc(tr.rows * d * sizeof(double)), *row = xmalloc(d * sizeof(double));
			for (size_t i = 0; i < tr.rows; i++)
				for (size_t j = 0; j < d; j++)
					mu[j] += tr.data[i * d + j] / (double)tr.rows;
			for (size_t i = 0; i < tr.rows; i++)
				for (size_t j = 0; j < d; j++)
					sd[j] += (tr.data[i * d + j] - mu[j]) * (tr.data[i * d + j] - mu[j]) /
						 (double)tr.rows;
			for (size_t j = 0; j < d; j++)
				sd[j] = fmax(sqrt(sd[j]), 1e-2);
			for (size_t i = 0; i < tr.rows; i++)
				for (size_t j = 0; j < d; j++)
					z[i * d + j] = (tr.data[i * d + j] - mu[j]) / sd[j];
			pca_fit(&pz, z, tr.rows, d, o.pca_share);
			for (size_t i = 0; i < te.rows; i++) {
				for (size_t j = 0; j < d; j++)
					row[j] = (te.data[i * d + j] - mu[j]) / sd[j];
				s_pcaz[i] = pca_score(&pz, row);
			}
			pca_release(&pz);
			free(mu);
			free(sd);
			free(z);
			free(row);
		}
		if (lstm_scores(&o, tr.data, tr.rows, te.data, te.rows, tr.cols, s_lstm, &ep, &val) < 0) {
			fprintf(stderr, "kubemend eval multi: %s: too few training rows for the window\n",
				mname);
			for (size_t i = 0; i < te.rows; i++)
				s_lstm[i] = 0;
		}
		mv_metrics_compute(s_lstm, lb.data, te.rows, &ml);
		mv_metrics_compute(s_pca, lb.data, te.rows, &mp);
		mv_metrics_compute(s_pcaz, lb.data, te.rows, &mz);
		printf("%s: %zu train rows, %zu test rows, %zu columns, %zu segments; LSTM %d epochs "
		       "(val loss %.4f); PCA %zu components (%.0f%%); %.1f s\n", mname, tr.rows,
		       te.rows, te.cols, ml.segments, ep, val, pca.k, 100 * pca.explained,
		       (double)(time_mono_ms() - t0) / 1000.0);
		print_row(mname, "lstm", &ml);
		print_row(mname, "pca", &mp);
		print_row(mname, "pca-z", &mz);
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
		pca_release(&pca);
		free(s_lstm);
		free(s_pca);
		free(s_pcaz);
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
	if (outdir && evalplot_multi_index(outdir, (const char *const *)machines.v, machines.n,
					   summary.data ? summary.data : "") < 0)
		fprintf(stderr, "kubemend eval multi: %s/index.html: cannot write\n", outdir);
	rc = 0;
out:
	buf_release(&summary);
	strvec_clear(&machines);
	strvec_clear(&filter);
	return rc;
}

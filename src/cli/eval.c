/* `kubemend eval nab`: score every NAB file and apply the NAB scoring rules. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/strvec.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "cli/eval.h"
#include "detect/series.h"
#include "detect/uni.h"
#include "eval/nab.h"
#include "eval/nabcv.h"
#include "eval/nabio.h"
#include "eval/plot.h"
#include "base/banned.h"

enum { COMP_COMBINED, COMP_STAT, COMP_MODEL, NCOMP };
static const char *const comp_name[NCOMP] = { "combined", "statistics", "lstm" };

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists DIR/<category>/<file>.csv as "category/file.csv", sorted. */
static int list_files(const char *dir, struct strvec *out)
{
	DIR *d = opendir(dir), *d2;
	struct dirent *e, *e2;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		struct buf sub = BUF_INIT;
		if (e->d_name[0] == '.')
			continue;
		buf_addf(&sub, "%s/%s", dir, e->d_name);
		if (is_dir(sub.data) && (d2 = opendir(sub.data)) != NULL) {
			while ((e2 = readdir(d2)) != NULL) {
				size_t l = strlen(e2->d_name);
				if (e2->d_name[0] != '.' && l > 4 &&
				    !strcmp(e2->d_name + l - 4, ".csv"))
					strvec_pushf(out, "%s/%s", e->d_name, e2->d_name);
			}
			closedir(d2);
		}
		buf_release(&sub);
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(char *), cmpstr);
	return 0;
}

#define CV_MAXCONF 64

/* The corpus of a "category/file.csv" name, as a fold index. */
static size_t fold_of(const char *name, char **fname, size_t *nfolds)
{
	size_t l = strcspn(name, "/");
	for (size_t k = 0; k < *nfolds; k++)
		if (strlen(fname[k]) == l && !strncmp(fname[k], name, l))
			return k;
	fname[*nfolds] = xstrndup(name, l);
	return (*nfolds)++;
}

static void print_cv(const char *what, char **fname, const struct nabcv_fold *cv,
		     size_t nfolds, enum nab_profile p)
{
	for (size_t k = 0; k < nfolds; k++) {
		char sc[16] = "n/a";
		if (cv[k].r.windows)
			snprintf(sc, sizeof(sc), "%6.2f", nab_normalise(cv[k].r.raw, cv[k].r.windows, p));
		printf("cv %-8s %-19s held out %-22s %2zu files %2zu windows  tp %2zu fp %3zu"
		       "  raw %8.3f  score %6s  (config %zu, threshold %.6f)\n", what,
		       nab_profile_name[p], fname[k], cv[k].files, cv[k].r.windows, cv[k].r.tp,
		       cv[k].r.fp, cv[k].r.raw, sc, cv[k].config, cv[k].theta);
	}
}

/*
 * Leave one corpus out: every file is scored under each candidate
 * configuration; per fold, the configuration and threshold are chosen on the
 * other corpora and the held-out corpus is scored with them.
 */
static double run_cv(char **names, const struct series *ser, const struct nab_file *base,
		     size_t nf, unsigned flags)
{
	struct uni_params grid[CV_MAXCONF];
	size_t nconf = nabcv_uni_grid(grid, CV_MAXCONF), nfolds = 0;
	struct nab_file **cf = xcalloc(nconf, sizeof(*cf));
	size_t *fold = xcalloc(nf ? nf : 1, sizeof(*fold));
	char **fname = xcalloc(nf ? nf : 1, sizeof(*fname));
	struct nabcv_fold *cv;
	double std_cv = 0;
	char desc[128];

	for (size_t f = 0; f < nf; f++)
		fold[f] = fold_of(names[f], fname, &nfolds);
	for (size_t c = 0; c < nconf; c++) {
		cf[c] = xcalloc(nf ? nf : 1, sizeof(**cf));
		for (size_t f = 0; f < nf; f++) {
			double *v = xcalloc(ser[f].n ? ser[f].n : 1, sizeof(double));
			uni_score_series_with(ser[f].ts_ms, ser[f].value, ser[f].n, v, NULL,
					      flags & UNI_MODEL_COMBINE, &grid[c]);
			nabio_round_scores(v, ser[f].n);
			cf[c][f] = (struct nab_file){ ser[f].n, v, base[f].win, base[f].nwin };
		}
	}
	cv = xcalloc(nfolds, sizeof(*cv));
	printf("cross-validation: leave one corpus out, %zu folds, %zu candidate configurations\n",
	       nfolds, nconf);
	for (size_t c = 0; c < nconf; c++) {
		nabcv_uni_describe(&grid[c], desc, sizeof(desc));
		printf("  config %2zu: %s%s\n", c, desc, c ? "" : " (the default)");
	}
	for (int p = 0; p < NAB_NPROFILES; p++) {
		double pooled_t, pooled_g, in_t, in_g;
		size_t conf;
		double th;
		struct nab_result r;

		nabcv_run((const struct nab_file *const *)cf, 1, nf, fold, nfolds,
			  (enum nab_profile)p, cv);
		print_cv("thresh", fname, cv, nfolds, (enum nab_profile)p);
		pooled_t = nabcv_pooled(cv, nfolds, (enum nab_profile)p);
		nabcv_insample((const struct nab_file *const *)cf, 1, nf, (enum nab_profile)p,
			       &conf, &th, &r);
		in_t = nab_normalise(r.raw, r.windows, (enum nab_profile)p);
		nabcv_run((const struct nab_file *const *)cf, nconf, nf, fold, nfolds,
			  (enum nab_profile)p, cv);
		print_cv("grid", fname, cv, nfolds, (enum nab_profile)p);
		pooled_g = nabcv_pooled(cv, nfolds, (enum nab_profile)p);
		nabcv_insample((const struct nab_file *const *)cf, nconf, nf, (enum nab_profile)p,
			       &conf, &th, &r);
		in_g = nab_normalise(r.raw, r.windows, (enum nab_profile)p);
		printf("cv %-19s default parameters: cross-validated %6.2f, in-sample %6.2f;"
		       " grid: cross-validated %6.2f, in-sample %6.2f (config %zu, threshold %.6f)\n",
		       nab_profile_name[p], pooled_t, in_t, pooled_g, in_g, conf, th);
		{
			/* leave one file out: more training data per fold, so a
			 * steadier (if less strict) estimate than one corpus out */
			size_t *ff = xcalloc(nf ? nf : 1, sizeof(*ff));
			struct nabcv_fold *cvf = xcalloc(nf ? nf : 1, sizeof(*cvf));
			for (size_t f = 0; f < nf; f++)
				ff[f] = f;
			nabcv_run((const struct nab_file *const *)cf, 1, nf, ff, nf,
				  (enum nab_profile)p, cvf);
			printf("cv %-19s default parameters, leave one file out: cross-validated %6.2f\n",
			       nab_profile_name[p], nabcv_pooled(cvf, nf, (enum nab_profile)p));
			free(ff);
			free(cvf);
		}
		nabcv_choose((const struct nab_file *const *)cf, 1, nf, (enum nab_profile)p,
			     &conf, &th, &r);
		printf("cv %-19s the procedure on all corpora picks threshold %.2f for the default"
		       " parameters (in-sample there %6.2f)\n", nab_profile_name[p], th,
		       nab_normalise(r.raw, r.windows, (enum nab_profile)p));
		if (p == NAB_STANDARD)
			std_cv = pooled_t;
	}
	for (size_t c = 0; c < nconf; c++) {
		for (size_t f = 0; f < nf; f++)
			free((double *)cf[c][f].score);
		free(cf[c]);
	}
	for (size_t k = 0; k < nfolds; k++)
		free(fname[k]);
	free(fname);
	free(cf);
	free(fold);
	free(cv);
	return std_cv;
}

static void usage_nab(FILE *out)
{
	fprintf(out,
		"usage: kubemend eval nab --data DIR --windows FILE --out OUTDIR\n"
		"                         [--threshold T] [--lstm] [--cv]\n"
		"  Scores every DIR/<category>/<file>.csv online, writes\n"
		"  OUTDIR/<category>/<file>.csv (timestamp,value,anomaly_score), an SVG\n"
		"  per file and OUTDIR/index.html, and prints the NAB scores (standard,\n"
		"  reward_low_FP_rate, reward_low_FN_rate) with the corpus-optimised\n"
		"  threshold and with the fixed threshold T (default %.2f). When DIR has\n"
		"  data/ and labels/ (the NAB layout), --windows defaults to\n"
		"  DIR/labels/combined_windows.json. The online LSTM's part is scored on its\n"
		"  own; --lstm also adds it to the combined score (what `score --lstm` does).\n"
		"  --cv adds leave-one-corpus-out cross-validation: per held-out corpus,\n"
		"  the threshold (and, for the grid, the detector's parameters) chosen on\n"
		"  the other corpora, and the pooled held-out score beside the in-sample\n"
		"  one (cv_standard=<score>), and leave one file out for comparison.\n"
		"  The last line is standard=<score> (in-sample, default parameters).\n",
		UNI_ALARM_THRESHOLD);
}

static void print_profiles(const struct nab_file *files, size_t nf, size_t nwin,
			   const char *label, double fixed, double *std_opt)
{
	for (int p = 0; p < NAB_NPROFILES; p++) {
		struct nab_result ro, rf;
		double th;
		nab_optimise(files, nf, (enum nab_profile)p, &th, &ro);
		nab_score_corpus(files, nf, (enum nab_profile)p, fixed, &rf);
		printf("%-10s %-19s optimised %6.2f (threshold %.6f, %zu/%zu windows, %zu fp)"
		       "  fixed %6.2f (%zu/%zu windows, %zu fp)\n",
		       label, nab_profile_name[p],
		       nab_normalise(ro.raw, nwin, (enum nab_profile)p), th, ro.tp, nwin, ro.fp,
		       nab_normalise(rf.raw, nwin, (enum nab_profile)p), rf.tp, nwin, rf.fp);
		if (p == NAB_STANDARD && std_opt)
			*std_opt = nab_normalise(ro.raw, nwin, NAB_STANDARD);
	}
}

static int eval_nab(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "windows", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "threshold", required_argument, NULL, 't' },
		{ "lstm", no_argument, NULL, 'l' },
		{ "cv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *windows = NULL, *outdir = NULL;
	struct buf datadir = BUF_INIT, winpath = BUF_INIT;
	struct strvec names = STRVEC_INIT;
	struct nab_labels labels = { 0 };
	struct nab_file *files[NCOMP] = { 0 };
	struct series *ser = NULL;
	struct nab_window **win = NULL;
	struct uni_parts **parts = NULL;
	double fixed = UNI_ALARM_THRESHOLD, std_opt = 0;
	char err[512];
	size_t nwin_total = 0, nf = 0;
	int c, rc = 1, do_cv = 0;
	unsigned flags = UNI_MODEL;
	int64_t t0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:w:o:t:lch", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'w': windows = optarg; break;
		case 'o': outdir = optarg; break;
		case 't':
			fixed = strtod(optarg, NULL);
			if (!(fixed >= 0 && fixed <= 1.1)) {
				fprintf(stderr, "kubemend eval nab: --threshold wants a number in [0,1]\n");
				return EXIT_USAGE;
			}
			break;
		case 'l': flags = UNI_MODEL_COMBINE; break;
		case 'c': do_cv = 1; break;
		case 'h': usage_nab(stdout); return 0;
		default: usage_nab(stderr); return EXIT_USAGE;
		}
	}
	if (!data || optind != argc) {
		usage_nab(stderr);
		return EXIT_USAGE;
	}
	buf_addf(&datadir, "%s/data", data);
	if (!is_dir(datadir.data)) {
		buf_reset(&datadir);
		buf_adds(&datadir, data);
	} else if (!windows) {
		buf_addf(&winpath, "%s/labels/combined_windows.json", data);
		windows = winpath.data;
	}
	if (!windows) {
		fprintf(stderr, "kubemend eval nab: --windows FILE is required\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (nab_labels_load(windows, &labels, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend eval nab: %s\n", err);
		goto out;
	}
	if ((c = list_files(datadir.data, &names)) < 0 || names.n == 0) {
		fprintf(stderr, "kubemend eval nab: %s: no <category>/<file>.csv found\n",
			datadir.data);
		goto out;
	}
	ser = xcalloc(names.n, sizeof(*ser));
	win = xcalloc(names.n, sizeof(*win));
	parts = xcalloc(names.n, sizeof(*parts));
	for (int k = 0; k < NCOMP; k++)
		files[k] = xcalloc(names.n, sizeof(*files[k]));
	t0 = time_mono_ns();
	for (nf = 0; nf < names.n; nf++) {
		struct buf p = BUF_INIT;
		long li = nab_labels_find(&labels, names.v[nf]);
		size_t nw = 0;
		if (li < 0) {
			fprintf(stderr, "kubemend eval nab: %s: not in %s\n", names.v[nf], windows);
			goto out;
		}
		buf_addf(&p, "%s/%s", datadir.data, names.v[nf]);
		c = series_read_file(p.data, &ser[nf], err, sizeof(err));
		buf_release(&p);
		if (c < 0) {
			fprintf(stderr, "kubemend eval nab: %s\n", err);
			goto out;
		}
		if (nab_labels_windows(&labels, (size_t)li, ser[nf].ts_ms, ser[nf].n,
				       &win[nf], &nw, err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend eval nab: %s\n", err);
			series_release(&ser[nf]);
			goto out;
		}
		parts[nf] = xcalloc(ser[nf].n ? ser[nf].n : 1, sizeof(**parts));
		for (int k = 0; k < NCOMP; k++) {
			double *v = xcalloc(ser[nf].n ? ser[nf].n : 1, sizeof(double));
			files[k][nf] = (struct nab_file){ ser[nf].n, v, win[nf], nw };
		}
		uni_score_series(ser[nf].ts_ms, ser[nf].value, ser[nf].n,
				 (double *)files[COMP_COMBINED][nf].score, parts[nf], flags);
		for (size_t i = 0; i < ser[nf].n; i++) {
			((double *)files[COMP_STAT][nf].score)[i] = parts[nf][i].stat;
			((double *)files[COMP_MODEL][nf].score)[i] = parts[nf][i].model;
		}
		for (int k = 0; k < NCOMP; k++)
			nabio_round_scores((double *)files[k][nf].score, ser[nf].n);
		for (size_t w = 0; w < nw; w++)
			if (win[nf][w].r >= nab_probation(ser[nf].n))
				nwin_total++;
	}
	printf("scored %zu files in %.1f ms\n", nf, (double)(time_mono_ns() - t0) / 1e6);
	if (outdir) {
		for (size_t f = 0; f < nf; f++) {
			struct buf p = BUF_INIT;
			char *slash;
			buf_addf(&p, "%s/%s", outdir, names.v[f]);
			slash = strrchr(p.data, '/');
			*slash = '\0';
			c = file_mkdirs(p.data);
			*slash = '/';
			if (c == 0)
				c = nabio_write_scores(p.data, &ser[f], files[COMP_COMBINED][f].score);
			if (c < 0) {
				fprintf(stderr, "kubemend eval nab: %s: %s\n", p.data, strerror(-c));
				buf_release(&p);
				goto out;
			}
			buf_release(&p);
		}
	}
	{
		double th;
		struct nab_result ro;
		nab_optimise(files[COMP_COMBINED], nf, NAB_STANDARD, &th, &ro);
		printf("%-48s %5s %4s %4s %8s\n", "file (standard, optimised threshold)",
		       "win", "tp", "fp", "raw");
		for (size_t f = 0; f < nf; f++) {
			struct nab_result r;
			nab_score_file(&files[COMP_COMBINED][f], NAB_STANDARD, th, &r);
			printf("%-48s %5zu %4zu %4zu %8.3f\n", names.v[f], r.windows, r.tp, r.fp, r.raw);
		}
		if (outdir && (c = evalplot_nab(outdir, (const char *const *)names.v, ser,
						files[COMP_COMBINED], nf, th)) < 0)
			fprintf(stderr, "kubemend eval nab: plots in %s: %s\n", outdir, strerror(-c));
	}
	for (int k = NCOMP - 1; k >= 0; k--)
		print_profiles(files[k], nf, nwin_total, comp_name[k], fixed,
			       k == COMP_COMBINED ? &std_opt : NULL);
	if (do_cv)
		printf("cv_standard=%.2f\n", run_cv(names.v, ser, files[COMP_COMBINED], nf, flags));
	printf("standard=%.2f\n", std_opt);
	rc = 0;
out:
	for (size_t f = 0; f < nf; f++) {
		series_release(&ser[f]);
		free(win[f]);
		free(parts[f]);
		for (int k = 0; k < NCOMP; k++)
			free((double *)files[k][f].score);
	}
	for (int k = 0; k < NCOMP; k++)
		free(files[k]);
	free(ser);
	free(win);
	free(parts);
	strvec_clear(&names);
	nab_labels_release(&labels);
	buf_release(&datadir);
	buf_release(&winpath);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kubemend eval nab|multi|scenarios [options] (--help for each)\n");
}

int cmd_eval(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "nab"))
		return eval_nab(argc - 1, argv + 1);
	if (!strcmp(argv[1], "multi"))
		return eval_multi(argc - 1, argv + 1);
	if (!strcmp(argv[1], "scenarios"))
		return cmd_eval_scenarios(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_USAGE;
}

/* `kubemend train`: fit the LSTM to normal pod behaviour and save it. */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "cli/train.h"
#include "detect/lstm_io.h"
#include "detect/model_config.h"
#include "cli/podrows.h"
#include "base/banned.h"

#define MAX_EPOCHS_LOG 100000
#define SIM_PODS 16
#define SIM_STEPS 1440

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend train (--input CSV | --simulate) --model-out FILE [options]\n"
		"  --input CSV        pod samples (kubemend's native columns or the seed's)\n"
		"  --simulate         train on built-in simulated normal behaviour (%d pods x %d\n"
		"                     samples, from --seed) instead of a CSV\n"
		"  --model-out FILE   where to write the model; FILE.loss.svg gets the loss curve\n"
		"  --config FILE      model settings (default config/model_config.yaml if present)\n"
		"  --epochs N --seed S --hidden H --layers L --window W --max-windows N\n"
		"                     override the config file\n"
		"  --from MODEL       adapt MODEL (same shape): start from its weights and keep\n"
		"                     its normalisation, e.g. the default model on a real cluster's CSV\n"
		"  --quiet            no progress bar\n", SIM_PODS, SIM_STEPS);
}

struct progress {
	int epochs, quiet;
	int64_t t0;
	size_t nlog, cap;
	struct lstm_epoch *log;         /* every epoch run, in order */
};

static void on_progress(void *ctx, int epoch, size_t done, size_t total, double loss)
{
	struct progress *p = ctx;
	double frac, el, eta;
	char bar[31];
	int fill;

	if (p->quiet)
		return;
	frac = ((double)(epoch - 1) + (double)done / (double)total) / p->epochs;
	el = (double)(time_mono_ms() - p->t0) / 1000.0;
	eta = frac > 0 ? el / frac - el : 0;
	fill = (int)(frac * 30);
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\repoch %d/%d [%s] %3.0f%% loss %.5f ETA %.0fs ", epoch, p->epochs, bar,
		100 * frac, loss, eta);
}

static void on_epoch(void *ctx, const struct lstm_epoch *e)
{
	struct progress *p = ctx;

	if (!p->quiet)
		fprintf(stderr, "\r%*s\r", 78, "");
	printf("epoch %d/%d train_loss=%.6f val_loss=%.6f%s\n", e->epoch, p->epochs,
	       e->train_loss, e->val_loss, e->best ? " (best)" : "");
	fflush(stdout);
	if (p->nlog < MAX_EPOCHS_LOG) {
		ARRAY_GROW(p->log, p->cap, p->nlog + 1);
		p->log[p->nlog++] = *e;
	}
}

/* Median and a robust scale of one feature over all rows (NaN skipped). */
static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void robust_stats(const double *v, size_t n, size_t stride, double *centre,
			 double *scale)
{
	double *c = xmalloc((n ? n : 1) * sizeof(double));
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i * stride]))
			c[m++] = v[i * stride];
	*centre = 0;
	*scale = 1;
	if (m) {
		qsort(c, m, sizeof(double), cmpd);
		*centre = c[m / 2];
		*scale = (c[(3 * m) / 4] - c[m / 4]) / 1.349;
		if (!(*scale > 1e-9))
			*scale = (c[m - 1] - c[0]) / 4;
		if (!(*scale > 1e-9))
			*scale = fmax(fabs(*centre) * 0.1, 1.0);
	}
	free(c);
}

/* As train_prepare; keep: normalise with m's centre and scale as they are. */
static int train_prepare_keep(const struct model_config *cfg, const struct features *rows,
			      size_t nrows, struct lstm *m, double **xout, bool keep);

int train_prepare(const struct model_config *cfg, const struct features *rows,
		  size_t nrows, struct lstm *m, double **xout)
{
	return train_prepare_keep(cfg, rows, nrows, m, xout, false);
}

static int train_prepare_keep(const struct model_config *cfg, const struct features *rows,
			      size_t nrows, struct lstm *m, double **xout, bool keep)
{
	int nin = cfg->shape.nin;
	double *x = xmalloc((nrows ? nrows : 1) * (size_t)nin * sizeof(double));

	for (size_t i = 0; i < nrows; i++)
		for (int k = 0; k < nin; k++)
			x[i * (size_t)nin + (size_t)k] = feat_model_value(cfg->feat[k], rows[i].v[cfg->feat[k]]);
	for (int k = 0; k < nin; k++) {
		if (!keep)
			robust_stats(x + k, nrows, (size_t)nin, &m->centre[k], &m->scale[k]);
		free(m->feat[k]);
		m->feat[k] = xstrdup(feat_names[cfg->feat[k]]);
		for (size_t i = 0; i < nrows; i++) {
			double *v = &x[i * (size_t)nin + (size_t)k];
			*v = (*v - m->centre[k]) / m->scale[k];
		}
	}
	*xout = x;
	return 0;
}

int train_loss_svg(const char *path, const struct lstm_epoch *log, size_t n)
{
	struct buf b = BUF_INIT;
	double hi = 0, lo = INFINITY;
	int rc;

	for (size_t i = 0; i < n; i++) {
		hi = fmax(hi, fmax(log[i].train_loss, log[i].val_loss));
		lo = fmin(lo, fmin(log[i].train_loss, log[i].val_loss));
	}
	if (!(hi > 0))
		hi = 1;
	lo = log10(fmax(lo, hi * 1e-6));
	hi = log10(hi);
	if (hi - lo < 1e-9)
		lo = hi - 1;
	buf_adds(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"360\" "
		 "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
		 "fill=\"white\"/>\n<text x=\"50\" y=\"20\">loss per epoch (log scale): "
		 "blue train, orange validation</text>\n");
	buf_adds(&b, "<line x1=\"50\" y1=\"320\" x2=\"620\" y2=\"320\" stroke=\"black\"/>\n"
		 "<line x1=\"50\" y1=\"30\" x2=\"50\" y2=\"320\" stroke=\"black\"/>\n");
	buf_addf(&b, "<text x=\"5\" y=\"35\">%.3g</text><text x=\"5\" y=\"320\">%.3g</text>\n",
		 pow(10, hi), pow(10, lo));
	buf_addf(&b, "<text x=\"300\" y=\"345\">epoch (1..%zu)</text>\n", n);
	for (int s = 0; s < 2; s++) {
		buf_addf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			 s ? "#e07b00" : "#1f5fa8");
		for (size_t i = 0; i < n; i++) {
			double v = s ? log[i].val_loss : log[i].train_loss;
			double y = 320 - 290 * (log10(fmax(v, 1e-300)) - lo) / (hi - lo);
			buf_addf(&b, "%.1f,%.1f ", 50 + 570.0 * (n > 1 ? (double)i / (double)(n - 1) : 0.5),
				 fmin(320, fmax(30, y)));
		}
		buf_adds(&b, "\"/>\n");
	}
	buf_adds(&b, "</svg>\n");
	rc = file_write_atomic(path, b.data, b.len);
	buf_release(&b);
	return rc;
}

static int set_int(const char *flag, const char *v, int lo, int hi, int *out)
{
	int x;
	if (str_to_int(v, &x) < 0 || x < lo || x > hi) {
		fprintf(stderr, "kubemend train: %s wants an integer in [%d, %d]\n", flag, lo, hi);
		return -1;
	}
	*out = x;
	return 0;
}

int cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "simulate", no_argument, NULL, 'S' },
		{ "model-out", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 's' },
		{ "hidden", required_argument, NULL, 'H' },
		{ "layers", required_argument, NULL, 'L' },
		{ "window", required_argument, NULL, 'W' },
		{ "max-windows", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "from", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *outp = NULL, *config = NULL, *from = NULL;
	int simulate = 0, c, rc = 1, epochs = -1, seed = -1, hid = -1, layers = -1, win = -1;
	int maxw = -1, nep = 0;
	struct model_config cfg;
	struct podrows pc = { 0 };
	struct features *sim = NULL;
	const struct features *rows;
	size_t nrows, npods, *starts = NULL;
	struct lstm m = { 0 };
	struct progress prog = { 0 };
	double *x = NULL;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:So:c:e:s:H:L:W:M:qF:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 'S': simulate = 1; break;
		case 'o': outp = optarg; break;
		case 'c': config = optarg; break;
		case 'e': if (set_int("--epochs", optarg, 1, 100000, &epochs)) return EXIT_USAGE; break;
		case 's': if (set_int("--seed", optarg, 0, 2147483647, &seed)) return EXIT_USAGE; break;
		case 'H': if (set_int("--hidden", optarg, 1, LSTM_MAX_HID, &hid)) return EXIT_USAGE; break;
		case 'L': if (set_int("--layers", optarg, 1, LSTM_MAX_LAYERS, &layers)) return EXIT_USAGE; break;
		case 'W': if (set_int("--window", optarg, 1, LSTM_MAX_WINDOW, &win)) return EXIT_USAGE; break;
		case 'M': if (set_int("--max-windows", optarg, 1, 2147483647, &maxw)) return EXIT_USAGE; break;
		case 'q': prog.quiet = 1; break;
		case 'F': from = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!outp || !!input == simulate || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!isatty(2))
		prog.quiet = 1;
	model_config_defaults(&cfg);
	if (!config && access("config/model_config.yaml", R_OK) == 0)
		config = "config/model_config.yaml";
	if (config && model_config_load(config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend train: %s\n", err);
		return 1;
	}
	if (epochs > 0) cfg.train.epochs = epochs;
	if (seed >= 0) cfg.train.seed = (uint64_t)seed;
	if (hid > 0) cfg.shape.nhid = hid;
	if (layers > 0) cfg.shape.nlayers = layers;
	if (win > 0) cfg.shape.window = win;
	cfg.train.max_windows = maxw > 0 ? (size_t)maxw : simulate ? 4000 : 0;

	if (simulate) {
		npods = SIM_PODS;
		nrows = (size_t)SIM_PODS * SIM_STEPS;
		sim = xmalloc(nrows * sizeof(*sim));
		features_simulate_normal(sim, SIM_PODS, SIM_STEPS, cfg.train.seed);
		starts = xmalloc((npods + 1) * sizeof(size_t));
		for (size_t p = 0; p <= npods; p++)
			starts[p] = p * SIM_STEPS;
		rows = sim;
		printf("data: simulated normal behaviour, %zu pods x %d samples (seed %llu)\n",
		       npods, SIM_STEPS, (unsigned long long)cfg.train.seed);
	} else {
		if (podrows_read(input, &pc, err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend train: %s\n", err);
			return 1;
		}
		nrows = pc.n;
		sim = xmalloc((nrows ? nrows : 1) * sizeof(*sim));
		for (size_t i = 0; i < nrows; i++)
			features_from_sample(&pc.rows[i], &sim[i]);
		rows = sim;
		npods = pc.npods;
		starts = xmalloc((npods + 1) * sizeof(size_t));
		memcpy(starts, pc.start, (npods + 1) * sizeof(size_t));
		printf("data: %s, %zu pods, %zu samples\n", input, npods, nrows);
	}
	if (lstm_init(&m, &cfg.shape, cfg.train.seed) < 0) {
		fprintf(stderr, "kubemend train: bad model shape\n");
		goto out;
	}
	printf("model: %d features, %d layer(s) of %d, window %d, %zu parameters\n",
	       cfg.shape.nin, cfg.shape.nlayers, cfg.shape.nhid, cfg.shape.window, m.np);
	if (from) {
		struct lstm base = { 0 };
		bool same;

		if (lstm_load(from, &base, err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend train: %s\n", err);
			goto out;
		}
		same = !memcmp(&base.sh, &m.sh, sizeof(m.sh));
		for (int k = 0; same && k < m.sh.nin; k++)
			same = !strcmp(base.feat[k], feat_names[cfg.feat[k]]);
		if (!same) {
			fprintf(stderr, "kubemend train: %s: another shape or other features than the model "
				"to train (%d inputs, %d hidden, %d layers, window %d)\n", from, m.sh.nin,
				m.sh.nhid, m.sh.nlayers, m.sh.window);
			lstm_release(&base);
			goto out;
		}
		memcpy(m.p, base.p, m.np * sizeof(double));
		memcpy(m.centre, base.centre, (size_t)m.sh.nin * sizeof(double));
		memcpy(m.scale, base.scale, (size_t)m.sh.nin * sizeof(double));
		printf("adapting %s\n", from);
		lstm_release(&base);
	}
	train_prepare_keep(&cfg, rows, nrows, &m, &x, from != NULL);
	{
		struct lstm_data d = { nrows, cfg.shape.nin, x, starts, npods };
		prog.epochs = cfg.train.epochs;
		prog.t0 = time_mono_ms();
		cfg.train.progress = on_progress;
		cfg.train.epoch_done = on_epoch;
		cfg.train.ctx = &prog;
		if (lstm_train(&m, &d, &cfg.train, NULL, 0, &nep) < 0) {
			fprintf(stderr, "kubemend train: no pod has more than %d samples (the window)\n",
				cfg.shape.window);
			goto out;
		}
	}
	if ((c = lstm_save(&m, outp)) < 0) {
		fprintf(stderr, "kubemend train: %s: %s\n", outp, strerror(-c));
		goto out;
	}
	{
		struct buf svg = BUF_INIT;
		buf_addf(&svg, "%s.loss.svg", outp);
		if ((c = train_loss_svg(svg.data, prog.log, prog.nlog)) < 0)
			fprintf(stderr, "kubemend train: %s: %s\n", svg.data, strerror(-c));
		else
			printf("loss curve: %s\n", svg.data);
		buf_release(&svg);
	}
	printf("model: %s (%d epochs, %.1f s)\n", outp, nep,
	       (double)(time_mono_ms() - prog.t0) / 1000.0);
	rc = 0;
out:
	free(prog.log);
	free(x);
	free(sim);
	free(starts);
	podrows_release(&pc);
	lstm_release(&m);
	return rc;
}

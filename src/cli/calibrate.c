/* `kubemend calibrate`: fit the detector's calibration into a model file. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "cli/cli.h"
#include "detect/lstm_io.h"
#include "eval/calib.h"
#include "base/banned.h"

static const char usage_text[] =
"usage: kubemend calibrate --model FILE --pairs FILE [--pairs FILE ...] --model-out FILE\n"
"       kubemend calibrate --model FILE --show\n"
"       kubemend calibrate --model FILE --clear --model-out FILE\n"
"\n"
"Fits the map from the detector's evidence score to the probability that an\n"
"insight is a real fault (isotonic regression) on the pairs that `kubemend\n"
"eval scenarios --pairs-out` wrote for labelled sim runs, prints it, and\n"
"writes the model with it to --model-out. Use runs the tuning never saw.\n"
"--show prints a model's knots; --clear writes it without them. Both print\n"
"the score at which the probability reaches 0.7 (the default threshold).\n";

/* The score at which the map reaches p (linear between knots); NaN if never. */
static double crossing(const double *x, const double *y, int k, double p)
{
	for (int i = 0; i < k; i++) {
		if (y[i] >= p) {
			if (i == 0)
				return x[0];
			return x[i - 1] + (p - y[i - 1]) / (y[i] - y[i - 1]) * (x[i] - x[i - 1]);
		}
	}
	return NAN;
}

/* Reads "score probability real ..." lines; -1 with a message on a bad line. */
static int read_pairs(const char *path, double **s, int **r, size_t *n, size_t *cap)
{
	FILE *f = fopen(path, "r");
	char line[512];
	long ln = 0;

	if (!f) {
		fprintf(stderr, "kubemend calibrate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		double sc, pr;
		int real;
		ln++;
		if (sscanf(line, "%lf %lf %d", &sc, &pr, &real) != 3 || (real != 0 && real != 1)) {
			fprintf(stderr, "kubemend calibrate: %s:%ld: want 'score probability real(0|1) ...'\n",
				path, ln);
			fclose(f);
			return -1;
		}
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 256;
			*s = xrealloc(*s, *cap * sizeof(double));
			*r = xrealloc(*r, *cap * sizeof(int));
		}
		(*s)[*n] = sc;
		(*r)[(*n)++] = real;
	}
	fclose(f);
	return 0;
}

int cmd_calibrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "model-out", required_argument, NULL, 'o' },
		{ "show", no_argument, NULL, 'S' },
		{ "clear", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model = NULL, *outp = NULL;
	double *s = NULL, x[LSTM_MAX_CAL], y[LSTM_MAX_CAL];
	int *r = NULL, ch, rc = 1, k, npairs_files = 0, show = 0, clear = 0;
	size_t n = 0, cap = 0, nreal = 0;
	struct lstm m = { 0 };
	char err[512];

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 'p':
			if (read_pairs(optarg, &s, &r, &n, &cap) < 0)
				goto out;
			npairs_files++;
			break;
		case 'o': outp = optarg; break;
		case 'S': show = 1; break;
		case 'C': clear = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (model && (show || clear) && !npairs_files && optind == argc && (show || outp)) {
		if (lstm_load(model, &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend calibrate: %s\n", err);
			goto out;
		}
		for (int i = 0; show && i < m.ncal; i++)
			printf("  score %.3f -> probability %.3f\n", m.cal_x[i], m.cal_y[i]);
		if (show)
			printf("threshold 0.7 at score %.3f\n", crossing(m.cal_x, m.cal_y, m.ncal, 0.7));
		if (clear) {
			m.ncal = 0;
			if ((ch = lstm_save(&m, outp)) < 0) {
				fprintf(stderr, "kubemend calibrate: %s: %s\n", outp, strerror(-ch));
				goto out;
			}
		}
		rc = 0;
		goto out;
	}
	if (!model || !outp || !npairs_files || optind != argc) {
		fputs(usage_text, stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (lstm_load(model, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend calibrate: %s\n", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		nreal += (size_t)r[i];
	k = calib_fit(s, r, n, x, y, 24);
	if (k == 0) {
		fprintf(stderr, "kubemend calibrate: no pairs to fit\n");
		goto out;
	}
	free(m.cal_x);
	free(m.cal_y);
	m.ncal = k;
	m.cal_x = xmalloc((size_t)k * sizeof(double));
	m.cal_y = xmalloc((size_t)k * sizeof(double));
	memcpy(m.cal_x, x, (size_t)k * sizeof(double));
	memcpy(m.cal_y, y, (size_t)k * sizeof(double));
	printf("calibration from %zu insights (%zu real faults), %d knots:\n", n, nreal, k);
	for (int i = 0; i < k; i++)
		printf("  score %.3f -> probability %.3f\n", x[i], y[i]);
	printf("threshold 0.7 at score %.3f\n", crossing(x, y, k, 0.7));
	if ((ch = lstm_save(&m, outp)) < 0) {
		fprintf(stderr, "kubemend calibrate: %s: %s\n", outp, strerror(-ch));
		goto out;
	}
	printf("model: %s\n", outp);
	rc = 0;
out:
	free(s);
	free(r);
	lstm_release(&m);
	return rc;
}

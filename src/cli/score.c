/* `kubemend score`: a NAB-format series in, the same rows with anomaly_score out. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "cli/cli.h"
#include "eval/nabio.h"
#include "detect/series.h"
#include "detect/uni.h"
#include "base/banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend score --input IN.csv --output OUT.csv [--lstm]\n"
		"  Scores a univariate series (columns timestamp,value) online: the\n"
		"  score of a row depends only on that row and the rows before it.\n"
		"  OUT.csv has timestamp,value,anomaly_score (in [0,1]). --lstm also learns a\n"
		"  small LSTM online and adds its prediction error (slower; see docs/model.md).\n");
}

int cmd_score(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "lstm", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *in = NULL, *outp = NULL;
	struct series s;
	char err[512];
	double *score;
	int c, rc;
	unsigned flags = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:o:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'o': outp = optarg; break;
		case 'l': flags = UNI_MODEL_COMBINE; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!in || !outp || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (series_read_file(in, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend score: %s\n", err);
		return 1;
	}
	score = xcalloc(s.n ? s.n : 1, sizeof(*score));
	uni_score_series(s.ts_ms, s.value, s.n, score, NULL, flags);
	rc = nabio_write_scores(outp, &s, score);
	if (rc < 0)
		fprintf(stderr, "kubemend score: %s: %s\n", outp, strerror(-rc));
	free(score);
	series_release(&s);
	return rc < 0 ? 1 : 0;
}

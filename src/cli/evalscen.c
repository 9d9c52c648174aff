#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/str.h"
#include "eval/score.h"
#include "base/banned.h"

static const char usage_text[] =
"usage: kubemend eval scenarios --truth truth.json --insights pod_insights.json\n"
"                               [--metrics pod_metrics.csv] [--window 5m]\n"
"                               [--min-recall R] [--min-precision P]\n"
"                               [--pairs-out FILE]\n"
"\n"
"Matches each injected fault (the sim's --truth-out file) to an insight for\n"
"its pod, its node or (for template faults) its workload within --window of\n"
"its start; insights that match no fault are false alarms. --metrics adds\n"
"the pod-hours observed, for false alarms per 1,000 pod-hours. Exits 1 when\n"
"recall or precision is below the given minimum. Then a reliability table:\n"
"per tenth of probability, the insights in it and the share that were real\n"
"faults. --pairs-out appends one line per insight (score probability real\n"
"type id) for fitting a calibration (kubemend calibrate).\n";

static json_t *load_json(const char *path, const char *what)
{
	json_error_t je;
	struct buf b;
	json_t *j;
	int rc;

	buf_init(&b, 256u << 20);
	rc = file_read_all(path, 256u << 20, &b);
	if (rc < 0) {
		fprintf(stderr, "kubemend eval scenarios: %s %s: %s\n", what, path, strerror(-rc));
		buf_release(&b);
		return NULL;
	}
	j = json_loadb(b.data ? b.data : "", b.len, 0, &je);
	buf_release(&b);
	if (!j)
		fprintf(stderr, "kubemend eval scenarios: %s:%d:%d: %s\n", path, je.line, je.column, je.text);
	return j;
}

/* Appends b to path (created 0644). */
static int append_file(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "a");
	int rc = 0;

	if (!f)
		return -errno;
	if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
		rc = -EIO;
	if (fclose(f) != 0)
		rc = -EIO;
	return rc;
}

int cmd_eval_scenarios(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "truth", required_argument, NULL, 't' },
		{ "insights", required_argument, NULL, 'i' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "pairs-out", required_argument, NULL, 'P' },
		{ "window", required_argument, NULL, 'w' },
		{ "min-recall", required_argument, NULL, 'r' },
		{ "min-precision", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *truth_path = NULL, *ins_path = NULL, *metrics = NULL, *pairs = NULL;
	double min_recall = 0, min_precision = 0, hours = NAN;
	int64_t window = 5 * 60 * 1000;
	struct score_result r;
	json_t *truth = NULL, *ins = NULL;
	char err[512];
	int ch, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': truth_path = optarg; break;
		case 'i': ins_path = optarg; break;
		case 'm': metrics = optarg; break;
		case 'P': pairs = optarg; break;
		case 'w':
			if (str_to_duration_ms(optarg, &window) < 0 || window <= 0) {
				fprintf(stderr, "kubemend eval scenarios: --window wants a duration (5m)\n");
				return EXIT_USAGE;
			}
			break;
		case 'r': case 'p':
			if (str_to_double(optarg, ch == 'r' ? &min_recall : &min_precision) < 0) {
				fprintf(stderr, "kubemend eval scenarios: %s wants a number\n", argv[optind - 1]);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			fprintf(stderr, "kubemend eval scenarios: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		}
	}
	if (!truth_path || !ins_path || optind < argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!(truth = load_json(truth_path, "truth")) || !(ins = load_json(ins_path, "insights")))
		goto out;
	if (score_insights(truth, ins, window, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend eval scenarios: %s\n", err);
		goto out;
	}
	for (size_t i = 0; i < r.nfaults; i++) {
		const struct score_fault *f = &r.faults[i];
		if (f->found)
			printf("found  %-22s %-32s after %4llds  (%s)\n", f->type, f->target,
			       (long long)(f->detect_ms / 1000), f->insight_id);
		else
			printf("MISSED %-22s %-32s\n", f->type, f->target);
	}
	if (metrics)
		hours = score_pod_hours(metrics);
	printf("faults=%zu found=%zu insights=%zu false_alarms=%zu mean_detect_s=%lld\n",
	       r.nfaults, r.found, r.insights, r.false_alarms, (long long)(r.mean_detect_ms / 1000));
	if (isfinite(hours) && hours > 0)
		printf("pod_hours=%.1f false_alarms_per_1000_pod_hours=%.2f\n", hours,
		       (double)r.false_alarms * 1000.0 / hours);
	printf("recall=%.3f precision=%.3f\n", r.recall, r.precision);
	{
		size_t cnt[10], real[10];

		score_reliability(&r, cnt, real);
		printf("reliability (insight probability -> observed share of real faults):\n");
		for (int b = 0; b < 10; b++)
			if (cnt[b])
				printf("  p %.1f-%.1f  insights=%-5zu real=%-5zu precision=%.3f\n", b / 10.0,
				       (b + 1) / 10.0, cnt[b], real[b], (double)real[b] / (double)cnt[b]);
	}
	if (pairs) {
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < r.insights; i++)
			buf_addf(&b, "%.6f %.6f %d %s %s\n", r.ins[i].score, r.ins[i].probability,
				 r.ins[i].matched, r.ins[i].type[0] ? r.ins[i].type : "-", r.ins[i].id);
		if (append_file(pairs, &b) < 0)
			fprintf(stderr, "kubemend eval scenarios: %s: cannot append\n", pairs);
		buf_release(&b);
	}
	rc = r.recall + 1e-9 >= min_recall && r.precision + 1e-9 >= min_precision ? 0 : 1;
	score_result_release(&r);
out:
	json_decref(truth);
	json_decref(ins);
	return rc;
}

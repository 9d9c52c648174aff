/* `kubemend score-pods`: score pod samples from a CSV with the model and rules. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "detect/detector.h"
#include "detect/lstm_io.h"
#include "detect/podcsv.h"
#include "base/banned.h"

#define DEFAULT_MODEL "models/default.kmm"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend score-pods --input CSV [--model FILE] [--alert-threshold P] [--all]\n"
		"  Scores every sample of every pod in CSV (native or seed columns) in time\n"
		"  order and prints one JSON object per alert (probability >= P; --all: per\n"
		"  sample) with the anomaly type and the signals behind it, then a summary.\n"
		"  --model FILE (or MODEL_PATH) names the LSTM; default %s when present.\n"
		"  P: --alert-threshold > ANOMALY_THRESHOLD > THRESHOLD > 0.7.\n", DEFAULT_MODEL);
}

static void num(struct buf *b, double v)
{
	if (isfinite(v))
		buf_addf(b, "%.6g", v);
	else
		buf_adds(b, "null");
}

int cmd_score_pods(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "model", required_argument, NULL, 'm' },
		{ "alert-threshold", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *model = NULL, *thr = NULL;
	int all = 0, c, rc = 1, have_model = 0;
	struct detector_opts o = { 0 };
	struct detector *d = NULL;
	struct podcsv pc = { 0 };
	struct lstm m = { 0 };
	size_t alerts = 0;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:m:t:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 'm': model = optarg; break;
		case 't': thr = optarg; break;
		case 'a': all = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!input || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (detector_threshold(thr, &o.alert_threshold, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend score-pods: %s\n", err);
		return EXIT_USAGE;
	}
	if (!model && getenv("MODEL_PATH") && *getenv("MODEL_PATH"))
		model = getenv("MODEL_PATH");
	if (!model && access(DEFAULT_MODEL, R_OK) == 0)
		model = DEFAULT_MODEL;
	if (model) {
		if (lstm_load(model, &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend score-pods: %s\n", err);
			return 1;
		}
		have_model = 1;
		o.model = &m;
	}
	if (detector_new(&o, &d) < 0) {
		fprintf(stderr, "kubemend score-pods: %s: the model's features are not the detector's "
			"inputs (%s, ...)\n", model, feat_names[0]);
		goto out;
	}
	if (podcsv_read_file(input, &pc, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend score-pods: %s\n", err);
		goto out;
	}
	for (size_t p = 0; p < pc.npods; p++) {
		for (size_t i = pc.start[p]; i < pc.start[p + 1]; i++) {
			struct verdict v;
			struct buf b = BUF_INIT;
			char ts[RFC3339_MAX];
			if (detector_observe(d, pc.pod[p], &pc.rows[i], pc.ts_ms[i], &v) < 0)
				continue;
			alerts += (size_t)v.alert;
			if (!v.alert && !all)
				continue;
			time_rfc3339(pc.ts_ms[i], ts);
			buf_adds(&b, "{\"pod\":");
			buf_add_json_str(&b, pc.pod[p]);
			buf_addf(&b, ",\"timestamp\":\"%s\",\"probability\":%.4f,\"alert\":%s,"
				 "\"type\":\"%s\",\"parts\":{\"statistics\":%.4f,\"model\":%.4f,"
				 "\"rules\":%.4f},\"signals\":[", ts, v.probability,
				 v.alert ? "true" : "false", anomaly_type_name[v.type], v.stat,
				 v.model, v.rule);
			for (int s = 0; s < v.nsig; s++) {
				buf_addf(&b, "%s{\"metric\":\"%s\",\"value\":", s ? "," : "", v.sig[s].metric);
				num(&b, v.sig[s].value);
				buf_adds(&b, ",\"expected\":[");
				num(&b, v.sig[s].lo);
				buf_addch(&b, ',');
				num(&b, v.sig[s].hi);
				buf_adds(&b, "]}");
			}
			buf_adds(&b, "]}");
			puts(b.data);
			buf_release(&b);
		}
	}
	fprintf(stderr, "kubemend score-pods: %zu pods, %zu samples, %zu alerts (threshold %.2f, %s)\n",
		pc.npods, pc.nrows, alerts, o.alert_threshold,
		have_model ? model : "no model: statistics and rules only");
	rc = 0;
out:
	detector_free(d);
	podcsv_release(&pc);
	if (have_model)
		lstm_release(&m);
	return rc;
}

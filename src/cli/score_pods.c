/* `kubemend score-pods`: score pod samples from a CSV with the pod detector. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "detect/podmodel.h"
#include "cli/podrows.h"
#include "detect/pod.h"
#include "base/banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend score-pods --input CSV [--model FILE] [--alert-threshold P] [--all]\n"
		"                           [--no-lstm]\n"
		"  Scores every sample of every pod in CSV (native or seed columns) in time\n"
		"  order with the pod detector that monitor uses, and prints one JSON object\n"
		"  per alert (probability >= P; --all: per sample) with the anomaly type, the\n"
		"  evidence score, the components that fired and the signals, then a summary.\n"
		"  --model FILE (or MODEL_PATH) names the model; default %s when present.\n"
		"  --no-lstm leaves the LSTM component out (its calibration stays).\n"
		"  P: --alert-threshold > ANOMALY_THRESHOLD > THRESHOLD > 0.7.\n", POD_DEFAULT_MODEL);
}

static void num(struct buf *b, double v)
{
	if (isfinite(v))
		buf_addf(b, "%.6g", v);
	else
		buf_adds(b, "null");
}

/* flag > ANOMALY_THRESHOLD > THRESHOLD > 0.7 */
static int threshold(const char *flag, double *out)
{
	static const char *const envs[] = { "ANOMALY_THRESHOLD", "THRESHOLD" };
	const char *src = "--alert-threshold", *val = flag;
	double t;

	for (size_t i = 0; !val && i < 2; i++) {
		val = getenv(envs[i]);
		src = envs[i];
		if (val && !*val)
			val = NULL;
	}
	*out = 0.7;
	if (!val)
		return 0;
	if (str_to_double(val, &t) < 0 || !(t >= 0 && t <= 1)) {
		fprintf(stderr, "kubemend score-pods: %s: '%s' is not a number in [0,1]\n", src, val);
		return -1;
	}
	*out = t;
	return 0;
}

static void print_verdict(const struct sample *s, const struct pod_verdict *v, bool alert)
{
	struct buf b = BUF_INIT;
	char ts[RFC3339_MAX];

	time_rfc3339(s->ts_ms, ts);
	buf_adds(&b, "{\"pod\":");
	buf_addf(&b, "\"%s/%s\"", s->namespace ? s->namespace : "", s->pod);
	buf_addf(&b, ",\"timestamp\":\"%s\",\"probability\":%.4f,\"score\":%.4f,\"alert\":%s,"
		 "\"type\":\"%s\",\"components\":[", ts, v->probability, v->score,
		 alert ? "true" : "false", pod_anomaly_name(v->type));
	for (size_t c = 0; c < v->ncomps; c++)
		buf_addf(&b, "%s{\"detector\":\"%s\",\"metric\":\"%s\",\"score\":%.4f}", c ? "," : "",
			 pod_component_name(v->comps[c].detector), v->comps[c].metric, v->comps[c].score);
	buf_adds(&b, "],\"signals\":[");
	for (size_t g = 0; g < v->nsignals; g++) {
		buf_addf(&b, "%s{\"metric\":\"%s\",\"value\":", g ? "," : "", v->signals[g].metric);
		num(&b, v->signals[g].value);
		buf_adds(&b, ",\"expected\":[");
		num(&b, v->signals[g].expected_lo);
		buf_addch(&b, ',');
		num(&b, v->signals[g].expected_hi);
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]}");
	puts(b.data);
	buf_release(&b);
}

int cmd_score_pods(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "model", required_argument, NULL, 'm' },
		{ "alert-threshold", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "no-lstm", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *model = NULL, *thr = NULL, *path = NULL;
	int all = 0, c, rc = 1, loaded, use_lstm = 1;
	struct pod_detector d;
	struct podrows pr = { 0 };
	struct pod_verdict *v = NULL;
	struct sample *batch = NULL;
	size_t *order = NULL, alerts = 0;
	struct lstm m = { 0 };
	double t;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:m:t:aLh", opts, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 'm': model = optarg; break;
		case 't': thr = optarg; break;
		case 'a': all = 1; break;
		case 'L': use_lstm = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!input || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (threshold(thr, &t) < 0)
		return EXIT_USAGE;
	if (!model && getenv("MODEL_PATH") && *getenv("MODEL_PATH"))
		model = getenv("MODEL_PATH");
	loaded = pod_model_load(NULL, model, &m, &path, err, sizeof(err));
	if (loaded < 0) {
		fprintf(stderr, "kubemend score-pods: %s\n", err);
		return 1;
	}
	pod_detector_init(&d, 0);
	if (loaded)
		pod_detector_set_model(&d, &m, use_lstm, err, sizeof(err));
	if (podrows_read(input, &pr, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend score-pods: %s\n", err);
		goto out;
	}
	/* the rows of one timestamp are one cycle, scored as a batch */
	order = podrows_time_order(&pr);
	batch = xmalloc((pr.n ? pr.n : 1) * sizeof(*batch));
	v = xmalloc((pr.n ? pr.n : 1) * sizeof(*v));
	for (size_t i = 0; i < pr.n;) {
		size_t j = i;
		while (j < pr.n && pr.rows[order[j]].ts_ms == pr.rows[order[i]].ts_ms)
			j++;
		for (size_t k = i; k < j; k++)
			batch[k - i] = pr.rows[order[k]];
		pod_detector_observe_batch(&d, batch, j - i, v);
		for (size_t k = i; k < j; k++) {
			const struct pod_verdict *x = &v[k - i];
			bool alert = !x->skip && x->probability >= t;
			alerts += alert;
			if (alert || all)
				print_verdict(&batch[k - i], x, alert);
		}
		i = j;
	}
	fprintf(stderr, "kubemend score-pods: %zu pods, %zu samples, %zu alerts (threshold %.2f, %s%s)\n",
		pr.npods, pr.n, alerts, t, loaded ? path : "no model: statistics and rules only",
		loaded && !use_lstm ? ", LSTM component off" : "");
	rc = 0;
out:
	free(order);
	free(batch);
	free(v);
	pod_detector_release(&d);
	podrows_release(&pr);
	if (loaded > 0)
		lstm_release(&m);
	return rc;
}

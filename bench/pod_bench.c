/*
 * The pod detector's cost per collection cycle (make bench-detect): 100,000
 * pods, each with a sample per cycle, through pod_detector_observe_batch()
 * with the default model (rules, statistics and the LSTM for every pod),
 * timed after the windows have filled. The named peer, measured in the same
 * run on the same rows: the naive per-pod loop, pod_detector_observe() one
 * sample at a time (the same work, the LSTM run for one window at a time).
 * Prints seconds per cycle for both, their ratio, and the bytes of state
 * per pod.
 *   pod_bench MODEL [PODS]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/timeutil.h"
#include "detect/lstm_io.h"
#include "detect/pod.h"
#include "base/banned.h"

#define CYCLES 3

static void fill(struct sample *s, size_t n, int64_t ts, int cycle)
{
	for (size_t i = 0; i < n; i++) {
		double w = sin((double)(i * 7 + (size_t)cycle) * 0.37);
		s[i].ts_ms = ts;
		s[i].cpu_mcores = 100 + 10 * w;
		s[i].cpu_pct = s[i].cpu_mcores / 5;
		s[i].mem_bytes = 2e8 * (1 + 0.01 * w);
		s[i].mem_pct = s[i].mem_bytes / 4e8 * 100;
		s[i].net_rx_bps = 2e5 * (1 + 0.05 * w);
		s[i].net_tx_bps = 1e5 * (1 + 0.05 * w);
		s[i].pod_age_s = 3600 + cycle * 30.0;
	}
}

/* CPU time of this process: the cost on one core, whatever else the
 * machine runs (it is shared); wall time is printed beside it. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	return (double)time_mono_ms() / 1000.0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	struct sample *rows;
	struct pod_verdict *v;
	struct pod_detector a, b;
	struct lstm m;
	char err[512], name[64];
	double t_batch = 1e9, t_loop = 1e9, w_batch = 1e9, sink = 0;
	int64_t ts = 1700000000000LL;
	int warm;

	if (argc < 2 || lstm_load(argv[1], &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "usage: pod_bench MODEL [PODS]%s%s\n", argc < 2 ? "" : ": ", argc < 2 ? "" : err);
		return 2;
	}
	rows = calloc(n, sizeof(*rows));
	v = calloc(n, sizeof(*v));
	if (!rows || !v)
		return 1;
	for (size_t i = 0; i < n; i++) {
		sample_init(&rows[i], 0);
		snprintf(name, sizeof(name), "ns-%zu", i % 50);
		sample_set_str(&rows[i].namespace, name);
		snprintf(name, sizeof(name), "app-%zu", i / 10);
		sample_set_str(&rows[i].owner_name, name);
		sample_set_str(&rows[i].owner_kind, "Deployment");
		snprintf(name, sizeof(name), "app-%zu-x%05zu", i / 10, i);
		sample_set_str(&rows[i].pod, name);
		sample_set_str(&rows[i].phase, "Running");
		rows[i].restarts = 0;
		rows[i].containers_ready = rows[i].containers_total = 1;
		rows[i].cpu_limit_mcores = 500;
		rows[i].cpu_request_mcores = 200;
		rows[i].mem_limit_bytes = 4e8;
		rows[i].node_ready = 1;
		rows[i].net_rx_errors_ps = rows[i].net_tx_errors_ps = 0;
		rows[i].net_rx_dropped_ps = rows[i].net_tx_dropped_ps = 0;
	}
	pod_detector_init(&a, n);
	pod_detector_init(&b, n);
	if (pod_detector_set_model(&a, &m, true, err, sizeof(err)) < 0 ||
	    pod_detector_set_model(&b, &m, true, err, sizeof(err)) < 0) {
		fprintf(stderr, "pod_bench: %s\n", err);
		return 1;
	}
	/* fill the windows (both detectors see the same rows) */
	warm = m.sh.window + 12;
	for (int c = 0; c < warm; c++) {
		ts += 30000;
		fill(rows, n, ts, c);
		pod_detector_observe_batch(&a, rows, n, v);
		pod_detector_observe_batch(&b, rows, n, v);
	}
	for (int c = 0; c < CYCLES; c++) {
		double t0, w0;
		ts += 30000;
		fill(rows, n, ts, warm + c);
		t0 = now_s();
		w0 = wall_s();
		pod_detector_observe_batch(&a, rows, n, v);
		t_batch = fmin(t_batch, now_s() - t0);
		w_batch = fmin(w_batch, wall_s() - w0);
		for (size_t i = 0; i < n; i++)
			sink += v[i].score;
		t0 = now_s();
		for (size_t i = 0; i < n; i++)
			pod_detector_observe(&b, &rows[i], &v[i]);
		t_loop = fmin(t_loop, now_s() - t0);
		for (size_t i = 0; i < n; i++)
			sink -= v[i].score;
	}
	printf("pods=%zu model=%s (window %d, %d layer(s) of %d)\n", n, argv[1], m.sh.window,
	       m.sh.nlayers, m.sh.nhid);
	printf("batched_cpu_s_per_cycle=%.3f (wall %.3f) naive_per_pod_loop_cpu_s_per_cycle=%.3f "
	       "ratio_vs_naive=%.2f\n", t_batch, w_batch, t_loop, t_loop / t_batch);
	printf("state_bytes_per_pod=%zu (struct pod_state; budget %d)\n", sizeof(struct pod_state),
	       POD_STATE_MAX);
	printf("scores_agree=%s\n", fabs(sink) < 1e-6 * (double)n ? "yes" : "no");
	pod_detector_release(&a);
	pod_detector_release(&b);
	for (size_t i = 0; i < n; i++)
		sample_release(&rows[i]);
	free(rows);
	free(v);
	lstm_release(&m);
	return 0;
}

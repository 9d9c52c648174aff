#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "detect/pod.h"
#include "base/mem.h"

/* Test rows: a running pod of shop/web with one container, at minute t. */
#define T0 1700000000000LL
#define MIN 60000LL
#define MI (1024.0 * 1024.0)

static void row(struct sample *s, const char *pod, int64_t ts)
{
	sample_init(s, 0);
	s->ts_ms = ts;
	sample_set_str(&s->namespace, "shop");
	sample_set_str(&s->pod, pod);
	sample_set_str(&s->node, "node-0");
	sample_set_str(&s->owner_kind, "Deployment");
	sample_set_str(&s->owner_name, "web");
	sample_set_str(&s->phase, "Running");
	s->restarts = 0;
	s->containers_ready = s->containers_total = 1;
	s->cpu_mcores = 120;
	s->cpu_request_mcores = 100;
	s->cpu_limit_mcores = 500;
	s->mem_bytes = 100 * MI;
	s->mem_limit_bytes = 256 * MI;
	s->net_rx_errors_ps = s->net_tx_errors_ps = 0;
	s->pod_age_s = 3600 + (double)(ts - T0) / 1000.0;
	s->node_ready = 1;
}

static struct pod_verdict observe(struct pod_detector *d, struct sample *s)
{
	struct pod_verdict v;
	assert_int_equal(pod_detector_observe(d, s, &v), 0);
	sample_release(s);
	return v;
}

/* A little deterministic wobble, as real series have. */
static double wob(int i, double amp)
{
	return amp * sin(i * 1.7) * cos(i * 0.3);
}

static void state_fits_in_4k(void **state)
{
	(void)state;
	assert_true(sizeof(struct pod_state) <= POD_STATE_MAX);
}

static void healthy_and_flat_series_never_alarm(void **state)
{
	struct pod_detector d;
	struct sample s;
	(void)state;

	pod_detector_init(&d, 0);
	for (int i = 0; i < 300; i++) {
		struct pod_verdict v;
		row(&s, "flat", T0 + i * MIN);
		v = observe(&d, &s);
		assert_true(v.probability < 0.7);
		row(&s, "noisy", T0 + i * MIN);
		s.cpu_mcores = 120 + wob(i, 25);
		s.mem_bytes = (100 + wob(i, 6)) * MI;
		v = observe(&d, &s);
		assert_true(v.probability < 0.7);
	}
	assert_int_equal(pod_detector_npods(&d), 2);
	pod_detector_release(&d);
}

static void short_burst_is_not_an_anomaly_but_a_lasting_one_is(void **state)
{
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	int i;
	(void)state;

	pod_detector_init(&d, 0);
	for (i = 0; i < 20; i++) {
		row(&s, "p", T0 + i * MIN);
		s.cpu_mcores = 120 + wob(i, 10);
		observe(&d, &s);
	}
	/* two minutes at three times the load (a natural burst) */
	for (int k = 0; k < 2; k++, i++) {
		row(&s, "p", T0 + i * MIN);
		s.cpu_mcores = 360;
		v = observe(&d, &s);
		assert_true(v.probability < 0.7);
	}
	for (int k = 0; k < 3; k++, i++) {
		row(&s, "p", T0 + i * MIN);
		observe(&d, &s);
	}
	/* a lasting spike */
	for (int k = 0; k < 5; k++, i++) {
		row(&s, "p", T0 + i * MIN);
		s.cpu_mcores = 450;
		v = observe(&d, &s);
	}
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_CPU_SATURATION);
	assert_string_equal(v.signals[0].metric, "cpu_mcores");
	assert_true(v.signals[0].expected_hi < 450);
	pod_detector_release(&d);
}

static void throttling_at_the_limit(void **state)
{
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	(void)state;

	pod_detector_init(&d, 0);
	for (int i = 0; i < 6; i++) {
		row(&s, "p", T0 + i * MIN);
		s.cpu_mcores = 500;
		v = observe(&d, &s);
		if (i == 0)
			assert_true(v.probability < 0.7);
	}
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_CPU_SATURATION);
	pod_detector_release(&d);
}

/* With the cAdvisor column, throttling is the share of CFS periods
 * throttled, not CPU near its limit: a pod at 96% of its limit that is not
 * throttled says nothing; one throttled in every period for 9 minutes is
 * cpu_throttling; three minutes of it (a daily peak) are not. */
static void throttling_from_the_throttled_share(void **state)
{
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	int i;
	(void)state;

	pod_detector_init(&d, 0);
	for (i = 0; i < 20; i++) {
		row(&s, "near", T0 + i * MIN);
		s.cpu_mcores = 480 + wob(i, 8);
		s.cpu_request_mcores = 400;
		s.cpu_throttled_pct = 0;
		v = observe(&d, &s);
		assert_true(v.probability < 0.7);
		assert_true(v.type != AT_CPU_THROTTLING);
	}
	for (i = 0; i < 20; i++) {
		row(&s, "peak", T0 + i * MIN);
		s.cpu_request_mcores = 400;
		s.cpu_mcores = 400 + wob(i, 8);
		s.cpu_throttled_pct = 0;
		observe(&d, &s);
	}
	for (int k = 0; k < 3; k++, i++) {
		row(&s, "peak", T0 + i * MIN);
		s.cpu_request_mcores = 400;
		s.cpu_mcores = 500;
		s.cpu_throttled_pct = 100;
		v = observe(&d, &s);
		assert_true(v.probability < 0.7);
	}
	for (int k = 0; k < 3; k++, i++) {
		row(&s, "peak", T0 + i * MIN);
		s.cpu_request_mcores = 400;
		s.cpu_mcores = 400;
		s.cpu_throttled_pct = 0;
		observe(&d, &s);
	}
	for (int k = 0; k < 9; k++, i++) {
		row(&s, "peak", T0 + i * MIN);
		s.cpu_request_mcores = 400;
		s.cpu_mcores = 500;
		s.cpu_throttled_pct = k == 4 ? NAN : 80; /* a missing value leaves the clock alone */
		v = observe(&d, &s);
	}
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_CPU_THROTTLING);
	assert_string_equal(v.reason, "CPUThrottled");
	assert_string_equal(v.signals[0].metric, "cpu_throttled_pct");
	pod_detector_release(&d);
}

static void memory_leak_is_found_before_the_kill(void **state)
{
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	int i;
	(void)state;

	pod_detector_init(&d, 0);
	for (i = 0; i < 10; i++) {
		row(&s, "p", T0 + i * MIN);
		s.mem_bytes = (100 + wob(i, 3)) * MI;
		observe(&d, &s);
	}
	/* 256 KiB/s: 15 MiB a minute */
	for (int k = 1; k <= 5; k++, i++) {
		row(&s, "p", T0 + i * MIN);
		s.mem_bytes = (100 + 15.0 * k) * MI;
		v = observe(&d, &s);
	}
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_MEMORY_LEAK);
	/* the OOM kill that follows is classified by the memory before it */
	row(&s, "p", T0 + i * MIN);
	s.mem_bytes = 250 * MI;
	observe(&d, &s);
	i++;
	row(&s, "p", T0 + i * MIN);
	s.restarts = 1;
	s.mem_bytes = 60 * MI;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	assert_true(v.type == AT_MEMORY_LEAK || v.type == AT_OOM);
	pod_detector_release(&d);
}

/*
 * Pods of one Deployment share a baseline: one pod that grows slowly to
 * 1.2x its siblings is a leak long before its own history says so, and a
 * pod that always runs 1.3x above them (a shard) is not.
 */
static void one_pod_above_its_siblings(void **state)
{
	static const char *const names[] = { "a", "b", "c", "d", "shard", "alone" };
	struct pod_detector d;
	struct sample rows[6];
	struct pod_verdict v[6];
	double at_alarm = 0;
	(void)state;

	pod_detector_init(&d, 0);
	for (int i = 0; i < 109; i++) {  /* up to 1.19x: below what its own history needs */
		double grow = i < 60 ? 1 : 1 + 0.004 * (i - 60);
		for (int k = 0; k < 6; k++) {
			row(&rows[k], names[k], T0 + i * 30000LL);
			rows[k].mem_limit_bytes = 2048 * MI;
			rows[k].mem_bytes = (500 + wob(i + 7 * k, 8)) * MI * (k == 4 ? 1.3 : 1);
			if (k == 0 || k == 5)
				rows[k].mem_bytes *= grow;
			if (k == 5)     /* the same pod in a workload of its own */
				sample_set_str(&rows[k].owner_name, "alone");
		}
		pod_detector_observe_batch(&d, rows, 6, v);
		for (int k = 1; k < 6; k++)
			assert_true(v[k].probability < 0.7);
		if (v[0].probability >= 0.7 && !at_alarm) {
			assert_int_equal(v[0].type, AT_MEMORY_LEAK);
			assert_string_equal(v[0].reason, "MemoryAboveWorkload");
			at_alarm = grow;
		}
		for (int k = 0; k < 6; k++)
			sample_release(&rows[k]);
	}
	/* found within 1.16-1.2x (its own baseline follows it part of the way) */
	assert_true(at_alarm >= 1.15 && at_alarm <= 1.2);
	pod_detector_release(&d);
}

static void kubernetes_states_are_findings(void **state)
{
	static const struct { const char *phase, *reason, *event; enum pod_anomaly type; } cases[] = {
		{ "Running", "CrashLoopBackOff", NULL, AT_CRASH_LOOP },
		{ "Running", "OOMKilled", NULL, AT_OOM },
		{ "Pending", "ImagePullBackOff", NULL, AT_IMAGE_PULL },
		{ "Pending", "ErrImagePull", NULL, AT_IMAGE_PULL },
		{ "Pending", NULL, "FailedScheduling", AT_SCHEDULING },
		{ "Running", "CreateContainerConfigError", NULL, AT_CRASH_LOOP },
	};
	(void)state;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pod_detector d;
		struct sample s;
		struct pod_verdict v;

		pod_detector_init(&d, 0);
		row(&s, "p", T0);
		sample_set_str(&s.phase, cases[c].phase);
		sample_set_str(&s.reason, cases[c].reason);
		sample_set_str(&s.last_event_reason, cases[c].event);
		s.containers_ready = 0;
		v = observe(&d, &s);
		assert_true(v.probability >= 0.7);
		assert_int_equal(v.type, cases[c].type);
		pod_detector_release(&d);
	}
}

static void restarts_rising_and_readiness_lost(void **state)
{
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	(void)state;

	pod_detector_init(&d, 0);
	for (int i = 0; i < 5; i++) {
		row(&s, "p", T0 + i * MIN);
		observe(&d, &s);
	}
	row(&s, "p", T0 + 5 * MIN);
	s.restarts = 1;
	v = observe(&d, &s);
	assert_true(v.probability < 0.7);       /* one restart alone is not an incident */
	row(&s, "p", T0 + 6 * MIN);
	s.restarts = 3;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_CRASH_LOOP);

	for (int i = 0; i < 5; i++) {
		row(&s, "q", T0 + i * MIN);
		s.containers_ready = i >= 2 ? 0 : 1;
		v = observe(&d, &s);
	}
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_PARTIAL_FAILURE);
	pod_detector_release(&d);
}

static void network_errors_need_two_samples(void **state)
{
	const int64_t HALF = MIN / 2;
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	(void)state;

	pod_detector_init(&d, 0);
	row(&s, "p", T0);
	observe(&d, &s);
	row(&s, "p", T0 + HALF);
	s.net_rx_errors_ps = 3;
	v = observe(&d, &s);
	assert_true(v.probability < 0.7);       /* one 30-second rate: not yet */
	row(&s, "p", T0 + 2 * HALF);
	s.net_rx_errors_ps = 3;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	assert_int_equal(v.type, AT_NETWORK);
	row(&s, "p", T0 + 3 * HALF);
	s.net_rx_dropped_ps = 40;
	s.net_rx_errors_ps = 0;
	observe(&d, &s);
	row(&s, "p", T0 + 4 * HALF);
	s.net_rx_dropped_ps = 40;
	s.net_rx_errors_ps = 0;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	assert_string_equal(v.reason, "PacketDrops");
	/* a rate averaged over two minutes is evidence enough on its own */
	row(&s, "q", T0);
	observe(&d, &s);
	row(&s, "q", T0 + 2 * MIN);
	s.net_tx_errors_ps = 2;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	pod_detector_release(&d);
}

static void persistence_follows_the_sample_spacing(void **state)
{
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	int i;
	(void)state;

	pod_detector_init(&d, 0);
	/* 30-second samples: two minutes at the limit is still a possible burst */
	for (i = 0; i < 5; i++) {
		row(&s, "fine", T0 + i * MIN / 2);
		s.cpu_mcores = 500;
		v = observe(&d, &s);
	}
	assert_true(v.probability < 0.7);
	row(&s, "fine", T0 + 6 * MIN / 2);
	s.cpu_mcores = 500;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	/* before any baseline: far above the request, lasting */
	for (i = 0; i < 6; i++) {
		row(&s, "new", T0 + i * MIN);
		s.cpu_request_mcores = 100;
		s.cpu_limit_mcores = NAN;
		s.cpu_mcores = 450;
		v = observe(&d, &s);
		if (i == 0)
			assert_true(v.probability < 0.7);
	}
	assert_true(v.probability >= 0.7);
	assert_string_equal(v.reason, "CPUAboveRequest");
	/* two-minute samples: two in a row outlast any burst */
	row(&s, "coarse", T0);
	observe(&d, &s);
	row(&s, "coarse", T0 + 2 * MIN);
	s.cpu_mcores = 500;
	v = observe(&d, &s);
	assert_true(v.probability < 0.7);
	row(&s, "coarse", T0 + 4 * MIN);
	s.cpu_mcores = 500;
	v = observe(&d, &s);
	assert_true(v.probability >= 0.7);
	pod_detector_release(&d);
}

static void bad_values_do_not_crash_or_poison(void **state)
{
	static const double bad[] = { NAN, INFINITY, -INFINITY, -5, 1e300 };
	struct pod_detector d;
	struct sample s;
	struct pod_verdict v;
	int i = 0;
	(void)state;

	pod_detector_init(&d, 0);
	for (; i < 10; i++) {
		row(&s, "p", T0 + i * MIN);
		observe(&d, &s);
	}
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++, i++) {
		row(&s, "p", T0 + i * MIN);
		s.cpu_mcores = s.mem_bytes = s.restarts = s.net_rx_errors_ps = bad[b];
		s.containers_ready = s.containers_total = s.pod_age_s = bad[b];
		v = observe(&d, &s);
		assert_true(v.probability >= 0 && v.probability <= 1);
	}
	/* an out-of-order and a duplicate sample: judged, not learned */
	row(&s, "p", T0);
	s.cpu_mcores = 1e9;
	v = observe(&d, &s);
	row(&s, "p", T0 + (i - 1) * MIN);
	observe(&d, &s);
	/* back to normal values: no lasting harm */
	for (int k = 0; k < 10; k++, i++) {
		row(&s, "p", T0 + i * MIN);
		v = observe(&d, &s);
	}
	assert_true(v.probability < 0.7);
	assert_true(isfinite(d.pods.n ? pod_detector_get(&d, "shop", "p")->last_prob : 0));
	/* a long gap does not count as a lasting condition */
	row(&s, "p", T0 + i * MIN + 24 * 60 * MIN);
	s.cpu_mcores = 500;
	v = observe(&d, &s);
	assert_true(v.probability < 0.7);
	/* no namespace: refused */
	row(&s, "p", T0);
	sample_set_str(&s.namespace, NULL);
	assert_int_equal(pod_detector_observe(&d, &s, &v), -EINVAL);
	sample_release(&s);
	pod_detector_release(&d);
}

static void pods_are_bounded_and_forgotten(void **state)
{
	struct pod_detector d;
	struct sample s;
	char name[32];
	(void)state;

	pod_detector_init(&d, 10);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		row(&s, name, T0 + i * MIN);
		observe(&d, &s);
	}
	assert_int_equal(pod_detector_npods(&d), 10);
	assert_int_equal(pod_detector_forget(&d, T0 + 5 * MIN), 5);
	assert_int_equal(pod_detector_npods(&d), 5);
	pod_detector_release(&d);
}

static void nodes_not_ready_unknown_or_under_pressure(void **state)
{
	struct sample rows[4];
	struct pod_node_verdict nv[4];
	struct pod_detector d;
	size_t n;
	(void)state;

	pod_detector_init(&d, 0);

	for (int i = 0; i < 4; i++)
		row(&rows[i], i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d", T0);
	sample_set_str(&rows[1].node, "node-1");
	rows[1].node_ready = 0;
	sample_set_str(&rows[2].node, "node-2");
	rows[2].node_ready = NAN;           /* Ready Unknown, and silent */
	rows[2].cpu_mcores = rows[2].mem_bytes = NAN;
	sample_set_str(&rows[3].node, "node-3");
	sample_set_str(&rows[3].node_conditions, "MemoryPressure");
	n = pod_detector_nodes(&d, rows, 4, nv, 4);
	pod_detector_release(&d);
	assert_int_equal(n, 4);
	assert_true(nv[0].v.probability < 0.7);
	assert_string_equal(nv[1].v.reason, "NotReady");
	assert_string_equal(nv[2].v.reason, "NodeStatusUnknown");
	assert_string_equal(nv[3].v.reason, "MemoryPressure");
	for (int i = 1; i < 4; i++) {
		assert_true(nv[i].v.probability >= 0.7);
		assert_int_equal(nv[i].v.type, AT_NODE);
	}
	for (int i = 0; i < 4; i++)
		sample_release(&rows[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_fits_in_4k),
		cmocka_unit_test(healthy_and_flat_series_never_alarm),
		cmocka_unit_test(short_burst_is_not_an_anomaly_but_a_lasting_one_is),
		cmocka_unit_test(throttling_at_the_limit),
		cmocka_unit_test(throttling_from_the_throttled_share),
		cmocka_unit_test(memory_leak_is_found_before_the_kill),
		cmocka_unit_test(one_pod_above_its_siblings),
		cmocka_unit_test(kubernetes_states_are_findings),
		cmocka_unit_test(restarts_rising_and_readiness_lost),
		cmocka_unit_test(network_errors_need_two_samples),
		cmocka_unit_test(persistence_follows_the_sample_spacing),
		cmocka_unit_test(bad_values_do_not_crash_or_poison),
		cmocka_unit_test(pods_are_bounded_and_forgotten),
		cmocka_unit_test(nodes_not_ready_unknown_or_under_pressure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

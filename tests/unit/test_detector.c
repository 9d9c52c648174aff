/* The per-pod detector (detect/detector.c): rules, statistics, the model
 * hook, bad input and the state budget. */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "detect/detector.h"
#include "detect/lstm.h"

static unsigned seed = 1;

static double noise(void)
{
	seed = seed * 1103515245u + 12345u;
	return (double)((seed >> 8) & 0xffff) / 65536.0 - 0.5;
}

static void normal(struct features *f, double jitter)
{
	features_clear(f);
	f->v[FEAT_CPU_MCORES] = 200 + 20 * jitter * noise();
	f->v[FEAT_CPU_PCT] = f->v[FEAT_CPU_MCORES] / 10;
	f->v[FEAT_MEM_BYTES] = 300e6 * (1 + 0.01 * jitter * noise());
	f->v[FEAT_MEM_PCT] = 40;
	f->v[FEAT_NET_RX_BPS] = 50000 * (1 + 0.1 * jitter * noise());
	f->v[FEAT_NET_TX_BPS] = 20000;
	f->v[FEAT_NET_ERRORS_PS] = 0;
	f->v[FEAT_NET_DROPPED_PS] = 0;
	f->v[FEAT_RESTARTS] = 2;
	f->v[FEAT_CONTAINERS_READY] = 1;
	f->v[FEAT_CONTAINERS_TOTAL] = 1;
	f->v[FEAT_NODE_READY] = 1;
	snprintf(f->phase, sizeof(f->phase), "Running");
}

static struct detector *make(const struct lstm *m, size_t max_pods)
{
	struct detector_opts o = { DETECTOR_DEFAULT_THRESHOLD, m, max_pods };
	struct detector *d;
	assert_int_equal(detector_new(&o, &d), 0);
	return d;
}

static void test_state_budget_and_flat_series(void **st)
{
	struct detector *d = make(NULL, 0);
	struct features f;
	struct verdict v;

	(void)st;
	assert_true(detector_pod_state_bytes() <= 4096);
	for (int i = 0; i < 3000; i++) {
		normal(&f, 0);          /* perfectly flat */
		assert_int_equal(detector_observe(d, "ns/flat", &f, i * 30000LL, &v), 0);
		assert_false(v.alert);
		assert_true(v.probability < 0.05);
		assert_int_equal(v.type, ANOM_NONE);
	}
	detector_free(d);
}

static void expect_rule(void (*edit)(struct features *), enum anomaly_type t, const char *metric)
{
	struct detector *d = make(NULL, 0);
	struct features f;
	struct verdict v;

	for (int i = 0; i < 100; i++) {
		normal(&f, 1);
		detector_observe(d, "ns/p", &f, i * 30000LL, &v);
		assert_false(v.alert);
	}
	normal(&f, 1);
	edit(&f);
	detector_observe(d, "ns/p", &f, 100 * 30000LL, &v);
	if (!v.alert || v.type != t)
		fail_msg("expected %s, got %s at %.3f", anomaly_type_name[t], anomaly_type_name[v.type],
			 v.probability);
	if (metric) {
		int found = 0;
		for (int i = 0; i < v.nsig; i++)
			found |= !strcmp(v.sig[i].metric, metric);
		assert_true(found);
	}
	detector_free(d);
}

static void e_crash(struct features *f) { snprintf(f->reason, sizeof(f->reason), "CrashLoopBackOff"); }
static void e_oom(struct features *f) { snprintf(f->reason, sizeof(f->reason), "OOMKilled"); }
static void e_pull(struct features *f) { snprintf(f->reason, sizeof(f->reason), "ImagePullBackOff"); }
static void e_sched(struct features *f)
{
	snprintf(f->phase, sizeof(f->phase), "Pending");
	snprintf(f->reason, sizeof(f->reason), "Unschedulable");
}
static void e_node(struct features *f) { f->v[FEAT_NODE_READY] = 0; }
static void e_disk(struct features *f) { snprintf(f->node_conditions, sizeof(f->node_conditions), "DiskPressure"); }
static void e_restart(struct features *f) { f->v[FEAT_RESTARTS] = 3; }
static void e_ready(struct features *f) { f->v[FEAT_CONTAINERS_READY] = 0; }
static void e_net(struct features *f) { f->v[FEAT_NET_ERRORS_PS] = 5; }
static void e_cpu(struct features *f) { f->v[FEAT_CPU_PCT] = 99; }

static void test_rules(void **st)
{
	(void)st;
	expect_rule(e_crash, ANOM_CRASH_LOOP, "restarts");
	expect_rule(e_oom, ANOM_OOM, "mem_pct");
	expect_rule(e_pull, ANOM_IMAGE_PULL, NULL);
	expect_rule(e_sched, ANOM_SCHEDULING, NULL);
	expect_rule(e_node, ANOM_NODE, "node_ready");
	expect_rule(e_disk, ANOM_IO, NULL);
	expect_rule(e_restart, ANOM_CRASH_LOOP, "restarts");
	expect_rule(e_ready, ANOM_PARTIAL_FAILURE, "containers_ready");
	expect_rule(e_net, ANOM_NETWORK, "net_errors_ps");
	expect_rule(e_cpu, ANOM_CPU_SATURATION, "cpu_pct");
}

static void test_memory_leak(void **st)
{
	struct detector *d = make(NULL, 0);
	struct features f;
	struct verdict v;
	int alerted = 0;

	(void)st;
	for (int i = 0; i < 200; i++) {
		normal(&f, 1);
		f.v[FEAT_MEM_PCT] = 40 + 0.3 * i;      /* steady growth */
		detector_observe(d, "ns/leak", &f, i * 30000LL, &v);
		if (v.alert) {
			assert_int_equal(v.type, ANOM_MEMORY_LEAK);
			alerted = 1;
		}
	}
	assert_true(alerted);
	detector_free(d);
}

static void test_spike_and_bad_input(void **st)
{
	struct detector *d = make(NULL, 0);
	struct features f;
	struct verdict v;

	(void)st;
	for (int i = 0; i < 300; i++) {
		normal(&f, 1);
		if (i % 7 == 0)
			f.v[FEAT_CPU_MCORES] = NAN;
		if (i % 11 == 0)
			f.v[FEAT_NET_RX_BPS] = INFINITY;
		if (i % 13 == 0)
			f.v[FEAT_MEM_BYTES] = -INFINITY;
		assert_int_equal(detector_observe(d, "ns/p", &f, i * 30000LL, &v), 0);
		assert_false(isnan(v.probability));
		assert_false(v.alert);
		/* a late sample, wildly off: scored, not learnt */
		normal(&f, 1);
		f.v[FEAT_CPU_MCORES] = 1e9;
		assert_int_equal(detector_observe(d, "ns/p", &f, i * 30000LL - 15000, &v), 0);
	}
	for (int i = 300; i < 320; i++) {       /* the baseline was not poisoned */
		normal(&f, 1);
		detector_observe(d, "ns/p", &f, i * 30000LL, &v);
		assert_true(v.probability < 0.3);
	}
	normal(&f, 1);
	f.v[FEAT_CPU_MCORES] = 900;
	detector_observe(d, "ns/p", &f, 320 * 30000LL, &v);
	assert_true(v.alert);
	assert_int_equal(v.type, ANOM_CPU_SATURATION);
	assert_string_equal(v.sig[0].metric, "cpu_mcores");
	assert_true(v.sig[0].value == 900);
	assert_true(v.sig[0].lo < 200 && v.sig[0].hi > 200 && v.sig[0].hi < 900);
	assert_int_equal(detector_observe(d, "", &f, 0, &v), -EINVAL);
	detector_free(d);
}

static void test_pod_limit(void **st)
{
	struct detector *d = make(NULL, 3);
	struct features f;
	struct verdict v;
	char key[32];

	(void)st;
	normal(&f, 1);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 50; i++) {
			snprintf(key, sizeof(key), "ns/p%d", i % 7);
			assert_int_equal(detector_observe(d, key, &f, round * 100 + i, &v), 0);
			assert_true(detector_pods(d) <= 3);
		}
	assert_int_equal(detector_pods(d), 3);
	detector_free(d);
}

static void test_threshold_precedence(void **st)
{
	double t;
	char err[128];

	(void)st;
	unsetenv("ANOMALY_THRESHOLD");
	unsetenv("THRESHOLD");
	assert_int_equal(detector_threshold(NULL, &t, err, sizeof(err)), 0);
	assert_true(t == 0.7);
	setenv("THRESHOLD", "0.6", 1);
	assert_int_equal(detector_threshold(NULL, &t, err, sizeof(err)), 0);
	assert_true(t == 0.6);
	setenv("ANOMALY_THRESHOLD", "0.5", 1);
	assert_int_equal(detector_threshold(NULL, &t, err, sizeof(err)), 0);
	assert_true(t == 0.5);
	assert_int_equal(detector_threshold("0.9", &t, err, sizeof(err)), 0);
	assert_true(t == 0.9);
	assert_int_equal(detector_threshold("2", &t, err, sizeof(err)), -EINVAL);
	setenv("ANOMALY_THRESHOLD", "high", 1);
	assert_int_equal(detector_threshold(NULL, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ANOMALY_THRESHOLD"));
	unsetenv("ANOMALY_THRESHOLD");
	unsetenv("THRESHOLD");
}

static void test_with_model(void **st)
{
	struct lstm_shape sh = { FEAT_MODEL_COUNT, 8, 1, FEAT_MODEL_COUNT, 8 };
	struct lstm m;
	struct detector_opts o = { 0.7, &m, 0 };
	struct detector *d;
	struct features f;
	struct verdict v;

	(void)st;
	assert_int_equal(lstm_init(&m, &sh, 3), 0);
	/* features named f0.. are not the detector's inputs */
	assert_int_equal(detector_new(&o, &d), -EINVAL);
	for (int i = 0; i < FEAT_MODEL_COUNT; i++) {
		free(m.feat[i]);
		m.feat[i] = strdup(feat_names[i]);
	}
	assert_int_equal(detector_new(&o, &d), 0);
	for (int i = 0; i < 500; i++) {
		normal(&f, 0);
		detector_observe(d, "ns/flat", &f, i * 30000LL, &v);
		assert_false(v.alert);
	}
	detector_free(d);
	lstm_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_budget_and_flat_series),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_memory_leak),
		cmocka_unit_test(test_spike_and_bad_input),
		cmocka_unit_test(test_pod_limit),
		cmocka_unit_test(test_threshold_precedence),
		cmocka_unit_test(test_with_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "sim/model.h"

#define MI (1048576.0)
#define T0 1795000000000LL /* any Unix ms will do */
#define SEC 1000LL

static const struct usage web_usage = { 0.2, 100 * MI, 200 * 1024, 150 * 1024 };
static const struct resources web_res = { 0.1, 0.5, 128 * MI, 256 * MI };
static const struct pod_effects calm = { .cpu_factor = 1 };

/* Events seen while advancing, flattened. */
struct seen {
	struct podsim_event ev[4096];
	int n;
};

static void advance(struct podsim *p, int64_t to, const struct pod_effects *fx,
		    struct seen *s)
{
	struct podsim_step st;
	podsim_advance(p, to, fx, &st);
	assert_int_equal(st.dropped, 0);
	for (int i = 0; s && i < st.nevents && s->n < 4096; i++)
		s->ev[s->n++] = st.events[i];
}

/* Runs from the pod's creation at T0 to T0+secs in 1 s steps. */
static void run(struct podsim *p, int64_t from_s, int64_t to_s,
		const struct pod_effects *fx, struct seen *s)
{
	for (int64_t t = from_s + 1; t <= to_s; t++)
		advance(p, T0 + t * SEC, fx, s);
}

/* The kubelet's k-th back-off, in seconds: 10 doubling up to 300. */
static int64_t backoff(int k)
{
	return k >= 5 ? 300 : 10LL << k;
}

static void check_sane(const struct podsim_metrics *m)
{
	const double v[] = { m->cpu_cores, m->mem_bytes, m->cpu_seconds,
			     m->fs_used_bytes, m->throttled_seconds };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(isfinite(v[i]) && v[i] >= 0);
}

static int find(const struct seen *s, enum podsim_event_kind k, int from);

static void small_footprint(void **state)
{
	(void)state;
	assert_true(podsim_size() < 256);
}

static void starts_after_creating(void **state)
{
	struct podsim *p = podsim_new(1, &web_usage, &web_res, T0);
	struct podsim_status s;
	struct seen ev = { .n = 0 };
	(void)state;
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_WAITING);
	assert_string_equal(s.reason, "ContainerCreating");
	assert_false(s.ready);
	run(p, 0, 5, &calm, &ev);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	assert_true(s.ready);
	assert_null(s.reason);
	assert_int_equal(s.restarts, 0);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.ev[0].kind, PEV_STARTED);
	assert_true(ev.ev[0].at_ms >= T0 + 1000 && ev.ev[0].at_ms <= T0 + 3000);
	assert_int_equal(s.started_ms, ev.ev[0].at_ms);
	podsim_free(p);
	podsim_free(NULL);
}

static void initial_pods_start_running(void **state)
{
	struct pod_effects fx = { .cpu_factor = 1, .crash = true };
	struct podsim *p = podsim_new_running(2, &web_usage, &web_res, T0);
	struct podsim_status s;
	struct podsim_metrics m;
	struct seen ev = { .n = 0 };
	(void)state;
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	assert_true(s.ready);
	assert_int_equal(s.started_ms, T0);
	assert_int_equal(s.restarts, 0);
	podsim_metrics(p, &m);
	assert_true(m.mem_bytes > 0.9 * 100 * MI && m.cpu_cores > 0);
	/* warm: memory is at its baseline from the first second */
	advance(p, T0 + SEC, &calm, &ev);
	podsim_metrics(p, &m);
	assert_true(m.mem_bytes > 0.8 * 100 * MI);
	assert_int_equal(ev.n, 0);
	/* and it lives the same life as any other pod: a crash is a restart */
	run(p, 1, 60, &fx, &ev);
	assert_true(find(&ev, PEV_CRASHED, 0) >= 0);
	podsim_status(p, &s);
	{
		int starts = 0;
		for (int i = 0; (i = find(&ev, PEV_STARTED, i)) >= 0; i++)
			starts++;
		assert_true(starts >= 1);
		assert_int_equal(s.restarts, starts);
	}
	podsim_free(p);
}

static void deterministic(void **state)
{
	struct podsim *a = podsim_new(99, &web_usage, &web_res, T0);
	struct podsim *b = podsim_new(99, &web_usage, &web_res, T0);
	struct podsim *c = podsim_new(100, &web_usage, &web_res, T0);
	struct podsim_metrics ma, mb, mc;
	bool differ = false;
	(void)state;
	for (int64_t t = 1; t <= 3600; t += 7) {
		struct podsim_step sa, sb, sc;
		podsim_advance(a, T0 + t * SEC, &calm, &sa);
		podsim_advance(b, T0 + t * SEC, &calm, &sb);
		podsim_advance(c, T0 + t * SEC, &calm, &sc);
		podsim_metrics(a, &ma);
		podsim_metrics(b, &mb);
		podsim_metrics(c, &mc);
		assert_memory_equal(&ma, &mb, sizeof(ma));
		assert_int_equal(sa.nevents, sb.nevents);
		differ |= ma.cpu_cores != mc.cpu_cores;
	}
	assert_true(differ);
	podsim_free(a);
	podsim_free(b);
	podsim_free(c);
}

/* Two days of a healthy pod: counters only rise, usage stays near its baseline. */
static void healthy_pod_counters_and_cycle(void **state)
{
	struct podsim *p = podsim_new(5, &web_usage, &web_res, T0);
	struct podsim_metrics prev, m;
	struct podsim_status s;
	double day_peak = 0, night = 0, cpu_sum = 0, mem_min = 1e18, mem_max = 0;
	int npeak = 0, nnight = 0, n = 0;
	(void)state;
	advance(p, T0 + 60 * SEC, &calm, NULL);
	podsim_metrics(p, &prev);
	for (int64_t t = 70; t <= 2 * 86400; t += 10) {
		int64_t now = T0 + t * SEC, hour = (now / 3600000) % 24;
		advance(p, now, &calm, NULL);
		podsim_metrics(p, &m);
		check_sane(&m);
		assert_true(m.cpu_seconds >= prev.cpu_seconds);
		assert_true(m.rx_bytes >= prev.rx_bytes && m.tx_bytes >= prev.tx_bytes);
		assert_true(m.rx_errors == 0 && m.rx_dropped == 0);
		assert_true(m.throttled_seconds >= prev.throttled_seconds);
		assert_true(m.fs_used_bytes >= prev.fs_used_bytes);
		if (hour >= 13 && hour < 16) {
			day_peak += m.cpu_cores;
			npeak++;
		} else if (hour >= 1 && hour < 4) {
			night += m.cpu_cores;
			nnight++;
		}
		cpu_sum += m.cpu_cores;
		n++;
		mem_min = fmin(mem_min, m.mem_bytes);
		mem_max = fmax(mem_max, m.mem_bytes);
		prev = m;
	}
	podsim_status(p, &s);
	assert_int_equal(s.restarts, 0);
	assert_int_equal(s.state, CS_RUNNING);
	/* The daily cycle shows, the average is the baseline, memory wanders mildly. */
	assert_true(day_peak / npeak > 1.1 * (night / nnight));
	assert_true(fabs(cpu_sum / n - 0.2) < 0.2 * 0.25);
	assert_true(mem_min > 0.75 * 100 * MI && mem_max < 1.25 * 100 * MI);
	assert_true(mem_max - mem_min > 1 * MI);
	/* cpu seconds integrate the usage; network about usage.rx per second */
	assert_true(fabs(m.cpu_seconds / (2 * 86400.0 - 60) - cpu_sum / n) < 0.02);
	assert_true(fabs((double)m.rx_bytes / (2 * 86400.0) - 200 * 1024) < 200 * 1024 * 0.25);
	podsim_free(p);
}

static int find(const struct seen *s, enum podsim_event_kind k, int from)
{
	for (int i = from; i < s->n; i++)
		if (s->ev[i].kind == k)
			return i;
	return -1;
}

static void leak_ooms_near_prediction(void **state)
{
	const double rate = 1 * MI;
	struct pod_effects fx = { .cpu_factor = 1, .leak_bps = rate };
	struct podsim *p = podsim_new(11, &web_usage, &web_res, T0);
	struct podsim_metrics before, m;
	struct podsim_status s;
	struct seen ev = { .n = 0 };
	double predicted = (256 * MI - 100 * MI) / rate, took;
	int i0, ioom, i1;
	(void)state;
	run(p, 0, 400, &fx, &ev);
	i0 = find(&ev, PEV_STARTED, 0);
	ioom = find(&ev, PEV_OOM_KILLED, 0);
	assert_true(i0 >= 0 && ioom > i0);
	took = (double)(ev.ev[ioom].at_ms - ev.ev[i0].at_ms) / 1000;
	assert_true(fabs(took - predicted) < 0.15 * predicted);
	/* restarted after the first back-off (10 s), with the leak gone */
	i1 = find(&ev, PEV_STARTED, ioom);
	assert_true(i1 > ioom);
	assert_int_equal(ev.ev[i1].at_ms - ev.ev[ioom].at_ms, 10 * SEC);
	podsim_status(p, &s);
	assert_int_equal(s.restarts, 1 + (find(&ev, PEV_OOM_KILLED, i1) > 0));
	assert_string_equal(s.last_reason, "OOMKilled");
	assert_int_equal(s.exit_code, 137);

	/*
	 * The leak stops: what leaked stays until a restart, but grows no more,
	 * so no more kills; pod network counters go on.
	 */
	podsim_metrics(p, &before);
	ev.n = 0;
	run(p, 400, 2000, &calm, &ev);
	assert_int_equal(find(&ev, PEV_OOM_KILLED, 0), -1);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	podsim_metrics(p, &m);
	assert_true(m.mem_bytes < 256 * MI);
	assert_true(m.rx_bytes > before.rx_bytes);
	podsim_free(p);

	/* The status during the back-off, second by second. */
	p = podsim_new(11, &web_usage, &web_res, T0);
	ev.n = 0;
	for (int64_t t = 1; t < 400 && find(&ev, PEV_OOM_KILLED, 0) < 0; t++)
		advance(p, T0 + t * SEC, &fx, &ev);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_TERMINATED);
	assert_string_equal(s.reason, "OOMKilled");
	assert_int_equal(s.exit_code, 137);
	assert_false(s.ready);
	podsim_metrics(p, &m);
	assert_true(m.mem_bytes == 0 && m.cpu_cores == 0);
	advance(p, ev.ev[ev.n - 1].at_ms + 3 * SEC, &fx, &ev);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_WAITING);
	assert_string_equal(s.reason, "CrashLoopBackOff");
	assert_string_equal(s.last_reason, "OOMKilled");
	assert_int_equal(ev.ev[ev.n - 1].kind, PEV_BACKOFF);
	/* The restart takes the leaked memory away. */
	run(p, (ev.ev[ev.n - 1].at_ms - T0) / SEC, (ev.ev[ev.n - 1].at_ms - T0) / SEC + 15, &fx, &ev);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	assert_int_equal(s.restarts, 1);
	podsim_metrics(p, &m);
	assert_true(m.mem_bytes < 120 * MI);
	assert_true(m.cpu_seconds < 6 * 0.5);
	podsim_free(p);
}

static void crash_loop_backoff(void **state)
{
	struct pod_effects fx = { .cpu_factor = 1, .crash = true };
	struct podsim *p = podsim_new(3, &web_usage, &web_res, T0);
	struct podsim_status s;
	struct podsim_metrics m;
	struct seen ev = { .n = 0 };
	int i = 0, k = 0, crashes = 0;
	bool saw_backoff = false;
	(void)state;
	for (int64_t t = 1; t <= 3000; t++) {
		advance(p, T0 + t * SEC, &fx, &ev);
		podsim_status(p, &s);
		if (s.state == CS_WAITING && s.reason && !strcmp(s.reason, "CrashLoopBackOff")) {
			saw_backoff = true;
			assert_string_equal(s.last_reason, "Error");
			assert_false(s.ready);
		}
	}
	assert_true(saw_backoff);
	/* started, crashed (after 3-30 s), back-off, started ... */
	while ((i = find(&ev, PEV_CRASHED, i)) >= 0) {
		int st = find(&ev, PEV_STARTED, i);
		int prev = i;
		while (prev >= 0 && ev.ev[prev].kind != PEV_STARTED)
			prev--;
		assert_true(prev >= 0);
		assert_true(ev.ev[i].at_ms - ev.ev[prev].at_ms >= 3 * SEC);
		assert_true(ev.ev[i].at_ms - ev.ev[prev].at_ms <= 30 * SEC);
		crashes++;
		if (st < 0)
			break;
		assert_int_equal(ev.ev[st].at_ms - ev.ev[i].at_ms, backoff(k) * SEC);
		k++;
		i = st;
	}
	assert_true(k >= 6);
	podsim_status(p, &s);
	assert_int_equal(s.restarts, k);
	assert_int_equal(s.exit_code, 1);

	/* The fault ends: the next start runs on; ten fine minutes reset the back-off. */
	run(p, 3000, 3400, &calm, NULL);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	ev.n = 0;
	run(p, 3400, 4400, &calm, &ev);
	assert_int_equal(ev.n, 0);
	podsim_metrics(p, &m);
	assert_true(m.cpu_seconds > 0);
	run(p, 4400, 4500, &fx, &ev);
	i = find(&ev, PEV_CRASHED, 0);
	assert_true(i >= 0);
	assert_int_equal(ev.ev[find(&ev, PEV_STARTED, i)].at_ms - ev.ev[i].at_ms, 10 * SEC);
	(void)crashes;
	podsim_free(p);
}

static void image_pull_never_runs(void **state)
{
	struct pod_effects fx = { .cpu_factor = 1, .image_pull = true };
	struct podsim *p = podsim_new(4, &web_usage, &web_res, T0);
	struct podsim_status s;
	struct podsim_metrics m;
	struct seen ev = { .n = 0 };
	int k = 0, last = -1;
	(void)state;
	for (int64_t t = 1; t <= 3600; t++) {
		advance(p, T0 + t * SEC, &fx, &ev);
		podsim_status(p, &s);
		assert_int_equal(s.state, CS_WAITING);
		assert_false(s.ready);
		assert_int_equal(s.restarts, 0);
		if (t > 3)
			assert_true(!strcmp(s.reason, "ErrImagePull") ||
				    !strcmp(s.reason, "ImagePullBackOff"));
	}
	assert_int_equal(find(&ev, PEV_STARTED, 0), -1);
	for (int i = 0; (i = find(&ev, PEV_PULL_FAILED, i)) >= 0; i++) {
		if (last >= 0) {
			assert_int_equal(ev.ev[i].at_ms - ev.ev[last].at_ms, backoff(k) * SEC);
			k++;
		}
		last = i;
	}
	assert_true(k >= 6);
	podsim_metrics(p, &m);
	assert_true(m.cpu_seconds == 0 && m.rx_bytes == 0 && m.mem_bytes == 0);
	/* A pullable image (the fault cured): the next attempt starts it. */
	ev.n = 0;
	run(p, 3600, 3600 + 301, &calm, &ev);
	assert_true(find(&ev, PEV_STARTED, 0) >= 0);
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	assert_int_equal(s.restarts, 0);
	podsim_free(p);
}

static void throttled_at_the_limit(void **state)
{
	struct pod_effects fx = { .cpu_factor = 10 };
	struct podsim *p = podsim_new(8, &web_usage, &web_res, T0);
	struct podsim_metrics m0, m;
	int at_limit = 0, n = 0;
	(void)state;
	run(p, 0, 60, &calm, NULL);
	podsim_metrics(p, &m0);
	for (int64_t t = 61; t <= 3600; t++) {
		advance(p, T0 + t * SEC, &fx, NULL);
		podsim_metrics(p, &m);
		assert_true(m.cpu_cores <= 0.5 + 1e-6);
		at_limit += m.cpu_cores > 0.5 - 1e-6;
		n++;
	}
	assert_true(at_limit > n * 9 / 10);
	/* about half a core for the hour; throttled about (demand - limit) */
	assert_true(fabs((m.cpu_seconds - m0.cpu_seconds) / 3540 - 0.5) < 0.01);
	assert_true((m.throttled_seconds - m0.throttled_seconds) / 3540 > 1.0);
	/* A spike without a limit is not capped. */
	{
		struct resources nolim = web_res;
		struct podsim *q;
		nolim.cpu_limit = 0;
		q = podsim_new(8, &web_usage, &nolim, T0);
		run(q, 0, 600, &fx, NULL);
		podsim_metrics(q, &m);
		assert_true(m.cpu_cores > 1.0);
		assert_true(m.throttled_seconds == 0);
		podsim_free(q);
	}
	podsim_free(p);
}

static void network_faults_count(void **state)
{
	struct pod_effects fx = { .cpu_factor = 1, .rx_err_ps = 5, .tx_err_ps = 2.5,
				  .rx_drop_ps = 20, .tx_drop_ps = 0.5 };
	struct podsim *p = podsim_new(9, &web_usage, &web_res, T0);
	struct podsim_metrics m0, m;
	(void)state;
	run(p, 0, 10, &calm, NULL);
	podsim_metrics(p, &m0);
	assert_true(m0.rx_errors == 0);
	run(p, 10, 1010, &fx, NULL);
	podsim_metrics(p, &m);
	assert_true(llabs((long long)m.rx_errors - 5000) <= 1);
	assert_true(llabs((long long)m.tx_errors - 2500) <= 1);
	assert_true(llabs((long long)m.rx_dropped - 20000) <= 1);
	assert_true(llabs((long long)m.tx_dropped - 500) <= 1);
	podsim_free(p);
}

static void node_down_freezes(void **state)
{
	struct pod_effects down = { .cpu_factor = 1, .node_down = true, .crash = true };
	struct podsim *p = podsim_new(10, &web_usage, &web_res, T0);
	struct podsim_metrics a, b;
	struct podsim_status s;
	struct podsim_step st;
	(void)state;
	run(p, 0, 100, &calm, NULL);
	podsim_metrics(p, &a);
	for (int64_t t = 101; t <= 1000; t += 10) {
		podsim_advance(p, T0 + t * SEC, &down, &st);
		assert_int_equal(st.nevents, 0);
		assert_false(st.status_changed);
	}
	podsim_metrics(p, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	podsim_status(p, &s);
	assert_int_equal(s.state, CS_RUNNING);
	run(p, 1000, 1100, &calm, NULL);
	podsim_metrics(p, &b);
	assert_true(b.cpu_seconds > a.cpu_seconds + 5);
	podsim_free(p);
}

static void hostile_inputs(void **state)
{
	struct usage u = { -1, NAN, INFINITY, 5 };
	struct resources r = { NAN, -3, 0, 0 };
	struct pod_effects fx = { .cpu_factor = NAN, .leak_bps = INFINITY,
				  .rx_err_ps = -5, .tx_drop_ps = NAN };
	struct podsim *p = podsim_new(0, &u, &r, T0);
	struct podsim_metrics m;
	struct podsim_step st;
	(void)state;
	run(p, 0, 100, &fx, NULL);
	podsim_metrics(p, &m);
	check_sane(&m);
	/* Backwards and equal times are no-ops. */
	podsim_advance(p, T0, &fx, &st);
	assert_int_equal(st.nevents, 0);
	assert_false(st.status_changed);
	podsim_advance(p, T0 + 101 * SEC, NULL, &st);
	podsim_metrics(p, &m);
	check_sane(&m);
	podsim_free(p);

	/* A zeroed pod_effects is no effect at all, not a CPU factor of 0. */
	{
		struct pod_effects zero;
		memset(&zero, 0, sizeof(zero));
		p = podsim_new(0, &web_usage, &web_res, T0);
		run(p, 0, 120, &zero, NULL);
		podsim_metrics(p, &m);
		assert_true(m.cpu_cores > 0.1 && m.cpu_cores < 0.35);
		assert_true(m.cpu_seconds > 10);
		podsim_free(p);
	}
}

/* A day advanced at once: the events past the cap are counted, not lost silently. */
static void long_jump(void **state)
{
	struct pod_effects fx = { .cpu_factor = 1, .crash = true };
	struct podsim *p = podsim_new(12, &web_usage, &web_res, T0);
	struct podsim_step st;
	struct podsim_status s;
	(void)state;
	podsim_advance(p, T0 + 86400 * SEC, &fx, &st);
	assert_int_equal(st.nevents, PODSIM_MAX_EVENTS);
	assert_true(st.dropped > 0);
	assert_true(st.status_changed);
	podsim_status(p, &s);
	/* about 86400 / (300 + ~16) restarts */
	assert_true(s.restarts > 250 && s.restarts < 300);
	podsim_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_footprint),
		cmocka_unit_test(starts_after_creating),
		cmocka_unit_test(initial_pods_start_running),
		cmocka_unit_test(deterministic),
		cmocka_unit_test(healthy_pod_counters_and_cycle),
		cmocka_unit_test(leak_ooms_near_prediction),
		cmocka_unit_test(crash_loop_backoff),
		cmocka_unit_test(image_pull_never_runs),
		cmocka_unit_test(throttled_at_the_limit),
		cmocka_unit_test(network_faults_count),
		cmocka_unit_test(node_down_freezes),
		cmocka_unit_test(hostile_inputs),
		cmocka_unit_test(long_jump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "testutil.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "metrics/cadvisor.h"

struct got {
	int n;
	char ns[64], pod[64];
	double rx, tx;
	int64_t ts;
};

static void on_pod(void *ctx, const struct cadvisor_drops *d)
{
	struct got *g = ctx;

	if (!strcmp(d->pod, "web-1")) {
		snprintf(g->ns, sizeof(g->ns), "%s", d->namespace);
		snprintf(g->pod, sizeof(g->pod), "%s", d->pod);
		g->rx = d->rx;
		g->tx = d->tx;
		g->ts = d->ts_ms;
	}
	g->n++;
}

struct thr {
	double thr_p, per, thr_s;
};

static void on_thr(void *ctx, const struct cadvisor_drops *d)
{
	struct thr *t = ctx;

	if (!strcmp(d->pod, "api-1")) {
		t->thr_p = d->thr_periods;
		t->per = d->periods;
		t->thr_s = d->thr_seconds;
	}
}

/* CPU throttling counters are summed over containers; a pod without them reads NaN. */
static void reads_cfs_throttling(void **state)
{
	const char *text =
		"container_cpu_cfs_periods_total{container=\"a\",namespace=\"shop\",pod=\"api-1\"} 1000 1\n"
		"container_cpu_cfs_periods_total{container=\"b\",namespace=\"shop\",pod=\"api-1\"} 500 1\n"
		"container_cpu_cfs_throttled_periods_total{container=\"a\",namespace=\"shop\",pod=\"api-1\"} 750 1\n"
		"container_cpu_cfs_throttled_seconds_total{container=\"a\",namespace=\"shop\",pod=\"api-1\"} 42.5 1\n"
		"container_cpu_cfs_periods_total_x{namespace=\"shop\",pod=\"api-1\"} 9\n";
	struct thr t = { 0, 0, 0 };
	char err[128];
	(void)state;
	assert_int_equal(cadvisor_parse_drops(text, strlen(text), on_thr, &t, err, sizeof(err)), 1);
	assert_true(t.per == 1500);
	assert_true(t.thr_p == 750);
	assert_true(t.thr_s == 42.5);
}

static void sums_interfaces_and_reads_timestamps(void **state)
{
	const char *text =
		"# HELP container_network_receive_packets_dropped_total Cumulative count.\n"
		"# TYPE container_network_receive_packets_dropped_total counter\n"
		"container_network_receive_packets_dropped_total{container=\"POD\",interface=\"eth0\",namespace=\"shop\",pod=\"web-1\"} 10 1700000000000\n"
		"container_network_receive_packets_dropped_total{interface=\"eth1\",namespace=\"shop\",pod=\"web-1\"} 5 1700000001000\n"
		"container_network_transmit_packets_dropped_total{namespace=\"shop\",pod=\"web-1\",name=\"a\\\"b\"} 7\n"
		"container_network_receive_packets_dropped_total_other{namespace=\"shop\",pod=\"x\"} 1\n"
		"container_network_receive_bytes_total{namespace=\"shop\",pod=\"web-2\"} 99\n"
		"container_network_receive_packets_dropped_total{namespace=\"shop\",pod=\"web-3\"} NaN\n"
		"container_network_receive_packets_dropped_total{namespace=\"shop\",pod=\"web-4\"} -3\n"
		"container_network_receive_packets_dropped_total{namespace=\"shop\",pod=\"web-5\" 3\n"
		"container_network_receive_packets_dropped_total{pod=\"nons\"} 3\n";
	struct got g = { 0 };
	char err[128];
	(void)state;

	assert_int_equal(cadvisor_parse_drops(text, strlen(text), on_pod, &g, err, sizeof(err)), 1);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ns, "shop");
	assert_string_equal(g.pod, "web-1");
	assert_true(g.rx == 15);
	assert_true(g.tx == 7);
	assert_true(g.ts == 1700000001000LL);
}

static void missing_and_empty(void **state)
{
	const char *text = "container_network_transmit_packets_dropped_total{namespace=\"a\",pod=\"web-1\"} 2\n";
	struct got g = { 0 };
	char err[128];
	(void)state;

	assert_int_equal(cadvisor_parse_drops(text, strlen(text), on_pod, &g, err, sizeof(err)), 1);
	assert_true(isnan(g.rx));
	assert_true(g.tx == 2);
	assert_true(g.ts == 0);
	g.n = 0;
	assert_int_equal(cadvisor_parse_drops("", 0, on_pod, &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 0);
	/* a partial last line without a newline still counts */
	text = "container_network_receive_packets_dropped_total{namespace=\"a\",pod=\"web-1\"} 4";
	assert_int_equal(cadvisor_parse_drops(text, strlen(text), on_pod, &g, err, sizeof(err)), 1);
	assert_true(g.rx == 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums_interfaces_and_reads_timestamps),
		cmocka_unit_test(reads_cfs_throttling),
		cmocka_unit_test(missing_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

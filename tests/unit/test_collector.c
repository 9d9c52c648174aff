#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "httpstub.h"
#include "metrics/collect_config.h"
#include "metrics/collector.h"
#include "metrics/prom.h"

#define FIX "tests/fixtures/kube/"

struct cluster {
	bool metrics_missing, prom_down;
	int summaries;                  /* summary requests answered so far */
	bool hold_pods;                 /* the pod list waits for node-1's summary request */
	bool asked_while_listing;       /* ... which came while it waited */
};

static void list_of(struct stub_resp *r, const char *kind, const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *fa = a ? stub_read_file(a, &la) : NULL, *fb = b ? stub_read_file(b, &lb) : NULL;
	size_t n = la + lb + 200;

	r->status = 200;
	r->body = malloc(n);
	snprintf(r->body, n, "{\"kind\":\"%s\",\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[%s%s%s]}",
		 kind, fa ? fa : "", fa && fb ? "," : "", fb ? fb : "");
	r->len = strlen(r->body);
	free(fa);
	free(fb);
}

/* Network counters of the web pod: 10 s apart, +1000 rx bytes/s, then a reset. */
static void summary(struct stub_resp *r, int k)
{
	static const double rx[] = { 2048000, 2058000, 500 };
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"node\":{\"nodeName\":\"node-1\"},\"pods\":[{\"podRef\":{\"name\":\"web-7d4b9c8f6-x2x9q\","
		 "\"namespace\":\"shop\"},\"network\":{\"time\":\"2026-11-24T04:00:%02dZ\",\"rxBytes\":%.0f,"
		 "\"txBytes\":%d,\"rxErrors\":3,\"txErrors\":%d},\"ephemeral-storage\":{\"usedBytes\":57344}}]}",
		 k * 10, rx[k < 3 ? k : 2], 1000 + k * 500, 1 + k);
	stub_text(r, 200, body);
}

static void api(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	struct cluster *c = (struct cluster *)s->ctx;
	const char *p = req->path;

	if (stub_arg(req, "watch")) {
		stub_text(r, 200, "");
	} else if (!strcmp(p, "/api/v1/pods")) {
		/* A pod list slower than the nodes': the first cycle's node
		 * requests are not to wait for it (bounded: without them, the list
		 * answers after 20 s and the check below fails). */
		for (int i = 0; c->hold_pods && i < 2000; i++) {
			if (stub_count(s, "GET /api/v1/nodes/node-1/proxy/stats/summary")) {
				c->asked_while_listing = true;
				break;
			}
			usleep(10000);
		}
		c->hold_pods = false;
		list_of(r, "PodList", FIX "pod-running.json", FIX "pod-crashloop.json");
	} else if (!strcmp(p, "/api/v1/nodes")) {
		list_of(r, "NodeList", FIX "node.json", NULL);
	} else if (!strcmp(p, "/api/v1/events")) {
		list_of(r, "EventList", FIX "event.json", NULL);
	} else if (!strcmp(p, "/apis/apps/v1/replicasets")) {
		list_of(r, "ReplicaSetList", FIX "replicaset.json", NULL);
	} else if (!strcmp(p, "/apis/autoscaling/v2/horizontalpodautoscalers")) {
		/* web's HPA, and one whose target is another namespace's web */
		stub_text(r, 200, "{\"kind\":\"HorizontalPodAutoscalerList\",\"apiVersion\":\"autoscaling/v2\","
			  "\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
			  "{\"metadata\":{\"name\":\"other\",\"namespace\":\"elsewhere\"},\"spec\":{"
			  "\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web\"}}},"
			  "{\"metadata\":{\"name\":\"web-hpa\",\"namespace\":\"shop\"},\"spec\":{"
			  "\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web\"},"
			  "\"minReplicas\":2,\"maxReplicas\":6}}]}");
	} else if (!strcmp(p, "/apis/metrics.k8s.io/v1beta1/pods") && !c->metrics_missing) {
		stub_file(r, 200, FIX "podmetrics-list.json");
	} else if (!strcmp(p, "/api/v1/nodes/node-1/proxy/stats/summary")) {
		summary(r, c->summaries++);
	} else if (!strcmp(p, "/api/v1/nodes/node-0/proxy/stats/summary")) {
		stub_text(r, 502, "{\"kind\":\"Status\",\"code\":502,\"message\":\"node-0 unreachable\"}");
	} else if (!strcmp(p, "/api/v1/query")) {
		const char *q = stub_arg(req, "query");
		if (c->prom_down)
			stub_text(r, 503, "down");
		else if (strstr(q, "receive_packets_dropped"))
			stub_text(r, 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
				  "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"web-7d4b9c8f6-x2x9q\"},\"value\":[1795492800,\"2.5\"]},"
				  "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"gone\"},\"value\":[1795492800,\"9\"]},"
				  "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"api-5c9f7b6d8-k8m2p\"},\"value\":[1795492800,\"NaN\"]}]}}");
		else if (strstr(q, "transmit_packets_dropped"))
			stub_text(r, 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}");
		else if (strstr(q, "queue_depth"))
			stub_text(r, 200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
				  "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"web-7d4b9c8f6-x2x9q\",\"c\":\"a\"},\"value\":[1795492800,\"3\"]},"
				  "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"web-7d4b9c8f6-x2x9q\",\"c\":\"b\"},\"value\":[1795492800,\"4\"]}]}}");
		else
			stub_text(r, 400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}");
	}
}

static struct kube_config config_for(const struct stub *s)
{
	struct kube_config k;
	char url[64];
	memset(&k, 0, sizeof(k));
	stub_url(s, "", url, sizeof(url));
	k.server = strdup(url);
	k.user = strdup("t");
	k.context = strdup("t");
	return k;
}

static const char *notices(const struct collector *c, struct buf *b)
{
	buf_reset(b);
	for (size_t i = 0; i < c->notices.n; i++)
		buf_addf(b, "%s\n", c->notices.v[i]);
	return b->data ? b->data : "";
}

static void rows_from_every_source(void **state)
{
	struct cluster cl = { false, false, 0, true, false };
	struct collect_config cc;
	struct collector_opts o;
	struct collector col;
	struct kube_config k;
	struct stub s;
	struct sample *rows;
	struct buf nb = BUF_INIT;
	size_t n;
	char err[512], purl[64];
	(void)state;

	memset(&cc, 0, sizeof(cc));
	assert_int_equal(collect_config_add_metric(&cc, "queue_depth", err, sizeof(err)), 0);
	assert_int_equal(stub_start(&s, api, &cl), 0);
	k = config_for(&s);
	stub_url(&s, "", purl, sizeof(purl));
	memset(&o, 0, sizeof(o));
	o.kube = &k;
	o.interval_ms = 10000;
	o.prom_url = purl;
	o.custom = cc.custom;
	o.ncustom = cc.ncustom;
	assert_int_equal(collector_init(&col, &o, err, sizeof(err)), 0);

	assert_int_equal(collector_cycle(&col, &rows, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	/* sorted: api-... before web-... */
	assert_string_equal(rows[0].pod, "api-5c9f7b6d8-k8m2p");
	assert_string_equal(rows[0].reason, "CrashLoopBackOff");
	assert_string_equal(rows[0].owner_kind, "ReplicaSet"); /* its ReplicaSet is unknown (404) */
	assert_true(rows[0].warning_events == 0); /* its event is older than one interval */
	assert_string_equal(rows[0].last_event_reason, "BackOff");
	assert_true(rows[0].cpu_mcores == 0);
	assert_true(isnan(rows[0].net_rx_dropped_ps)); /* NaN from Prometheus is not a value */
	assert_true(isnan(rows[0].cpu_pct) == false); /* 0 of its 200m request */
	assert_true(isnan(rows[0].mem_pct));          /* no memory request or limit */

	assert_string_equal(rows[1].pod, "web-7d4b9c8f6-x2x9q");
	assert_string_equal(rows[1].owner_kind, "Deployment");
	assert_string_equal(rows[1].owner_name, "web");
	assert_string_equal(rows[1].hpa_name, "web-hpa"); /* its namespace's HPA on Deployment web */
	assert_null(rows[0].hpa_name);                    /* none scales its owner */
	assert_true(fabs(rows[1].cpu_mcores - 125.345678) < 1e-6);
	assert_true(fabs(rows[1].cpu_pct - 12.5345678) < 1e-6); /* of the 1000m limit */
	assert_true(rows[1].mem_bytes == 104857600.0 + 20 * 1048576.0);
	assert_true(rows[1].restarts == 2);
	assert_true(rows[1].node_ready == 1);
	assert_string_equal(rows[1].node_conditions, "MemoryPressure");
	assert_true(isnan(rows[1].net_rx_bps)); /* the first reading has no rate */
	assert_true(rows[1].fs_used_bytes == 57344);
	assert_true(rows[1].net_rx_dropped_ps == 2.5);
	assert_true(isnan(rows[1].net_tx_dropped_ps)); /* no series */
	assert_int_equal(rows[1].ncustom, 1);
	assert_true(rows[1].custom[0] == 7); /* two series of one pod add up */
	assert_non_null(strstr(notices(&col, &nb), "pods on 1 of 2 nodes"));
	assert_non_null(strstr(notices(&col, &nb), "node-0 unreachable"));
	/* node-1 (Ready in the node list) was asked while the pods listed,
	 * node-0 (not in it) by the cycle (its 502 above): node-1 and the
	 * metrics list once each, not again by the cycle */
	assert_true(cl.asked_while_listing);
	assert_int_equal(cl.summaries, 1);
	assert_int_equal(stub_count(&s, "GET /apis/metrics.k8s.io/v1beta1/pods"), 1);
	strvec_clear(&col.notices);
	collector_rows_free(rows, n);

	/* Second cycle: rates from the kubelet's timestamps (10 s apart). */
	assert_int_equal(collector_cycle(&col, &rows, &n, err, sizeof(err)), 0);
	assert_true(rows[1].net_rx_bps == 1000);
	assert_true(rows[1].net_tx_bps == 50);
	assert_true(rows[1].net_rx_errors_ps == 0);
	assert_true(rows[1].net_tx_errors_ps == 0.1);
	assert_int_equal(col.notices.n, 0); /* said once */
	collector_rows_free(rows, n);

	/* Third: the rx counter went down (a reset): its rate counts from zero. */
	cl.prom_down = true;
	cl.metrics_missing = true;
	assert_int_equal(collector_cycle(&col, &rows, &n, err, sizeof(err)), 0);
	assert_true(rows[1].net_rx_bps == 50);
	assert_true(isnan(rows[1].cpu_mcores));
	assert_true(isnan(rows[1].net_rx_dropped_ps));
	assert_true(isnan(rows[1].custom[0]));
	assert_non_null(strstr(notices(&col, &nb), "metrics API (metrics.k8s.io) is not available"));
	assert_non_null(strstr(notices(&col, &nb), "Prometheus columns stay empty"));
	strvec_clear(&col.notices);
	collector_rows_free(rows, n);
	assert_int_equal(collector_cycle(&col, &rows, &n, err, sizeof(err)), 0);
	assert_int_equal(col.notices.n, 0);
	assert_string_equal(rows[1].hpa_name, "web-hpa");
	collector_rows_free(rows, n);
	/* HPAs are listed every 30 s, not every cycle */
	assert_int_equal(stub_count(&s, "GET /apis/autoscaling/v2/horizontalpodautoscalers"), 1);

	collector_release(&col);
	collect_config_release(&cc);
	kube_config_release(&k);
	buf_release(&nb);
	stub_stop(&s);
}

static void config_file_and_metric_flags(void **state)
{
	struct collect_config cc;
	char err[512];
	FILE *f;
	char *dir = test_tmpdir(), path[256];
	(void)state;

	snprintf(path, sizeof(path), "%s/prometheus.yaml", dir);
	f = fopen(path, "w");
	fputs("prometheus:\n  enabled: true\n  url: http://127.0.0.1:9\n  timeout: 5s\n"
	      "  custom_metrics:\n    - name: restarts_total\n      query: sum by (namespace, pod) (x)\n"
	      "collect:\n  interval: 1m\n  namespace: shop\n  rotate_size: 10Mi\n", f);
	fclose(f);
	memset(&cc, 0, sizeof(cc));
	assert_int_equal(collect_config_load(&cc, path, err, sizeof(err)), 0);
	assert_true(cc.prom_enabled);
	assert_string_equal(cc.prom_url, "http://127.0.0.1:9");
	assert_int_equal(cc.prom_timeout_ms, 5000);
	assert_int_equal(cc.interval_ms, 60000);
	assert_string_equal(cc.namespace, "shop");
	assert_int_equal(cc.rotate_bytes, 10u << 20);
	assert_int_equal(cc.ncustom, 1);
	assert_int_equal(collect_config_add_metric(&cc, "up", err, sizeof(err)), 0);
	assert_string_equal(cc.custom[1].query, "sum by (namespace, pod) (up{%s})");
	assert_int_equal(collect_config_add_metric(&cc, "x=rate(y[1m])", err, sizeof(err)), 0);
	assert_string_equal(cc.custom[2].query, "rate(y[1m])");
	assert_int_equal(collect_config_add_metric(&cc, "cpu_mcores", err, sizeof(err)), -EINVAL);
	assert_int_equal(collect_config_add_metric(&cc, "up", err, sizeof(err)), -EINVAL);
	assert_int_equal(collect_config_add_metric(&cc, "bad name", err, sizeof(err)), -EINVAL);
	collect_config_release(&cc);

	f = fopen(path, "w");
	fputs("prometheus:\n  enabled: maybe\n", f);
	fclose(f);
	memset(&cc, 0, sizeof(cc));
	assert_int_equal(collect_config_load(&cc, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prometheus.yaml:2:12: enabled must be true or false"));
	collect_config_release(&cc);
	assert_int_equal(collect_config_load(&cc, "/nonexistent/p.yaml", err, sizeof(err)), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	free(dir);
}

static void prometheus_answers_parse(void **state)
{
	struct prom_result r;
	char err[256];
	const char *ok = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
			 "{\"metric\":{\"namespace\":\"a\",\"pod_name\":\"p\"},\"value\":[1.5,\"+Inf\"]},"
			 "{\"metric\":{\"namespace\":\"a\",\"pod\":\"q\"},\"value\":[1.5,\"0.25\"]},"
			 "{\"metric\":{\"job\":\"x\"},\"value\":[1.5,\"1\"]}]}}";
	const char *bad = "{\"status\":\"error\",\"error\":\"1:5: parse error\"}";
	(void)state;

	assert_int_equal(prom_parse(ok, strlen(ok), &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].pod, "q");
	assert_true(r.v[0].value == 0.25);
	assert_int_equal(r.skipped, 2);
	prom_result_release(&r);
	assert_int_equal(prom_parse(bad, strlen(bad), &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "parse error"));
	assert_int_equal(prom_parse(ok, 40, &r, err, sizeof(err)), -EBADMSG);
}

/* The wait before a cycle whose stamp would share the last one's second. */
static void next_cycle_waits_for_a_new_second(void **state)
{
	struct collector c;
	(void)state;

	memset(&c, 0, sizeof(c));
	assert_int_equal(collector_stamp_wait_ms(&c, 1000, 5000250), 0);       /* no rows yet */
	c.stats.stamp_ms = 5000100;
	assert_int_equal(collector_stamp_wait_ms(&c, 1000, 5000250), 750);     /* same second */
	assert_int_equal(collector_stamp_wait_ms(&c, 30000, 5000999), 1);
	assert_int_equal(collector_stamp_wait_ms(&c, 1000, 5001000), 0);       /* a new second */
	assert_int_equal(collector_stamp_wait_ms(&c, 500, 5000250), 0);        /* under a second: shared */
	assert_int_equal(collector_stamp_wait_ms(&c, 1000, 4999900), 1100);    /* a stamp just ahead */
	assert_int_equal(collector_stamp_wait_ms(&c, 1000, 4000000), 0);       /* a cluster clock far ahead */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_from_every_source),
		cmocka_unit_test(config_file_and_metric_flags),
		cmocka_unit_test(prometheus_answers_parse),
		cmocka_unit_test(next_cycle_waits_for_a_new_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

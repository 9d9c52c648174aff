#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "httpstub.h"
#include "kube/cache.h"
#include "kube/fastparse.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/mutate.h"
#include "kube/jsonarena.h"
#include "kube/objects.h"
#include "base/file.h"
#include "base/timeutil.h"

#define FIX "tests/fixtures/kube/"

static json_t *fixture(const char *name)
{
	char path[256];
	json_error_t e;
	snprintf(path, sizeof(path), FIX "%s", name);
	return json_load_file(path, 0, &e);
}

static void pods_parse(void **state)
{
	struct kube_pod p;
	char err[KUBE_ERRLEN];
	json_t *j = fixture("pod-running.json");
	(void)state;

	assert_int_equal(kube_pod_parse(j, &p, err, sizeof(err)), 0);
	assert_string_equal(p.namespace, "shop");
	assert_string_equal(p.name, "web-7d4b9c8f6-x2x9q");
	assert_string_equal(p.node, "node-1");
	assert_string_equal(p.phase, "Running");
	assert_string_equal(p.owner_kind, "ReplicaSet");
	assert_string_equal(p.owner_name, "web-7d4b9c8f6");
	assert_int_equal(p.restarts, 2);
	assert_int_equal(p.containers_ready, 2);
	assert_int_equal(p.containers_total, 2);
	assert_null(p.container_reason); /* running now; the OOM kill was before */
	assert_true(fabs(p.cpu_request - 0.15) < 1e-9);
	assert_true(fabs(p.cpu_limit - 1.0) < 1e-9);
	assert_true(p.mem_request == 192.0 * 1048576);
	assert_true(p.mem_limit == 384.0 * 1048576);
	assert_int_equal(p.created_ms, 1795489200000LL);
	kube_pod_release(&p);
	json_decref(j);

	j = fixture("pod-crashloop.json");
	assert_int_equal(kube_pod_parse(j, &p, err, sizeof(err)), 0);
	assert_string_equal(p.container_reason, "CrashLoopBackOff");
	assert_non_null(strstr(p.container_message, "back-off 5m0s"));
	assert_int_equal(p.restarts, 7);
	assert_int_equal(p.containers_ready, 0);
	assert_true(isnan(p.cpu_limit)); /* no container sets one */
	assert_true(isnan(p.mem_request));
	assert_true(fabs(p.cpu_request - 0.2) < 1e-9);
	kube_pod_release(&p);
	json_decref(j);

	j = fixture("pod-pending.json");
	assert_int_equal(kube_pod_parse(j, &p, err, sizeof(err)), 0);
	assert_null(p.node);
	assert_string_equal(p.phase, "Pending");
	assert_string_equal(p.owner_kind, "Job");
	assert_int_equal(p.containers_total, 1);
	kube_pod_release(&p);
	json_decref(j);
}

static void bad_objects_are_refused_whole(void **state)
{
	struct kube_pod p;
	char err[KUBE_ERRLEN];
	json_t *j = fixture("pod-badtype.json");
	json_error_t je;
	(void)state;

	memset(&p, 0x5a, sizeof(p));
	assert_int_equal(kube_pod_parse(j, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "restartCount is not an integer"));
	assert_int_equal(((unsigned char *)&p)[0], 0x5a); /* untouched */
	json_decref(j);
	j = json_loads("{\"metadata\":{\"namespace\":\"x\"}}", 0, &je);
	assert_int_equal(kube_pod_parse(j, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "metadata.name is missing"));
	json_decref(j);
	assert_null(fixture("pod-truncated.json"));
}

static void nodes_events_owners_parse(void **state)
{
	struct kube_node n;
	struct kube_event e;
	struct kube_owner o;
	char err[KUBE_ERRLEN];
	json_t *j;
	(void)state;

	j = fixture("node.json");
	assert_int_equal(kube_node_parse(j, &n, err, sizeof(err)), 0);
	assert_string_equal(n.name, "node-1");
	assert_int_equal(n.ready, 1);
	assert_int_equal(n.conditions, NODE_MEMORY_PRESSURE);
	assert_true(n.unschedulable);
	assert_true(fabs(n.cpu_allocatable - 3.8) < 1e-9);
	kube_node_release(&n);
	json_decref(j);

	j = fixture("event.json");
	assert_int_equal(kube_event_parse(j, &e, err, sizeof(err)), 0);
	assert_string_equal(e.kind, "Pod");
	assert_string_equal(e.obj_name, "api-5c9f7b6d8-k8m2p");
	assert_string_equal(e.reason, "BackOff");
	assert_string_equal(e.type, "Warning");
	assert_string_equal(e.source, "kubelet, node-0");
	assert_int_equal(e.count, 12);
	assert_int_equal(e.last_ms, 1795488300000LL);
	kube_event_release(&e);
	json_decref(j);

	j = fixture("event-v1.json");
	assert_int_equal(kube_event_parse(j, &e, err, sizeof(err)), 0);
	assert_string_equal(e.kind, "Node");
	assert_string_equal(e.message, "Attempting to reclaim memory");
	assert_int_equal(e.count, 1);
	assert_int_equal(e.last_ms, 1795489262123LL);
	kube_event_release(&e);
	json_decref(j);

	j = fixture("replicaset.json");
	assert_int_equal(kube_owner_parse(j, &o, err, sizeof(err)), 0);
	assert_string_equal(o.kind, "ReplicaSet");
	assert_string_equal(o.owner_kind, "Deployment");
	assert_string_equal(o.owner_name, "web");
	kube_owner_release(&o);
	json_decref(j);
	j = fixture("daemonset.json");
	assert_int_equal(kube_owner_parse(j, &o, err, sizeof(err)), 0);
	assert_string_equal(o.kind, "DaemonSet");
	assert_null(o.owner_kind);
	kube_owner_release(&o);
	json_decref(j);
	j = fixture("deployment.json");
	assert_int_equal(kube_owner_parse(j, &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "web");
	kube_owner_release(&o);
	json_decref(j);
}

static void metrics_and_summary_parse(void **state)
{
	struct kube_pod_metrics m;
	struct kube_node_metrics nm;
	struct kube_summary s;
	char err[KUBE_ERRLEN];
	json_t *j;
	(void)state;

	j = fixture("podmetrics-list.json");
	assert_int_equal(kube_pod_metrics_parse(json_array_get(json_object_get(j, "items"), 0),
						&m, err, sizeof(err)), 0);
	assert_true(fabs(m.cpu_cores - 0.125345678) < 1e-12);
	assert_true(m.mem_bytes == 104857600.0 + 20 * 1048576.0);
	assert_int_equal(m.window_ms, 15012);
	kube_pod_metrics_release(&m);
	json_decref(j);

	j = fixture("nodemetrics-list.json");
	assert_int_equal(kube_node_metrics_parse(json_array_get(json_object_get(j, "items"), 0),
						 &nm, err, sizeof(err)), 0);
	assert_true(fabs(nm.cpu_cores - 1.23456789) < 1e-12);
	assert_true(nm.mem_bytes == 4194304.0 * 1024);
	kube_node_metrics_release(&nm);
	json_decref(j);

	j = fixture("summary.json");
	assert_int_equal(kube_summary_parse(j, &s, err, sizeof(err)), 0);
	assert_string_equal(s.node, "node-1");
	assert_int_equal(s.npods, 1);
	assert_string_equal(s.pods[0].name, "web-7d4b9c8f6-x2x9q");
	assert_true(s.pods[0].rx_bytes == 2048000);
	assert_true(s.pods[0].tx_errors == 1);
	assert_true(s.pods[0].fs_used_bytes == 57344);
	assert_int_equal(s.pods[0].net_ts_ms, 1795492800000LL);
	kube_summary_release(&s);
	json_decref(j);
}

/* The text parsers of kube/fastparse.h give what jansson and the typed
 * parsers give, or decline. */
static void summary_fast(const char *text, int want_rc)
{
	struct kube_summary fast, slow;
	char err[KUBE_ERRLEN];
	json_t *j;

	assert_int_equal(kube_summary_parse_text(text, strlen(text), &fast), want_rc);
	if (want_rc)
		return;
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(kube_summary_parse(j, &slow, err, sizeof(err)), 0);
	assert_string_equal(fast.node, slow.node);
	assert_int_equal(fast.npods, slow.npods);
	for (size_t i = 0; i < fast.npods; i++) {
		const struct kube_pod_stats *a = &fast.pods[i], *b = &slow.pods[i];
		assert_string_equal(a->name, b->name);
		assert_string_equal(a->namespace, b->namespace);
		assert_true(a->net_ts_ms == b->net_ts_ms);
#define SAME(f) assert_true((isnan(a->f) && isnan(b->f)) || a->f == b->f)
		SAME(rx_bytes); SAME(tx_bytes); SAME(rx_errors); SAME(tx_errors);
		SAME(cpu_cores); SAME(mem_bytes); SAME(fs_used_bytes);
#undef SAME
	}
	kube_summary_release(&fast);
	kube_summary_release(&slow);
	json_decref(j);
}

static void metrics_fast(const char *text, int want_rc, size_t want_n)
{
	struct kube_pod_metrics *v;
	size_t n, i;
	const json_t *it;
	json_t *j;

	assert_int_equal(kube_pod_metrics_list_parse_text(text, strlen(text), &v, &n), want_rc);
	if (want_rc)
		return;
	assert_int_equal(n, want_n);
	j = json_loads(text, 0, NULL);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		struct kube_pod_metrics m;
		char err[KUBE_ERRLEN];
		assert_int_equal(kube_pod_metrics_parse(it, &m, err, sizeof(err)), 0);
		assert_string_equal(m.name, v[i].name);
		assert_string_equal(m.namespace, v[i].namespace);
		assert_true(m.ts_ms == v[i].ts_ms && m.window_ms == v[i].window_ms);
		assert_true((isnan(m.cpu_cores) && isnan(v[i].cpu_cores)) || m.cpu_cores == v[i].cpu_cores);
		assert_true((isnan(m.mem_bytes) && isnan(v[i].mem_bytes)) || m.mem_bytes == v[i].mem_bytes);
		kube_pod_metrics_release(&m);
	}
	for (i = 0; i < n; i++)
		kube_pod_metrics_release(&v[i]);
	free(v);
	json_decref(j);
}

static void bulk_bodies_parse_from_text(void **state)
{
	static const char *const summaries[] = { "summary.json", "summary-sim.json" };
	struct kube_summary s;
	(void)state;

	for (size_t i = 0; i < sizeof(summaries) / sizeof(summaries[0]); i++) {
		struct buf path = BUF_INIT, text = BUF_INIT;
		buf_addf(&path, FIX "%s", summaries[i]);
		assert_int_equal(file_read_all(path.data, 1u << 24, &text), 0);
		buf_addch(&text, '\0');
		summary_fast(text.data, 0);
		buf_release(&path);
		buf_release(&text);
	}
	{
		struct buf text = BUF_INIT;
		assert_int_equal(file_read_all(FIX "podmetrics-list.json", 1u << 24, &text), 0);
		buf_addch(&text, '\0');
		metrics_fast(text.data, 0, 2);
		buf_release(&text);
	}
	/* read as the typed parsers read them: null is absent, quantities,
	 * duplicates replace, containers sum (NaN when one lacks a value) */
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[{\"podRef\":{\"name\":\"a\","
		     "\"namespace\":\"x\"},\"network\":null,\"cpu\":{\"usageNanoCores\":\"2k\"},"
		     "\"memory\":{\"workingSetBytes\":-1.5e3},\"podRef\":{\"name\":\"b\",\"namespace\":\"y\"},"
		     "\"volume\":[{\"x\":[1,{}]}]}],\"extra\":true}", 0);
	summary_fast("{\"node\":{\"nodeName\":\"n\"}}", 0);
	{
		const char *t = "{\"node\":{\"nodeName\":\"n\"},\"pods\":[]}";
		assert_int_equal(kube_summary_parse_text(t, strlen(t), &s), 0);
	}
	assert_int_equal(s.npods, 0);
	kube_summary_release(&s);
	metrics_fast("{\"items\":[{\"metadata\":{\"name\":\"p\",\"namespace\":\"q\"},\"timestamp\":"
		     "\"2026-11-24T04:00:00Z\",\"window\":\"15s\",\"containers\":[{\"usage\":{\"cpu\":\"5m\","
		     "\"memory\":\"1Mi\"}},{\"usage\":{\"cpu\":1}}]},{\"metadata\":{\"name\":\"r\","
		     "\"namespace\":\"q\"},\"containers\":[]}]}", 0, 2);
	metrics_fast("{\"kind\":\"PodMetricsList\",\"items\":null}", 0, 0);
	/* declined: escapes, other types, a missing name, numbers jansson
	 * refuses or reads otherwise, text that is not JSON */
	summary_fast("{\"node\":{\"nodeName\":\"n\\u0041\"},\"pods\":[]}", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[{\"podRef\":{\"name\":\"a\"}}]}", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[{\"podRef\":{\"name\":\"a\","
		     "\"namespace\":\"x\"},\"network\":{\"rxBytes\":true}}]}", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[{\"podRef\":{\"name\":\"a\","
		     "\"namespace\":\"x\"},\"network\":{\"rxBytes\":01}}]}", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[{\"podRef\":{\"name\":\"a\","
		     "\"namespace\":\"x\"},\"network\":{\"rxBytes\":12345678901234567890}}]}", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[{\"podRef\":{\"name\":\"a\","
		     "\"namespace\":\"x\"},\"network\":{\"time\":\"yesterday\"}}]}", -ENOTSUP);
	summary_fast("{\"pods\":[]}", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"},\"pods\":[", -ENOTSUP);
	summary_fast("{\"node\":{\"nodeName\":\"n\"}} x", -ENOTSUP);
	metrics_fast("{\"items\":[{\"metadata\":{\"name\":\"p\"}}]}", -ENOTSUP, 0);
	metrics_fast("{\"items\":[{\"metadata\":{\"name\":\"p\",\"namespace\":\"q\"},"
		     "\"window\":\"soon\"}]}", -ENOTSUP, 0);
	metrics_fast("{\"items\":{}}", -ENOTSUP, 0);
}

/* ---- the client against a stub API server ---- */

struct api {
	int expire_first_continue;      /* answer 410 to the first continued page */
	int watch_mode;                 /* 0: events then close; 1: 410 */
};

static void api_handler(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	struct api *a = (struct api *)s->ctx;
	const char *cont = stub_arg(req, "continue");
	const char *watch = stub_arg(req, "watch");
	const char *rv = stub_arg(req, "resourceVersion");

	if (!strcmp(req->path, "/api/v1/pods") && watch) {
		if (a->watch_mode == 1 && rv && !strcmp(rv, "20000")) {
			stub_file(r, 200, FIX "watch-gone.jsonl");
			a->watch_mode = 2;
		} else if (rv && !strcmp(rv, "20000")) {
			stub_file(r, 200, FIX "watch-pods.jsonl");
		} else {
			stub_text(r, 200, "");
		}
	} else if (!strcmp(req->path, "/api/v1/pods")) {
		if (cont && a->expire_first_continue) {
			a->expire_first_continue = 0;
			stub_file(r, 410, FIX "status-410.json");
		} else {
			stub_file(r, 200, cont ? FIX "podlist-page2.json" : FIX "podlist-page1.json");
			r->gzip = true;
		}
	} else if (!strcmp(req->path, "/api/v1/nodes")) {
		stub_file(r, 403, FIX "status-403.json");
	} else if (!strcmp(req->path, "/apis/apps/v1/namespaces/x/deployments/web/scale") ||
		   !strcmp(req->path, "/api/v1/nodes/n1")) {
		stub_text(r, 403, "denied by the admission proxy");   /* no Status, no RBAC words */
	} else if (!strcmp(req->path, "/api/v1/namespaces/x/pods/broken")) {
		stub_file(r, 200, FIX "pod-truncated.json");
	}
}

static struct kube_config stub_config(const struct stub *s)
{
	struct kube_config c;
	char url[64];
	memset(&c, 0, sizeof(c));
	stub_url(s, "", url, sizeof(url));
	c.server = strdup(url);
	c.user = strdup("tester");
	c.context = strdup("stub");
	return c;
}

struct names {
	char v[16][32];
	int n, restarts;
};

static int collect_name(const json_t *item, void *ctx)
{
	struct names *n = ctx;
	const char *name = json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
	if (n->n < 16)
		snprintf(n->v[n->n++], 32, "%s", name);
	return 0;
}

static void restart_names(void *ctx)
{
	struct names *n = ctx;
	n->n = 0;
	n->restarts++;
}

static void lists_page_and_restart_on_410(void **state)
{
	struct api a = { 0, 0 };
	struct stub s;
	struct kube_config c;
	struct kube_client kc;
	struct kube_error e;
	struct names n;
	char err[256], rv[64] = "";
	(void)state;

	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	c = stub_config(&s);
	assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(kube_list(&kc, "list pods", "/api/v1/pods", 2, collect_name,
				   restart_names, &n, rv, sizeof(rv), &e), 0);
	assert_int_equal(n.n, 3);
	assert_string_equal(n.v[2], "c");
	assert_string_equal(rv, "20000");
	assert_int_equal(stub_count(&s, "GET /api/v1/pods?limit=2&continue=eyJ"), 1);

	a.expire_first_continue = 1;
	memset(&n, 0, sizeof(n));
	assert_int_equal(kube_list(&kc, "list pods", "/api/v1/pods", 2, collect_name,
				   restart_names, &n, rv, sizeof(rv), &e), 0);
	assert_int_equal(n.restarts, 1);
	assert_int_equal(n.n, 3); /* the items of the first try were dropped */

	assert_int_equal(kube_list(&kc, "list nodes", "/api/v1/nodes", 2, collect_name,
				   NULL, &n, NULL, 0, &e), -EACCES);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.reason, "Forbidden");
	assert_non_null(strstr(e.msg, "list nodes: HTTP 403 Forbidden: pods is forbidden"));
	kube_client_release(&kc);
	kube_config_release(&c);
	stub_stop(&s);
}

static int keep_name(const json_t *item, void *ctx)
{
	const char *name = json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));

	return json_array_append_new(ctx, json_pack("{s:s}", "name", name ? name : "?"));
}

/* What an item callback makes outlives the page (the arena is not its
 * allocator): a later list, which reuses the arena, does not overwrite it. */
static void list_callbacks_keep_what_they_make(void **state)
{
	struct api a = { 0, 0 };
	struct stub s;
	struct kube_config c;
	struct kube_client kc;
	struct kube_error e;
	json_t *kept = json_array(), *again;
	char err[256];
	(void)state;

	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	c = stub_config(&s);
	assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(kube_list(&kc, "list pods", "/api/v1/pods", 2, keep_name, NULL, kept,
				   NULL, 0, &e), 0);
	/* the next scope reuses the arena: fill it with other values */
	json_scope_begin();
	again = json_array();
	for (int i = 0; i < 2000; i++)
		json_array_append_new(again, json_pack("{s:s, s:i}", "name", "zzzzzzzzzzzzzzzz", "n", i));
	json_decref(again);
	json_scope_end();
	assert_int_equal(json_array_size(kept), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 0), "name")), "a");
	assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 2), "name")), "c");
	json_decref(kept);
	kube_client_release(&kc);
	kube_config_release(&c);
	stub_stop(&s);
}

static void malformed_bodies_name_the_request(void **state)
{
	struct api a = { 0, 0 };
	struct stub s;
	struct kube_config c;
	struct kube_client kc;
	struct kube_error e;
	json_t *j = NULL;
	char err[256];
	(void)state;

	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	c = stub_config(&s);
	assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(kube_get(&kc, "get pod x/broken", "/api/v1/namespaces/x/pods/broken", &j, &e),
			 -EBADMSG);
	assert_null(j);
	assert_non_null(strstr(e.msg, "get pod x/broken: GET http://127.0.0.1:"));
	assert_non_null(strstr(e.msg, "/api/v1/namespaces/x/pods/broken: truncated or malformed JSON"));
	kube_client_release(&kc);
	kube_config_release(&c);
	stub_stop(&s);
}

struct seen {
	int has_a_failed, has_b, has_d;
	size_t n;
};

static void look(void *obj, void *ctx)
{
	const struct kube_pod *p = obj;
	struct seen *s = ctx;
	s->n++;
	if (!strcmp(p->name, "a") && p->phase && !strcmp(p->phase, "Failed"))
		s->has_a_failed = 1;
	if (!strcmp(p->name, "b"))
		s->has_b = 1;
	if (!strcmp(p->name, "d"))
		s->has_d = 1;
}

static void wait_for(struct stub *s, const char *prefix, int count)
{
	for (int i = 0; i < 100 && stub_count(s, prefix) < count; i++) {
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
	}
}

static void cache_lists_then_watches_and_resumes(void **state)
{
	struct api a = { 0, 0 };
	struct stub s;
	struct kube_config c;
	struct kube_cache cache;
	struct kube_error e;
	struct seen seen;
	char err[256];
	(void)state;

	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	c = stub_config(&s);
	assert_int_equal(kube_cache_start(&cache, &kube_cache_pods, &c, "/api/v1/pods", NULL,
					  err, sizeof(err)), 0);
	assert_int_equal(kube_cache_wait_synced(&cache, 10000, &e), 0);
	/* The stream ends after its events (a cut); the reconnect must ask from
	 * the last resourceVersion applied (the bookmark's), not relist. */
	wait_for(&s, "GET /api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=20010", 1);
	assert_true(stub_count(&s, "GET /api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=20010") >= 1);
	/* A reader can wait for a version it knows the server reached (the
	 * bookmark's), and is told when the cache never gets there. */
	assert_int_equal(kube_cache_wait_rv(&cache, 20010, 10000), 0);
	assert_int_equal(kube_cache_wait_rv(&cache, 20011, 200), -ETIMEDOUT);
	memset(&seen, 0, sizeof(seen));
	kube_cache_foreach(&cache, look, &seen);
	assert_int_equal(seen.n, 3);            /* a, c, d: b was deleted */
	assert_true(seen.has_a_failed);
	assert_false(seen.has_b);
	assert_true(seen.has_d);
	/* One list (two pages), never repeated. */
	assert_int_equal(stub_count(&s, "GET /api/v1/pods?limit=500"), 2);
	/* The server goes away: readers soon get the error, not stale objects. */
	stub_stop(&s);
	{
		int rc = 0;
		for (int i = 0; i < 300 && rc == 0; i++) {
			struct timespec ts = { 0, 100000000L };
			rc = kube_cache_wait_synced(&cache, 0, &e);
			if (rc == 0)
				nanosleep(&ts, NULL);
		}
		assert_int_equal(rc, -ECONNREFUSED);
		assert_non_null(strstr(e.msg, "list pods"));
	}
	kube_cache_stop(&cache);

	/* A 410 in the stream means the version is gone: list again. */
	a.watch_mode = 1;
	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	free(c.server);
	{
		char url[64];
		stub_url(&s, "", url, sizeof(url));
		c.server = strdup(url);
	}
	assert_int_equal(kube_cache_start(&cache, &kube_cache_pods, &c, "/api/v1/pods", NULL,
					  err, sizeof(err)), 0);
	assert_int_equal(kube_cache_wait_synced(&cache, 10000, &e), 0);
	wait_for(&s, "GET /api/v1/pods?limit=500", 3);
	assert_true(stub_count(&s, "GET /api/v1/pods?limit=500") >= 3);
	kube_cache_stop(&cache);
	kube_config_release(&c);
	stub_stop(&s);
}

static void cache_reports_a_forbidden_list(void **state)
{
	struct api a = { 0, 0 };
	struct stub s;
	struct kube_config c;
	struct kube_cache cache;
	struct kube_error e;
	char err[256];
	(void)state;

	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	c = stub_config(&s);
	assert_int_equal(kube_cache_start(&cache, &kube_cache_nodes, &c, "/api/v1/nodes", NULL,
					  err, sizeof(err)), 0);
	assert_int_equal(kube_cache_wait_synced(&cache, 10000, &e), -EACCES);
	assert_non_null(strstr(e.msg, "list nodes: HTTP 403"));
	kube_cache_stop(&cache);
	kube_config_release(&c);
	stub_stop(&s);
}

/* A 403 that does not say what was refused: the client says what it needed. */
static void forbidden_names_the_permission(void **state)
{
	struct api a = { 0, 0 };
	struct stub s;
	struct kube_config c;
	struct kube_client kc;
	struct kube_error e;
	char err[256];
	(void)state;

	assert_int_equal(stub_start(&s, api_handler, &a), 0);
	c = stub_config(&s);
	assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(kube_deployment_scale(&kc, "x", "web", 3, NULL, true, NULL, &e), -EACCES);
	assert_int_equal(e.status, 403);
	assert_non_null(strstr(e.msg, "kubemend needs \"patch\" on \"deployments/scale\" "
			       "(API group \"apps\") in namespace \"x\""));
	assert_int_equal(kube_node_set_unschedulable(&kc, "n1", true, NULL, false, NULL, &e), -EACCES);
	assert_non_null(strstr(e.msg, "needs \"patch\" on \"nodes\" (API group \"\") at cluster scope"));
	/* RBAC's own words are kept as they are */
	assert_int_equal(kube_get(&kc, "list nodes", "/api/v1/nodes", NULL, &e), -EACCES);
	assert_null(strstr(e.msg, "kubemend needs"));
	assert_non_null(strstr(e.msg, "cannot list resource \"pods\""));
	kube_client_release(&kc);
	kube_config_release(&c);
	stub_stop(&s);
}

static void json_scopes_and_plain_malloc_mix(void **state)
{
	json_t *outside = json_pack("{s:s}", "made", "outside");
	char *dumped;
	(void)state;

	json_scope_begin();
	for (int i = 0; i < 20000; i++) {
		json_t *j = json_loads("{\"a\":[1,2,{\"b\":\"c\"}]}", 0, NULL);
		assert_non_null(j);
		json_decref(j);
	}
	json_scope_begin(); /* nested */
	assert_string_equal(json_string_value(json_object_get(outside, "made")), "outside");
	json_scope_end();
	json_scope_end();
	/* Outside a scope jansson's strings are plain malloc: free() takes them. */
	dumped = json_dumps(outside, 0);
	assert_string_equal(dumped, "{\"made\": \"outside\"}");
	free(dumped);
	json_decref(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_scopes_and_plain_malloc_mix),
		cmocka_unit_test(pods_parse),
		cmocka_unit_test(bad_objects_are_refused_whole),
		cmocka_unit_test(nodes_events_owners_parse),
		cmocka_unit_test(metrics_and_summary_parse),
		cmocka_unit_test(bulk_bodies_parse_from_text),
		cmocka_unit_test(lists_page_and_restart_on_410),
		cmocka_unit_test(list_callbacks_keep_what_they_make),
		cmocka_unit_test(malformed_bodies_name_the_request),
		cmocka_unit_test(cache_lists_then_watches_and_resumes),
		cmocka_unit_test(cache_reports_a_forbidden_list),
		cmocka_unit_test(forbidden_names_the_permission),
	};
	json_arena_install(); /* as main() does: every test here runs with it */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

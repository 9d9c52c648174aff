#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "insight/insight.h"

#define MIN_MS (60 * 1000LL)
#define T0 1795494480000LL

static struct finding oom(const char *pod, double p, int64_t at)
{
	static const struct signal sig[] = { { "mem_bytes", 268000000, 90e6, 130e6 } };
	static const struct evidence ev[] = { { "container_state", "OOMKilled", "exit code 137", 1 } };
	struct finding f = {
		.namespace_ = "shop", .pod = pod, .node = "node-1",
		.owner_kind = "Deployment", .owner_name = "web",
		.anomaly_type = "oom", .probability = p, .sample_ms = at,
		.signals = sig, .nsignals = 1, .evidence = ev, .nevidence = 1,
	};
	return f;
}

static void one_incident_groups_pods(void **state)
{
	struct insight_store s;
	struct finding f = oom("web-1", 0.8, T0);
	struct insight *a, *b;
	(void)state;
	insight_store_init(&s, 0.7);
	a = insight_store_observe(&s, &f);
	assert_non_null(a);
	f = oom("web-2", 0.95, T0 + MIN_MS);
	b = insight_store_observe(&s, &f);
	assert_ptr_equal(a, b);
	f = oom("web-1", 0.85, T0 + 2 * MIN_MS);
	assert_ptr_equal(insight_store_observe(&s, &f), a);
	assert_int_equal(s.n, 1);
	assert_int_equal(a->npods, 2);
	assert_true(a->probability == 0.95);
	assert_int_equal(a->detected_ms, T0);
	assert_int_equal(a->updated_ms, T0 + 2 * MIN_MS);
	assert_string_equal(a->severity, "critical");
	assert_non_null(strstr(a->summary, "2 pods of Deployment shop/web"));
	/* units and grammar (issue 12): plural verb, MiB, not 2.68e+08 */
	assert_non_null(strstr(a->summary, "shop/web show oom: mem_bytes is 256 MiB, normally 86 MiB to 124 MiB."));

	/* another cause on the same workload is another incident */
	f = oom("web-1", 0.9, T0);
	f.anomaly_type = "cpu_saturation";
	assert_ptr_not_equal(insight_store_observe(&s, &f), a);
	assert_int_equal(s.n, 2);
	/* below the threshold nothing opens */
	f = oom("api-1", 0.5, T0);
	f.owner_name = "api";
	assert_null(insight_store_observe(&s, &f));
	assert_int_equal(s.n, 2);
	insight_store_release(&s);
}

static void resolves_when_all_pods_are_normal(void **state)
{
	struct insight_store s;
	struct finding f = oom("web-1", 0.8, T0);
	struct insight *a;
	(void)state;
	insight_store_init(&s, 0.7);
	a = insight_store_observe(&s, &f);
	f = oom("web-2", 0.8, T0);
	insight_store_observe(&s, &f);
	for (int i = 1; i <= 3; i++)
		insight_store_normal(&s, "shop", "web-1", T0 + i * MIN_MS);
	assert_int_equal(a->resolved_ms, 0); /* web-2 is still anomalous */
	insight_store_normal(&s, "shop", "web-2", T0 + 4 * MIN_MS);
	insight_store_normal(&s, "shop", "web-2", T0 + 5 * MIN_MS);
	assert_int_equal(a->resolved_ms, 0);
	/* a relapse resets the count */
	f = oom("web-2", 0.8, T0 + 6 * MIN_MS);
	assert_ptr_equal(insight_store_observe(&s, &f), a);
	for (int i = 7; i <= 9; i++)
		insight_store_normal(&s, "shop", "web-2", T0 + i * MIN_MS);
	assert_int_equal(a->resolved_ms, T0 + 9 * MIN_MS);
	/* the next detection after resolution is a new incident */
	f = oom("web-2", 0.8, T0 + 10 * MIN_MS);
	assert_ptr_not_equal(insight_store_observe(&s, &f), a);
	assert_int_equal(s.n, 2);
	/* resolved insights age out, open ones stay */
	insight_store_expire(&s, T0 + 9 * MIN_MS + s.retain_resolved_ms + 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.items[0]->resolved_ms, 0);
	insight_store_release(&s);
}

static void history_is_the_workloads_earlier_incidents(void **state)
{
	struct insight_store s;
	struct finding f;
	struct insight *first, *second, *now;
	const struct insight *h[4];
	(void)state;
	insight_store_init(&s, 0.7);
	f = oom("web-1", 0.9, T0);
	first = insight_store_observe(&s, &f);
	for (int i = 1; i <= 3; i++)
		insight_store_normal(&s, "shop", "web-1", T0 + i * MIN_MS);
	f = oom("web-2", 0.9, T0 + 10 * MIN_MS);
	f.anomaly_type = "memory_leak";
	second = insight_store_observe(&s, &f);
	f = oom("api-1", 0.9, T0 + 11 * MIN_MS);
	f.owner_name = "api";                   /* another workload */
	insight_store_observe(&s, &f);
	f = oom("web-3", 0.9, T0 + 20 * MIN_MS);
	now = insight_store_observe(&s, &f);
	assert_ptr_not_equal(now, first);
	assert_int_equal(insight_store_history(&s, now, h, 4), 2);
	assert_ptr_equal(h[0], second);         /* most recent first */
	assert_ptr_equal(h[1], first);
	assert_int_equal(insight_store_history(&s, now, h, 1), 1);
	assert_ptr_equal(h[0], second);
	assert_int_equal(insight_store_history(&s, first, h, 4), 0);
	insight_store_release(&s);
}

static void node_incidents_group_by_node(void **state)
{
	struct insight_store s;
	struct finding f = oom("web-1", 0.9, T0);
	struct insight *a;
	(void)state;
	insight_store_init(&s, 0.7);
	f.anomaly_type = "node";
	a = insight_store_observe(&s, &f);
	f.pod = "db-1";
	f.namespace_ = "payments";
	f.owner_name = "db";
	assert_ptr_equal(insight_store_observe(&s, &f), a);
	assert_null(a->namespace_);
	assert_int_equal(a->npods, 2);
	f.node = "node-2";
	assert_ptr_not_equal(insight_store_observe(&s, &f), a);
	insight_store_release(&s);
}

static void cap_drops_oldest_resolved_first(void **state)
{
	struct insight_store s;
	char pod[16];
	(void)state;
	insight_store_init(&s, 0.7);
	s.max_insights = 3;
	for (int i = 0; i < 4; i++) {
		struct finding f = oom(pod, 0.8, T0 + i);
		snprintf(pod, sizeof(pod), "p-%d", i);
		f.pod = pod;
		f.owner_name = pod; /* separate workloads */
		insight_store_observe(&s, &f);
	}
	s.items[2]->resolved_ms = T0 + 10;
	insight_store_expire(&s, T0 + 20);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.items[i]->resolved_ms, 0);
	insight_store_release(&s);
}

static void json_has_the_documented_fields(void **state)
{
	static const char *const keys[] = {
		"id", "namespace", "pod", "node", "owner", "detected_at", "updated_at",
		"resolved_at", "probability", "severity", "anomaly_type", "signals",
		"evidence", "summary", "recommendations", "explanation", "model",
	};
	struct insight_store s;
	struct finding f = oom("web-1", 0.8, T0);
	struct insight *a;
	char path[] = "/tmp/kubemend-insights-XXXXXX";
	json_t *doc, *in, *rec;
	json_error_t e;
	int fd = mkstemp(path);
	(void)state;
	close(fd);
	insight_store_init(&s, 0.7);
	a = insight_store_observe(&s, &f);
	assert_int_equal(insight_add_recommendation(a, "change_limits", "Deployment", "shop/web",
		json_pack("{s:s, s:s}", "memory_limit_before", "256Mi", "memory_limit_after", "512Mi"),
		"memory use reaches the limit", "medium"), 0);
	insight_set_explanation(a, "The pods are killed for exceeding 256Mi.", "rules", NULL);
	assert_int_equal(insight_store_write(&s, path, T0 + MIN_MS), 0);
	doc = json_load_file(path, 0, &e);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "generated_at")), "2026-11-24T04:29:00Z");
	in = json_array_get(json_object_get(doc, "insights"), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(in, keys[i]))
			fail_msg("missing key %s", keys[i]);
	assert_string_equal(json_string_value(json_object_get(in, "detected_at")), "2026-11-24T04:28:00Z");
	assert_true(json_is_null(json_object_get(in, "resolved_at")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(in, "owner"), "name")), "web");
	rec = json_array_get(json_object_get(in, "recommendations"), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "action")), "change_limits");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "params"), "memory_limit_after")), "512Mi");
	assert_string_equal(json_string_value(json_object_get(json_object_get(in, "explanation"), "source")), "rules");
	assert_true(json_real_value(json_array_get(json_object_get(json_array_get(json_object_get(in, "signals"), 0), "expected"), 1)) == 130e6);
	json_decref(doc);
	unlink(path);
	insight_store_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_incident_groups_pods),
		cmocka_unit_test(resolves_when_all_pods_are_normal),
		cmocka_unit_test(history_is_the_workloads_earlier_incidents),
		cmocka_unit_test(node_incidents_group_by_node),
		cmocka_unit_test(cap_drops_oldest_resolved_first),
		cmocka_unit_test(json_has_the_documented_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <string.h>
#include "testutil.h"
#include "insight/insight_read.h"
#include "remedy/approve.h"
#include "remedy/inflight.h"

/* i-a and i-b open, i-old resolved. */
static void store(struct insight_store *s)
{
	static const char text[] =
		"{\"insights\":["
		"{\"id\":\"i-a\",\"anomaly_type\":\"cpu_saturation\",\"probability\":0.9,"
		" \"namespace\":\"pay\",\"owner\":{\"kind\":\"Deployment\",\"name\":\"api\"}},"
		"{\"id\":\"i-b\",\"anomaly_type\":\"cpu_throttling\",\"probability\":0.9,"
		" \"namespace\":\"pay\",\"owner\":{\"kind\":\"Deployment\",\"name\":\"api\"}},"
		"{\"id\":\"i-old\",\"anomaly_type\":\"oom\",\"probability\":0.9,"
		" \"resolved_at\":\"2026-11-24T05:00:00Z\"}]}";
	char err[256];

	insight_store_init(s, 0);
	assert_int_equal(insight_store_parse(s, "t", text, strlen(text), err, sizeof(err)), 0);
}

static json_t *rec(const char *id, const char *insight, const char *action, const char *kind,
		   const char *name, const char *status, const char *mode)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:{}}", "id", id,
			 "insight_id", insight, "action", action, "target", "kind", kind,
			 "namespace", "pay", "name", name, "status", status, "mode", mode, "params");
}

static void workloads_of_records_and_insights(void **state)
{
	struct insight_store s;
	char w[64];
	json_t *r;
	(void)state;

	r = rec("r-1", "i-a", "change_limits", "Deployment", "api", "pending", "applied");
	assert_true(inflight_record_workload(r, w, sizeof(w)));
	assert_string_equal(w, "pay/api");
	json_decref(r);
	/* a pod names its Deployment in target.workload; an older record does not */
	r = rec("r-2", "i-a", "restart_pod", "Pod", "api-5c9-x", "pending", "applied");
	assert_false(inflight_record_workload(r, w, sizeof(w)));
	json_object_set_new(json_object_get(r, "target"), "workload", json_string("api"));
	assert_true(inflight_record_workload(r, w, sizeof(w)));
	assert_string_equal(w, "pay/api");
	json_decref(r);
	/* an HPA's Deployment is in its params */
	r = rec("r-3", "i-a", "raise_hpa_max", "HorizontalPodAutoscaler", "api-hpa", "pending", "applied");
	json_object_set_new(json_object_get(r, "params"), "deployment", json_string("api"));
	assert_true(inflight_record_workload(r, w, sizeof(w)));
	assert_string_equal(w, "pay/api");
	json_decref(r);
	r = json_pack("{s:s, s:{s:s, s:s}}", "action", "drain_node", "target", "kind", "Node", "name", "node-2");
	assert_true(inflight_record_workload(r, w, sizeof(w)));
	assert_string_equal(w, "node/node-2");
	json_decref(r);

	store(&s);
	assert_true(inflight_insight_workload(s.items[0], w, sizeof(w)));
	assert_string_equal(w, "pay/api");
	assert_false(inflight_insight_workload(s.items[2], w, sizeof(w))); /* neither pod owner nor node */
	insight_store_release(&s);
}

static void what_counts_as_in_flight(void **state)
{
	struct insight_store s;
	int64_t now = 1800000000000LL;
	json_t *r;
	(void)state;

	store(&s);
	r = rec("r-1", "i-a", "change_limits", "Deployment", "api", "pending", "applied");
	assert_true(inflight_is(r, &s, false, now));          /* waits, its insight open */
	json_object_set_new(r, "insight_id", json_string("i-old"));
	assert_false(inflight_is(r, &s, false, now));         /* its insight resolved */
	json_object_set_new(r, "insight_ids", json_pack("[s, s]", "i-old", "i-b"));
	assert_true(inflight_is(r, &s, false, now));          /* another insight it serves is open */
	json_object_del(r, "insight_ids");
	json_object_set_new(r, "approval_expires", json_string("2027-02-01T00:00:00Z"));
	assert_true(inflight_is(r, &s, false, now));          /* offered on the web, not expired */
	assert_false(inflight_is(r, &s, false, now + 86400000LL * 365));
	json_object_set_new(r, "status", json_string("executing"));
	assert_true(inflight_is(r, &s, false, now));
	json_object_set_new(r, "status", json_string("succeeded"));
	assert_false(inflight_is(r, &s, false, now));
	json_decref(r);
	/* a dry run's records stand for what it would have in flight, only in a dry run */
	r = rec("r-2", "i-a", "change_limits", "Deployment", "api", "dry_run", "dry_run");
	assert_true(inflight_is(r, &s, true, now));
	assert_false(inflight_is(r, &s, false, now));
	json_object_set_new(r, "status", json_string("pending"));
	assert_false(inflight_is(r, &s, false, now));
	json_decref(r);
	insight_store_release(&s);
}

static const char *id_of(const json_t *rec)
{
	return rec ? json_string_value(json_object_get(rec, "id")) : "(none)";
}

static void the_newest_on_the_workload(void **state)
{
	struct insight_store s;
	json_t *all = json_array();
	int64_t now = 1800000000000LL;
	char d2[APPROVAL_DIGEST_HEX], d5[APPROVAL_DIGEST_HEX];
	(void)state;

	store(&s);
	json_array_append_new(all, rec("r-1", "i-a", "change_limits", "Deployment", "api", "failed", "applied"));
	json_array_append_new(all, rec("r-2", "i-a", "change_limits", "Deployment", "api", "pending", "applied"));
	json_array_append_new(all, rec("r-3", "i-a", "none", "Deployment", "api", "pending", "applied"));
	json_array_append_new(all, rec("r-4", "i-b", "change_limits", "Deployment", "web", "pending", "applied"));
	assert_string_equal(id_of(inflight_on(all, "pay/api", NULL, &s, false, now)), "r-2");
	assert_string_equal(id_of(inflight_on(all, "pay/web", NULL, &s, false, now)), "r-4");
	assert_null(inflight_on(all, "pay/cart", NULL, &s, false, now));
	assert_null(inflight_on(all, NULL, NULL, &s, false, now));
	/* by digest: that very change only */
	assert_int_equal(approval_record_digest(json_array_get(all, 1), d2), 0);
	assert_string_equal(id_of(inflight_on(all, "pay/api", d2, &s, false, now)), "r-2");
	assert_null(inflight_on(all, "pay/web", d2, &s, false, now));
	/* a dry run's dry_run record: shared by the same change, holds no other back */
	json_array_append_new(all, rec("r-5", "i-b", "scale_deployment", "Deployment", "cart", "dry_run", "dry_run"));
	assert_int_equal(approval_record_digest(json_array_get(all, 4), d5), 0);
	assert_string_equal(id_of(inflight_on(all, "pay/cart", d5, &s, true, now)), "r-5");
	assert_null(inflight_on(all, "pay/cart", NULL, &s, true, now));
	assert_null(inflight_on(all, "pay/cart", d5, &s, false, now));
	json_decref(all);
	insight_store_release(&s);
}

static void attaching_lists_every_insight_once(void **state)
{
	json_t *r = rec("r-1", "i-a", "change_limits", "Deployment", "api", "pending", "applied");
	(void)state;

	assert_false(inflight_serves(r, "i-b"));
	assert_int_equal(inflight_attach(r, "i-a"), 0);    /* its own insight: nothing to add */
	assert_null(json_object_get(r, "insight_ids"));
	assert_int_equal(inflight_attach(r, "i-b"), 1);
	assert_int_equal(inflight_attach(r, "i-b"), 0);
	assert_true(inflight_serves(r, "i-b"));
	assert_true(inflight_serves(r, "i-a"));
	assert_false(inflight_serves(r, NULL));
	{
		char *s = json_dumps(json_object_get(r, "insight_ids"), JSON_COMPACT);
		assert_string_equal(s, "[\"i-a\",\"i-b\"]");
		free(s);
	}
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(workloads_of_records_and_insights),
		cmocka_unit_test(what_counts_as_in_flight),
		cmocka_unit_test(the_newest_on_the_workload),
		cmocka_unit_test(attaching_lists_every_insight_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

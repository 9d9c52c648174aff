#include <math.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "insight/advice.h"
#include "insight/insight_read.h"
#include "remedy/plan.h"
#include "remedy/target.h"

#define MI (1024.0 * 1024.0)

static void fill(struct insight_store *s)
{
	struct signal sig = { "memory_bytes", 250 * MI, NAN, 200 * MI };
	struct evidence ev = { "event", "OOMKilled", "Container web was OOM-killed", 3 };
	struct component comps[2] = { { "rule", "mem_bytes", 0.95 }, { "lstm", "mem_pct", 0.5 } };
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-2",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = "oom",
		.probability = 0.93, .sample_ms = 1764000000000, .signals = &sig, .nsignals = 1,
		.evidence = &ev, .nevidence = 1, .score = 0.97, .components = comps, .ncomponents = 2,
	};
	struct workload_facts wf = { .replicas = 3, .mem_limit = 256 * MI, .mem_peak = 250 * MI };
	struct insight *in;

	insight_store_init(s, 0.5);
	in = insight_store_observe(s, &f);
	f.pod = "web-2";
	insight_store_observe(s, &f);
	insight_advise(in, &wf);
}

/* What the writer writes, the reader reads back to the same JSON. */
static void round_trip(void **state)
{
	struct insight_store a, b;
	json_t *ja, *jb;
	char *ta, *tb, err[256];
	(void)state;

	fill(&a);
	ja = insight_store_json(&a, 1764000060000);
	ta = json_dumps(ja, JSON_COMPACT | JSON_PRESERVE_ORDER);
	insight_store_init(&b, 0.5);
	assert_int_equal(insight_store_parse(&b, "x.json", ta, strlen(ta), err, sizeof(err)), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.items[0]->npods, 2);
	assert_string_equal(b.items[0]->pods[1], "web-2");
	assert_true(isnan(b.items[0]->signals[0].expected_lo));
	assert_int_equal(b.items[0]->ncomps, 2);
	assert_string_equal(b.items[0]->comps[1].detector, "lstm");
	assert_true(b.items[0]->comps[1].score == 0.5 && b.items[0]->score == 0.97);
	jb = insight_store_json(&b, 1764000060000);
	tb = json_dumps(jb, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(ta, tb);

	/* and the planner gets the same proposals from it */
	{
		struct plan_item items[4];
		size_t n = plan_insight(b.items[0], 0.7, items, 4);
		assert_int_equal(n, 1);
		assert_int_equal(items[0].prop.kind, ACT_CHANGE_LIMITS);
		/* VPA's OOM rule from the 256Mi it was killed at: max(356, 307.2) */
		assert_true(items[0].prop.mem_limit_after == 356 * MI);
		assert_string_equal(items[0].prop.name, "web");
	}
	free(ta);
	free(tb);
	json_decref(ja);
	json_decref(jb);
	insight_store_release(&a);
	insight_store_release(&b);
}

static void expect_error(const char *text, const char *want)
{
	struct insight_store s;
	char err[256];

	insight_store_init(&s, 0.5);
	assert_int_not_equal(insight_store_parse(&s, "f.json", text, strlen(text), err, sizeof(err)), 0);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
	assert_int_equal(s.n, 0);
	insight_store_release(&s);
}

static void errors_name_the_field(void **state)
{
	(void)state;
	expect_error("{\"insights\": [", "f.json:1:");
	expect_error("[]", "not an object with an \"insights\" array");
	expect_error("{\"insights\": [{\"anomaly_type\": \"oom\", \"probability\": 1}]}",
		     "insights[0].id: missing");
	expect_error("{\"insights\": [{\"id\": \"i-1\", \"anomaly_type\": \"oom\", \"probability\": 1.5}]}",
		     "insights[0].probability");
	expect_error("{\"insights\": [{\"id\": \"i-1\", \"anomaly_type\": \"oom\", \"probability\": 1,"
		     " \"components\": [{\"detector\": \"magic\", \"metric\": \"x\", \"score\": 0.5}]}]}",
		     "insights[0].components[0]");
	expect_error("{\"insights\": [{\"id\": \"i-1\", \"anomaly_type\": \"oom\", \"probability\": 1,"
		     " \"components\": [{\"detector\": \"lstm\", \"metric\": \"x\", \"score\": 2}]}]}",
		     "insights[0].components[0]");
	/* a bad second insight refuses the whole document */
	expect_error("{\"insights\": [{\"id\": \"i-1\", \"anomaly_type\": \"oom\", \"probability\": 1},"
		     " {\"id\": \"i-2\", \"anomaly_type\": \"oom\", \"probability\": 1,"
		     " \"recommendations\": [{\"action\": 3}]}]}", "insights[1].recommendations[0]");
	expect_error("{\"insights\": [{\"id\": \"i-1\", \"anomaly_type\": \"oom\", \"probability\": 1,"
		     " \"detected_at\": \"yesterday\"}]}", "detected_at: not an RFC 3339 time");
	expect_error("{\"insights\": [{\"id\": \"i-1\", \"anomaly_type\": \"oom\", \"probability\": 1,"
		     " \"summary\": \"" "0123456789012345678901234567890123456789012345678901234567890123"
		     "0123456789012345678901234567890123456789012345678901234567890123"
		     "0123456789012345678901234567890123456789012345678901234567890123"
		     "0123456789012345678901234567890123456789012345678901234567890123"
		     "0123456789012345678901234567890123456789012345678901234567890123\"}]}",
		     "summary: too long");
}

static void quantities_as_kubernetes_writes_them(void **state)
{
	char q[32];
	(void)state;
	quantity_bytes(384 * MI, q, sizeof(q));
	assert_string_equal(q, "384Mi");
	quantity_bytes(2048 * MI, q, sizeof(q));
	assert_string_equal(q, "2Gi");
	quantity_bytes(1536 * 1024, q, sizeof(q));
	assert_string_equal(q, "1536Ki");
	quantity_bytes(1000, q, sizeof(q));
	assert_string_equal(q, "1000");
	quantity_cores(0.75, q, sizeof(q));
	assert_string_equal(q, "750m");
	quantity_cores(2, q, sizeof(q));
	assert_string_equal(q, "2");
	quantity_cores(0.1234, q, sizeof(q));
	assert_string_equal(q, "124m"); /* rounded up: never below what was asked */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(errors_name_the_field),
		cmocka_unit_test(quantities_as_kubernetes_writes_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

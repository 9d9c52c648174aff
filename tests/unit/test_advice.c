#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "insight/advice.h"

#define MI (1024.0 * 1024.0)

static struct insight *open_insight(struct insight_store *s, const char *type)
{
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-2",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = type,
		.probability = 0.9, .sample_ms = 1,
	};
	insight_store_init(s, 0.7);
	return insight_store_observe(s, &f);
}

static double param(const struct recommendation *r, const char *key)
{
	return json_number_value(json_object_get(r->params, key));
}

static void oom_raises_the_limit_first(void **state)
{
	struct insight_store s;
	struct insight *in = open_insight(&s, "oom");
	struct workload_facts wf = { .replicas = 3, .mem_limit = 256 * MI, .mem_peak = 200 * MI };
	(void)state;
	insight_advise(in, &wf);
	/* a restart cannot cure a template limit: it is not offered */
	assert_int_equal(in->nrecs, 1);
	assert_string_equal(in->recs[0].action, "change_limits");
	assert_string_equal(in->recs[0].target, "shop/web");
	assert_true(param(&in->recs[0], "memory_limit_before") == 256 * MI);
	/* VPA's OOM rule from the limit it was killed at: max(256 + 100, 256 x 1.2) = 356Mi */
	assert_true(param(&in->recs[0], "memory_limit_after") == 356 * MI);
	assert_non_null(strstr(in->explanation, "256 MiB"));
	assert_string_equal(in->explanation_source, "rules");
	/* a peak above the limit (seen before the kill): 1000 x 1.2 = 1200Mi */
	wf.mem_peak = 1000 * MI;
	insight_advise(in, &wf);
	assert_int_equal(in->nrecs, 1); /* replaced, not appended */
	assert_true(param(&in->recs[0], "memory_limit_after") == 1200 * MI);
	/* 90Mi, the case: max(190, 108) = 190Mi, rounded up to a MiB */
	wf.mem_limit = 90 * MI;
	wf.mem_peak = 89.5 * MI;
	insight_advise(in, &wf);
	assert_true(param(&in->recs[0], "memory_limit_after") == 190 * MI);
	/* Guaranteed stays Guaranteed: the request moves with the limit */
	wf.mem_request = 90 * MI;
	insight_advise(in, &wf);
	assert_true(param(&in->recs[0], "memory_request_after") == 190 * MI);
	/* a Burstable request below the limit it was killed at is raised to it */
	wf.mem_request = 64 * MI;
	insight_advise(in, &wf);
	assert_true(param(&in->recs[0], "memory_request_after") == 90 * MI);
	/* ... whatever the working set did meanwhile (a waiting proposal stays the same) */
	wf.mem_peak = 70 * MI;
	insight_advise(in, &wf);
	assert_true(param(&in->recs[0], "memory_request_after") == 90 * MI);
	/* without a known limit there is nothing to change */
	wf.mem_limit = 0;
	insight_advise(in, &wf);
	assert_int_equal(in->nrecs, 0);
	insight_store_release(&s);
}

/* The case: 3 pods demand 2.5x their 400m limit. */
static void throttling_raises_the_limit_not_the_replicas(void **state)
{
	struct insight_store s;
	struct insight *in = open_insight(&s, "cpu_saturation");
	struct workload_facts wf = { .replicas = 3, .cpu_limit = 0.4, .cpu_request = 0.4,
				     .cpu_peak = 0.4, .cpu_throttled = 0.6,
				     .mem_limit = NAN, .mem_request = NAN, .mem_peak = NAN };
	(void)state;
	insight_advise(in, &wf);
	assert_true(in->nrecs >= 2);
	assert_string_equal(in->recs[0].action, "change_limits");
	/* demand 1.0 core x 1.2 */
	assert_true(fabs(param(&in->recs[0], "cpu_limit_after") - 1.2) < 1e-9);
	/* Guaranteed CPU stays Guaranteed */
	assert_true(fabs(param(&in->recs[0], "cpu_request_after") - 1.2) < 1e-9);
	/* scaling is the second option, by the replicas the demand needs: 3 x 1.0 / (0.8 x 0.4) */
	assert_string_equal(in->recs[1].action, "scale_deployment");
	assert_true(param(&in->recs[1], "replicas_after") == 10);
	assert_non_null(strstr(in->explanation, "want 1.00 cores"));
	insight_store_release(&s);
}

static void each_type_has_advice(void **state)
{
	static const struct { const char *type, *first; } cases[] = {
		{ "memory_leak", "restart_pod" }, { "crash_loop", "rollout_undo" },
		{ "cpu_saturation", "scale_deployment" }, { "network", "restart_pod" },
		{ "partial_failure", "restart_pod" }, { "node", "cordon_node" },
		{ "scheduling", "rollout_undo" }, { "image_pull", "rollout_undo" }, { "io", "none" },
		{ "weird", "none" },
	};
	struct workload_facts wf = { .replicas = 4, .cpu_limit = 0.5, .mem_limit = 128 * MI };
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct insight_store s;
		struct insight *in = open_insight(&s, cases[i].type);
		insight_advise(in, &wf);
		assert_true(in->nrecs >= 1);
		if (strcmp(in->recs[0].action, cases[i].first))
			fail_msg("%s: first action %s, want %s", cases[i].type,
				 in->recs[0].action, cases[i].first);
		assert_non_null(in->explanation);
		assert_true(strlen(in->recs[0].rationale) > 10);
		if (!strcmp(cases[i].type, "cpu_saturation")) {
			assert_true(param(&in->recs[0], "replicas_after") == 6);
			assert_string_equal(in->recs[1].action, "change_limits");
		}
		if (!strcmp(cases[i].type, "memory_leak")) {
			/* a leak's second option: 1.5x, the peak being well below */
			assert_string_equal(in->recs[1].action, "change_limits");
			assert_true(param(&in->recs[1], "memory_limit_after") == 192 * MI);
		}
		if (!strcmp(cases[i].type, "node")) {
			assert_string_equal(in->recs[0].target, "node-2");
			assert_string_equal(in->recs[1].action, "drain_node");
			assert_string_equal(in->recs[1].risk, "high");
		}
		insight_store_release(&s);
	}
}

/* Pods no node takes: a rollback of the release first, then the requests lowered to the use. */
static void unschedulable_lowers_requests_to_the_use(void **state)
{
	struct insight_store s;
	struct insight *in = open_insight(&s, "scheduling");
	struct workload_facts wf = { .replicas = 2, .cpu_request = 6, .mem_request = 3072 * MI,
				     .cpu_limit = 6, .mem_limit = 3072 * MI, .cpu_peak = 0.2,
				     .mem_peak = 100 * MI, .cpu_throttled = NAN, .cpu_demand = NAN };
	(void)state;
	insight_advise(in, &wf);
	assert_string_equal(in->recs[0].action, "rollout_undo");
	assert_string_equal(in->recs[1].action, "change_limits");
	assert_true(fabs(param(&in->recs[1], "cpu_request_after") - 0.23) < 1e-9);  /* 200m x 1.15 */
	assert_true(param(&in->recs[1], "memory_request_after") == 115 * MI);
	assert_true(param(&in->recs[1], "cpu_limit_after") == 0);                   /* limits stay */
	assert_string_equal(in->recs[2].action, "none");
	insight_store_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oom_raises_the_limit_first),
		cmocka_unit_test(throttling_raises_the_limit_not_the_replicas),
		cmocka_unit_test(each_type_has_advice),
		cmocka_unit_test(unschedulable_lowers_requests_to_the_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

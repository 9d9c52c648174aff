#include <errno.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include "testutil.h"
#include "insight/advice.h"
#include "remedy/plan.h"
#include "remedy/policy.h"

#define MI (1024.0 * 1024.0)

static struct insight *oom_insight(struct insight_store *s, double p)
{
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-2",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = "oom",
		.probability = p, .sample_ms = 1,
	};
	struct workload_facts wf = { .replicas = 3, .mem_limit = 256 * MI, .mem_peak = 200 * MI };
	struct insight *in;
	insight_store_init(s, 0.5);
	in = insight_store_observe(s, &f);
	insight_advise(in, &wf);
	return in;
}

static void plans_follow_recommendations(void **state)
{
	struct insight_store s;
	struct insight *in = oom_insight(&s, 0.9);
	struct plan_item items[4];
	struct buf d = BUF_INIT;
	size_t n;
	(void)state;
	n = plan_insight(in, 0.7, items, 4);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].prop.kind, ACT_CHANGE_LIMITS);
	assert_string_equal(items[0].prop.namespace_, "shop");
	assert_string_equal(items[0].prop.name, "web");
	assert_true(items[0].prop.mem_limit_before == 256 * MI);
	assert_true(items[0].prop.mem_limit_after == 356 * MI);
	proposal_describe(&items[0].prop, &d);
	assert_string_equal(d.data, "change_limits deployment shop/web: memory limit 256Mi → 356Mi");
	buf_reset(&d);
	/* the policy accepts what the planner proposes by default */
	{
		struct policy p;
		struct cluster_facts f = { 4, 4 };
		const char *rule;
		policy_init(&p);
		assert_int_equal(policy_check(&p, &items[0].prop, &f, 0, &rule), 0);
		policy_release(&p);
	}
	/* below the confidence threshold nothing is proposed */
	assert_int_equal(plan_insight(in, 0.95, items, 4), 0);
	assert_int_equal(plan_insight(in, 0.7, items, 1), 1);
	buf_release(&d);
	insight_store_release(&s);
}

/* H1: "before" comes from the live object, never from a recommendation. */
static void before_values_are_live(void **state)
{
	struct target_state st;
	struct proposal p = { .kind = ACT_SCALE_DEPLOYMENT, .namespace_ = "a", .name = "b",
			      .replicas_after = 1 }; /* only an "after": 10 -> 1 must not pass */
	struct policy pol;
	struct cluster_facts f = { 4, 4 };
	struct policy_refusal why;
	(void)state;
	memset(&st, 0, sizeof(st));
	st.replicas = 10;
	st.mem_limit_v = 256 * MI;
	st.cpu_limit_v = st.cpu_request_v = st.mem_request_v = NAN;
	policy_init(&pol);
	plan_from_live(&p, &st);
	assert_int_equal(p.replicas_before, 10);
	assert_int_equal(p.replicas_after, 1);
	assert_int_equal(policy_judge(&pol, &p, &f, 0, &why), -EPERM);
	assert_string_equal(why.rule, "max_scale_step");
	assert_string_equal(why.setting, "agent.policy.max_scale_step");
	assert_non_null(strstr(why.message, "replicas 10 → 1 changes 9 at once; max_scale_step is 5"));
	/* a recommendation made from another count is stale, never applied */
	p = (struct proposal){ .kind = ACT_SCALE_DEPLOYMENT, .namespace_ = "a", .name = "b",
			       .replicas_before = 3, .replicas_after = 4 };
	{
		char stale[256];
		assert_true(plan_stale(&p, &st, stale, sizeof(stale)));
		assert_non_null(strstr(stale, "has 10 replicas now, not 3"));
	}
	/* beyond max_scale_step: the largest allowed step, the goal kept */
	p = (struct proposal){ .kind = ACT_SCALE_DEPLOYMENT, .namespace_ = "a", .name = "b",
			       .replicas_before = 10, .replicas_after = 19 };
	{
		struct proposal goal;
		assert_true(plan_clamp_scale(&p, pol.max_scale_step, &goal));
		assert_int_equal(p.replicas_after, 15);
		assert_int_equal(goal.replicas_after, 19);
		assert_int_equal(policy_judge(&pol, &p, &f, 0, &why), 0);
	}
	/* a limit: 256Mi -> 1Mi is judged from the live 256Mi */
	p = (struct proposal){ .kind = ACT_CHANGE_LIMITS, .namespace_ = "a", .name = "b",
			       .mem_limit_after = 1 * MI };
	plan_from_live(&p, &st);
	assert_true(p.mem_limit_before == 256 * MI);
	assert_int_equal(policy_judge(&pol, &p, &f, 0, &why), -EPERM);
	assert_string_equal(why.rule, "max_limit_factor");
	policy_release(&pol);
}

/* A change beyond the factor becomes the largest allowed step, the goal kept. */
static void beyond_the_factor_is_stepped(void **state)
{
	struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = "a", .name = "b",
			      .mem_limit_before = 90 * MI, .mem_limit_after = 190 * MI,
			      .mem_request_before = 90 * MI, .mem_request_after = 190 * MI }, goal;
	struct policy pol;
	struct cluster_facts f = { 4, 4 };
	struct policy_refusal why;
	json_t *params;
	(void)state;
	policy_init(&pol);
	assert_int_equal(policy_judge(&pol, &p, &f, 0, &why), -EPERM);
	assert_string_equal(why.rule, "max_limit_factor");
	assert_non_null(strstr(why.message, "90Mi → 190Mi is a factor of 2.11; max_limit_factor is 2: "
			       "raise it to 2.12 or approve this by hand"));
	assert_true(plan_clamp_factor(&p, pol.max_limit_factor, &goal));
	assert_true(p.mem_limit_after == 180 * MI);
	assert_true(p.mem_request_after == 180 * MI); /* still Guaranteed */
	assert_true(goal.mem_limit_after == 190 * MI);
	assert_int_equal(policy_judge(&pol, &p, &f, 0, &why), 0);
	params = plan_params(&p, &goal, NULL);
	assert_true(json_number_value(json_object_get(json_object_get(params, "goal"),
						      "memory_limit_after")) == 190 * MI);
	assert_true(json_number_value(json_object_get(params, "memory_limit_after")) == 180 * MI);
	json_decref(params);
	policy_release(&pol);
}

static void node_and_scale_descriptions(void **state)
{
	struct proposal p = { .kind = ACT_DRAIN_NODE, .name = "node-3" };
	struct buf d = BUF_INIT;
	(void)state;
	proposal_describe(&p, &d);
	assert_non_null(strstr(d.data, "drain_node node node-3: cordon, then evict"));
	buf_reset(&d);
	p = (struct proposal){ .kind = ACT_SCALE_DEPLOYMENT, .namespace_ = "a", .name = "b",
			       .replicas_before = 2, .replicas_after = 3 };
	proposal_describe(&p, &d);
	assert_string_equal(d.data, "scale_deployment deployment a/b: replicas 2 → 3");
	buf_reset(&d);
	p = (struct proposal){ .kind = ACT_CHANGE_LIMITS, .namespace_ = "a", .name = "b",
			       .cpu_limit_before = 0.5, .cpu_limit_after = 0.75 };
	proposal_describe(&p, &d);
	assert_string_equal(d.data, "change_limits deployment a/b: cpu limit 500m → 750m");
	buf_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plans_follow_recommendations),
		cmocka_unit_test(before_values_are_live),
		cmocka_unit_test(beyond_the_factor_is_stepped),
		cmocka_unit_test(node_and_scale_descriptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

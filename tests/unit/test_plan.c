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
	assert_int_equal(n, 2);
	assert_int_equal(items[0].prop.kind, ACT_CHANGE_LIMITS);
	assert_string_equal(items[0].prop.namespace_, "shop");
	assert_string_equal(items[0].prop.name, "web");
	assert_true(items[0].prop.mem_limit_before == 256 * MI);
	assert_true(items[0].prop.mem_limit_after == 512 * MI);
	proposal_describe(&items[0].prop, &d);
	assert_string_equal(d.data, "change_limits deployment shop/web: memory limit 256Mi → 512Mi");
	buf_reset(&d);
	assert_int_equal(items[1].prop.kind, ACT_RESTART_POD);
	assert_false(items[1].prop.bare_pod);
	proposal_describe(&items[1].prop, &d);
	assert_string_equal(d.data, "restart_pod pod shop/web-1: delete the pod; its controller starts a new one");
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
		cmocka_unit_test(node_and_scale_descriptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

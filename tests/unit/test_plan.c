#include <errno.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include "testutil.h"
#include "insight/advice.h"
#include "remedy/ladder.h"
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

/* A sidecar: the advice saw the pod (both containers summed), the change goes to one container. */
static void sidecar_gets_the_pods_change(void **state)
{
	struct target_state st;
	struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = "a", .name = "b",
			      .mem_limit_before = 320 * MI, .mem_limit_after = 420 * MI };
	char stale[256];
	(void)state;
	memset(&st, 0, sizeof(st));
	st.ncontainers = 2;
	st.mem_limit_v = 256 * MI;              /* the app; its sidecar has 64Mi */
	st.pod_mem_limit = 320 * MI;
	st.cpu_limit_v = st.cpu_request_v = st.mem_request_v = NAN;
	st.pod_cpu_limit = st.pod_cpu_request = st.pod_mem_request = NAN;
	assert_false(plan_stale(&p, &st, stale, sizeof(stale)));   /* 320Mi is the pod's sum */
	plan_from_live(&p, &st);
	assert_true(p.mem_limit_before == 256 * MI);
	assert_true(p.mem_limit_after == 356 * MI);                 /* the pod gets its 420Mi */
	/* the pod's sum changed since: stale */
	p = (struct proposal){ .kind = ACT_CHANGE_LIMITS, .namespace_ = "a", .name = "b",
			       .mem_limit_before = 300 * MI, .mem_limit_after = 420 * MI };
	assert_true(plan_stale(&p, &st, stale, sizeof(stale)));
	/* lowering an unschedulable pod's requests is a change the ladder may continue */
	p = (struct proposal){ .kind = ACT_CHANGE_LIMITS, .cpu_request_before = 6,
			       .cpu_request_after = 0.3 };
	assert_true(plan_raises(&p));
	p.cpu_request_after = 6;
	assert_false(plan_raises(&p));
}

/* Killed again at the new limit with no measured need: the largest step the policy allows. */
static void oom_again_goes_as_far_as_allowed(void **state)
{
	json_t *prior = json_pack("{s:{s:b, s:s}}", "verification", "oom_killed", 1, "detail",
				  "2 restart(s) (OOMKilled) during the window");
	/* the advice's blind VPA bump of the 300Mi limit: 400Mi */
	struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = "a", .name = "b",
			      .mem_limit_before = 300 * MI, .mem_limit_after = 400 * MI,
			      .mem_request_before = 300 * MI, .mem_request_after = 400 * MI };
	struct proposal q;
	(void)state;
	assert_true(plan_oom_again(&p, prior, 2.0));
	assert_true(p.mem_limit_after == 600 * MI);
	assert_true(p.mem_request_after == 600 * MI); /* Guaranteed stays Guaranteed */
	/* a target from a measured peak (912Mi) stands */
	q = (struct proposal){ .kind = ACT_CHANGE_LIMITS, .mem_limit_before = 600 * MI,
			       .mem_limit_after = 912 * MI };
	assert_false(plan_oom_again(&q, prior, 2.0));
	assert_true(q.mem_limit_after == 912 * MI);
	/* not killed again: nothing changes */
	json_object_set_new(json_object_get(prior, "verification"), "oom_killed", json_false());
	q.mem_limit_after = 700 * MI;
	assert_false(plan_oom_again(&q, prior, 2.0));
	json_decref(prior);
}

/* A verified step whose own signal was measured normal ends the ladder. */
static void measured_normal_ends_the_ladder(void **state)
{
	json_t *ok = json_pack("{s:s, s:{s:f}, s:{s:f}}", "status", "succeeded", "params",
			       "cpu_limit_after", 1.8, "verification", "cpu_throttled_pct", 3.0);
	json_t *scale = json_pack("{s:s, s:{s:i}, s:{s:f}}", "status", "succeeded", "params",
				  "replicas_after", 7, "verification", "cpu_throttled_pct", 0.0);
	json_t *blind = json_pack("{s:s, s:{s:s}}", "status", "succeeded", "verification",
				  "detail", "7 of 7 pods ready");
	json_t *recs = json_pack("[{s:s, s:s, s:{s:s, s:f}, s:{s:s}}, {s:s, s:s}]",
				 "insight_id", "i1", "status", "failed", "params", "description",
				 "change_limits deployment a/b: memory limit 150Mi → 300Mi",
				 "memory_limit_after", 300.0 * MI, "verification", "detail", "2 restart(s) (OOMKilled)",
				 "insight_id", "i1", "status", "refused");
	struct policy pol;
	struct buf b = BUF_INIT;
	(void)state;
	assert_true(ladder_signal_normal(ok));
	assert_false(ladder_signal_normal(blind));
	assert_false(ladder_signal_normal(scale)); /* no throttling says nothing of the load per pod */
	json_object_set_new(scale, "action", json_string("scale_deployment"));
	json_object_set_new(json_object_get(scale, "verification"), "cpu_per_pod_cores", json_real(0.15));
	assert_true(ladder_signal_normal(scale));  /* the load per pod, measured within its target */
	json_decref(scale);
	{
		/* a scale that left 171m a pod where 150m is normal: 7 → 8, not +1 by habit */
		struct proposal p = { .kind = ACT_SCALE_DEPLOYMENT, .replicas_before = 7, .replicas_after = 7 };
		json_t *prior = json_pack("{s:{s:f, s:f}}", "verification", "cpu_per_pod_cores", 0.171,
					  "cpu_normal_cores", 0.15);

		plan_rescale(&p, prior);
		assert_int_equal(p.replicas_after, 8);
		p.replicas_after = 12; /* the advice wants more: that stands */
		plan_rescale(&p, prior);
		assert_int_equal(p.replicas_after, 12);
		json_decref(prior);
	}
	assert_int_equal(ladder_rungs(recs, "i1"), 1);
	policy_init(&pol);
	ladder_story(recs, "i1", &pol, 3, &b);
	assert_non_null(strstr(b.data, "(1) change_limits deployment a/b: memory limit 150Mi → 300Mi: failed, "
			       "2 restart(s) (OOMKilled)"));
	assert_non_null(strstr(b.data, "max_limit_factor (2)"));
	buf_release(&b);
	policy_release(&pol);
	json_decref(ok);
	json_decref(blind);
	json_decref(recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plans_follow_recommendations),
		cmocka_unit_test(before_values_are_live),
		cmocka_unit_test(beyond_the_factor_is_stepped),
		cmocka_unit_test(node_and_scale_descriptions),
		cmocka_unit_test(oom_again_goes_as_far_as_allowed),
		cmocka_unit_test(sidecar_gets_the_pods_change),
		cmocka_unit_test(measured_normal_ends_the_ladder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

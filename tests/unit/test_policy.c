#include <errno.h>
#include <stdio.h>
#include "testutil.h"
#include "remedy/policy.h"
#include "conf/config.h"
#include <string.h>

#define MIN_MS (60 * 1000LL)

static const struct cluster_facts facts10 = { 10, 10 };

static const char *check(const struct policy *p, const struct proposal *prop,
			 const struct cluster_facts *f, int64_t now)
{
	const char *rule = NULL;
	int rc = policy_check(p, prop, f, now, &rule);
	if (rc == 0)
		return "ok";
	assert_int_equal(rc, -EPERM);
	assert_non_null(rule);
	return rule;
}

static void namespaces(void **state)
{
	struct policy p;
	struct proposal r = { .kind = ACT_RESTART_POD, .namespace_ = "kube-system", .name = "coredns-1" };
	(void)state;
	policy_init(&p);
	assert_string_equal(check(&p, &r, &facts10, 0), "namespace_denied");
	r.namespace_ = "shop";
	assert_string_equal(check(&p, &r, &facts10, 0), "ok");
	strvec_push(&p.allow_namespaces, "payments");
	assert_string_equal(check(&p, &r, &facts10, 0), "namespace_not_allowed");
	r.namespace_ = "payments";
	assert_string_equal(check(&p, &r, &facts10, 0), "ok");
	r.bare_pod = true;
	assert_string_equal(check(&p, &r, &facts10, 0), "bare_pod");
	p.allow_bare_pods = true;
	assert_string_equal(check(&p, &r, &facts10, 0), "ok");
	r.name = "";
	assert_string_equal(check(&p, &r, &facts10, 0), "no_target");
	policy_release(&p);
}

static void cooldown_and_budget(void **state)
{
	struct policy p;
	struct proposal r = { .kind = ACT_RESTART_POD, .namespace_ = "shop", .name = "web-1" };
	struct proposal other = r;
	char name[32];
	(void)state;
	policy_init(&p);
	policy_record(&p, &r, 0);
	assert_string_equal(check(&p, &r, &facts10, 4 * MIN_MS), "cooldown");
	assert_string_equal(check(&p, &r, &facts10, 5 * MIN_MS), "ok");
	other.name = "web-2";
	assert_string_equal(check(&p, &other, &facts10, MIN_MS), "ok");
	/* the same name in another namespace is another target */
	other.name = "web-1";
	other.namespace_ = "payments";
	assert_string_equal(check(&p, &other, &facts10, MIN_MS), "ok");

	p.hourly_budget = 3;
	other.namespace_ = "shop";
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "api-%d", i);
		other.name = name;
		policy_record(&p, &other, 10 * MIN_MS);
	}
	other.name = "fresh";
	assert_string_equal(check(&p, &other, &facts10, 20 * MIN_MS), "hourly_budget");
	/* the first action falls out of the rolling hour */
	assert_string_equal(check(&p, &other, &facts10, 61 * MIN_MS), "ok");
	policy_release(&p);
}

/* H2: one workload is one target, whichever of its pods an insight names. */
static void cooldown_is_per_workload(void **state)
{
	struct policy p;
	struct proposal a = { .kind = ACT_RESTART_POD, .namespace_ = "shop", .name = "web-1",
			      .workload = "web" };
	struct proposal b = a;
	struct policy_refusal why;
	(void)state;
	policy_init(&p);
	policy_record(&p, &a, 0);
	b.name = "web-2";
	assert_int_equal(policy_judge(&p, &b, &facts10, MIN_MS, &why), -EPERM);
	assert_string_equal(why.rule, "cooldown");
	assert_string_equal(why.setting, "agent.policy.cooldown");
	assert_non_null(strstr(why.message, "shop/web was acted on 60 s ago; the cooldown is 300 s"));
	/* a verified plan's next step is not held back by its own first step */
	b.follow_up = true;
	assert_int_equal(policy_judge(&p, &b, &facts10, MIN_MS, &why), 0);
	policy_release(&p);
}

/* M5: deny_namespaces adds to the defaults; only an explicit [] clears them. */
static void deny_adds_to_the_defaults(void **state)
{
	struct policy p;
	struct config c;
	char err[256];
	struct proposal r = { .kind = ACT_RESTART_POD, .namespace_ = "kube-system", .name = "x-1" };
	(void)state;
	config_init(&c);
	assert_int_equal(config_set_flag(&c, "agent.policy.deny_namespaces", "test", "shop", err,
					 sizeof(err)), 0);
	policy_load_config(&p, &c);
	assert_string_equal(check(&p, &r, &facts10, 0), "namespace_denied");
	r.namespace_ = "shop";
	assert_string_equal(check(&p, &r, &facts10, 0), "namespace_denied");
	r.namespace_ = "kube-public";
	assert_string_equal(check(&p, &r, &facts10, 0), "namespace_denied");
	policy_release(&p);
	assert_int_equal(config_set_flag(&c, "agent.policy.default_deny_namespaces", "test", "", err,
					 sizeof(err)), 0);
	policy_load_config(&p, &c);
	r.namespace_ = "kube-system";
	assert_string_equal(check(&p, &r, &facts10, 0), "ok");
	policy_release(&p);
	config_release(&c);
}

static void bounds(void **state)
{
	struct policy p;
	struct proposal s = { .kind = ACT_SCALE_DEPLOYMENT, .namespace_ = "shop", .name = "web",
			      .replicas_before = 3, .replicas_after = 8 };
	struct proposal l = { .kind = ACT_CHANGE_LIMITS, .namespace_ = "shop", .name = "web",
			      .mem_limit_before = 256.0 * 1048576, .mem_limit_after = 512.0 * 1048576 };
	(void)state;
	policy_init(&p);
	assert_string_equal(check(&p, &s, &facts10, 0), "ok");
	s.replicas_after = 9;
	assert_string_equal(check(&p, &s, &facts10, 0), "max_scale_step");
	s.replicas_before = 50;
	s.replicas_after = 51;
	assert_string_equal(check(&p, &s, &facts10, 0), "max_replicas");
	s.replicas_before = 1;
	s.replicas_after = 0;
	assert_string_equal(check(&p, &s, &facts10, 0), "min_replicas");

	assert_string_equal(check(&p, &l, &facts10, 0), "ok");
	l.mem_limit_after = 513.0 * 1048576;
	assert_string_equal(check(&p, &l, &facts10, 0), "max_limit_factor");
	l.mem_limit_after = 100.0 * 1048576;
	assert_string_equal(check(&p, &l, &facts10, 0), "max_limit_factor");
	l.mem_limit_before = 12.0 * 1073741824;
	l.mem_limit_after = 17.0 * 1073741824;
	assert_string_equal(check(&p, &l, &facts10, 0), "max_memory_limit");
	l.mem_limit_before = 0;
	l.mem_limit_after = 0;
	l.cpu_limit_before = 0; /* unset before: no factor, the ceiling applies */
	l.cpu_limit_after = 4;
	assert_string_equal(check(&p, &l, &facts10, 0), "ok");
	l.cpu_limit_after = 9;
	assert_string_equal(check(&p, &l, &facts10, 0), "max_cpu_limit");
	policy_release(&p);
}

static void nodes(void **state)
{
	struct policy p;
	struct proposal c = { .kind = ACT_CORDON_NODE, .name = "node-1" };
	struct cluster_facts f = { 3, 3 };
	(void)state;
	policy_init(&p);
	assert_string_equal(check(&p, &c, &f, 0), "ok");
	f.schedulable_nodes = 2; /* one already cordoned: a second is 2/3 > 34% */
	assert_string_equal(check(&p, &c, &f, 0), "max_cordoned_share");
	/* draining the node that is the one cordoned (cordon, then drain) counts it once */
	c.kind = ACT_DRAIN_NODE;
	c.node_cordoned = true;
	assert_string_equal(check(&p, &c, &f, 0), "ok");
	c.kind = ACT_CORDON_NODE;
	c.node_cordoned = false;
	f.nodes = 1;
	f.schedulable_nodes = 1;
	c.kind = ACT_DRAIN_NODE;
	assert_string_equal(check(&p, &c, &f, 0), "last_schedulable_node");
	f.nodes = 2; /* cordoned already, the other one takes its pods */
	c.node_cordoned = true;
	assert_string_equal(check(&p, &c, &f, 0), "max_cordoned_share");
	p.max_cordoned_share = 0.5;
	assert_string_equal(check(&p, &c, &f, 0), "ok");
	f.schedulable_nodes = 0; /* nowhere for its pods to go */
	assert_string_equal(check(&p, &c, &f, 0), "last_schedulable_node");
	f.nodes = 1;
	f.schedulable_nodes = 1;
	c.node_cordoned = false;
	c.kind = ACT_UNCORDON_NODE;
	assert_string_equal(check(&p, &c, &f, 0), "ok");
	/* node actions ignore namespace rules */
	strvec_push(&p.allow_namespaces, "only-this");
	assert_string_equal(check(&p, &c, &f, 0), "ok");
	c.kind = ACT_NONE;
	assert_string_equal(check(&p, &c, &f, 0), "no_action");
	policy_release(&p);
}

static void names_round_trip(void **state)
{
	enum action_kind k;
	(void)state;
	for (int i = 0; i < ACT__COUNT; i++) {
		assert_int_equal(action_parse(action_name((enum action_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_int_equal(action_parse("delete_everything", &k), -EINVAL);
	assert_int_equal(action_parse(NULL, &k), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(namespaces),
		cmocka_unit_test(cooldown_and_budget),
		cmocka_unit_test(cooldown_is_per_workload),
		cmocka_unit_test(deny_adds_to_the_defaults),
		cmocka_unit_test(bounds),
		cmocka_unit_test(nodes),
		cmocka_unit_test(names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

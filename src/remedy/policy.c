#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "conf/config.h"
#include "remedy/policy.h"
#include "base/banned.h"

#define HOUR_MS (3600 * 1000LL)

struct policy_recent {
	char *target;           /* "ns/name" or "node/name" */
	int64_t at_ms;
};

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	strvec_push(&p->deny_namespaces, "kube-system");
	strvec_push(&p->deny_namespaces, "kube-public");
	strvec_push(&p->deny_namespaces, "kube-node-lease");
	p->cooldown_ms = 5 * 60 * 1000;
	p->hourly_budget = 10;
	p->min_replicas = 1;
	p->max_replicas = 50;
	p->max_scale_step = 5;
	p->max_limit_factor = 2.0;
	p->max_cpu_limit = 8.0;
	p->max_mem_limit = 16.0 * 1024 * 1024 * 1024;
	p->max_cordoned_share = 0.34;
}

void policy_load_config(struct policy *p, const struct config *c)
{
	const char *s;

	policy_init(p);
	/* deny_namespaces adds to the defaults; only default_deny_namespaces: [] clears them */
	strvec_clear(&p->deny_namespaces);
	if ((s = config_str(c, "agent.policy.default_deny_namespaces")) && *s)
		strvec_split(&p->deny_namespaces, s, ',');
	if ((s = config_str(c, "agent.policy.deny_namespaces")) && *s) {
		struct strvec more = STRVEC_INIT;

		strvec_split(&more, s, ',');
		for (size_t i = 0; i < more.n; i++)
			if (!strvec_contains(&p->deny_namespaces, more.v[i]))
				strvec_push(&p->deny_namespaces, more.v[i]);
		strvec_clear(&more);
	}
	if ((s = config_str(c, "agent.policy.allow_namespaces")) && *s)
		strvec_split(&p->allow_namespaces, s, ',');
	p->cooldown_ms = config_duration_ms(c, "agent.policy.cooldown");
	p->hourly_budget = (int)config_int(c, "agent.policy.hourly_budget");
	p->min_replicas = (int)config_int(c, "agent.policy.min_replicas");
	p->max_replicas = (int)config_int(c, "agent.policy.max_replicas");
	p->max_scale_step = (int)config_int(c, "agent.policy.max_scale_step");
	p->max_limit_factor = config_num(c, "agent.policy.max_limit_factor");
	p->max_cpu_limit = config_num(c, "agent.policy.max_cpu_limit");
	p->max_mem_limit = config_num(c, "agent.policy.max_memory_limit");
	p->max_cordoned_share = config_num(c, "agent.policy.max_cordoned_share");
	p->allow_bare_pods = config_bool(c, "agent.policy.allow_bare_pods");
}

void policy_release(struct policy *p)
{
	if (!p)
		return;
	strvec_clear(&p->allow_namespaces);
	strvec_clear(&p->deny_namespaces);
	for (size_t i = 0; i < p->nrecent; i++)
		free(p->recent[i].target);
	free(p->recent);
	p->recent = NULL;
	p->nrecent = p->caprecent = 0;
}

static void target_key(const struct proposal *prop, char *out, size_t n)
{
	const char *name = prop->workload && *prop->workload ? prop->workload : prop->name;

	snprintf(out, n, "%s/%s", action_is_node(prop->kind) ? "node" :
		 (prop->namespace_ ? prop->namespace_ : ""), name ? name : "");
}

/* A limit change within the factor: both ways, and 0 (unset) is no change. */
static bool within_factor(double before, double after, double factor)
{
	if (after <= 0 || before <= 0)
		return true; /* nothing to compare: the ceilings still apply */
	return after <= before * factor + 1e-9 && after >= before / factor - 1e-9;
}

static int refuse(struct policy_refusal *why, const char *rule, const char *setting,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(struct policy_refusal *why, const char *rule, const char *setting,
		  const char *fmt, ...)
{
	va_list ap;

	if (why) {
		why->rule = rule;
		why->setting = setting;
		va_start(ap, fmt);
		vsnprintf(why->message, sizeof(why->message), fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

static void mib(double v, char *out, size_t n)
{
	snprintf(out, n, "%.0fMi", v / (1024.0 * 1024.0));
}

static void milli(double v, char *out, size_t n)
{
	snprintf(out, n, "%.0fm", v * 1000.0);
}

/* The first of a change_limits' four values that breaks the factor. */
static int factor_check(const struct policy *p, const struct proposal *prop,
			struct policy_refusal *why)
{
	static const char *names[4] = { "memory limit", "memory request", "CPU limit", "CPU request" };
	double b[4] = { prop->mem_limit_before, prop->mem_request_before,
			prop->cpu_limit_before, prop->cpu_request_before };
	double a[4] = { prop->mem_limit_after, prop->mem_request_after,
			prop->cpu_limit_after, prop->cpu_request_after };

	for (int i = 0; i < 4; i++) {
		char sb[32], sa[32];
		double f;

		if (within_factor(b[i], a[i], p->max_limit_factor))
			continue;
		(i < 2 ? mib : milli)(b[i], sb, sizeof(sb));
		(i < 2 ? mib : milli)(a[i], sa, sizeof(sa));
		f = a[i] > b[i] ? a[i] / b[i] : b[i] / a[i];
		return refuse(why, "max_limit_factor", "agent.policy.max_limit_factor",
			      "the %s change %s → %s is a factor of %.2f; max_limit_factor is %g: "
			      "raise it to %.2f or approve this by hand", names[i], sb, sa, f,
			      p->max_limit_factor, ceil(f * 100) / 100);
	}
	return 0;
}

int policy_judge(const struct policy *p, const struct proposal *prop,
		 const struct cluster_facts *facts, int64_t now_ms,
		 struct policy_refusal *why)
{
	char key[512];
	int in_hour = 0;

	if (prop->kind >= ACT_NONE)
		return refuse(why, "no_action", "", "no action is known for this");
	if (!prop->name || !*prop->name)
		return refuse(why, "no_target", "", "the proposal names no target");
	if (!action_is_node(prop->kind)) {
		const char *ns = prop->namespace_ ? prop->namespace_ : "";
		if (strvec_contains(&p->deny_namespaces, ns))
			return refuse(why, "namespace_denied", "agent.policy.deny_namespaces",
				      "namespace %s is denied (deny_namespaces and "
				      "default_deny_namespaces)", ns);
		if (p->allow_namespaces.n && !strvec_contains(&p->allow_namespaces, ns))
			return refuse(why, "namespace_not_allowed", "agent.policy.allow_namespaces",
				      "namespace %s is not in allow_namespaces", ns);
	}
	target_key(prop, key, sizeof(key));
	for (size_t i = 0; i < p->nrecent; i++) {
		const struct policy_recent *r = &p->recent[i];
		if (now_ms - r->at_ms < HOUR_MS)
			in_hour++;
		if (!prop->follow_up && strcmp(r->target, key) == 0 &&
		    now_ms - r->at_ms < p->cooldown_ms)
			return refuse(why, "cooldown", "agent.policy.cooldown",
				      "%s was acted on %.0f s ago; the cooldown is %.0f s (wait %.0f s)",
				      key, (double)(now_ms - r->at_ms) / 1000.0,
				      (double)p->cooldown_ms / 1000.0,
				      (double)(p->cooldown_ms - (now_ms - r->at_ms)) / 1000.0);
	}
	if (in_hour >= p->hourly_budget)
		return refuse(why, "hourly_budget", "agent.policy.hourly_budget",
			      "%d actions in the last hour; hourly_budget is %d", in_hour,
			      p->hourly_budget);

	switch (prop->kind) {
	case ACT_RESTART_POD:
		if (prop->bare_pod && !p->allow_bare_pods)
			return refuse(why, "bare_pod", "agent.policy.allow_bare_pods",
				      "pod %s/%s has no controller, so nothing would replace it; "
				      "allow_bare_pods is false", prop->namespace_, prop->name);
		break;
	case ACT_SCALE_DEPLOYMENT:
	case ACT_RAISE_HPA_MAX:         /* the HPA's maxReplicas: the same bounds */
		if (prop->replicas_after < p->min_replicas)
			return refuse(why, "min_replicas", "agent.policy.min_replicas",
				      "%d replicas is below min_replicas %d", prop->replicas_after,
				      p->min_replicas);
		if (prop->replicas_after > p->max_replicas)
			return refuse(why, "max_replicas", "agent.policy.max_replicas",
				      "%d replicas is above max_replicas %d", prop->replicas_after,
				      p->max_replicas);
		if (abs(prop->replicas_after - prop->replicas_before) > p->max_scale_step)
			return refuse(why, "max_scale_step", "agent.policy.max_scale_step",
				      "replicas %d → %d changes %d at once; max_scale_step is %d",
				      prop->replicas_before, prop->replicas_after,
				      abs(prop->replicas_after - prop->replicas_before),
				      p->max_scale_step);
		break;
	case ACT_CHANGE_LIMITS: {
		char s1[32];

		if (prop->cpu_limit_after > p->max_cpu_limit ||
		    prop->cpu_request_after > p->max_cpu_limit)
			return refuse(why, "max_cpu_limit", "agent.policy.max_cpu_limit",
				      "%.0fm CPU is above max_cpu_limit %.0fm",
				      1000 * (prop->cpu_limit_after > prop->cpu_request_after ?
					      prop->cpu_limit_after : prop->cpu_request_after),
				      1000 * p->max_cpu_limit);
		if (prop->mem_limit_after > p->max_mem_limit ||
		    prop->mem_request_after > p->max_mem_limit) {
			mib(prop->mem_limit_after > prop->mem_request_after ? prop->mem_limit_after :
			    prop->mem_request_after, s1, sizeof(s1));
			return refuse(why, "max_memory_limit", "agent.policy.max_memory_limit",
				      "%s of memory is above max_memory_limit %.0fMi", s1,
				      p->max_mem_limit / (1024.0 * 1024.0));
		}
		if (factor_check(p, prop, why))
			return -EPERM;
		break;
	}
	case ACT_CORDON_NODE:
	case ACT_DRAIN_NODE: {
		/* a node cordoned already (the first half of "cordon, then drain")
		 * is counted once, not again */
		int more = prop->node_cordoned ? 0 : 1;
		int cordoned = facts->nodes - facts->schedulable_nodes + more;

		if (facts->schedulable_nodes - more < 1)
			return refuse(why, "last_schedulable_node", "",
				      "node %s is the last schedulable node", prop->name);
		if (facts->nodes > 0 && (double)cordoned / facts->nodes > p->max_cordoned_share + 1e-9)
			return refuse(why, "max_cordoned_share", "agent.policy.max_cordoned_share",
				      "%d of %d nodes would be cordoned (%.0f%%); max_cordoned_share is %.0f%%",
				      cordoned, facts->nodes, 100.0 * cordoned / facts->nodes,
				      100.0 * p->max_cordoned_share);
		break;
	}
	default:
		break;
	}
	return 0;
}

int policy_check(const struct policy *p, const struct proposal *prop,
		 const struct cluster_facts *facts, int64_t now_ms,
		 const char **rule)
{
	struct policy_refusal why;
	int rc = policy_judge(p, prop, facts, now_ms, &why);

	if (rc)
		*rule = why.rule;
	return rc;
}

void policy_record(struct policy *p, const struct proposal *prop, int64_t now_ms)
{
	char key[512];
	size_t keep = 0;

	/* forget what no rule can see any more */
	for (size_t i = 0; i < p->nrecent; i++) {
		if (now_ms - p->recent[i].at_ms < HOUR_MS ||
		    now_ms - p->recent[i].at_ms < p->cooldown_ms)
			p->recent[keep++] = p->recent[i];
		else
			free(p->recent[i].target);
	}
	p->nrecent = keep;
	target_key(prop, key, sizeof(key));
	ARRAY_GROW(p->recent, p->caprecent, p->nrecent + 1);
	p->recent[p->nrecent].target = xstrdup(key);
	p->recent[p->nrecent].at_ms = now_ms;
	p->nrecent++;
}

#include <errno.h>
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
	strvec_clear(&p->deny_namespaces);
	if ((s = config_str(c, "agent.policy.deny_namespaces")) && *s)
		strvec_split(&p->deny_namespaces, s, ',');
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
	snprintf(out, n, "%s/%s", action_is_node(prop->kind) ? "node" :
		 (prop->namespace_ ? prop->namespace_ : ""), prop->name ? prop->name : "");
}

/* A limit change within the factor: both ways, and 0 (unset) is no change. */
static bool within_factor(double before, double after, double factor)
{
	if (after <= 0 || before <= 0)
		return true; /* nothing to compare: the ceilings still apply */
	return after <= before * factor + 1e-9 && after >= before / factor - 1e-9;
}

static int refuse(const char **rule, const char *name)
{
	*rule = name;
	return -EPERM;
}

int policy_check(const struct policy *p, const struct proposal *prop,
		 const struct cluster_facts *facts, int64_t now_ms,
		 const char **rule)
{
	char key[512];
	int in_hour = 0;

	if (prop->kind >= ACT_NONE)
		return refuse(rule, "no_action");
	if (!prop->name || !*prop->name)
		return refuse(rule, "no_target");
	if (!action_is_node(prop->kind)) {
		const char *ns = prop->namespace_ ? prop->namespace_ : "";
		if (strvec_contains(&p->deny_namespaces, ns))
			return refuse(rule, "namespace_denied");
		if (p->allow_namespaces.n && !strvec_contains(&p->allow_namespaces, ns))
			return refuse(rule, "namespace_not_allowed");
	}
	target_key(prop, key, sizeof(key));
	for (size_t i = 0; i < p->nrecent; i++) {
		const struct policy_recent *r = &p->recent[i];
		if (now_ms - r->at_ms < HOUR_MS)
			in_hour++;
		if (strcmp(r->target, key) == 0 && now_ms - r->at_ms < p->cooldown_ms)
			return refuse(rule, "cooldown");
	}
	if (in_hour >= p->hourly_budget)
		return refuse(rule, "hourly_budget");

	switch (prop->kind) {
	case ACT_RESTART_POD:
		if (prop->bare_pod && !p->allow_bare_pods)
			return refuse(rule, "bare_pod");
		break;
	case ACT_SCALE_DEPLOYMENT:
		if (prop->replicas_after < p->min_replicas)
			return refuse(rule, "min_replicas");
		if (prop->replicas_after > p->max_replicas)
			return refuse(rule, "max_replicas");
		if (abs(prop->replicas_after - prop->replicas_before) > p->max_scale_step)
			return refuse(rule, "max_scale_step");
		break;
	case ACT_CHANGE_LIMITS:
		if (prop->cpu_limit_after > p->max_cpu_limit ||
		    prop->cpu_request_after > p->max_cpu_limit)
			return refuse(rule, "max_cpu_limit");
		if (prop->mem_limit_after > p->max_mem_limit ||
		    prop->mem_request_after > p->max_mem_limit)
			return refuse(rule, "max_memory_limit");
		if (!within_factor(prop->cpu_limit_before, prop->cpu_limit_after, p->max_limit_factor) ||
		    !within_factor(prop->mem_limit_before, prop->mem_limit_after, p->max_limit_factor) ||
		    !within_factor(prop->cpu_request_before, prop->cpu_request_after, p->max_limit_factor) ||
		    !within_factor(prop->mem_request_before, prop->mem_request_after, p->max_limit_factor))
			return refuse(rule, "max_limit_factor");
		break;
	case ACT_CORDON_NODE:
	case ACT_DRAIN_NODE:
		if (facts->schedulable_nodes <= 1)
			return refuse(rule, "last_schedulable_node");
		if (facts->nodes > 0 &&
		    (double)(facts->nodes - facts->schedulable_nodes + 1) / facts->nodes >
		    p->max_cordoned_share + 1e-9)
			return refuse(rule, "max_cordoned_share");
		break;
	default:
		break;
	}
	return 0;
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

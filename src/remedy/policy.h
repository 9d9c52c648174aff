#ifndef REMEDY_POLICY_H
#define REMEDY_POLICY_H
/*
 * The rules every proposed action must pass before anyone is asked to
 * approve it (config/agent_config.yaml, docs/remediation.md): namespaces,
 * cooldown per target, an hourly budget, and bounds per action. struct
 * policy owns its namespace lists and its memory of recent actions;
 * policy_release() frees them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "base/strvec.h"
#include "remedy/action.h"

struct policy_recent;

struct policy {
	struct strvec allow_namespaces;     /* empty: every namespace not denied */
	struct strvec deny_namespaces;      /* agent.policy.default_deny_namespaces + deny_namespaces */
	int64_t cooldown_ms;                /* per target; default 5 min */
	int hourly_budget;                  /* actions per rolling hour; default 10 */
	int min_replicas, max_replicas;     /* default 1 and 50 */
	int max_scale_step;                 /* replicas added or removed at once; default 5 */
	double max_limit_factor;            /* a limit changes by at most this factor per step; default 2 */
	double max_cpu_limit;               /* cores; default 8 */
	double max_mem_limit;               /* bytes; default 16 GiB */
	double max_cordoned_share;          /* of all nodes, cordoned at once; default 0.34 */
	bool allow_bare_pods;               /* restart_pod on pods without a controller */

	struct policy_recent *recent;       /* actions taken (for cooldown and budget) */
	size_t nrecent, caprecent;
};

/* What the policy needs to know about the cluster now. */
struct cluster_facts {
	int nodes;                  /* all nodes */
	int schedulable_nodes;      /* not cordoned */
};

/* The defaults listed above. */
void policy_init(struct policy *p);
/* The defaults, then agent.policy.* of the effective configuration. */
struct config;
void policy_load_config(struct policy *p, const struct config *c);
void policy_release(struct policy *p);

/* Why a proposal was refused: the rule, the setting that holds it, and one
 * sentence with the values ("192Mi is 2.13x the current 90Mi; ..."). */
struct policy_refusal {
	const char *rule;           /* "max_limit_factor", "cooldown", ... (static) */
	const char *setting;        /* "agent.policy.max_limit_factor", or "" when no setting changes it */
	char message[512];
};

/*
 * 0 when the proposal may go ahead; otherwise -EPERM with why filled (may be
 * NULL). Cooldown is per workload (a Deployment and all its pods are one
 * target); a follow-up step of a verified plan skips the cooldown.
 */
int policy_judge(const struct policy *p, const struct proposal *prop,
		 const struct cluster_facts *facts, int64_t now_ms,
		 struct policy_refusal *why);

/* policy_judge() with only the rule's name in *rule. */
int policy_check(const struct policy *p, const struct proposal *prop,
		 const struct cluster_facts *facts, int64_t now_ms,
		 const char **rule);

/* Remembers that the proposal was acted on at now_ms (cooldown, budget). */
void policy_record(struct policy *p, const struct proposal *prop, int64_t now_ms);

#endif

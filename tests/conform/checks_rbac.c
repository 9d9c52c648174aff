/* Every remediation action as kubemend runs it (remedy_execute(): read the
 * target, guard, write), dry run and for real, with the credentials under
 * test. allowed: each must be "done". denied (the observe role only): each
 * write must fail with a 403 whose message names the verb and resource. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "remedy/execute.h"
#include "base/banned.h"

struct act {
	const char *check;
	enum action_kind kind;
	const char *need;               /* the permission a denial must name */
};

static const struct act acts[] = {
	{ "scale_deployment", ACT_SCALE_DEPLOYMENT, "cannot patch resource \"deployments/scale\"" },
	{ "change_limits", ACT_CHANGE_LIMITS, "cannot patch resource \"deployments\"" },
	{ "restart_pod", ACT_RESTART_POD, "cannot delete resource \"pods\"" },
	{ "rollout_restart", ACT_RESTART_POD, "cannot patch resource \"deployments\"" },
	{ "cordon_node", ACT_CORDON_NODE, "cannot patch resource \"nodes\"" },
	{ "uncordon_node", ACT_UNCORDON_NODE, "cannot patch resource \"nodes\"" },
	{ "drain_node", ACT_DRAIN_NODE, "cannot patch resource \"nodes\"" },
};

static bool settled(struct conform *c, void *arg)
{
	(void)arg;
	return ready_pods(c, NULL) >= c->replicas;
}

/* The admin puts the node in the state the action expects (uncordon needs a
 * cordoned node, drain an uncordoned one). */
static void node_state(struct conform *c, bool unschedulable)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "/api/v1/nodes/%s", c->node2);
	sendj(c->admin, "PATCH", p.data, "application/merge-patch+json",
	      json_pack("{s:{s:b}}", "spec", "unschedulable", unschedulable), NULL, NULL);
	buf_release(&p);
}

static void run_one(struct conform *c, const struct act *a, bool dry, bool allowed)
{
	struct remedy_exec x;
	struct proposal p;
	json_t *res = NULL, *names = NULL;
	enum exec_outcome out;
	char check[128];
	const char *msg;
	long long status;

	memset(&x, 0, sizeof(x));
	memset(&p, 0, sizeof(p));
	x.kc = c->kc;
	x.dry_run = dry;
	x.affected_pods = 1;
	x.drain_timeout_ms = 60000;
	x.drain_retry_ms = 500;
	p.kind = a->kind;
	p.namespace_ = c->ns;
	p.name = c->dep;
	ready_pods(c, &names);
	switch (a->kind) {
	case ACT_SCALE_DEPLOYMENT:
		p.replicas_before = c->replicas;
		p.replicas_after = c->replicas;   /* a no-op write: the permission is what is tested */
		break;
	case ACT_CHANGE_LIMITS: {
		/* above the template's request and limit, and new each time */
		struct target_state st;
		struct kube_error e;
		double base = 256.0 * 1024 * 1024;

		if (target_observe(c->admin, &p, NULL, &st, &e) == 0) {
			if (st.mem_limit_v > base)
				base = st.mem_limit_v;
			if (st.mem_request_v > base)
				base = st.mem_request_v;
		}
		p.mem_limit_after = base + 64.0 * 1024 * 1024;
		break;
	}
	case ACT_RESTART_POD:
		p.name = json_string_value(json_array_get(names, 0));
		if (!strcmp(a->check, "rollout_restart"))
			x.affected_pods = c->replicas;    /* every pod sick: a rollout restart */
		break;
	case ACT_CORDON_NODE:
	case ACT_DRAIN_NODE:
		node_state(c, false);
		p.namespace_ = NULL;
		p.name = c->node2;
		break;
	case ACT_UNCORDON_NODE:
		node_state(c, true);
		p.namespace_ = NULL;
		p.name = c->node2;
		break;
	default:
		break;
	}
	snprintf(check, sizeof(check), "rbac.%s.%s%s", allowed ? "remediate" : "observe-only",
		 a->check, dry ? ".dry-run" : "");
	out = remedy_execute(&x, &p, NULL, &res);
	msg = jps(res, "message");
	status = jpi(res, "http_status");
	if (allowed)
		result(c, check, out == EXEC_DONE, "%s %s: %s (HTTP %lld): %.300s", a->check,
		       p.name ? p.name : "-", exec_outcome_name(out), status, msg);
	else
		result(c, check, out == EXEC_FAILED && status == 403 && strstr(msg, a->need),
		       "%s %s: %s (HTTP %lld), want a 403 naming '%s': %.400s", a->check,
		       p.name ? p.name : "-", exec_outcome_name(out), status, a->need, msg);
	json_decref(res);
	json_decref(names);
	if (a->kind == ACT_CORDON_NODE || a->kind == ACT_DRAIN_NODE || a->kind == ACT_UNCORDON_NODE)
		node_state(c, false);
	wait_for(c, 90000, settled, NULL);
}

void checks_rbac(struct conform *c, bool allowed)
{
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		run_one(c, &acts[i], true, allowed);
		run_one(c, &acts[i], false, allowed);
	}
}

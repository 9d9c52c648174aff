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
#include "kube/events.h"
#include "kube/lease.h"
#include "kube/remediation.h"
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
	{ "restart_pod", ACT_RESTART_POD, "cannot create resource \"pods/eviction\"" },
	{ "cordon_node", ACT_CORDON_NODE, "cannot patch resource \"nodes\"" },
	{ "uncordon_node", ACT_UNCORDON_NODE, "cannot patch resource \"nodes\"" },
	{ "drain_node", ACT_DRAIN_NODE, "cannot patch resource \"nodes\"" },
	/* last: while its HPA exists, kubemend rightly will not scale the Deployment */
	{ "raise_hpa_max", ACT_RAISE_HPA_MAX, "cannot patch resource \"horizontalpodautoscalers\"" },
};

#define HPA "conform-hpa"

/* The admin's HPA over the test Deployment, min = max = its replicas (so
 * neither autoscaler moves it); a 409 is one left by an earlier run. */
static void hpa_make(struct conform *c)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "/apis/autoscaling/v2/namespaces/%s/horizontalpodautoscalers", c->ns);
	sendj(c->admin, "POST", p.data, "application/json",
	      json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s, s:s, s:s}, s:i, s:i, s:[{s:s, s:{s:s, s:{s:s, s:i}}}]}}",
			"apiVersion", "autoscaling/v2", "kind", "HorizontalPodAutoscaler",
			"metadata", "name", HPA,
			"spec", "scaleTargetRef", "apiVersion", "apps/v1", "kind", "Deployment", "name", c->dep,
			"minReplicas", c->replicas, "maxReplicas", c->replicas,
			"metrics", "type", "Resource", "resource", "name", "cpu", "target", "type", "Utilization",
			"averageUtilization", 80), NULL, NULL);
	buf_release(&p);
}

static void hpa_delete(struct conform *c)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "/apis/autoscaling/v2/namespaces/%s/horizontalpodautoscalers/%s", c->ns, HPA);
	sendj(c->admin, "DELETE", p.data, NULL, NULL, NULL, NULL);
	buf_release(&p);
}

/* All pods Ready and the Deployment's status caught up with them: the
 * deployment controller has nothing left to write for now. */
static bool settled(struct conform *c, void *arg)
{
	struct buf p = BUF_INIT;
	json_t *d;
	long long n;
	bool ok;

	(void)arg;
	if (ready_pods(c, NULL) < c->replicas)
		return false;
	buf_addf(&p, "/apis/apps/v1/namespaces/%s/deployments/%s", c->ns, c->dep);
	d = get(c->admin, p.data, NULL);
	buf_release(&p);
	n = jpi(d, "spec.replicas");
	ok = d && jpi(d, "status.observedGeneration") == jpi(d, "metadata.generation") &&
	     jpi(d, "status.replicas") == n && jpi(d, "status.updatedReplicas") == n &&
	     jpi(d, "status.readyReplicas") == n && jpi(d, "status.availableReplicas") == n;
	json_decref(d);
	return ok;
}

/* The node the first Ready pod of the test Deployment runs on (drain has
 * something to evict there). */
static void busy_node(struct conform *c, const json_t *names, char *out, size_t n)
{
	struct buf p = BUF_INIT;
	json_t *pod;

	str_copy(out, c->node2, n);
	if (!json_array_size(names))
		return;
	buf_addf(&p, "/api/v1/namespaces/%s/pods/%s", c->ns, json_string_value(json_array_get(names, 0)));
	pod = get(c->admin, p.data, NULL);
	if (*jps(pod, "spec.nodeName"))
		str_copy(out, jps(pod, "spec.nodeName"), n);
	json_decref(pod);
	buf_release(&p);
}

/* The admin puts the node in the state the action expects (uncordon needs a
 * cordoned node, drain an uncordoned one). */
static void node_state(struct conform *c, const char *node, bool unschedulable)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "/api/v1/nodes/%s", node);
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
	char check[128], node[128];
	const char *msg;
	long long status;
	int races = 0;

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
	wait_for(c, 90000, settled, NULL);
	ready_pods(c, &names);
	busy_node(c, names, node, sizeof(node));
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
		break;
	case ACT_CORDON_NODE:
	case ACT_DRAIN_NODE:
		node_state(c, node, false);
		p.namespace_ = NULL;
		p.name = node;
		break;
	case ACT_UNCORDON_NODE:
		node_state(c, node, true);
		p.namespace_ = NULL;
		p.name = node;
		break;
	case ACT_RAISE_HPA_MAX: {
		/* one more than now, so each run writes */
		struct target_state st;
		struct kube_error e;

		hpa_make(c);
		p.name = HPA;
		p.workload = c->dep;
		if (target_observe(c->admin, &p, NULL, &st, &e) == 0) {
			p.replicas_before = st.hpa_max;
			p.replicas_after = st.hpa_max + 1;
		}
		break;
	}
	default:
		break;
	}
	snprintf(check, sizeof(check), "rbac.%s.%s%s", allowed ? "remediate" : "observe-only",
		 a->check, dry ? ".dry-run" : "");
	/* A 409 from a status write that landed between kubemend's read and its
	 * write is not what this checks (docs/conformance.md): once more, counted. */
	for (;;) {
		out = remedy_execute(&x, &p, NULL, &res);
		if (jpi(res, "http_status") != 409 || races++ >= 2)
			break;
		json_decref(res);
		res = NULL;
		wait_for(c, 30000, settled, NULL);
	}
	msg = jps(res, "message");
	status = jpi(res, "http_status");
	if (allowed)
		result(c, check, out == EXEC_DONE, "%s %s: %s (HTTP %lld) after %d status-race 409s: %.300s",
		       a->check, p.name ? p.name : "-", exec_outcome_name(out), status, races, msg);
	else
		result(c, check, out == EXEC_FAILED && status == 403 && strstr(msg, a->need),
		       "%s %s: %s (HTTP %lld), want a 403 naming '%s': %.400s", a->check,
		       p.name ? p.name : "-", exec_outcome_name(out), status, a->need, msg);
	json_decref(res);
	json_decref(names);
	if (a->kind == ACT_CORDON_NODE || a->kind == ACT_DRAIN_NODE || a->kind == ACT_UNCORDON_NODE)
		node_state(c, node, false);
	if (a->kind == ACT_RAISE_HPA_MAX && !dry)
		hpa_delete(c);
	wait_for(c, 90000, settled, NULL);
}

/* One of kubemend's other writes: rc and e as the call gave them. */
static void other(struct conform *c, bool allowed, const char *what, int rc, const struct kube_error *e,
		  const char *need)
{
	char check[128];

	snprintf(check, sizeof(check), "rbac.%s.%s", allowed ? "remediate" : "observe-only", what);
	if (allowed)
		result(c, check, rc >= 0, "%s: %d %s", what, rc, rc < 0 ? e->msg : "");
	else
		result(c, check, rc == -EACCES && e->status == 403 && strstr(e->msg, need),
		       "%s: %d (HTTP %ld), want a 403 naming '%s': %.400s", what, rc, e->status, need, e->msg);
}

/*
 * The writes kubemend makes besides the actions: Events about the objects
 * it acts on (kube/events.c), its leader Lease and its Remediation records
 * in its own namespace (kube/lease.c, kube/remediation.c).
 */
static void others(struct conform *c, bool allowed)
{
	struct kube_recorder r;
	struct kube_recorder_opts ro = { "kubemend.io/conform", "rbac", 0, 1, 25, 0 };
	struct kube_event_ref ref = { "apps/v1", "Deployment", c->ns, c->dep, NULL };
	struct kube_lease l;
	struct kube_lease_opts lo = { "kubemend-conform", "kubemend", "rbac-check", 15000, 10000, 2000 };
	struct kube_error e = { 0 };
	json_t *spec;
	char name[64], err[256];
	int rc;

	kube_recorder_init(&r, c->kc, &ro);
	rc = kube_event(&r, &ref, false, allowed ? "ConformAllowed" : "ConformDenied", "Check",
			"an Event as kubemend records them", &e);
	other(c, allowed, "event", rc, &e, "cannot create resource \"events\" in API group \"events.k8s.io\"");
	kube_recorder_release(&r);

	memset(&e, 0, sizeof(e));
	kube_lease_init(&l, c->kc, &lo, err, sizeof(err));
	rc = kube_lease_try(&l, &e);
	if (rc == 0)
		rc = 1; /* held by an earlier run's identity is still a successful read and write path */
	other(c, allowed, "leader-lease", rc, &e, "resource \"leases\" in API group \"coordination.k8s.io\"");
	kube_lease_release(&l);

	memset(&e, 0, sizeof(e));
	kube_remediation_name("scale_deployment", allowed ? "rbac-allowed" : "rbac-denied", "0123456789ab", name);
	spec = json_pack("{s:s, s:s, s:s}", "action", "scale_deployment", "target", c->dep,
			 "digest", "0123456789ab");
	rc = kube_remediation_create(c->kc, "kubemend", name, NULL, spec, NULL, &e);
	if (rc == -EINVAL && e.status == 409)
		rc = 0; /* made by an earlier run */
	json_decref(spec);
	other(c, allowed, "record-create", rc, &e, "cannot create resource \"remediations\" in API group \"kubemend.io\"");
	if (allowed && rc == 0) {
		json_t *st = json_pack("{s:s}", "phase", "Done");
		memset(&e, 0, sizeof(e));
		rc = kube_remediation_set_status(c->kc, "kubemend", name, st, NULL, NULL, &e);
		json_decref(st);
		other(c, allowed, "record-status", rc, &e, "");
	}
}

void checks_rbac(struct conform *c, bool allowed)
{
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		run_one(c, &acts[i], true, allowed);
		run_one(c, &acts[i], false, allowed);
	}
	others(c, allowed);
}

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "remedy/blast.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/banned.h"

struct pdb_search {
	const json_t *labels;   /* the pods' labels */
	json_t *found;          /* the first PDB selecting them */
};

/* matchLabels only; a PDB with matchExpressions is not matched (null, not a guess). */
static int on_pdb(const json_t *item, void *ctx)
{
	struct pdb_search *s = ctx;
	const json_t *sel = json_object_get(json_object_get(item, "spec"), "selector");
	const json_t *ml = json_object_get(sel, "matchLabels");
	const json_t *st = json_object_get(item, "status");
	const char *k;
	json_t *v;

	if (s->found || !json_is_object(ml) || !json_object_size(ml) ||
	    json_array_size(json_object_get(sel, "matchExpressions")))
		return 0;
	json_object_foreach((json_t *)ml, k, v)
		if (!json_equal(v, json_object_get(s->labels, k)))
			return 0;
	s->found = json_pack("{s:s?, s:O?, s:O?, s:O?}",
			     "name", json_string_value(json_object_get(json_object_get(item, "metadata"), "name")),
			     "disruptions_allowed", json_object_get(st, "disruptionsAllowed"),
			     "current_healthy", json_object_get(st, "currentHealthy"),
			     "desired_healthy", json_object_get(st, "desiredHealthy"));
	return 0;
}

/* The PDB that selects the pods of this Deployment or pod, or NULL. */
static json_t *find_pdb(struct kube_client *kc, const struct proposal *p,
			const struct target_state *st)
{
	struct kube_error e = { 0 };
	struct pdb_search s = { NULL, NULL };
	struct buf path = BUF_INIT;
	json_t *obj = NULL;
	const char *dep = p->kind == ACT_RESTART_POD ? (st->deployment[0] ? st->deployment : NULL) :
			  p->kind == ACT_RAISE_HPA_MAX && p->workload ? p->workload : p->name;

	if (!p->namespace_)
		return NULL;
	if (p->kind == ACT_RESTART_POD && !dep) {
		if (target_get(kc, "get pod", "/api/v1", p->namespace_, "pods", p->name, &obj, &e))
			return NULL;
		s.labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	} else {
		if (target_get(kc, "get deployment", "/apis/apps/v1", p->namespace_, "deployments", dep,
			       &obj, &e))
			return NULL;
		s.labels = json_object_get(json_object_get(json_object_get(json_object_get(obj, "spec"),
			"template"), "metadata"), "labels");
	}
	if (json_is_object(s.labels)) {
		buf_adds(&path, "/apis/policy/v1/namespaces/");
		target_escape(&path, p->namespace_);
		buf_adds(&path, "/poddisruptionbudgets");
		if (kube_list(kc, "list poddisruptionbudgets", path.data, 500, on_pdb, NULL, &s,
			      NULL, 0, &e) && s.found) {
			json_decref(s.found);
			s.found = NULL;
		}
	}
	buf_release(&path);
	json_decref(obj);
	return s.found;
}

json_t *blast_radius(struct kube_client *kc, const struct proposal *p,
		     const struct target_state *st)
{
	json_t *pods = json_null(), *pdb;
	const char *detail = NULL;
	char text[160];

	switch (p->kind) {
	case ACT_RESTART_POD:
		pods = json_integer(1);
		detail = st->deployment[0] ? "one pod is deleted; its ReplicaSet starts a new one" :
			 "one pod is deleted";
		break;
	case ACT_SCALE_DEPLOYMENT:
		pods = json_integer(abs(p->replicas_after - p->replicas_before));
		snprintf(text, sizeof(text), "%s %d pod%s; the running ones are not touched",
			 p->replicas_after >= p->replicas_before ? "starts" : "stops",
			 abs(p->replicas_after - p->replicas_before),
			 abs(p->replicas_after - p->replicas_before) == 1 ? "" : "s");
		detail = text;
		break;
	case ACT_CHANGE_LIMITS:
		if (st->replicas > 0) {
			pods = json_integer(st->replicas);
			snprintf(text, sizeof(text), "a rolling update replaces all %d pod%s", st->replicas,
				 st->replicas == 1 ? "" : "s");
			detail = text;
		}
		break;
	case ACT_RAISE_HPA_MAX:
		pods = json_integer(p->replicas_after - p->replicas_before);
		snprintf(text, sizeof(text), "the autoscaler may start up to %d more pod%s; the running "
			 "ones are not touched", p->replicas_after - p->replicas_before,
			 p->replicas_after - p->replicas_before == 1 ? "" : "s");
		detail = text;
		break;
	case ACT_ROLLOUT_UNDO:
		if (st->replicas > 0) {
			pods = json_integer(st->replicas);
			snprintf(text, sizeof(text), "a rolling update to the previous template replaces "
				 "the pods of the new revision (%d replica%s)", st->replicas,
				 st->replicas == 1 ? "" : "s");
			detail = text;
		}
		break;
	case ACT_CORDON_NODE:
		pods = json_integer(0);
		detail = "no pod moves; new pods are not scheduled on the node";
		break;
	case ACT_UNCORDON_NODE:
		pods = json_integer(0);
		detail = "no pod moves";
		break;
	case ACT_DRAIN_NODE:
		detail = "every pod on the node is evicted (within PodDisruptionBudgets)";
		break;
	default:
		break;
	}
	pdb = action_is_node(p->kind) ? NULL : find_pdb(kc, p, st);
	return json_pack("{s:o, s:s?, s:o}", "pods", pods, "pods_detail", detail, "pdb",
			 pdb ? pdb : json_null());
}

static void add(json_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(json_t *a, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(a, json_string(b.data ? b.data : ""));
	buf_release(&b);
}

json_t *policy_checks_passed(const struct policy *pol, const struct proposal *p)
{
	json_t *a = json_array();

	add(a, "the target is what the insight is about");
	if (!action_is_node(p->kind)) {
		if (pol->allow_namespaces.n)
			add(a, "namespace %s is allowed", p->namespace_ ? p->namespace_ : "");
		else
			add(a, "namespace %s is not denied", p->namespace_ ? p->namespace_ : "");
	}
	add(a, "no action on this target in the last %lld s (cooldown)", (long long)(pol->cooldown_ms / 1000));
	add(a, "fewer than %d actions in the last hour (budget)", pol->hourly_budget);
	switch (p->kind) {
	case ACT_RESTART_POD:
		add(a, p->bare_pod ? "bare pods may be restarted (allow_bare_pods)" : "the pod has a controller");
		break;
	case ACT_SCALE_DEPLOYMENT:
	case ACT_RAISE_HPA_MAX:
		add(a, "%d replicas is within %d..%d", p->replicas_after, pol->min_replicas, pol->max_replicas);
		add(a, "a step of %d is at most %d", abs(p->replicas_after - p->replicas_before),
		    pol->max_scale_step);
		break;
	case ACT_CHANGE_LIMITS:
		add(a, "limits stay at most %.3g cores and %.3g GiB", pol->max_cpu_limit,
		    pol->max_mem_limit / (1024.0 * 1024 * 1024));
		add(a, "each value changes by at most x%.3g", pol->max_limit_factor);
		break;
	case ACT_ROLLOUT_UNDO:
		add(a, "the failing pods are the newest revision's and an earlier one exists");
		break;
	case ACT_CORDON_NODE:
	case ACT_DRAIN_NODE:
		add(a, "another node stays schedulable");
		add(a, "at most %.0f%% of the nodes cordoned at once", pol->max_cordoned_share * 100);
		break;
	default:
		break;
	}
	return a;
}

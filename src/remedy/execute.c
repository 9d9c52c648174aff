#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/mutate.h"
#include "kube/objects.h"
#include "remedy/execute.h"
#include "base/banned.h"

#define DRAIN_MAX_PODS 5000

const char *exec_outcome_name(enum exec_outcome o)
{
	return o == EXEC_DONE ? "done" : o == EXEC_SKIPPED ? "skipped" : "failed";
}

static void set_msg(json_t *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(json_t *res, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(res, "message", json_string(msg));
}

/* An API error as a recorded failure: its status and a message saying what it means. */
static enum exec_outcome api_failure(json_t *res, int rc, const struct kube_error *e)
{
	const char *hint = "";

	json_object_set_new(res, "http_status", json_integer(e->status));
	if (e->status == 404 || rc == -ENOENT)
		hint = "the target no longer exists";
	else if (e->status == 409)
		hint = "the target changed while acting (resourceVersion precondition)";
	else if (e->status == 403 || e->status == 401)
		hint = "kubemend is not allowed to do this (RBAC)";
	else if (e->status == 429)
		hint = "the API server refused for now (rate limit or disruption budget)";
	set_msg(res, "%s%s%s", hint, *hint ? ": " : "", e->msg[0] ? e->msg : strerror(-rc));
	return EXEC_FAILED;
}

static bool differs(double before, double now)
{
	if (!(before > 0))
		return false; /* the proposal made no claim */
	if (!isfinite(now))
		return true;
	return fabs(before - now) > 0.005 * before;
}

/* Whether cur (read now) is still what the proposal was made against. */
static bool changed(const struct proposal *p, const struct target_state *was,
		    const struct target_state *cur, json_t *res)
{
	if (was && was->uid[0] && strcmp(was->uid, cur->uid) != 0) {
		set_msg(res, "skipped: %s/%s was replaced since the proposal (uid %s, now %s)",
			p->namespace_ ? p->namespace_ : "node", p->name, was->uid, cur->uid);
		return true;
	}
	if ((p->kind == ACT_CHANGE_LIMITS || p->kind == ACT_SCALE_DEPLOYMENT ||
	     p->kind == ACT_ROLLOUT_UNDO) &&
	    was && was->generation && was->generation != cur->generation) {
		set_msg(res, "skipped: deployment %s/%s changed since the proposal (generation %lld, now %lld)",
			p->namespace_, p->name, (long long)was->generation, (long long)cur->generation);
		return true;
	}
	if (p->kind == ACT_CHANGE_LIMITS &&
	    (differs(p->mem_limit_before, cur->mem_limit_v) ||
	     differs(p->cpu_limit_before, cur->cpu_limit_v) ||
	     differs(p->mem_request_before, cur->mem_request_v) ||
	     differs(p->cpu_request_before, cur->cpu_request_v))) {
		set_msg(res, "skipped: the resources of %s/%s are no longer what the proposal "
			"started from (memory limit now %s, cpu limit now %s)", p->namespace_,
			p->name, cur->mem_limit[0] ? cur->mem_limit : "unset",
			cur->cpu_limit[0] ? cur->cpu_limit : "unset");
		return true;
	}
	if (p->kind == ACT_SCALE_DEPLOYMENT && p->replicas_before > 0 &&
	    cur->replicas != p->replicas_before) {
		set_msg(res, "skipped: %s/%s has %d replicas now, not %d as proposed",
			p->namespace_, p->name, cur->replicas, p->replicas_before);
		return true;
	}
	if (p->kind == ACT_RAISE_HPA_MAX && cur->hpa_max != p->replicas_before) {
		set_msg(res, "skipped: horizontalpodautoscaler %s/%s has maxReplicas %d now, not %d as proposed",
			p->namespace_, p->name, cur->hpa_max, p->replicas_before);
		return true;
	}
	if (p->kind == ACT_ROLLOUT_UNDO &&
	    (cur->revision != p->revision_before || cur->prev_revision != p->revision_after)) {
		set_msg(res, "skipped: deployment %s/%s is at revision %lld (previous %lld), not %lld "
			"(previous %lld) as proposed", p->namespace_, p->name, cur->revision,
			cur->prev_revision, p->revision_before, p->revision_after);
		return true;
	}
	if (p->kind == ACT_CORDON_NODE && cur->unschedulable) {
		set_msg(res, "skipped: node %s is already cordoned", p->name);
		return true;
	}
	if (p->kind == ACT_UNCORDON_NODE && !cur->unschedulable) {
		set_msg(res, "skipped: node %s is not cordoned", p->name);
		return true;
	}
	return false;
}

static void ok(json_t *res, long status)
{
	json_object_set_new(res, "http_status", json_integer(status));
}

static enum exec_outcome restart_pod(const struct remedy_exec *x, const struct proposal *p,
				     const struct target_state *cur, json_t *res)
{
	struct kube_error e = { 0 };
	int rc;

	if (!cur->owner_kind[0] && !x->allow_bare_pods) {
		json_object_set_new(res, "operation", json_string("delete_pod"));
		set_msg(res, "refused: pod %s/%s has no controller, so nothing would replace it "
			"(--allow-bare-pods allows it)", p->namespace_, p->name);
		return EXEC_FAILED;
	}
	json_object_set_new(res, "operation", json_string("evict_pod"));
	json_object_set_new(res, "uid", json_string(cur->uid));
	if (cur->deployment[0]) {
		int floor = cur->replicas - 1 > 1 ? cur->replicas - 1 : 1;

		json_object_set_new(res, "deployment", json_string(cur->deployment));
		json_object_set_new(res, "ready_before", json_integer(cur->ready_replicas));
		/* never fewer ready replicas than max(1, replicas - 1) */
		if (cur->pod_ready && cur->ready_replicas - 1 < floor) {
			set_msg(res, "refused: evicting Ready pod %s/%s would leave %d of %d replicas of "
				"deployment %s ready; the floor is max(1, replicas - 1) = %d",
				p->namespace_, p->name, cur->ready_replicas - 1, cur->replicas,
				cur->deployment, floor);
			json_object_set_new(res, "rule", json_string("ready_floor"));
			return EXEC_FAILED;
		}
	}
	/* through the Eviction API only: a PodDisruptionBudget can say no (429) */
	rc = kube_pod_evict(x->kc, p->namespace_, p->name, x->dry_run, &e);
	if (rc == -EBUSY || e.status == 429) {
		json_object_set_new(res, "http_status", json_integer(429));
		set_msg(res, "not evicted: a PodDisruptionBudget forbids evicting pod %s/%s now%s%s",
			p->namespace_, p->name, e.msg[0] ? ": " : "", e.msg);
		json_object_set_new(res, "rule", json_string("pod_disruption_budget"));
		return EXEC_FAILED;
	}
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 201);
	set_msg(res, "evicted pod %s/%s; its controller replaces it", p->namespace_, p->name);
	return EXEC_DONE;
}

static json_t *resources_json(const struct target_state *st)
{
	json_t *o = json_pack("{s:s, s:{}, s:{}}", "container", st->container,
			      "limits", "requests");
	json_t *lim = json_object_get(o, "limits"), *req = json_object_get(o, "requests");

	if (st->cpu_limit[0])
		json_object_set_new(lim, "cpu", json_string(st->cpu_limit));
	if (st->mem_limit[0])
		json_object_set_new(lim, "memory", json_string(st->mem_limit));
	if (st->cpu_request[0])
		json_object_set_new(req, "cpu", json_string(st->cpu_request));
	if (st->mem_request[0])
		json_object_set_new(req, "memory", json_string(st->mem_request));
	return o;
}

static enum exec_outcome change_limits(const struct remedy_exec *x, const struct proposal *p,
				       const struct target_state *cur, json_t *res)
{
	struct kube_resources r = { 0 };
	struct kube_error e = { 0 };
	char cl[32], ml[32], cr[32], mr[32];
	int rc;

	json_object_set_new(res, "operation", json_string("patch_resources"));
	json_object_set_new(res, "previous", resources_json(cur));
	if (p->cpu_limit_after > 0)
		quantity_cores(p->cpu_limit_after, cl, sizeof(cl)), r.cpu_limit = cl;
	if (p->mem_limit_after > 0)
		quantity_bytes(p->mem_limit_after, ml, sizeof(ml)), r.mem_limit = ml;
	if (p->cpu_request_after > 0)
		quantity_cores(p->cpu_request_after, cr, sizeof(cr)), r.cpu_request = cr;
	if (p->mem_request_after > 0)
		quantity_bytes(p->mem_request_after, mr, sizeof(mr)), r.mem_request = mr;
	if (!r.cpu_limit && !r.mem_limit && !r.cpu_request && !r.mem_request) {
		set_msg(res, "nothing to change: the proposal names no new request or limit");
		return EXEC_FAILED;
	}
	json_object_set_new(res, "applied", json_pack("{s:s, s:{s:s?, s:s?}, s:{s:s?, s:s?}}",
		"container", cur->container, "limits", "cpu", r.cpu_limit, "memory", r.mem_limit,
		"requests", "cpu", r.cpu_request, "memory", r.mem_request));
	if (cur->ncontainers > 1) {
		/* what the pods' limits sum to afterwards, for verification (the rows count pods) */
		if (p->mem_limit_after > 0 && isfinite(cur->pod_mem_limit) && isfinite(cur->mem_limit_v))
			json_object_set_new(res, "pod_memory_limit_after",
					    json_real(cur->pod_mem_limit - cur->mem_limit_v + p->mem_limit_after));
		if (p->cpu_limit_after > 0 && isfinite(cur->pod_cpu_limit) && isfinite(cur->cpu_limit_v))
			json_object_set_new(res, "pod_cpu_limit_after",
					    json_real(cur->pod_cpu_limit - cur->cpu_limit_v + p->cpu_limit_after));
	}
	rc = kube_deployment_set_resources(x->kc, p->namespace_, p->name, cur->container, &r,
					   cur->rv, x->dry_run, NULL, &e);
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 200);
	set_msg(res, "patched the resources of deployment %s/%s", p->namespace_, p->name);
	return EXEC_DONE;
}

static enum exec_outcome scale(const struct remedy_exec *x, const struct proposal *p,
			       const struct target_state *cur, json_t *res)
{
	struct kube_error e = { 0 };
	int rc;

	json_object_set_new(res, "operation", json_string("scale"));
	json_object_set_new(res, "previous", json_pack("{s:i}", "replicas", cur->replicas));
	rc = kube_deployment_scale(x->kc, p->namespace_, p->name, p->replicas_after, cur->rv,
				   x->dry_run, NULL, &e);
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 200);
	set_msg(res, "scaled deployment %s/%s", p->namespace_, p->name);
	return EXEC_DONE;
}

static enum exec_outcome raise_hpa_max(const struct remedy_exec *x, const struct proposal *p,
				       const struct target_state *cur, json_t *res)
{
	struct kube_error e = { 0 };
	int rc;

	json_object_set_new(res, "operation", json_string("patch_hpa"));
	json_object_set_new(res, "previous", json_pack("{s:i, s:i}", "max_replicas", cur->hpa_max,
						       "min_replicas", cur->hpa_min));
	json_object_set_new(res, "deployment", json_string(p->workload ? p->workload : ""));
	rc = kube_hpa_set_max(x->kc, p->namespace_, p->name, p->replicas_after, cur->rv, x->dry_run,
			      NULL, &e);
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 200);
	set_msg(res, "set the maxReplicas of horizontalpodautoscaler %s/%s to %d; it scales the "
		"deployment", p->namespace_, p->name, p->replicas_after);
	return EXEC_DONE;
}

/* As `kubectl rollout undo`: the previous ReplicaSet's template becomes the Deployment's. */
static enum exec_outcome rollout_undo(const struct remedy_exec *x, const struct proposal *p,
				      const struct target_state *cur, json_t *res)
{
	struct kube_error e = { 0 };
	long long rev = 0;
	json_t *tpl;
	int rc;

	json_object_set_new(res, "operation", json_string("rollout_undo"));
	json_object_set_new(res, "previous", json_pack("{s:I, s:s, s:s}", "revision",
		(json_int_t)cur->revision, "replicaset", cur->cur_rs, "image", cur->image));
	if (!cur->prev_rs[0]) {
		set_msg(res, "deployment %s/%s has no earlier revision to roll back to",
			p->namespace_, p->name);
		return EXEC_FAILED;
	}
	tpl = target_rs_template(x->kc, p->namespace_, cur->prev_rs, cur->uid, &rev, &e);
	if (!tpl)
		return api_failure(res, -ENOENT, &e);
	if (rev != cur->prev_revision) {
		json_decref(tpl);
		json_object_set_new(res, "skipped", json_true());
		set_msg(res, "skipped: replicaset %s/%s is revision %lld now, not %lld", p->namespace_,
			cur->prev_rs, rev, cur->prev_revision);
		return EXEC_SKIPPED;
	}
	json_object_set_new(res, "restored", json_pack("{s:I, s:s, s:s}", "revision",
		(json_int_t)cur->prev_revision, "replicaset", cur->prev_rs, "image", cur->prev_image));
	rc = kube_deployment_set_template(x->kc, p->namespace_, p->name, tpl, cur->rv, x->dry_run,
					  NULL, &e);
	json_decref(tpl);
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 200);
	set_msg(res, "rolled deployment %s/%s back to the template of revision %lld (replicaset %s)",
		p->namespace_, p->name, cur->prev_revision, cur->prev_rs);
	return EXEC_DONE;
}

static enum exec_outcome cordon(const struct remedy_exec *x, const struct proposal *p,
				const struct target_state *cur, bool on, json_t *res)
{
	struct kube_error e = { 0 };
	int rc;

	json_object_set_new(res, "operation", json_string(on ? "cordon" : "uncordon"));
	json_object_set_new(res, "previous", json_pack("{s:b}", "unschedulable", cur->unschedulable));
	rc = kube_node_set_unschedulable(x->kc, p->name, on, cur->rv, x->dry_run, NULL, &e);
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 200);
	set_msg(res, "%s node %s", on ? "cordoned" : "uncordoned", p->name);
	return EXEC_DONE;
}

/* The pods a drain must move: not DaemonSet pods, not mirror pods, not finished. */
struct drain_ctx {
	json_t *todo;           /* array of {namespace, name} */
	json_t *skipped;        /* array of "ns/name (why)" */
};

static int drain_item(const json_t *item, void *ctx)
{
	struct drain_ctx *d = ctx;
	const json_t *meta = json_object_get(item, "metadata");
	const json_t *ann = json_object_get(meta, "annotations");
	const json_t *refs = json_object_get(meta, "ownerReferences"), *r;
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *phase = json_string_value(json_object_get(json_object_get(item, "status"), "phase"));
	const char *why = NULL;
	char label[600];
	size_t i;

	if (!ns || !name)
		return 0;
	if (json_array_size(d->todo) >= DRAIN_MAX_PODS)
		return -E2BIG;
	json_array_foreach(refs, i, r) {
		if (json_is_true(json_object_get(r, "controller")) &&
		    str_eq(json_string_value(json_object_get(r, "kind")), "DaemonSet"))
			why = "DaemonSet pod";
	}
	if (json_object_get(ann, "kubernetes.io/config.mirror"))
		why = "mirror pod";
	if (json_object_get(meta, "deletionTimestamp"))
		why = "already terminating";
	if (str_eq(phase, "Succeeded") || str_eq(phase, "Failed"))
		why = NULL; /* finished pods are evicted too, as kubectl drain does */
	if (why) {
		snprintf(label, sizeof(label), "%s/%s (%s)", ns, name, why);
		json_array_append_new(d->skipped, json_string(label));
		return 0;
	}
	json_array_append_new(d->todo, json_pack("{s:s, s:s}", "namespace", ns, "name", name));
	return 0;
}

static void drain_restart(void *ctx)
{
	struct drain_ctx *d = ctx;
	json_array_clear(d->todo);
	json_array_clear(d->skipped);
}

static void sleep_ms(int64_t ms, const volatile int *stop)
{
	for (int64_t t = 0; t < ms && !(stop && *stop); t += 100)
		usleep(100 * 1000);
}

static enum exec_outcome drain(const struct remedy_exec *x, const struct proposal *p,
			       const struct target_state *cur, json_t *res)
{
	struct kube_error e = { 0 };
	struct drain_ctx d = { json_array(), json_array() };
	json_t *evicted = json_array(), *blocked = json_array(), *it;
	struct buf path = BUF_INIT;
	int64_t timeout = x->drain_timeout_ms > 0 ? x->drain_timeout_ms : 300000;
	int64_t retry = x->drain_retry_ms > 0 ? x->drain_retry_ms : 5000;
	int64_t end = time_mono_ms() + timeout;
	enum exec_outcome out = EXEC_FAILED;
	int rc, rounds = 0;
	size_t i;

	json_object_set_new(res, "operation", json_string("drain"));
	json_object_set_new(res, "previous", json_pack("{s:b}", "unschedulable", cur->unschedulable));
	if (!cur->unschedulable) {
		rc = kube_node_set_unschedulable(x->kc, p->name, true, cur->rv, x->dry_run, NULL, &e);
		if (rc) {
			out = api_failure(res, rc, &e);
			goto done;
		}
	}
	buf_adds(&path, "/api/v1/pods?fieldSelector=");
	{
		struct buf sel = BUF_INIT;
		buf_addf(&sel, "spec.nodeName=%s", p->name);
		target_escape(&path, sel.data);
		buf_release(&sel);
	}
	rc = kube_list(x->kc, "list pods on node", path.data, 500, drain_item, drain_restart,
		       &d, NULL, 0, &e);
	if (rc) {
		out = api_failure(res, rc, &e);
		goto done;
	}
	/* Evict in rounds: a pod a budget protects now may go after others are back. */
	while (json_array_size(d.todo)) {
		json_t *left;
		char why[256];

		if (x->may_act && !x->may_act(x->may_act_ctx, x->record, why, sizeof(why))) {
			set_msg(res, "drain of node %s stopped: %s", p->name, why);
			json_object_set_new(res, "pod", json_null());
			break;
		}
		left = json_array();
		rounds++;
		json_array_foreach(d.todo, i, it) {
			const char *ns = json_string_value(json_object_get(it, "namespace"));
			const char *name = json_string_value(json_object_get(it, "name"));
			char label[600];

			snprintf(label, sizeof(label), "%s/%s", ns, name);
			memset(&e, 0, sizeof(e));
			rc = kube_pod_evict(x->kc, ns, name, x->dry_run, &e);
			if (rc == 0 || rc == -ENOENT)
				json_array_append_new(evicted, json_string(label));
			else if (rc == -EBUSY || e.status == 429)
				json_array_append(left, it);
			else {
				json_decref(left);
				json_object_set_new(res, "pod", json_string(label));
				out = api_failure(res, rc, &e);
				goto done;
			}
		}
		json_decref(d.todo);
		d.todo = left;
		/* a dry run cannot wait for anything to change */
		if (!json_array_size(d.todo) || x->dry_run || time_mono_ms() >= end ||
		    (x->stop && *x->stop))
			break;
		sleep_ms(retry, x->stop);
	}
	json_array_foreach(d.todo, i, it) {
		char label[600];
		snprintf(label, sizeof(label), "%s/%s",
			 json_string_value(json_object_get(it, "namespace")),
			 json_string_value(json_object_get(it, "name")));
		json_array_append_new(blocked, json_string(label));
	}
	json_object_set_new(res, "eviction_rounds", json_integer(rounds));
	if (json_array_size(blocked)) {
		json_object_set_new(res, "http_status", json_integer(429));
		set_msg(res, "drain of node %s incomplete: a PodDisruptionBudget kept %zu pod(s) "
			"%s; they were not deleted", p->name, json_array_size(blocked),
			x->dry_run ? "from being evicted now" : "after the drain timeout");
		out = EXEC_FAILED;
	} else {
		json_object_set_new(res, "http_status", json_integer(201));
		set_msg(res, "drained node %s: %zu pod(s) evicted", p->name, json_array_size(evicted));
		out = EXEC_DONE;
	}
done:
	json_object_set_new(res, "evicted", evicted);
	json_object_set_new(res, "blocked", blocked);
	json_object_set_new(res, "skipped_pods", d.skipped);
	json_decref(d.todo);
	buf_release(&path);
	return out;
}

static enum exec_outcome act(const struct remedy_exec *x, const struct proposal *p,
			      const struct target_state *cur, json_t *res)
{
	switch (p->kind) {
	case ACT_RESTART_POD: return restart_pod(x, p, cur, res);
	case ACT_CHANGE_LIMITS: return change_limits(x, p, cur, res);
	case ACT_SCALE_DEPLOYMENT: return scale(x, p, cur, res);
	case ACT_CORDON_NODE: return cordon(x, p, cur, true, res);
	case ACT_UNCORDON_NODE: return cordon(x, p, cur, false, res);
	case ACT_DRAIN_NODE: return drain(x, p, cur, res);
	case ACT_ROLLOUT_UNDO: return rollout_undo(x, p, cur, res);
	case ACT_RAISE_HPA_MAX: return raise_hpa_max(x, p, cur, res);
	default:
		set_msg(res, "no such action");
		return EXEC_FAILED;
	}
}

/* Reads the target, checks the proposal still holds, and acts on what was read. */
static enum exec_outcome observe_and_act(const struct remedy_exec *x, const struct proposal *p,
					 const struct target_state *proposed, json_t *res)
{
	struct target_state cur;
	struct kube_error e = { 0 };
	int rc = target_observe(x->kc, p, x->container, &cur, &e);

	if (rc) {
		json_object_set_new(res, "operation", json_string("read_target"));
		return api_failure(res, rc, &e);
	}
	json_object_set_new(res, "resource_version", json_string(cur.rv));
	if (changed(p, proposed, &cur, res)) {
		json_object_set_new(res, "skipped", json_true());
		return EXEC_SKIPPED;
	}
	return act(x, p, &cur, res);
}

enum exec_outcome remedy_execute(const struct remedy_exec *x, const struct proposal *p,
				 const struct target_state *proposed, json_t **result)
{
	json_t *res = json_pack("{s:b}", "dry_run", x->dry_run);
	enum exec_outcome out = observe_and_act(x, p, proposed, res);

	if (out == EXEC_FAILED && json_integer_value(json_object_get(res, "http_status")) == 409 &&
	    p->kind != ACT_RESTART_POD && p->kind != ACT_DRAIN_NODE) {
		/* The resourceVersion precondition failed. A controller writing the
		 * object's status (the deployment controller does on every pod
		 * change) moves it too, so read the object again: if the proposal
		 * still holds (same uid, generation and before values), act once
		 * more on the new version; if not, the change is skipped. */
		json_decref(res);
		res = json_pack("{s:b, s:i}", "dry_run", x->dry_run, "conflict_retries", 1);
		out = observe_and_act(x, p, proposed, res);
	}
	*result = res;
	return out;
}

enum exec_outcome remedy_restore_limits(const struct remedy_exec *x, const char *ns,
					const char *deployment, const json_t *previous,
					json_t **result)
{
	const json_t *lim = json_object_get(previous, "limits");
	const json_t *req = json_object_get(previous, "requests");
	const char *container = json_string_value(json_object_get(previous, "container"));
	struct kube_resources r = {
		.cpu_limit = json_string_value(json_object_get(lim, "cpu")),
		.mem_limit = json_string_value(json_object_get(lim, "memory")),
		.cpu_request = json_string_value(json_object_get(req, "cpu")),
		.mem_request = json_string_value(json_object_get(req, "memory")),
	};
	struct kube_error e = { 0 };
	json_t *res = json_pack("{s:s, s:b, s:O}", "operation", "patch_resources",
				"dry_run", x->dry_run, "applied", previous);
	int rc;

	*result = res;
	if (!container || (!r.cpu_limit && !r.mem_limit && !r.cpu_request && !r.mem_request)) {
		set_msg(res, "the record holds no previous resources to restore");
		return EXEC_FAILED;
	}
	rc = kube_deployment_set_resources(x->kc, ns, deployment, container, &r, NULL,
					   x->dry_run, NULL, &e);
	if (rc)
		return api_failure(res, rc, &e);
	ok(res, 200);
	set_msg(res, "restored the previous resources of deployment %s/%s", ns, deployment);
	return EXEC_DONE;
}

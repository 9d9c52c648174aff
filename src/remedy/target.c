#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "insight/redact.h"
#include "remedy/target.h"
#include "base/banned.h"

void target_escape(struct buf *p, const char *s)
{
	http_add_query_escaped(p, s ? s : "");
}

static void copy_json_str(char *dst, size_t n, const json_t *v)
{
	str_copy(dst, json_is_string(v) ? json_string_value(v) : "", n);
}

static double quantity_of(const char *s)
{
	double d;
	return s && *s && str_to_quantity(s, &d) == 0 ? d : NAN;
}

int target_read_deployment(const json_t *dep, const char *container, struct target_state *st)
{
	const json_t *meta = json_object_get(dep, "metadata");
	const json_t *spec = json_object_get(dep, "spec");
	const json_t *cs = json_object_get(json_object_get(json_object_get(spec, "template"),
							   "spec"), "containers");
	const json_t *c = NULL, *it, *res, *lim, *req;
	size_t i;

	copy_json_str(st->uid, sizeof(st->uid), json_object_get(meta, "uid"));
	copy_json_str(st->rv, sizeof(st->rv), json_object_get(meta, "resourceVersion"));
	st->generation = json_integer_value(json_object_get(meta, "generation"));
	st->replicas = json_is_integer(json_object_get(spec, "replicas")) ?
		       (int)json_integer_value(json_object_get(spec, "replicas")) : 1;
	st->ready_replicas = (int)json_integer_value(json_object_get(json_object_get(dep, "status"),
								      "readyReplicas"));
	st->ncontainers = 0;
	st->pod_cpu_limit = st->pod_mem_limit = st->pod_cpu_request = st->pod_mem_request = 0;
	json_array_foreach(cs, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));
		const json_t *r = json_object_get(it, "resources");

		if (!c && (!container ? i == 0 : str_eq(name, container)))
			c = it;
		st->ncontainers++;
		st->pod_cpu_limit += quantity_of(json_string_value(json_object_get(json_object_get(r, "limits"), "cpu")));
		st->pod_mem_limit += quantity_of(json_string_value(json_object_get(json_object_get(r, "limits"), "memory")));
		st->pod_cpu_request += quantity_of(json_string_value(json_object_get(json_object_get(r, "requests"), "cpu")));
		st->pod_mem_request += quantity_of(json_string_value(json_object_get(json_object_get(r, "requests"), "memory")));
	}
	if (!c)
		return -ENOENT;
	copy_json_str(st->container, sizeof(st->container), json_object_get(c, "name"));
	res = json_object_get(c, "resources");
	lim = json_object_get(res, "limits");
	req = json_object_get(res, "requests");
	copy_json_str(st->cpu_limit, sizeof(st->cpu_limit), json_object_get(lim, "cpu"));
	copy_json_str(st->mem_limit, sizeof(st->mem_limit), json_object_get(lim, "memory"));
	copy_json_str(st->cpu_request, sizeof(st->cpu_request), json_object_get(req, "cpu"));
	copy_json_str(st->mem_request, sizeof(st->mem_request), json_object_get(req, "memory"));
	st->cpu_limit_v = quantity_of(st->cpu_limit);
	st->mem_limit_v = quantity_of(st->mem_limit);
	st->cpu_request_v = quantity_of(st->cpu_request);
	st->mem_request_v = quantity_of(st->mem_request);
	return 0;
}

int target_get(struct kube_client *kc, const char *what, const char *prefix,
		   const char *ns, const char *res, const char *name, json_t **out,
		   struct kube_error *e)
{
	struct buf p = BUF_INIT;
	int rc;

	buf_adds(&p, prefix);
	if (ns) {
		buf_adds(&p, "/namespaces/");
		target_escape(&p, ns);
	}
	buf_addf(&p, "/%s/", res);
	target_escape(&p, name);
	rc = kube_get(kc, what, p.data, out, e);
	buf_release(&p);
	return rc;
}

static int observe_pod(struct kube_client *kc, const struct proposal *p,
		       struct target_state *st, struct kube_error *e)
{
	json_t *pod = NULL, *rs = NULL, *dep = NULL;
	struct kube_pod kp;
	struct kube_owner ko;
	char err[KUBE_ERRLEN];
	int rc;

	rc = target_get(kc, "get pod", "/api/v1", p->namespace_, "pods", p->name, &pod, e);
	if (rc)
		return rc;
	{
		const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions"), *c;
		size_t i;

		json_array_foreach(conds, i, c)
			if (str_eq(json_string_value(json_object_get(c, "type")), "Ready"))
				st->pod_ready = str_eq(json_string_value(json_object_get(c, "status")), "True");
	}
	rc = kube_pod_parse(pod, &kp, err, sizeof(err));
	json_decref(pod);
	if (rc) {
		snprintf(e->msg, sizeof(e->msg), "get pod: %s", err);
		e->status = 0;
		return rc;
	}
	str_copy(st->uid, kp.uid ? kp.uid : "", sizeof(st->uid));
	str_copy(st->rv, kp.resource_version ? kp.resource_version : "", sizeof(st->rv));
	str_copy(st->owner_kind, kp.owner_kind ? kp.owner_kind : "", sizeof(st->owner_kind));
	str_copy(st->owner_name, kp.owner_name ? kp.owner_name : "", sizeof(st->owner_name));
	kube_pod_release(&kp);
	if (strcmp(st->owner_kind, "ReplicaSet") != 0)
		return 0;
	/* A ReplicaSet's controller is usually a Deployment: rollouts need it. */
	if (target_get(kc, "get replicaset", "/apis/apps/v1", p->namespace_, "replicasets",
		    st->owner_name, &rs, e) == 0) {
		if (kube_owner_parse(rs, &ko, err, sizeof(err)) == 0) {
			if (str_eq(ko.owner_kind, "Deployment"))
				str_copy(st->deployment, ko.owner_name, sizeof(st->deployment));
			kube_owner_release(&ko);
		}
		json_decref(rs);
	}
	if (st->deployment[0] &&
	    target_get(kc, "get deployment", "/apis/apps/v1", p->namespace_, "deployments",
		    st->deployment, &dep, e) == 0) {
		struct target_state ds;
		memset(&ds, 0, sizeof(ds));
		target_read_deployment(dep, NULL, &ds);
		st->replicas = ds.replicas;
		st->ready_replicas = ds.ready_replicas;
		json_decref(dep);
	}
	return 0;
}

static long long revision_of(const json_t *obj)
{
	const char *r = json_string_value(json_object_get(json_object_get(json_object_get(obj,
				"metadata"), "annotations"), "deployment.kubernetes.io/revision"));
	int64_t v;

	return r && str_to_i64(r, &v) == 0 && v > 0 ? (long long)v : 0;
}

/* Whether obj's controller is the object of this uid. */
static bool controlled_by(const json_t *obj, const char *uid)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, r)
		if (json_is_true(json_object_get(r, "controller")) &&
		    str_eq(json_string_value(json_object_get(r, "uid")), uid))
			return true;
	return false;
}

static const char *first_image(const json_t *tpl)
{
	const json_t *c = json_array_get(json_object_get(json_object_get(tpl, "spec"), "containers"), 0);

	return json_string_value(json_object_get(c, "image"));
}

struct rs_ctx {
	struct target_state *st;
	const char *uid;
};

static int on_rs(const json_t *item, void *ctx)
{
	struct rs_ctx *x = ctx;
	struct target_state *st = x->st;
	const json_t *meta = json_object_get(item, "metadata");
	const json_t *tpl = json_object_get(json_object_get(item, "spec"), "template");
	const char *name = json_string_value(json_object_get(meta, "name"));
	long long rev = revision_of(item);
	int64_t created;

	if (!name || !rev || !controlled_by(item, x->uid))
		return 0;
	if (rev == st->revision) {
		str_copy(st->cur_rs, name, sizeof(st->cur_rs));
		st->cur_rs_ready = (int)json_integer_value(json_object_get(json_object_get(item, "status"),
									  "readyReplicas"));
		if (time_parse(json_string_value(json_object_get(meta, "creationTimestamp")) ?
			       json_string_value(json_object_get(meta, "creationTimestamp")) : "", &created) == 0)
			st->cur_rs_created_ms = created;
		return 0;
	}
	st->old_replicas += (int)json_integer_value(json_object_get(json_object_get(item, "spec"), "replicas"));
	if (rev < st->revision && rev > st->prev_revision) {
		st->prev_revision = rev;
		str_copy(st->prev_rs, name, sizeof(st->prev_rs));
		str_copy(st->prev_image, first_image(tpl) ? first_image(tpl) : "", sizeof(st->prev_image));
	}
	return 0;
}

static void rs_restart(void *ctx)
{
	struct target_state *st = ((struct rs_ctx *)ctx)->st;

	st->prev_revision = 0;
	st->prev_rs[0] = st->cur_rs[0] = '\0';
	st->old_replicas = st->cur_rs_ready = 0;
}

/* The Deployment and its ReplicaSets: the revision now and the one before it. */
static int observe_rollout(struct kube_client *kc, const struct proposal *p, const char *container,
			   struct target_state *st, struct kube_error *e)
{
	json_t *dep = NULL;
	const json_t *ml, *v;
	const char *k;
	struct buf path = BUF_INIT, sel = BUF_INIT;
	struct rs_ctx x = { st, NULL };
	int rc;

	rc = target_get(kc, "get deployment", "/apis/apps/v1", p->namespace_, "deployments",
			p->name, &dep, e);
	if (rc)
		return rc;
	target_read_deployment(dep, container, st);
	st->revision = revision_of(dep);
	str_copy(st->image, first_image(json_object_get(json_object_get(dep, "spec"), "template")) ?
		 first_image(json_object_get(json_object_get(dep, "spec"), "template")) : "",
		 sizeof(st->image));
	ml = json_object_get(json_object_get(json_object_get(dep, "spec"), "selector"), "matchLabels");
	json_object_foreach((json_t *)ml, k, v)
		if (json_is_string(v))
			buf_addf(&sel, "%s%s=%s", sel.len ? "," : "", k, json_string_value(v));
	buf_adds(&path, "/apis/apps/v1/namespaces/");
	target_escape(&path, p->namespace_);
	buf_adds(&path, "/replicasets");
	if (sel.len) {
		buf_adds(&path, "?labelSelector=");
		target_escape(&path, sel.data);
	}
	x.uid = st->uid;
	rc = kube_list(kc, "list replicasets", path.data, 500, on_rs, rs_restart, &x, NULL, 0, e);
	json_decref(dep);
	buf_release(&path);
	buf_release(&sel);
	return rc;
}

json_t *target_rs_template(struct kube_client *kc, const char *ns, const char *rs,
			   const char *dep_uid, long long *revision, struct kube_error *e)
{
	json_t *obj = NULL, *tpl;
	json_t *labels;

	if (target_get(kc, "get replicaset", "/apis/apps/v1", ns, "replicasets", rs, &obj, e))
		return NULL;
	if (!controlled_by(obj, dep_uid) ||
	    !json_is_object(json_object_get(json_object_get(obj, "spec"), "template"))) {
		json_decref(obj);
		e->status = 0;
		snprintf(e->msg, sizeof(e->msg), "replicaset %s/%s is not a revision of this deployment", ns, rs);
		return NULL;
	}
	*revision = revision_of(obj);
	tpl = json_deep_copy(json_object_get(json_object_get(obj, "spec"), "template"));
	json_decref(obj);
	labels = json_object_get(json_object_get(tpl, "metadata"), "labels");
	if (json_is_object(labels))
		json_object_del(labels, "pod-template-hash");
	return tpl;
}

/* The CPU utilization metric's averageUtilization in a list of metrics (spec: target, status: current). */
static double cpu_util(const json_t *metrics, const char *which)
{
	const json_t *m;
	size_t i;

	json_array_foreach(metrics, i, m) {
		const json_t *r = json_object_get(m, "resource");
		const json_t *v = json_object_get(json_object_get(r, which), "averageUtilization");

		if (str_eq(json_string_value(json_object_get(r, "name")), "cpu") && json_is_integer(v))
			return (double)json_integer_value(v);
	}
	return 0;
}

int target_hpa_wants(const json_t *h)
{
	const json_t *st = json_object_get(h, "status");
	double target = cpu_util(json_object_get(json_object_get(h, "spec"), "metrics"), "target");
	double now = cpu_util(json_object_get(st, "currentMetrics"), "current");
	json_int_t cur = json_integer_value(json_object_get(st, "currentReplicas"));

	if (!(target > 0) || !(now > 0) || cur <= 0 || now / target > 1000)
		return 0;
	return (int)ceil((double)cur * now / target);
}

static void read_hpa(const json_t *h, struct target_state *st)
{
	const json_t *spec = json_object_get(h, "spec");

	copy_json_str(st->hpa, sizeof(st->hpa), json_object_get(json_object_get(h, "metadata"), "name"));
	st->hpa_min = json_is_integer(json_object_get(spec, "minReplicas")) ?
		      (int)json_integer_value(json_object_get(spec, "minReplicas")) : 1;
	st->hpa_max = (int)json_integer_value(json_object_get(spec, "maxReplicas"));
	st->hpa_desired = (int)json_integer_value(json_object_get(json_object_get(h, "status"),
								  "desiredReplicas"));
	st->hpa_wants = target_hpa_wants(h);
}

struct hpa_ctx {
	struct target_state *st;
	const char *deployment;
};

static int on_hpa(const json_t *item, void *ctx)
{
	struct hpa_ctx *x = ctx;
	const json_t *ref = json_object_get(json_object_get(item, "spec"), "scaleTargetRef");

	if (!x->st->hpa[0] && str_eq(json_string_value(json_object_get(ref, "kind")), "Deployment") &&
	    str_eq(json_string_value(json_object_get(ref, "name")), x->deployment))
		read_hpa(item, x->st);
	return 0;
}

/* The HPA whose scaleTargetRef is the Deployment, if any (an API without HPAs: none). */
static void find_hpa(struct kube_client *kc, const char *ns, const char *deployment,
		     struct target_state *st)
{
	struct buf path = BUF_INIT;
	struct hpa_ctx x = { st, deployment };
	struct kube_error e = { 0 };

	buf_adds(&path, "/apis/autoscaling/v2/namespaces/");
	target_escape(&path, ns);
	buf_adds(&path, "/horizontalpodautoscalers");
	if (kube_list(kc, "list horizontalpodautoscalers", path.data, 500, on_hpa, NULL, &x, NULL, 0, &e))
		st->hpa[0] = '\0';
	buf_release(&path);
}

int target_observe(struct kube_client *kc, const struct proposal *p, const char *container,
		   struct target_state *st, struct kube_error *e)
{
	json_t *obj = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	st->cpu_limit_v = st->mem_limit_v = st->cpu_request_v = st->mem_request_v = NAN;
	switch (p->kind) {
	case ACT_RESTART_POD:
		return observe_pod(kc, p, st, e);
	case ACT_SCALE_DEPLOYMENT:
	case ACT_CHANGE_LIMITS:
		rc = target_get(kc, "get deployment", "/apis/apps/v1", p->namespace_,
			     "deployments", p->name, &obj, e);
		if (rc)
			return rc;
		rc = target_read_deployment(obj, container, st);
		json_decref(obj);
		if (rc == 0 && p->kind == ACT_SCALE_DEPLOYMENT)
			find_hpa(kc, p->namespace_, p->name, st);
		if (rc == -ENOENT && p->kind == ACT_CHANGE_LIMITS) {
			e->status = 404;
			snprintf(e->msg, sizeof(e->msg), "deployment %s/%s has no container %s",
				 p->namespace_, p->name, container ? container : "at all");
			return rc;
		}
		return 0;
	case ACT_ROLLOUT_UNDO:
		return observe_rollout(kc, p, container, st, e);
	case ACT_RAISE_HPA_MAX:
		rc = target_get(kc, "get horizontalpodautoscaler", "/apis/autoscaling/v2", p->namespace_,
				"horizontalpodautoscalers", p->name, &obj, e);
		if (rc)
			return rc;
		copy_json_str(st->uid, sizeof(st->uid), json_object_get(json_object_get(obj, "metadata"), "uid"));
		copy_json_str(st->rv, sizeof(st->rv),
			      json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
		read_hpa(obj, st);
		st->replicas = (int)json_integer_value(json_object_get(json_object_get(obj, "status"),
								       "currentReplicas"));
		json_decref(obj);
		return 0;
	case ACT_CORDON_NODE:
	case ACT_UNCORDON_NODE:
	case ACT_DRAIN_NODE:
		rc = target_get(kc, "get node", "/api/v1", NULL, "nodes", p->name, &obj, e);
		if (rc)
			return rc;
		copy_json_str(st->uid, sizeof(st->uid),
			      json_object_get(json_object_get(obj, "metadata"), "uid"));
		copy_json_str(st->rv, sizeof(st->rv),
			      json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
		st->unschedulable = json_is_true(json_object_get(json_object_get(obj, "spec"),
								 "unschedulable"));
		json_decref(obj);
		return 0;
	default:
		return -EINVAL;
	}
}

struct list_ctx {
	struct workload_pods *w;
	int rc;
};

static int add_pod(const json_t *item, void *ctx)
{
	struct list_ctx *lc = ctx;
	struct kube_pod kp;
	char err[KUBE_ERRLEN];

	if (lc->w->n >= WORKLOAD_MAX_PODS)
		return -E2BIG;
	if (kube_pod_parse(item, &kp, err, sizeof(err)))
		return 0; /* a pod we cannot read is not ours to judge */
	ARRAY_GROW(lc->w->pods, lc->w->cap, lc->w->n + 1);
	lc->w->pods[lc->w->n++] = kp;
	return 0;
}

static void restart_list(void *ctx)
{
	struct list_ctx *lc = ctx;
	for (size_t i = 0; i < lc->w->n; i++)
		kube_pod_release(&lc->w->pods[i]);
	lc->w->n = 0;
}

int workload_pods_list(struct kube_client *kc, const char *ns, const char *deployment,
		       struct workload_pods *out, struct kube_error *e)
{
	json_t *dep = NULL;
	const json_t *ml, *v;
	const char *k;
	struct buf p = BUF_INIT, sel = BUF_INIT;
	struct list_ctx lc = { out, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = target_get(kc, "get deployment", "/apis/apps/v1", ns, "deployments", deployment, &dep, e);
	if (rc)
		return rc;
	ml = json_object_get(json_object_get(json_object_get(dep, "spec"), "selector"),
			     "matchLabels");
	json_object_foreach((json_t *)ml, k, v) {
		if (!json_is_string(v))
			continue;
		buf_addf(&sel, "%s%s=%s", sel.len ? "," : "", k, json_string_value(v));
	}
	json_decref(dep);
	if (!sel.len) {
		buf_release(&sel);
		snprintf(e->msg, sizeof(e->msg), "deployment %s/%s has no matchLabels selector",
			 ns, deployment);
		return -EINVAL;
	}
	buf_adds(&p, "/api/v1/namespaces/");
	target_escape(&p, ns);
	buf_adds(&p, "/pods?labelSelector=");
	target_escape(&p, sel.data);
	rc = kube_list(kc, "list pods", p.data, 500, add_pod, restart_list, &lc, NULL, 0, e);
	buf_release(&p);
	buf_release(&sel);
	if (rc)
		workload_pods_release(out);
	return rc;
}

void workload_pods_release(struct workload_pods *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		kube_pod_release(&w->pods[i]);
	free(w->pods);
	memset(w, 0, sizeof(*w));
}

void quantity_bytes(double v, char *out, size_t n)
{
	const double mi = 1024.0 * 1024;

	if (fmod(v, mi * 1024) == 0 && v > 0)
		snprintf(out, n, "%.0fGi", v / (mi * 1024));
	else if (fmod(v, mi) == 0)
		snprintf(out, n, "%.0fMi", v / mi);
	else if (fmod(v, 1024) == 0)
		snprintf(out, n, "%.0fKi", v / 1024);
	else
		snprintf(out, n, "%.0f", ceil(v));
}

void quantity_cores(double v, char *out, size_t n)
{
	double m = ceil(v * 1000 - 1e-6);

	if (fmod(m, 1000) == 0)
		snprintf(out, n, "%.0f", m / 1000);
	else
		snprintf(out, n, "%.0fm", m);
}

json_t *target_previous_logs(struct kube_client *kc, const char *ns, const char *pod,
			     int tail, struct kube_error *e)
{
	struct buf path = BUF_INIT, body = BUF_INIT, clean = BUF_INIT;
	struct redactor r;
	json_t *lines = NULL;
	const char *p, *nl;

	buf_adds(&path, "/api/v1/namespaces/");
	target_escape(&path, ns);
	buf_adds(&path, "/pods/");
	target_escape(&path, pod);
	buf_addf(&path, "/log?previous=true&tailLines=%d", tail > 0 ? tail : 20);
	redactor_init(&r);
	if (kube_get_text(kc, "previous container logs", path.data, &body, e) == 0 &&
	    redactor_apply(&r, body.data ? body.data : "", &clean) == 0) {
		lines = json_array();
		for (p = clean.data ? clean.data : ""; *p; p = nl ? nl + 1 : p + strlen(p)) {
			size_t len;
			char *line;

			nl = strchr(p, '\n');
			len = nl ? (size_t)(nl - p) : strlen(p);
			if (!len)
				continue;
			line = xmalloc(len + 1);
			memcpy(line, p, len);
			line[len] = '\0';
			json_array_append_new(lines, json_string(line));
			free(line);
		}
	}
	redactor_release(&r);
	buf_release(&path);
	buf_release(&body);
	buf_release(&clean);
	return lines;
}

struct health_ctx {
	struct revision_health *h;
	const char *rs;
};

static bool owned_by_rs(const json_t *pod, const char *rs)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), i, r)
		if (json_is_true(json_object_get(r, "controller")) &&
		    str_eq(json_string_value(json_object_get(r, "name")), rs))
			return true;
	return false;
}

static bool failing_wait(const char *reason)
{
	return str_eq(reason, "CrashLoopBackOff") || str_eq(reason, "ErrImagePull") ||
	       str_eq(reason, "ImagePullBackOff") || str_eq(reason, "InvalidImageName") ||
	       str_eq(reason, "CreateContainerConfigError") || str_eq(reason, "RunContainerError");
}

static int on_health_pod(const json_t *item, void *ctx)
{
	struct health_ctx *x = ctx;
	struct revision_health *h = x->h;
	const json_t *cs, *c;
	size_t i;
	bool failing = false;

	if ((x->rs && !owned_by_rs(item, x->rs)) ||
	    json_object_get(json_object_get(item, "metadata"), "deletionTimestamp"))
		return 0;
	h->pods++;
	json_array_foreach(json_object_get(json_object_get(item, "status"), "conditions"), i, c) {
		/* a pod no node can take fails too: the scheduler says why */
		if (str_eq(json_string_value(json_object_get(c, "type")), "PodScheduled") &&
		    str_eq(json_string_value(json_object_get(c, "reason")), "Unschedulable")) {
			failing = true;
			str_copy(h->reason, "Unschedulable", sizeof(h->reason));
			str_copy(h->message, json_string_value(json_object_get(c, "message")) ?
				 json_string_value(json_object_get(c, "message")) : "", sizeof(h->message));
		}
	}
	cs = json_object_get(json_object_get(item, "status"), "containerStatuses");
	json_array_foreach(cs, i, c) {
		const json_t *waiting = json_object_get(json_object_get(c, "state"), "waiting");
		const json_t *term = json_object_get(json_object_get(c, "lastState"), "terminated");
		const char *wr = json_string_value(json_object_get(waiting, "reason"));
		const char *fin = json_string_value(json_object_get(term, "finishedAt"));
		int64_t at = 0;
		bool fail_here = json_integer_value(json_object_get(c, "restartCount")) > 0 || failing_wait(wr);

		if (!fail_here)
			continue;
		failing = true;
		if (fin)
			time_parse(fin, &at);
		if (at >= h->last_failure_ms || !h->reason[0]) {
			if (at > h->last_failure_ms)
				h->last_failure_ms = at;
			if (json_is_object(term)) {
				str_copy(h->reason, json_string_value(json_object_get(term, "reason")) ?
					 json_string_value(json_object_get(term, "reason")) : "", sizeof(h->reason));
				h->exit_code = (int)json_integer_value(json_object_get(term, "exitCode"));
			} else if (wr) {
				str_copy(h->reason, wr, sizeof(h->reason));
			}
			if (wr && json_string_value(json_object_get(waiting, "message")))
				str_copy(h->message, json_string_value(json_object_get(waiting, "message")),
					 sizeof(h->message));
		}
	}
	if (!failing) {
		const char *st = json_string_value(json_object_get(json_object_get(json_object_get(
					json_array_get(cs, 0), "state"), "running"), "startedAt"));
		int64_t at;

		if (st && time_parse(st, &at) == 0 && (!h->oldest_ok_ms || at < h->oldest_ok_ms))
			h->oldest_ok_ms = at;
	}
	if (failing) {
		h->failing++;
		if (!h->pod[0])
			str_copy(h->pod, json_string_value(json_object_get(json_object_get(item, "metadata"),
						"name")) ? json_string_value(json_object_get(json_object_get(item,
						"metadata"), "name")) : "", sizeof(h->pod));
	}
	return 0;
}

static void health_restart(void *ctx)
{
	struct revision_health *h = ((struct health_ctx *)ctx)->h;

	memset(h, 0, sizeof(*h));
	h->exit_code = -1;
}

int target_revision_health(struct kube_client *kc, const char *ns, const char *deployment,
			   const char *rs, struct revision_health *h, struct kube_error *e)
{
	json_t *dep = NULL;
	const json_t *ml, *v;
	const char *k;
	struct buf path = BUF_INIT, sel = BUF_INIT;
	struct health_ctx x = { h, rs };
	int rc;

	memset(h, 0, sizeof(*h));
	h->exit_code = -1;
	rc = target_get(kc, "get deployment", "/apis/apps/v1", ns, "deployments", deployment, &dep, e);
	if (rc)
		return rc;
	ml = json_object_get(json_object_get(json_object_get(dep, "spec"), "selector"), "matchLabels");
	json_object_foreach((json_t *)ml, k, v)
		if (json_is_string(v))
			buf_addf(&sel, "%s%s=%s", sel.len ? "," : "", k, json_string_value(v));
	json_decref(dep);
	buf_adds(&path, "/api/v1/namespaces/");
	target_escape(&path, ns);
	buf_adds(&path, "/pods");
	if (sel.len) {
		buf_adds(&path, "?labelSelector=");
		target_escape(&path, sel.data);
	}
	rc = kube_list(kc, "list pods", path.data, 500, on_health_pod, health_restart, &x, NULL, 0, e);
	buf_release(&path);
	buf_release(&sel);
	return rc;
}

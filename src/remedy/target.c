#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
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
	json_array_foreach(cs, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));
		if (!container ? i == 0 : str_eq(name, container)) {
			c = it;
			break;
		}
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
		if (rc == -ENOENT && p->kind == ACT_CHANGE_LIMITS) {
			e->status = 404;
			snprintf(e->msg, sizeof(e->msg), "deployment %s/%s has no container %s",
				 p->namespace_, p->name, container ? container : "at all");
			return rc;
		}
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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "kube/mutate.h"
#include "base/banned.h"

#define MERGE "application/merge-patch+json"
#define STRATEGIC "application/strategic-merge-patch+json"
#define JSONPATCH "application/json-patch+json"

/* Object paths: names come from the API or the insights file, so they are
 * escaped rather than trusted. */
static void add_path(struct buf *p, const char *fmt_prefix, const char *ns,
		     const char *res, const char *name, const char *sub, bool dry_run)
{
	buf_adds(p, fmt_prefix);
	if (ns) {
		buf_adds(p, "/namespaces/");
		http_add_query_escaped(p, ns);
	}
	buf_addf(p, "/%s/", res);
	http_add_query_escaped(p, name);
	if (sub)
		buf_addf(p, "/%s", sub);
	if (dry_run)
		buf_adds(p, "?dryRun=All");
}

static int send_json(struct kube_client *kc, const char *what, const char *method,
		     const char *path, const char *ctype, json_t *body, json_t **out,
		     struct kube_error *e)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *res = NULL;
	int rc;

	json_decref(body);
	if (!text)
		return -ENOMEM;
	rc = kube_send(kc, what, method, path, ctype, text, out ? &res : NULL, e);
	free(text);
	if (rc == 0 && out)
		*out = res;
	return rc;
}

/* metadata.resourceVersion in a patch makes the API server check it. */
static void add_rv(json_t *patch, const char *rv)
{
	if (rv && *rv)
		json_object_set_new(patch, "metadata",
				    json_pack("{s:s}", "resourceVersion", rv));
}

int kube_pod_delete(struct kube_client *kc, const char *ns, const char *name,
		    const char *uid, const char *resource_version, bool dry_run,
		    json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *opts = json_pack("{s:s, s:s}", "apiVersion", "v1", "kind", "DeleteOptions");
	json_t *pre = json_object();
	int rc;

	if (uid && *uid)
		json_object_set_new(pre, "uid", json_string(uid));
	if (resource_version && *resource_version)
		json_object_set_new(pre, "resourceVersion", json_string(resource_version));
	json_object_set_new(opts, "preconditions", pre);
	if (dry_run)
		json_object_set_new(opts, "dryRun", json_pack("[s]", "All"));
	add_path(&p, "/api/v1", ns, "pods", name, NULL, dry_run);
	rc = send_json(kc, "delete pod", "DELETE", p.data, "application/json", opts, out, e);
	buf_release(&p);
	return rc;
}

int kube_pod_evict(struct kube_client *kc, const char *ns, const char *name,
		   bool dry_run, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "policy/v1",
			       "kind", "Eviction", "metadata", "name", name,
			       "namespace", ns);
	int rc;

	if (!ev)
		return -EINVAL;
	if (dry_run)
		json_object_set_new(ev, "deleteOptions",
				    json_pack("{s:[s]}", "dryRun", "All"));
	add_path(&p, "/api/v1", ns, "pods", name, "eviction", dry_run);
	rc = send_json(kc, "evict pod", "POST", p.data, "application/json", ev, NULL, e);
	buf_release(&p);
	return rc;
}

static void set_q(json_t *obj, const char *key, const char *val)
{
	if (val)
		json_object_set_new(obj, key, json_string(val));
}

int kube_deployment_set_resources(struct kube_client *kc, const char *ns,
				  const char *name, const char *container,
				  const struct kube_resources *r,
				  const char *resource_version, bool dry_run,
				  json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *limits = json_object(), *requests = json_object(), *res = json_object();
	json_t *patch;
	int rc;

	set_q(limits, "cpu", r->cpu_limit);
	set_q(limits, "memory", r->mem_limit);
	set_q(requests, "cpu", r->cpu_request);
	set_q(requests, "memory", r->mem_request);
	if (json_object_size(limits))
		json_object_set(res, "limits", limits);
	if (json_object_size(requests))
		json_object_set(res, "requests", requests);
	json_decref(limits);
	json_decref(requests);
	if (!json_object_size(res) || !container) {
		json_decref(res);
		return -EINVAL;
	}
	patch = json_pack("{s:{s:{s:{s:[{s:s, s:o}]}}}}", "spec", "template", "spec",
			  "containers", "name", container, "resources", res);
	if (!patch)
		return -EINVAL;
	add_rv(patch, resource_version);
	add_path(&p, "/apis/apps/v1", ns, "deployments", name, NULL, dry_run);
	rc = send_json(kc, "patch deployment resources", "PATCH", p.data, STRATEGIC,
		       patch, out, e);
	buf_release(&p);
	return rc;
}

int kube_deployment_restart(struct kube_client *kc, const char *ns, const char *name,
			    const char *stamp, const char *resource_version,
			    bool dry_run, json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *patch = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata",
				  "annotations", "kubectl.kubernetes.io/restartedAt", stamp);
	int rc;

	if (!patch)
		return -EINVAL;
	add_rv(patch, resource_version);
	add_path(&p, "/apis/apps/v1", ns, "deployments", name, NULL, dry_run);
	rc = send_json(kc, "rollout restart deployment", "PATCH", p.data, STRATEGIC,
		       patch, out, e);
	buf_release(&p);
	return rc;
}

int kube_deployment_set_template(struct kube_client *kc, const char *ns, const char *name,
				 const json_t *template, const char *resource_version,
				 bool dry_run, json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *ops = json_array();
	int rc;

	if (!json_is_object(template)) {
		json_decref(ops);
		return -EINVAL;
	}
	/* a patched object whose resourceVersion is not the current one is a 409 */
	if (resource_version && *resource_version)
		json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
						     "/metadata/resourceVersion", "value", resource_version));
	json_array_append_new(ops, json_pack("{s:s, s:s, s:O}", "op", "replace", "path",
					     "/spec/template", "value", template));
	add_path(&p, "/apis/apps/v1", ns, "deployments", name, NULL, dry_run);
	rc = send_json(kc, "roll back deployment", "PATCH", p.data, JSONPATCH, ops, out, e);
	buf_release(&p);
	return rc;
}

int kube_hpa_set_max(struct kube_client *kc, const char *ns, const char *name, int max_replicas,
		     const char *resource_version, bool dry_run, json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *patch = json_pack("{s:{s:i}}", "spec", "maxReplicas", max_replicas);
	int rc;

	add_rv(patch, resource_version);
	add_path(&p, "/apis/autoscaling/v2", ns, "horizontalpodautoscalers", name, NULL, dry_run);
	rc = send_json(kc, "set the maxReplicas of a horizontalpodautoscaler", "PATCH", p.data, MERGE,
		       patch, out, e);
	buf_release(&p);
	return rc;
}

int kube_deployment_scale(struct kube_client *kc, const char *ns, const char *name,
			  int replicas, const char *resource_version, bool dry_run,
			  json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *patch = json_pack("{s:{s:i}}", "spec", "replicas", replicas);
	int rc;

	add_rv(patch, resource_version);
	add_path(&p, "/apis/apps/v1", ns, "deployments", name, "scale", dry_run);
	rc = send_json(kc, "scale deployment", "PATCH", p.data, MERGE, patch, out, e);
	buf_release(&p);
	return rc;
}

int kube_node_set_unschedulable(struct kube_client *kc, const char *name,
				bool unschedulable, const char *resource_version,
				bool dry_run, json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *patch = json_pack("{s:{s:b}}", "spec", "unschedulable", unschedulable);
	int rc;

	add_rv(patch, resource_version);
	add_path(&p, "/api/v1", NULL, "nodes", name, NULL, dry_run);
	rc = send_json(kc, unschedulable ? "cordon node" : "uncordon node", "PATCH",
		       p.data, STRATEGIC, patch, out, e);
	buf_release(&p);
	return rc;
}

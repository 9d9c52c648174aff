/* The writes kubemend makes (kube/mutate.c), for real and with dryRun=All:
 * strategic-merge and JSON-merge patches, the scale subresource, pod
 * deletion with preconditions, cordon and uncordon, and the 409s of a
 * stale resourceVersion. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/mutate.h"
#include "base/banned.h"

static json_t *get_dep(struct conform *c)
{
	struct buf p = BUF_INIT;
	json_t *d;

	buf_addf(&p, "/apis/apps/v1/namespaces/%s/deployments/%s", c->ns, c->dep);
	d = get(c->kc, p.data, NULL);
	buf_release(&p);
	return d;
}

/* A fresh resourceVersion of the test Deployment. On a real cluster the
 * deployment controller writes the status whenever a pod changes, which
 * moves the resourceVersion too: a write made with one read a moment ago
 * can meet a 409 that no person caused (counted in *races). */
static void fresh_rv(struct conform *c, char *rv, size_t n)
{
	json_t *d = get_dep(c);
	str_copy(rv, jps(d, "metadata.resourceVersion"), n);
	json_decref(d);
}

/* The named container of a Deployment's template. */
static const json_t *container(const json_t *dep, const char *name)
{
	const json_t *ctr;
	size_t i;

	json_array_foreach(jp(dep, "spec.template.spec.containers"), i, ctr)
		if (!strcmp(jps(ctr, "name"), name))
			return ctr;
	return NULL;
}

static void patches(struct conform *c)
{
	struct kube_error e = { 0 };
	/* a limit above any request the sim's or our Deployment sets, and not
	 * the one it has (a run may follow another on the same server) */
	struct kube_resources r = { .mem_limit = "3Gi" };
	json_t *before = get_dep(c), *out = NULL, *after;
	const json_t *cb, *ca;
	char rv[64], ts[RFC3339_MAX];
	size_t nctr;
	int rc, races = 0;
	long long gen = jpi(before, "metadata.generation");

	str_copy(rv, jps(before, "metadata.resourceVersion"), sizeof(rv));
	cb = container(before, c->container);
	if (!strcmp(jps(cb, "resources.limits.memory"), "3Gi"))
		r.mem_limit = "2Gi";
	nctr = json_array_size(jp(before, "spec.template.spec.containers"));

	/* dry run: the answer shows the change, the object keeps its old value */
	rc = kube_deployment_set_resources(c->kc, c->ns, c->dep, c->container, &r, rv, true, &out, &e);
	after = get_dep(c);
	result(c, "dryrun.set-resources", rc == 0 &&
	       !strcmp(jps(container(out, c->container), "resources.limits.memory"), r.mem_limit) &&
	       jpi(after, "metadata.generation") == gen &&
	       !strcmp(jps(container(after, c->container), "resources.limits.memory"),
		       jps(cb, "resources.limits.memory")),
	       "strategic patch with dryRun=All: rc %d, answer says %s, stored %s (was %s), "
	       "generation %lld -> %lld %s", rc, jps(container(out, c->container), "resources.limits.memory"),
	       jps(container(after, c->container), "resources.limits.memory"),
	       jps(cb, "resources.limits.memory"), gen, jpi(after, "metadata.generation"),
	       rc ? e.msg : "");
	json_decref(out);
	json_decref(after);
	out = NULL;

	for (int t = 0; t < 5; t++) {
		char frv[64];
		fresh_rv(c, frv, sizeof(frv));
		json_decref(out);
		out = NULL;
		rc = kube_deployment_set_resources(c->kc, c->ns, c->dep, c->container, &r, frv, false,
						   &out, &e);
		if (!(rc == -EINVAL && e.status == 409))
			break;
		races++;
	}
	after = get_dep(c);
	ca = container(after, c->container);
	result(c, "patch.strategic", rc == 0 && !strcmp(jps(ca, "resources.limits.memory"), r.mem_limit) &&
	       !strcmp(jps(ca, "resources.limits.cpu"), jps(cb, "resources.limits.cpu")) &&
	       !strcmp(jps(ca, "resources.requests.memory"), jps(cb, "resources.requests.memory")) &&
	       !strcmp(jps(ca, "image"), jps(cb, "image")) &&
	       json_array_size(jp(after, "spec.template.spec.containers")) == nctr,
	       "set_resources(memory limit %s): rc %d after %d status-race 409s; limits.memory %s, "
	       "limits.cpu %s (was %s), image kept %s, containers %zu (was %zu) %s", r.mem_limit, rc, races,
	       jps(ca, "resources.limits.memory"),
	       jps(ca, "resources.limits.cpu"), jps(cb, "resources.limits.cpu"),
	       !strcmp(jps(ca, "image"), jps(cb, "image")) ? "yes" : "no",
	       json_array_size(jp(after, "spec.template.spec.containers")), nctr, rc ? e.msg : "");
	json_decref(out);
	out = NULL;

	/* the resourceVersion read before is stale now */
	memset(&e, 0, sizeof(e));
	rc = kube_deployment_set_resources(c->kc, c->ns, c->dep, c->container, &r, rv, false, NULL, &e);
	result(c, "patch.stale-rv-409", rc == -EINVAL && e.status == 409 && !strcmp(e.reason, "Conflict"),
	       "patch with the old resourceVersion: rc %d, HTTP %ld %s", rc, e.status, e.reason);

	/* JSON merge patch: a map merges, a null deletes */
	{
		struct buf p = BUF_INIT;
		buf_addf(&p, "/apis/apps/v1/namespaces/%s/deployments/%s", c->ns, c->dep);
		memset(&e, 0, sizeof(e));
		rc = sendj(c->kc, "PATCH", p.data, "application/merge-patch+json",
			   json_pack("{s:{s:{s:s, s:s}}}", "metadata", "annotations", "conform/a", "1",
				     "conform/b", "2"), NULL, &e);
		rc = rc ? rc : sendj(c->kc, "PATCH", p.data, "application/merge-patch+json",
				     json_pack("{s:{s:{s:n}}}", "metadata", "annotations", "conform/a"),
				     &out, &e);
		result(c, "patch.merge", rc == 0 && !jp(out, "metadata.annotations.conform/a") &&
		       !strcmp(jps(out, "metadata.annotations.conform/b"), "2") &&
		       json_array_size(jp(out, "spec.template.spec.containers")) == nctr,
		       "merge patches add two annotations then null one: rc %d, a %s, b %s %s", rc,
		       jp(out, "metadata.annotations.conform/a") ? "kept" : "deleted",
		       jps(out, "metadata.annotations.conform/b"), rc ? e.msg : "");
		json_decref(out);
		out = NULL;
		buf_release(&p);
	}

	/* rollout restart: a pod template annotation */
	json_decref(after);
	after = get_dep(c);
	str_copy(rv, jps(after, "metadata.resourceVersion"), sizeof(rv));
	gen = jpi(after, "metadata.generation");
	time_rfc3339(time_real_ms(), ts);
	rc = kube_deployment_restart(c->kc, c->ns, c->dep, ts, NULL, true, NULL, &e);
	json_decref(after);
	after = get_dep(c);
	result(c, "dryrun.restart", rc == 0 && jpi(after, "metadata.generation") == gen &&
	       !str_eq(json_string_value(json_object_get(jp(after, "spec.template.metadata.annotations"),
							 "kubectl.kubernetes.io/restartedAt")), ts),
	       "rollout restart with dryRun=All: rc %d, generation %lld (was %lld) %s", rc,
	       jpi(after, "metadata.generation"), gen, rc ? e.msg : "");
	json_decref(before);
	before = after;
	races = 0;
	for (int t = 0; t < 5; t++) {
		char frv[64];
		fresh_rv(c, frv, sizeof(frv));
		json_decref(out);
		out = NULL;
		rc = kube_deployment_restart(c->kc, c->ns, c->dep, ts, frv, false, &out, &e);
		if (!(rc == -EINVAL && e.status == 409))
			break;
		races++;
	}
	after = get_dep(c);
	{
		const json_t *ann = jp(after, "spec.template.metadata.annotations");
		const char *got = json_string_value(json_object_get(ann, "kubectl.kubernetes.io/restartedAt"));
		result(c, "patch.restart", rc == 0 && got && !strcmp(got, ts) &&
		       jpi(after, "metadata.generation") == jpi(before, "metadata.generation") + 1,
		       "rollout restart: rc %d after %d status-race 409s, restartedAt %s, generation "
		       "%lld -> %lld %s", rc, races, got ? got : "-", jpi(before, "metadata.generation"),
		       jpi(after, "metadata.generation"), rc ? e.msg : "");
	}
	json_decref(out);
	json_decref(before);
	json_decref(after);
}

static void scale(struct conform *c)
{
	struct kube_error e = { 0 };
	struct buf p = BUF_INIT;
	json_t *s, *out = NULL, *d;
	char rv[64];
	int rc, n, races = 0;

	buf_addf(&p, "/apis/apps/v1/namespaces/%s/deployments/%s/scale", c->ns, c->dep);
	s = get(c->kc, p.data, &e);
	n = (int)jpi(s, "spec.replicas");
	result(c, "scale.get", s && !strcmp(jps(s, "kind"), "Scale") &&
	       !strcmp(jps(s, "apiVersion"), "autoscaling/v1") && n == c->replicas &&
	       !strcmp(jps(s, "metadata.name"), c->dep) && *jps(s, "status.selector"),
	       "GET .../scale: kind %s, apiVersion %s, spec.replicas %d, status.selector \"%s\" %s",
	       jps(s, "kind"), jps(s, "apiVersion"), n, jps(s, "status.selector"), s ? "" : e.msg);
	str_copy(rv, jps(s, "metadata.resourceVersion"), sizeof(rv));
	json_decref(s);

	for (int t = 0; t < 5; t++) {
		char frv[64];
		fresh_rv(c, frv, sizeof(frv));
		json_decref(out);
		out = NULL;
		rc = kube_deployment_scale(c->kc, c->ns, c->dep, n + 2, frv, true, &out, &e);
		if (!(rc == -EINVAL && e.status == 409))
			break;
		races++;
	}
	d = get(c->kc, p.data, NULL);
	result(c, "dryrun.scale", rc == 0 && jpi(out, "spec.replicas") == n + 2 &&
	       jpi(d, "spec.replicas") == n && !strcmp(jps(out, "kind"), "Scale"),
	       "scale to %d with dryRun=All: rc %d after %d status-race 409s, answer %s %lld, stored %lld %s",
	       n + 2, rc, races,
	       jps(out, "kind"), jpi(out, "spec.replicas"), jpi(d, "spec.replicas"), rc ? e.msg : "");
	json_decref(out);
	json_decref(d);
	out = NULL;
	races = 0;

	for (int t = 0; t < 5; t++) {
		char frv[64];
		fresh_rv(c, frv, sizeof(frv));
		json_decref(out);
		out = NULL;
		rc = kube_deployment_scale(c->kc, c->ns, c->dep, n + 1, frv, false, &out, &e);
		if (!(rc == -EINVAL && e.status == 409))
			break;
		races++;
	}
	d = get_dep(c);
	result(c, "scale.patch", rc == 0 && jpi(out, "spec.replicas") == n + 1 &&
	       jpi(d, "spec.replicas") == n + 1,
	       "scale to %d: rc %d after %d status-race 409s, answer %lld, deployment spec.replicas "
	       "%lld %s", n + 1, rc, races,
	       jpi(out, "spec.replicas"), jpi(d, "spec.replicas"), rc ? e.msg : "");
	json_decref(out);
	json_decref(d);
	memset(&e, 0, sizeof(e));
	rc = kube_deployment_scale(c->kc, c->ns, c->dep, n, rv, false, NULL, &e);
	result(c, "scale.stale-rv-409", rc == -EINVAL && e.status == 409,
	       "scale with the old resourceVersion: rc %d, HTTP %ld %s", rc, e.status, e.reason);
	rc = kube_deployment_scale(c->kc, c->ns, c->dep, n, NULL, false, NULL, &e);
	if (rc)
		result(c, "scale.restore", false, "%s", e.msg);
	buf_release(&p);
}

static json_t *get_pod(struct conform *c, const char *name)
{
	struct buf p = BUF_INIT;
	json_t *o;

	buf_addf(&p, "/api/v1/namespaces/%s/pods/%s", c->ns, name);
	o = get(c->kc, p.data, NULL);
	buf_release(&p);
	return o;
}

static void delete_pod(struct conform *c)
{
	struct kube_error e = { 0 };
	json_t *names = NULL, *pod, *after;
	const char *name;
	char uid[64], rv[64];
	int rc;

	ready_pods(c, &names);
	name = json_string_value(json_array_get(names, 0));
	pod = name ? get_pod(c, name) : NULL;
	str_copy(uid, jps(pod, "metadata.uid"), sizeof(uid));
	str_copy(rv, jps(pod, "metadata.resourceVersion"), sizeof(rv));
	json_decref(pod);

	rc = kube_pod_delete(c->kc, c->ns, name ? name : "none", "00000000-0000-0000-0000-000000000000",
			     NULL, false, NULL, &e);
	result(c, "delete.uid-precondition-409", rc == -EINVAL && e.status == 409 &&
	       !strcmp(e.reason, "Conflict") && strstr(e.msg, "the UID in the precondition"),
	       "delete with another uid: rc %d, HTTP %ld %s: %.200s", rc, e.status, e.reason, e.msg);

	memset(&e, 0, sizeof(e));
	rc = kube_pod_delete(c->kc, c->ns, name ? name : "none", uid, rv, true, NULL, &e);
	after = name ? get_pod(c, name) : NULL;
	result(c, "dryrun.delete-pod", rc == 0 && after && !strcmp(jps(after, "metadata.uid"), uid) &&
	       !jp(after, "metadata.deletionTimestamp"),
	       "delete with dryRun=All: rc %d; the pod %s %s", rc,
	       !after ? "is gone" : jp(after, "metadata.deletionTimestamp") ? "is terminating" : "stays",
	       rc ? e.msg : "");
	json_decref(after);

	rc = kube_pod_delete(c->kc, c->ns, name ? name : "none", uid, rv, false, NULL, &e);
	after = name ? get_pod(c, name) : NULL;
	result(c, "delete.pod", rc == 0 && (!after || jp(after, "metadata.deletionTimestamp")),
	       "delete with uid and resourceVersion preconditions: rc %d; the pod %s %s", rc,
	       !after ? "is gone" : jp(after, "metadata.deletionTimestamp") ? "is terminating" : "stays",
	       rc ? e.msg : "");
	json_decref(after);
	json_decref(names);
}

static json_t *get_node(struct conform *c, const char *name)
{
	struct buf p = BUF_INIT;
	json_t *o;

	buf_addf(&p, "/api/v1/nodes/%s", name);
	o = get(c->kc, p.data, NULL);
	buf_release(&p);
	return o;
}

static void cordon(struct conform *c)
{
	struct kube_error e = { 0 };
	json_t *n = get_node(c, c->node2), *out = NULL;
	char rv[64];
	int rc;

	str_copy(rv, jps(n, "metadata.resourceVersion"), sizeof(rv));
	json_decref(n);
	rc = kube_node_set_unschedulable(c->kc, c->node2, true, rv, true, &out, &e);
	n = get_node(c, c->node2);
	result(c, "dryrun.cordon", rc == 0 && json_is_true(jp(out, "spec.unschedulable")) &&
	       !json_is_true(jp(n, "spec.unschedulable")) &&
	       !strcmp(jps(n, "metadata.resourceVersion"), rv),
	       "cordon with dryRun=All: rc %d, answer unschedulable %s, stored %s %s", rc,
	       json_is_true(jp(out, "spec.unschedulable")) ? "true" : "false",
	       json_is_true(jp(n, "spec.unschedulable")) ? "true" : "false", rc ? e.msg : "");
	json_decref(out);
	json_decref(n);
	out = NULL;
	rc = kube_node_set_unschedulable(c->kc, c->node2, true, rv, false, &out, &e);
	n = get_node(c, c->node2);
	result(c, "node.cordon", rc == 0 && json_is_true(jp(n, "spec.unschedulable")),
	       "cordon: rc %d, stored unschedulable %s %s", rc,
	       json_is_true(jp(n, "spec.unschedulable")) ? "true" : "false", rc ? e.msg : "");
	json_decref(out);
	out = NULL;
	str_copy(rv, jps(n, "metadata.resourceVersion"), sizeof(rv));
	json_decref(n);
	rc = kube_node_set_unschedulable(c->kc, c->node2, false, rv, false, &out, &e);
	n = get_node(c, c->node2);
	result(c, "node.uncordon", rc == 0 && !json_is_true(jp(n, "spec.unschedulable")),
	       "uncordon: rc %d, stored unschedulable %s %s", rc,
	       jp(n, "spec.unschedulable") ? (json_is_true(jp(n, "spec.unschedulable")) ? "true" : "false")
	       : "absent", rc ? e.msg : "");
	json_decref(out);
	json_decref(n);
}

static bool settled(struct conform *c, void *arg)
{
	(void)arg;
	return ready_pods(c, NULL) >= c->replicas;
}

struct rv_moved {
	char rv[64];
	long long gen;
};

static bool dep_rv_moved(struct conform *c, void *arg)
{
	struct rv_moved *m = arg;
	json_t *d = get_dep(c);
	bool moved = d && strcmp(jps(d, "metadata.resourceVersion"), m->rv) &&
		     ready_pods(c, NULL) >= c->replicas;
	json_decref(d);
	return moved;
}

void checks_writes(struct conform *c)
{
	struct rv_moved m;
	json_t *d;
	bool moved;

	scale(c);
	cordon(c);
	wait_for(c, 60000, settled, NULL);
	d = get_dep(c);
	str_copy(m.rv, jps(d, "metadata.resourceVersion"), sizeof(m.rv));
	m.gen = jpi(d, "metadata.generation");
	json_decref(d);
	delete_pod(c);
	/* The deployment controller records the replacement in the status, and
	 * a status write moves the resourceVersion as any write does: a
	 * precondition taken from an earlier read then fails with a 409. */
	moved = wait_for(c, 60000, dep_rv_moved, &m);
	d = get_dep(c);
	result(c, "deployment.status-moves-rv", moved && jpi(d, "metadata.generation") == m.gen,
	       "a pod of %s deleted and replaced: the Deployment's resourceVersion %s -> %s, "
	       "generation %lld -> %lld", c->dep, m.rv, jps(d, "metadata.resourceVersion"), m.gen,
	       jpi(d, "metadata.generation"));
	json_decref(d);
	wait_for(c, 60000, settled, NULL);
	patches(c);
	wait_for(c, 90000, settled, NULL);
}

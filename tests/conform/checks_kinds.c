/* Leases (create, renew, a stale renew refused, takeover), a
 * CustomResourceDefinition and its resources, and 403s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/objects.h"
#include "base/banned.h"

#define LEASE "conform-leader"

/* MicroTime, as the API writes it: 2026-12-07T15:04:05.123456Z */
static void micro(char *out, size_t n)
{
	int64_t ms = time_real_ms();
	char b[RFC3339_MAX];

	time_rfc3339(ms, b);                    /* ...:05Z */
	b[strlen(b) - 1] = '\0';
	snprintf(out, n, "%s.%06lldZ", b, (long long)(ms % 1000) * 1000);
}

static json_t *lease_body(const char *holder, const char *rv, int transitions, const char *acquired)
{
	char now[64];
	json_t *l;

	micro(now, sizeof(now));
	l = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:i, s:s, s:s, s:i}}",
		      "apiVersion", "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name", LEASE,
		      "spec", "holderIdentity", holder, "leaseDurationSeconds", 15,
		      "acquireTime", acquired ? acquired : now, "renewTime", now,
		      "leaseTransitions", transitions);
	if (rv)
		json_object_set_new(json_object_get(l, "metadata"), "resourceVersion", json_string(rv));
	return l;
}

static void leases(struct conform *c)
{
	struct kube_error e = { 0 };
	struct buf coll = BUF_INIT, one = BUF_INIT;
	json_t *out = NULL, *got;
	char rv1[64], rv2[64], acq[64];
	int rc;

	buf_addf(&coll, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", c->ns);
	buf_addf(&one, "%s/%s", coll.data, LEASE);
	rc = sendj(c->kc, "POST", coll.data, NULL, lease_body("conform-a", NULL, 0, NULL), &out, &e);
	str_copy(rv1, jps(out, "metadata.resourceVersion"), sizeof(rv1));
	str_copy(acq, jps(out, "spec.acquireTime"), sizeof(acq));
	result(c, "lease.create", rc == 0 && !strcmp(jps(out, "spec.holderIdentity"), "conform-a") &&
	       *rv1 && strlen(acq) == 27,
	       "POST a Lease held by conform-a: rc %d, rv %s, acquireTime %s %s", rc, rv1, acq,
	       rc ? e.msg : "");
	json_decref(out);
	out = NULL;
	memset(&e, 0, sizeof(e));
	rc = sendj(c->kc, "POST", coll.data, NULL, lease_body("conform-b", NULL, 0, NULL), NULL, &e);
	result(c, "lease.create-twice-409", rc < 0 && e.status == 409 && !strcmp(e.reason, "AlreadyExists"),
	       "a second POST: HTTP %ld %s", e.status, e.reason);

	usleep(20 * 1000);
	rc = sendj(c->kc, "PUT", one.data, NULL, lease_body("conform-a", rv1, 0, acq), &out, &e);
	str_copy(rv2, jps(out, "metadata.resourceVersion"), sizeof(rv2));
	result(c, "lease.renew", rc == 0 && *rv2 && strcmp(rv1, rv2) &&
	       !strcmp(jps(out, "spec.acquireTime"), acq),
	       "PUT with a new renewTime and rv %s: rc %d, rv now %s %s", rv1, rc, rv2, rc ? e.msg : "");
	json_decref(out);
	out = NULL;
	memset(&e, 0, sizeof(e));
	rc = sendj(c->kc, "PUT", one.data, NULL, lease_body("conform-b", rv1, 1, NULL), NULL, &e);
	result(c, "lease.stale-409", rc < 0 && e.status == 409 && !strcmp(e.reason, "Conflict"),
	       "a takeover with the stale rv %s: HTTP %ld %s", rv1, e.status, e.reason);
	rc = sendj(c->kc, "PUT", one.data, NULL, lease_body("conform-b", rv2, 1, NULL), NULL, &e);
	got = get(c->kc, one.data, NULL);
	result(c, "lease.takeover", rc == 0 && !strcmp(jps(got, "spec.holderIdentity"), "conform-b") &&
	       jpi(got, "spec.leaseTransitions") == 1 && jpi(got, "spec.leaseDurationSeconds") == 15,
	       "conform-b takes over with rv %s: rc %d, holder %s, transitions %lld %s", rv2, rc,
	       jps(got, "spec.holderIdentity"), jpi(got, "spec.leaseTransitions"), rc ? e.msg : "");
	json_decref(got);
	sendj(c->kc, "DELETE", one.data, NULL, NULL, NULL, &e);
	buf_release(&coll);
	buf_release(&one);
}

#define CRD_GROUP "conform.kubemend.io"
#define CRD_NAME "remedies." CRD_GROUP

static bool crd_established(struct conform *c, void *arg)
{
	json_t *crd = get(c->kc, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" CRD_NAME, NULL);
	const json_t *cond;
	size_t i;
	bool ok = false;

	(void)arg;
	json_array_foreach(jp(crd, "status.conditions"), i, cond)
		if (!strcmp(jps(cond, "type"), "Established") && !strcmp(jps(cond, "status"), "True"))
			ok = true;
	json_decref(crd);
	return ok;
}

static bool cr_served(struct conform *c, void *arg)
{
	struct buf *coll = arg;
	json_t *l = get(c->kc, coll->data, NULL);
	json_decref(l);
	return l != NULL;
}

static void crd(struct conform *c)
{
	struct kube_error e = { 0 };
	struct buf coll = BUF_INIT, one = BUF_INIT;
	json_t *out = NULL, *got;
	int rc;
	bool ok;

	rc = sendj(c->kc, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", NULL,
		   json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:{s:s, s:s, s:s}, s:[{s:s, s:b, s:b,"
			     " s:{s:{s:s, s:b}}, s:{s:{}}}]}}",
			     "apiVersion", "apiextensions.k8s.io/v1", "kind", "CustomResourceDefinition",
			     "metadata", "name", CRD_NAME,
			     "spec", "group", CRD_GROUP, "scope", "Namespaced",
			     "names", "plural", "remedies", "singular", "remedy", "kind", "Remedy",
			     "versions", "name", "v1", "served", 1, "storage", 1,
			     "schema", "openAPIV3Schema", "type", "object",
			     "x-kubernetes-preserve-unknown-fields", 1,
			     "subresources", "status"), NULL, &e);
	ok = (rc == 0 || e.status == 409) && wait_for(c, 30000, crd_established, NULL);
	result(c, "crd.establish", ok, "POST a CustomResourceDefinition %s: rc %d, Established %s %s",
	       CRD_NAME, rc, ok ? "True" : "not seen", rc ? e.msg : "");
	buf_addf(&coll, "/apis/" CRD_GROUP "/v1/namespaces/%s/remedies", c->ns);
	buf_addf(&one, "%s/r1", coll.data);
	ok = ok && wait_for(c, 30000, cr_served, &coll);
	memset(&e, 0, sizeof(e));
	rc = sendj(c->kc, "POST", coll.data, NULL, json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s}}",
		   "apiVersion", CRD_GROUP "/v1", "kind", "Remedy", "metadata", "name", "r1",
		   "spec", "action", "restart_pod", "target", "web-1"), &out, &e);
	result(c, "crd.create", rc == 0 && !strcmp(jps(out, "spec.action"), "restart_pod") &&
	       *jps(out, "metadata.uid"), "POST a Remedy: rc %d, uid %s %s", rc,
	       jps(out, "metadata.uid"), rc ? e.msg : "");
	json_decref(out);
	out = NULL;
	{
		struct buf st = BUF_INIT;
		buf_addf(&st, "%s/status", one.data);
		rc = sendj(c->kc, "PATCH", st.data, "application/merge-patch+json",
			   json_pack("{s:{s:s}}", "status", "phase", "Done"), NULL, &e);
		rc = rc ? rc : sendj(c->kc, "PATCH", one.data, "application/merge-patch+json",
				     json_pack("{s:{s:s}, s:{s:s}}", "spec", "action", "scale",
					       "status", "phase", "Ignored"), NULL, &e);
		got = get(c->kc, one.data, NULL);
		result(c, "crd.status-subresource", rc == 0 && !strcmp(jps(got, "status.phase"), "Done") &&
		       !strcmp(jps(got, "spec.action"), "scale"),
		       "status through /status, spec through the object (which ignores status): "
		       "rc %d, status.phase %s, spec.action %s %s", rc, jps(got, "status.phase"),
		       jps(got, "spec.action"), rc ? e.msg : "");
		json_decref(got);
		buf_release(&st);
	}
	got = get(c->kc, coll.data, &e);
	result(c, "crd.list", got && json_array_size(json_object_get(got, "items")) == 1 &&
	       !strcmp(jps(got, "kind"), "RemedyList"),
	       "list: kind %s, %zu items", jps(got, "kind"), json_array_size(json_object_get(got, "items")));
	json_decref(got);
	sendj(c->kc, "DELETE", one.data, NULL, NULL, NULL, &e);
	sendj(c->kc, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" CRD_NAME,
	      NULL, NULL, NULL, &e);
	buf_release(&coll);
	buf_release(&one);
}

void checks_kinds(struct conform *c)
{
	leases(c);
	crd(c);
}

void checks_forbidden(struct conform *c)
{
	struct kube_error e = { 0 };
	struct buf p = BUF_INIT;
	json_t *o;
	int rc;

	if (!c->nobody) {
		result(c, "forbidden.list", false, "no --nobody-kubeconfig: no user without rights");
		return;
	}
	buf_addf(&p, "/api/v1/namespaces/%s/pods", c->ns);
	rc = kube_get(c->nobody, "list pods", p.data, &o, &e);
	result(c, "forbidden.list", rc == -EACCES && e.status == 403 && !strcmp(e.reason, "Forbidden") &&
	       strstr(e.msg, "cannot list resource \"pods\""),
	       "list pods without a role: rc %d, HTTP %ld %s: %.300s", rc, e.status, e.reason, e.msg);
	memset(&e, 0, sizeof(e));
	buf_reset(&p);
	buf_addf(&p, "/apis/apps/v1/namespaces/%s/deployments/%s/scale", c->ns, c->dep);
	rc = sendj(c->nobody, "PATCH", p.data, "application/merge-patch+json",
		   json_pack("{s:{s:i}}", "spec", "replicas", 1), NULL, &e);
	result(c, "forbidden.patch", rc == -EACCES && e.status == 403 &&
	       strstr(e.msg, "cannot patch resource \"deployments/scale\""),
	       "scale without a role: rc %d, HTTP %ld %s: %.300s", rc, e.status, e.reason, e.msg);
	buf_release(&p);
}

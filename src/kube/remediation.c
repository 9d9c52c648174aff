#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kube/remediation.h"
#include "net/http.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

static void path(struct buf *p, const char *ns, const char *name, const char *sub)
{
	buf_adds(p, KUBE_REMEDIATION_API);
	if (ns)
		buf_addf(p, "/namespaces/%s", ns);
	buf_adds(p, "/remediations");
	if (name)
		buf_addf(p, "/%s", name);
	if (sub)
		buf_addf(p, "/%s", sub);
}

static void set_msg(struct kube_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_msg(struct kube_error *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->status = 0;
	e->reason[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

int kube_remediation_get(struct kube_client *kc, const char *ns, const char *name, json_t **out,
			 struct kube_error *e)
{
	struct buf p = BUF_INIT;
	int rc;

	path(&p, ns, name, NULL);
	rc = kube_get(kc, "get remediation", p.data, out, e);
	buf_release(&p);
	return rc;
}

int kube_remediation_create(struct kube_client *kc, const char *ns, const char *name, const json_t *labels,
			    const json_t *spec, json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s},s:O}", "apiVersion", "kubemend.io/v1alpha1", "kind",
				"Remediation", "metadata", "name", name, "namespace", ns, "spec", spec);
	char *body;
	int rc;

	if (labels)
		json_object_set(json_object_get(obj, "metadata"), "labels", (json_t *)labels);
	body = json_dumps(obj, JSON_COMPACT);
	path(&p, ns, NULL, NULL);
	rc = kube_send(kc, "create remediation", "POST", p.data, "application/json", body, out, e);
	free(body);
	json_decref(obj);
	buf_release(&p);
	return rc;
}

int kube_remediation_set_status(struct kube_client *kc, const char *ns, const char *name, const json_t *status,
				const char *resource_version, json_t **out, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *patch = json_pack("{s:O}", "status", status);
	char *body;
	int rc;

	if (resource_version)
		json_object_set_new(patch, "metadata", json_pack("{s:s}", "resourceVersion", resource_version));
	body = json_dumps(patch, JSON_COMPACT);
	path(&p, ns, name, "status");
	rc = kube_send(kc, "update remediation status", "PATCH", p.data, "application/merge-patch+json", body, out, e);
	free(body);
	json_decref(patch);
	buf_release(&p);
	return rc;
}

int kube_remediation_decide(struct kube_client *kc, const char *ns, const char *name, bool approve,
			    const char *by, const char *digest, const char *note, json_t **out,
			    struct kube_error *e)
{
	json_t *obj = NULL, *spec, *patch;
	const char *want, *phase, *rv;
	char at[RFC3339_MAX];
	struct buf p = BUF_INIT;
	char *body;
	int rc;

	rc = kube_remediation_get(kc, ns, name, &obj, e);
	if (rc < 0)
		return rc;
	spec = json_object_get(obj, "spec");
	want = json_string_value(json_object_get(spec, "digest"));
	phase = json_string_value(json_object_get(json_object_get(obj, "status"), "phase"));
	rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	if (json_object_get(spec, "decision")) {
		set_msg(e, "remediation %s was already decided (%s)", name,
			json_string_value(json_object_get(json_object_get(spec, "decision"), "verdict")) ?
			json_string_value(json_object_get(json_object_get(spec, "decision"), "verdict")) : "?");
		rc = -EALREADY;
		goto out;
	}
	if (phase && strcmp(phase, "Proposed")) {
		set_msg(e, "remediation %s is %s: only a Proposed one can be decided", name, phase);
		rc = -EALREADY;
		goto out;
	}
	if (!want || !*want) {
		set_msg(e, "remediation %s has no digest: nothing to approve", name);
		rc = -EINVAL;
		goto out;
	}
	if (digest && strcmp(digest, want)) {
		set_msg(e, "remediation %s: the proposal changed (digest %s), review it again", name, want);
		rc = -ESTALE;
		goto out;
	}
	time_rfc3339(time_real_ms(), at);
	patch = json_pack("{s:{s:s},s:{s:{s:s,s:s,s:s,s:s}}}", "metadata", "resourceVersion", rv ? rv : "",
			  "spec", "decision", "verdict", approve ? "approved" : "rejected", "digest", want,
			  "by", by && *by ? by : "unknown", "at", at);
	if (note && *note)
		json_object_set_new(json_object_get(json_object_get(patch, "spec"), "decision"), "note", json_string(note));
	body = json_dumps(patch, JSON_COMPACT);
	path(&p, ns, name, NULL);
	rc = kube_send(kc, approve ? "approve remediation" : "reject remediation", "PATCH", p.data,
		       "application/merge-patch+json", body, out, e);
	free(body);
	json_decref(patch);
out:
	buf_release(&p);
	json_decref(obj);
	return rc;
}

int kube_remediation_list(struct kube_client *kc, const char *ns, const char *label_selector,
			  int (*on_item)(const json_t *item, void *ctx), void *ctx, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	int rc;

	path(&p, ns, NULL, NULL);
	if (label_selector && *label_selector) {
		buf_adds(&p, "?labelSelector=");
		http_add_query_escaped(&p, label_selector);
	}
	rc = kube_list(kc, "list remediations", p.data, 500, on_item, NULL, ctx, NULL, 0, e);
	buf_release(&p);
	return rc;
}

static void add_dns(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (!b->len || b->data[b->len - 1] == '-'))
			continue;
		buf_addch(b, c);
		n++;
	}
}

void kube_remediation_name(const char *action, const char *target, const char *digest, char out[64])
{
	struct buf b = BUF_INIT;

	add_dns(&b, action, 20);
	buf_addch(&b, '-');
	add_dns(&b, target, 30);
	if (b.len && b.data[b.len - 1] != '-')
		buf_addch(&b, '-');
	add_dns(&b, digest ? digest : "0", 10);
	while (b.len && b.data[b.len - 1] == '-')
		buf_truncate(&b, b.len - 1);
	snprintf(out, 64, "%s", b.len ? b.data : "remediation");
	buf_release(&b);
}

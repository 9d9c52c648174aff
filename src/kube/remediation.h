#ifndef KUBE_REMEDIATION_H
#define KUBE_REMEDIATION_H
/*
 * Remediation records as custom resources (kubemend.io/v1alpha1, kind
 * Remediation; the CRD is deploy/crd-remediation.yaml): the API calls, no
 * policy. spec holds the proposal and the decision, status what happened
 * (a subresource: written with kube_remediation_set_status). Values are
 * borrowed; *out results are new references the caller json_decref()s.
 * Errors are kube_send()'s (-ENOENT 404, -EACCES 401/403, -EINVAL with
 * e->status 409 for a conflict or an existing object).
 */
#include <stdbool.h>
#include <jansson.h>
#include "kube/client.h"

#define KUBE_REMEDIATION_API "/apis/kubemend.io/v1alpha1"

/* GET one. */
int kube_remediation_get(struct kube_client *kc, const char *ns, const char *name, json_t **out,
			 struct kube_error *e);

/* POST a new one with spec (labels may be NULL); 409 (-EINVAL, e->status 409) when it exists. */
int kube_remediation_create(struct kube_client *kc, const char *ns, const char *name, const json_t *labels,
			    const json_t *spec, json_t **out, struct kube_error *e);

/*
 * Merge-patches status through the status subresource. resource_version,
 * when set, is a precondition (409 if the object changed since it was read):
 * the claim that makes one replica the executor.
 */
int kube_remediation_set_status(struct kube_client *kc, const char *ns, const char *name, const json_t *status,
				const char *resource_version, json_t **out, struct kube_error *e);

/*
 * Records a decision in spec.decision: verdict "approved" or "rejected",
 * by whom, now, and the digest it approves (the spec's digest when
 * digest is NULL). Refuses (-EALREADY, message in e) a record already
 * decided or past Proposed, and (-ESTALE) a digest that does not match the
 * spec's. The write carries the resourceVersion read, so a proposal that
 * changed in between is not approved by mistake (409).
 */
int kube_remediation_decide(struct kube_client *kc, const char *ns, const char *name, bool approve,
			    const char *by, const char *digest, const char *note, json_t **out,
			    struct kube_error *e);

/* Lists them (all namespaces when ns is NULL); on_item as kube_list's. */
int kube_remediation_list(struct kube_client *kc, const char *ns, const char *label_selector,
			  int (*on_item)(const json_t *item, void *ctx), void *ctx, struct kube_error *e);

/* A DNS-1123 name for a record: "<action>-<target name>-<digest[0..10)>", lower case, at most 63 bytes. */
void kube_remediation_name(const char *action, const char *target, const char *digest, char out[64]);

#endif

#ifndef KUBE_MUTATE_H
#define KUBE_MUTATE_H
/*
 * The writes remediation makes through the Kubernetes API: deleting a pod
 * with preconditions, patching a Deployment's container resources or pod
 * template annotations, the scale subresource, a node's spec.unschedulable
 * and the Eviction API. Every call borrows its arguments; *out (when asked
 * for) is a new reference the caller json_decref()s. Each takes dry_run,
 * which sends the request with dryRun=All so the API server validates it
 * and changes nothing. Errors are those of kube_send(): -ENOENT (404),
 * -EACCES (401/403), -EBUSY (429), -EINVAL (409 and other 4xx; e->status
 * tells which), with a one-line message in e.
 */
#include <stdbool.h>
#include <jansson.h>
#include "kube/client.h"

/* The resources of one container; NULL strings are left as they are. */
struct kube_resources {
	const char *cpu_request, *cpu_limit;     /* quantities: "250m", "1" */
	const char *mem_request, *mem_limit;     /* "384Mi" */
};

/*
 * DELETE a pod. uid and resource_version (either may be NULL) become
 * DeleteOptions.preconditions: the API server refuses (409) when the pod is
 * no longer that object or has changed.
 */
int kube_pod_delete(struct kube_client *kc, const char *ns, const char *name,
		    const char *uid, const char *resource_version, bool dry_run,
		    json_t **out, struct kube_error *e);

/*
 * POSTs a policy/v1 Eviction for the pod. A PodDisruptionBudget that allows
 * no disruption now answers 429 (-EBUSY): the caller waits and tries again,
 * and never deletes the pod around it.
 */
int kube_pod_evict(struct kube_client *kc, const char *ns, const char *name,
		   bool dry_run, struct kube_error *e);

/*
 * Strategic-merge PATCH of one container's resources in a Deployment's pod
 * template. resource_version, when set, is a precondition (409 if the
 * Deployment changed).
 */
int kube_deployment_set_resources(struct kube_client *kc, const char *ns,
				  const char *name, const char *container,
				  const struct kube_resources *r,
				  const char *resource_version, bool dry_run,
				  json_t **out, struct kube_error *e);

/*
 * A rollout restart, as `kubectl rollout restart` does it: sets the pod
 * template annotation kubectl.kubernetes.io/restartedAt to stamp.
 */
int kube_deployment_restart(struct kube_client *kc, const char *ns, const char *name,
			    const char *stamp, const char *resource_version,
			    bool dry_run, json_t **out, struct kube_error *e);

/*
 * Puts template as the Deployment's whole spec.template (a JSON patch
 * "replace", as `kubectl rollout undo` does with an older ReplicaSet's
 * template). resource_version, when set, is a precondition (409 if the
 * Deployment changed).
 */
int kube_deployment_set_template(struct kube_client *kc, const char *ns, const char *name,
				 const json_t *template, const char *resource_version,
				 bool dry_run, json_t **out, struct kube_error *e);

/*
 * Sets a HorizontalPodAutoscaler's (autoscaling/v2) spec.maxReplicas, a
 * merge PATCH; resource_version, when set, is a precondition.
 */
int kube_hpa_set_max(struct kube_client *kc, const char *ns, const char *name, int max_replicas,
		     const char *resource_version, bool dry_run, json_t **out, struct kube_error *e);

/* Sets spec.replicas through the scale subresource (a merge PATCH). */
int kube_deployment_scale(struct kube_client *kc, const char *ns, const char *name,
			  int replicas, const char *resource_version, bool dry_run,
			  json_t **out, struct kube_error *e);

/* Sets a node's spec.unschedulable (cordon: true, uncordon: false). */
int kube_node_set_unschedulable(struct kube_client *kc, const char *name,
				bool unschedulable, const char *resource_version,
				bool dry_run, json_t **out, struct kube_error *e);

#endif

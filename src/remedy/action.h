#ifndef REMEDY_ACTION_H
#define REMEDY_ACTION_H
/*
 * The remediation actions and one proposed use of them. struct proposal
 * borrows its strings from whoever built it (the planner); it owns nothing.
 */
#include <stdbool.h>
#include <stdint.h>

enum action_kind {
	ACT_RESTART_POD,
	ACT_SCALE_DEPLOYMENT,
	ACT_CHANGE_LIMITS,
	ACT_CORDON_NODE,
	ACT_UNCORDON_NODE,
	ACT_DRAIN_NODE,
	ACT_ROLLOUT_UNDO,       /* the previous ReplicaSet's template back, as `kubectl rollout undo` */
	ACT_RAISE_HPA_MAX,      /* a HorizontalPodAutoscaler's maxReplicas (it owns the Deployment's replicas) */
	ACT_NONE,
	ACT__COUNT
};

/* "restart_pod", ...; action_parse returns 0 or -EINVAL. */
const char *action_name(enum action_kind k);
int action_parse(const char *s, enum action_kind *out);
/* Whether the action targets a node (else a pod or a deployment). */
bool action_is_node(enum action_kind k);

struct proposal {
	enum action_kind kind;
	const char *namespace_;     /* NULL for node actions */
	const char *name;           /* pod, deployment or node */
	const char *workload;       /* "Deployment" owner of a pod or the deployment itself; NULL: none */
	bool follow_up;             /* a later step of a plan whose previous step was verified (no cooldown) */
	bool bare_pod;              /* restart_pod: the pod has no controller */
	bool node_cordoned;         /* a node action: the node is unschedulable already (live) */
	/* scale_deployment; raise_hpa_max: the HPA's maxReplicas (name: the HPA, workload: its Deployment) */
	int replicas_before, replicas_after;
	/* change_limits: base units (cores, bytes); 0 = unset / unchanged */
	double cpu_limit_before, cpu_limit_after;
	double mem_limit_before, mem_limit_after;
	double cpu_request_before, cpu_request_after;
	double mem_request_before, mem_request_after;
	/* rollout_undo: the revision now and the one whose template comes back (its ReplicaSet, images) */
	long long revision_before, revision_after;
	const char *replicaset_after, *image_before, *image_after;
};

#endif

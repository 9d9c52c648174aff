#ifndef REMEDY_TARGET_H
#define REMEDY_TARGET_H
/*
 * What remediation reads about its target before and after acting: the
 * object's identity and version (the guard against acting on something that
 * changed since it was proposed) and the values an action changes. A struct
 * target_state is plain data and owns nothing; a struct workload_pods owns
 * its pods (workload_pods_release frees them).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kube/client.h"
#include "kube/objects.h"
#include "remedy/action.h"

#define WORKLOAD_MAX_PODS 10000

struct target_state {
	char uid[64], rv[32];
	int64_t generation;
	/* restart_pod: the controller chain of the pod */
	char owner_kind[32], owner_name[256];     /* the pod's controller */
	char deployment[256];                     /* its Deployment, or "" */
	/* Deployments (or a pod's Deployment) */
	int replicas;
	int ready_replicas;                       /* status.readyReplicas */
	bool pod_ready;                           /* restart_pod: the pod's Ready condition is True */
	char container[128];                      /* the container change_limits acts on */
	char cpu_request[32], cpu_limit[32];      /* as written in the template; "" when unset */
	char mem_request[32], mem_limit[32];
	double cpu_limit_v, mem_limit_v, cpu_request_v, mem_request_v;  /* NaN when unset */
	/* the pod's: summed over the template's containers (NaN unless every one sets it), as
	 * the metrics rows and so the advice count them; a sidecar makes them differ */
	int ncontainers;
	double pod_cpu_limit, pod_mem_limit, pod_cpu_request, pod_mem_request;
	/* nodes */
	bool unschedulable;
	/* rollout_undo: the Deployment's revision history (its ReplicaSets) */
	long long revision, prev_revision;        /* deployment.kubernetes.io/revision; 0: none */
	char cur_rs[256], prev_rs[256];           /* the ReplicaSets of those revisions */
	char image[256], prev_image[256];         /* the first container's image in each */
	int64_t cur_rs_created_ms;                /* the current ReplicaSet's creationTimestamp */
	int cur_rs_ready;                         /* its status.readyReplicas */
	int old_replicas;                         /* spec.replicas of the older ReplicaSets (> 0: the rollout goes on) */
	/* the HorizontalPodAutoscaler that owns a Deployment's replicas ("" none); raise_hpa_max reads it */
	char hpa[256];
	int hpa_min, hpa_max, hpa_desired;
	int hpa_wants;                            /* what its own rule asks for without the max: ceil(current x utilization / target); 0 unknown */
};

/*
 * Reads the proposal's target into st. For restart_pod the pod's
 * ReplicaSet and Deployment are looked up too; container (may be NULL)
 * names the container of change_limits, else the template's first.
 * Returns 0 or the error of the failed read, with e filled.
 */
int target_observe(struct kube_client *kc, const struct proposal *p, const char *container,
		   struct target_state *st, struct kube_error *e);

/*
 * The template of one of a Deployment's ReplicaSets (rs, owned by the
 * Deployment of uid dep_uid), as the Deployment would carry it: without the
 * pod-template-hash label. *revision gets its revision. A new object, or
 * NULL with e filled (-ENOENT: not this Deployment's ReplicaSet).
 */
json_t *target_rs_template(struct kube_client *kc, const char *ns, const char *rs,
			   const char *dep_uid, long long *revision, struct kube_error *e);

/* Reads a Deployment's fields into st (uid, rv, generation, replicas, container). */
int target_read_deployment(const json_t *dep, const char *container, struct target_state *st);

struct workload_pods {
	struct kube_pod *pods;
	size_t n, cap;
};

/* Lists the pods a Deployment selects (spec.selector.matchLabels). */
int workload_pods_list(struct kube_client *kc, const char *ns, const char *deployment,
		       struct workload_pods *out, struct kube_error *e);
void workload_pods_release(struct workload_pods *w);

/* Formats a quantity as Kubernetes writes it: "384Mi", "1536Mi", "750m". */
void quantity_bytes(double v, char *out, size_t n);
void quantity_cores(double v, char *out, size_t n);

/* GETs prefix[/namespaces/ns]/res/name ("/api/v1", "pods"): as kube_get(). */
int target_get(struct kube_client *kc, const char *what, const char *prefix,
	       const char *ns, const char *res, const char *name, json_t **out,
	       struct kube_error *e);

/*
 * The last lines of a pod's previous container run (pods/NAME/log with
 * previous=true&tailLines=N), secrets, addresses and tokens redacted, as a
 * new JSON array of strings; NULL when there was no previous run or the
 * API refused (e says why).
 */
json_t *target_previous_logs(struct kube_client *kc, const char *ns, const char *pod,
			     int tail, struct kube_error *e);

/*
 * How the pods of one ReplicaSet (rs; NULL: every pod the Deployment
 * selects) fare: how many there are, how many fail (restarted, or waiting
 * in CrashLoopBackOff or on an image), the newest failure's reason, exit
 * code and time (lastState.terminated.finishedAt; the API server's clock),
 * and the first failing pod's name. Plain data.
 */
struct revision_health {
	int pods, failing;
	char reason[64];          /* OOMKilled, Error, ErrImagePull, ...; "" when none */
	char message[256];        /* the waiting state's message (an image pull's error) */
	int exit_code;            /* of the last termination; -1 when none */
	int64_t last_failure_ms;  /* 0 when no termination was recorded */
	int64_t oldest_ok_ms;     /* when the longest-running pod that never failed started; 0: none */
	char pod[256];
};
int target_revision_health(struct kube_client *kc, const char *ns, const char *deployment,
			   const char *rs, struct revision_health *h, struct kube_error *e);

/* Escapes s into p as a URL path segment or query value. */
struct buf;
void target_escape(struct buf *p, const char *s);

/* The replicas an HPA's own rule asks for (h: the HorizontalPodAutoscaler
 * object), its maximum aside: ceil(currentReplicas x CPU utilization now /
 * its target); 0 when unknown. */
int target_hpa_wants(const json_t *h);

#endif

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
	/* nodes */
	bool unschedulable;
};

/*
 * Reads the proposal's target into st. For restart_pod the pod's
 * ReplicaSet and Deployment are looked up too; container (may be NULL)
 * names the container of change_limits, else the template's first.
 * Returns 0 or the error of the failed read, with e filled.
 */
int target_observe(struct kube_client *kc, const struct proposal *p, const char *container,
		   struct target_state *st, struct kube_error *e);

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

/* Escapes s into p as a URL path segment or query value. */
struct buf;
void target_escape(struct buf *p, const char *s);

#endif

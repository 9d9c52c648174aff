#ifndef KUBE_OBJECTS_H
#define KUBE_OBJECTS_H
/*
 * Typed views of the Kubernetes objects kubemend reads, parsed from jansson
 * values. Each struct owns its strings; its _release() frees them. A parse
 * either fills the whole struct and returns 0, or returns -EINVAL with a
 * message naming the field and leaves the output untouched: there is no
 * half-filled object. Numbers that may be absent are NaN when absent;
 * strings that may be absent are NULL.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define KUBE_ERRLEN 512

struct kube_pod {
	char *namespace, *name, *uid, *node;
	char *phase, *reason, *message;  /* status.phase, status.reason/message */
	char *owner_kind, *owner_name;   /* the controller ownerReference, or NULL */
	char *container_reason;          /* the most telling waiting/terminated reason */
	char *container_message;
	char *last_reason;               /* lastState.terminated.reason of a restarted container ("OOMKilled") */
	int last_exit_code;              /* its lastState.terminated.exitCode; -1 when none */
	char *resource_version;
	int64_t created_ms, started_ms;  /* 0 when absent */
	int restarts, containers_ready, containers_total;
	double cpu_request, cpu_limit;   /* cores, summed over containers; NaN unless every container sets it */
	double mem_request, mem_limit;   /* bytes, likewise */
	bool deleting;                   /* metadata.deletionTimestamp is set */
};

/* Node condition bits. */
enum {
	NODE_MEMORY_PRESSURE = 1, NODE_DISK_PRESSURE = 2, NODE_PID_PRESSURE = 4,
	NODE_NETWORK_UNAVAILABLE = 8,
};

struct kube_node {
	char *name;
	int ready;                       /* 1, 0, or -1 when unknown */
	unsigned conditions;             /* NODE_* bits that are True */
	bool unschedulable;
	double cpu_allocatable, mem_allocatable; /* NaN when absent */
};

struct kube_event {
	char *namespace, *name;
	char *kind, *obj_namespace, *obj_name;  /* involvedObject (or regarding) */
	char *type, *reason, *message, *source; /* source: component (and host) */
	int count;                       /* occurrences, at least 1 */
	int64_t last_ms;                 /* lastTimestamp, eventTime, series, firstTimestamp or creation */
};

/* A ReplicaSet, Deployment, DaemonSet, StatefulSet or Job and its controller. */
struct kube_owner {
	char *kind, *namespace, *name;
	char *owner_kind, *owner_name;   /* its controller, or NULL */
};

/* metrics.k8s.io PodMetrics, summed over containers. */
struct kube_pod_metrics {
	char *namespace, *name;
	int64_t ts_ms, window_ms;
	double cpu_cores, mem_bytes;
};

struct kube_node_metrics {
	char *name;
	int64_t ts_ms, window_ms;
	double cpu_cores, mem_bytes;
};

/* One pod of a kubelet /stats/summary; counters are NaN when absent. */
struct kube_pod_stats {
	char *namespace, *name;
	int64_t net_ts_ms;               /* network.time: when the counters were read */
	double rx_bytes, tx_bytes, rx_errors, tx_errors;
	double cpu_cores, mem_bytes, fs_used_bytes;
};

struct kube_summary {
	char *node;
	struct kube_pod_stats *pods;
	size_t npods;
};

int kube_pod_parse(const json_t *obj, struct kube_pod *out, char *err, size_t errlen);
void kube_pod_release(struct kube_pod *p);
int kube_node_parse(const json_t *obj, struct kube_node *out, char *err, size_t errlen);
void kube_node_release(struct kube_node *n);
int kube_event_parse(const json_t *obj, struct kube_event *out, char *err, size_t errlen);
void kube_event_release(struct kube_event *e);
int kube_owner_parse(const json_t *obj, struct kube_owner *out, char *err, size_t errlen);
void kube_owner_release(struct kube_owner *o);
int kube_pod_metrics_parse(const json_t *obj, struct kube_pod_metrics *out,
			   char *err, size_t errlen);
void kube_pod_metrics_release(struct kube_pod_metrics *m);
int kube_node_metrics_parse(const json_t *obj, struct kube_node_metrics *out,
			    char *err, size_t errlen);
void kube_node_metrics_release(struct kube_node_metrics *m);
int kube_summary_parse(const json_t *obj, struct kube_summary *out, char *err, size_t errlen);
/* Keys of a summary kube_summary_parse() never reads (for kube/jsonskim.h). */
extern const char *const kube_summary_skim[];
void kube_summary_release(struct kube_summary *s);

/* A Status body's message and reason ("" when body is not a Status). */
void kube_status_message(const json_t *obj, char *msg, size_t msglen,
			 char *reason, size_t reasonlen);

#endif

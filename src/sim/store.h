#ifndef SIM_STORE_H
#define SIM_STORE_H
/*
 * The simulated cluster's object store: compact C structs per kind (no JSON
 * trees; JSON is rendered on demand), a resourceVersion counter, the watch
 * event ring and the controllers. struct simstate owns every object; objects
 * are reached under simstate.mu only. Internal to src/sim/.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/buf.h"
#include "sim/scenario.h"
#include "sim/model.h"
#include "sim/truth.h"
#include "sim/audit.h"
#include "sim/select.h"

enum kind {
	K_POD, K_NODE, K_NAMESPACE, K_EVENT, K_DEPLOYMENT, K_REPLICASET,
	K_DAEMONSET, K_PDB, K_LEASE,
	K_GEN0,                 /* kinds stored as JSON (sim/generic.h): K_GEN0 .. K_GEN0 + GEN_MAX - 1 */
	K__COUNT = K_GEN0 + 40
};
#define GEN_MAX (K__COUNT - K_GEN0)

/* Immutable, reference-counted key/value pairs (labels, annotations). */
struct labels {
	int refs;
	int n;
	char *kv[];             /* key0, value0, key1, value1, ... sorted by key */
};

struct labels *labels_new(const char *const *kv, int n);
struct labels *labels_ref(struct labels *l);
void labels_unref(struct labels *l);
const char *labels_get(const struct labels *l, const char *key);
/* A copy with key set to value (value NULL removes it). */
struct labels *labels_with(const struct labels *l, const char *key, const char *value);
bool labels_equal(const struct labels *a, const struct labels *b);

struct meta {
	enum kind kind;
	char *name;
	const char *ns;         /* interned; NULL for cluster-scoped kinds */
	uint64_t uid;
	uint64_t rv;
	int64_t created_ms;     /* virtual clock */
	int64_t generation;
	struct labels *labels;
	struct labels *annotations;
};

struct container_spec {
	char *name;
	char *image;
	struct resources res;
};

struct podtemplate {
	struct labels *labels;
	struct labels *annotations;     /* e.g. kubectl.kubernetes.io/restartedAt */
	struct container_spec c;
	bool emptydir;          /* a scratch emptyDir volume (drain needs --delete-emptydir-data) */
};

enum pod_phase { PH_PENDING, PH_RUNNING, PH_SUCCEEDED, PH_FAILED };

struct node;
struct lease;
struct replicaset;
struct daemonset;

struct pod {
	struct meta m;
	struct meta *owner;     /* the ReplicaSet or DaemonSet; NULL when orphaned */
	struct node *node;      /* NULL while unscheduled */
	struct container_spec c;
	struct usage usage;
	bool emptydir;
	enum pod_phase phase;
	char *sched_msg;        /* why no node fits (FailedScheduling), NULL once scheduled */
	bool evicted;
	int64_t scheduled_ms;
	uint32_t ordinal;       /* for the pod IP and the model seed */
	struct podsim *sim;     /* set once scheduled */
	struct podsim_status st;        /* last status seen from the model */
	struct pod_effects *fx; /* fault effects, NULL when none */
	int faults;             /* active pod-scoped faults on this pod */
};

struct node {
	struct meta m;
	int index;
	bool unschedulable;
	bool not_ready;
	bool mem_pressure;
	int64_t ready_change_ms;
	double cpu_alloc, mem_alloc;
	int max_pods;
	double cpu_req, mem_req;        /* sums over pods bound here */
	int npods;
	struct lease *lease;            /* its kube-node-lease heartbeat */
};

struct deployment {
	struct meta m;
	int replicas;
	struct selector *selector;
	struct labels *match;   /* the selector's matchLabels */
	struct podtemplate tpl;
	struct usage usage;
	int64_t revision;
	int64_t observed_generation;
	int st_replicas, st_updated, st_ready;
};

struct replicaset {
	struct meta m;
	struct deployment *owner;
	int replicas;
	struct labels *match;
	struct podtemplate tpl;
	struct usage usage;
	char hash[16];
	int64_t revision;
	int st_replicas, st_ready;      /* status, recounted by controllers */
};

struct daemonset {
	struct meta m;
	struct labels *match;
	struct podtemplate tpl;
	struct usage usage;
	int st_desired, st_current, st_ready;
};

struct pdb {
	struct meta m;
	struct selector *selector;
	char *selector_json;    /* the LabelSelector as given, rendered back verbatim */
	bool has_min;           /* minAvailable; else maxUnavailable */
	int value;
	bool percent;
	bool always_allow;      /* unhealthyPodEvictionPolicy AlwaysAllow (else IfHealthyBudget, the default) */
	bool policy_set;        /* the field was given (rendered back only then) */
	/* status, recomputed by controllers */
	int current_healthy, desired_healthy, expected, disruptions_allowed;
};

struct namespace_ {
	struct meta m;
};

struct event {
	struct meta m;
	enum kind inv_kind;
	char *inv_name;
	uint64_t inv_uid;
	char *reason;
	char *message;
	bool warning;
	int count;
	int64_t first_ms, last_ms;
	const char *component;  /* static */
	char *host;             /* source.host, or NULL */
	char *container;        /* kubelet events about a container: its name, else NULL */
	/* events written through events.k8s.io/v1 (sim/events_v1.c); NULL/0 for the sim's own */
	struct event_api *api;
};

/* What an Event created through the API says that the sim's own do not. */
struct event_api {
	char *kind, *api_version, *uid;         /* regarding: as given (any kind, even unknown ones) */
	char *controller, *instance, *action;   /* reportingController, reportingInstance, action */
	int64_t event_time_ms;
	int series_count;                       /* 0: no series */
	int64_t series_last_ms;
};

struct lease {
	struct meta m;
	char *holder;
	int duration_s;
	int64_t acquire_ms, renew_ms;
	int transitions;
};

/* A sorted array of objects of one kind (by namespace, then name). */
struct objlist {
	struct meta **v;
	size_t n, cap;
};

/* One watch event as it was when it happened. */
struct wevent {
	uint64_t rv;
	enum kind kind;
	char type;              /* 'A'dded, 'M'odified, 'D'eleted */
	const char *ns;
	char *name;
	struct labels *labels;
	char *node;             /* pods: spec.nodeName */
	enum pod_phase phase;
	char *json;             /* the object */
	char *cells;            /* its Table row cells (JSON array text) */
};

/*
 * One ring of recent watch events per kind (the API server keeps a watch
 * cache per resource), so churn in one kind, such as Events, does not push
 * another kind's watchers into 410 Gone.
 */
struct watchring {
	struct wevent *ev;
	size_t cap;
	uint64_t first;         /* index of the oldest event (monotonic counter) */
	uint64_t next;
	uint64_t floor_rv;      /* watches from below this rv get 410 */
};

/* Capacity of a kind's ring. */
size_t watchring_cap(enum kind k);

/* API fault injection for client tests (--fault-*). */
struct apifaults {
	int latency_ms;
	double rate_500, rate_429, rate_truncate;
	int watch_cut_s;
};

struct simstate {
	pthread_mutex_t mu;
	pthread_cond_t cond;    /* broadcast when a watch ring grows or the sim stops */
	struct objlist lists[K__COUNT];
	uint64_t rv;
	uint64_t next_uid;
	uint64_t rng;
	uint64_t fault_rng;     /* API fault draws: separate, so they do not shift the cluster's names */
	uint64_t seed;
	uint32_t next_ordinal;
	uint64_t event_seq;
	bool quiet;             /* bulk set-up: no watch events */
	bool stopping;

	/* the virtual clock */
	int64_t virt_base_ms;   /* virtual time at mono_base_ms */
	int64_t mono_base_ms;
	double speed;
	int64_t now_ms;         /* virtual time the model was last advanced to */
	int64_t start_ms;       /* virtual time the scenario started */

	struct watchring rings[K__COUNT];

	size_t max_events;      /* Event objects kept */
	struct meta **event_fifo;
	struct meta *evicting;  /* the Event the FIFO is dropping */
	size_t event_head, nevents_fifo;

	/* the pods grouped by node, for the kubelet endpoints (metrics.c);
	 * rebuilt when rv or the pod list changes */
	struct {
		const void **v;         /* struct pod *, sorted by node, then list order */
		size_t n;
		uint64_t rv;
		const void *list;       /* the pod list's array when built */
	} by_node;

	struct scenario sc;
	struct truth truth;
	struct faultstate *faults;
	struct apifaults apif;
	char token[65];
	char *client_cn_ok;     /* the client certificate CN we issued (TLS) */
	struct sim_audit audit; /* --audit-log (sim/audit.h) */
	int64_t hpa_last_ms;    /* the HPA controller's last pass (sim/hpa.h) */
	const char *scaled_by;  /* who scales a Deployment now ("hpa"), for ended_by; NULL: the API */
};

/* store.c */
void store_init(struct simstate *s, uint64_t seed);
void store_release(struct simstate *s);
const char *store_intern(const char *ns);
uint64_t store_next_rv(struct simstate *s);
uint64_t store_rand(struct simstate *s);
void store_uid(uint64_t uid, char out[37]);
struct meta *store_get(struct simstate *s, enum kind k, const char *ns, const char *name);
/* Index of the first object after (ns, name) in the list (for paging). */
size_t store_lower_bound(const struct objlist *l, const char *ns, const char *name, bool after);
/* Takes ownership of m (meta fields set by the caller except rv/uid, set here). */
void store_add(struct simstate *s, struct meta *m);
/* Marks m modified: bumps rv and records a watch event. */
void store_touch(struct simstate *s, struct meta *m);
/* Unlinks, records DELETED, frees m. */
void store_remove(struct simstate *s, struct meta *m);
void store_sort(struct simstate *s, enum kind k);
/* Whether a namespace holds simulated workloads (pods, deployments, replicasets, daemonsets). */
bool store_namespace_busy(struct simstate *s, const char *ns);
/* Removes every other object in the namespace (stored kinds, PDBs, leases, events). */
void store_namespace_purge(struct simstate *s, const char *ns);
void obj_free(struct meta *m);
/* Records a watch event for m as it is now. */
void store_publish(struct simstate *s, struct meta *m, char type);
/* A (node or pod) event; involved may be NULL (then inv_* given). */
void store_event(struct simstate *s, struct meta *involved, const char *reason, bool warning,
		 const char *component, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Virtual now from the clock (not the model's last step). */
int64_t store_clock(const struct simstate *s);
char *store_pod_name(struct simstate *s, const char *prefix);

/* render.c: the object as JSON (with kind and apiVersion). */
void render_obj(struct simstate *s, struct buf *b, const struct meta *m);
/* m's metadata as a meta.k8s.io/v1 PartialObjectMetadata (Table rows). */
void render_partial_meta(struct buf *b, const struct meta *m);
const char *kind_name(enum kind k);
const char *kind_api_version(enum kind k);
const char *phase_name(enum pod_phase p);
void render_quantity_cpu(struct buf *b, double cores);
void render_quantity_mem(struct buf *b, double bytes);
void render_time(struct buf *b, int64_t ms);
/* Value of a field selector key for m ("metadata.name"...), or NULL if the kind lacks it. */
const char *obj_field(const struct meta *m, const char *key, char tmp[32]);
bool field_supported(enum kind k, const char *key);

/* table.c */
void table_columns(struct buf *b, enum kind k);
void table_cells(struct simstate *s, struct buf *b, const struct meta *m);
int pod_ready_count(const struct pod *p, int *total);

/* controllers.c */
void ctl_reconcile(struct simstate *s);
void ctl_delete_pod(struct simstate *s, struct pod *p, const char *why);
struct pod *ctl_create_pod(struct simstate *s, struct meta *owner, const struct podtemplate *tpl,
			   const struct usage *usage, const char *prefix, int64_t created_ms);
void tpl_copy(struct podtemplate *dst, const struct podtemplate *src);
void tpl_release(struct podtemplate *t);
bool tpl_equal(const struct podtemplate *a, const struct podtemplate *b);
void tpl_hash(const struct podtemplate *t, char out[16]);
void ctl_pdb_status(struct simstate *s, struct pdb *d);
bool pod_ready(const struct pod *p);
/* Advances every pod's model to virtual time now. */
void ctl_advance(struct simstate *s, int64_t now);
void pod_bind(struct simstate *s, struct pod *p, struct node *n);
bool pod_matches_labels(const struct selector *sel, const struct labels *l);

#endif

#ifndef RUN_INCLUSTER_H
#define RUN_INCLUSTER_H
/*
 * Running inside the cluster it watches (docs/incluster.md): leader
 * election on a Lease (kube/lease.h), the Remediation records mirrored into
 * custom resources that every replica shares, Events on the objects
 * (kube/events.h), and decisions made with `kubemend approve`/`reject` (or
 * a kubectl patch) handed to the remediation loop.
 *
 * struct incluster owns its API clients (one for the Lease's thread, one
 * for records and Events, one for the decision poller) and its threads; it
 * borrows the kube_config, which must outlive it. The hooks may be called
 * from any thread.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "kube/client.h"
#include "kube/events.h"
#include "kube/lease.h"

struct incluster_opts {
	bool leader_elect;
	const char *lease_name;         /* default "kubemend-leader" */
	const char *lease_namespace;    /* default $POD_NAMESPACE, else "kubemend" */
	const char *identity;           /* default hostname_pid */
	int64_t lease_duration_ms, renew_deadline_ms, retry_period_ms;
	bool records;                   /* mirror records into Remediation resources */
	const char *records_namespace;  /* default: the lease namespace */
	bool events;                    /* Events on the objects */
	int64_t cooldown_ms;            /* same action on the same target by any replica within it: refused */
	int64_t min_margin_ms;          /* act only with at least this much leadership left (default 1 s) */
};

/* A decision read from a Remediation resource, for the loop (e.g. into the approval box). */
typedef int (*incluster_decide_fn)(void *ctx, const char *record_id, const char *digest, bool approve,
				   const char *who);

struct ic_map;

struct incluster {
	struct incluster_opts o;
	char *lease_name, *lease_ns, *records_ns, *identity;
	struct kube_client lease_kc, kc, poll_kc;
	bool lease_on, kc_on, poll_kc_on;
	struct kube_lease lease;
	struct kube_recorder rec;
	bool rec_on;
	pthread_mutex_t mu;
	struct ic_map *map;             /* local record id -> resource name, last status */
	size_t nmap, capmap;
	bool claim_ok;                  /* the record being executed is ours to run */
	char claim_why[256];
	incluster_decide_fn decide;
	void *decide_ctx;
	int64_t poll_ms;
	pthread_t poller;
	bool polling, stop;
	pthread_cond_t cond;
	bool records_missing;           /* the CRD is not served: records stay local */
	json_t *const *records;         /* the loop's history (incluster_watch_records), or NULL */
	char claimed[64];               /* the executing record last claimed through the guard */
};

int incluster_open(struct incluster *ic, const struct kube_config *cfg, const struct incluster_opts *o,
		   char *err, size_t errlen);
void incluster_close(struct incluster *ic);

/* Whether this replica leads (always true without --leader-elect). */
bool incluster_leading(struct incluster *ic);

/* remedy_opts.may_act: leadership with time to spare; rec (may be NULL) is checked against the shared records. */
int incluster_may_act(void *ctx, char *why, size_t whylen);
int incluster_may_act_rec(void *ctx, const json_t *rec, char *why, size_t whylen);
/* remedy_opts.on_record: mirrors rec into its resource, writes Events, claims an execution. */
void incluster_on_record(void *ctx, const json_t *rec);
/* kube_client.write_guard for the client that remediates: leading, with margin, and the claim held. */
bool incluster_write_guard(void *ctx, char *why, size_t whylen);

/*
 * Without remedy_opts.on_record: the guard finds the record being executed
 * in *records (the loop's history array, read only on the loop's thread:
 * the guard runs there, inside the loop's writes) and claims it before the
 * first write; incluster_sync() mirrors what changed after each pass.
 */
void incluster_watch_records(struct incluster *ic, json_t *const *records);
void incluster_sync(struct incluster *ic);

/*
 * An anomaly was detected on an object (kind "Deployment", "Pod" or "Node"):
 * a Warning Event "AnomalyDetected" on it, when leading and Events are on.
 */
void incluster_anomaly(struct incluster *ic, const char *kind, const char *ns, const char *name,
		       const char *anomaly_type, double probability, const char *summary);

/*
 * Starts reading the resources every poll_ms while leading: records another
 * replica left Executing become Interrupted; decisions go to decide (NULL: none).
 */
int incluster_poll_decisions(struct incluster *ic, incluster_decide_fn decide, void *ctx, int64_t poll_ms);

#endif

#ifndef KUBE_EVENTS_H
#define KUBE_EVENTS_H
/*
 * Kubernetes Events (events.k8s.io/v1) about the objects kubemend watches
 * and changes, so `kubectl describe deploy/x` tells the story: the anomaly,
 * the proposal, the decision, the action, the verification.
 *
 * Like client-go's event recorder: an Event that repeats (same object,
 * type, reason, action and note) within the series window becomes one
 * Event with a series (count, lastObservedTime), patched at most once per
 * series_flush_ms (a repeat in between is counted and sent with the next);
 * each object has a token bucket (burst, then one Event per refill_ms), and
 * what it drops is counted. The recorder owns its cache and borrows its
 * client (one thread at a time calls it; its calls are serialised by an
 * internal mutex).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "kube/client.h"

/* The object an Event is about; uid empty: looked up (and cached) with a GET. */
struct kube_event_ref {
	const char *api_version;        /* "apps/v1", "v1", "kubemend.io/v1alpha1" */
	const char *kind;
	const char *namespace_;         /* NULL for cluster-scoped objects (the Event goes to "default") */
	const char *name;
	const char *uid;
};

struct kube_recorder_opts {
	const char *controller;         /* reportingController, e.g. "kubemend.io/monitor" */
	const char *instance;           /* reportingInstance: this replica */
	int64_t series_window_ms;       /* default 6 min (client-go's isomorphic window) */
	int64_t series_flush_ms;        /* default 30 s */
	int burst;                      /* default 25 per object */
	int64_t refill_ms;              /* default 5 min per token */
};

struct kube_recorder_stats {
	uint64_t created, patched, deduplicated, dropped, errors;
};

struct rec_entry;
struct rec_bucket;

struct kube_recorder {
	struct kube_client *kc;
	char *controller, *instance;
	int64_t window_ms, flush_ms, refill_ms;
	int burst;
	pthread_mutex_t mu;
	struct rec_entry *entries;      /* the series cache, newest first, bounded */
	size_t nentries;
	struct rec_bucket *buckets;     /* per-object token buckets, bounded */
	size_t nbuckets;
	struct kube_recorder_stats stats;
};

int kube_recorder_init(struct kube_recorder *r, struct kube_client *kc, const struct kube_recorder_opts *o);
void kube_recorder_release(struct kube_recorder *r);

/*
 * Records an Event (warning: type Warning, else Normal). Returns 1 when an
 * Event was created or its series patched, 0 when it was deduplicated into
 * a pending series update or dropped by the rate limit, or a negative errno
 * from the API with a message in e.
 */
int kube_event(struct kube_recorder *r, const struct kube_event_ref *ref, bool warning,
	       const char *reason, const char *action, const char *note, struct kube_error *e);

/* Sends the series counts that are waiting (call now and then, and before exit). */
int kube_recorder_flush(struct kube_recorder *r, struct kube_error *e);

#endif

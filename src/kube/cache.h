#ifndef KUBE_CACHE_H
#define KUBE_CACHE_H
/*
 * A list-then-watch cache of one resource (an informer): a background
 * thread lists the resource, then watches from the list's resourceVersion,
 * applying ADDED/MODIFIED/DELETED to a map of typed objects; a cut stream
 * is resumed from the last resourceVersion seen, a 410 Gone relists. The
 * cache owns its objects and its thread; readers see them only inside
 * kube_cache_foreach() (under the cache's lock). kube_cache_stop() joins
 * the thread and frees everything.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/strmap.h"
#include "kube/client.h"

/* How to parse and free one kind of object (see kube/objects.h). */
struct kube_cache_type {
	const char *resource;           /* "pods", for messages */
	size_t size;                    /* sizeof the typed struct */
	int (*parse)(const json_t *obj, void *out, char *err, size_t errlen);
	void (*release)(void *obj);
	/* keys parse never reads, skimmed off lists and watch events before
	 * jansson sees them (kube/jsonskim.h); NULL: none */
	const char *const *skim;
};

#define KUBE_CACHE_MAX_OBJECTS 2000000

extern const struct kube_cache_type kube_cache_pods, kube_cache_nodes, kube_cache_events;

struct kube_cache {
	const struct kube_cache_type *type;
	char *path;                     /* the list path, e.g. /api/v1/namespaces/x/pods */
	struct kube_client client;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct strmap objs;             /* "namespace/name" -> typed object */
	char rv[64];
	bool synced;                    /* the first list completed */
	int last_rc;                    /* the last list or watch error (0 when healthy) */
	struct kube_error last_err;
	volatile int stop;
	size_t max_objects;             /* hard cap (KUBE_CACHE_MAX_OBJECTS); more are dropped */
	/* counters, for tests and /metrics */
	unsigned long lists, watches, events, bad_events, dropped;
	unsigned long events_at_watch;  /* events when the current watch began */
	int64_t watch_timeout_s;        /* timeoutSeconds asked of the server */
};

/* Starts the thread. The cache borrows cfg, which must outlive it. */
int kube_cache_start(struct kube_cache *c, const struct kube_cache_type *type,
		     const struct kube_config *cfg, const char *path,
		     const struct http_opts *opts, char *err, size_t errlen);
/*
 * Waits until the first list has completed (0), or until it failed (the
 * error is copied to e and returned), or timeout_ms passed (-ETIMEDOUT).
 * Later, it returns the error of the last list while the cache cannot
 * list again (the server gone, the permission revoked), else 0.
 */
int kube_cache_wait_synced(struct kube_cache *c, int64_t timeout_ms, struct kube_error *e);
/* Waits until the cache has applied every change up to resourceVersion rv
 * (0), or timeout_ms passed (-ETIMEDOUT). For servers whose resourceVersions
 * are numbers that grow (ours, the sim's); a client of another server must
 * not compare them. */
int kube_cache_wait_rv(struct kube_cache *c, uint64_t rv, int64_t timeout_ms);
/* Calls fn for each object under the lock; fn must not call into the cache. */
void kube_cache_foreach(struct kube_cache *c, void (*fn)(void *obj, void *ctx), void *ctx);
/* The number of objects now. */
size_t kube_cache_size(struct kube_cache *c);
/* Asks the thread to stop without waiting (stopping several caches at once). */
void kube_cache_signal(struct kube_cache *c);
void kube_cache_stop(struct kube_cache *c);

/* Applies one watch event line to the map (exported for tests): 0, 1 for a
 * 410 that needs a relist, or -EINVAL for a malformed line. */
int kube_cache_apply(struct kube_cache *c, const char *line, size_t len);

#endif

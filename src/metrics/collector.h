#ifndef METRICS_COLLECTOR_H
#define METRICS_COLLECTOR_H
/*
 * The collector: turns the cluster (pods, nodes and events kept current by
 * watches; metrics.k8s.io; kubelet summaries; owners; Prometheus) into one
 * sample row per pod per cycle. It is a library object so that `collect`
 * and `monitor` run the same code: collector_init(), collector_cycle() as
 * often as wanted, collector_release(). The collector borrows the kube
 * config in its opts (it must outlive the collector) and copies the rest.
 * It never logs: what a user should hear about (a missing metrics API,
 * Prometheus down) comes back as notices, each said once until it recovers.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/strmap.h"
#include "base/strvec.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "metrics/prom.h"
#include "metrics/sample.h"

/* A cycle's requests (metrics, a summary and cAdvisor counters per node)
 * run this many at once: connections over HTTP/1.1, streams over HTTP/2. */
#define COLLECTOR_PARALLEL 64

struct fetch_ahead;
struct counters;

/* A Prometheus column: its CSV name and its PromQL (an instant vector with
 * namespace and pod labels). */
struct prom_column {
	char *name;
	char *query;
};

struct collector_opts {
	const struct kube_config *kube;   /* borrowed */
	const char *namespace;            /* NULL or "": all namespaces */
	int64_t interval_ms;              /* the cycle length (first-cycle event window) */
	struct http_opts http;            /* API client settings (zero: defaults) */
	size_t max_pods;                  /* hard cap on pods tracked (0: 200000) */
	int64_t sync_timeout_ms;          /* first list (0: 60 s) */
	/* Prometheus; prom_url NULL disables it. */
	const char *prom_url;
	int64_t prom_timeout_ms;
	const char *prom_rx_dropped_query, *prom_tx_dropped_query; /* NULL: defaults */
	const struct prom_column *custom; /* extra columns, in order */
	size_t ncustom;
};

/* What a cycle saw, for --test, logs and benchmarks. */
struct collector_stats {
	size_t pods, nodes, events;
	size_t summaries_ok, summaries_failed;
	bool metrics_ok, prom_ok;
	int64_t cycle_ms;
	int64_t cluster_ms;   /* newest metrics.k8s.io timestamp of the cycle (the
			       * cluster's clock, which a simulated cluster may run
			       * faster); 0 when unknown. Rows are stamped with it
			       * when it is ahead of the local clock. */
	int64_t stamp_ms;     /* the latest cycle's row timestamp; 0 before any row */
};

struct collector {
	const struct kube_config *kube;
	char *namespace;                  /* NULL: all */
	int64_t interval_ms, sync_timeout_ms;
	size_t max_pods;
	struct http_opts http;
	struct kube_client kc;            /* metrics, summaries, cAdvisor */
	struct kube_client okc;           /* owners (ReplicaSets, Jobs), listed beside the first sync */
	pthread_t owners_thread;
	bool owners_running;
	char owners_err[KUBE_ERRMSG];
	struct kube_cache pods, nodes, events;
	bool started, nodes_ok, events_ok;
	struct prom_client prom;
	bool prom_on;
	struct prom_column *prom_cols;    /* rx drops, tx drops, then custom */
	size_t nprom;
	size_t ncustom;
	struct strmap prev;               /* "ns/pod" -> struct counters */
	struct strmap owners;             /* "ns/kind/name" -> controller "Kind/name" or "" */
	bool owners_listed;
	struct strmap hpas;               /* "ns/kind/name" -> the HPA that scales it */
	int64_t hpas_listed_ms;           /* monotonic; 0: never */
	unsigned long cycles;
	struct strvec notices;            /* new this cycle; the caller logs and may clear */
	unsigned said;                    /* NOTE_* bits already said */
	struct collector_stats stats;
	struct fetch_ahead *ahead;        /* the first cycle's node requests, asked early */
	/* during a cycle: each row's counters (c->prev's), by row index */
	struct counters **row_ctr;
	const struct sample *row_base;
	size_t row_n;
};

int collector_init(struct collector *c, const struct collector_opts *o,
		   char *err, size_t errlen);
/*
 * One cycle: *rows gets an array of *nrows samples (sorted by namespace and
 * pod; free with collector_rows_free). Fails (negative errno, one-line
 * message) only when the pods themselves cannot be read; other sources
 * leave their columns empty and add a notice.
 */
int collector_cycle(struct collector *c, struct sample **rows, size_t *nrows,
		    char *err, size_t errlen);
void collector_rows_free(struct sample *rows, size_t n);
/*
 * How long a loop should wait, at now_ms on the real clock, before its next
 * cycle so that cycle's rows carry a later CSV second (the format's
 * resolution) than the last cycle's: the rest of that second, or 0. A cycle
 * that overran its interval otherwise starts at once, within the second the
 * last one stamped. Never waits for an interval under a second (that asks
 * for shared seconds) or past a stamp more than a second ahead (a cluster
 * clock running faster than ours moves on by itself).
 */
int64_t collector_stamp_wait_ms(const struct collector *c, int64_t interval_ms, int64_t now_ms);
/* Waits until the pod, node and event caches have reached these
 * resourceVersions (0 skips one): a recorder that drives the sim's clock
 * collects only once every change it made has been heard. 0, or -ETIMEDOUT. */
int collector_wait_rvs(struct collector *c, uint64_t pods, uint64_t nodes, uint64_t events,
		       int64_t timeout_ms);
void collector_release(struct collector *c);

/* The custom column names of opts, in CSV order (for the writer's header). */
void collector_custom_names(const struct collector *c, struct strvec *out);

#endif

#ifndef METRICS_COLLECTOR_PRIV_H
#define METRICS_COLLECTOR_PRIV_H
/*
 * Shared between collector.c and collector_src.c only: per-pod state kept
 * across cycles (owned by the collector's prev map) and the sources that
 * fill a cycle's rows.
 */
#include <stdbool.h>
#include <stdint.h>
#include "base/buf.h"
#include "metrics/collector.h"

/* Notices said once until their source recovers. */
enum {
	NOTE_METRICS = 1, NOTE_SUMMARY = 2, NOTE_PROM = 4, NOTE_NODES = 8,
	NOTE_EVENTS = 16, NOTE_CAP = 32, NOTE_OWNERS = 64, NOTE_CADVISOR = 128, NOTE_HPA = 256,
};

/* Counters of one pod from the previous cycle. */
struct counters {
	unsigned long seen;             /* the cycle that last saw the pod */
	int64_t net_ts_ms;              /* when the kubelet read them */
	double rx, tx, rxe, txe;
	double rx_bps, tx_bps, rxe_ps, txe_ps;  /* the last rates, kept while the reading is unchanged */
	bool have_net;
	double warn_total;
	bool warn_seen;
	/* packet drops from the kubelet's cAdvisor endpoint (no Prometheus) */
	int64_t drop_ts_ms;
	double rxd, txd, rxd_ps, txd_ps;
	bool have_drops;
	double thr_p, per_p, thr_s;     /* CFS throttling counters at drop_ts_ms */
	double thr_pct, thr_mcores;     /* the last rates */
};

/* Raw facts of a row that are not columns. */
struct rowextra {
	char *owner_kind, *owner_name;
	int64_t created_ms;
};

/* Appends "ns/name", the key of a pod in the collector's maps (as "%s/%s"
 * would print it, without printf: several keys a pod a cycle). */
void collector_key(struct buf *b, const char *ns, const char *name);
void collector_note(struct collector *c, unsigned bit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void collector_recovered(struct collector *c, unsigned bit, const char *what);
struct counters *collector_counters(struct collector *c, const char *key);
/* The counters of a row of the cycle (found once a cycle, not by key). */
struct counters *collector_row_counters(struct collector *c, const struct sample *s);
char *collector_path(const struct collector *c, const char *prefix, const char *resource,
		     bool namespaced);

void collector_owners(struct collector *c, struct sample *rows, const struct rowextra *x, size_t n);
/* The hpa_name column: rows whose owner an HPA scales (owners set first). */
void collector_hpas(struct collector *c, struct sample *rows, size_t n);
/* The owner lists, as a thread body (arg: the collector). */
void *collector_owners_run(void *arg);
/* The cycle's requests at once: metrics.k8s.io, every node's kubelet
 * summary and (Prometheus off) cAdvisor counters; node_ready must be set.
 * now_ms is the local clock (the cluster's is taken when ahead). */
void collector_fetch(struct collector *c, struct sample *rows, size_t n, int64_t now_ms);
/* Starts the first cycle's node requests (metrics, every Ready node's
 * summary and cAdvisor counters) while the pods list; collector_fetch()
 * uses their answers. Only across all namespaces and with the nodes synced. */
void collector_fetch_ahead(struct collector *c);
/* Waits for those requests and forgets what the first cycle did not use. */
void collector_fetch_ahead_free(struct collector *c);
void collector_prometheus(struct collector *c, struct sample *rows, size_t n);
/* One node's /metrics/cadvisor answer (Prometheus off): its pods'
 * counters, parsed (in any thread) apart from applying them to rows. */
struct cadv_pod {
	char *key;                      /* "ns/pod" */
	double rx, tx, thr_p, per, thr_s;
	int64_t ts_ms;                  /* 0: none in the text */
};
struct cadv_node {
	int rc;                         /* the request's */
	long status;
	char msg[KUBE_ERRMSG];
	struct cadv_pod *v;
	size_t n, cap;
};
void collector_cadvisor_parse(const struct kube_call *k, struct cadv_node *out);
void collector_cadvisor_release(struct cadv_node *n);
/* Drop and throttling rates from the nodes' answers, in order (a 404 or
 * 403 says the endpoint is not there and stops it); idx maps "ns/pod" to
 * rows; now_ms stands for a sample without a timestamp. */
void collector_cadvisor_apply(struct collector *c, struct strmap *idx,
			      const struct cadv_node *const *nodes, size_t n, int64_t now_ms);

#endif

#ifndef METRICS_CADVISOR_H
#define METRICS_CADVISOR_H
/*
 * The kubelet's cAdvisor metrics (GET /api/v1/nodes/NODE/proxy/metrics/cadvisor,
 * Prometheus text format): the per-pod packet drop and CPU throttling
 * counters, which the kubelet summary API does not have, for clusters
 * without Prometheus. The
 * parser owns nothing; it calls back once per pod with the counters summed
 * over the pod's interfaces.
 */
#include <stddef.h>
#include <stdint.h>

struct cadvisor_drops {
	const char *namespace, *pod;    /* valid during the callback only */
	double rx, tx;                  /* packets dropped (counters); NaN when absent */
	double thr_periods, periods;    /* CFS periods throttled, all CFS periods (counters); NaN when absent */
	double thr_seconds;             /* time throttled (counter, seconds); NaN when absent */
	int64_t ts_ms;                  /* the samples' timestamp, 0 when they had none */
};

#define CADVISOR_MAX_LINE 65536
#define CADVISOR_MAX_PODS 100000

/*
 * Parses text (len bytes). Lines of other families, comments and lines it
 * cannot read are skipped (a scrape is best effort, as Prometheus's own);
 * returns the number of pods reported, or -EINVAL when the text is not the
 * text format at all (no line could be read), with "what" in err.
 */
int cadvisor_parse_drops(const char *text, size_t len,
			 void (*fn)(void *ctx, const struct cadvisor_drops *d), void *ctx,
			 char *err, size_t errlen);

#endif

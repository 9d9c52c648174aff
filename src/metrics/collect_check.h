#ifndef METRICS_COLLECT_CHECK_H
#define METRICS_COLLECT_CHECK_H
/*
 * `collect --test`: checks the connection, authentication, the permissions
 * kubemend needs (list and watch pods, nodes and events; the metrics API;
 * the node proxy) and Prometheus when configured. Results go to a callback
 * (strings valid during the call only); nothing is kept.
 */
#include <stdbool.h>
#include "kube/config.h"

struct check_result {
	bool ok;
	bool required;          /* a failure makes --test exit non-zero */
	const char *name, *detail;
	const char *fix;        /* what to do about a failure, or NULL */
};

/* ns NULL: all namespaces; prom_url NULL: no Prometheus check. Returns the
 * number of required checks that failed. */
int collect_check(const struct kube_config *cfg, const char *ns, const char *prom_url,
		  void (*report)(const struct check_result *r, void *ctx), void *ctx);

#endif

#ifndef METRICS_PROM_H
#define METRICS_PROM_H
/*
 * A Prometheus HTTP API client for instant queries (/api/v1/query) whose
 * series carry namespace and pod labels. The client owns its connection; a
 * result owns its values (prom_result_release frees them).
 */
#include <stddef.h>
#include "net/http.h"

struct prom_client {
	struct http_client http;
	char *base;                     /* e.g. http://127.0.0.1:9090, no trailing slash */
};

struct prom_value {
	char *namespace, *pod;          /* from the namespace and pod (or pod_name) labels */
	double value;                   /* finite; NaN/Inf samples are left out */
};

struct prom_result {
	struct prom_value *v;
	size_t n;
	size_t skipped;                 /* series without the labels, or not finite */
};

#define PROM_MAX_BODY (64u << 20)

int prom_client_init(struct prom_client *p, const char *url, int64_t timeout_ms,
		     char *err, size_t errlen);
void prom_client_release(struct prom_client *p);
/* Runs promql; 0 or a negative errno with a one-line message naming the query. */
int prom_query(struct prom_client *p, const char *promql, struct prom_result *out,
	       char *err, size_t errlen);
/* Parses a /api/v1/query response body (vector results). */
int prom_parse(const char *body, size_t len, struct prom_result *out, char *err, size_t errlen);
void prom_result_release(struct prom_result *r);

#endif

#ifndef SIM_AUDIT_H
#define SIM_AUDIT_H
/*
 * The sim's audit log (`kubemend sim --audit-log FILE`): one JSON line per
 * API request in the kube-apiserver's audit.k8s.io/v1 Event format at level
 * Metadata and stage ResponseComplete (verb, objectRef with
 * apiGroup/apiVersion/resource/subresource/namespace/name, userAgent,
 * user, responseStatus.code, requestURI, timestamps), so tests see every
 * request a client made and what it was answered. struct sim_audit owns its
 * file; writes are serialised by its own lock. Internal to src/sim/.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "net/httpd.h"

struct sim_audit {
	FILE *f;                /* NULL: no audit log */
	pthread_mutex_t mu;
	uint64_t seq;
};

/* Opens (appends to) path; 0 or a negative errno. */
int sim_audit_open(struct sim_audit *a, const char *path);
void sim_audit_close(struct sim_audit *a);

/*
 * Records request r and its answer resp, for paths under /api and /apis
 * (discovery included, as the real server does; /healthz, /metrics and
 * /sim/v1 are not API requests). Does nothing without a file.
 */
void sim_audit_request(struct sim_audit *a, const struct httpd_req *r,
		       const struct httpd_resp *resp, const char *user);

#endif

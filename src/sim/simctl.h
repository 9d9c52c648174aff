#ifndef SIM_SIMCTL_H
#define SIM_SIMCTL_H
/*
 * The sim-only control endpoints (/sim/v1/clock, /sim/v1/advance) and the
 * HTTP entry point of the simulated API server. Internal to src/sim/.
 */
#include <stdint.h>
#include "net/httpd.h"

struct simstate;

/* The httpd handler; ctx is the struct simstate. */
void sim_api_handle(void *ctx, const struct httpd_req *r, struct httpd_resp *resp);
void simctl_handle(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp);
/* Creates the cluster of s->sc (nodes, namespaces, Deployments, the DaemonSet) with its pods settled. */
void sim_build_cluster(struct simstate *s);
/* Moves the model to virtual time now and runs faults and controllers (under s->mu). */
void sim_step_locked(struct simstate *s, int64_t now);

#endif

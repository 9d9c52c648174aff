#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H
/*
 * The fault engine: starts the scenario's faults at their virtual times,
 * applies their effects to pods, nodes and templates, and ends them by
 * duration or when a remediation cures them, recording ground truth. Its
 * state (struct faultstate) is owned by struct simstate and reached under
 * simstate.mu. Internal to src/sim/.
 */
#include <stdbool.h>
#include <stdint.h>

struct simstate;
struct pod;
struct deployment;
struct node;

int faults_init(struct simstate *s);
void faults_release(struct simstate *s);
/* The virtual time the next fault starts or times out (INT64_MAX: none). */
int64_t faults_next_due(const struct simstate *s);
/* Starts and ends faults due at virtual time now. */
void faults_tick(struct simstate *s, int64_t now);
/* A new pod of a deployment: deployment-wide faults apply to it too. */
void faults_pod_created(struct simstate *s, struct pod *p);
/* A pod goes away (deleted, evicted); why: "restart_pod", "evict", ... */
void faults_pod_deleted(struct simstate *s, struct pod *p, const char *why);
/* A deployment's template or replica count changed through the API. */
void faults_deployment_changed(struct simstate *s, struct deployment *d, bool scaled);
/* A deployment is being deleted: its faults end ("deployment_deleted") and forget it. */
void faults_deployment_deleted(struct simstate *s, struct deployment *d);
/* A node was cordoned, uncordoned or drained through the API. */
void faults_node_changed(struct simstate *s, struct node *n);

#endif

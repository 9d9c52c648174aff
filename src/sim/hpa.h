#ifndef SIM_HPA_H
#define SIM_HPA_H
/*
 * HorizontalPodAutoscalers (autoscaling/v2): the scenario's are created
 * with the cluster and stored as generic objects (sim/generic.h), so they
 * are listed, read, patched and watched like any other; every 15 virtual
 * seconds the controller scales each HPA's Deployment toward its CPU
 * utilization target, within minReplicas..maxReplicas, and writes the
 * HPA's status. Called under simstate.mu. Internal to src/sim/.
 */
struct simstate;
struct workload;

/* The HPA of a scenario workload (w->hpa.on). */
void hpa_build(struct simstate *s, const struct workload *w);
/* The controller's pass, at most every 15 virtual seconds. */
void hpa_reconcile(struct simstate *s);

#endif

#ifndef DETECT_POD_PRIV_H
#define DETECT_POD_PRIV_H
/*
 * What pod.c (rules, statistics, nodes) and pod_lstm.c (the LSTM component,
 * calibration, batches) share; internal to src/detect/. Nothing is owned.
 */
#include "detect/pod.h"

#define COMP_MIN        0.3             /* components below this score are not listed */

/* Lists a component (the highest score per detector and metric). */
void pod_add_component(struct pod_verdict *v, enum pod_component_kind k, const char *metric,
		       double score);
void pod_verdict_clear(struct pod_verdict *v);
/* a + b with non-finite values missing; NaN when both are. */
double pod_sum2(double a, double b);
/*
 * Rules and statistics for one sample; returns the pod's state when the
 * sample taught it (so the LSTM may score it), NULL otherwise. wl_mem is
 * the memory baseline of the pod's workload before this cycle (NaN when
 * it has none, or too few of its pods report in the cycle).
 */
struct pod_state *pod_observe_core(struct pod_detector *d, const struct sample *s, double wl_mem,
				   struct pod_verdict *out);
/* The median and the median absolute deviation of a ring. */
void pod_ring_stats(const struct pod_ring *r, double *med, double *mad);
void pod_ring_push(struct pod_ring *r, double v);
/* The workload of a row ("ns/kind/owner"), created when new; NULL without an owner. */
struct pod_workload *pod_workload_of(struct pod_detector *d, const struct sample *s);
/*
 * The workloads' memory baselines for the rows of one cycle: wl[i] is the
 * workload of rows[i] (NULL without one), wl_mem[i] its baseline before
 * this cycle (NaN unless at least POD_WL_MIN of its pods report a usable
 * value in the cycle); then each such workload learns the cycle's median.
 */
#define POD_WL_MIN 3
void pod_workload_pass(struct pod_detector *d, const struct sample *rows, size_t n,
		       struct pod_workload **wl, double *wl_mem);

#endif

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
 * sample taught it (so the LSTM may score it), NULL otherwise.
 */
struct pod_state *pod_observe_core(struct pod_detector *d, const struct sample *s,
				   struct pod_verdict *out);

#endif

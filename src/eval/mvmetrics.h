#ifndef EVAL_MVMETRICS_H
#define EVAL_MVMETRICS_H
/*
 * Metrics for scored multivariate test sets with point labels, each taken
 * at its own best threshold (the usual SMD/ASD protocol): point-wise F1,
 * event-wise F1 (point precision with event recall, Garg et al. 2021) and
 * PA%K (Kim et al. 2022: a true segment counts as found when at least K% of
 * its points are flagged) for K = 0..100 and the area under F1(K). All
 * arguments are borrowed.
 */
#include <stddef.h>

struct mv_metrics {
	double point_f1, point_p, point_r;
	double event_f1;
	double pak_f1[101];     /* best F1 with PA%K, K = 0..100 */
	double pak_auc;         /* mean of pak_f1 over K (area on [0,1]) */
	size_t segments;
};

/* score: n values (NaN counts as the lowest); label: n values, nonzero = anomaly. */
void mv_metrics_compute(const double *score, const double *label, size_t n,
			struct mv_metrics *out);

/* Point-wise F1 and event-wise F1 with the rows scoring >= theta flagged. */
void mv_f1_at(const double *score, const double *label, size_t n, double theta,
	      double *point_f1, double *event_f1);

#endif

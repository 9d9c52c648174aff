#ifndef EVAL_NABIO_H
#define EVAL_NABIO_H
/*
 * Writing scored series in NAB's result layout, shared by `score` and
 * `eval nab`. The caller owns every argument.
 */
#include "detect/series.h"

/*
 * Rounds each score to the text written (so a scorer reading the file sees
 * exactly the numbers kubemend scored), in place.
 */
void nabio_round_scores(double *score, size_t n);
/* Writes timestamp,value,anomaly_score atomically; 0 or a negative errno. */
int nabio_write_scores(const char *path, const struct series *s,
		       const double *score);

#endif

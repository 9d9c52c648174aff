#ifndef EVAL_CALIB_H
#define EVAL_CALIB_H
/*
 * Fitting the pod detector's calibration: isotonic regression (pool adjacent
 * violators) of "was it a real fault" on the evidence score, over labelled
 * insights from sim runs, reduced to at most maxk knots for the model file
 * (struct lstm's cal_x/cal_y, applied by pod_detector_calibrate). Plain
 * arrays the caller owns.
 */
#include <stddef.h>

/*
 * score[i] in [0,1], real[i] 0 or 1, n pairs. Writes k <= maxk knots
 * (x strictly increasing, y non-decreasing, both in [0,1]) and returns k:
 * each block of the fit gives the ends of its score range (one knot when
 * they coincide), so the map is flat within a block and interpolated only
 * between blocks;
 * 0 when there is nothing to fit. Each block's share is shrunk towards the
 * share of all pairs by two pseudo-observations, so a handful of pairs
 * never claims certainty (blocks that shrinking puts out of order are
 * pooled).
 */
int calib_fit(const double *score, const int *real, size_t n, double *x, double *y, int maxk);

#endif

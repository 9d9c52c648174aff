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
 * (x strictly increasing, y non-decreasing, both in [0,1]) and returns k;
 * 0 when there is nothing to fit. Each block's share is shrunk towards 1/2
 * by one pseudo-observation of each kind, so a handful of pairs never
 * claims certainty.
 */
int calib_fit(const double *score, const int *real, size_t n, double *x, double *y, int maxk);

#endif

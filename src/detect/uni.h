#ifndef DETECT_UNI_H
#define DETECT_UNI_H
/*
 * The online univariate detector behind `kubemend score` and `eval nab`.
 * One struct unidet per series, owned by the caller (unidet_new/_free). The
 * score of an observation depends only on it and the observations before it;
 * no range or length of the series is known in advance.
 */
#include <stddef.h>
#include <stdint.h>

/* Per-component scores of one observation, each in [0,1]. */
struct uni_parts {
	double point;    /* value far from the recent robust centre */
	double range;    /* the value left the range of everything seen */
	double season;   /* unlike the same time on previous days */
	double stat;     /* statistics combined */
	double model;    /* prediction surprise of the online model */
	double combined; /* the final score */
};

/*
 * The documented alarm level of the combined score (the fixed threshold):
 * what `eval nab --cv`'s threshold rule picks on all of the shared NAB
 * corpora (the rule scores 70.7 there with each corpus held out in turn;
 * docs/detect.md).
 */
#define UNI_ALARM_THRESHOLD 0.42

struct unidet;

/*
 * Flags: UNI_MODEL learns a small LSTM online (unilstm.h) and reports its
 * part; UNI_MODEL_COMBINE also adds it to the combined score. Without them
 * the detector is statistics only (the default of `score`: on the NAB subset
 * the LSTM's part lowers the corpus-optimised score, see docs/model.md).
 */
#define UNI_MODEL 1u
#define UNI_MODEL_COMBINE 2u
struct unidet *unidet_new(unsigned flags);
void unidet_free(struct unidet *d);

/*
 * The detector's free parameters. uni_params_default() gives the ones the
 * product uses; `eval nab --cv` searches alternatives inside each
 * cross-validation fold (docs/detect.md).
 */
struct uni_params {
	double hold_ms;         /* refractory period in series time; 0: none */
	double smooth;          /* smoothing of the log error, samples (>= 1) */
	double range_tol;       /* range-break margin, fraction of the range; < 0: off */
	int season;             /* the same-time-on-previous-days component */
};
void uni_params_default(struct uni_params *p);
/* unidet_new with explicit parameters (p copied; NULL: the defaults). */
struct unidet *unidet_new_with(unsigned flags, const struct uni_params *p);
/*
 * Observes one sample. x may be NaN or infinite (missing: the score is that
 * of the last valid state and nothing is learned). Returns the anomaly score
 * in [0,1] and fills parts when not NULL.
 */
double unidet_observe(struct unidet *d, int64_t ts_ms, double x,
		      struct uni_parts *parts);

/*
 * Scores a whole series in order with a fresh detector (what `score` does):
 * score[i] (and parts[i] when parts is not NULL) for each of the n samples.
 */
void uni_score_series(const int64_t *ts_ms, const double *x, size_t n,
		      double *score, struct uni_parts *parts, unsigned flags);
/* The same with explicit parameters (NULL: the defaults). */
void uni_score_series_with(const int64_t *ts_ms, const double *x, size_t n,
			   double *score, struct uni_parts *parts, unsigned flags,
			   const struct uni_params *p);

#endif

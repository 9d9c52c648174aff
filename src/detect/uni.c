#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/uni.h"
#include "detect/unilstm.h"
#include "base/banned.h"

/*
 * How it works. Two prediction errors are computed for each value: against
 * the robust centre (median) of the last REF values, and against the median
 * of the same time of day on the previous three days (when the sampling
 * interval makes a day a whole number of samples that fits the history).
 * Each error is divided by its own exponentially weighted mean absolute
 * error, log-compressed, smoothed over about SHORT samples, and compared with
 * its own recent history (CAL samples) as a Gaussian upper tail; the surprise
 * is -log10 of that tail. A value outside the range of everything seen so
 * far by more than RANGE_TOL of that range is a strong surprise on its own
 * (NAB's HTM detector treats such "spatial anomalies" the same way). The
 * largest surprise becomes the score through 1 - exp(-L / SPREAD). After an
 * alarm the score is halved for HOLD_MS of series time (1,000 samples at
 * NAB's usual 5 minutes; at least 50 samples) unless a clearly stronger
 * surprise arrives, so one event reports once. Every constant is fixed for
 * all series: nothing is tuned per file and no range is known in advance.
 */
#define HIST 4096       /* values kept (power of two) */
#define REF 512         /* reference window for the robust centre and scale */
#define CAL 2048        /* calibration history per component */
#define NCOMP 3         /* point, season, model */

#define WARM 150        /* samples before any score */
#define ZWARM 50        /* samples a component's error scale needs */
#define CWARM 100       /* samples a component's calibration needs */
#define MAE_HALF 500.0  /* half-life (samples) of the error scale */
#define SHORT 10.0      /* smoothing of the log error (samples) */
#define SPREAD 6.8      /* surprise -> score: L = 4.7 maps to 0.5 */
#define ALARM UNI_ALARM_THRESHOLD /* score that starts a refractory period */
#define HOLD_MS (1000 * 300000.0) /* refractory period: 1,000 five-minute samples */
#define HOLD_MIN 50     /* samples, whatever the interval */
#define SUPP 0.5        /* damping of the score inside it */
#define MARGIN 1.2      /* a surprise this much stronger breaks through */
#define RANGE_L 20.0    /* surprise of a range break */
#define RANGE_TOL 0.05  /* range break margin, as a fraction of the range */

/* One event reports once: after an alarm the stream's score is damped for
 * `hold` samples unless a clearly stronger surprise arrives. */
struct refractory {
	size_t since;
	double alarm;
};

static double refractory_apply(struct refractory *r, double s, size_t hold)
{
	double out = s;
	r->since++;
	if (r->since < hold && !(s > r->alarm * MARGIN)) {
		out = s * SUPP;
	} else if (s >= ALARM) {
		r->since = 0;
		r->alarm = s;
	}
	return out;
}

struct cal {
	double ring[CAL];
	size_t n, pos;
	double sum, sum2;
};

struct unidet {
	double hist[HIST];
	int64_t tsh[HIST];      /* each value's timestamp, never decreasing */
	size_t n;               /* finite values seen */
	double sorted[REF];     /* the last min(n, REF) values, sorted */
	size_t nsorted;
	int64_t last_ts, dt_ms;
	struct cal cal[NCOMP];
	double mae[NCOMP];      /* EW mean absolute error of each component */
	double gs[NCOMP];       /* smoothed log error */
	size_t cnt[NCOMP];      /* errors each component has seen */
	double vmin, vmax;      /* range of every value seen */
	struct refractory rf[3];        /* combined, statistics, model */
	struct unilstm *lstm;
	int combine_model;
	struct uni_params p;
	double last_score;
	struct uni_parts last;
};

void uni_params_default(struct uni_params *p)
{
	p->hold_ms = HOLD_MS;
	p->smooth = SHORT;
	p->range_tol = RANGE_TOL;
	p->season = 1;
}

struct unidet *unidet_new(unsigned flags)
{
	return unidet_new_with(flags, NULL);
}

struct unidet *unidet_new_with(unsigned flags, const struct uni_params *p)
{
	struct unidet *d = xcalloc(1, sizeof(*d));
	if (p)
		d->p = *p;
	else
		uni_params_default(&d->p);
	if (!(d->p.smooth >= 1))
		d->p.smooth = 1;
	for (int i = 0; i < 3; i++)
		d->rf[i].since = (size_t)-1 / 2;
	if (flags & (UNI_MODEL | UNI_MODEL_COMBINE))
		d->lstm = unilstm_new(1);
	d->combine_model = (flags & UNI_MODEL_COMBINE) != 0;
	return d;
}

void unidet_free(struct unidet *d)
{
	if (d)
		unilstm_free(d->lstm);
	free(d);
}

static void sorted_remove(struct unidet *d, double v)
{
	size_t lo = 0, hi = d->nsorted;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->sorted[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->nsorted) {
		memmove(&d->sorted[lo], &d->sorted[lo + 1],
			(d->nsorted - lo - 1) * sizeof(double));
		d->nsorted--;
	}
}

static void sorted_insert(struct unidet *d, double v)
{
	size_t lo = 0, hi = d->nsorted;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->sorted[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&d->sorted[lo + 1], &d->sorted[lo], (d->nsorted - lo) * sizeof(double));
	d->sorted[lo] = v;
	d->nsorted++;
}

static double quant(const struct unidet *d, double q)
{
	double pos = q * (double)(d->nsorted - 1);
	size_t i = (size_t)pos;
	double f = pos - (double)i;
	if (i + 1 >= d->nsorted)
		return d->sorted[d->nsorted - 1];
	return d->sorted[i] * (1 - f) + d->sorted[i + 1] * f;
}

static double hist_at(const struct unidet *d, size_t back)
{
	return d->hist[(d->n - 1 - back) & (HIST - 1)];
}

/* A robust scale that stays positive for flat and two-valued series. */
static double robust_scale(const struct unidet *d, double centre)
{
	double s = (quant(d, 0.75) - quant(d, 0.25)) / 1.349;
	if (s <= 0)
		s = (quant(d, 0.95) - quant(d, 0.05)) / 3.29;
	if (s <= 0)
		s = (d->sorted[d->nsorted - 1] - d->sorted[0]) / 6.0;
	return fmax(s, 1e-3 * fabs(centre) + 1e-9);
}

/* Tail probability of g against the component's own history. */
/* -log10 of the upper Gaussian tail at z (0 for z <= 0), finite for any z. */
static double tail_log10(double z)
{
	if (z <= 0)
		return 0;
	if (z < 30)
		return -log10(0.5 * erfc(z / M_SQRT2));
	return (z * z / 2 + log(z * sqrt(2 * M_PI))) / M_LN10;
}

/* Surprise of g against the component's own history, in -log10 tail units. */
static double calibrate(struct cal *c, double g)
{
	double L = 0;
	if (c->n >= CWARM) {
		double mu = c->sum / (double)c->n;
		double var = c->sum2 / (double)c->n - mu * mu;
		double sd = sqrt(var > 1e-12 ? var : 1e-12);
		L = tail_log10((g - mu) / sd);
	}
	if (c->n == CAL) {
		double old = c->ring[c->pos];
		c->sum -= old;
		c->sum2 -= old * old;
	} else {
		c->n++;
	}
	c->ring[c->pos] = g;
	c->pos = (c->pos + 1) % CAL;
	c->sum += g;
	c->sum2 += g * g;
	return L;
}

/* Maps a surprise in -log10 units onto [0,1). */
static double spread(double L)
{
	return 1.0 - exp(-L / SPREAD);
}

/* Samples back from the newest whose timestamp is closest to t (the
 * timestamps in tsh never decrease). */
static size_t back_nearest(const struct unidet *d, int64_t t)
{
	size_t m = d->n < HIST ? d->n : HIST, lo = 0, hi = m - 1;
	/* logical index j = 0 (oldest) .. m - 1 (newest) */
#define TS_AT(j) d->tsh[(d->n - m + (j)) & (HIST - 1)]
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (TS_AT(mid) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && t - TS_AT(lo - 1) < TS_AT(lo) - t)
		lo--;
#undef TS_AT
	return m - 1 - lo;
}

/*
 * Median of the same time of day on the previous three days (the sample
 * nearest each day's instant and its two neighbours, 3 x 3 values), or NaN
 * when that history is not there. The instants are found by timestamp, so
 * gaps and irregular sampling do not shift them; a day must span at least
 * two sampling intervals, and an instant counts only when a sample lies
 * within one interval of it.
 */
static double seasonal_pred(const struct unidet *d)
{
	size_t m = d->n < HIST ? d->n : HIST, nv = 0;
	int64_t now = d->tsh[(d->n - 1) & (HIST - 1)], tol = d->dt_ms;
	double v[9];

	if (d->dt_ms <= 0 || 86400000 / d->dt_ms < 2 ||
	    d->tsh[(d->n - m) & (HIST - 1)] > now - 3 * (int64_t)86400000 + tol)
		return NAN;
	for (int64_t k = 1; k <= 3; k++) {
		int64_t t = now - k * 86400000;
		size_t b = back_nearest(d, t);
		int64_t got = d->tsh[(d->n - 1 - b) & (HIST - 1)];
		if (got - t > tol || t - got > tol || b + 2 >= m || b < 1)
			return NAN;
		for (size_t o = 0; o < 3; o++)
			v[nv++] = hist_at(d, b + o - 1);
	}
	for (size_t i = 1; i < nv; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[4];
}

double unidet_observe(struct unidet *d, int64_t ts_ms, double x,
		      struct uni_parts *parts)
{
	double centre, scale, e[NCOMP], L[NCOMP] = { 0 }, stat = 0, score;
	double a = pow(0.5, 1.0 / MAE_HALF), range = 0;
	size_t hold;

	if (!isfinite(x)) {
		if (parts)
			*parts = d->last;
		return d->last_score;
	}
	/* Sampling interval from in-order timestamps only. */
	if (d->n && ts_ms > d->last_ts) {
		int64_t dt = ts_ms - d->last_ts;
		d->dt_ms = d->dt_ms ? (d->dt_ms * 7 + dt) / 8 : dt;
	}
	if (!d->n || ts_ms > d->last_ts)
		d->last_ts = ts_ms;
	if (d->n >= REF)
		sorted_remove(d, hist_at(d, REF - 1));
	d->hist[d->n & (HIST - 1)] = x;
	d->tsh[d->n & (HIST - 1)] = d->last_ts;
	d->n++;
	sorted_insert(d, x);

	centre = quant(d, 0.5);
	scale = robust_scale(d, centre);
	e[0] = x - centre;
	e[1] = d->p.season ? x - seasonal_pred(d) : NAN;
	e[2] = d->lstm && d->n > 30 ? unilstm_step(d->lstm, (x - centre) / scale) * scale : NAN;
	for (int c = 0; c < NCOMP; c++) {
		double z, floor = 1e-3 * scale + 1e-9;
		if (isnan(e[c]))
			continue;
		z = fabs(e[c]) / fmax(d->mae[c], floor);
		d->mae[c] = !d->cnt[c] ? fabs(e[c]) : a * d->mae[c] + (1 - a) * fabs(e[c]);
		if (d->cnt[c]++ < ZWARM)
			continue;
		d->gs[c] += (log1p(z) - d->gs[c]) / d->p.smooth;
		L[c] = calibrate(&d->cal[c], d->gs[c]);
		if (d->n < WARM)
			L[c] = 0;
		if (c < 2 && spread(L[c]) > stat)
			stat = spread(L[c]);
	}
	if (d->n > WARM) {
		double tol = d->p.range_tol * (d->vmax - d->vmin);
		if (d->p.range_tol >= 0 && tol > 0 && (x > d->vmax + tol || x < d->vmin - tol)) {
			range = spread(RANGE_L);
			stat = fmax(stat, range);
		}
	}
	if (d->n == 1 || x < d->vmin)
		d->vmin = x;
	if (d->n == 1 || x > d->vmax)
		d->vmax = x;

	{
		/* the refractory period in samples at the current interval */
		double hs = d->dt_ms > 0 ? d->p.hold_ms / (double)d->dt_ms
				       : d->p.hold_ms / 300000.0;
		hold = d->p.hold_ms <= 0 ? 0 : hs < HOLD_MIN ? HOLD_MIN
		       : hs > 1e6 ? 1000000 : (size_t)(hs + 0.5);
	}
	score = refractory_apply(&d->rf[0], d->combine_model ? fmax(stat, spread(L[2])) : stat, hold);
	d->last.point = spread(L[0]);
	d->last.season = spread(L[1]);
	d->last.range = range;
	d->last.stat = refractory_apply(&d->rf[1], stat, hold);
	d->last.model = refractory_apply(&d->rf[2], spread(L[2]), hold);
	d->last.combined = score;
	d->last_score = score;
	if (parts)
		*parts = d->last;
	return score;
}

void uni_score_series(const int64_t *ts_ms, const double *x, size_t n,
		      double *score, struct uni_parts *parts, unsigned flags)
{
	uni_score_series_with(ts_ms, x, n, score, parts, flags, NULL);
}

void uni_score_series_with(const int64_t *ts_ms, const double *x, size_t n,
			   double *score, struct uni_parts *parts, unsigned flags,
			   const struct uni_params *p)
{
	struct unidet *d = unidet_new_with(flags, p);

	for (size_t i = 0; i < n; i++)
		score[i] = unidet_observe(d, ts_ms[i], x[i], parts ? &parts[i] : NULL);
	unidet_free(d);
}

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/uni.h"
#include "base/banned.h"

#define HIST 4096       /* values kept (power of two) */
#define REF 512         /* reference window for the robust centre and scale */
#define CAL 2048        /* calibration history per component */
#define NCOMP 4

struct cal {
	double ring[CAL];
	size_t n, pos;
	double sum, sum2;
};

struct unidet {
	double hist[HIST];
	size_t n;               /* finite values seen */
	double sorted[REF];     /* the last min(n, REF) values, sorted */
	size_t nsorted;
	int64_t last_ts, dt_ms;
	struct cal cal[NCOMP];
	double peak[NCOMP];     /* decaying maximum of each component's surprise */
	double mae[NCOMP];      /* EW mean of the component's absolute error */
	double prev;
	double gs[NCOMP];
	size_t cnt[NCOMP];      /* observations each component has had */
	double last_score;
	size_t since_alarm;
	double recent;
	double vmin, vmax;      /* range of every value seen */          /* decaying memory of the last alarm's strength */
	struct uni_parts last;
};

/* Tunables, fixed for every series: nothing here is set per file. */
static double P_LEVEL_N = 6, P_WARM = 150, P_ALARM = 0.3, P_HOLD = 600,
	P_SUPP = 0.5, P_SHORT = 10, P_SPREAD = 10, P_HALF = 2000, P_FLOOR = 3,
	P_MSTART = 30, P_GAIN = 1, P_MAEHALF = 500, P_MODE = 0, P_PARTS = 15, P_ZWARM = 50, P_CWARM = 100, P_MARGIN = 1.0, P_RANGEL = 20, P_RTOL = 0.05;

static void tunables(void)
{
	static int done;
	const char *e;
	if (done)
		return;
	done = 1;
#define T(name) if ((e = getenv("KM_" #name))) P_##name = strtod(e, NULL)
	T(LEVEL_N); T(WARM); T(ALARM); T(HOLD); T(SUPP); T(SHORT); T(SPREAD); T(HALF); T(FLOOR); T(MSTART); T(GAIN); T(MAEHALF); T(MODE); T(PARTS); T(ZWARM); T(CWARM); T(MARGIN); T(RANGEL); T(RTOL);
#undef T
}

struct unidet *unidet_new(void)
{
	struct unidet *d = xcalloc(1, sizeof(*d));
	tunables();
	d->since_alarm = (size_t)-1 / 2;
	return d;
}

void unidet_free(struct unidet *d)
{
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
	if (c->n >= P_CWARM) {
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
	return 1.0 - exp(-L / P_SPREAD);
}

double unidet_observe(struct unidet *d, int64_t ts_ms, double x,
		      struct uni_parts *parts)
{
	double centre, scale, z[NCOMP], p[NCOMP], stat = 0, score;
	size_t lag = 0;

	if (!isfinite(x)) {
		if (parts)
			*parts = d->last;
		return d->last_score;
	}
	if (d->n && ts_ms > d->last_ts) {
		int64_t dt = ts_ms - d->last_ts;
		d->dt_ms = d->dt_ms ? (d->dt_ms * 7 + dt) / 8 : dt;
	}
	if (!d->n || ts_ms > d->last_ts)
		d->last_ts = ts_ms;
	/* learn the value */
	if (d->n >= REF)
		sorted_remove(d, hist_at(d, REF - 1));
	d->hist[d->n & (HIST - 1)] = x;
	d->n++;
	sorted_insert(d, x);

	centre = quant(d, 0.5);
	scale = robust_scale(d, centre);
	{
		double e[NCOMP], a = pow(0.5, 1.0 / P_MAEHALF);
		size_t m = (size_t)P_LEVEL_N, k;
		double sum = 0;
		e[0] = x - centre;
		if (m > d->n)
			m = d->n;
		for (k = 0; k < m; k++)
			sum += hist_at(d, k);
		e[1] = sum / (double)m - centre;
		e[2] = NAN;
		if (d->dt_ms > 0)
			lag = (size_t)(86400000 / d->dt_ms);
		if (lag >= 2 && lag * 3 + 2 < HIST && d->n > lag * 3 + 2) {
			double v[9];
			size_t nv = 0;
			for (k = 1; k <= 3; k++)
				for (size_t o = 0; o < 3; o++)
					v[nv++] = hist_at(d, k * lag + o - 1);
			for (size_t i = 1; i < nv; i++)
				for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
					double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
				}
			e[2] = x - v[4];
		}
		e[3] = d->n > 1 ? x - d->prev : 0;
		d->prev = x;
		for (int c = 0; c < NCOMP; c++) {
			double floor = 1e-3 * scale + 1e-9;
			if (isnan(e[c])) {
				z[c] = NAN;
				continue;
			}
			z[c] = fabs(e[c]) / fmax(d->mae[c], floor);
			d->mae[c] = !d->cnt[c] ? fabs(e[c]) : a * d->mae[c] + (1 - a) * fabs(e[c]);
			if (d->cnt[c]++ < P_ZWARM)
				z[c] = NAN;
		}
	}
	for (int c = 0; c < NCOMP; c++) {
		double g = log1p(z[c]);
		if (isnan(z[c])) {
			p[c] = 0;
			continue;
		}
		if (P_MODE == 1) {
			double m = fmax(d->peak[c], P_FLOOR), q = z[c] / m;
			p[c] = q <= 1 ? 0.5 * q : 1.0 - 0.5 / (1.0 + P_GAIN * (q - 1.0));
			d->peak[c] = fmax(d->peak[c] * pow(0.5, 1.0 / P_HALF), z[c]);
		} else {
			d->gs[c] = d->gs[c] * (1 - 1 / P_SHORT) + g / P_SHORT;
			p[c] = calibrate(&d->cal[c], d->gs[c]);
			p[c] = spread(p[c]);
		}
		if (d->n < P_WARM)
			p[c] = 0;
		if (!((unsigned)P_PARTS & (1u << c)))
			continue;
		if (p[c] > stat)
			stat = p[c];
	}
	/* An event reports once: while a recent stronger alarm is remembered,
	 * weaker or equal scores are damped. */
	/* A value beyond everything seen so far (by a margin of the range) is
	 * an alarm on its own, as NAB's HTM detector treats a spatial anomaly. */
	if (d->n > P_WARM && P_RANGEL > 0) {
		double tol = P_RTOL * (d->vmax - d->vmin);
		if (tol > 0 && (x > d->vmax + tol || x < d->vmin - tol))
			stat = fmax(stat, spread(P_RANGEL));
	}
	if (d->n == 1 || x < d->vmin)
		d->vmin = x;
	if (d->n == 1 || x > d->vmax)
		d->vmax = x;
	score = stat;
	d->since_alarm++;
	if (d->since_alarm < P_HOLD)
		score *= P_SUPP;
	else if (score >= P_ALARM)
		d->since_alarm = 0;
	d->last.point = p[0];
	d->last.level = p[1];
	d->last.season = p[2];
	d->last.model = p[3];
	d->last.stat = stat;
	d->last.combined = score;
	d->last_score = score;
	if (parts)
		*parts = d->last;
	return score;
}

void uni_score_series(const int64_t *ts_ms, const double *x, size_t n,
		      double *score, struct uni_parts *parts)
{
	struct unidet *d = unidet_new();

	for (size_t i = 0; i < n; i++)
		score[i] = unidet_observe(d, ts_ms[i], x[i], parts ? &parts[i] : NULL);
	unidet_free(d);
}

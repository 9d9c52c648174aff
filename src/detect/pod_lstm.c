#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/pod.h"
#include "detect/pod_priv.h"
#include "detect/features.h"
#include "detect/lstm_io.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

/*
 * The pod detector's LSTM component, its calibration and its batches: the
 * part of pod.c that needs the model (pod.h describes the whole).
 */

#define SUR_WARM        10              /* surprises before a baseline speaks */
#define SUR_ALPHA       0.03f           /* weight of a new surprise in the baselines */
#define LSTM_ALONE      0.6             /* the LSTM's score counts this much without other evidence */

_Static_assert(POD_NF == FEAT_MODEL_COUNT, "the state's window holds the model features");
_Static_assert(sizeof(struct pod_state) <= POD_STATE_MAX, "per-pod state must stay within 4 KiB");

int pod_detector_set_model(struct pod_detector *d, const struct lstm *m, bool use_lstm,
			   char *err, size_t errlen)
{
	if (m) {
		if (m->sh.nout != POD_NF || lstm_check_features(m, feat_names, POD_NF, err, errlen) < 0) {
			snprintf(err, errlen, "the model's features are not the detector's inputs (%s, ...)",
				 feat_names[0]);
			return -EINVAL;
		}
		if (m->sh.window > POD_WMAX) {
			snprintf(err, errlen, "the model's window (%d) is longer than the detector keeps (%d)",
				 m->sh.window, POD_WMAX);
			return -EINVAL;
		}
	}
	if (d->model)
		lstm_fast_release(&d->fast);
	d->model = m;
	d->lstm_on = m && use_lstm;
	if (m)
		lstm_fast_init(&d->fast, m);
	return 0;
}

double pod_detector_calibrate(const struct pod_detector *d, double s)
{
	const struct lstm *m = d->model;
	const double *x, *y;

	if (!(s > 0))
		return 0;
	if (s > 1)
		s = 1;
	if (!m || m->ncal <= 0)
		return s;
	x = m->cal_x;
	y = m->cal_y;
	if (s <= x[0])
		return x[0] > 0 ? y[0] * s / x[0] : y[0];
	for (int i = 1; i < m->ncal; i++)
		if (s <= x[i])
			return y[i - 1] + (s - x[i - 1]) / (x[i] - x[i - 1]) * (y[i] - y[i - 1]);
	return y[m->ncal - 1];
}

static enum pod_anomaly lstm_type(int feat)
{
	switch (feat) {
	case FEAT_CPU_MCORES:
	case FEAT_CPU_PCT:
		return AT_CPU_SATURATION;
	case FEAT_MEM_BYTES:
	case FEAT_MEM_PCT:
		return AT_MEMORY_LEAK;
	default:
		return AT_NETWORK;
	}
}

/*
 * The LSTM's surprise at x (model scale) given its prediction pred
 * (normalised), against the usual surprise of the pod's workload (or of
 * the pod while the workload has none yet): a component, and the verdict's
 * score raised when it agrees with other evidence or set when it is alone.
 */
static void lstm_score(struct pod_detector *d, struct pod_state *st, struct pod_workload *w,
		       const double *x, const float *pred, struct pod_verdict *v)
{
	const struct lstm *m = d->model;
	double e2 = 0, emax = -1, sur, ref = NAN, score = 0;
	int present = 0, top = -1;

	for (int j = 0; j < POD_NF; j++) {
		double e;
		if (!isfinite(x[j]))
			continue;
		e = ((double)pred[j] - (x[j] - m->centre[j]) / m->scale[j]) / m->err_scale[j];
		e2 += e * e;
		present++;
		if (e * e > emax) {
			emax = e * e;
			top = j;
		}
	}
	if (!present)
		return;
	sur = fmin(e2 / present, 1e6);
	if (w && w->nsur >= SUR_WARM)
		ref = w->surprise;
	else if (st->nsur >= SUR_WARM)
		ref = st->surprise;
	if (isfinite(ref)) {
		double ratio = sur / fmax(ref, 1e-3);
		score = 1 - exp(-fmax(0, ratio - 4) / 6);
	}
	if (score >= COMP_MIN) {
		pod_add_component(v, PC_LSTM, feat_names[top], score);
		if (v->score >= COMP_MIN) {
			v->score += (1 - v->score) * 0.5 * score;
		} else if (top <= FEAT_MEM_PCT && LSTM_ALONE * score > v->score) {
			/* alone it speaks for CPU and memory; a surprise in traffic
			 * alone is load, not a fault of the pod */
			v->score = LSTM_ALONE * score;
			v->type = lstm_type(top);
			str_copy(v->reason, "ForecastSurprise", sizeof(v->reason));
		}
	}
	/* The baselines learn from samples that look normal. */
	if (v->score < COMP_MIN) {
		st->surprise = st->nsur ? (1 - SUR_ALPHA) * st->surprise + SUR_ALPHA * (float)sur : (float)sur;
		if (st->nsur < UINT16_MAX)
			st->nsur++;
		if (w) {
			w->surprise = w->nsur ? (1 - SUR_ALPHA) * w->surprise + SUR_ALPHA * (float)sur
					      : (float)sur;
			w->nsur++;
		}
	}
}

static void window_push(const struct lstm *m, struct pod_state *st, const double *x)
{
	for (int j = 0; j < POD_NF; j++)
		st->win[st->wpos][j] = isfinite(x[j]) ? (float)((x[j] - m->centre[j]) / m->scale[j]) : 0.0f;
	st->wpos = (uint16_t)((st->wpos + 1) % POD_WMAX);
	if (st->wlen < POD_WMAX)
		st->wlen++;
}

static void window_copy(const struct pod_state *st, int T, float *out)
{
	for (int t = 0; t < T; t++) {
		int slot = (st->wpos + POD_WMAX - T + t) % POD_WMAX;
		memcpy(out + (size_t)t * POD_NF, st->win[slot], sizeof(st->win[slot]));
	}
}

/* The model's inputs of a sample, as features_from_sample() gives them. */
static void model_inputs(const struct sample *s, double *x)
{
	double raw[POD_NF] = {
		[FEAT_CPU_MCORES] = s->cpu_mcores, [FEAT_CPU_PCT] = s->cpu_pct,
		[FEAT_MEM_BYTES] = s->mem_bytes, [FEAT_MEM_PCT] = s->mem_pct,
		[FEAT_NET_RX_BPS] = s->net_rx_bps, [FEAT_NET_TX_BPS] = s->net_tx_bps,
		[FEAT_NET_ERRORS_PS] = pod_sum2(s->net_rx_errors_ps, s->net_tx_errors_ps),
		[FEAT_NET_DROPPED_PS] = pod_sum2(s->net_rx_dropped_ps, s->net_tx_dropped_ps),
	};

	for (int j = 0; j < POD_NF; j++)
		x[j] = feat_model_value(j, isfinite(raw[j]) ? raw[j] : NAN);
}

static void finish(const struct pod_detector *d, struct pod_state *st, struct pod_verdict *v)
{
	if (v->score > 1)
		v->score = 1;
	v->probability = pod_detector_calibrate(d, v->score);
	if (st) {
		st->last_prob = (float)v->probability;
		st->last_type = (uint8_t)v->type;
	}
}

void pod_detector_observe_batch(struct pod_detector *d, const struct sample *rows, size_t n,
				struct pod_verdict *out)
{
	struct pod_state **st = xcalloc(n ? n : 1, sizeof(*st));
	struct pod_workload **wl = xmalloc((n ? n : 1) * sizeof(*wl));
	double *wl_mem = xmalloc((n ? n : 1) * sizeof(*wl_mem));
	int T = d->lstm_on ? d->model->sh.window : 0;
	float *xb = NULL, *pred = NULL;
	size_t nb = 0, k = 0;

	pod_workload_pass(d, rows, n, wl, wl_mem);
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &rows[i];
		if (!s->namespace || !s->pod || !*s->pod) {
			pod_verdict_clear(&out[i]);
			out[i].skip = true;
			continue;
		}
		st[i] = pod_observe_core(d, s, wl_mem[i], &out[i]);
		if (st[i] && T && st[i]->wlen >= T)
			nb++;
	}
	if (nb) {
		xb = xmalloc(nb * (size_t)T * POD_NF * sizeof(float));
		pred = xmalloc(nb * POD_NF * sizeof(float));
		for (size_t i = 0; i < n; i++)
			if (st[i] && st[i]->wlen >= T)
				window_copy(st[i], T, xb + k++ * (size_t)T * POD_NF);
		lstm_fast_run(&d->fast, xb, nb, T, pred);
		k = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (st[i] && T) {
			double x[POD_NF];
			model_inputs(&rows[i], x);
			if (st[i]->gap_ms > d->stale_ms)
				st[i]->wlen = 0;
			else if (st[i]->wlen >= T)
				lstm_score(d, st[i], wl[i], x, pred + k++ * POD_NF, &out[i]);
			window_push(d->model, st[i], x);
		}
		if (!out[i].skip || st[i])
			finish(d, st[i], &out[i]);
	}
	free(xb);
	free(pred);
	free(st);
	free(wl);
	free(wl_mem);
}

int pod_detector_observe(struct pod_detector *d, const struct sample *s, struct pod_verdict *out)
{
	if (!s->namespace || !s->pod || !*s->pod)
		return -EINVAL;
	pod_detector_observe_batch(d, s, 1, out);
	return 0;
}


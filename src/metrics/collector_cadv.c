#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/cadvisor.h"
#include "metrics/collector_priv.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/strmap.h"
#include "base/banned.h"

/*
 * Packet drops without Prometheus: the kubelet serves cAdvisor's counters
 * at /metrics/cadvisor (reached through the API server's node proxy, the
 * same permission as the summary API). Rates come from counter differences
 * over the samples' own timestamps (the cluster's clock), resets handled.
 */

#define MAX_CADVISOR_BYTES (64u << 20)

struct cadv_ctx {
	struct collector *c;
	struct strmap *idx;             /* "ns/pod" -> row */
	int64_t now_ms;
};

static double drop_rate(double cur, double prev, double dt)
{
	if (isnan(cur) || isnan(prev) || dt <= 0)
		return NAN;
	return (cur >= prev ? cur - prev : cur) / dt;
}

static void on_pod(void *vctx, const struct cadvisor_drops *d)
{
	struct cadv_ctx *x = vctx;
	struct buf key = BUF_INIT;
	struct sample *s;
	struct counters *k;
	int64_t ts;

	buf_addf(&key, "%s/%s", d->namespace, d->pod);
	s = strmap_get(x->idx, key.data);
	if (!s) {
		buf_release(&key);
		return;
	}
	k = collector_counters(x->c, key.data);
	buf_release(&key);
	ts = d->ts_ms ? d->ts_ms : x->now_ms;
	if (k->have_drops && ts > k->drop_ts_ms) {
		double dt = (double)(ts - k->drop_ts_ms) / 1000.0;
		double dthr = drop_rate(d->thr_periods, k->thr_p, 1), dper = drop_rate(d->periods, k->per_p, 1);

		k->rxd_ps = drop_rate(d->rx, k->rxd, dt);
		k->txd_ps = drop_rate(d->tx, k->txd, dt);
		/* throttled share of the CFS periods that passed; a reset (restart) restarts it */
		k->thr_pct = dper > 0 && !isnan(dthr) ? 100.0 * fmin(dthr / dper, 1.0) : NAN;
		k->thr_mcores = 1000.0 * drop_rate(d->thr_seconds, k->thr_s, dt);
	} else if (k->have_drops && ts < k->drop_ts_ms) {
		k->rxd_ps = k->txd_ps = k->thr_pct = k->thr_mcores = NAN;
	} else if (!k->have_drops) {
		k->thr_pct = k->thr_mcores = NAN;
	}
	k->drop_ts_ms = ts;
	k->rxd = d->rx;
	k->txd = d->tx;
	k->thr_p = d->thr_periods;
	k->per_p = d->periods;
	k->thr_s = d->thr_seconds;
	k->have_drops = true;
	s->net_rx_dropped_ps = k->rxd_ps;
	s->net_tx_dropped_ps = k->txd_ps;
	s->cpu_throttled_pct = k->thr_pct;
	s->cpu_throttled_mcores = k->thr_mcores;
}

void collector_cadvisor_apply(struct collector *c, struct strmap *idx,
			     struct kube_call *calls, size_t n, int64_t now_ms)
{
	struct cadv_ctx x = { c, idx, now_ms };

	for (size_t i = 0; i < n; i++) {
		char err[256];
		int rc;

		if (calls[i].rc < 0) {
			/* 404/403: the endpoint is not there for us (said once, not
			 * asked again); a node that is down (503) is only that node. */
			if (calls[i].e.status == 404 || calls[i].e.status == 403) {
				collector_note(c, NOTE_CADVISOR, "drop columns stay empty without "
					       "Prometheus: %s", calls[i].e.msg);
				break;
			}
			continue;       /* those pods' drop columns stay empty this cycle */
		}
		if (calls[i].body.len > MAX_CADVISOR_BYTES)
			continue;
		rc = cadvisor_parse_drops(calls[i].body.data ? calls[i].body.data : "",
					  calls[i].body.len, on_pod, &x, err, sizeof(err));
		(void)rc;               /* unreadable text: the same, for this node */
	}
}

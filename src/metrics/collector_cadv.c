#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/cadvisor.h"
#include "metrics/collector_priv.h"
#include "base/buf.h"
#include "base/mem.h"
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

static double drop_rate(double cur, double prev, double dt)
{
	if (isnan(cur) || isnan(prev) || dt <= 0)
		return NAN;
	return (cur >= prev ? cur - prev : cur) / dt;
}

static void keep_pod(void *vctx, const struct cadvisor_drops *d)
{
	struct cadv_node *n = vctx;
	struct cadv_pod *p;
	struct buf key = BUF_INIT;

	if (n->n == n->cap)
		ARRAY_GROW(n->v, n->cap, n->n + 1);
	p = &n->v[n->n++];
	collector_key(&key, d->namespace, d->pod);
	p->key = buf_detach(&key, NULL);
	p->rx = d->rx;
	p->tx = d->tx;
	p->thr_p = d->thr_periods;
	p->per = d->periods;
	p->thr_s = d->thr_seconds;
	p->ts_ms = d->ts_ms;
}

void collector_cadvisor_parse(const struct kube_call *k, struct cadv_node *out)
{
	char err[256];

	memset(out, 0, sizeof(*out));
	out->rc = k->rc;
	out->status = k->e.status;
	str_copy(out->msg, k->e.msg, sizeof(out->msg));
	if (k->rc < 0 || k->body.len > MAX_CADVISOR_BYTES)
		return;
	/* unreadable text: no counters for this node's pods this cycle */
	(void)cadvisor_parse_drops(k->body.data ? k->body.data : "", k->body.len, keep_pod, out,
				   err, sizeof(err));
}

void collector_cadvisor_release(struct cadv_node *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i].key);
	free(n->v);
	memset(n, 0, sizeof(*n));
}

static void apply_pod(struct collector *c, struct strmap *idx, const struct cadv_pod *d,
		      int64_t now_ms)
{
	struct sample *s = strmap_get(idx, d->key);
	struct counters *k;
	int64_t ts;

	if (!s)
		return;
	k = collector_row_counters(c, s);
	ts = d->ts_ms ? d->ts_ms : now_ms;
	if (k->have_drops && ts > k->drop_ts_ms) {
		double dt = (double)(ts - k->drop_ts_ms) / 1000.0;
		double dthr = drop_rate(d->thr_p, k->thr_p, 1), dper = drop_rate(d->per, k->per_p, 1);

		k->rxd_ps = drop_rate(d->rx, k->rxd, dt);
		k->txd_ps = drop_rate(d->tx, k->txd, dt);
		/* throttled share of the CFS periods that passed; a reset (restart) restarts it */
		k->thr_pct = dper > 0 && !isnan(dthr) ? 100.0 * fmin(dthr / dper, 1.0) : NAN;
		k->thr_mcores = 1000.0 * drop_rate(d->thr_s, k->thr_s, dt);
	} else if (k->have_drops && ts < k->drop_ts_ms) {
		k->rxd_ps = k->txd_ps = k->thr_pct = k->thr_mcores = NAN;
	} else if (!k->have_drops) {
		k->thr_pct = k->thr_mcores = NAN;
	}
	k->drop_ts_ms = ts;
	k->rxd = d->rx;
	k->txd = d->tx;
	k->thr_p = d->thr_p;
	k->per_p = d->per;
	k->thr_s = d->thr_s;
	k->have_drops = true;
	s->net_rx_dropped_ps = k->rxd_ps;
	s->net_tx_dropped_ps = k->txd_ps;
	s->cpu_throttled_pct = k->thr_pct;
	s->cpu_throttled_mcores = k->thr_mcores;
}

void collector_cadvisor_apply(struct collector *c, struct strmap *idx,
			      const struct cadv_node *const *nodes, size_t n, int64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		if (nodes[i]->rc < 0) {
			/* 404/403: the endpoint is not there for us (said once, not
			 * asked again); a node that is down (503) is only that node. */
			if (nodes[i]->status == 404 || nodes[i]->status == 403) {
				collector_note(c, NOTE_CADVISOR, "drop columns stay empty without "
					       "Prometheus: %s", nodes[i]->msg);
				break;
			}
			continue;       /* those pods' drop columns stay empty this cycle */
		}
		for (size_t j = 0; j < nodes[i]->n; j++)
			apply_pod(c, idx, &nodes[i]->v[j], now_ms);
	}
}

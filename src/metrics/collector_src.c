#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/collector_priv.h"
#include "kube/jsonarena.h"
#include "kube/objects.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

#define MAX_OWNER_GETS_PER_CYCLE 64

/* "ns/pod" -> row, for the sources that answer by pod name. */
static void index_rows(struct strmap *idx, struct sample *rows, size_t n)
{
	struct buf key = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_reset(&key);
		buf_addf(&key, "%s/%s", rows[i].namespace, rows[i].pod);
		strmap_put(idx, key.data, &rows[i]);
	}
	buf_release(&key);
}

/* ---- owners: ReplicaSet -> Deployment, Job -> CronJob ---- */

static void remember_owner(struct collector *c, const struct kube_owner *o)
{
	struct buf key = BUF_INIT, val = BUF_INIT;

	buf_addf(&key, "%s/%s/%s", o->namespace ? o->namespace : "", o->kind, o->name);
	if (o->owner_kind && o->owner_name)
		buf_addf(&val, "%s/%s", o->owner_kind, o->owner_name);
	free(strmap_put(&c->owners, key.data, buf_detach(&val, NULL)));
	buf_release(&key);
}

struct owner_list {
	struct collector *c;
	const char *kind;
};

static int on_owner(const json_t *item, void *vctx)
{
	struct owner_list *l = vctx;
	struct kube_owner o;
	char err[KUBE_ERRLEN];
	json_t *copy = json_deep_copy(item);

	/* Items of a list carry no kind of their own. */
	json_object_set_new(copy, "kind", json_string(l->kind));
	if (kube_owner_parse(copy, &o, err, sizeof(err)) == 0) {
		remember_owner(l->c, &o);
		kube_owner_release(&o);
	}
	json_decref(copy);
	return 0;
}

static void list_owners(struct collector *c)
{
	static const struct { const char *prefix, *resource, *kind; } lists[] = {
		{ "/apis/apps/v1", "replicasets", "ReplicaSet" },
		{ "/apis/batch/v1", "jobs", "Job" },
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct owner_list l = { c, lists[i].kind };
		struct kube_error e;
		char what[64];
		char *path = collector_path(c, lists[i].prefix, lists[i].resource, true);
		snprintf(what, sizeof(what), "list %s", lists[i].resource);
		if (kube_list(&c->kc, what, path, 500, on_owner, NULL, &l, NULL, 0, &e) < 0 &&
		    e.status != 404)
			collector_note(c, NOTE_OWNERS, "owner columns may show ReplicaSets: %s", e.msg);
		free(path);
	}
	c->owners_listed = true;
}

static const char *lookup_owner(struct collector *c, const char *ns, const char *kind,
				const char *name, int *gets)
{
	struct buf key = BUF_INIT;
	const char *v;

	buf_addf(&key, "%s/%s/%s", ns, kind, name);
	v = strmap_get(&c->owners, key.data);
	if (!v && *gets < MAX_OWNER_GETS_PER_CYCLE) {
		struct buf path = BUF_INIT;
		struct kube_error e;
		json_t *j = NULL;
		(*gets)++;
		buf_addf(&path, "%s/namespaces/%s/%s/%s",
			 !strcmp(kind, "Job") ? "/apis/batch/v1" : "/apis/apps/v1", ns,
			 !strcmp(kind, "Job") ? "jobs" : "replicasets", name);
		if (kube_get(&c->kc, "get owner", path.data, &j, &e) == 0) {
			struct kube_owner o;
			char err[KUBE_ERRLEN];
			if (!json_object_get(j, "kind"))
				json_object_set_new(j, "kind", json_string(kind));
			if (kube_owner_parse(j, &o, err, sizeof(err)) == 0) {
				remember_owner(c, &o);
				kube_owner_release(&o);
			}
		} else if (e.status == 404) {
			free(strmap_put(&c->owners, key.data, xstrdup(""))); /* gone: do not ask again */
		}
		json_decref(j);
		buf_release(&path);
		v = strmap_get(&c->owners, key.data);
	}
	buf_release(&key);
	return v;
}

void collector_owners(struct collector *c, struct sample *rows, const struct rowextra *x, size_t n)
{
	int gets = 0;

	for (size_t i = 0; i < n; i++) {
		const char *kind = x[i].owner_kind, *name = x[i].owner_name, *up;
		if (!kind || !name)
			continue;
		if (!strcmp(kind, "ReplicaSet") || !strcmp(kind, "Job")) {
			if (!c->owners_listed)
				list_owners(c);
			up = lookup_owner(c, rows[i].namespace, kind, name, &gets);
			if (up && *up) {
				const char *slash = strchr(up, '/');
				char *k = xstrndup(up, (size_t)(slash - up));
				sample_set_str(&rows[i].owner_kind, k);
				sample_set_str(&rows[i].owner_name, slash + 1);
				free(k);
				continue;
			}
		}
		sample_set_str(&rows[i].owner_kind, kind);
		sample_set_str(&rows[i].owner_name, name);
	}
}

/* ---- metrics.k8s.io ---- */

void collector_pod_metrics(struct collector *c, struct sample *rows, size_t n)
{
	char *path = collector_path(c, "/apis/metrics.k8s.io/v1beta1", "pods", true);
	struct strmap idx = STRMAP_INIT;
	struct kube_error e;
	const json_t *items, *it;
	json_t *j = NULL;
	size_t i;
	int rc;

	c->stats.cluster_ms = 0;
	json_scope_begin();
	rc = kube_get(&c->kc, "list pod metrics", path, &j, &e);
	free(path);
	c->stats.metrics_ok = rc == 0;
	if (rc < 0) {
		if (e.status == 404)
			collector_note(c, NOTE_METRICS, "the metrics API (metrics.k8s.io) is not "
				       "available; cpu and memory columns stay empty until it is "
				       "(install metrics-server)");
		else
			collector_note(c, NOTE_METRICS, "cpu and memory columns stay empty: %s", e.msg);
		json_scope_end();
		return;
	}
	collector_recovered(c, NOTE_METRICS, "the metrics API");
	index_rows(&idx, rows, n);
	items = json_object_get(j, "items");
	json_array_foreach(items, i, it) {
		struct kube_pod_metrics m;
		struct buf key = BUF_INIT;
		char err[KUBE_ERRLEN];
		struct sample *s;
		if (kube_pod_metrics_parse(it, &m, err, sizeof(err)) < 0)
			continue;
		buf_addf(&key, "%s/%s", m.namespace, m.name);
		s = strmap_get(&idx, key.data);
		if (m.ts_ms > c->stats.cluster_ms)
			c->stats.cluster_ms = m.ts_ms;
		if (s) {
			s->cpu_mcores = m.cpu_cores * 1000.0;
			s->mem_bytes = m.mem_bytes;
		}
		buf_release(&key);
		kube_pod_metrics_release(&m);
	}
	json_decref(j);
	json_scope_end();
	strmap_clear(&idx, NULL);
}

/* ---- kubelet summaries ---- */

static double rate(double cur, double prev, double dt)
{
	if (isnan(cur) || isnan(prev) || dt <= 0)
		return NAN;
	/* A counter that went down was reset: it counted cur since then. */
	return (cur >= prev ? cur - prev : cur) / dt;
}

static void apply_stats(struct collector *c, struct sample *s, const struct kube_pod_stats *ps)
{
	struct buf key = BUF_INIT;
	struct counters *k;

	buf_addf(&key, "%s/%s", s->namespace, s->pod);
	k = collector_counters(c, key.data);
	buf_release(&key);
	s->fs_used_bytes = ps->fs_used_bytes;
	if (!ps->net_ts_ms || isnan(ps->rx_bytes))
		return;
	if (k->have_net && ps->net_ts_ms > k->net_ts_ms) {
		double dt = (double)(ps->net_ts_ms - k->net_ts_ms) / 1000.0;
		k->rx_bps = rate(ps->rx_bytes, k->rx, dt);
		k->tx_bps = rate(ps->tx_bytes, k->tx, dt);
		k->rxe_ps = rate(ps->rx_errors, k->rxe, dt);
		k->txe_ps = rate(ps->tx_errors, k->txe, dt);
	} else if (k->have_net && ps->net_ts_ms < k->net_ts_ms) {
		k->rx_bps = k->tx_bps = k->rxe_ps = k->txe_ps = NAN;
	}
	/* The same reading as last cycle keeps the rate measured up to it. */
	k->net_ts_ms = ps->net_ts_ms;
	k->rx = ps->rx_bytes;
	k->tx = ps->tx_bytes;
	k->rxe = ps->rx_errors;
	k->txe = ps->tx_errors;
	k->have_net = true;
	s->net_rx_bps = k->rx_bps;
	s->net_tx_bps = k->tx_bps;
	s->net_rx_errors_ps = k->rxe_ps;
	s->net_tx_errors_ps = k->txe_ps;
}

/* One node's summary, fetched and parsed by a worker. */
struct fetched {
	const char *node;
	int rc;
	struct kube_summary sum;
	char err[KUBE_ERRMSG];
};

struct fetch_job {
	struct fetched *v;
	size_t n, next;
	pthread_mutex_t mu;
};

struct fetch_worker {
	struct fetch_job *job;
	struct kube_client *kc;
};

static void fetch_one(struct kube_client *kc, struct fetched *f)
{
	struct buf path = BUF_INIT;
	struct kube_error ke;
	char err[KUBE_ERRLEN];
	json_t *j = NULL;

	buf_addf(&path, "/api/v1/nodes/%s/proxy/stats/summary", f->node);
	json_scope_begin();
	f->rc = kube_get(kc, "get kubelet summary", path.data, &j, &ke);
	if (f->rc < 0) {
		str_copy(f->err, ke.msg, sizeof(f->err));
	} else {
		f->rc = kube_summary_parse(j, &f->sum, err, sizeof(err));
		if (f->rc < 0)
			snprintf(f->err, sizeof(f->err), "kubelet summary of node %s: %s", f->node, err);
	}
	json_decref(j);
	json_scope_end();
	buf_release(&path);
}

static void *fetch_run(void *arg)
{
	struct fetch_worker *w = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&w->job->mu);
		i = w->job->next++;
		pthread_mutex_unlock(&w->job->mu);
		if (i >= w->job->n)
			return NULL;
		fetch_one(w->kc, &w->job->v[i]);
	}
}

/* Fetches every node's summary with up to COLLECTOR_FETCHERS connections. */
static void fetch_all(struct collector *c, struct fetched *v, size_t n)
{
	struct fetch_job job = { v, n, 0, PTHREAD_MUTEX_INITIALIZER };
	struct fetch_worker w[COLLECTOR_FETCHERS];
	pthread_t t[COLLECTOR_FETCHERS];
	bool started[COLLECTOR_FETCHERS] = { false };
	size_t k = n < COLLECTOR_FETCHERS ? n : COLLECTOR_FETCHERS;

	for (size_t i = 1; i < k; i++) {
		w[i].job = &job;
		w[i].kc = &c->fetchers[i - 1];
		started[i] = pthread_create(&t[i], NULL, fetch_run, &w[i]) == 0;
	}
	w[0].job = &job;
	w[0].kc = &c->kc;
	fetch_run(&w[0]);
	for (size_t i = 1; i < k; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	pthread_mutex_destroy(&job.mu);
}

void collector_summaries(struct collector *c, struct sample *rows, size_t n)
{
	struct strmap idx = STRMAP_INIT, nodes = STRMAP_INIT;
	struct buf key = BUF_INIT;
	char first_err[KUBE_ERRMSG] = "";
	size_t it, ok = 0, failed = 0, nn = 0;
	struct fetched *v;

	index_rows(&idx, rows, n);
	for (size_t i = 0; i < n; i++)
		/* A node known not to be Ready has no kubelet to answer: asking
		 * costs the retries of a 503 every cycle. */
		if (rows[i].node && !(rows[i].node_ready == 0 || (isnan(rows[i].node_ready) &&
								   rows[i].node_conditions)))
			strmap_put(&nodes, rows[i].node, &rows[i]);
	v = xcalloc(nodes.n ? nodes.n : 1, sizeof(*v));
	for (struct strmap_entry *e = strmap_first(&nodes, &it); e; e = strmap_next(&nodes, e, &it))
		v[nn++].node = e->key;
	fetch_all(c, v, nn);
	for (size_t i = 0; i < nn; i++) {
		if (v[i].rc < 0) {
			if (!failed++)
				str_copy(first_err, v[i].err, sizeof(first_err));
			continue;
		}
		ok++;
		for (size_t p = 0; p < v[i].sum.npods; p++) {
			struct sample *s;
			buf_reset(&key);
			buf_addf(&key, "%s/%s", v[i].sum.pods[p].namespace, v[i].sum.pods[p].name);
			s = strmap_get(&idx, key.data);
			if (s)
				apply_stats(c, s, &v[i].sum.pods[p]);
		}
		kube_summary_release(&v[i].sum);
	}
	free(v);
	c->stats.summaries_ok = ok;
	c->stats.summaries_failed = failed;
	if (failed)
		collector_note(c, NOTE_SUMMARY, "network and filesystem columns are empty for "
			       "pods on %zu of %zu nodes: %s", failed, ok + failed, first_err);
	else if (ok)
		collector_recovered(c, NOTE_SUMMARY, "the kubelet summary API");
	buf_release(&key);
	strmap_clear(&idx, NULL);
	strmap_clear(&nodes, NULL);
}

/* ---- Prometheus ---- */

void collector_prometheus(struct collector *c, struct sample *rows, size_t n)
{
	struct strmap idx = STRMAP_INIT;
	struct buf key = BUF_INIT;

	c->stats.prom_ok = false;
	if (!c->prom_on)
		return;
	index_rows(&idx, rows, n);
	for (size_t q = 0; q < c->nprom; q++) {
		struct prom_result res;
		char err[1024];

		if (prom_query(&c->prom, c->prom_cols[q].query, &res, err, sizeof(err)) < 0) {
			collector_note(c, NOTE_PROM, "Prometheus columns stay empty: %s", err);
			goto out;
		}
		/* A pod Prometheus has no series for stays missing; several series add up. */
		for (size_t i = 0; i < res.n; i++) {
			struct sample *s;
			double *dst;
			buf_reset(&key);
			buf_addf(&key, "%s/%s", res.v[i].namespace, res.v[i].pod);
			s = strmap_get(&idx, key.data);
			if (!s)
				continue;
			dst = q == 0 ? &s->net_rx_dropped_ps : q == 1 ? &s->net_tx_dropped_ps :
			      &s->custom[q - 2];
			*dst = isnan(*dst) ? res.v[i].value : *dst + res.v[i].value;
		}
		prom_result_release(&res);
	}
	c->stats.prom_ok = true;
	collector_recovered(c, NOTE_PROM, "Prometheus");
out:
	buf_release(&key);
	strmap_clear(&idx, NULL);
}

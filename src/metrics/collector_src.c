#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/collector_priv.h"
#include "kube/fastparse.h"
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
		collector_key(&key, rows[i].namespace, rows[i].pod);
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

/* Lists ReplicaSets and Jobs into c->owners over c->okc. Runs in its own
 * thread while the first lists sync (collector_owners_run), so it touches
 * nothing else: a failure is kept in owners_err for the notice. */
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
		if (kube_list(&c->okc, what, path, 500, on_owner, NULL, &l, NULL, 0, &e) < 0 &&
		    e.status != 404 && !c->owners_err[0])
			str_copy(c->owners_err, e.msg, sizeof(c->owners_err));
		free(path);
	}
	c->owners_listed = true;
}

void *collector_owners_run(void *arg)
{
	list_owners(arg);
	return NULL;
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
		if (kube_get(&c->okc, "get owner", path.data, &j, &e) == 0) {
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

	if (c->owners_running) {
		pthread_join(c->owners_thread, NULL);
		c->owners_running = false;
	}
	if (c->owners_err[0]) {
		collector_note(c, NOTE_OWNERS, "owner columns may show ReplicaSets: %s", c->owners_err);
		c->owners_err[0] = '\0';
	}

	for (size_t i = 0; i < n; i++) {
		const char *kind = x[i].owner_kind, *name = x[i].owner_name, *up;
		if (!kind || !name)
			continue;
		if (!strcmp(kind, "ReplicaSet") || !strcmp(kind, "Job")) {
			if (!c->owners_listed) {
				list_owners(c);
				if (c->owners_err[0]) {
					collector_note(c, NOTE_OWNERS, "owner columns may show "
						       "ReplicaSets: %s", c->owners_err);
					c->owners_err[0] = '\0';
				}
			}
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

/* ---- the cycle's requests: metrics.k8s.io, kubelet summaries, cAdvisor ---- */

enum { CALL_METRICS, CALL_SUMMARY, CALL_CADVISOR };

/* What a call of the batch is for (its user pointer). */
struct callinfo {
	int kind;
	const char *node;
};

/* One pod's usage from metrics.k8s.io. */
struct podusage {
	char *key;                      /* "ns/pod" */
	double cpu_mcores, mem_bytes;
};

/*
 * A metrics or summary answer parsed, not yet applied to rows: parsing
 * needs nothing of the collector, so it can run ahead of the rows (see
 * struct fetch_ahead); applying happens in the cycle's thread.
 */
struct parsed {
	int rc;                         /* the request's or the parser's */
	struct kube_error e;            /* the request's failure (rc < 0, !bad) */
	char msg[KUBE_ERRMSG];          /* a summary's failure, as noticed */
	struct kube_summary sum;
	struct podusage *use;
	size_t nuse;
	int64_t cluster_ms;             /* the newest metrics timestamp */
	struct cadv_node cadv;
};

static void parsed_release(struct parsed *p)
{
	kube_summary_release(&p->sum);
	collector_cadvisor_release(&p->cadv);
	for (size_t i = 0; i < p->nuse; i++)
		free(p->use[i].key);
	free(p->use);
	memset(p, 0, sizeof(*p));
}

/* The usage of every pod of a metrics list (v, n: taken and freed). */
static void keep_usage(struct parsed *p, struct kube_pod_metrics *v, size_t n)
{
	p->use = xcalloc(n ? n : 1, sizeof(*p->use));
	for (size_t i = 0; i < n; i++) {
		struct buf key = BUF_INIT;
		collector_key(&key, v[i].namespace, v[i].name);
		if (v[i].ts_ms > p->cluster_ms)
			p->cluster_ms = v[i].ts_ms;
		p->use[p->nuse].key = buf_detach(&key, NULL);
		p->use[p->nuse].cpu_mcores = v[i].cpu_cores * 1000.0;
		p->use[p->nuse].mem_bytes = v[i].mem_bytes;
		p->nuse++;
		kube_pod_metrics_release(&v[i]);
	}
	free(v);
}

static void parse_metrics(struct kube_call *k, struct parsed *p)
{
	const json_t *items, *it;
	json_t *j = NULL;
	size_t i;

	p->rc = k->rc;
	if (p->rc < 0) {
		p->e = k->e;
		return;
	}
	{
		/* straight from the text when it is plain (kube/fastparse.h) */
		struct kube_pod_metrics *v;
		size_t nv;
		if (kube_pod_metrics_list_parse_text(k->body.data ? k->body.data : "", k->body.len,
						     &v, &nv) == 0) {
			keep_usage(p, v, nv);
			return;
		}
	}
	json_scope_begin();
	p->rc = kube_call_json(k, &j);
	if (p->rc < 0) {
		p->e = k->e;
		json_scope_end();
		return;
	}
	items = json_object_get(j, "items");
	if (json_array_size(items))
		p->use = xcalloc(json_array_size(items), sizeof(*p->use));
	json_array_foreach(items, i, it) {
		struct kube_pod_metrics m;
		struct buf key = BUF_INIT;
		char err[KUBE_ERRLEN];
		if (kube_pod_metrics_parse(it, &m, err, sizeof(err)) < 0)
			continue;
		collector_key(&key, m.namespace, m.name);
		if (m.ts_ms > p->cluster_ms)
			p->cluster_ms = m.ts_ms;
		p->use[p->nuse].key = buf_detach(&key, NULL);
		p->use[p->nuse].cpu_mcores = m.cpu_cores * 1000.0;
		p->use[p->nuse].mem_bytes = m.mem_bytes;
		p->nuse++;
		kube_pod_metrics_release(&m);
	}
	json_decref(j);
	json_scope_end();
}

static void parse_summary(struct kube_call *k, const char *node, struct parsed *p)
{
	char err[KUBE_ERRLEN];
	json_t *j = NULL;

	p->rc = k->rc;
	if (p->rc == 0 && kube_summary_parse_text(k->body.data ? k->body.data : "", k->body.len,
						  &p->sum) == 0)
		return;                 /* straight from the text (kube/fastparse.h) */
	json_scope_begin();
	if (p->rc == 0)
		p->rc = kube_call_json(k, &j);
	if (p->rc < 0) {
		p->e = k->e;
		str_copy(p->msg, k->e.msg, sizeof(p->msg));
	} else {
		p->rc = kube_summary_parse(j, &p->sum, err, sizeof(err));
		if (p->rc < 0)
			snprintf(p->msg, sizeof(p->msg), "kubelet summary of node %s: %s", node, err);
	}
	json_decref(j);
	json_scope_end();
}

struct fetch {
	struct collector *c;
	struct strmap *idx;             /* "ns/pod" -> row */
	const struct callinfo *info;    /* the calls' */
	struct parsed *res;             /* parallel to info: cAdvisor answers until applied */
	size_t sum_ok, sum_failed;
	char first_err[KUBE_ERRMSG];
};

static void metrics_apply(struct fetch *f, const struct parsed *p)
{
	struct collector *c = f->c;

	c->stats.cluster_ms = 0;
	c->stats.metrics_ok = p->rc == 0;
	if (p->rc < 0) {
		if (p->e.status == 404)
			collector_note(c, NOTE_METRICS, "the metrics API (metrics.k8s.io) is not "
				       "available; cpu and memory columns stay empty until it is "
				       "(install metrics-server)");
		else
			collector_note(c, NOTE_METRICS, "cpu and memory columns stay empty: %s",
				       p->e.msg);
		return;
	}
	collector_recovered(c, NOTE_METRICS, "the metrics API");
	c->stats.cluster_ms = p->cluster_ms;
	for (size_t i = 0; i < p->nuse; i++) {
		struct sample *s = strmap_get(f->idx, p->use[i].key);
		if (s) {
			s->cpu_mcores = p->use[i].cpu_mcores;
			s->mem_bytes = p->use[i].mem_bytes;
		}
	}
}

static double rate(double cur, double prev, double dt)
{
	if (isnan(cur) || isnan(prev) || dt <= 0)
		return NAN;
	/* A counter that went down was reset: it counted cur since then. */
	return (cur >= prev ? cur - prev : cur) / dt;
}

static void apply_stats(struct collector *c, struct sample *s, const struct kube_pod_stats *ps)
{
	struct counters *k = collector_row_counters(c, s);

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

static void summary_apply(struct fetch *f, const struct parsed *p)
{
	struct buf key = BUF_INIT;

	if (p->rc < 0) {
		if (!f->sum_failed++)
			str_copy(f->first_err, p->msg, sizeof(f->first_err));
		return;
	}
	f->sum_ok++;
	for (size_t i = 0; i < p->sum.npods; i++) {
		struct sample *s;
		buf_reset(&key);
		collector_key(&key, p->sum.pods[i].namespace, p->sum.pods[i].name);
		s = strmap_get(f->idx, key.data);
		if (s)
			apply_stats(f->c, s, &p->sum.pods[i]);
	}
	buf_release(&key);
}

/* Parses a finished call into p, and lets its body go. */
static void parse_call(struct kube_call *k, struct parsed *p)
{
	const struct callinfo *ci = k->user;

	memset(p, 0, sizeof(*p));
	if (ci->kind == CALL_METRICS)
		parse_metrics(k, p);
	else if (ci->kind == CALL_SUMMARY)
		parse_summary(k, ci->node, p);
	else
		collector_cadvisor_parse(k, &p->cadv);
	buf_release(&k->body);
}

static void apply_parsed(struct fetch *f, int kind, const struct parsed *p)
{
	if (kind == CALL_METRICS)
		metrics_apply(f, p);
	else if (kind == CALL_SUMMARY)
		summary_apply(f, p);
}

/* A call of the cycle's batch ended: metrics and summaries are applied at
 * once, cAdvisor answers after the batch (their rates may need the
 * cluster's clock, which the metrics give). */
static void call_done(struct kube_call *k, void *vctx)
{
	struct fetch *f = vctx;
	const struct callinfo *ci = k->user;
	struct parsed *p = &f->res[ci - f->info];

	parse_call(k, p);
	if (ci->kind != CALL_CADVISOR) {
		apply_parsed(f, ci->kind, p);
		parsed_release(p);
	}
}

/*
 * The first cycle's node requests, asked while the pods list: the node list
 * (which comes in long before the pods) names every Ready node, and the
 * answers are parsed as they arrive, in a thread of their own on the
 * collector's client (c->kc, which nothing else uses until the first cycle
 * joins it). That cycle takes what matches its own requests and asks only
 * for the rest (a node no pod was on, a request that failed).
 */
struct fetch_ahead {
	struct collector *c;
	pthread_t thread;
	bool running;
	size_t n, nnodes;
	struct kube_call *calls;
	struct callinfo *info;
	struct buf *paths;
	char **nodes;
	struct parsed *res;             /* parallel to calls */
	bool *used;
	struct strmap by_path;          /* path -> index + 1 */
};

static void ahead_done(struct kube_call *k, void *vctx)
{
	struct fetch_ahead *a = vctx;
	parse_call(k, &a->res[k - a->calls]);
}

static void *ahead_run(void *arg)
{
	struct fetch_ahead *a = arg;
	kube_get_many(&a->c->kc, a->calls, a->n, COLLECTOR_PARALLEL, ahead_done, a);
	return NULL;
}

static void take_ready(void *obj, void *vctx)
{
	const struct kube_node *n = obj;
	struct strvec *v = vctx;
	if (n->ready == 1 && n->name)
		strvec_push(v, n->name);
}

void collector_fetch_ahead(struct collector *c)
{
	struct strvec ready = STRVEC_INIT;
	struct fetch_ahead *a;
	bool cadvisor = !c->prom_on && !(c->said & NOTE_CADVISOR);
	size_t n = 0;

	if (c->ahead || c->namespace || !c->nodes_ok)
		return;                 /* one namespace may be on a few nodes only */
	kube_cache_foreach(&c->nodes, take_ready, &ready);
	a = xcalloc(1, sizeof(*a));
	a->c = c;
	a->n = 1 + ready.n * (cadvisor ? 2 : 1);
	a->calls = xcalloc(a->n, sizeof(*a->calls));
	a->info = xcalloc(a->n, sizeof(*a->info));
	a->paths = xcalloc(a->n, sizeof(*a->paths));
	a->nodes = xcalloc(ready.n ? ready.n : 1, sizeof(*a->nodes));
	a->nnodes = ready.n;
	a->res = xcalloc(a->n, sizeof(*a->res));
	a->used = xcalloc(a->n, sizeof(*a->used));
	a->by_path = (struct strmap)STRMAP_INIT;
	for (size_t i = 0; i < a->n; i++)
		buf_init(&a->paths[i], BUF_NO_LIMIT);
	buf_adds(&a->paths[n], "/apis/metrics.k8s.io/v1beta1/pods");
	a->info[n].kind = CALL_METRICS;
	a->calls[n++].what = "list pod metrics";
	for (size_t i = 0; i < ready.n; i++) {
		a->nodes[i] = xstrdup(ready.v[i]);
		buf_addf(&a->paths[n], "/api/v1/nodes/%s/proxy/stats/summary", ready.v[i]);
		a->info[n].kind = CALL_SUMMARY;
		a->info[n].node = a->nodes[i];
		a->calls[n].what = "get kubelet summary";
		a->calls[n++].skim = kube_summary_skim;
		if (!cadvisor)
			continue;
		buf_addf(&a->paths[n], "/api/v1/nodes/%s/proxy/metrics/cadvisor", ready.v[i]);
		a->info[n].kind = CALL_CADVISOR;
		a->info[n].node = a->nodes[i];
		a->calls[n++].what = "get kubelet cadvisor metrics";
	}
	for (size_t i = 0; i < a->n; i++) {
		a->calls[i].path = a->paths[i].data;
		a->calls[i].user = &a->info[i];
		strmap_put(&a->by_path, a->paths[i].data, (void *)(uintptr_t)(i + 1));
	}
	strvec_clear(&ready);
	c->ahead = a;
	a->running = pthread_create(&a->thread, NULL, ahead_run, a) == 0;
	if (!a->running)
		collector_fetch_ahead_free(c); /* the first cycle asks for all of it */
}

static void ahead_wait(struct fetch_ahead *a)
{
	if (a && a->running) {
		pthread_join(a->thread, NULL);
		a->running = false;
	}
}

void collector_fetch_ahead_free(struct collector *c)
{
	struct fetch_ahead *a = c->ahead;

	if (!a)
		return;
	ahead_wait(a);
	for (size_t i = 0; i < a->n; i++) {
		parsed_release(&a->res[i]);
		buf_release(&a->calls[i].body);
		buf_release(&a->paths[i]);
	}
	for (size_t i = 0; i < a->nnodes; i++)
		free(a->nodes[i]);
	strmap_clear(&a->by_path, NULL);
	free(a->paths);
	free(a->info);
	free(a->calls);
	free(a->res);
	free(a->used);
	free(a->nodes);
	free(a);
	c->ahead = NULL;
}

/* The answer asked ahead for calls[i]'s path, moved into it; false when
 * there is none or it failed (then the call is asked again). */
static bool take_ahead(struct fetch_ahead *a, struct kube_call *k, struct parsed *p)
{
	size_t j = (size_t)(uintptr_t)strmap_get(&a->by_path, k->path);

	if (!j--)
		return false;
	if (a->used[j] || a->calls[j].rc < 0)
		return false;           /* a transport or HTTP failure: ask again now */
	a->used[j] = true;
	k->rc = 0;
	*p = a->res[j];
	memset(&a->res[j], 0, sizeof(a->res[j]));
	return true;
}

void collector_fetch(struct collector *c, struct sample *rows, size_t n, int64_t now_ms)
{
	struct strmap idx = STRMAP_INIT, sum_nodes = STRMAP_INIT, cadv_nodes = STRMAP_INIT;
	struct fetch f;
	struct kube_call *calls, *miss;
	struct callinfo *info;
	struct parsed *res;
	const struct cadv_node **cadv;
	struct buf *paths;
	size_t it, nc = 0, nmiss = 0, first_cadv;
	bool cadvisor = !c->prom_on && !(c->said & NOTE_CADVISOR);

	memset(&f, 0, sizeof(f));
	f.c = c;
	f.idx = &idx;
	index_rows(&idx, rows, n);
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].node)
			continue;
		/* A node known not to be Ready has no kubelet to answer: asking
		 * costs the retries of a 503 every cycle. */
		if (!(rows[i].node_ready == 0 || (isnan(rows[i].node_ready) && rows[i].node_conditions)))
			strmap_put(&sum_nodes, rows[i].node, &rows[i]);
		if (cadvisor && rows[i].node_ready == 1)
			strmap_put(&cadv_nodes, rows[i].node, &rows[i]);
	}
	calls = xcalloc(1 + sum_nodes.n + cadv_nodes.n, sizeof(*calls));
	miss = xcalloc(1 + sum_nodes.n + cadv_nodes.n, sizeof(*miss));
	info = xcalloc(1 + sum_nodes.n + cadv_nodes.n, sizeof(*info));
	res = xcalloc(1 + sum_nodes.n + cadv_nodes.n, sizeof(*res));
	cadv = xcalloc(1 + cadv_nodes.n, sizeof(*cadv));
	f.info = info;
	f.res = res;
	paths = xcalloc(1 + sum_nodes.n + cadv_nodes.n, sizeof(*paths));
	for (size_t i = 0; i < 1 + sum_nodes.n + cadv_nodes.n; i++)
		buf_init(&paths[i], BUF_NO_LIMIT);
	{
		char *p = collector_path(c, "/apis/metrics.k8s.io/v1beta1", "pods", true);
		buf_adds(&paths[nc], p);
		free(p);
		info[nc].kind = CALL_METRICS;
		calls[nc].what = "list pod metrics";
		nc++;
	}
	for (struct strmap_entry *e = strmap_first(&sum_nodes, &it); e;
	     e = strmap_next(&sum_nodes, e, &it), nc++) {
		buf_addf(&paths[nc], "/api/v1/nodes/%s/proxy/stats/summary", e->key);
		info[nc].kind = CALL_SUMMARY;
		info[nc].node = e->key;
		calls[nc].what = "get kubelet summary";
		calls[nc].skim = kube_summary_skim;
	}
	first_cadv = nc;
	for (struct strmap_entry *e = strmap_first(&cadv_nodes, &it); e;
	     e = strmap_next(&cadv_nodes, e, &it), nc++) {
		buf_addf(&paths[nc], "/api/v1/nodes/%s/proxy/metrics/cadvisor", e->key);
		info[nc].kind = CALL_CADVISOR;
		info[nc].node = e->key;
		calls[nc].what = "get kubelet cadvisor metrics";
	}
	ahead_wait(c->ahead);
	for (size_t i = 0; i < nc; i++) {
		calls[i].path = paths[i].data;
		calls[i].user = &info[i];
		buf_init(&calls[i].body, BUF_NO_LIMIT);
		if (c->ahead && take_ahead(c->ahead, &calls[i], &res[i])) {
			if (info[i].kind != CALL_CADVISOR) {
				apply_parsed(&f, info[i].kind, &res[i]);
				parsed_release(&res[i]);
			}
		} else {
			miss[nmiss++] = calls[i];
		}
	}
	collector_fetch_ahead_free(c);
	kube_get_many(&c->kc, miss, nmiss, COLLECTOR_PARALLEL, call_done, &f);
	c->stats.summaries_ok = f.sum_ok;
	c->stats.summaries_failed = f.sum_failed;
	if (f.sum_failed)
		collector_note(c, NOTE_SUMMARY, "network and filesystem columns are empty for "
			       "pods on %zu of %zu nodes: %s", f.sum_failed, f.sum_ok + f.sum_failed,
			       f.first_err);
	else if (f.sum_ok)
		collector_recovered(c, NOTE_SUMMARY, "the kubelet summary API");
	if (c->stats.cluster_ms > now_ms)
		now_ms = c->stats.cluster_ms;
	for (size_t i = first_cadv; i < nc; i++)
		cadv[i - first_cadv] = &res[i].cadv;
	collector_cadvisor_apply(c, &idx, cadv, nc - first_cadv, now_ms);
	for (size_t i = 0; i < nc; i++) {
		parsed_release(&res[i]);
		buf_release(&calls[i].body);
		buf_release(&paths[i]);
	}
	free(cadv);
	free(res);
	free(paths);
	free(info);
	free(calls);
	free(miss);
	strmap_clear(&idx, NULL);
	strmap_clear(&sum_nodes, NULL);
	strmap_clear(&cadv_nodes, NULL);
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
			collector_key(&key, res.v[i].namespace, res.v[i].pod);
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

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/collector.h"
#include "metrics/collector_priv.h"
#include "kube/objects.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define DEFAULT_MAX_PODS 200000
#define DEFAULT_RX_DROPPED \
	"sum by (namespace, pod) (rate(container_network_receive_packets_dropped_total{%s}[2m]))"
#define DEFAULT_TX_DROPPED \
	"sum by (namespace, pod) (rate(container_network_transmit_packets_dropped_total{%s}[2m]))"

void collector_key(struct buf *b, const char *ns, const char *name)
{
	buf_adds(b, ns ? ns : "(null)");
	buf_addch(b, '/');
	buf_adds(b, name ? name : "(null)");
}

void collector_note(struct collector *c, unsigned bit, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (c->said & bit)
		return;
	c->said |= bit;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strvec_push(&c->notices, b.data ? b.data : "");
	buf_release(&b);
}

void collector_recovered(struct collector *c, unsigned bit, const char *what)
{
	if (!(c->said & bit))
		return;
	c->said &= ~bit;
	if (what)
		strvec_pushf(&c->notices, "%s is back", what);
}

static char *expand(const char *tmpl, const char *ns)
{
	struct buf sel = BUF_INIT, out = BUF_INIT;
	const char *p = strstr(tmpl, "%s");

	if (ns)
		buf_addf(&sel, "namespace=\"%s\"", ns);
	if (p) {
		buf_add(&out, tmpl, (size_t)(p - tmpl));
		buf_adds(&out, sel.data ? sel.data : "");
		buf_adds(&out, p + 2);
	} else {
		buf_adds(&out, tmpl);
	}
	buf_release(&sel);
	return buf_detach(&out, NULL);
}

int collector_init(struct collector *c, const struct collector_opts *o,
		   char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->kube = o->kube;
	c->namespace = o->namespace && o->namespace[0] ? xstrdup(o->namespace) : NULL;
	c->interval_ms = o->interval_ms > 0 ? o->interval_ms : 30000;
	c->sync_timeout_ms = o->sync_timeout_ms > 0 ? o->sync_timeout_ms : 60000;
	c->max_pods = o->max_pods ? o->max_pods : DEFAULT_MAX_PODS;
	c->http = o->http;
	rc = kube_client_init(&c->kc, c->kube, &c->http, err, errlen);
	if (rc < 0) {
		free(c->namespace);
		return rc;
	}
	rc = kube_client_init(&c->okc, c->kube, &c->http, err, errlen);
	if (rc < 0) {
		kube_client_release(&c->kc);
		free(c->namespace);
		return rc;
	}
	c->ncustom = o->ncustom;
	if (o->prom_url) {
		rc = prom_client_init(&c->prom, o->prom_url,
				      o->prom_timeout_ms > 0 ? o->prom_timeout_ms : 10000, err, errlen);
		if (rc < 0) {
			collector_release(c);
			return rc;
		}
		c->prom_on = true;
		c->nprom = 2 + o->ncustom;
		c->prom_cols = xcalloc(c->nprom, sizeof(*c->prom_cols));
		c->prom_cols[0].name = xstrdup("net_rx_dropped_ps");
		c->prom_cols[0].query = expand(o->prom_rx_dropped_query ? o->prom_rx_dropped_query :
					       DEFAULT_RX_DROPPED, c->namespace);
		c->prom_cols[1].name = xstrdup("net_tx_dropped_ps");
		c->prom_cols[1].query = expand(o->prom_tx_dropped_query ? o->prom_tx_dropped_query :
					       DEFAULT_TX_DROPPED, c->namespace);
		for (size_t i = 0; i < o->ncustom; i++) {
			c->prom_cols[2 + i].name = xstrdup(o->custom[i].name);
			c->prom_cols[2 + i].query = expand(o->custom[i].query, c->namespace);
		}
	} else if (o->ncustom) {
		/* Custom columns without Prometheus stay in the header, empty. */
		c->nprom = 2 + o->ncustom;
		c->prom_cols = xcalloc(c->nprom, sizeof(*c->prom_cols));
		c->prom_cols[0].name = xstrdup("net_rx_dropped_ps");
		c->prom_cols[1].name = xstrdup("net_tx_dropped_ps");
		for (size_t i = 0; i < o->ncustom; i++)
			c->prom_cols[2 + i].name = xstrdup(o->custom[i].name);
	}
	return 0;
}

void collector_custom_names(const struct collector *c, struct strvec *out)
{
	for (size_t i = 2; i < c->nprom; i++)
		strvec_push(out, c->prom_cols[i].name);
}

static void free_value(void *v)
{
	free(v);
}

int collector_wait_rvs(struct collector *c, uint64_t pods, uint64_t nodes, uint64_t events,
		       int64_t timeout_ms)
{
	int rc = 0;

	if (!c->started)
		return 0;
	if (pods)
		rc = kube_cache_wait_rv(&c->pods, pods, timeout_ms);
	if (rc == 0 && nodes && c->nodes_ok)
		rc = kube_cache_wait_rv(&c->nodes, nodes, timeout_ms);
	if (rc == 0 && events && c->events_ok)
		rc = kube_cache_wait_rv(&c->events, events, timeout_ms);
	return rc;
}

void collector_release(struct collector *c)
{
	if (!c)
		return;
	if (c->started) {
		kube_cache_signal(&c->pods);
		kube_cache_signal(&c->nodes);
		kube_cache_signal(&c->events);
		kube_cache_stop(&c->pods);
		kube_cache_stop(&c->nodes);
		kube_cache_stop(&c->events);
	}
	if (c->owners_running)
		pthread_join(c->owners_thread, NULL);
	collector_fetch_ahead_free(c);
	kube_client_release(&c->kc);
	kube_client_release(&c->okc);
	if (c->prom_on)
		prom_client_release(&c->prom);
	for (size_t i = 0; i < c->nprom; i++) {
		free(c->prom_cols[i].name);
		free(c->prom_cols[i].query);
	}
	free(c->prom_cols);
	strmap_clear(&c->prev, free_value);
	strmap_clear(&c->owners, free_value);
	strmap_clear(&c->hpas, free_value);
	strvec_clear(&c->notices);
	free(c->namespace);
	memset(c, 0, sizeof(*c));
}

int64_t collector_stamp_wait_ms(const struct collector *c, int64_t interval_ms, int64_t now_ms)
{
	int64_t last_s = c->stats.stamp_ms / 1000, now_s = now_ms / 1000;

	if (interval_ms < 1000 || c->stats.stamp_ms <= 0 || now_s > last_s || last_s - now_s > 1)
		return 0;
	return (last_s + 1) * 1000 - now_ms;
}

void collector_rows_free(struct sample *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sample_release(&rows[i]);
	free(rows);
}

/* The path of a core resource, in our namespace or across all. */
char *collector_path(const struct collector *c, const char *prefix, const char *resource,
		     bool namespaced)
{
	struct buf b = BUF_INIT;
	if (namespaced && c->namespace)
		buf_addf(&b, "%s/namespaces/%s/%s", prefix, c->namespace, resource);
	else
		buf_addf(&b, "%s/%s", prefix, resource);
	return buf_detach(&b, NULL);
}

static int start(struct collector *c, char *err, size_t errlen)
{
	char *pods = collector_path(c, "/api/v1", "pods", true);
	char *nodes = collector_path(c, "/api/v1", "nodes", false);
	char *events = collector_path(c, "/api/v1", "events", true);
	struct kube_error e;
	int rc;

	rc = kube_cache_start(&c->pods, &kube_cache_pods, c->kube, pods, &c->http, err, errlen);
	if (rc == 0) {
		rc = kube_cache_start(&c->nodes, &kube_cache_nodes, c->kube, nodes, &c->http, err, errlen);
		if (rc < 0)
			kube_cache_stop(&c->pods);
	}
	if (rc == 0) {
		rc = kube_cache_start(&c->events, &kube_cache_events, c->kube, events, &c->http, err, errlen);
		if (rc < 0) {
			kube_cache_stop(&c->pods);
			kube_cache_stop(&c->nodes);
		}
	}
	free(pods);
	free(nodes);
	free(events);
	if (rc < 0)
		return rc;
	c->started = true;
	/* Owners are listed while the pods sync (the first cycle needs them). */
	c->owners_running = pthread_create(&c->owners_thread, NULL, collector_owners_run, c) == 0;
	/* Nodes and events are context: a user who may not list them still gets
	 * rows. The nodes come in first (a page, against many of pods), and
	 * the first cycle's node requests are asked while the pods list. */
	if (kube_cache_wait_synced(&c->nodes, c->sync_timeout_ms, &e) < 0)
		collector_note(c, NOTE_NODES, "node columns will be empty: %s", e.msg);
	else
		c->nodes_ok = true;
	collector_fetch_ahead(c);
	rc = kube_cache_wait_synced(&c->pods, c->sync_timeout_ms, &e);
	if (rc < 0) {
		snprintf(err, errlen, "%s", e.msg);
		return rc;
	}
	if (kube_cache_wait_synced(&c->events, c->sync_timeout_ms, &e) < 0)
		collector_note(c, NOTE_EVENTS, "event columns will be empty: %s", e.msg);
	else
		c->events_ok = true;
	return 0;
}

/* ---- the pods snapshot ---- */

struct rows {
	struct sample *v;
	size_t n, cap, max;
	size_t ncustom;
	size_t dropped;
	/* raw owner refs and times, parallel to v */
	struct rowextra *x;
};

static void take_pod(void *obj, void *vctx)
{
	const struct kube_pod *p = obj;
	struct rows *r = vctx;
	struct sample *s;
	struct rowextra *x;

	if (r->n >= r->max) {
		r->dropped++;
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap;
		ARRAY_GROW(r->v, r->cap, r->n + 1);
		ARRAY_GROW(r->x, cap, r->n + 1);
	}
	s = &r->v[r->n];
	x = &r->x[r->n];
	r->n++;
	sample_init(s, r->ncustom);
	memset(x, 0, sizeof(*x));
	sample_set_str(&s->namespace, p->namespace);
	sample_set_str(&s->pod, p->name);
	sample_set_str(&s->node, p->node);
	sample_set_str(&s->phase, p->phase);
	sample_set_str(&s->reason, p->reason ? p->reason : p->container_reason);
	sample_set_str(&s->error_message, p->container_message ? p->container_message : p->message);
	sample_set_str(&s->last_termination_reason, p->last_reason);
	if (p->last_exit_code >= 0)
		s->last_exit_code = p->last_exit_code;
	if (p->owner_kind)
		x->owner_kind = xstrdup(p->owner_kind);
	if (p->owner_name)
		x->owner_name = xstrdup(p->owner_name);
	x->created_ms = p->created_ms;
	s->restarts = p->restarts;
	s->containers_ready = p->containers_ready;
	s->containers_total = p->containers_total;
	s->cpu_request_mcores = p->cpu_request * 1000.0;
	s->cpu_limit_mcores = p->cpu_limit * 1000.0;
	s->mem_request_bytes = p->mem_request;
	s->mem_limit_bytes = p->mem_limit;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int d = strcmp(x->namespace, y->namespace);
	return d ? d : strcmp(x->pod, y->pod);
}

/* ---- nodes and events ---- */

struct nodeinfo {
	int ready;
	unsigned conditions;
	bool unschedulable;
};

static void take_node(void *obj, void *vctx)
{
	const struct kube_node *n = obj;
	struct strmap *m = vctx;
	struct nodeinfo *ni = xcalloc(1, sizeof(*ni));
	ni->ready = n->ready;
	ni->conditions = n->conditions;
	ni->unschedulable = n->unschedulable;
	free(strmap_put(m, n->name, ni));
}

struct evagg {
	int64_t last_ms;
	char *type, *reason, *message, *source;
	double warn_total;              /* Warning occurrences in all events kept */
	double warn_recent;             /* ... whose latest is within one interval */
};

struct evctx {
	struct strmap *m;               /* "ns/pod" or "/node" -> struct evagg */
	int64_t since_ms;
};

static void free_evagg(void *v)
{
	struct evagg *a = v;
	if (!a)
		return;
	free(a->type); free(a->reason); free(a->message); free(a->source);
	free(a);
}

static void take_event(void *obj, void *vctx)
{
	const struct kube_event *e = obj;
	struct evctx *ec = vctx;
	struct buf key = BUF_INIT;
	struct evagg *a;

	if (!e->kind || !e->obj_name)
		return;
	if (!strcmp(e->kind, "Pod"))
		collector_key(&key, e->obj_namespace ? e->obj_namespace : "", e->obj_name);
	else if (!strcmp(e->kind, "Node"))
		buf_addf(&key, "/%s", e->obj_name);
	else
		return;
	a = strmap_get(ec->m, key.data);
	if (!a) {
		a = xcalloc(1, sizeof(*a));
		strmap_put(ec->m, key.data, a);
	}
	buf_release(&key);
	if (e->type && !strcmp(e->type, "Warning")) {
		a->warn_total += e->count;
		if (e->last_ms >= ec->since_ms)
			a->warn_recent += e->count;
	}
	if (!a->reason || e->last_ms >= a->last_ms) {
		a->last_ms = e->last_ms;
		free(a->type); free(a->reason); free(a->message); free(a->source);
		a->type = e->type ? xstrdup(e->type) : NULL;
		a->reason = e->reason ? xstrdup(e->reason) : NULL;
		a->message = e->message ? xstrdup(e->message) : NULL;
		a->source = e->source ? xstrdup(e->source) : NULL;
	}
}

static const char *conditions_text(unsigned bits, char *out, size_t outlen)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ NODE_MEMORY_PRESSURE, "MemoryPressure" }, { NODE_DISK_PRESSURE, "DiskPressure" },
		{ NODE_PID_PRESSURE, "PIDPressure" }, { NODE_NETWORK_UNAVAILABLE, "NetworkUnavailable" },
	};
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bits & names[i].bit)
			n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s",
					      n ? ";" : "", names[i].name);
	return out;
}

/* Node readiness and conditions (before the requests: a node known down
 * is not asked for its kubelet's numbers). */
static void apply_nodes(struct collector *c, struct sample *rows, size_t n)
{
	struct strmap nodes = STRMAP_INIT;

	if (!c->nodes_ok)
		return;
	kube_cache_foreach(&c->nodes, take_node, &nodes);
	for (size_t i = 0; i < n; i++) {
		struct sample *s = &rows[i];
		struct nodeinfo *ni;
		char cond[128];

		if (!s->node || !(ni = strmap_get(&nodes, s->node)))
			continue;
		s->node_ready = ni->ready < 0 ? NAN : ni->ready;
		sample_set_str(&s->node_conditions, conditions_text(ni->conditions, cond, sizeof(cond)));
	}
	strmap_clear(&nodes, free_value);
}

static void apply_events(struct collector *c, struct sample *rows, size_t n, int64_t now_ms)
{
	struct strmap evs = STRMAP_INIT;
	struct evctx ec = { &evs, now_ms - c->interval_ms };
	struct buf key = BUF_INIT;

	if (!c->events_ok)
		return;
	kube_cache_foreach(&c->events, take_event, &ec);
	for (size_t i = 0; i < n; i++) {
		struct sample *s = &rows[i];
		struct counters *prev;
		struct evagg *a;

		buf_reset(&key);
		collector_key(&key, s->namespace, s->pod);
		a = strmap_get(&evs, key.data);
		prev = collector_row_counters(c, s);
		if (a && a->reason) {
			sample_set_str(&s->last_event_reason, a->reason);
			sample_set_str(&s->last_event_message, a->message);
			sample_set_str(&s->last_event_type, a->type);
			sample_set_str(&s->last_event_source, a->source);
			if (a->last_ms)
				s->last_event_age_s = (double)(now_ms - a->last_ms) / 1000.0;
		}
		/* Warnings since the previous cycle, from the occurrence counts;
		 * on the first sight of a pod, those within the last interval. */
		{
			double total = a ? a->warn_total : 0;
			if (prev->warn_seen)
				s->warning_events = total > prev->warn_total ? total - prev->warn_total : 0;
			else
				s->warning_events = a ? a->warn_recent : 0;
			prev->warn_total = total;
			prev->warn_seen = true;
		}
		if (s->node) {
			buf_reset(&key);
			buf_addf(&key, "/%s", s->node);
			a = strmap_get(&evs, key.data);
			if (a && a->reason) {
				sample_set_str(&s->node_event_reason, a->reason);
				sample_set_str(&s->node_event_message, a->message);
				sample_set_str(&s->node_event_source, a->source);
				if (a->last_ms)
					s->node_event_age_s = (double)(now_ms - a->last_ms) / 1000.0;
			}
		}
	}
	buf_release(&key);
	strmap_clear(&evs, free_evagg);
}

struct counters *collector_counters(struct collector *c, const char *key)
{
	struct counters *k = strmap_get(&c->prev, key);
	if (!k) {
		k = xcalloc(1, sizeof(*k));
		k->rx_bps = k->tx_bps = k->rxe_ps = k->txe_ps = NAN;
		k->rxd_ps = k->txd_ps = NAN;
		strmap_put(&c->prev, key, k);
	}
	k->seen = c->cycles;
	return k;
}

struct counters *collector_row_counters(struct collector *c, const struct sample *s)
{
	struct buf key = BUF_INIT;
	struct counters *k;

	if (c->row_ctr && s >= c->row_base && s < c->row_base + c->row_n)
		return c->row_ctr[s - c->row_base];
	collector_key(&key, s->namespace, s->pod);
	k = collector_counters(c, key.data);
	buf_release(&key);
	return k;
}

/* Forgets pods that were not seen this cycle (deleted pods' counters). */
static void forget_gone(struct collector *c)
{
	struct strvec gone = STRVEC_INIT;
	size_t it;

	for (struct strmap_entry *e = strmap_first(&c->prev, &it); e; e = strmap_next(&c->prev, e, &it))
		if (((struct counters *)e->value)->seen != c->cycles)
			strvec_push(&gone, e->key);
	for (size_t i = 0; i < gone.n; i++)
		free(strmap_remove(&c->prev, gone.v[i]));
	strvec_clear(&gone);
}

static void derive(struct sample *s, const struct rowextra *x, int64_t now_ms)
{
	double cpu_base = isnan(s->cpu_limit_mcores) ? s->cpu_request_mcores : s->cpu_limit_mcores;
	double mem_base = isnan(s->mem_limit_bytes) ? s->mem_request_bytes : s->mem_limit_bytes;

	s->ts_ms = now_ms;
	if (!isnan(s->cpu_mcores) && cpu_base > 0)
		s->cpu_pct = s->cpu_mcores / cpu_base * 100.0;
	if (!isnan(s->mem_bytes) && mem_base > 0)
		s->mem_pct = s->mem_bytes / mem_base * 100.0;
	if (x->created_ms)
		s->pod_age_s = (double)(now_ms - x->created_ms) / 1000.0;
}

int collector_cycle(struct collector *c, struct sample **rows_out, size_t *nrows,
		    char *err, size_t errlen)
{
	struct rows r;
	int64_t t0 = time_mono_ms(), now_ms;
	int rc;

	if (!c->started) {
		rc = start(c, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		/* A pods watch that keeps failing (RBAC revoked, server gone) is an error. */
		struct kube_error e;
		rc = kube_cache_wait_synced(&c->pods, 0, &e);
		if (rc < 0 && rc != -ETIMEDOUT) {
			snprintf(err, errlen, "%s", e.msg);
			return rc;
		}
	}
	c->cycles++;
	memset(&r, 0, sizeof(r));
	r.max = c->max_pods;
	r.ncustom = c->ncustom;
	now_ms = time_real_ms();
	kube_cache_foreach(&c->pods, take_pod, &r);
	if (r.dropped)
		collector_note(c, NOTE_CAP, "tracking only %zu of %zu pods (the cap)",
			       r.n, r.n + r.dropped);
	/* Sort rows and their extras together. */
	{
		struct sortrow { struct sample s; struct rowextra x; } *tmp = xmalloc((r.n ? r.n : 1) * sizeof(*tmp));
		for (size_t i = 0; i < r.n; i++) {
			tmp[i].s = r.v[i];
			tmp[i].x = r.x[i];
		}
		qsort(tmp, r.n, sizeof(*tmp), cmp_rows);
		for (size_t i = 0; i < r.n; i++) {
			r.v[i] = tmp[i].s;
			r.x[i] = tmp[i].x;
		}
		free(tmp);
	}
	/* Every pod seen now keeps its counters, whichever source answered;
	 * the sources find them by row. */
	{
		struct buf key = BUF_INIT;
		c->row_ctr = xcalloc(r.n ? r.n : 1, sizeof(*c->row_ctr));
		c->row_base = r.v;
		c->row_n = r.n;
		for (size_t i = 0; i < r.n; i++) {
			buf_reset(&key);
			collector_key(&key, r.v[i].namespace, r.v[i].pod);
			c->row_ctr[i] = collector_counters(c, key.data);
		}
		buf_release(&key);
	}
	apply_nodes(c, r.v, r.n);
	/* Every request of the cycle at once. The metrics' timestamps give the
	 * cluster's clock, which the rows and the event window follow when it
	 * runs ahead of ours (a simulated cluster at a faster speed); a frozen
	 * or lagging one leaves our clock, so cycles keep distinct times. */
	collector_fetch(c, r.v, r.n, now_ms);
	if (c->stats.cluster_ms > now_ms)
		now_ms = c->stats.cluster_ms;
	apply_events(c, r.v, r.n, now_ms);
	collector_owners(c, r.v, r.x, r.n);
	collector_hpas(c, r.v, r.n);
	collector_prometheus(c, r.v, r.n);
	for (size_t i = 0; i < r.n; i++) {
		derive(&r.v[i], &r.x[i], now_ms);
		free(r.x[i].owner_kind);
		free(r.x[i].owner_name);
	}
	free(r.x);
	free(c->row_ctr);
	c->row_ctr = NULL;
	c->row_base = NULL;
	c->row_n = 0;
	forget_gone(c);
	c->stats.pods = r.n;
	c->stats.nodes = c->nodes_ok ? kube_cache_size(&c->nodes) : 0;
	c->stats.events = c->events_ok ? kube_cache_size(&c->events) : 0;
	c->stats.cycle_ms = time_mono_ms() - t0;
	if (r.n)
		c->stats.stamp_ms = now_ms;
	*rows_out = r.v;
	*nrows = r.n;
	return 0;
}

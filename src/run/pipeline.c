#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/pipeline.h"
#include "detect/podmodel.h"
#include "net/http.h"
#include "insight/advice.h"
#include "serve/alerts.h"
#include "serve/expo.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strvec.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define MAX_NODES_PER_BATCH 20000

void pipeline_init(struct pipeline *p, double threshold, const char *insights_path,
		   size_t max_pods)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pod_detector_init(&p->det, max_pods);
	insight_store_init(&p->store, threshold);
	str_copy(p->store.model_name, "none", sizeof(p->store.model_name));
	p->insights_path = insights_path ? xstrdup(insights_path) : NULL;
}

void pipeline_release(struct pipeline *p)
{
	if (!p)
		return;
	pod_detector_release(&p->det);
	if (p->have_model > 0)
		lstm_release(&p->model);
	p->have_model = 0;
	insight_store_release(&p->store);
	strmap_clear(&p->announced, NULL);
	strmap_clear(&p->peaks, free);
	strmap_clear(&p->wpeaks, free);
	free(p->insights_path);
	pthread_mutex_destroy(&p->mu);
}

int pipeline_add_hook(struct pipeline *p, pipeline_hook fn, void *ctx)
{
	if (p->nhooks >= PIPELINE_MAX_HOOKS)
		return -ENOSPC;
	p->hooks[p->nhooks].fn = fn;
	p->hooks[p->nhooks].ctx = ctx;
	p->nhooks++;
	return 0;
}

void pipeline_lock(struct pipeline *p)
{
	pthread_mutex_lock(&p->mu);
}

void pipeline_unlock(struct pipeline *p)
{
	pthread_mutex_unlock(&p->mu);
}

void pipeline_set_threshold(struct pipeline *p, double threshold)
{
	pipeline_lock(p);
	p->store.threshold = threshold;
	pipeline_unlock(p);
}

int pipeline_set_model(struct pipeline *p, const struct lstm *m, const char *name, bool use_lstm,
		       char *err, size_t errlen)
{
	int rc;

	pipeline_lock(p);
	rc = pod_detector_set_model(&p->det, m, use_lstm, err, errlen);
	if (rc == 0) {
		const char *base = name ? strrchr(name, '/') : NULL;
		str_copy(p->store.model_name, base ? base + 1 : name ? name : "none",
			 sizeof(p->store.model_name));
		snprintf(p->store.model_version, sizeof(p->store.model_version), "%s%s",
			 m && m->ncal ? "calibrated" : "uncalibrated", use_lstm ? "" : "-nolstm");
	}
	pipeline_unlock(p);
	return rc;
}

int pipeline_load_model(struct pipeline *p, const struct config *c, char *desc, size_t desclen,
			char *err, size_t errlen)
{
	const char *path;

	p->have_model = pod_model_load(c, NULL, &p->model, &path, err, errlen);
	if (p->have_model < 0)
		return -1;
	if (p->have_model &&
	    pipeline_set_model(p, &p->model, path, config_bool(c, "model.lstm"), err, errlen) < 0)
		return -1;
	pod_model_describe(&p->model, p->have_model, path, desc, desclen);
	return 0;
}

void pipeline_collect_failed(struct pipeline *p)
{
	pipeline_lock(p);
	p->stats.collect_errors++;
	pipeline_unlock(p);
}

void pipeline_cycle_time(struct pipeline *p, double seconds)
{
	pipeline_lock(p);
	p->stats.last_cycle_s = seconds;
	p->stats.last_ok_wall_ms = time_real_ms();
	pipeline_unlock(p);
}

void pipeline_set_period(struct pipeline *p, int64_t period_ms)
{
	pipeline_lock(p);
	p->stats.period_ms = period_ms;
	pipeline_unlock(p);
}

int64_t pipeline_overdue_ms(int64_t period_ms)
{
	return period_ms > 0 ? 2 * period_ms + 10000 : 10 * 60 * 1000;
}

const double pipeline_cycle_bounds[PIPE_NBUCKETS] = {
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
};

void pipeline_cycle_stages(struct pipeline *p, const double stage_s[PIPE_NSTAGES],
			   double total_s, uint64_t csv_bytes, uint64_t csv_rotated_bytes)
{
	pipeline_lock(p);
	for (int i = 0; i < PIPE_NSTAGES; i++) {
		p->stats.stage_s[i] = stage_s[i];
		p->stats.stage_total_s[i] += stage_s[i];
	}
	for (int i = 0; i < PIPE_NBUCKETS; i++)
		if (total_s <= pipeline_cycle_bounds[i])
			p->stats.cycle_bucket[i]++;
	p->stats.cycle_count++;
	p->stats.cycle_sum_s += total_s;
	p->stats.csv_bytes = csv_bytes;
	p->stats.csv_rotated_bytes = csv_rotated_bytes;
	pipeline_unlock(p);
}

size_t pipeline_open_insights(const struct insight_store *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += !s->items[i]->resolved_ms;
	return n;
}

static void copy_signals(struct signal *dst, const struct pod_verdict *v)
{
	for (size_t i = 0; i < v->nsignals; i++) {
		str_copy(dst[i].metric, v->signals[i].metric, sizeof(dst[i].metric));
		dst[i].value = v->signals[i].value;
		dst[i].expected_lo = v->signals[i].expected_lo;
		dst[i].expected_hi = v->signals[i].expected_hi;
	}
}

static size_t gather_evidence(const struct sample *s, const struct pod_verdict *v,
			      struct evidence *ev)
{
	size_t n = 0;

	if (s->reason && *s->reason) {
		str_copy(ev[n].kind, "container_state", sizeof(ev[n].kind));
		str_copy(ev[n].reason, s->reason, sizeof(ev[n].reason));
		str_copy(ev[n].message, s->error_message ? s->error_message : "", sizeof(ev[n].message));
		ev[n++].count = isfinite(s->restarts) ? (int)s->restarts : 0;
	}
	if (s->last_event_reason && *s->last_event_reason) {
		str_copy(ev[n].kind, "event", sizeof(ev[n].kind));
		str_copy(ev[n].reason, s->last_event_reason, sizeof(ev[n].reason));
		str_copy(ev[n].message, s->last_event_message ? s->last_event_message : "",
			 sizeof(ev[n].message));
		ev[n++].count = isfinite(s->warning_events) ? (int)s->warning_events : 0;
	}
	if (v->type == AT_NODE && s->node_conditions && *s->node_conditions) {
		str_copy(ev[n].kind, "node_condition", sizeof(ev[n].kind));
		str_copy(ev[n].reason, s->node_conditions, sizeof(ev[n].reason));
		snprintf(ev[n].message, sizeof(ev[n].message), "node %s reports %s",
			 s->node ? s->node : "?", s->node_conditions);
		ev[n++].count = 1;
	}
	if (!n && v->reason[0]) {
		str_copy(ev[n].kind, "detector", sizeof(ev[n].kind));
		str_copy(ev[n].reason, v->reason, sizeof(ev[n].reason));
		ev[n].message[0] = '\0';
		ev[n++].count = 1;
	}
	return n;
}

/* Keeps the highest memory, CPU and throttled CPU seen by each open insight (for advice). */
static double *peaks_of(struct pipeline *p, const struct insight *in)
{
	double *pk = strmap_get(&p->peaks, in->id);

	if (!pk) {
		pk = xcalloc(4, sizeof(double));
		strmap_put(&p->peaks, in->id, pk);
	}
	return pk;
}

/*
 * The highest working set of any pod of a workload over the last one to
 * two hours (two one-hour buckets): what the workload uses, also from pods
 * an incident does not name (those of the revision before a release). The
 * memory a pod that is OOM-killed needs is hidden by its limit; this is the
 * measured value advice can go by.
 */
struct wpeak {
	double cur, prev;               /* memory, bytes */
	double cpu_cur, cpu_prev;       /* CPU use, cores */
	int64_t cur_from;
};

#define WPEAK_BUCKET_MS (60LL * 60 * 1000)
#define WPEAK_MAX 50000

static void wpeak_key(struct buf *key, const char *ns, const char *owner)
{
	buf_reset(key);
	buf_addf(key, "%s/%s", ns ? ns : "", owner ? owner : "");
}

static void wpeak_note(struct pipeline *p, const struct sample *s)
{
	struct buf key = BUF_INIT;
	struct wpeak *w;

	if (!s->owner_name || (!isfinite(s->mem_bytes) && !isfinite(s->cpu_mcores)))
		return;
	wpeak_key(&key, s->namespace, s->owner_name);
	w = strmap_get(&p->wpeaks, key.data);
	if (!w) {
		if (p->wpeaks.n >= WPEAK_MAX)
			strmap_clear(&p->wpeaks, free); /* a bound, not a policy: it refills within a cycle */
		w = xcalloc(1, sizeof(*w));
		w->cur_from = s->ts_ms;
		strmap_put(&p->wpeaks, key.data, w);
	}
	if (s->ts_ms - w->cur_from >= WPEAK_BUCKET_MS) {
		bool old = s->ts_ms - w->cur_from >= 2 * WPEAK_BUCKET_MS;

		w->prev = old ? 0 : w->cur;
		w->cpu_prev = old ? 0 : w->cpu_cur;
		w->cur = w->cpu_cur = 0;
		w->cur_from = s->ts_ms;
	}
	if (isfinite(s->mem_bytes) && s->mem_bytes > w->cur)
		w->cur = s->mem_bytes;
	if (isfinite(s->cpu_mcores) && s->cpu_mcores / 1000.0 > w->cpu_cur)
		w->cpu_cur = s->cpu_mcores / 1000.0;
	buf_release(&key);
}

/* The workload's memory (cpu false) or CPU peak of the last hour or two; 0 unknown. */
static double wpeak_of(struct pipeline *p, const struct insight *in, bool cpu)
{
	struct buf key = BUF_INIT;
	const struct wpeak *w;

	wpeak_key(&key, in->namespace_, in->owner_name);
	w = in->owner_name ? strmap_get(&p->wpeaks, key.data) : NULL;
	buf_release(&key);
	if (!w)
		return 0;
	return cpu ? fmax(w->cpu_cur, w->cpu_prev) : fmax(w->cur, w->prev);
}

static size_t copy_components(struct component *dst, const struct pod_verdict *v)
{
	for (size_t i = 0; i < v->ncomps; i++) {
		str_copy(dst[i].detector, pod_component_name(v->comps[i].detector), sizeof(dst[i].detector));
		str_copy(dst[i].metric, v->comps[i].metric, sizeof(dst[i].metric));
		dst[i].score = v->comps[i].score;
	}
	return v->ncomps;
}

static void observe_pod(struct pipeline *p, const struct sample *s, const struct pod_verdict *v)
{
	struct signal sig[POD_VERDICT_MAX_SIGNALS];
	struct component comps[POD_VERDICT_MAX_COMPONENTS];
	struct evidence ev[4];
	struct finding f;
	struct insight *in;

	memset(&f, 0, sizeof(f));
	f.namespace_ = s->namespace;
	f.pod = s->pod;
	f.node = s->node;
	f.owner_kind = s->owner_kind;
	f.owner_name = s->owner_name;
	f.sample_ms = s->ts_ms;
	f.probability = v->probability;
	f.score = v->score;
	f.anomaly_type = v->type == AT_NONE ? NULL : pod_anomaly_name(v->type);
	f.ncomponents = copy_components(comps, v);
	f.components = comps;
	copy_signals(sig, v);
	f.signals = sig;
	f.nsignals = v->nsignals;
	f.nevidence = gather_evidence(s, v, ev);
	f.evidence = ev;
	wpeak_note(p, s);
	in = insight_store_observe(&p->store, &f);
	if (in) {
		double *pk = peaks_of(p, in);
		if (isfinite(s->mem_bytes) && s->mem_bytes > pk[0])
			pk[0] = s->mem_bytes;
		if (isfinite(s->cpu_mcores) && s->cpu_mcores / 1000.0 > pk[1])
			pk[1] = s->cpu_mcores / 1000.0;
		if (isfinite(s->cpu_throttled_mcores) && s->cpu_throttled_mcores / 1000.0 > pk[2])
			pk[2] = s->cpu_throttled_mcores / 1000.0;
		/* demand is use plus unmet demand of one sample: maxima of different
		 * moments (a burst before, the use at a raised limit after) do not add */
		if (isfinite(s->cpu_mcores) && isfinite(s->cpu_throttled_mcores) &&
		    (s->cpu_mcores + s->cpu_throttled_mcores) / 1000.0 > pk[3])
			pk[3] = (s->cpu_mcores + s->cpu_throttled_mcores) / 1000.0;
	}
}

static void observe_node(struct pipeline *p, const struct pod_node_verdict *nv, int64_t ts)
{
	struct signal sig[POD_VERDICT_MAX_SIGNALS];
	struct component comps[POD_VERDICT_MAX_COMPONENTS];
	struct evidence ev;
	struct finding f;

	if (nv->v.probability < p->store.threshold) {
		insight_store_node_normal(&p->store, nv->node, ts);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.node = nv->node;
	f.sample_ms = ts;
	f.probability = nv->v.probability;
	f.score = nv->v.score;
	f.ncomponents = copy_components(comps, &nv->v);
	f.components = comps;
	f.anomaly_type = pod_anomaly_name(AT_NODE);
	copy_signals(sig, &nv->v);
	f.signals = sig;
	f.nsignals = nv->v.nsignals;
	memset(&ev, 0, sizeof(ev));
	str_copy(ev.kind, "node_condition", sizeof(ev.kind));
	str_copy(ev.reason, nv->v.reason, sizeof(ev.reason));
	snprintf(ev.message, sizeof(ev.message), "node %s: %s", nv->node, nv->v.reason);
	ev.count = 1;
	f.evidence = &ev;
	f.nevidence = 1;
	insight_store_observe(&p->store, &f);
}

static bool node_is_down(const struct pod_node_verdict *nv)
{
	return nv->v.type == AT_NODE &&
	       (!strcmp(nv->v.reason, "NotReady") || !strcmp(nv->v.reason, "NodeStatusUnknown"));
}

/* The nodes of the batch that are down, by name (a lookup per row, not a
 * scan of the nodes). */
static void down_nodes(const struct pod_node_verdict *nv, size_t nn, struct strmap *out)
{
	for (size_t i = 0; i < nn; i++)
		if (node_is_down(&nv[i]))
			strmap_put(out, nv[i].node, (void *)&nv[i]);
}

static bool in_incident(const struct insight *in, const char *pod)
{
	for (size_t i = 0; i < in->npods; i++)
		if (str_eq(in->pods[i], pod))
			return true;
	return false;
}

/* The batch's rows by "ns/pod" and by "ns/owner" (a chain of row indices in
 * row order), built once for all the insights a batch advises. */
struct rowindex {
	struct strmap by_pod, by_owner;  /* by_owner: -> struct chain */
	size_t *next;
	bool built;
};

struct chain {
	size_t first, last;
};

static void rowindex_build(struct rowindex *x, const struct sample *rows, size_t n)
{
	struct buf key = BUF_INIT;

	x->next = xmalloc((n ? n : 1) * sizeof(*x->next));
	for (size_t i = 0; i < n; i++) {
		struct chain *c;
		x->next[i] = SIZE_MAX;
		buf_reset(&key);
		buf_addf(&key, "%s/%s", rows[i].namespace ? rows[i].namespace : "",
			 rows[i].pod ? rows[i].pod : "");
		strmap_put(&x->by_pod, key.data, (void *)1);
		if (!rows[i].owner_name)
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s/%s", rows[i].namespace ? rows[i].namespace : "", rows[i].owner_name);
		c = strmap_get(&x->by_owner, key.data);
		if (!c) {
			c = xmalloc(sizeof(*c));
			c->first = c->last = i;
			strmap_put(&x->by_owner, key.data, c);
		} else {
			x->next[c->last] = i;
			c->last = i;
		}
	}
	buf_release(&key);
	x->built = true;
}

static void rowindex_release(struct rowindex *x)
{
	strmap_clear(&x->by_pod, NULL);
	strmap_clear(&x->by_owner, free);
	free(x->next);
	memset(x, 0, sizeof(*x));
}

/*
 * The facts advice needs about an insight's workload, from this batch. The
 * resources are those of the incident's own pods when the batch has them:
 * during a rollout the workload's pods disagree, and the affected pods carry
 * what the deployment's template says now.
 */
static void facts_for(struct pipeline *p, const struct insight *in, const struct sample *rows,
		      size_t n, struct rowindex *x, struct workload_facts *wf)
{
	double *pk = peaks_of(p, in);
	struct buf key = BUF_INIT;
	const struct chain *c = NULL;
	bool own = false;

	memset(wf, 0, sizeof(*wf));
	wf->cpu_request = wf->cpu_limit = wf->mem_request = wf->mem_limit = NAN;
	if (!x->built)
		rowindex_build(x, rows, n);
	for (size_t i = 0; i < in->npods && !own; i++) {
		buf_reset(&key);
		buf_addf(&key, "%s/%s", in->namespace_ ? in->namespace_ : "", in->pods[i] ? in->pods[i] : "");
		own = strmap_get(&x->by_pod, key.data) != NULL;
	}
	if (in->owner_name) {
		buf_reset(&key);
		buf_addf(&key, "%s/%s", in->namespace_ ? in->namespace_ : "", in->owner_name);
		c = strmap_get(&x->by_owner, key.data);
	}
	buf_release(&key);
	for (size_t i = c ? c->first : SIZE_MAX; i != SIZE_MAX; i = x->next[i]) {
		const struct sample *s = &rows[i];
		wf->replicas++;
		if (own && !in_incident(in, s->pod))
			continue;
		if (isfinite(s->cpu_request_mcores))
			wf->cpu_request = s->cpu_request_mcores / 1000.0;
		if (isfinite(s->cpu_limit_mcores))
			wf->cpu_limit = s->cpu_limit_mcores / 1000.0;
		if (isfinite(s->mem_request_bytes))
			wf->mem_request = s->mem_request_bytes;
		if (isfinite(s->mem_limit_bytes))
			wf->mem_limit = s->mem_limit_bytes;
	}
	wf->mem_peak = pk[0] > 0 ? pk[0] : NAN;
	/* after an OOM kill the pods' own peak is cut off by the limit: the
	 * workload's other pods (the revision before a release) show its use */
	if (str_eq(in->anomaly_type, "oom") && wpeak_of(p, in, false) > (pk[0] > 0 ? pk[0] : 0))
		wf->mem_peak = wpeak_of(p, in, false);
	/* pods that are not scheduled use nothing: what the workload's running
	 * pods used is what lower requests go by */
	if (str_eq(in->anomaly_type, "scheduling")) {
		wf->mem_peak = wpeak_of(p, in, false) > 0 ? wpeak_of(p, in, false) : NAN;
		wf->cpu_peak = wpeak_of(p, in, true) > 0 ? wpeak_of(p, in, true) : NAN;
	}
	wf->cpu_peak = pk[1] > 0 ? pk[1] : NAN;
	wf->cpu_throttled = pk[2] > 0 ? pk[2] : NAN;
	wf->cpu_demand = pk[3] > 0 ? pk[3] : NAN;
}

static void call_hooks(struct pipeline *p, enum pipeline_event ev, struct insight *in)
{
	for (int i = 0; i < p->nhooks; i++)
		p->hooks[i].fn(p->hooks[i].ctx, ev, in);
}

/* Advises insights that changed, announces openings and resolutions, and
 * forgets what belongs to insights that aged out. */
static void after_batch(struct pipeline *p, const struct sample *rows, size_t n, int64_t ts)
{
	struct strvec gone = STRVEC_INIT;
	struct rowindex x;
	size_t it;

	memset(&x, 0, sizeof(x));
	for (size_t i = 0; i < p->store.n; i++) {
		struct insight *in = p->store.items[i];
		uintptr_t said = (uintptr_t)strmap_get(&p->announced, in->id);
		struct workload_facts wf;

		if (in->updated_ms == ts || !said) {
			facts_for(p, in, rows, n, &x, &wf);
			if (!in->resolved_ms)
				insight_advise(in, &wf);
		}
		if (!said && !in->resolved_ms) {
			strmap_put(&p->announced, in->id, (void *)(uintptr_t)1);
			p->stats.opened++;
			call_hooks(p, PIPE_OPENED, in);
		} else if (said == 1 && in->resolved_ms) {
			strmap_put(&p->announced, in->id, (void *)(uintptr_t)2);
			p->stats.resolved++;
			call_hooks(p, PIPE_RESOLVED, in);
		} else if (said == 1 && in->updated_ms == ts) {
			call_hooks(p, PIPE_UPDATED, in);
		} else if (!said) {
			strmap_put(&p->announced, in->id, (void *)(uintptr_t)2);
		}
	}
	if (p->announced.n > p->store.n + 64) {
		struct strmap live = STRMAP_INIT;
		for (size_t i = 0; i < p->store.n; i++)
			strmap_put(&live, p->store.items[i]->id, (void *)1);
		for (struct strmap_entry *e = strmap_first(&p->announced, &it); e;
		     e = strmap_next(&p->announced, e, &it))
			if (!strmap_get(&live, e->key))
				strvec_push(&gone, e->key);
		for (size_t i = 0; i < gone.n; i++) {
			strmap_remove(&p->announced, gone.v[i]);
			free(strmap_remove(&p->peaks, gone.v[i]));
		}
		strmap_clear(&live, NULL);
		strvec_clear(&gone);
	}
	rowindex_release(&x);
}

int pipeline_feed(struct pipeline *p, const struct sample *rows, size_t n,
		  char *err, size_t errlen)
{
	struct pod_node_verdict *nv = NULL;
	struct pod_verdict *pv = NULL;
	struct strmap down = STRMAP_INIT;
	size_t nn = 0;
	int64_t ts = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (rows[i].ts_ms > ts)
			ts = rows[i].ts_ms;
	if (n) {
		nv = xmalloc((n < MAX_NODES_PER_BATCH ? n : MAX_NODES_PER_BATCH) * sizeof(*nv));
		pv = xmalloc(n * sizeof(*pv));
	}
	pipeline_lock(p);
	if (n)
		nn = pod_detector_nodes(&p->det, rows, n, nv,
					n < MAX_NODES_PER_BATCH ? n : MAX_NODES_PER_BATCH);
	for (size_t i = 0; i < nn; i++)
		observe_node(p, &nv[i], ts);
	down_nodes(nv, nn, &down);
	if (n)
		pod_detector_observe_batch(&p->det, rows, n, pv);
	for (size_t i = 0; i < n; i++) {
		if (pv[i].skip || (rows[i].node && strmap_get(&down, rows[i].node))) {
			p->stats.skipped_rows++;
			continue;
		}
		observe_pod(p, &rows[i], &pv[i]);
	}
	after_batch(p, rows, n, ts);
	insight_store_expire(&p->store, ts);
	/* Pods unseen for an hour are gone (deleted, or out of the namespace). */
	if (ts > 3600 * 1000LL)
		pod_detector_forget(&p->det, ts - 3600 * 1000LL);
	p->stats.cycles++;
	p->stats.rows += n;
	if (ts > p->stats.last_feed_ms)
		p->stats.last_feed_ms = ts;
	p->ready = true;
	pipeline_unlock(p);
	strmap_clear(&down, NULL);
	free(nv);
	free(pv);
	if (p->insights_path)
		rc = pipeline_flush(p, err, errlen);
	return rc;
}

int pipeline_flush(struct pipeline *p, char *err, size_t errlen)
{
	int rc;

	if (!p->insights_path)
		return 0;
	pipeline_lock(p);
	rc = insight_store_write(&p->store, p->insights_path,
				 p->stats.last_feed_ms ? p->stats.last_feed_ms : time_real_ms());
	if (rc < 0)
		p->stats.write_errors++;
	pipeline_unlock(p);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", p->insights_path, strerror(-rc));
	return rc;
}

json_t *pipeline_insights_json(struct pipeline *p)
{
	json_t *j;

	pipeline_lock(p);
	j = insight_store_json(&p->store, p->stats.last_feed_ms ? p->stats.last_feed_ms
								 : time_real_ms());
	pipeline_unlock(p);
	return j;
}

static void counter(struct buf *out, const char *name, const char *help, double v)
{
	expo_family(out, name, "counter", help);
	expo_sample(out, name, NULL, v);
}

static void gauge(struct buf *out, const char *name, const char *help, double v)
{
	expo_family(out, name, "gauge", help);
	expo_sample(out, name, NULL, v);
}

/* The monitor's cost: the cycle histogram, time per stage, the HTTP pool,
 * the bytes written (docs/monitor.md). */
static void cycle_metrics(struct buf *out, const struct pipeline_stats *st)
{
	static const char *const stages[PIPE_NSTAGES] = { "collect", "csv", "detect" };
	struct http_counters hc;
	char le[32];

	expo_family(out, "kubemend_cycle_duration_seconds", "histogram",
		    "Duration of monitor cycles (collect, CSV, detect and insights).");
	for (int i = 0; i < PIPE_NBUCKETS; i++) {
		const char *labels[] = { "le", le, NULL };
		snprintf(le, sizeof(le), "%g", pipeline_cycle_bounds[i]);
		expo_sample(out, "kubemend_cycle_duration_seconds_bucket", labels,
			    (double)st->cycle_bucket[i]);
	}
	{
		const char *labels[] = { "le", "+Inf", NULL };
		expo_sample(out, "kubemend_cycle_duration_seconds_bucket", labels,
			    (double)st->cycle_count);
	}
	expo_sample(out, "kubemend_cycle_duration_seconds_sum", NULL, st->cycle_sum_s);
	expo_sample(out, "kubemend_cycle_duration_seconds_count", NULL, (double)st->cycle_count);
	expo_family(out, "kubemend_stage_duration_seconds", "gauge",
		    "Time of each stage in the latest cycle.");
	for (int i = 0; i < PIPE_NSTAGES; i++) {
		const char *labels[] = { "stage", stages[i], NULL };
		expo_sample(out, "kubemend_stage_duration_seconds", labels, st->stage_s[i]);
	}
	expo_family(out, "kubemend_stage_seconds_total", "counter",
		    "Time spent in each stage since start.");
	for (int i = 0; i < PIPE_NSTAGES; i++) {
		const char *labels[] = { "stage", stages[i], NULL };
		expo_sample(out, "kubemend_stage_seconds_total", labels, st->stage_total_s[i]);
	}
	http_counters_get(&hc);
	gauge(out, "kubemend_api_requests_in_flight", "API requests being transferred now.",
	      (double)hc.in_flight);
	gauge(out, "kubemend_api_requests_queued",
	      "API requests of the current cycle waiting to start or to be retried.",
	      (double)hc.queued);
	counter(out, "kubemend_api_requests_total", "API request attempts, retries included.",
		(double)hc.attempts);
	counter(out, "kubemend_api_retries_total", "API requests retried (5xx, 429, transport errors).",
		(double)hc.retries);
	counter(out, "kubemend_csv_bytes_written_total", "Bytes of rows appended to the metrics CSV.",
		(double)st->csv_bytes);
	gauge(out, "kubemend_csv_rotated_bytes", "Bytes of rotated (gzip) CSV files kept.",
	      (double)st->csv_rotated_bytes);
}

void pipeline_metrics(struct pipeline *p, struct buf *out)
{
	struct buf ns = BUF_INIT;
	size_t it;

	pipeline_lock(p);
	counter(out, "kubemend_cycles_total", "Collection and detection cycles run.",
		(double)p->stats.cycles);
	gauge(out, "kubemend_last_cycle_duration_seconds", "Duration of the latest cycle.",
	      p->stats.last_cycle_s);
	cycle_metrics(out, &p->stats);
	counter(out, "kubemend_api_errors_total", "Collection cycles that failed to read the cluster.",
		(double)p->stats.collect_errors);
	counter(out, "kubemend_insight_write_errors_total", "Failed writes of the insights file.",
		(double)p->stats.write_errors);
	counter(out, "kubemend_rows_total", "Sample rows analysed.", (double)p->stats.rows);
	gauge(out, "kubemend_pods_tracked", "Pods with detector state.",
	      (double)pod_detector_npods(&p->det));
	gauge(out, "kubemend_detector_pod_state_bytes", "Bytes of detector state per tracked pod.",
	      (double)sizeof(struct pod_state));
	gauge(out, "kubemend_insights_open", "Insights currently open.",
	      (double)pipeline_open_insights(&p->store));
	counter(out, "kubemend_insights_opened_total", "Insights opened since start.",
		(double)p->stats.opened);
	counter(out, "kubemend_insights_resolved_total", "Insights resolved since start.",
		(double)p->stats.resolved);
	gauge(out, "kubemend_alert_threshold", "Probability at which an insight opens.",
	      p->store.threshold);
	expo_family(out, "kubemend_pod_anomaly_probability", "gauge",
		    "Latest anomaly probability of each pod (0 to 1).");
	for (struct strmap_entry *e = strmap_first(&p->det.pods, &it); e;
	     e = strmap_next(&p->det.pods, e, &it)) {
		const struct pod_state *st = e->value;
		const char *slash = strchr(e->key, '/');
		const char *labels[5];

		if (!slash)
			continue;
		buf_reset(&ns);
		buf_add(&ns, e->key, (size_t)(slash - e->key));
		labels[0] = "namespace";
		labels[1] = ns.data;
		labels[2] = "pod";
		labels[3] = slash + 1;
		labels[4] = NULL;
		expo_sample(out, "kubemend_pod_anomaly_probability", labels, st->last_prob);
	}
	pipeline_unlock(p);
	buf_release(&ns);
}

static bool src_ready(void *ctx, char *why, size_t whylen)
{
	struct pipeline *p = ctx;
	bool ready;
	int64_t last, limit, now = time_real_ms();

	pipeline_lock(p);
	ready = p->ready;
	last = p->stats.last_ok_wall_ms;
	limit = pipeline_overdue_ms(p->stats.period_ms);
	pipeline_unlock(p);
	if (!ready) {
		snprintf(why, whylen, "no successful cycle yet");
		return false;
	}
	if (last && now - last > limit) {
		snprintf(why, whylen, "cycle overdue: the last successful cycle ended %.1f s ago "
			 "(limit %.1f s)", (double)(now - last) / 1000.0, (double)limit / 1000.0);
		return false;
	}
	return true;
}

static void src_metrics(void *ctx, struct buf *out)
{
	pipeline_metrics(ctx, out);
}

static json_t *src_insights(void *ctx)
{
	return pipeline_insights_json(ctx);
}

static json_t *src_alerts(void *ctx, int64_t now_ms, int64_t valid_ms, int64_t since_ms,
			  int64_t *feed_ms)
{
	struct pipeline *p = ctx;
	json_t *body;

	pipeline_lock(p);
	*feed_ms = p->stats.last_feed_ms;
	body = alerts_json(&p->store, p->store.threshold, now_ms, valid_ms, since_ms);
	pipeline_unlock(p);
	return body;
}

void pipeline_source(struct pipeline *p, struct serve_source *src)
{
	memset(src, 0, sizeof(*src));
	src->ctx = p;
	src->metrics = src_metrics;
	src->insights = src_insights;
	src->ready = src_ready;
	src->alerts = src_alerts;
}

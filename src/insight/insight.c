#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "insight/insight.h"
#include "base/banned.h"

void insight_store_init(struct insight_store *s, double threshold)
{
	memset(s, 0, sizeof(*s));
	s->threshold = threshold;
	s->resolve_after = 3;
	s->retain_resolved_ms = 3600 * 1000LL;
	s->max_insights = 1000;
	str_copy(s->model_name, "kubemend", sizeof(s->model_name));
	str_copy(s->model_version, "1", sizeof(s->model_version));
}

static void insight_free(struct insight *in)
{
	if (!in)
		return;
	free(in->namespace_);
	free(in->node);
	free(in->owner_kind);
	free(in->owner_name);
	free(in->anomaly_type);
	for (size_t i = 0; i < in->npods; i++)
		free(in->pods[i]);
	for (size_t i = 0; i < in->nrecs; i++)
		json_decref(in->recs[i].params);
	free(in->explanation);
	free(in->explanation_model);
	free(in);
}

void insight_store_release(struct insight_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		insight_free(s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = s->cap = 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static bool is_node_type(const char *type)
{
	return type && strcmp(type, "node") == 0;
}

/* Whether insight in is the incident finding f belongs to. */
static bool same_incident(const struct insight *in, const struct finding *f)
{
	if (in->resolved_ms || !str_eq(in->anomaly_type, f->anomaly_type))
		return false;
	if (is_node_type(f->anomaly_type))
		return str_eq(in->node, f->node && *f->node ? f->node : NULL);
	if (!str_eq(in->namespace_, f->namespace_))
		return false;
	if (f->owner_name && *f->owner_name)
		return str_eq(in->owner_kind, f->owner_kind) &&
		       str_eq(in->owner_name, f->owner_name);
	return in->npods && str_eq(in->pods[0], f->pod);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h * 1099511628211ULL;
}

static void make_id(struct insight *in)
{
	char ms[32];
	uint64_t h = 14695981039346656037ULL;

	snprintf(ms, sizeof(ms), "%lld", (long long)in->detected_ms);
	h = fnv1a(h, in->namespace_);
	h = fnv1a(h, in->owner_name ? in->owner_name : in->pods[0]);
	h = fnv1a(h, in->node);
	h = fnv1a(h, in->anomaly_type);
	h = fnv1a(h, ms);
	snprintf(in->id, sizeof(in->id), "i-%016llx", (unsigned long long)h);
}

static void set_severity(struct insight *in)
{
	const char *t = in->anomaly_type;
	bool grave = t && (!strcmp(t, "crash_loop") || !strcmp(t, "oom") ||
			   !strcmp(t, "node"));

	str_copy(in->severity, in->probability >= 0.9 || grave ? "critical" : "warning",
		 sizeof(in->severity));
}

static void copy_details(struct insight *in, const struct finding *f)
{
	size_t i;

	in->nsignals = f->nsignals < INSIGHT_MAX_SIGNALS ? f->nsignals : INSIGHT_MAX_SIGNALS;
	for (i = 0; i < in->nsignals; i++)
		in->signals[i] = f->signals[i];
	/* components accumulate, each at the highest score it reached */
	for (i = 0; i < f->ncomponents; i++) {
		const struct component *c = &f->components[i];
		size_t k;
		for (k = 0; k < in->ncomps; k++)
			if (!strcmp(in->comps[k].detector, c->detector) &&
			    !strcmp(in->comps[k].metric, c->metric))
				break;
		if (k < in->ncomps) {
			if (c->score > in->comps[k].score)
				in->comps[k].score = c->score;
		} else if (in->ncomps < INSIGHT_MAX_COMPONENTS) {
			in->comps[in->ncomps++] = *c;
		}
	}
	/* evidence accumulates: the events that led here stay visible */
	for (i = 0; i < f->nevidence; i++) {
		const struct evidence *e = &f->evidence[i];
		size_t k;
		for (k = 0; k < in->nevidence; k++)
			if (!strcmp(in->evidence[k].kind, e->kind) &&
			    !strcmp(in->evidence[k].reason, e->reason))
				break;
		if (k < in->nevidence) {
			in->evidence[k] = *e; /* newest message and count */
		} else if (in->nevidence < INSIGHT_MAX_EVIDENCE) {
			in->evidence[in->nevidence++] = *e;
		}
	}
}

static int pod_index(const struct insight *in, const char *pod)
{
	for (size_t i = 0; i < in->npods; i++)
		if (str_eq(in->pods[i], pod))
			return (int)i;
	return -1;
}

/* A metric's value as an SRE writes it: MiB, cores, %, per second. */
static void with_unit(const char *metric, double v, char *out, size_t n)
{
	size_t len = strlen(metric);
	bool ends = false;
#define ENDS(suf) (ends = len >= strlen(suf) && !strcmp(metric + len - strlen(suf), suf))
	if (ENDS("_bytes"))
		snprintf(out, n, "%.0f MiB", v / (1024.0 * 1024.0));
	else if (ENDS("_mcores"))
		snprintf(out, n, "%.2f cores", v / 1000.0);
	else if (ENDS("_pct"))
		snprintf(out, n, "%.0f%%", v);
	else if (ENDS("_bps"))
		snprintf(out, n, "%.1f KiB/s", v / 1024.0);
	else if (ENDS("_ps"))
		snprintf(out, n, "%.2f/s", v);
	else if (ENDS("_s"))
		snprintf(out, n, "%.0f s", v);
	else if (v == floor(v) && fabs(v) < 1e9)
		snprintf(out, n, "%.0f", v);
	else
		snprintf(out, n, "%.3g", v);
#undef ENDS
	(void)ends;
}

static void write_summary(struct insight *in)
{
	const char *what = in->anomaly_type;
	const struct signal *sig = NULL;
	bool plural = false;
	char where[200];
	struct buf out = BUF_INIT;

	if (is_node_type(what) || !in->npods) {
		snprintf(where, sizeof(where), "node %s", in->node ? in->node : "?");
	} else if (in->npods == 1) {
		snprintf(where, sizeof(where), "pod %s/%s", in->namespace_ ? in->namespace_ : "",
			 in->pods[0]);
	} else {
		snprintf(where, sizeof(where), "%zu pods of %s %s/%s", in->npods,
			 in->owner_kind ? in->owner_kind : "workload",
			 in->namespace_ ? in->namespace_ : "",
			 in->owner_name ? in->owner_name : "");
		plural = true;
	}
	/* the evidence is a signal outside its normal range, never one inside it */
	for (size_t i = 0; i < in->nsignals && !sig; i++) {
		const struct signal *g = &in->signals[i];

		if (!isfinite(g->expected_hi) || g->value > g->expected_hi || g->value < g->expected_lo)
			sig = g;
	}
	if (sig && isfinite(sig->expected_hi)) {
		char v[48], lo[48], hi[48];

		with_unit(sig->metric, sig->value, v, sizeof(v));
		with_unit(sig->metric, sig->expected_lo, lo, sizeof(lo));
		with_unit(sig->metric, sig->expected_hi, hi, sizeof(hi));
		if (!strcmp(lo, hi))
			buf_addf(&out, "%s %s %s: %s is %s, normally %s.",
				 where, plural ? "show" : "shows", what, sig->metric, v, lo);
		else
			buf_addf(&out, "%s %s %s: %s is %s, normally %s to %s.", where,
				 plural ? "show" : "shows", what, sig->metric, v, lo, hi);
	} else if (sig) {
		char v[48];

		with_unit(sig->metric, sig->value, v, sizeof(v));
		buf_addf(&out, "%s %s %s: %s is %s.",
			 where, plural ? "show" : "shows", what, sig->metric, v);
	} else {
		buf_addf(&out, "%s %s %s.", where,
			 plural ? "show" : "shows", what);
	}
	str_copy(in->summary, out.data ? out.data : "", sizeof(in->summary));
	buf_release(&out);
	in->summary[0] = (char)(in->summary[0] >= 'a' && in->summary[0] <= 'z'
				? in->summary[0] - 32 : in->summary[0]);
}

struct insight *insight_store_observe(struct insight_store *s, const struct finding *f)
{
	struct insight *in = NULL;
	int pi;

	if (!(f->probability >= s->threshold) || !f->anomaly_type) {
		if (f->namespace_ && f->pod)
			insight_store_normal(s, f->namespace_, f->pod, f->sample_ms);
		return NULL;
	}
	for (size_t i = 0; i < s->n && !in; i++)
		if (same_incident(s->items[i], f))
			in = s->items[i];
	if (!in) {
		in = xcalloc(1, sizeof(*in));
		in->namespace_ = is_node_type(f->anomaly_type) ? NULL : dup_or_null(f->namespace_);
		in->node = dup_or_null(f->node);
		in->owner_kind = dup_or_null(f->owner_kind);
		in->owner_name = dup_or_null(f->owner_name);
		in->anomaly_type = xstrdup(f->anomaly_type);
		in->detected_ms = f->sample_ms;
		if (f->pod && *f->pod) {
			in->pods[0] = xstrdup(f->pod);
			in->pod_active[0] = true;
			in->npods = 1;
		}
		make_id(in);
		str_copy(in->explanation_source, "rules", sizeof(in->explanation_source));
		ARRAY_GROW(s->items, s->cap, s->n + 1);
		s->items[s->n++] = in;
	}
	pi = f->pod ? pod_index(in, f->pod) : -1;
	if (pi < 0 && f->pod && *f->pod && in->npods < INSIGHT_MAX_PODS) {
		in->pods[in->npods] = xstrdup(f->pod);
		pi = (int)in->npods++;
	}
	if (pi >= 0)
		in->pod_active[pi] = true;
	if (f->sample_ms > in->updated_ms)
		in->updated_ms = f->sample_ms;
	if (f->probability > in->probability || in->normal_streak) {
		in->probability = f->probability;
		in->score = f->score;
	}
	in->normal_streak = 0;
	copy_details(in, f);
	set_severity(in);
	write_summary(in);
	return in;
}

void insight_store_normal(struct insight_store *s, const char *ns, const char *pod,
			  int64_t now_ms)
{
	for (size_t i = 0; i < s->n; i++) {
		struct insight *in = s->items[i];
		int pi;
		bool any = false;

		if (in->resolved_ms || !str_eq(in->namespace_, ns) ||
		    (pi = pod_index(in, pod)) < 0)
			continue;
		in->pod_active[pi] = false;
		for (size_t k = 0; k < in->npods; k++)
			any |= in->pod_active[k];
		if (any)
			continue;
		if (++in->normal_streak >= s->resolve_after) {
			in->resolved_ms = now_ms;
			in->updated_ms = now_ms;
		}
	}
}

void insight_store_node_normal(struct insight_store *s, const char *node, int64_t now_ms)
{
	for (size_t i = 0; i < s->n; i++) {
		struct insight *in = s->items[i];

		if (in->resolved_ms || !is_node_type(in->anomaly_type) || !str_eq(in->node, node))
			continue;
		if (++in->normal_streak >= s->resolve_after) {
			in->resolved_ms = now_ms;
			in->updated_ms = now_ms;
		}
	}
}

void insight_store_expire(struct insight_store *s, int64_t now_ms)
{
	size_t keep = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct insight *in = s->items[i];
		if (in->resolved_ms && now_ms - in->resolved_ms > s->retain_resolved_ms)
			insight_free(in);
		else
			s->items[keep++] = in;
	}
	s->n = keep;
	/* over the cap: drop the oldest resolved first, then the oldest open */
	for (int pass = 0; pass < 2 && s->n > s->max_insights; pass++) {
		keep = 0;
		size_t excess = s->n - s->max_insights;
		for (size_t i = 0; i < s->n; i++) {
			struct insight *in = s->items[i];
			if (excess && (pass == 1 || in->resolved_ms)) {
				insight_free(in);
				excess--;
			} else {
				s->items[keep++] = in;
			}
		}
		s->n = keep;
	}
}

static bool same_workload(const struct insight *a, const struct insight *b)
{
	if (is_node_type(a->anomaly_type) || is_node_type(b->anomaly_type))
		return is_node_type(a->anomaly_type) && is_node_type(b->anomaly_type) &&
		       a->node && str_eq(a->node, b->node);
	if (!a->namespace_ || !str_eq(a->namespace_, b->namespace_))
		return false;
	if (a->owner_name)
		return str_eq(a->owner_kind, b->owner_kind) && str_eq(a->owner_name, b->owner_name);
	return !b->owner_name && a->npods && b->npods && str_eq(a->pods[0], b->pods[0]);
}

size_t insight_store_history(const struct insight_store *s, const struct insight *in,
			     const struct insight **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct insight *h = s->items[i];
		size_t k;

		if (h == in || h->detected_ms > in->detected_ms || !same_workload(in, h))
			continue;
		/* insertion by recency; past max the oldest fall off */
		for (k = n; k > 0 && out[k - 1]->detected_ms < h->detected_ms; k--)
			if (k < max)
				out[k] = out[k - 1];
		if (k < max) {
			out[k] = h;
			if (n < max)
				n++;
		}
	}
	return n;
}

void insight_set_explanation(struct insight *in, const char *text, const char *source,
			     const char *model)
{
	free(in->explanation);
	in->explanation = dup_or_null(text);
	str_copy(in->explanation_source, source ? source : "rules",
		 sizeof(in->explanation_source));
	free(in->explanation_model);
	in->explanation_model = dup_or_null(model);
}

int insight_add_recommendation(struct insight *in, const char *action,
			       const char *target_kind, const char *target,
			       json_t *params, const char *rationale, const char *risk)
{
	struct recommendation *r;

	if (in->nrecs >= INSIGHT_MAX_RECS) {
		json_decref(params);
		return -ENOSPC;
	}
	r = &in->recs[in->nrecs++];
	str_copy(r->action, action, sizeof(r->action));
	str_copy(r->target_kind, target_kind ? target_kind : "", sizeof(r->target_kind));
	str_copy(r->target, target ? target : "", sizeof(r->target));
	r->params = params ? params : json_object();
	str_copy(r->rationale, rationale ? rationale : "", sizeof(r->rationale));
	str_copy(r->risk, risk ? risk : "low", sizeof(r->risk));
	return 0;
}

static json_t *time_or_null(int64_t ms)
{
	char ts[RFC3339_MAX];

	if (!ms)
		return json_null();
	time_rfc3339(ms, ts);
	return json_string(ts);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *insight_json(const struct insight *in, const struct insight_store *s)
{
	json_t *pods = json_array(), *signals = json_array(), *ev = json_array();
	json_t *recs = json_array(), *comps = json_array(), *o;
	size_t i;

	for (i = 0; i < in->npods; i++)
		json_array_append_new(pods, json_string(in->pods[i]));
	for (i = 0; i < in->nsignals; i++) {
		const struct signal *g = &in->signals[i];
		json_array_append_new(signals, json_pack("{s:s, s:o, s:[o, o]}",
			"metric", g->metric, "value", num_or_null(g->value),
			"expected", num_or_null(g->expected_lo), num_or_null(g->expected_hi)));
	}
	for (i = 0; i < in->ncomps; i++)
		json_array_append_new(comps, json_pack("{s:s, s:s, s:f}", "detector", in->comps[i].detector,
			"metric", in->comps[i].metric, "score", round(in->comps[i].score * 1e4) / 1e4));
	for (i = 0; i < in->nevidence; i++) {
		const struct evidence *e = &in->evidence[i];
		json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:i}",
			"kind", e->kind, "reason", e->reason, "message", e->message,
			"count", e->count));
	}
	for (i = 0; i < in->nrecs; i++) {
		const struct recommendation *r = &in->recs[i];
		json_array_append_new(recs, json_pack("{s:s, s:{s:s, s:s}, s:O, s:s, s:s}",
			"action", r->action, "target", "kind", r->target_kind,
			"name", r->target, "params", r->params, "rationale", r->rationale,
			"risk", r->risk));
	}
	o = json_pack("{s:s, s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:o, s:o, s:f, s:f, s:s,"
			 " s:s, s:o, s:o, s:o, s:s, s:o, s:{s:o, s:s, s:o}, s:{s:s, s:s}}",
		"id", in->id,
		"namespace", str_or_null(in->namespace_),
		"pod", in->npods ? json_string(in->pods[0]) : json_null(),
		"node", str_or_null(in->node),
		"owner", "kind", str_or_null(in->owner_kind), "name", str_or_null(in->owner_name),
		"pods", pods,
		"detected_at", time_or_null(in->detected_ms),
		"updated_at", time_or_null(in->updated_ms),
		"resolved_at", time_or_null(in->resolved_ms),
		"probability", in->probability,
		"score", in->score,
		"severity", in->severity,
		"anomaly_type", in->anomaly_type,
		"components", comps,
		"signals", signals,
		"evidence", ev,
		"summary", in->summary,
		"recommendations", recs,
		"explanation", "text", str_or_null(in->explanation),
		"source", in->explanation_source,
		"model", str_or_null(in->explanation_model),
		"model", "name", s->model_name, "version", s->model_version);
	return o;
}

json_t *insight_store_json(const struct insight_store *s, int64_t now_ms)
{
	json_t *arr = json_array();
	char ts[RFC3339_MAX];

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(arr, insight_json(s->items[i], s));
	time_rfc3339(now_ms, ts);
	return json_pack("{s:s, s:o}", "generated_at", ts, "insights", arr);
}

int insight_store_write(const struct insight_store *s, const char *path, int64_t now_ms)
{
	json_t *doc = insight_store_json(s, now_ms);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	struct buf b = BUF_INIT;
	int rc;

	json_decref(doc);
	if (!text)
		return -ENOMEM;
	buf_adds(&b, text);
	buf_addch(&b, '\n');
	free(text);
	rc = file_write_atomic(path, b.data, b.len);
	buf_release(&b);
	return rc;
}

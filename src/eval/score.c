#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval/score.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strmap.h"
#include "base/timeutil.h"
#include "metrics/csv.h"
#include "base/banned.h"

/* An insight counts for a fault from a little before it starts (the sample
 * that shows it may be stamped a moment early) until well after it ends
 * (pods restart, insights resolve after a few normal samples). */
#define BEFORE_MS (60 * 1000)
#define AFTER_MS (20 * 60 * 1000)

struct ins {
	const char *id, *ns, *node, *owner, *type;
	double probability, score;
	const json_t *pods;
	int64_t detected, updated, resolved;
	bool matched;
};

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jtime(const json_t *o, const char *key, int64_t *out)
{
	const char *s = jstr(o, key);

	*out = 0;
	if (!s)
		return json_is_null(json_object_get(o, key)) || !json_object_get(o, key) ? 0 : -EINVAL;
	return time_parse(s, out);
}

static bool template_fault(const char *type)
{
	return !strcmp(type, "oom_limit_too_low") || !strcmp(type, "image_pull_error") ||
	       !strcmp(type, "unschedulable");
}

static bool has_pod(const json_t *pods, const char *name)
{
	size_t i;
	const json_t *v;

	json_array_foreach(pods, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			return true;
	return false;
}

/* Whether insight in is about fault f (ignoring time). */
static bool about(const struct ins *in, const json_t *f)
{
	const char *type = jstr(f, "type"), *node = jstr(f, "node");
	const char *ns = jstr(f, "namespace"), *dep = jstr(f, "deployment");
	const json_t *pods = json_object_get(f, "pods");
	size_t i;
	const json_t *p;

	if (node)
		return str_eq(in->node, node) && (!in->type || !strcmp(in->type, "node") ||
						  json_array_size(in->pods) == 0);
	json_array_foreach(pods, i, p)
		if (json_is_string(p) && in->pods && has_pod(in->pods, json_string_value(p)) &&
		    str_eq(in->ns, ns))
			return true;
	return type && template_fault(type) && ns && dep && str_eq(in->ns, ns) &&
	       str_eq(in->owner, dep);
}

static int load_insights(const json_t *doc, struct ins **out, size_t *n, char *err, size_t errlen)
{
	const json_t *arr = json_is_array(doc) ? doc : json_object_get(doc, "insights");
	struct ins *v;
	size_t i;
	const json_t *o;

	if (!json_is_array(arr)) {
		snprintf(err, errlen, "insights: expected an object with an \"insights\" array");
		return -EINVAL;
	}
	v = xcalloc(json_array_size(arr) + 1, sizeof(*v));
	json_array_foreach(arr, i, o) {
		const json_t *owner = json_object_get(o, "owner");
		if (!json_is_object(o) || jtime(o, "detected_at", &v[i].detected) < 0 ||
		    jtime(o, "resolved_at", &v[i].resolved) < 0 ||
		    jtime(o, "updated_at", &v[i].updated) < 0 || !v[i].detected) {
			snprintf(err, errlen, "insights[%zu]: needs detected_at (RFC 3339) and "
				 "updated_at/resolved_at as times or null", i);
			free(v);
			return -EINVAL;
		}
		v[i].id = jstr(o, "id");
		v[i].probability = json_number_value(json_object_get(o, "probability"));
		v[i].score = json_is_number(json_object_get(o, "score")) ?
			     json_number_value(json_object_get(o, "score")) : NAN;
		v[i].ns = jstr(o, "namespace");
		v[i].node = jstr(o, "node");
		v[i].type = jstr(o, "anomaly_type");
		v[i].owner = json_is_object(owner) ? jstr(owner, "name") : NULL;
		v[i].pods = json_object_get(o, "pods");
		if (!json_is_array(v[i].pods))
			v[i].pods = NULL;
	}
	*out = v;
	*n = json_array_size(arr);
	return 0;
}

int score_insights(const json_t *truth, const json_t *insights, int64_t window_ms,
		   struct score_result *out, char *err, size_t errlen)
{
	struct score_result r;
	struct ins *ins = NULL;
	size_t nins = 0, i, matched = 0;
	const json_t *f;
	int64_t total_detect = 0;
	int rc;

	if (!json_is_array(truth)) {
		snprintf(err, errlen, "truth: expected a JSON array of faults");
		return -EINVAL;
	}
	if ((rc = load_insights(insights, &ins, &nins, err, errlen)) < 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.faults = xcalloc(json_array_size(truth) + 1, sizeof(*r.faults));
	json_array_foreach(truth, i, f) {
		struct score_fault *sf = &r.faults[r.nfaults];
		const char *type = jstr(f, "type");

		if (!json_is_object(f) || !type || jtime(f, "start", &sf->start_ms) < 0 ||
		    !sf->start_ms || jtime(f, "end", &sf->end_ms) < 0) {
			snprintf(err, errlen, "truth[%zu]: needs type and start (RFC 3339), end a time or null", i);
			free(ins);
			score_result_release(&r);
			return -EINVAL;
		}
		str_copy(sf->type, type, sizeof(sf->type));
		if (jstr(f, "node"))
			snprintf(sf->target, sizeof(sf->target), "node %s", jstr(f, "node"));
		else
			snprintf(sf->target, sizeof(sf->target), "%s/%s",
				 jstr(f, "namespace") ? jstr(f, "namespace") : "?",
				 jstr(f, "deployment") ? jstr(f, "deployment") : "?");
		r.nfaults++;
		for (size_t k = 0; k < nins; k++) {
			struct ins *in = &ins[k];
			int64_t end = sf->end_ms ? sf->end_ms + AFTER_MS : INT64_MAX;
			bool open_at_start = in->detected < sf->start_ms &&
					     (!in->resolved || in->resolved >= sf->start_ms);

			if (!about(in, f))
				continue;
			if (in->detected >= sf->start_ms - BEFORE_MS && in->detected <= end)
				in->matched = true;
			if ((in->detected >= sf->start_ms - BEFORE_MS &&
			     in->detected <= sf->start_ms + window_ms) ||
			    (open_at_start && in->updated >= sf->start_ms)) {
				int64_t d = in->detected > sf->start_ms ? in->detected - sf->start_ms : 0;
				in->matched = true;
				if (!sf->found || d < sf->detect_ms) {
					sf->detect_ms = d;
					str_copy(sf->insight_id, in->id ? in->id : "", sizeof(sf->insight_id));
				}
				sf->found = true;
			}
		}
		if (sf->found) {
			r.found++;
			total_detect += sf->detect_ms;
		}
	}
	r.ins = xcalloc(nins + 1, sizeof(*r.ins));
	for (i = 0; i < nins; i++) {
		matched += ins[i].matched;
		str_copy(r.ins[i].id, ins[i].id ? ins[i].id : "", sizeof(r.ins[i].id));
		str_copy(r.ins[i].type, ins[i].type ? ins[i].type : "", sizeof(r.ins[i].type));
		r.ins[i].probability = ins[i].probability;
		r.ins[i].score = ins[i].score;
		r.ins[i].matched = ins[i].matched;
	}
	r.insights = nins;
	r.false_alarms = nins - matched;
	r.recall = r.nfaults ? (double)r.found / (double)r.nfaults : 1.0;
	r.precision = nins ? (double)matched / (double)nins : 1.0;
	r.mean_detect_ms = r.found ? total_detect / (int64_t)r.found : 0;
	free(ins);
	*out = r;
	return 0;
}

void score_result_release(struct score_result *r)
{
	if (!r)
		return;
	free(r->faults);
	free(r->ins);
	r->faults = NULL;
	r->ins = NULL;
	r->nfaults = 0;
}

void score_reliability(const struct score_result *r, size_t count[10], size_t real[10])
{
	for (int b = 0; b < 10; b++)
		count[b] = real[b] = 0;
	for (size_t i = 0; i < r->insights; i++) {
		double p = r->ins[i].probability;
		int b = p >= 1 ? 9 : p <= 0 ? 0 : (int)(p * 10);

		count[b]++;
		real[b] += r->ins[i].matched;
	}
}

struct span {
	int64_t first, last;
};

double score_pod_hours(const char *path)
{
	struct csv_reader r;
	struct strmap pods = STRMAP_INIT;
	struct buf key = BUF_INIT;
	double ms = 0;
	size_t it;
	int rc;

	csv_reader_open(&r, path);
	for (;;) {
		struct sample s;
		char err[512];
		struct span *sp;

		rc = csv_reader_next(&r, &s, err, sizeof(err));
		if (rc == -EINVAL)
			continue;
		if (rc <= 0)
			break;
		buf_reset(&key);
		buf_addf(&key, "%s/%s", s.namespace ? s.namespace : "", s.pod ? s.pod : "");
		sp = strmap_get(&pods, key.data);
		if (!sp) {
			sp = xcalloc(1, sizeof(*sp));
			sp->first = sp->last = s.ts_ms;
			strmap_put(&pods, key.data, sp);
		}
		if (s.ts_ms < sp->first)
			sp->first = s.ts_ms;
		if (s.ts_ms > sp->last)
			sp->last = s.ts_ms;
		sample_release(&s);
	}
	csv_reader_close(&r);
	for (struct strmap_entry *e = strmap_first(&pods, &it); e; e = strmap_next(&pods, e, &it)) {
		const struct span *sp = e->value;
		ms += (double)(sp->last - sp->first);
	}
	strmap_clear(&pods, free);
	buf_release(&key);
	return ms / 3600000.0;
}

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
#include "insight/insight_read.h"
#include "base/banned.h"

/* Checks run over the whole object before anything is allocated, so a
 * refused insight leaves the store as it was. */

static int bad(char *err, size_t errlen, const char *field, const char *what)
{
	snprintf(err, errlen, "%s: %s", field, what);
	return -EINVAL;
}

/* An optional string (absent or null is fine) that fits in cap bytes (0: any). */
static int opt_str(const json_t *o, const char *key, size_t cap, const char **out,
		   char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(err, errlen, key, "not a string");
	if (cap && json_string_length(v) >= cap)
		return bad(err, errlen, key, "too long");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, errlen, key, "contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

static int opt_time(const json_t *o, const char *key, int64_t *out, char *err, size_t errlen)
{
	const char *s;
	int rc = opt_str(o, key, 64, &s, err, errlen);

	*out = 0;
	if (rc || !s)
		return rc;
	if (time_parse(s, out) < 0)
		return bad(err, errlen, key, "not an RFC 3339 time");
	return 0;
}

static double num_or_nan(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int check_array(const json_t *o, const char *key, size_t max, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(err, errlen, key, "not an array");
	if (json_array_size(v) > max)
		return bad(err, errlen, key, "too many entries");
	return 0;
}

static int check(const json_t *obj, char *err, size_t errlen)
{
	const char *s;
	const json_t *v, *it;
	size_t i;
	char field[64];
	int rc = 0;

	if (!json_is_object(obj))
		return bad(err, errlen, "insight", "not an object");
	if (opt_str(obj, "id", sizeof(((struct insight *)0)->id), &s, err, errlen))
		return -EINVAL;
	if (!s || !*s)
		return bad(err, errlen, "id", "missing");
	if (opt_str(obj, "anomaly_type", 64, &s, err, errlen))
		return -EINVAL;
	if (!s || !*s)
		return bad(err, errlen, "anomaly_type", "missing");
	v = json_object_get(obj, "probability");
	if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
		return bad(err, errlen, "probability", "missing or not a number in [0, 1]");
	if (opt_str(obj, "namespace", 254, &s, err, errlen) ||
	    opt_str(obj, "pod", 254, &s, err, errlen) ||
	    opt_str(obj, "node", 254, &s, err, errlen) ||
	    opt_str(obj, "severity", sizeof(((struct insight *)0)->severity), &s, err, errlen) ||
	    opt_str(obj, "summary", sizeof(((struct insight *)0)->summary), &s, err, errlen) ||
	    opt_time(obj, "detected_at", &(int64_t){0}, err, errlen) ||
	    opt_time(obj, "updated_at", &(int64_t){0}, err, errlen) ||
	    opt_time(obj, "resolved_at", &(int64_t){0}, err, errlen))
		return -EINVAL;
	v = json_object_get(obj, "owner");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v) || opt_str(v, "kind", 64, &s, err, errlen) ||
		    opt_str(v, "name", 254, &s, err, errlen))
			return bad(err, errlen, "owner", json_is_object(v) ? "bad kind or name" : "not an object");
	}
	if (check_array(obj, "pods", INSIGHT_MAX_PODS, err, errlen) ||
	    check_array(obj, "signals", INSIGHT_MAX_SIGNALS, err, errlen) ||
	    check_array(obj, "evidence", INSIGHT_MAX_EVIDENCE, err, errlen) ||
	    check_array(obj, "components", INSIGHT_MAX_COMPONENTS, err, errlen) ||
	    check_array(obj, "recommendations", INSIGHT_MAX_RECS, err, errlen))
		return -EINVAL;
	json_array_foreach(json_object_get(obj, "pods"), i, it) {
		if (!json_is_string(it) || json_string_length(it) > 253 ||
		    strlen(json_string_value(it)) != json_string_length(it)) {
			snprintf(field, sizeof(field), "pods[%zu]", i);
			return bad(err, errlen, field, "not a pod name");
		}
	}
	json_array_foreach(json_object_get(obj, "signals"), i, it) {
		snprintf(field, sizeof(field), "signals[%zu]", i);
		if (!json_is_object(it) ||
		    opt_str(it, "metric", sizeof(((struct signal *)0)->metric), &s, err, errlen))
			return bad(err, errlen, field, "not a signal");
	}
	v = json_object_get(obj, "score");
	if (v && !json_is_null(v) && !(json_is_number(v) && json_number_value(v) >= 0 &&
				       json_number_value(v) <= 1))
		return bad(err, errlen, "score", "not a number in [0, 1]");
	json_array_foreach(json_object_get(obj, "components"), i, it) {
		const json_t *sc = json_object_get(it, "score");
		const char *det;

		snprintf(field, sizeof(field), "components[%zu]", i);
		if (!json_is_object(it) ||
		    opt_str(it, "detector", sizeof(((struct component *)0)->detector), &det, err, errlen) ||
		    opt_str(it, "metric", sizeof(((struct component *)0)->metric), &s, err, errlen) ||
		    !det || (strcmp(det, "lstm") && strcmp(det, "stats") && strcmp(det, "rule")) ||
		    !json_is_number(sc) || !(json_number_value(sc) >= 0 && json_number_value(sc) <= 1))
			return bad(err, errlen, field, "not {detector: lstm|stats|rule, metric, score in [0, 1]}");
	}
	json_array_foreach(json_object_get(obj, "evidence"), i, it) {
		snprintf(field, sizeof(field), "evidence[%zu]", i);
		if (!json_is_object(it) ||
		    opt_str(it, "kind", sizeof(((struct evidence *)0)->kind), &s, err, errlen) ||
		    opt_str(it, "reason", sizeof(((struct evidence *)0)->reason), &s, err, errlen) ||
		    opt_str(it, "message", sizeof(((struct evidence *)0)->message), &s, err, errlen))
			return bad(err, errlen, field, "not evidence");
	}
	json_array_foreach(json_object_get(obj, "recommendations"), i, it) {
		const json_t *t = json_object_get(it, "target"), *p = json_object_get(it, "params");
		const struct recommendation *r = NULL;

		snprintf(field, sizeof(field), "recommendations[%zu]", i);
		if (!json_is_object(it))
			return bad(err, errlen, field, "not an object");
		if (opt_str(it, "action", sizeof(r->action), &s, err, errlen) || !s)
			return bad(err, errlen, field, "action missing or not a string");
		if ((t && !json_is_null(t) && !json_is_object(t)) ||
		    opt_str(t, "kind", sizeof(r->target_kind), &s, err, errlen) ||
		    opt_str(t, "name", sizeof(r->target), &s, err, errlen))
			return bad(err, errlen, field, "target is not {kind, name}");
		if (p && !json_is_null(p) && !json_is_object(p))
			return bad(err, errlen, field, "params is not an object");
		if (opt_str(it, "rationale", sizeof(r->rationale), &s, err, errlen) ||
		    opt_str(it, "risk", sizeof(r->risk), &s, err, errlen))
			return bad(err, errlen, field, "bad rationale or risk");
	}
	v = json_object_get(obj, "explanation");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v) || opt_str(v, "text", 1u << 16, &s, err, errlen) ||
		    opt_str(v, "source", sizeof(((struct insight *)0)->explanation_source), &s, err, errlen) ||
		    opt_str(v, "model", 256, &s, err, errlen))
			return bad(err, errlen, "explanation", "not {text, source, model}");
	}
	return rc;
}

static char *dup_opt(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? xstrdup(s) : NULL;
}

static void copy_opt(char *dst, size_t n, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	str_copy(dst, s ? s : "", n);
}

int insight_from_json(struct insight_store *s, const json_t *obj, char *err, size_t errlen)
{
	struct insight *in;
	const json_t *v, *it, *owner, *ex;
	size_t i;

	if (check(obj, err, errlen))
		return -EINVAL;
	in = xcalloc(1, sizeof(*in));
	copy_opt(in->id, sizeof(in->id), obj, "id");
	in->namespace_ = dup_opt(obj, "namespace");
	in->node = dup_opt(obj, "node");
	owner = json_object_get(obj, "owner");
	in->owner_kind = dup_opt(owner, "kind");
	in->owner_name = dup_opt(owner, "name");
	in->anomaly_type = dup_opt(obj, "anomaly_type");
	json_array_foreach(json_object_get(obj, "pods"), i, it) {
		in->pods[in->npods] = xstrdup(json_string_value(it));
		in->pod_active[in->npods++] = true;
	}
	if (!in->npods && json_string_value(json_object_get(obj, "pod"))) {
		in->pods[0] = xstrdup(json_string_value(json_object_get(obj, "pod")));
		in->pod_active[0] = true;
		in->npods = 1;
	}
	opt_time(obj, "detected_at", &in->detected_ms, err, errlen);
	opt_time(obj, "updated_at", &in->updated_ms, err, errlen);
	opt_time(obj, "resolved_at", &in->resolved_ms, err, errlen);
	in->probability = json_number_value(json_object_get(obj, "probability"));
	in->score = json_is_number(json_object_get(obj, "score")) ?
		    json_number_value(json_object_get(obj, "score")) : in->probability;
	copy_opt(in->severity, sizeof(in->severity), obj, "severity");
	json_array_foreach(json_object_get(obj, "components"), i, it) {
		struct component *c = &in->comps[in->ncomps++];
		copy_opt(c->detector, sizeof(c->detector), it, "detector");
		copy_opt(c->metric, sizeof(c->metric), it, "metric");
		c->score = json_number_value(json_object_get(it, "score"));
	}
	json_array_foreach(json_object_get(obj, "signals"), i, it) {
		struct signal *g = &in->signals[in->nsignals++];
		v = json_object_get(it, "expected");
		copy_opt(g->metric, sizeof(g->metric), it, "metric");
		g->value = num_or_nan(json_object_get(it, "value"));
		g->expected_lo = num_or_nan(json_array_get(v, 0));
		g->expected_hi = num_or_nan(json_array_get(v, 1));
	}
	json_array_foreach(json_object_get(obj, "evidence"), i, it) {
		struct evidence *e = &in->evidence[in->nevidence++];
		v = json_object_get(it, "count");
		copy_opt(e->kind, sizeof(e->kind), it, "kind");
		copy_opt(e->reason, sizeof(e->reason), it, "reason");
		copy_opt(e->message, sizeof(e->message), it, "message");
		e->count = json_is_integer(v) && json_integer_value(v) > 0 &&
			   json_integer_value(v) < 1000000000 ? (int)json_integer_value(v) : 1;
	}
	copy_opt(in->summary, sizeof(in->summary), obj, "summary");
	json_array_foreach(json_object_get(obj, "recommendations"), i, it) {
		const json_t *t = json_object_get(it, "target"), *p = json_object_get(it, "params");
		insight_add_recommendation(in,
			json_string_value(json_object_get(it, "action")),
			json_string_value(json_object_get(t, "kind")),
			json_string_value(json_object_get(t, "name")),
			json_is_object(p) ? json_deep_copy(p) : NULL,
			json_string_value(json_object_get(it, "rationale")),
			json_string_value(json_object_get(it, "risk")));
	}
	ex = json_object_get(obj, "explanation");
	if (json_string_value(json_object_get(ex, "text")))
		insight_set_explanation(in, json_string_value(json_object_get(ex, "text")),
					json_string_value(json_object_get(ex, "source")) ?
					json_string_value(json_object_get(ex, "source")) : "rules",
					json_string_value(json_object_get(ex, "model")));
	ARRAY_GROW(s->items, s->cap, s->n + 1);
	s->items[s->n++] = in;
	return 0;
}

int insight_store_parse(struct insight_store *s, const char *name, const char *text,
			size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *arr, *it;
	char e2[256];
	size_t i, first = s->n;
	int rc = 0;

	if (!doc) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	arr = json_object_get(doc, "insights");
	if (!json_is_object(doc) || !json_is_array(arr)) {
		snprintf(err, errlen, "%s: not an object with an \"insights\" array", name);
		json_decref(doc);
		return -EINVAL;
	}
	if (json_array_size(arr) > INSIGHT_FILE_MAX_ITEMS) {
		snprintf(err, errlen, "%s: more than %d insights", name, INSIGHT_FILE_MAX_ITEMS);
		json_decref(doc);
		return -E2BIG;
	}
	json_array_foreach(arr, i, it) {
		rc = insight_from_json(s, it, e2, sizeof(e2));
		if (rc) {
			snprintf(err, errlen, "%s: insights[%zu].%s", name, i, e2);
			break;
		}
	}
	json_decref(doc);
	if (rc && s->n > first) {
		/* refused whole: drop what this document added (none: s->items may be NULL) */
		struct insight_store tail = *s;
		tail.items = s->items + first;
		tail.n = s->n - first;
		tail.cap = tail.n;
		for (i = 0; i < tail.n; i++) {
			struct insight_store one;
			insight_store_init(&one, 0);
			one.items = xmalloc(sizeof(*one.items));
			one.items[0] = tail.items[i];
			one.n = one.cap = 1;
			insight_store_release(&one);
		}
	}
	if (rc)
		s->n = first;
	return rc;
}

int insight_store_read(struct insight_store *s, const char *path, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	int rc = file_read_all(path, INSIGHT_FILE_MAX_BYTES, &text);

	if (rc) {
		snprintf(err, errlen, "%s: %s", path, rc == -E2BIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = insight_store_parse(s, path, text.data ? text.data : "", text.len, err, errlen);
	buf_release(&text);
	return rc;
}

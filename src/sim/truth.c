/*
 * The ground-truth file: a JSON array, one object per injected fault,
 * rewritten whole and atomically whenever a fault starts or ends, so a reader
 * never sees half a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "sim/truth.h"
#include "base/banned.h"

void truth_init(struct truth *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->path = path ? xstrdup(path) : NULL;
}

void truth_release(struct truth *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct truth_record *r = &t->recs[i];
		for (size_t j = 0; j < r->npods; j++)
			free(r->pods[j]);
		free(r->pods);
		free(r->namespace_);
		free(r->deployment);
		free(r->node);
		free(r->ended_by);
	}
	free(t->recs);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

size_t truth_start(struct truth *t, enum fault_type type, const char *ns,
		   const char *deployment, const char *const *pods, size_t npods,
		   const char *node, int64_t start_ms)
{
	struct truth_record *r;

	ARRAY_GROW(t->recs, t->cap, t->n + 1);
	r = &t->recs[t->n];
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->namespace_ = dup_or_null(ns);
	r->deployment = dup_or_null(deployment);
	r->node = dup_or_null(node);
	r->start_ms = start_ms;
	if (npods) {
		r->pods = xcalloc(npods, sizeof(*r->pods));
		for (size_t i = 0; i < npods; i++)
			r->pods[i] = xstrdup(pods[i] ? pods[i] : "");
		r->npods = npods;
	}
	return t->n++;
}

void truth_end(struct truth *t, size_t idx, int64_t end_ms, const char *ended_by)
{
	struct truth_record *r;

	if (idx >= t->n)
		return;
	r = &t->recs[idx];
	if (r->end_ms)
		return; /* the first cure is the one that counts */
	r->end_ms = end_ms > r->start_ms ? end_ms : r->start_ms + 1;
	free(r->ended_by);
	r->ended_by = xstrdup(ended_by ? ended_by : "duration");
}

static void add_str_or_null(struct buf *b, const char *s)
{
	if (s)
		buf_add_json_str(b, s);
	else
		buf_adds(b, "null");
}

static void add_time_or_null(struct buf *b, int64_t ms)
{
	char ts[RFC3339_MAX];

	if (!ms) {
		buf_adds(b, "null");
		return;
	}
	time_rfc3339(ms, ts);
	buf_add_json_str(b, ts);
}

char *truth_json(const struct truth *t)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "[");
	for (size_t i = 0; i < t->n; i++) {
		const struct truth_record *r = &t->recs[i];
		buf_adds(&b, i ? ",\n  {" : "\n  {");
		buf_adds(&b, "\"type\": ");
		buf_add_json_str(&b, fault_type_name(r->type));
		buf_adds(&b, ", \"namespace\": ");
		add_str_or_null(&b, r->namespace_);
		buf_adds(&b, ", \"deployment\": ");
		add_str_or_null(&b, r->deployment);
		buf_adds(&b, ", \"pods\": [");
		for (size_t j = 0; j < r->npods; j++) {
			if (j)
				buf_adds(&b, ", ");
			buf_add_json_str(&b, r->pods[j]);
		}
		buf_adds(&b, "], \"node\": ");
		add_str_or_null(&b, r->node);
		buf_adds(&b, ", \"start\": ");
		{
			char ts[RFC3339_MAX];
			time_rfc3339(r->start_ms, ts);
			buf_add_json_str(&b, ts);
		}
		buf_adds(&b, ", \"end\": ");
		add_time_or_null(&b, r->end_ms);
		buf_adds(&b, ", \"ended_by\": ");
		add_str_or_null(&b, r->end_ms ? r->ended_by : NULL);
		buf_adds(&b, "}");
	}
	buf_adds(&b, t->n ? "\n]\n" : "]\n");
	return buf_detach(&b, NULL);
}

int truth_write(const struct truth *t)
{
	char *json;
	int rc;

	if (!t->path)
		return 0;
	json = truth_json(t);
	rc = file_write_atomic(t->path, json, strlen(json));
	free(json);
	return rc;
}

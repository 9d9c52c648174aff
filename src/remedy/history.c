#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "remedy/history.h"
#include "base/banned.h"

static uint64_t seq_of(const char *id)
{
	/* ids look like "r-000042": the next id continues after the largest */
	const char *dash = id ? strrchr(id, '-') : NULL;
	return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

int history_parse(struct history *h, const char *name, const char *text,
		  size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *arr, *rec;
	size_t i;

	memset(h, 0, sizeof(*h));
	arr = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!arr) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, jerr.line,
			 jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "%s:1:1: not a JSON array of records", name);
		json_decref(arr);
		return -EINVAL;
	}
	json_array_foreach(arr, i, rec) {
		uint64_t s;
		if (!json_is_object(rec)) {
			snprintf(err, errlen, "%s: record %zu is not an object", name, i);
			json_decref(arr);
			return -EINVAL;
		}
		s = seq_of(json_string_value(json_object_get(rec, "id")));
		if (s > h->next_seq)
			h->next_seq = s;
	}
	h->path = xstrdup(name);
	h->records = arr;
	return 0;
}

int history_open(struct history *h, const char *path, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	int rc = file_read_all(path, HISTORY_MAX_BYTES, &text);

	if (rc == -ENOENT)
		return history_parse(h, path, "[]", 2, err, errlen);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -E2BIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = history_parse(h, path, text.data, text.len, err, errlen);
	buf_release(&text);
	return rc;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	free(h->path);
	json_decref(h->records);
	memset(h, 0, sizeof(*h));
}

int history_flush(const struct history *h)
{
	char *text = json_dumps(h->records, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct buf b = BUF_INIT;
	int rc;

	if (!text)
		return -ENOMEM;
	buf_adds(&b, text);
	buf_addch(&b, '\n');
	free(text);
	rc = file_write_atomic(h->path, b.data, b.len);
	buf_release(&b);
	return rc;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int history_propose(struct history *h, int64_t now_ms, const char *insight_id,
		    const char *action, const struct history_target *t,
		    json_t *params, const char *mode, char *id, size_t idlen)
{
	char ts[RFC3339_MAX], rid[32];
	json_t *rec, *target;
	int rc;

	/* the oldest records make room: the file stays bounded */
	while (json_array_size(h->records) >= HISTORY_MAX_RECORDS)
		json_array_remove(h->records, 0);
	snprintf(rid, sizeof(rid), "r-%06llu", (unsigned long long)++h->next_seq);
	time_rfc3339_ms(now_ms, ts);
	target = json_pack("{s:s, s:o, s:s}", "kind", t->kind ? t->kind : "",
			   "namespace", str_or_null(t->namespace_),
			   "name", t->name ? t->name : "");
	rec = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:s, s:s, s:n, s:n, s:s}",
			"id", rid, "time", ts, "insight_id", str_or_null(insight_id),
			"action", action, "target", target,
			"params", params ? json_deep_copy(params) : json_object(),
			"mode", mode, "approval", "pending", "status", "proposed",
			"result", "verification", "updated", ts);
	if (!rec)
		return -EINVAL;
	json_array_append_new(h->records, rec);
	rc = history_flush(h);
	if (rc == 0 && id)
		snprintf(id, idlen, "%s", rid);
	return rc;
}

json_t *history_get(const struct history *h, const char *id)
{
	size_t i;
	json_t *rec;

	json_array_foreach(h->records, i, rec) {
		const char *rid = json_string_value(json_object_get(rec, "id"));
		if (rid && strcmp(rid, id) == 0)
			return rec;
	}
	return NULL;
}

int history_update(struct history *h, const char *id, int64_t now_ms, json_t *fields)
{
	json_t *rec = history_get(h, id);
	char ts[RFC3339_MAX];

	if (!rec)
		return -ENOENT;
	if (fields && json_object_update(rec, fields) < 0)
		return -EINVAL;
	time_rfc3339_ms(now_ms, ts);
	json_object_set_new(rec, "updated", json_string(ts));
	return history_flush(h);
}

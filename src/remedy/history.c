#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "remedy/history.h"
#include "base/banned.h"

/*
 * Storage: JSON lines, one whole record per line. A proposal appends its
 * record; an update appends the record again as it now is, so reading
 * keeps the last line of each id. An append is one write(2) and an fsync,
 * whatever the history's size. When superseded lines outnumber the records
 * (or a record falls off the cap), the file is rewritten with one line per
 * record into a temporary file and renamed over the old one. The JSON
 * array of older versions is read, and rewritten as lines on the first
 * change.
 */

static uint64_t seq_of(const char *id)
{
	/* ids look like "r-000042": the next id continues after the largest */
	const char *dash = id ? strrchr(id, '-') : NULL;
	return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

static void init(struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->records = json_array();
}

/* Adds rec (a reference is taken) or, for an id already there, replaces
 * that record's fields in place (its position stays the first proposal's). */
static void take(struct history *h, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *old = id ? strmap_get(&h->idx, id) : NULL;
	uint64_t s = seq_of(id);

	if (s > h->next_seq)
		h->next_seq = s;
	if (old) {
		json_object_clear(old);
		json_object_update(old, rec);
		json_decref(rec);
		return;
	}
	json_array_append_new(h->records, rec);
	if (id)
		strmap_put(&h->idx, id, rec);
}

/* Drops the oldest records past max. */
static void trim(struct history *h, size_t max)
{
	size_t n = json_array_size(h->records), drop = n > max ? n - max : 0;

	if (!drop)
		return;
	for (size_t i = 0; i < drop; i++) {
		json_t *old = json_array_get(h->records, i);
		const char *oid = json_string_value(json_object_get(old, "id"));
		if (oid && strmap_get(&h->idx, oid) == old)
			strmap_remove(&h->idx, oid);
	}
	{
		/* one pass, not one shift per record */
		json_t *keep = json_array();
		for (size_t i = drop; i < n; i++)
			json_array_append(keep, json_array_get(h->records, i));
		json_decref(h->records);
		h->records = keep;
	}
}

static int parse_array(struct history *h, const char *name, const char *text, size_t len,
		       char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *arr, *rec;
	size_t i;

	arr = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!arr) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "%s:1:1: not a JSON array of records", name);
		json_decref(arr);
		return -EINVAL;
	}
	json_array_foreach(arr, i, rec) {
		if (!json_is_object(rec)) {
			snprintf(err, errlen, "%s: record %zu is not an object", name, i);
			json_decref(arr);
			return -EINVAL;
		}
	}
	json_array_foreach(arr, i, rec)
		take(h, json_incref(rec));
	json_decref(arr);
	h->legacy = true;
	return 0;
}

static int parse_lines(struct history *h, const char *name, const char *text, size_t len,
		       char *err, size_t errlen)
{
	size_t pos = 0;
	int line = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		json_error_t jerr;
		json_t *rec;
		size_t k = 0;

		line++;
		while (k < n && (text[pos + k] == ' ' || text[pos + k] == '\t' || text[pos + k] == '\r'))
			k++;
		if (k == n) {
			pos += n + 1;
			continue;
		}
		rec = json_loadb(text + pos, n, JSON_REJECT_DUPLICATES, &jerr);
		if (!rec && !nl) {
			/* A last line without its newline: an append cut short (a
			 * power cut). What it held never happened; the next write
			 * rewrites the file without it. */
			h->torn = true;
			break;
		}
		if (!rec) {
			snprintf(err, errlen, "%s:%d:%d: %s", name, line, jerr.column, jerr.text);
			return -EINVAL;
		}
		if (!json_is_object(rec) || !json_is_string(json_object_get(rec, "id"))) {
			snprintf(err, errlen, "%s:%d:1: not a record (an object with an \"id\")",
				 name, line);
			json_decref(rec);
			return -EINVAL;
		}
		take(h, rec);
		h->lines++;
		pos += n + 1;
	}
	return 0;
}

int history_parse(struct history *h, const char *name, const char *text,
		  size_t len, char *err, size_t errlen)
{
	size_t i = 0;
	int rc;

	init(h);
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	if (i < len && text[i] == '[')
		rc = parse_array(h, name, text, len, err, errlen);
	else
		rc = parse_lines(h, name, text, len, err, errlen);
	if (rc < 0) {
		history_close(h);
		return rc;
	}
	trim(h, HISTORY_MAX_RECORDS);
	h->path = xstrdup(name);
	return 0;
}

int history_open(struct history *h, const char *path, char *err, size_t errlen)
{
	struct buf text = BUF_INIT;
	int rc = file_read_all(path, HISTORY_MAX_BYTES, &text);

	if (rc == -ENOENT)
		return history_parse(h, path, "", 0, err, errlen);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -E2BIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = history_parse(h, path, text.data ? text.data : "", text.len, err, errlen);
	buf_release(&text);
	return rc;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->path);
	strmap_clear(&h->idx, NULL);
	json_decref(h->records);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

static int add_line(struct buf *b, const json_t *rec)
{
	char *text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	buf_adds(b, text);
	buf_addch(b, '\n');
	free(text);
	return 0;
}

int history_flush(const struct history *h)
{
	struct history *mh = (struct history *)h; /* the line count is bookkeeping */
	struct buf b = BUF_INIT;
	const json_t *rec;
	size_t i;
	int rc = 0;

	json_array_foreach(h->records, i, rec)
		if ((rc = add_line(&b, rec)) < 0)
			break;
	if (rc == 0)
		rc = file_write_atomic(h->path, b.data ? b.data : "", b.len);
	buf_release(&b);
	if (rc == 0) {
		/* The appends go to the new file from now on. */
		if (mh->fd >= 0)
			close(mh->fd);
		mh->fd = -1;
		mh->lines = json_array_size(h->records);
		mh->legacy = mh->torn = false;
		mh->compactions++;
	}
	return rc;
}

/* Writes rec's current state: one appended line, or the whole file when
 * it is due for compaction (or still in the old format). */
static int save(struct history *h, const json_t *rec)
{
	struct buf b = BUF_INIT;
	int rc;

	if (h->legacy || h->torn || h->lines >= 2 * json_array_size(h->records) + 64)
		return history_flush(h);
	if (h->fd < 0) {
		h->fd = open(h->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (h->fd < 0)
			return -errno;
	}
	rc = add_line(&b, rec);
	/* One write(2): a reader or a kill -9 sees the whole line or none of it. */
	if (rc == 0)
		rc = file_write_fd(h->fd, b.data, b.len);
	if (rc == 0 && fsync(h->fd) < 0)
		rc = -errno;
	buf_release(&b);
	if (rc == 0)
		h->lines++;
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

	/* the oldest records make room (their lines leave the file at the
	 * next compaction; a reader applies the same cap) */
	trim(h, HISTORY_MAX_RECORDS - 1);
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
	take(h, rec);
	rc = save(h, rec);
	if (rc == 0 && id)
		snprintf(id, idlen, "%s", rid);
	return rc;
}

json_t *history_get(const struct history *h, const char *id)
{
	return id ? strmap_get(&h->idx, id) : NULL;
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
	return save(h, rec);
}

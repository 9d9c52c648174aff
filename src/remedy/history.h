#ifndef REMEDY_HISTORY_H
#define REMEDY_HISTORY_H
/*
 * The remediation history (remediation_history.json, docs/history.md): one
 * record per proposed action, stored as JSON lines (one whole record per
 * line; a change appends the record as it now is, so an append costs the
 * same whatever the history's size, and reading keeps the last line of
 * each id). Every change is on disk (fsync) before the call returns, so a
 * crash at any moment leaves a file that tells what happened, including
 * the action in flight. The file is compacted by rewrite-and-rename when
 * superseded lines outnumber the records; the JSON array of older versions
 * is still read. struct history owns its records (jansson values);
 * history_close() frees them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/strmap.h"

#define HISTORY_MAX_BYTES (256u << 20)
#define HISTORY_MAX_RECORDS 100000

struct history {
	char *path;
	json_t *records;        /* array of objects, oldest first: the current state */
	uint64_t next_seq;      /* for record ids */
	struct strmap idx;      /* id -> record (borrowed from records) */
	int fd;                 /* appends (O_APPEND), -1 until the first */
	size_t lines;           /* lines in the file, superseded ones included */
	bool legacy, torn;      /* an old-format file, a cut last line: rewrite on the next change */
	unsigned long compactions;
};

struct history_target {
	const char *kind;       /* "Pod", "Deployment", "Node" */
	const char *namespace_; /* NULL for nodes */
	const char *name;
};

/*
 * Opens path, reading the records already there (a missing file is an empty
 * history). A file that is neither JSON lines of records nor a JSON array of
 * them is an error with its line and column in err; it is never
 * overwritten. A last line cut short (no newline, not JSON) is dropped.
 */
int history_open(struct history *h, const char *path, char *err, size_t errlen);
/* The same from text already read; name is used in errors and as the path. */
int history_parse(struct history *h, const char *name, const char *text,
		  size_t len, char *err, size_t errlen);
void history_close(struct history *h);

/*
 * Appends a record in status "proposed" and writes it to the file. params is
 * borrowed (copied). The new record's id is written to id (size idlen).
 */
int history_propose(struct history *h, int64_t now_ms, const char *insight_id,
		    const char *action, const struct history_target *t,
		    json_t *params, const char *mode, char *id, size_t idlen);

/*
 * Sets fields of record id ("approval", "status", "result", "verification",
 * ...) from the object fields (borrowed; its keys replace the record's),
 * stamps "updated" with now_ms, and appends the record's new state to the
 * file. -ENOENT for an unknown id.
 */
int history_update(struct history *h, const char *id, int64_t now_ms, json_t *fields);

/* The record with this id (borrowed), or NULL. */
json_t *history_get(const struct history *h, const char *id);

/* Rewrites the file now, one line per record (atomically: a temporary
 * file renamed over it); later changes append to the new file. */
int history_flush(const struct history *h);

#endif

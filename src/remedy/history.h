#ifndef REMEDY_HISTORY_H
#define REMEDY_HISTORY_H
/*
 * The remediation history (remediation_history.json, docs/history.md): a
 * JSON array of records, one per proposed action, rewritten atomically on
 * every change so that a crash at any moment leaves a valid file that tells
 * what happened, including the action in flight. struct history owns its
 * records (jansson values); history_close() frees them.
 */
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define HISTORY_MAX_BYTES (256u << 20)
#define HISTORY_MAX_RECORDS 100000

struct history {
	char *path;
	json_t *records;        /* array of objects, oldest first */
	uint64_t next_seq;      /* for record ids */
};

struct history_target {
	const char *kind;       /* "Pod", "Deployment", "Node" */
	const char *namespace_; /* NULL for nodes */
	const char *name;
};

/*
 * Opens path, reading the records already there (a missing file is an empty
 * history). A file that is not a JSON array of objects is an error with its
 * line and column in err; it is never overwritten.
 */
int history_open(struct history *h, const char *path, char *err, size_t errlen);
/* The same from text already read; name is used in errors and as the path. */
int history_parse(struct history *h, const char *name, const char *text,
		  size_t len, char *err, size_t errlen);
void history_close(struct history *h);

/*
 * Appends a record in status "proposed" and writes the file. params is
 * borrowed (copied). The new record's id is written to id (size idlen).
 */
int history_propose(struct history *h, int64_t now_ms, const char *insight_id,
		    const char *action, const struct history_target *t,
		    json_t *params, const char *mode, char *id, size_t idlen);

/*
 * Sets fields of record id ("approval", "status", "result", "verification",
 * ...) from the object fields (borrowed; its keys replace the record's),
 * stamps "updated" with now_ms, and writes the file. -ENOENT for an unknown id.
 */
int history_update(struct history *h, const char *id, int64_t now_ms, json_t *fields);

/* The record with this id (borrowed), or NULL. */
json_t *history_get(const struct history *h, const char *id);

/* Writes the file now (atomically). */
int history_flush(const struct history *h);

#endif

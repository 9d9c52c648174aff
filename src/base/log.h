#ifndef BASE_LOG_H
#define BASE_LOG_H
/*
 * logfmt logging for cli/ and the long-running loops (library code returns
 * errors instead). One line per event:
 *   time=2026-11-24T04:28:01.123Z level=info component=sim msg="listening" addr=127.0.0.1:6443
 * Lines go to stderr (when enabled) and to an optional file that rotates to
 * FILE.1 past a size limit. The logger is global and thread-safe.
 */
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* Parses "debug", "info", "warn"/"warning", "error", "off"; 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
void log_set_level(enum log_level lvl);
void log_set_stderr(int enabled);
/* Opens (appending) path as the log file; max_bytes 0 means no rotation. */
int log_open(const char *path, size_t max_bytes);
/*
 * Sends the lines of one component to a file of its own (appending, rotating
 * to FILE.1 past max_bytes) instead of the log_open() file; up to 4 routes.
 * log_close() closes them too.
 */
int log_route(const char *component, const char *path, size_t max_bytes);
void log_close(void);

/*
 * Writes one line. The variable arguments are key, value pairs of strings,
 * ended by NULL; values are quoted when they need it, NULL values are skipped.
 */
void log_kv(enum log_level lvl, const char *component, const char *msg, ...);

/* Appends `key=value` to line in logfmt quoting (used by log_kv; exported for tests). */
struct buf;
void logfmt_pair(struct buf *line, const char *key, const char *value);

#endif

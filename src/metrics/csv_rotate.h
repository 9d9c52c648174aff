#ifndef METRICS_CSV_ROTATE_H
#define METRICS_CSV_ROTATE_H
/*
 * What happens to pod_metrics.csv files once rotated: gzip compression and
 * the retention limit (by age and by total size). The functions work on
 * files by name and own nothing; the writer (csv.h) calls them. Documented
 * in docs/csv.md.
 */
#include <stdbool.h>
#include <stdint.h>
#include "base/buf.h"

#define CSV_DEFAULT_MAX_AGE_MS (24LL * 3600 * 1000)
#define CSV_DEFAULT_RETENTION_MS (7LL * 24 * 3600 * 1000)
/* With a 256 MiB active file (the monitor's default) this keeps the files
 * under 1 GB whatever the cluster's size. */
#define CSV_DEFAULT_RETENTION_BYTES (640ull << 20)

struct csv_rotation {
	uint64_t max_bytes;             /* rotate past this size; 0: never */
	int64_t max_age_ms;             /* rotate a file begun longer ago; 0: never */
	int64_t retention_ms;           /* remove rotated files older than this; 0: keep */
	uint64_t retention_bytes;       /* remove the oldest past this total; 0: no cap */
	bool compress;                  /* gzip rotated files */
};

/* The defaults above, with max_bytes. */
void csv_rotation_defaults(struct csv_rotation *r, uint64_t max_bytes);
/* "FILE.20261207T154500Z" (n > 0 appends "-n", for a name already taken). */
void csv_rotated_name(const char *path, int64_t now_ms, int n, struct buf *out);
/* Compresses src into src.gz (through src.gz.tmp, synced, renamed) and
 * removes src; 0 or a negative errno (src is then left as it was). */
int csv_gzip_file(const char *src, int level);
/*
 * Compresses rotated files of path left uncompressed (r->compress), then
 * removes rotated files past the retention limit, oldest first. The total
 * size kept is written to *kept_bytes (may be NULL). 0 or a negative errno.
 */
int csv_sweep(const char *path, const struct csv_rotation *r, int64_t now_ms,
	      uint64_t *kept_bytes);

#endif

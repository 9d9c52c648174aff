#ifndef METRICS_CSV_H
#define METRICS_CSV_H
/*
 * pod_metrics.csv: writing sample rows (native or seed format, RFC 4180
 * quoting, header once, appends across restarts, rotation by size and age
 * into gzip files kept within a retention limit, see csv_rotate.h)
 * and reading them back while the file grows (tail). The writer and the
 * reader own their file descriptors and buffers; _close() releases them.
 * Documented in docs/csv.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/buf.h"
#include "base/strvec.h"
#include "metrics/csv_rotate.h"
#include "metrics/sample.h"

enum csv_format { CSV_NATIVE, CSV_SEED };

/* "native" or "seed"; 0 or -EINVAL. */
int csv_format_parse(const char *s, enum csv_format *out);

#define CSV_MAX_RECORD (1u << 20)
#define CSV_MAX_COLUMNS 512
#define CSV_DEFAULT_ROTATE (100u << 20)

struct csv_writer {
	char *path;
	int fd;
	enum csv_format format;
	struct strvec custom;           /* custom column names (native format) */
	uint64_t max_bytes;             /* rotate past this size; 0: never */
	uint64_t size;
	unsigned long rotations;
	uint64_t bytes_written;         /* rows appended since open */
	struct csv_rotation rot;
	int64_t started_ms;             /* when the active file was begun (wall clock) */
	/* compression and retention run in a thread, one at a time */
	pthread_t sweeper;
	bool sweeping;
	int sweep_rc;                   /* the last sweep's outcome */
	_Atomic uint64_t rotated_bytes; /* rotated files kept, after the last sweep (any thread reads it) */
};

/*
 * Opens path for appending. A file that ends in a partial row (a crash mid
 * write) is cut back to its last complete row; a file whose header differs
 * from this format's (other columns) is rotated away first; a new
 * or empty file gets the header. custom: names of custom columns (NULL for
 * none). Returns 0 or a negative errno with "FILE: what" in err.
 */
int csv_writer_open(struct csv_writer *w, const char *path, enum csv_format format,
		    const struct strvec *custom, uint64_t max_bytes, char *err, size_t errlen);
/* The same with every rotation setting (csv_writer_open() takes the
 * defaults of csv_rotation_defaults() and max_bytes). Rotated files are
 * FILE.<UTC stamp>.gz; see docs/csv.md. */
int csv_writer_open_with(struct csv_writer *w, const char *path, enum csv_format format,
			 const struct strvec *custom, const struct csv_rotation *rot,
			 char *err, size_t errlen);
/* Appends rows (one write(2) for all of them, so a reader sees whole rows). */
int csv_writer_append(struct csv_writer *w, const struct sample *rows, size_t n,
		      char *err, size_t errlen);
/* fsync; 0 or a negative errno. */
int csv_writer_flush(struct csv_writer *w);
void csv_writer_close(struct csv_writer *w);

/* The header line of a format (ending in "\n"), appended to out. */
void csv_header(struct buf *out, enum csv_format format, const struct strvec *custom);
/* One row, as the writer writes it. */
void csv_row(struct buf *out, const struct sample *s, enum csv_format format);

struct csv_reader {
	char *path;
	int fd;                         /* -1 until the file exists */
	dev_t dev;
	ino_t ino;
	off_t off;                      /* just past the last complete record taken */
	long line;                      /* line number where the next record starts */
	bool have_header;
	enum csv_format format;
	int ncols;
	int *colmap;                    /* column -> field id (see csv_read.c) */
	struct strvec custom;           /* custom column names, in file order */
	struct buf data;                /* bytes read from off onwards */
};

/* Prepares to read path (which may not exist yet). */
void csv_reader_open(struct csv_reader *r, const char *path);
/*
 * Takes the next complete row: 1 with *out filled (the caller
 * sample_release()s it), 0 when no complete row is there yet (a partial last
 * line stays unread until its newline arrives), -EINVAL for a broken row
 * ("FILE:LINE: what" in err; the row is skipped, so calling again goes on
 * with the next), or another negative errno on an I/O error. Follows
 * rotation (a new file at path) and truncation.
 */
int csv_reader_next(struct csv_reader *r, struct sample *out, char *err, size_t errlen);
void csv_reader_close(struct csv_reader *r);

/* Splits one RFC 4180 record (without its line end) into fields; exported
 * for tests and the fuzzer. 0, or -EINVAL for a stray quote. */
int csv_split(const char *rec, size_t len, struct strvec *fields);

#endif

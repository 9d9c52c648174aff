#ifndef DETECT_SERIES_H
#define DETECT_SERIES_H
/*
 * A univariate time series read from CSV (NAB layout: a header naming a
 * `timestamp` and a `value` column, then one row per sample). The series owns
 * all its arrays; series_release() frees them. A value cell that is empty or
 * not a finite number is kept as NaN (missing), never guessed.
 */
#include <stddef.h>
#include <stdint.h>

#define SERIES_MAX_ROWS  5000000
#define SERIES_MAX_LINE  4096
#define SERIES_MAX_BYTES (512u << 20)

struct series {
	size_t n;
	int64_t *ts_ms;     /* parsed timestamps (Unix ms, UTC) */
	double *value;      /* NaN where missing */
	char **ts_text;     /* timestamps as written, pointers into text */
	char *text;         /* owned storage for ts_text */
};

/*
 * Parses CSV text. On failure returns -EINVAL (or -E2BIG past a limit) and
 * writes "line L: what" into err. Out-of-order timestamps are accepted (the
 * detector copes); unparseable timestamps are errors.
 */
int series_parse(const char *text, size_t len, struct series *out,
		 char *err, size_t errlen);
/* Reads a file; err names the file ("FILE:L: what"). */
int series_read_file(const char *path, struct series *out, char *err,
		     size_t errlen);
void series_release(struct series *s);

#endif

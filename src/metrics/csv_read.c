#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "metrics/csv.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

/* Field ids in colmap: a native column index, a custom column, a seed column. */
#define ID_IGNORE (-1)
#define ID_CUSTOM 1000
#define ID_SEED 2000

int csv_split(const char *rec, size_t len, struct strvec *fields)
{
	struct buf f = BUF_INIT;
	size_t i = 0;
	int rc = 0;

	for (;;) {
		buf_reset(&f);
		if (i < len && rec[i] == '"') {
			i++;
			for (;;) {
				if (i >= len) {
					rc = -EINVAL; /* unterminated quote */
					goto out;
				}
				if (rec[i] == '"') {
					if (i + 1 < len && rec[i + 1] == '"') {
						buf_addch(&f, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				buf_addch(&f, rec[i++]);
			}
			if (i < len && rec[i] != ',') {
				rc = -EINVAL; /* text after a closing quote */
				goto out;
			}
		} else {
			while (i < len && rec[i] != ',') {
				if (rec[i] == '"') {
					rc = -EINVAL; /* a quote inside an unquoted field */
					goto out;
				}
				buf_addch(&f, rec[i++]);
			}
		}
		strvec_push(fields, f.data ? f.data : "");
		if (fields->n > CSV_MAX_COLUMNS) {
			rc = -E2BIG;
			goto out;
		}
		if (i >= len)
			break;
		i++; /* the comma */
	}
out:
	buf_release(&f);
	return rc;
}

void csv_reader_open(struct csv_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	r->fd = -1;
	r->line = 1;
	buf_init(&r->data, CSV_MAX_RECORD * 2);
}

void csv_reader_close(struct csv_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->colmap);
	strvec_clear(&r->custom);
	buf_release(&r->data);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void restart(struct csv_reader *r)
{
	r->off = 0;
	r->line = 1;
	r->have_header = false;
	free(r->colmap);
	r->colmap = NULL;
	r->ncols = 0;
	strvec_clear(&r->custom);
	buf_reset(&r->data);
}

static int set_header(struct csv_reader *r, struct strvec *f, char *err, size_t errlen)
{
	bool seed = f->n && !strcmp(f->v[0], "Timestamp");

	if (!f->n || (strcmp(f->v[0], "timestamp") && !seed)) {
		snprintf(err, errlen, "%s:%ld: not a pod_metrics.csv header (first column "
			 "must be timestamp or Timestamp)", r->path, r->line);
		return -EINVAL;
	}
	r->format = seed ? CSV_SEED : CSV_NATIVE;
	r->ncols = (int)f->n;
	r->colmap = xcalloc(f->n, sizeof(int));
	for (size_t i = 0; i < f->n; i++) {
		int id = ID_IGNORE;
		if (seed) {
			for (int k = 0; k < SAMPLE_SEED_NCOLS; k++)
				if (!strcmp(f->v[i], sample_seed_cols[k]))
					id = ID_SEED + k;
		} else {
			for (size_t k = 0; k < sample_native_ncols; k++)
				if (!strcmp(f->v[i], sample_native_cols[k].name))
					id = (int)k;
			if (id == ID_IGNORE && f->v[i][0]) {
				id = ID_CUSTOM + (int)r->custom.n;
				strvec_push(&r->custom, f->v[i]);
			}
		}
		r->colmap[i] = id;
	}
	r->have_header = true;
	return 0;
}

static bool missing_text(const char *s)
{
	return !s[0] || !strcmp(s, "nan") || !strcmp(s, "NaN") || !strcmp(s, "N/A") ||
	       !strcmp(s, "None");
}

static int num(const char *s, double *out)
{
	if (missing_text(s)) {
		*out = NAN;
		return 0;
	}
	return str_to_double(s, out);
}

/* Seed ages ("5m12s", "3h20m", "2d4h", or seconds); unparseable is missing. */
static double age(const char *s)
{
	int64_t ms;
	if (missing_text(s) || str_to_duration_ms(s, &ms) < 0)
		return NAN;
	return (double)ms / 1000.0;
}

static int set_seed(struct sample *s, int k, const char *v)
{
	double d = NAN;
	int64_t t;

	switch (k) {
	case 0:
		if (time_parse(v, &t) < 0)
			return -EINVAL;
		s->ts_ms = t;
		return 0;
	case 1: sample_set_str(&s->pod, v); return 0;
	case 2: s->pod_age_s = age(v); return 0;
	case 10: case 5: case 19: return 0; /* log line; derived traffic; duplicate reason */
	case 11: sample_set_str(&s->phase, v); return 0;
	case 12: sample_set_str(&s->reason, v); return 0;
	case 16: sample_set_str(&s->error_message, v); return 0;
	case 17: sample_set_str(&s->last_event_reason, v); return 0;
	case 18: sample_set_str(&s->last_event_type, v); return 0;
	case 20: s->last_event_age_s = age(v); return 0;
	case 21: sample_set_str(&s->last_event_source, v); return 0;
	case 22: sample_set_str(&s->last_event_message, v); return 0;
	case 23: sample_set_str(&s->node, v); return 0;
	case 24: sample_set_str(&s->node_event_reason, v); return 0;
	case 25: s->node_event_age_s = age(v); return 0;
	case 26: sample_set_str(&s->node_event_source, v); return 0;
	case 27: sample_set_str(&s->node_event_message, v); return 0;
	default: break;
	}
	if (num(v, &d) < 0)
		return -EINVAL;
	switch (k) {
	case 3: s->cpu_pct = d; break;
	case 4: s->mem_pct = d; break;
	case 6: s->net_rx_bps = d; break;
	case 7: s->net_tx_bps = d; break;
	case 8: s->net_rx_errors_ps = d; break;
	case 9: s->net_tx_errors_ps = d; break;
	case 13: s->restarts = d; break;
	case 14: s->containers_ready = d; break;
	case 15: s->containers_total = d; break;
	default: break;
	}
	return 0;
}

static int set_native(struct sample *s, const struct sample_col *c, const char *v)
{
	char *p = (char *)s + c->off;
	int64_t t;

	switch (c->type) {
	case SCOL_TIME:
		if (time_parse(v, &t) < 0)
			return -EINVAL;
		*(int64_t *)p = t;
		return 0;
	case SCOL_STR:
		sample_set_str((char **)p, v[0] ? v : NULL);
		return 0;
	case SCOL_NUM:
	case SCOL_INT:
		return num(v, (double *)p);
	}
	return -EINVAL;
}

static int parse_row(struct csv_reader *r, struct strvec *f, struct sample *out,
		     char *err, size_t errlen)
{
	struct sample s;
	bool have_ts = false;

	if ((int)f->n != r->ncols) {
		snprintf(err, errlen, "%s:%ld: %zu fields, but the header has %d",
			 r->path, r->line, f->n, r->ncols);
		return -EINVAL;
	}
	sample_init(&s, r->custom.n);
	for (size_t i = 0; i < f->n; i++) {
		int id = r->colmap[i], rc = 0;
		const char *name;
		if (id == ID_IGNORE)
			continue;
		if (id >= ID_SEED) {
			rc = set_seed(&s, id - ID_SEED, f->v[i]);
			name = sample_seed_cols[id - ID_SEED];
			have_ts |= id == ID_SEED;
		} else if (id >= ID_CUSTOM) {
			rc = num(f->v[i], &s.custom[id - ID_CUSTOM]);
			name = r->custom.v[id - ID_CUSTOM];
		} else {
			rc = set_native(&s, &sample_native_cols[id], f->v[i]);
			name = sample_native_cols[id].name;
			have_ts |= id == 0;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%ld: column %s: \"%.40s\" is not a valid value",
				 r->path, r->line, name, f->v[i]);
			sample_release(&s);
			return -EINVAL;
		}
	}
	if (!have_ts || !s.pod) {
		snprintf(err, errlen, "%s:%ld: a row needs a timestamp and a pod name", r->path, r->line);
		sample_release(&s);
		return -EINVAL;
	}
	*out = s;
	return 1;
}

/* Finds the end of the record starting at data[0]: the index of its '\n'. */
static ssize_t record_end(const struct buf *d)
{
	bool q = false;
	for (size_t i = 0; i < d->len; i++) {
		if (d->data[i] == '"')
			q = !q;
		else if (d->data[i] == '\n' && !q)
			return (ssize_t)i;
	}
	return -1;
}

static int count_lines(const char *p, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* Reads what the file has past off + data.len; 1 if bytes came, 0 at EOF. */
static int fill(struct csv_reader *r)
{
	char chunk[65536];
	ssize_t n;

	if (r->fd < 0) {
		struct stat st;
		r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0)
			return errno == ENOENT ? 0 : -errno;
		if (fstat(r->fd, &st) == 0) {
			r->dev = st.st_dev;
			r->ino = st.st_ino;
		}
	}
	n = pread(r->fd, chunk, sizeof(chunk), r->off + (off_t)r->data.len);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if (buf_add(&r->data, chunk, (size_t)n) < 0)
		return -E2BIG;
	return 1;
}

/* At EOF: was the file rotated or truncated? 1 if reading should start over. */
static int moved(struct csv_reader *r)
{
	struct stat st;

	if (r->fd < 0 || stat(r->path, &st) < 0)
		return 0;
	if (st.st_dev != r->dev || st.st_ino != r->ino) {
		close(r->fd);
		r->fd = -1;
		restart(r);
		return 1;
	}
	if (st.st_size < r->off) {
		restart(r);
		return 1;
	}
	return 0;
}

int csv_reader_next(struct csv_reader *r, struct sample *out, char *err, size_t errlen)
{
	for (;;) {
		ssize_t end = record_end(&r->data);
		struct strvec f = STRVEC_INIT;
		size_t take, len;
		int rc;

		if (end < 0) {
			if (r->data.len > CSV_MAX_RECORD) {
				const char *nl = memchr(r->data.data, '\n', r->data.len);
				take = nl ? (size_t)(nl - r->data.data) + 1 : r->data.len;
				snprintf(err, errlen, "%s:%ld: a record longer than %u bytes",
					 r->path, r->line, CSV_MAX_RECORD);
				r->off += (off_t)take;
				r->line += count_lines(r->data.data, take);
				buf_consume(&r->data, take);
				return -EINVAL;
			}
			rc = fill(r);
			if (rc < 0) {
				snprintf(err, errlen, "%s: %s", r->path, strerror(-rc));
				return rc;
			}
			if (rc > 0)
				continue;
			/* Nothing complete: forget the partial tail (the writer may cut
			 * it back after a crash) and read it afresh next time. */
			buf_reset(&r->data);
			if (moved(r))
				continue;
			return 0;
		}
		take = (size_t)end + 1;
		len = (size_t)end;
		if (len && r->data.data[len - 1] == '\r')
			len--;
		rc = len ? csv_split(r->data.data, len, &f) : 0;
		if (rc < 0) {
			snprintf(err, errlen, "%s:%ld: %s", r->path, r->line,
				 rc == -E2BIG ? "too many columns" : "malformed quoting");
		} else if (!len) {
			rc = 0; /* an empty line */
		} else if (!r->have_header) {
			rc = set_header(r, &f, err, errlen);
		} else {
			rc = parse_row(r, &f, out, err, errlen);
		}
		strvec_clear(&f);
		r->off += (off_t)take;
		r->line += count_lines(r->data.data, take);
		buf_consume(&r->data, take);
		if (rc == -E2BIG)
			rc = -EINVAL;
		if (rc != 0)
			return rc;
	}
}

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "metrics/csv.h"
#include "metrics/csv_rotate.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "base/banned.h"

int csv_format_parse(const char *s, enum csv_format *out)
{
	if (!strcmp(s, "native"))
		*out = CSV_NATIVE;
	else if (!strcmp(s, "seed"))
		*out = CSV_SEED;
	else
		return -EINVAL;
	return 0;
}

/*
 * One field, quoted when it needs to be (RFC 4180). Line breaks inside a
 * value become spaces: every record is then one line, which is what makes
 * crash recovery (cut back to the last newline) and tailing safe.
 */
static void add_field(struct buf *out, const char *s, bool first)
{
	bool quote = false;

	if (!first)
		buf_addch(out, ',');
	if (!s)
		return;
	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
			quote = true;
	if (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' '))
		quote = true;
	if (quote)
		buf_addch(out, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_adds(out, "\"\"");
		else if (*p == '\n' || *p == '\r')
			buf_addch(out, ' ');
		else
			buf_addch(out, *p);
	}
	if (quote)
		buf_addch(out, '"');
}

static void add_num(struct buf *out, double v)
{
	char tmp[64];
	sample_format_num(v, tmp, sizeof(tmp));
	add_field(out, tmp, false);
}

void csv_header(struct buf *out, enum csv_format format, const struct strvec *custom)
{
	if (format == CSV_SEED) {
		for (size_t i = 0; i < SAMPLE_SEED_NCOLS; i++)
			add_field(out, sample_seed_cols[i], i == 0);
	} else {
		for (size_t i = 0; i < sample_native_ncols; i++)
			add_field(out, sample_native_cols[i].name, i == 0);
		for (size_t i = 0; custom && i < custom->n; i++)
			add_field(out, custom->v[i], false);
	}
	buf_addch(out, '\n');
}

/* An age as kubectl prints it: "45s", "12m", "3h20m", "5d3h". */
static void add_age(struct buf *out, double secs)
{
	char tmp[32];
	long long s;

	if (!isfinite(secs) || secs < 0) {
		add_field(out, NULL, false);
		return;
	}
	s = (long long)secs;
	if (s < 120)
		snprintf(tmp, sizeof(tmp), "%llds", s);
	else if (s < 3 * 3600)
		snprintf(tmp, sizeof(tmp), "%lldm%llds", s / 60, s % 60);
	else if (s < 2 * 86400)
		snprintf(tmp, sizeof(tmp), "%lldh%lldm", s / 3600, (s % 3600) / 60);
	else
		snprintf(tmp, sizeof(tmp), "%lldd%lldh", s / 86400, (s % 86400) / 3600);
	add_field(out, tmp, false);
}

static void seed_row(struct buf *out, const struct sample *s)
{
	char ts[RFC3339_MAX];
	double traffic = s->net_rx_bps + s->net_tx_bps;

	time_rfc3339(s->ts_ms, ts);
	ts[10] = ' ';                   /* "2026-11-24 04:28:01", as the seed writes it */
	ts[19] = '\0';
	add_field(out, ts, true);
	add_field(out, s->pod, false);
	add_age(out, s->pod_age_s);
	add_num(out, s->cpu_pct);
	add_num(out, s->mem_pct);
	add_num(out, traffic);
	add_num(out, s->net_rx_bps);
	add_num(out, s->net_tx_bps);
	add_num(out, s->net_rx_errors_ps);
	add_num(out, s->net_tx_errors_ps);
	add_field(out, NULL, false);    /* Last Log Entry: kubemend does not read logs */
	add_field(out, s->phase, false);
	add_field(out, s->reason, false);
	add_num(out, s->restarts);
	add_num(out, s->containers_ready);
	add_num(out, s->containers_total);
	add_field(out, s->error_message, false);
	add_field(out, s->last_event_reason, false);
	add_field(out, s->last_event_type, false);
	add_field(out, s->last_event_reason, false);
	add_age(out, s->last_event_age_s);
	add_field(out, s->last_event_source, false);
	add_field(out, s->last_event_message, false);
	add_field(out, s->node, false);
	add_field(out, s->node_event_reason, false);
	add_age(out, s->node_event_age_s);
	add_field(out, s->node_event_source, false);
	add_field(out, s->node_event_message, false);
	buf_addch(out, '\n');
}

void csv_row(struct buf *out, const struct sample *s, enum csv_format format)
{
	if (format == CSV_SEED) {
		seed_row(out, s);
		return;
	}
	for (size_t i = 0; i < sample_native_ncols; i++) {
		const struct sample_col *c = &sample_native_cols[i];
		const char *p = (const char *)s + c->off;
		char ts[RFC3339_MAX];
		switch (c->type) {
		case SCOL_TIME:
			time_rfc3339(*(const int64_t *)p, ts);
			add_field(out, ts, i == 0);
			break;
		case SCOL_STR:
			add_field(out, *(char *const *)p, i == 0);
			break;
		case SCOL_NUM:
		case SCOL_INT:
			add_num(out, *(const double *)p);
			break;
		}
	}
	for (size_t i = 0; i < s->ncustom; i++)
		add_num(out, s->custom[i]);
	buf_addch(out, '\n');
}

static int fail(char *err, size_t errlen, const char *path, const char *what, int rc)
{
	snprintf(err, errlen, "%s: %s: %s", path, what, strerror(-rc));
	return rc;
}

/* Cuts a partial last row (no newline) off the end of the file. */
static int drop_partial_tail(int fd, uint64_t *size)
{
	char chunk[4096];
	off_t end = (off_t)*size;

	while (end > 0) {
		off_t start = end > (off_t)sizeof(chunk) ? end - (off_t)sizeof(chunk) : 0;
		ssize_t n = pread(fd, chunk, (size_t)(end - start), start);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t i = n - 1; i >= 0; i--) {
			if (chunk[i] == '\n') {
				off_t keep = start + i + 1;
				if ((uint64_t)keep != *size && ftruncate(fd, keep) < 0)
					return -errno;
				*size = (uint64_t)keep;
				return 0;
			}
		}
		end = start;
	}
	if (*size && ftruncate(fd, 0) < 0)
		return -errno;
	*size = 0;
	return 0;
}

static int header_matches(int fd, const struct buf *want)
{
	char *got = xmalloc(want->len + 1);
	ssize_t n = pread(fd, got, want->len, 0);
	int same = n == (ssize_t)want->len && !memcmp(got, want->data, want->len);
	free(got);
	return same;
}

/* Renames the active file to a free rotated name (FILE.<stamp>[-n]). */
static int move_aside(struct csv_writer *w)
{
	struct buf name = BUF_INIT, gz = BUF_INIT;
	int64_t now = time_real_ms();
	int rc = -EEXIST;

	for (int n = 0; n < 1000; n++) {
		struct stat st;
		csv_rotated_name(w->path, now, n, &name);
		buf_reset(&gz);
		buf_addf(&gz, "%s.gz", name.data);
		if (stat(name.data, &st) == 0 || stat(gz.data, &st) == 0)
			continue;
		rc = rename(w->path, name.data) < 0 ? -errno : 0;
		break;
	}
	buf_release(&name);
	buf_release(&gz);
	return rc;
}

/* When the file at fd was begun: its birth time where the file system
 * keeps one, else now (a restart then counts the age afresh). */
static int64_t born_ms(int fd)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME))
		return (int64_t)sx.stx_btime.tv_sec * 1000 + sx.stx_btime.tv_nsec / 1000000;
	return time_real_ms();
}

static void *sweep_run(void *arg)
{
	struct csv_writer *w = arg;
	uint64_t kept = 0;
	w->sweep_rc = csv_sweep(w->path, &w->rot, time_real_ms(), &kept);
	if (w->sweep_rc == 0)
		atomic_store(&w->rotated_bytes, kept);
	return NULL;
}

/* Compression and retention run beside the writer, one sweep at a time. */
static void sweep_wait(struct csv_writer *w)
{
	if (w->sweeping) {
		pthread_join(w->sweeper, NULL);
		w->sweeping = false;
	}
}

static void sweep_start(struct csv_writer *w)
{
	sweep_wait(w);
	if (!w->rot.compress && !w->rot.retention_ms && !w->rot.retention_bytes)
		return;
	w->sweeping = pthread_create(&w->sweeper, NULL, sweep_run, w) == 0;
	if (!w->sweeping)
		sweep_run(w);
}

static int open_file(struct csv_writer *w, char *err, size_t errlen)
{
	struct buf hdr = BUF_INIT;
	struct stat st;
	int rc;

	/* 0600: rows carry event messages from the cluster */
	w->fd = open(w->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return fail(err, errlen, w->path, "cannot open", -errno);
	if (fstat(w->fd, &st) < 0)
		return fail(err, errlen, w->path, "cannot stat", -errno);
	w->size = (uint64_t)st.st_size;
	rc = drop_partial_tail(w->fd, &w->size);
	if (rc < 0)
		return fail(err, errlen, w->path, "cannot repair the last row", rc);
	csv_header(&hdr, w->format, &w->custom);
	if (w->size > 0 && !header_matches(w->fd, &hdr)) {
		/* Another format or other columns: that file is rotated away. */
		rc = move_aside(w);
		close(w->fd);
		w->fd = -1;
		if (rc < 0) {
			buf_release(&hdr);
			return fail(err, errlen, w->path, "cannot rotate a file with another header", rc);
		}
		w->rotations++;
		buf_release(&hdr);
		return open_file(w, err, errlen);
	}
	w->started_ms = w->size == 0 ? time_real_ms() : born_ms(w->fd);
	if (w->size == 0) {
		rc = file_write_fd(w->fd, hdr.data, hdr.len);
		if (rc < 0) {
			buf_release(&hdr);
			return fail(err, errlen, w->path, "cannot write the header", rc);
		}
		w->size = hdr.len;
	}
	buf_release(&hdr);
	return 0;
}

int csv_writer_open_with(struct csv_writer *w, const char *path, enum csv_format format,
			 const struct strvec *custom, const struct csv_rotation *rot,
			 char *err, size_t errlen)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->path = xstrdup(path);
	w->format = format;
	w->rot = *rot;
	w->max_bytes = rot->max_bytes;
	for (size_t i = 0; custom && format == CSV_NATIVE && i < custom->n; i++)
		strvec_push(&w->custom, custom->v[i]);
	rc = open_file(w, err, errlen);
	if (rc < 0) {
		csv_writer_close(w);
		return rc;
	}
	sweep_start(w); /* what an earlier run left: uncompressed or expired files */
	return 0;
}

int csv_writer_open(struct csv_writer *w, const char *path, enum csv_format format,
		    const struct strvec *custom, uint64_t max_bytes, char *err, size_t errlen)
{
	struct csv_rotation rot;
	csv_rotation_defaults(&rot, max_bytes);
	return csv_writer_open_with(w, path, format, custom, &rot, err, errlen);
}

static int rotate(struct csv_writer *w, char *err, size_t errlen)
{
	int rc;

	sweep_wait(w);
	fsync(w->fd);
	rc = move_aside(w);
	if (rc < 0)
		return fail(err, errlen, w->path, "cannot rotate", rc);
	close(w->fd);
	w->fd = -1;
	w->rotations++;
	rc = open_file(w, err, errlen);
	if (rc == 0)
		sweep_start(w);
	return rc;
}

int csv_writer_append(struct csv_writer *w, const struct sample *rows, size_t n,
		      char *err, size_t errlen)
{
	struct buf out = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		csv_row(&out, &rows[i], w->format);
	if (w->size > 0 && ((w->max_bytes && w->size + out.len > w->max_bytes) ||
			    (w->rot.max_age_ms > 0 &&
			     time_real_ms() - w->started_ms > w->rot.max_age_ms))) {
		struct buf hdr = BUF_INIT;
		csv_header(&hdr, w->format, &w->custom);
		if (w->size > hdr.len)
			rc = rotate(w, err, errlen);
		buf_release(&hdr);
	}
	if (rc == 0 && out.len) {
		rc = file_write_fd(w->fd, out.data, out.len);
		if (rc < 0)
			fail(err, errlen, w->path, "cannot append", rc);
		else {
			w->size += out.len;
			w->bytes_written += out.len;
		}
	}
	buf_release(&out);
	return rc;
}

int csv_writer_flush(struct csv_writer *w)
{
	return w->fd >= 0 && fsync(w->fd) < 0 ? -errno : 0;
}

void csv_writer_close(struct csv_writer *w)
{
	if (!w)
		return;
	sweep_wait(w);
	if (w->fd >= 0) {
		fsync(w->fd);
		close(w->fd);
	}
	free(w->path);
	strvec_clear(&w->custom);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "metrics/csv_rotate.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/strvec.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * Rotated files are FILE.YYYYMMDDTHHMMSSZ.gz (the time of the rotation, so
 * names sort by age), compressed from FILE.YYYYMMDDTHHMMSSZ, the renamed
 * active file: FILE.<stamp>.gz.tmp is written, synced and renamed, then the
 * plain file is removed. A crash in between leaves the plain file, which the
 * next sweep compresses. Nothing here touches the active file.
 */

void csv_rotation_defaults(struct csv_rotation *r, uint64_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->max_bytes = max_bytes;
	r->max_age_ms = CSV_DEFAULT_MAX_AGE_MS;
	r->retention_ms = CSV_DEFAULT_RETENTION_MS;
	r->retention_bytes = CSV_DEFAULT_RETENTION_BYTES;
	r->compress = true;
}

void csv_rotated_name(const char *path, int64_t now_ms, int n, struct buf *out)
{
	char ts[RFC3339_MAX], stamp[32];
	size_t j = 0;

	time_rfc3339(now_ms, ts);
	for (const char *p = ts; *p && j + 1 < sizeof(stamp); p++)
		if (*p != '-' && *p != ':')
			stamp[j++] = *p;
	stamp[j] = '\0';
	buf_reset(out);
	if (n)
		buf_addf(out, "%s.%s-%d", path, stamp, n);
	else
		buf_addf(out, "%s.%s", path, stamp);
}

int csv_gzip_file(const char *src, int level)
{
	struct buf dst = BUF_INIT, tmp = BUF_INIT;
	char chunk[1 << 16];
	struct stat st;
	gzFile gz = NULL;
	ssize_t n;
	int in, out = -1, rc = 0;
	char mode[8];

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		rc = -errno;
		goto done;
	}
	buf_addf(&dst, "%s.gz", src);
	buf_addf(&tmp, "%s.gz.tmp", src);
	out = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		goto done;
	}
	snprintf(mode, sizeof(mode), "wb%d", level < 1 || level > 9 ? 1 : level);
	gz = gzdopen(dup(out), mode);
	if (!gz) {
		rc = -ENOMEM;
		goto done;
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0)
		if (gzwrite(gz, chunk, (unsigned)n) != (int)n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	if (gzclose(gz) != Z_OK && rc == 0)
		rc = -EIO;
	gz = NULL;
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
	if (rc == 0) {
		/* the compressed file keeps the time of its last row */
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		futimens(out, times);
	}
	close(out);
	out = -1;
	if (rc == 0 && rename(tmp.data, dst.data) < 0)
		rc = -errno;
	if (rc == 0)
		unlink(src);
	else
		unlink(tmp.data);
done:
	if (out >= 0)
		close(out);
	close(in);
	buf_release(&dst);
	buf_release(&tmp);
	return rc;
}

/* Whether name (in the directory) is one of base's rotated files. */
static bool is_rotated(const char *name, const char *base, bool *plain)
{
	size_t bl = strlen(base), nl = strlen(name);
	const char *p = name + bl + 1;

	if (nl < bl + 2 || strncmp(name, base, bl) || name[bl] != '.')
		return false;
	/* FILE.20261207T154500Z[-N][.gz], or FILE.1 (older kubemend) */
	if (!strcmp(p, "1") || !strcmp(p, "1.gz")) {
		*plain = !strcmp(p, "1");
		return true;
	}
	if (strlen(p) < 16 || p[8] != 'T' || p[15] != 'Z')
		return false;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (p[i] < '0' || p[i] > '9'))
			return false;
	if (nl > 7 && !strcmp(name + nl - 7, ".gz.tmp"))
		return false;
	*plain = !(nl > 3 && !strcmp(name + nl - 3, ".gz"));
	return true;
}

struct rotated {
	char *name;
	const char *stamp;              /* in name: "20261207T154500Z..." or "1" */
	int64_t mtime_ns;
	uint64_t size;
	long n;                         /* the "-n" of a name taken twice in a second */
};

/* Oldest first: by the time of the last row written, then by name order. */
static int cmp_rotated(const void *a, const void *b)
{
	const struct rotated *x = a, *y = b;
	int d;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	d = strncmp(x->stamp, y->stamp, 16);
	if (d)
		return d;
	return x->n < y->n ? -1 : x->n > y->n;
}

int csv_sweep(const char *path, const struct csv_rotation *r, int64_t now_ms,
	      uint64_t *kept_bytes)
{
	struct buf dir = BUF_INIT, full = BUF_INIT;
	struct strvec names = STRVEC_INIT;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	uint64_t total = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (slash)
		buf_add(&dir, path, (size_t)(slash - path) + 1);
	else
		buf_adds(&dir, "./");
	d = opendir(dir.data);
	if (!d) {
		rc = -errno;
		buf_release(&dir);
		return rc;
	}
	while ((de = readdir(d))) {
		bool plain;
		if (is_rotated(de->d_name, base, &plain))
			strvec_push(&names, de->d_name);
	}
	closedir(d);
	/* Plain rotated files left by a crash (or compression off) first. */
	for (size_t i = 0; r->compress && i < names.n; i++) {
		bool plain = false;
		is_rotated(names.v[i], base, &plain);
		if (!plain)
			continue;
		buf_reset(&full);
		buf_addf(&full, "%s%s", dir.data, names.v[i]);
		if (csv_gzip_file(full.data, 6) == 0) {
			char *gz = xmalloc(strlen(names.v[i]) + 4);
			memcpy(gz, names.v[i], strlen(names.v[i]));
			memcpy(gz + strlen(names.v[i]), ".gz", 4);
			free(names.v[i]);
			names.v[i] = gz;
		}
	}
	{
		struct rotated *v = xcalloc(names.n ? names.n : 1, sizeof(*v));
		size_t nv = 0;
		for (size_t i = 0; i < names.n; i++) {
			struct stat st;
			const char *q = names.v[i] + strlen(base) + 1;
			buf_reset(&full);
			buf_addf(&full, "%s%s", dir.data, names.v[i]);
			if (stat(full.data, &st) < 0)
				continue;
			v[nv].name = names.v[i];
			v[nv].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
			v[nv].size = (uint64_t)st.st_size;
			v[nv].stamp = q;
			v[nv].n = strlen(q) > 17 && q[16] == '-' ? strtol(q + 17, NULL, 10) : 0;
			nv++;
		}
		qsort(v, nv, sizeof(*v), cmp_rotated);
		/* The newest are kept while they fit. */
		for (size_t k = nv; k-- > 0;) {
			bool drop = false;
			if (r->retention_ms > 0 && now_ms - v[k].mtime_ns / 1000000 > r->retention_ms)
				drop = true;
			if (r->retention_bytes && total + v[k].size > r->retention_bytes)
				drop = true;
			if (drop) {
				buf_reset(&full);
				buf_addf(&full, "%s%s", dir.data, v[k].name);
				if (unlink(full.data) < 0 && errno != ENOENT && rc == 0)
					rc = -errno;
				continue;
			}
			total += v[k].size;
		}
		free(v);
	}
	if (kept_bytes)
		*kept_bytes = total;
	strvec_clear(&names);
	buf_release(&dir);
	buf_release(&full);
	return rc;
}

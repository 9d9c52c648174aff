#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "base/file.h"
#include "base/mem.h"
#include "detect/lstm_io.h"
#include "base/banned.h"

static int put_u32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	return buf_add(b, c, 4);
}

static int put_u64(struct buf *b, uint64_t v)
{
	int rc = put_u32(b, (uint32_t)v);
	return rc ? rc : put_u32(b, (uint32_t)(v >> 32));
}

static int put_f64(struct buf *b, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	return put_u64(b, v);
}

int lstm_encode(const struct lstm *m, struct buf *out)
{
	const struct lstm_shape *sh = &m->sh;
	size_t start = out->len;
	int rc = buf_add(out, LSTM_FILE_MAGIC, 8);
	uLong crc;

	rc = rc ? rc : put_u32(out, LSTM_FILE_VERSION);
	rc = rc ? rc : put_u32(out, (uint32_t)sh->nin);
	rc = rc ? rc : put_u32(out, (uint32_t)sh->nhid);
	rc = rc ? rc : put_u32(out, (uint32_t)sh->nlayers);
	rc = rc ? rc : put_u32(out, (uint32_t)sh->nout);
	rc = rc ? rc : put_u32(out, (uint32_t)sh->window);
	rc = rc ? rc : put_u64(out, (uint64_t)m->np);
	for (int i = 0; rc == 0 && i < sh->nin; i++) {
		size_t l = strlen(m->feat[i]);
		unsigned char c[2] = { (unsigned char)l, (unsigned char)(l >> 8) };
		rc = buf_add(out, c, 2);
		rc = rc ? rc : buf_add(out, m->feat[i], l);
	}
	for (int i = 0; rc == 0 && i < sh->nin; i++)
		rc = put_f64(out, m->centre[i]);
	for (int i = 0; rc == 0 && i < sh->nin; i++)
		rc = put_f64(out, m->scale[i]);
	for (int j = 0; rc == 0 && j < sh->nout; j++)
		rc = put_f64(out, m->err_scale[j]);
	rc = rc ? rc : put_u32(out, (uint32_t)m->ncal);
	for (int j = 0; rc == 0 && j < m->ncal; j++) {
		rc = put_f64(out, m->cal_x[j]);
		rc = rc ? rc : put_f64(out, m->cal_y[j]);
	}
	for (size_t k = 0; rc == 0 && k < m->np; k++)
		rc = put_f64(out, m->p[k]);
	if (rc)
		return rc;
	crc = crc32(0L, (const Bytef *)out->data + start, (uInt)(out->len - start));
	return put_u32(out, (uint32_t)crc);
}

struct rd {
	const unsigned char *p;
	size_t len, pos;
};

static int need(struct rd *r, size_t n)
{
	return r->len - r->pos >= n ? 0 : -1;
}

static uint32_t get_u32(struct rd *r)
{
	const unsigned char *c = r->p + r->pos;
	r->pos += 4;
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

static double get_f64(struct rd *r)
{
	uint64_t v = get_u32(r);
	double d;
	v |= (uint64_t)get_u32(r) << 32;
	memcpy(&d, &v, 8);
	return d;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

int lstm_decode(const void *data, size_t len, struct lstm *out, char *err,
		size_t errlen)
{
	struct rd r = { data, len, 0 };
	struct lstm m;
	struct lstm_shape sh;
	uint32_t ver, crc;
	uint64_t np;

	memset(&m, 0, sizeof(m));
	if (len > LSTM_FILE_MAX)
		FAIL("larger than %u bytes", LSTM_FILE_MAX);
	if (len < 4 || need(&r, 8) || memcmp(r.p, LSTM_FILE_MAGIC, 8))
		FAIL("not a kubemend model file (bad magic at byte 0)");
	crc = (uint32_t)crc32(0L, (const Bytef *)data, (uInt)(len - 4));
	r.pos = 8;
	if (need(&r, 4 * 6 + 8))
		FAIL("truncated header (%zu bytes)", len);
	ver = get_u32(&r);
	if (ver != 1 && ver != LSTM_FILE_VERSION)
		FAIL("version %u not supported (this kubemend reads %d) at byte 8", ver,
		     LSTM_FILE_VERSION);
	sh.nin = (int)get_u32(&r);
	sh.nhid = (int)get_u32(&r);
	sh.nlayers = (int)get_u32(&r);
	sh.nout = (int)get_u32(&r);
	sh.window = (int)get_u32(&r);
	if (lstm_shape_check(&sh) < 0 || sh.nout > sh.nin)
		FAIL("shape out of limits (in %d, hidden %d, layers %d, out %d, window %d) at byte 12",
		     sh.nin, sh.nhid, sh.nlayers, sh.nout, sh.window);
	np = get_u32(&r);
	np |= (uint64_t)get_u32(&r) << 32;
	if (np != lstm_nparams(&sh))
		FAIL("parameter count %llu does not match the shape (%zu) at byte 32",
		     (unsigned long long)np, lstm_nparams(&sh));
	m.sh = sh;
	m.np = (size_t)np;
	m.feat = xcalloc((size_t)sh.nin, sizeof(char *));
	for (int i = 0; i < sh.nin; i++) {
		size_t l;
		if (need(&r, 2))
			FAIL("truncated in feature names at byte %zu", r.pos);
		l = (size_t)r.p[r.pos] | (size_t)r.p[r.pos + 1] << 8;
		r.pos += 2;
		if (l == 0 || l > LSTM_NAME_MAX)
			FAIL("bad feature name length %zu at byte %zu", l, r.pos - 2);
		if (need(&r, l))
			FAIL("truncated in feature names at byte %zu", r.pos);
		for (size_t k = 0; k < l; k++)
			if (r.p[r.pos + k] < 0x21 || r.p[r.pos + k] > 0x7e)
				FAIL("feature name with a non-printable byte at byte %zu", r.pos + k);
		m.feat[i] = xstrndup((const char *)r.p + r.pos, l);
		r.pos += l;
	}
	if (need(&r, 8 * (2 * (size_t)sh.nin + (size_t)sh.nout)))
		FAIL("truncated: %zu bytes, the shape needs more", len);
	m.centre = xmalloc((size_t)sh.nin * sizeof(double));
	m.scale = xmalloc((size_t)sh.nin * sizeof(double));
	m.err_scale = xmalloc((size_t)sh.nout * sizeof(double));
	for (int i = 0; i < sh.nin; i++)
		m.centre[i] = get_f64(&r);
	for (int i = 0; i < sh.nin; i++)
		m.scale[i] = get_f64(&r);
	for (int j = 0; j < sh.nout; j++)
		m.err_scale[j] = get_f64(&r);
	if (ver >= 2) {
		uint32_t nc;
		if (need(&r, 4))
			FAIL("truncated: %zu bytes, the shape needs more", len);
		nc = get_u32(&r);
		if (nc > LSTM_MAX_CAL)
			FAIL("%u calibration knots (at most %d) at byte %zu", nc, LSTM_MAX_CAL, r.pos - 4);
		if (need(&r, 16 * (size_t)nc))
			FAIL("truncated: %zu bytes, the shape needs more", len);
		m.ncal = (int)nc;
		m.cal_x = xmalloc((nc ? nc : 1) * sizeof(double));
		m.cal_y = xmalloc((nc ? nc : 1) * sizeof(double));
		for (uint32_t j = 0; j < nc; j++) {
			m.cal_x[j] = get_f64(&r);
			m.cal_y[j] = get_f64(&r);
		}
	}
	if (need(&r, 8 * m.np + 4))
		FAIL("truncated: %zu bytes, the shape needs %zu", len, r.pos + 8 * m.np + 4);
	if (r.len - r.pos != 8 * m.np + 4)
		FAIL("%zu trailing bytes after the checksum", r.len - r.pos - (8 * m.np + 4));
	m.p = xmalloc(m.np * sizeof(double));
	for (size_t k = 0; k < m.np; k++)
		m.p[k] = get_f64(&r);
	if (get_u32(&r) != crc)
		FAIL("checksum mismatch (the file is corrupt) at byte %zu", len - 4);
	for (int i = 0; i < sh.nin; i++)
		if (!isfinite(m.centre[i]) || !isfinite(m.scale[i]) || !(m.scale[i] > 0))
			FAIL("bad normalisation for feature '%s'", m.feat[i]);
	for (int j = 0; j < sh.nout; j++)
		if (!isfinite(m.err_scale[j]) || !(m.err_scale[j] > 0))
			FAIL("bad error scale for output %d", j);
	for (int j = 0; j < m.ncal; j++)
		if (!(m.cal_x[j] >= 0 && m.cal_x[j] <= 1 && m.cal_y[j] >= 0 && m.cal_y[j] <= 1) ||
		    (j && !(m.cal_x[j] > m.cal_x[j - 1] && m.cal_y[j] >= m.cal_y[j - 1])))
			FAIL("calibration knot %d is not monotone in [0,1]", j);
	for (size_t k = 0; k < m.np; k++)
		if (!isfinite(m.p[k]))
			FAIL("parameter %zu is not finite", k);
	*out = m;
	return 0;
fail:
	lstm_release(&m);
	return -EINVAL;
}

int lstm_save(const struct lstm *m, const char *path)
{
	struct buf b = BUF_INIT;
	int rc = lstm_encode(m, &b);

	if (rc == 0)
		rc = file_write_atomic(path, b.data, b.len);
	buf_release(&b);
	return rc;
}

int lstm_load(const char *path, struct lstm *m, char *err, size_t errlen)
{
	struct buf b;
	char e[256];
	int rc;

	buf_init(&b, LSTM_FILE_MAX);
	rc = file_read_all(path, LSTM_FILE_MAX, &b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		buf_release(&b);
		return rc;
	}
	rc = lstm_decode(b.data, b.len, m, e, sizeof(e));
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, e);
	buf_release(&b);
	return rc;
}

int lstm_check_features(const struct lstm *m, const char *const *names,
			int n, char *err, size_t errlen)
{
	if (n != m->sh.nin) {
		snprintf(err, errlen, "model has %d features, expected %d", m->sh.nin, n);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(m->feat[i], names[i])) {
			snprintf(err, errlen, "model feature %d is '%s', expected '%s'", i + 1,
				 m->feat[i], names[i]);
			return -EINVAL;
		}
	}
	return 0;
}

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "eval/pkl.h"
#include "base/banned.h"

#define MAXITEMS 64
#define MAXTUP 12

enum kind { K_MARK, K_INT, K_STR, K_TUPLE, K_NONE, K_BOOL, K_BYTES, K_GLOBAL, K_DTYPE, K_ARRAY };
enum glob { G_RECONSTRUCT, G_NDARRAY, G_DTYPE };

struct item {
	enum kind k;
	long long i;            /* K_INT, K_BOOL, K_GLOBAL (enum glob) */
	size_t off, len;        /* K_STR, K_BYTES: within the input */
	int tup[MAXTUP], ntup;  /* K_TUPLE: item indices */
	char descr[8];          /* K_DTYPE: "f4", "f8"; then the byte order */
	char order;
	int done;               /* K_ARRAY: built */
	size_t rows, cols, bytes_off, bytes_len;
	int ndim, fortran;
};

struct st {
	const unsigned char *p;
	size_t len, pos;
	struct item it[MAXITEMS];
	int nit;
	int stack[MAXITEMS], sp;
	char *err;
	size_t errlen;
};

#define BAD(...) do { snprintf(s->err, s->errlen, __VA_ARGS__); return -EINVAL; } while (0)

static int push(struct st *s, struct item *v)
{
	if (s->nit == MAXITEMS || s->sp == MAXITEMS)
		BAD("byte %zu: pickle too complex for an ndarray", s->pos);
	s->it[s->nit] = *v;
	s->stack[s->sp++] = s->nit++;
	return 0;
}

static struct item *pop(struct st *s)
{
	if (s->sp == 0)
		return NULL;
	return &s->it[s->stack[--s->sp]];
}

static uint32_t le32(const unsigned char *c)
{
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

static int tuple_of(struct st *s, int n)
{
	struct item t = { .k = K_TUPLE };
	if (n > MAXTUP || n > s->sp)
		BAD("byte %zu: bad tuple", s->pos);
	for (int i = 0; i < n; i++)
		t.tup[i] = s->stack[s->sp - n + i];
	t.ntup = n;
	s->sp -= n;
	for (int i = 0; i < n; i++)
		if (s->it[t.tup[i]].k == K_MARK)
			BAD("byte %zu: mark inside a tuple", s->pos);
	return push(s, &t);
}

static int line(struct st *s, const char **out, size_t *n)
{
	const unsigned char *nl = memchr(s->p + s->pos, '\n', s->len - s->pos);
	if (!nl)
		BAD("byte %zu: unterminated name", s->pos);
	*out = (const char *)s->p + s->pos;
	*n = (size_t)(nl - (s->p + s->pos));
	s->pos += *n + 1;
	return 0;
}

static int is(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && !memcmp(a, b, n);
}

/* The ndarray's state: (version, shape, dtype, fortran, payload). */
static int build_array(struct st *s, struct item *arr, struct item *state)
{
	struct item *shape, *dt, *fo, *by;
	size_t item_size, n = 1;

	if (state->k != K_TUPLE || state->ntup != 5)
		BAD("byte %zu: ndarray state is not a 5-tuple", s->pos);
	shape = &s->it[state->tup[1]];
	dt = &s->it[state->tup[2]];
	fo = &s->it[state->tup[3]];
	by = &s->it[state->tup[4]];
	if (shape->k != K_TUPLE || shape->ntup < 1 || shape->ntup > 2)
		BAD("byte %zu: only 1- and 2-dimensional arrays are supported", s->pos);
	for (int i = 0; i < shape->ntup; i++) {
		struct item *d = &s->it[shape->tup[i]];
		if (d->k != K_INT || d->i < 0 || d->i > (1ll << 31))
			BAD("byte %zu: bad dimension", s->pos);
		if (n > (size_t)-1 / ((size_t)d->i + 1))
			BAD("byte %zu: array too large", s->pos);
		n *= (size_t)d->i;
	}
	if (dt->k != K_DTYPE || (dt->order != '<' && dt->order != '|'))
		BAD("byte %zu: dtype must be little-endian f4 or f8", s->pos);
	item_size = !strcmp(dt->descr, "f4") ? 4 : !strcmp(dt->descr, "f8") ? 8 : 0;
	if (!item_size)
		BAD("byte %zu: dtype '%s' not supported (f4, f8)", s->pos, dt->descr);
	if (fo->k != K_BOOL || by->k != K_BYTES)
		BAD("byte %zu: bad ndarray state", s->pos);
	if (n > PKL_MAX_BYTES / item_size || by->len != n * item_size)
		BAD("byte %zu: payload of %zu bytes, shape needs %zu", s->pos, by->len, n * item_size);
	arr->ndim = shape->ntup;
	arr->rows = (size_t)s->it[shape->tup[0]].i;
	arr->cols = shape->ntup == 2 ? (size_t)s->it[shape->tup[1]].i : 1;
	arr->fortran = (int)fo->i;
	arr->bytes_off = by->off;
	arr->bytes_len = by->len;
	memcpy(arr->descr, dt->descr, sizeof(arr->descr));
	arr->done = 1;
	return 0;
}

int pkl_parse(const void *data, size_t len, struct pkl_array *out, char *err,
	      size_t errlen)
{
	struct st *s = xcalloc(1, sizeof(*s));
	struct item v, *a, *b;
	int rc = -EINVAL;

	s->p = data;
	s->len = len;
	s->err = err;
	s->errlen = errlen;
	if (len > PKL_MAX_BYTES) {
		snprintf(err, errlen, "larger than %u bytes", PKL_MAX_BYTES);
		goto out;
	}
	if (len < 2 || s->p[0] != 0x80 || (s->p[1] != 2 && s->p[1] != 3)) {
		snprintf(err, errlen, "byte 0: not a pickle of protocol 2 or 3");
		goto out;
	}
	s->pos = 2;
	for (;;) {
		unsigned char op;
		if (s->pos >= len) {
			snprintf(err, errlen, "byte %zu: truncated (no STOP)", s->pos);
			goto out;
		}
		op = s->p[s->pos++];
		memset(&v, 0, sizeof(v));
#define NEED(n) do { if (len - s->pos < (size_t)(n)) { snprintf(err, errlen, "byte %zu: truncated", s->pos); goto out; } } while (0)
		switch (op) {
		case 'c': {
			const char *m, *n;
			size_t ml, nl;
			if (line(s, &m, &ml) || line(s, &n, &nl))
				goto out;
			v.k = K_GLOBAL;
			if (is(m, ml, "numpy.core.multiarray") && is(n, nl, "_reconstruct"))
				v.i = G_RECONSTRUCT;
			else if (is(m, ml, "numpy") && is(n, nl, "ndarray"))
				v.i = G_NDARRAY;
			else if (is(m, ml, "numpy") && is(n, nl, "dtype"))
				v.i = G_DTYPE;
			else {
				snprintf(err, errlen, "byte %zu: global '%.*s.%.*s' refused", s->pos,
					 (int)(ml > 40 ? 40 : ml), m, (int)(nl > 40 ? 40 : nl), n);
				goto out;
			}
			break;
		}
		case 'q': NEED(1); s->pos += 1; continue;       /* BINPUT: memo unused */
		case 'r': NEED(4); s->pos += 4; continue;       /* LONG_BINPUT */
		case 'K': NEED(1); v.k = K_INT; v.i = s->p[s->pos]; s->pos += 1; break;
		case 'M': NEED(2); v.k = K_INT; v.i = s->p[s->pos] | s->p[s->pos + 1] << 8; s->pos += 2; break;
		case 'J': NEED(4); v.k = K_INT; v.i = (int32_t)le32(s->p + s->pos); s->pos += 4; break;
		case 'N': v.k = K_NONE; break;
		case 0x88: v.k = K_BOOL; v.i = 1; break;
		case 0x89: v.k = K_BOOL; v.i = 0; break;
		case '(': v.k = K_MARK; break;
		case 'X': case 'B': case 'C': {
			size_t n;
			if (op == 'C') {
				NEED(1);
				n = s->p[s->pos++];
			} else {
				NEED(4);
				n = le32(s->p + s->pos);
				s->pos += 4;
			}
			NEED(n);
			v.k = op == 'X' ? K_STR : K_BYTES;
			v.off = s->pos;
			v.len = n;
			s->pos += n;
			break;
		}
		case 0x85: case 0x86: case 0x87:
			if (tuple_of(s, op - 0x84))
				goto out;
			continue;
		case 't': {
			int m = s->sp;
			while (m > 0 && s->it[s->stack[m - 1]].k != K_MARK)
				m--;
			if (m == 0) {
				snprintf(err, errlen, "byte %zu: tuple without a mark", s->pos);
				goto out;
			}
			{
				int n = s->sp - m;
				if (tuple_of(s, n))
					goto out;
				/* drop the mark below the new tuple */
				s->stack[s->sp - 2] = s->stack[s->sp - 1];
				s->sp--;
			}
			continue;
		}
		case 'R':
			b = pop(s);
			a = pop(s);
			if (!a || !b || a->k != K_GLOBAL || b->k != K_TUPLE) {
				snprintf(err, errlen, "byte %zu: bad REDUCE", s->pos);
				goto out;
			}
			if (a->i == G_DTYPE) {
				struct item *d = b->ntup ? &s->it[b->tup[0]] : NULL;
				if (!d || d->k != K_STR || d->len >= sizeof(v.descr)) {
					snprintf(err, errlen, "byte %zu: bad dtype", s->pos);
					goto out;
				}
				v.k = K_DTYPE;
				memcpy(v.descr, s->p + d->off, d->len);
			} else if (a->i == G_RECONSTRUCT) {
				v.k = K_ARRAY;
			} else {
				snprintf(err, errlen, "byte %zu: REDUCE of ndarray itself refused", s->pos);
				goto out;
			}
			break;
		case 'b':
			b = pop(s);
			a = s->sp ? &s->it[s->stack[s->sp - 1]] : NULL;
			if (!a || !b || b->k != K_TUPLE) {
				snprintf(err, errlen, "byte %zu: bad BUILD", s->pos);
				goto out;
			}
			if (a->k == K_DTYPE) {
				struct item *o = b->ntup >= 2 ? &s->it[b->tup[1]] : NULL;
				if (!o || o->k != K_STR || o->len != 1) {
					snprintf(err, errlen, "byte %zu: bad dtype state", s->pos);
					goto out;
				}
				a->order = (char)s->p[o->off];
			} else if (a->k == K_ARRAY && !a->done) {
				if (build_array(s, a, b))
					goto out;
			} else {
				snprintf(err, errlen, "byte %zu: bad BUILD target", s->pos);
				goto out;
			}
			continue;
		case '.':
			a = s->sp == 1 ? &s->it[s->stack[0]] : NULL;
			if (!a || a->k != K_ARRAY || !a->done) {
				snprintf(err, errlen, "byte %zu: the pickle is not one ndarray", s->pos);
				goto out;
			}
			if (s->pos != len) {
				snprintf(err, errlen, "byte %zu: data after STOP", s->pos);
				goto out;
			}
			if (a->fortran && a->ndim == 2 && a->cols > 1) {
				snprintf(err, errlen, "Fortran-order arrays are not supported");
				goto out;
			}
			{
				size_t n = a->rows * a->cols, isz = a->descr[1] == '4' ? 4 : 8;
				const unsigned char *src = s->p + a->bytes_off;
				struct pkl_array r = { a->ndim, a->rows, a->cols, xmalloc((n ? n : 1) * sizeof(double)) };
				for (size_t i = 0; i < n; i++) {
					if (isz == 4) {
						uint32_t u = le32(src + 4 * i);
						float f;
						memcpy(&f, &u, 4);
						r.data[i] = f;
					} else {
						uint64_t u = le32(src + 8 * i) | (uint64_t)le32(src + 8 * i + 4) << 32;
						memcpy(&r.data[i], &u, 8);
					}
				}
				*out = r;
			}
			rc = 0;
			goto out;
		default:
			snprintf(err, errlen, "byte %zu: opcode 0x%02x not allowed in an ndarray pickle",
				 s->pos - 1, op);
			goto out;
		}
		if (push(s, &v))
			goto out;
	}
out:
	free(s);
	return rc;
}

int pkl_read_file(const char *path, struct pkl_array *out, char *err,
		  size_t errlen)
{
	struct buf b;
	char e[256];
	int rc;

	buf_init(&b, PKL_MAX_BYTES);
	rc = file_read_all(path, PKL_MAX_BYTES, &b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		buf_release(&b);
		return rc;
	}
	rc = pkl_parse(b.data, b.len, out, e, sizeof(e));
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, e);
	buf_release(&b);
	return rc;
}

void pkl_release(struct pkl_array *a)
{
	if (!a)
		return;
	free(a->data);
	memset(a, 0, sizeof(*a));
}

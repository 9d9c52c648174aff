#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include "kube/jsonskim.h"
#include "base/mem.h"
#include "base/banned.h"

#define MAX_DEPTH 2048 /* as jansson's parser */

#define MAX_DROP 128
#define MAX_KEYLEN 64   /* drop names longer than this are compared the slow way */

/*
 * The walk copies the text in spans: from is where the bytes not yet
 * copied to out begin, and a span is flushed only where the output leaves
 * the input (whitespace, a dropped member), so compact text costs one copy
 * per dropped member, not one per token.
 */
struct skim {
	const char *p, *end;
	const char *from;
	const char *const *drop;
	size_t ndrop, droplen[MAX_DROP];
	/* drop names by length: bylen[len] lists their indexes, ending with -1 */
	signed char bylen[MAX_KEYLEN + 1][MAX_DROP + 1];
	struct buf *out;
	int depth;
};

static void flush(struct skim *s, const char *to)
{
	if (to > s->from)
		buf_add(s->out, s->from, (size_t)(to - s->from));
	s->from = to;
}

static inline bool is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Skips whitespace; when emitting, the whitespace is left out of out. */
static inline void ws(struct skim *s, bool emit)
{
	if (s->p < s->end && is_ws(*s->p)) {
		if (emit)
			flush(s, s->p);
		while (s->p < s->end && is_ws(*s->p))
			s->p++;
		if (emit)
			s->from = s->p;
	}
}

static int hex4(const char *p, const char *end)
{
	int v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The escape at p (its backslash), as jansson accepts it: its length, or 0. */
static size_t escape(const char *p, const char *end)
{
	int u, lo;

	if (end - p < 2)
		return 0;
	if (strchr("\"\\/bfnrt", p[1]) && p[1])
		return 2;
	if (p[1] != 'u' || (u = hex4(p + 2, end)) < 0 || u == 0)
		return 0;               /* \u0000 too: jansson refuses it by default */
	if (u >= 0xDC00 && u <= 0xDFFF)
		return 0;               /* a low surrogate alone */
	if (u < 0xD800 || u > 0xDBFF)
		return 6;
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || (lo = hex4(p + 8, end)) < 0 ||
	    lo < 0xDC00 || lo > 0xDFFF)
		return 0;
	return 12;
}

/* The UTF-8 sequence at p (its first byte >= 0x80), as jansson accepts it:
 * its length, or 0 (overlong, a surrogate, past U+10FFFF, cut). */
static size_t utf8(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	unsigned v;

	if (*p < 0xC2 || *p > 0xF4)
		return 0;
	n = *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
	if ((size_t)(end - p) < n)
		return 0;
	v = *p & (0x7Fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	return n;
}

/* A string at s->p (its opening quote); from and to bound it, quotes
 * included. Checked as jansson checks it: escapes, UTF-8, no control
 * characters. */
static int string(struct skim *s, const char **from, const char **to)
{
	const char *p = s->p + 1, *end = s->end;

	*from = s->p;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		size_t n;
		if (c == '"') {
			s->p = p + 1;
			*to = s->p;
			return 0;
		}
		if (c == '\\') {
			if (!(n = escape(p, end)))
				return -EINVAL;
			p += n;
			continue;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c >= 0x80) {
			if (!(n = utf8((const unsigned char *)p, (const unsigned char *)end)))
				return -EINVAL;
			p += n;
			continue;
		}
		p++;
	}
	return -EINVAL;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whether jansson can hold the number [a, b): an integer within long long,
 * a real that does not overflow a double. */
static bool number_fits(const char *a, const char *b)
{
	size_t n = (size_t)(b - a), digits = n - (*a == '-');
	char small[64], *buf = small;
	bool ok;

	if (!memchr(a, '.', n) && !memchr(a, 'e', n) && !memchr(a, 'E', n)) {
		const char *d = a + (*a == '-');
		if (digits < 19)
			return true;
		if (digits > 19)
			return false;
		return memcmp(d, *a == '-' ? "9223372036854775808" : "9223372036854775807", 19) <= 0;
	}
	if (n >= sizeof(small))
		buf = xmalloc(n + 1);
	memcpy(buf, a, n);
	buf[n] = '\0';
	ok = isfinite(strtod(buf, NULL));
	if (buf != small)
		free(buf);
	return ok;
}

static int literal(struct skim *s)
{
	static const char *const words[] = { "true", "false", "null" };
	static const size_t lens[] = { 4, 5, 4 };
	const char *start = s->p;

	if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
		/* JSON's grammar, as jansson reads it: no leading zeros, digits
		 * after '.' and after the exponent's sign */
		const char *p = s->p, *e = s->end;
		if (*p == '-')
			p++;
		if (p >= e || !is_digit(*p))
			return -EINVAL;
		if (*p == '0')
			p++;
		else
			while (p < e && is_digit(*p))
				p++;
		if (p < e && *p == '.') {
			if (++p >= e || !is_digit(*p))
				return -EINVAL;
			while (p < e && is_digit(*p))
				p++;
		}
		if (p < e && (*p == 'e' || *p == 'E')) {
			if (++p < e && (*p == '+' || *p == '-'))
				p++;
			if (p >= e || !is_digit(*p))
				return -EINVAL;
			while (p < e && is_digit(*p))
				p++;
		}
		if (!number_fits(s->p, p))
			return -EINVAL;
		s->p = p;
		return 0;
	}
	for (size_t i = 0; i < 3; i++) {
		if ((size_t)(s->end - start) >= lens[i] && !memcmp(start, words[i], lens[i])) {
			s->p += lens[i];
			return 0;
		}
	}
	return -EINVAL;
}

static bool dropped(const struct skim *s, const char *key, size_t n)
{
	if (n <= MAX_KEYLEN) {
		for (const signed char *i = s->bylen[n]; *i >= 0; i++)
			if (!memcmp(s->drop[*i], key, n))
				return true;
		return false;
	}
	for (size_t i = 0; i < s->ndrop; i++)
		if (s->droplen[i] == n && !memcmp(s->drop[i], key, n))
			return true;
	return false;
}

/* One value; copied to out when emit is set, else only checked and skipped. */
static int value(struct skim *s, bool emit)
{
	const char *a, *b;
	int rc;

	ws(s, emit);
	if (s->p >= s->end)
		return -EINVAL;
	if (*s->p == '"')
		return string(s, &a, &b);
	if (*s->p == '{' || *s->p == '[') {
		char open = *s->p, close = open == '{' ? '}' : ']';
		size_t kept = 0;

		if (++s->depth > MAX_DEPTH)
			return -EINVAL;
		s->p++;
		ws(s, emit);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			return 0;
		}
		for (;;) {
			bool keep = emit;
			ws(s, emit);
			if (open == '{') {
				if (s->p >= s->end || *s->p != '"')
					return -EINVAL;
				if ((rc = string(s, &a, &b)) < 0)
					return rc;
				if (keep && dropped(s, a + 1, (size_t)(b - a) - 2)) {
					/* out loses the member and the comma before it */
					keep = false;
					flush(s, a);
					if (s->out->len && s->out->data[s->out->len - 1] == ',')
						buf_truncate(s->out, s->out->len - 1);
				}
				ws(s, keep);
				if (s->p >= s->end || *s->p != ':')
					return -EINVAL;
				s->p++;
			}
			if ((rc = value(s, keep)) < 0)
				return rc;
			ws(s, keep);
			if (s->p >= s->end)
				return -EINVAL;
			if (keep)
				kept++;
			else if (emit)
				/* after a dropped member: a comma only between kept ones */
				s->from = *s->p == ',' && !kept ? s->p + 1 : s->p;
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p != close)
				return -EINVAL;
			s->p++;
			s->depth--;
			return 0;
		}
	}
	return literal(s);
}

int json_skim(const char *in, size_t len, const char *const *drop, struct buf *out)
{
	struct skim s;
	size_t start = out->len;
	int rc;

	size_t fill[MAX_KEYLEN + 1] = { 0 };

	memset(&s, 0, sizeof(s));
	s.p = s.from = in;
	s.end = in + len;
	s.drop = drop;
	s.out = out;
	memset(s.bylen, -1, sizeof(s.bylen));
	for (; drop && drop[s.ndrop]; s.ndrop++) {
		size_t n = strlen(drop[s.ndrop]);
		if (s.ndrop == MAX_DROP)
			return -E2BIG;
		s.droplen[s.ndrop] = n;
		if (n <= MAX_KEYLEN)
			s.bylen[n][fill[n]++] = (signed char)s.ndrop;
	}
	rc = value(&s, true);
	ws(&s, true);
	if (rc == 0 && s.p != s.end)
		rc = -EINVAL;
	if (rc == 0)
		flush(&s, s.p);
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

/* Walks the object at s->p to its member key and leaves s->p at that
 * member's value (0), skipping the members before it; -ENOENT if none. */
static int find_member(struct skim *s, const char *key)
{
	size_t klen = strlen(key);
	const char *a, *b;
	int rc;

	ws(s, false);
	if (s->p >= s->end || *s->p != '{')
		return -EINVAL;
	s->p++;
	ws(s, false);
	if (s->p < s->end && *s->p == '}')
		return -ENOENT;
	for (;;) {
		ws(s, false);
		if (s->p >= s->end || *s->p != '"')
			return -EINVAL;
		if ((rc = string(s, &a, &b)) < 0)
			return rc;
		ws(s, false);
		if (s->p >= s->end || *s->p != ':')
			return -EINVAL;
		s->p++;
		ws(s, false);
		if ((size_t)(b - a) == klen + 2 && !memcmp(a + 1, key, klen))
			return 0;
		if ((rc = value(s, false)) < 0)
			return rc;
		ws(s, false);
		if (s->p >= s->end)
			return -EINVAL;
		if (*s->p == '}')
			return -ENOENT;
		if (*s->p != ',')
			return -EINVAL;
		s->p++;
	}
}

int json_skim_member(const char *in, size_t len, const char *obj, const char *key,
		     struct buf *out)
{
	struct skim s;
	const char *a, *b;
	int rc;

	memset(&s, 0, sizeof(s));
	s.p = in;
	s.end = in + len;
	if ((rc = find_member(&s, obj)) < 0 || (rc = find_member(&s, key)) < 0)
		return rc;
	if (s.p >= s.end || *s.p != '"')
		return -ENOENT;
	if ((rc = string(&s, &a, &b)) < 0)
		return rc;
	if (memchr(a + 1, '\\', (size_t)(b - a) - 2))
		return -ENOTSUP;
	return buf_add(out, a + 1, (size_t)(b - a) - 2);
}

const char *json_skim_value_end(const char *p, const char *end)
{
	struct skim s;

	/* skipping reads no drop table: the rest of s stays unset */
	s.p = s.from = p;
	s.end = end;
	s.drop = NULL;
	s.ndrop = 0;
	s.out = NULL;
	s.depth = 0;
	return value(&s, false) == 0 ? s.p : NULL;
}

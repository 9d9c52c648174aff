#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "kube/jsonskim.h"
#include "base/banned.h"

#define MAX_DEPTH 2048 /* as jansson's parser */

#define MAX_DROP 128

struct skim {
	const char *p, *end;
	const char *const *drop;
	size_t ndrop, droplen[MAX_DROP];
	struct buf *out;
	int depth;
};

static void ws(struct skim *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/* A string at s->p (its opening quote); from and to bound it, quotes included. */
static int string(struct skim *s, const char **from, const char **to)
{
	const char *p = s->p + 1;

	*from = s->p;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(s->end - p));
		const char *b;
		if (!q)
			return -EINVAL;
		/* a quote preceded by an odd number of backslashes is escaped */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0) {
			for (const char *c = p; c < q; c++)
				if ((unsigned char)*c < 0x20)
					return -EINVAL;
			s->p = q + 1;
			*to = s->p;
			return 0;
		}
		p = q + 1;
	}
}

static int literal(struct skim *s)
{
	static const char *const words[] = { "true", "false", "null" };
	const char *start = s->p;

	if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
		while (s->p < s->end && *s->p && strchr("0123456789+-.eE", *s->p))
			s->p++;
		return 0;
	}
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);
		if ((size_t)(s->end - start) >= n && !memcmp(start, words[i], n)) {
			s->p += n;
			return 0;
		}
	}
	return -EINVAL;
}

static bool dropped(const struct skim *s, const char *key, size_t n)
{
	for (size_t i = 0; i < s->ndrop; i++)
		if (s->droplen[i] == n && s->drop[i][0] == key[0] && !memcmp(s->drop[i], key, n))
			return true;
	return false;
}

/* One value; copied to out when emit is set, else only checked and skipped. */
static int value(struct skim *s, bool emit)
{
	const char *a, *b;
	int rc;

	ws(s);
	if (s->p >= s->end)
		return -EINVAL;
	if (*s->p == '"') {
		if ((rc = string(s, &a, &b)) < 0)
			return rc;
		if (emit)
			buf_add(s->out, a, (size_t)(b - a));
		return 0;
	}
	if (*s->p == '{' || *s->p == '[') {
		char open = *s->p, close = open == '{' ? '}' : ']';
		bool first = true;

		if (++s->depth > MAX_DEPTH)
			return -EINVAL;
		s->p++;
		if (emit)
			buf_addch(s->out, open);
		ws(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			if (emit)
				buf_addch(s->out, close);
			return 0;
		}
		for (;;) {
			bool keep = emit;
			ws(s);
			if (open == '{') {
				if (s->p >= s->end || *s->p != '"')
					return -EINVAL;
				if ((rc = string(s, &a, &b)) < 0)
					return rc;
				if (keep && dropped(s, a + 1, (size_t)(b - a) - 2))
					keep = false;
				ws(s);
				if (s->p >= s->end || *s->p != ':')
					return -EINVAL;
				s->p++;
				if (keep) {
					if (!first)
						buf_addch(s->out, ',');
					buf_add(s->out, a, (size_t)(b - a));
					buf_addch(s->out, ':');
				}
			} else if (keep && !first) {
				buf_addch(s->out, ',');
			}
			if ((rc = value(s, keep)) < 0)
				return rc;
			if (keep)
				first = false;
			ws(s);
			if (s->p >= s->end)
				return -EINVAL;
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p != close)
				return -EINVAL;
			s->p++;
			s->depth--;
			if (emit)
				buf_addch(s->out, close);
			return 0;
		}
	}
	a = s->p;
	if ((rc = literal(s)) < 0)
		return rc;
	if (emit)
		buf_add(s->out, a, (size_t)(s->p - a));
	return 0;
}

int json_skim(const char *in, size_t len, const char *const *drop, struct buf *out)
{
	struct skim s;
	size_t start = out->len;
	int rc;

	memset(&s, 0, sizeof(s));
	s.p = in;
	s.end = in + len;
	s.drop = drop;
	s.out = out;
	for (; drop && drop[s.ndrop]; s.ndrop++) {
		if (s.ndrop == MAX_DROP)
			return -E2BIG;
		s.droplen[s.ndrop] = strlen(drop[s.ndrop]);
	}
	rc = value(&s, true);

	ws(&s);
	if (rc == 0 && s.p != s.end)
		rc = -EINVAL;
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

	ws(s);
	if (s->p >= s->end || *s->p != '{')
		return -EINVAL;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == '}')
		return -ENOENT;
	for (;;) {
		ws(s);
		if (s->p >= s->end || *s->p != '"')
			return -EINVAL;
		if ((rc = string(s, &a, &b)) < 0)
			return rc;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -EINVAL;
		s->p++;
		ws(s);
		if ((size_t)(b - a) == klen + 2 && !memcmp(a + 1, key, klen))
			return 0;
		if ((rc = value(s, false)) < 0)
			return rc;
		ws(s);
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

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/select.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/banned.h"

struct selector *selector_new(void)
{
	return xcalloc(1, sizeof(struct selector));
}

void selector_free(struct selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->reqs[i].key);
		for (size_t j = 0; j < sel->reqs[i].nvals; j++)
			free(sel->reqs[i].vals[j]);
		free(sel->reqs[i].vals);
	}
	free(sel->reqs);
	free(sel);
}

void selector_add(struct selector *sel, const char *key, enum sel_op op,
		  const char *const *vals, size_t nvals)
{
	struct sel_req *r;

	sel->reqs = xrealloc(sel->reqs, (sel->n + 1) * sizeof(*sel->reqs));
	r = &sel->reqs[sel->n++];
	r->key = xstrdup(key);
	r->op = op;
	r->nvals = nvals;
	r->vals = nvals ? xcalloc(nvals, sizeof(char *)) : NULL;
	for (size_t i = 0; i < nvals; i++)
		r->vals[i] = xstrdup(vals[i]);
}

bool selector_empty(const struct selector *sel)
{
	return !sel || sel->n == 0;
}

/* Characters allowed in keys and values: [A-Za-z0-9._/-]. */
static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '/';
}

static void skip_ws(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

static char *word(const char **p)
{
	const char *s = *p;

	while (word_char(**p))
		(*p)++;
	return xstrndup(s, (size_t)(*p - s));
}

static int fail(char *err, size_t errlen, const char *what, const char *at)
{
	snprintf(err, errlen, "%s at \"%.40s\"", what, at);
	return -EINVAL;
}

/* "(a, b, c)" into vals. */
static int value_set(const char **p, char ***vals, size_t *n, char *err, size_t errlen)
{
	skip_ws(p);
	if (**p != '(')
		return fail(err, errlen, "expected '('", *p);
	(*p)++;
	for (;;) {
		char *w;

		skip_ws(p);
		w = word(p);
		if (*n >= SELECTOR_MAX_REQS) {
			free(w);
			return fail(err, errlen, "too many values", *p);
		}
		*vals = xrealloc(*vals, (*n + 1) * sizeof(char *));
		(*vals)[(*n)++] = w;
		skip_ws(p);
		if (**p == ',') {
			(*p)++;
			continue;
		}
		if (**p == ')') {
			(*p)++;
			return 0;
		}
		return fail(err, errlen, "expected ',' or ')'", *p);
	}
}

static int parse_req(const char **p, bool field, struct selector *sel, char *err, size_t errlen)
{
	enum sel_op op;
	char *key = NULL, *val = NULL, **vals = NULL;
	size_t nvals = 0;
	bool neg = false;
	int rc = -EINVAL;

	skip_ws(p);
	if (!field && **p == '!') {
		neg = true;
		(*p)++;
		skip_ws(p);
	}
	key = word(p);
	if (!*key) {
		rc = fail(err, errlen, "expected a key", *p);
		goto out;
	}
	skip_ws(p);
	if (neg) {
		op = SEL_NOTEXISTS;
	} else if ((*p)[0] == '!' && (*p)[1] == '=') {
		op = SEL_NEQ;
		*p += 2;
	} else if ((*p)[0] == '=' ) {
		op = SEL_EQ;
		*p += (*p)[1] == '=' ? 2 : 1;
	} else if (!field && !strncmp(*p, "in", 2) && !word_char((*p)[2])) {
		op = SEL_IN;
		*p += 2;
	} else if (!field && !strncmp(*p, "notin", 5) && !word_char((*p)[5])) {
		op = SEL_NOTIN;
		*p += 5;
	} else if (!field && (**p == ',' || **p == '\0')) {
		op = SEL_EXISTS;
	} else {
		rc = fail(err, errlen, "expected an operator", *p);
		goto out;
	}
	if (op == SEL_EQ || op == SEL_NEQ) {
		skip_ws(p);
		val = word(p);
		vals = xcalloc(1, sizeof(char *));
		vals[0] = val;
		nvals = 1;
	} else if (op == SEL_IN || op == SEL_NOTIN) {
		if ((rc = value_set(p, &vals, &nvals, err, errlen)))
			goto out;
	}
	skip_ws(p);
	if (**p && **p != ',') {
		rc = fail(err, errlen, "unexpected character", *p);
		goto out;
	}
	if (sel->n >= SELECTOR_MAX_REQS) {
		rc = fail(err, errlen, "too many requirements", *p);
		goto out;
	}
	selector_add(sel, key, op, (const char *const *)vals, nvals);
	rc = 0;
out:
	free(key);
	for (size_t i = 0; i < nvals; i++)
		free(vals[i]);
	free(vals);
	return rc;
}

int selector_parse(const char *s, bool field, struct selector **out, char *err, size_t errlen)
{
	struct selector *sel = selector_new();
	const char *p = s ? s : "";

	if (strlen(p) > SELECTOR_MAX_LEN) {
		selector_free(sel);
		snprintf(err, errlen, "selector longer than %d bytes", SELECTOR_MAX_LEN);
		return -EINVAL;
	}
	skip_ws(&p);
	while (*p) {
		if (parse_req(&p, field, sel, err, errlen)) {
			selector_free(sel);
			return -EINVAL;
		}
		if (*p == ',') {
			p++;
			skip_ws(&p);
			if (!*p) {
				selector_free(sel);
				return fail(err, errlen, "trailing ','", p);
			}
		}
	}
	*out = sel;
	return 0;
}

static bool in_set(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (!strcmp(r->vals[i], v))
			return true;
	return false;
}

bool selector_match(const struct selector *sel, selector_lookup lookup, const void *ctx)
{
	if (!sel)
		return true;
	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_req *r = &sel->reqs[i];
		const char *v = lookup(ctx, r->key);
		bool ok;

		switch (r->op) {
		case SEL_EQ: ok = v && in_set(r, v); break;
		case SEL_NEQ: ok = !v || !in_set(r, v); break;
		case SEL_IN: ok = v && in_set(r, v); break;
		case SEL_NOTIN: ok = !v || !in_set(r, v); break;
		case SEL_EXISTS: ok = v != NULL; break;
		case SEL_NOTEXISTS: ok = v == NULL; break;
		default: ok = false; break;
		}
		if (!ok)
			return false;
	}
	return true;
}

char *selector_string(const struct selector *sel)
{
	struct buf b = BUF_INIT;
	static const char *const ops[] = { "=", "!=", " in ", " notin " };

	for (size_t i = 0; sel && i < sel->n; i++) {
		const struct sel_req *r = &sel->reqs[i];

		if (i)
			buf_addch(&b, ',');
		if (r->op == SEL_NOTEXISTS)
			buf_addch(&b, '!');
		buf_adds(&b, r->key);
		if (r->op == SEL_EQ || r->op == SEL_NEQ) {
			buf_adds(&b, ops[r->op]);
			buf_adds(&b, r->nvals ? r->vals[0] : "");
		} else if (r->op == SEL_IN || r->op == SEL_NOTIN) {
			buf_adds(&b, ops[r->op]);
			buf_addch(&b, '(');
			for (size_t j = 0; j < r->nvals; j++) {
				if (j)
					buf_addch(&b, ',');
				buf_adds(&b, r->vals[j]);
			}
			buf_addch(&b, ')');
		}
	}
	return buf_detach(&b, NULL);
}

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/strvec.h"
#include "base/banned.h"

static void push_owned(struct strvec *sv, char *s)
{
	ARRAY_GROW(sv->v, sv->cap, sv->n + 2);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	push_owned(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	push_owned(sv, buf_detach(&b, NULL));
}

void strvec_clear(struct strvec *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void strvec_split(struct strvec *sv, const char *s, char sep)
{
	const char *p = s;

	for (;;) {
		const char *e = strchr(p, sep);
		if (!e) {
			push_owned(sv, xstrdup(p));
			return;
		}
		push_owned(sv, xstrndup(p, (size_t)(e - p)));
		p = e + 1;
	}
}

int strvec_contains(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

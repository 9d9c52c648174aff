#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "base/mem.h"
#include "base/banned.h"

static void die_oom(size_t n)
{
	fprintf(stderr, "kubemend: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void grow_array(void **items, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			die_oom(SIZE_MAX);
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem)
		die_oom(SIZE_MAX);
	*items = xrealloc(*items, ncap * elem);
	*cap = ncap;
}

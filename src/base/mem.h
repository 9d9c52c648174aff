#ifndef BASE_MEM_H
#define BASE_MEM_H
/*
 * Allocation wrappers that abort on exhaustion (as git's xmalloc does): a
 * monitor that cannot allocate a few bytes cannot report anything useful.
 * Sizes that come from outside are capped by the caller before they get here.
 */
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grows *items (of elem bytes each, capacity *cap) to hold at least need. */
void grow_array(void **items, size_t *cap, size_t need, size_t elem);

#define ARRAY_GROW(arr, cap, need) \
	grow_array((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif

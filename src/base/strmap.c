#include <stdlib.h>
#include <string.h>
#include "base/strmap.h"
#include "base/mem.h"
#include "base/banned.h"

static size_t hash_str(const char *s)
{
	size_t h = 14695981039346656037ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct strmap_entry *find(const struct strmap *m, const char *key, size_t h,
				 struct strmap_entry ***link)
{
	struct strmap_entry **pp;

	if (!m->nbuckets)
		return NULL;
	for (pp = &m->buckets[h & (m->nbuckets - 1)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->hash == h && !strcmp((*pp)->key, key)) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_entry *e = find(m, key, hash_str(key), NULL);
	return e ? e->value : NULL;
}

static void grow(struct strmap *m)
{
	size_t nb = m->nbuckets ? m->nbuckets * 2 : 64;
	struct strmap_entry **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct strmap_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t h = hash_str(key), len;
	struct strmap_entry *e = find(m, key, h, NULL);
	void *old;

	if (e) {
		old = e->value;
		e->value = value;
		return old;
	}
	if (m->n >= m->nbuckets)
		grow(m);
	len = strlen(key);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->value = value;
	e->next = m->buckets[h & (m->nbuckets - 1)];
	m->buckets[h & (m->nbuckets - 1)] = e;
	m->n++;
	return NULL;
}

void *strmap_remove(struct strmap *m, const char *key)
{
	struct strmap_entry **link = NULL;
	struct strmap_entry *e = find(m, key, hash_str(key), &link);
	void *v;

	if (!e)
		return NULL;
	*link = e->next;
	v = e->value;
	free(e);
	m->n--;
	return v;
}

void strmap_clear(struct strmap *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct strmap_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			if (free_value)
				free_value(e->value);
			free(e);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = m->n = 0;
}

struct strmap_entry *strmap_first(const struct strmap *m, size_t *iter)
{
	for (*iter = 0; *iter < m->nbuckets; (*iter)++)
		if (m->buckets[*iter])
			return m->buckets[*iter];
	return NULL;
}

struct strmap_entry *strmap_next(const struct strmap *m, struct strmap_entry *e, size_t *iter)
{
	if (e->next)
		return e->next;
	for ((*iter)++; *iter < m->nbuckets; (*iter)++)
		if (m->buckets[*iter])
			return m->buckets[*iter];
	return NULL;
}

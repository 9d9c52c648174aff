#ifndef BASE_STRMAP_H
#define BASE_STRMAP_H
/*
 * A hash map from strings to pointers (chained, grows at load 1). The map
 * owns copies of its keys, never the values: the caller frees values, e.g.
 * with strmap_clear()'s callback.
 */
#include <stddef.h>

struct strmap_entry {
	struct strmap_entry *next;
	size_t hash;
	void *value;
	char key[];
};

struct strmap {
	struct strmap_entry **buckets;
	size_t nbuckets, n;
};

#define STRMAP_INIT { NULL, 0, 0 }

void *strmap_get(const struct strmap *m, const char *key);
/* Sets key to value; returns the value it replaced, or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Removes key; returns its value, or NULL. */
void *strmap_remove(struct strmap *m, const char *key);
/* Calls free_value (may be NULL) on each value, then empties the map. */
void strmap_clear(struct strmap *m, void (*free_value)(void *));
/* Iterates: for (e = strmap_first(m, &i); e; e = strmap_next(m, e, &i)). The
 * map must not change during the walk. */
struct strmap_entry *strmap_first(const struct strmap *m, size_t *iter);
struct strmap_entry *strmap_next(const struct strmap *m, struct strmap_entry *e, size_t *iter);

#endif

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kube/jsonarena.h"
#include "base/mem.h"
#include "base/banned.h"

#define BLOCK (1u << 20)

struct block {
	struct block *next;
	size_t size, used;
	max_align_t data[];
};

static _Thread_local struct {
	struct block *blocks;
	int depth;
} arena;

static pthread_key_t reaper;

/* At thread exit, frees the block the thread kept for reuse. */
static void reap(void *unused)
{
	(void)unused;
	while (arena.blocks) {
		struct block *b = arena.blocks;
		arena.blocks = b->next;
		free(b);
	}
}

static void *arena_alloc(size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	char *p;

	if (arena.depth == 0)
		return malloc(n);
	if (!arena.blocks || arena.blocks->used + need > arena.blocks->size) {
		size_t size = need > BLOCK ? need : BLOCK;
		struct block *b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = arena.blocks;
		arena.blocks = b;
		pthread_setspecific(reaper, &arena);
	}
	p = (char *)arena.blocks->data + arena.blocks->used;
	arena.blocks->used += need;
	return p;
}

/* Memory from this thread's arena goes when its scope ends; anything else
 * came from malloc (outside a scope, or from code that frees jansson's
 * strings with free()) and is freed now. */
static void arena_free(void *ptr)
{
	for (struct block *b = arena.blocks; b; b = b->next)
		if ((char *)ptr >= (char *)b->data && (char *)ptr < (char *)b->data + b->size)
			return;
	free(ptr);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void install(void)
{
	pthread_key_create(&reaper, reap);
	json_set_alloc_funcs(arena_alloc, arena_free);
}

void json_arena_install(void)
{
	pthread_once(&once, install);
}

void json_scope_begin(void)
{
	arena.depth++;
}

void json_scope_end(void)
{
	if (arena.depth <= 0 || --arena.depth > 0)
		return;
	/* Keep one block for the next scope; free the rest. */
	while (arena.blocks && arena.blocks->next) {
		struct block *b = arena.blocks;
		arena.blocks = b->next;
		free(b);
	}
	if (arena.blocks) {
		if (arena.blocks->size > BLOCK) {
			free(arena.blocks);
			arena.blocks = NULL;
		} else {
			arena.blocks->used = 0;
		}
	}
}

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kube/jsonarena.h"
#include "base/mem.h"
#include "base/banned.h"

#define BLOCK_SHIFT 20
#define BLOCK ((size_t)1 << BLOCK_SHIFT)

/*
 * Blocks are aligned to BLOCK and a whole number of BLOCKs long, so the
 * BLOCK-sized segment a pointer falls in says whether it is arena memory:
 * a set of the blocks' segment numbers answers a free() in O(1). (A scan
 * of the blocks made freeing a 100 MB tree quadratic: at 100k pods the
 * metrics list's decref cost seconds.)
 */
struct block {
	struct block *next;
	size_t size, used;              /* of data */
	max_align_t data[];
};

static _Thread_local struct {
	struct block *blocks;
	int depth;
	uintptr_t *set;                 /* segment numbers, open addressing, 0 free */
	size_t setcap, setn;
} arena;

static pthread_key_t reaper;

static size_t slot(uintptr_t seg, size_t cap)
{
	return (size_t)((seg * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static void set_put(uintptr_t seg)
{
	size_t i;

	for (i = slot(seg, arena.setcap); arena.set[i]; i = (i + 1) & (arena.setcap - 1))
		if (arena.set[i] == seg)
			return;
	arena.set[i] = seg;
	arena.setn++;
}

static bool set_has(uintptr_t seg)
{
	if (!arena.setcap)
		return false;
	for (size_t i = slot(seg, arena.setcap); arena.set[i]; i = (i + 1) & (arena.setcap - 1))
		if (arena.set[i] == seg)
			return true;
	return false;
}

/* Makes the set hold exactly the segments of the blocks (grown as needed). */
static int set_rebuild(size_t extra)
{
	size_t want = extra, cap = arena.setcap ? arena.setcap : 64;
	uintptr_t *set;

	for (struct block *b = arena.blocks; b; b = b->next)
		want += (sizeof(*b) + b->size) >> BLOCK_SHIFT;
	if (!want) {
		/* nothing to hold: no set is made (a thread that never needs one) */
		if (arena.setcap)
			memset(arena.set, 0, arena.setcap * sizeof(*arena.set));
		arena.setn = 0;
		return 0;
	}
	while (want * 2 > cap)
		cap *= 2;
	if (cap != arena.setcap) {
		set = calloc(cap, sizeof(*set));
		if (!set)
			return -1;
		free(arena.set);
		arena.set = set;
		arena.setcap = cap;
		pthread_setspecific(reaper, &arena); /* reap() frees it */
	} else {
		memset(arena.set, 0, cap * sizeof(*arena.set));
	}
	arena.setn = 0;
	for (struct block *b = arena.blocks; b; b = b->next)
		for (size_t k = 0; k < (sizeof(*b) + b->size) >> BLOCK_SHIFT; k++)
			set_put(((uintptr_t)b >> BLOCK_SHIFT) + k);
	return 0;
}

/* At thread exit, frees the block the thread kept for reuse. */
static void reap(void *unused)
{
	(void)unused;
	while (arena.blocks) {
		struct block *b = arena.blocks;
		arena.blocks = b->next;
		free(b);
	}
	free(arena.set);
	arena.set = NULL;
	arena.setcap = arena.setn = 0;
}

static void *arena_alloc(size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	char *p;

	if (arena.depth == 0)
		return malloc(n);
	if (!arena.blocks || arena.blocks->used + need > arena.blocks->size) {
		size_t total = (sizeof(struct block) + need + BLOCK - 1) & ~(BLOCK - 1);
		size_t segs = total >> BLOCK_SHIFT;
		struct block *b;
		void *mem;

		if ((arena.setn + segs) * 2 > arena.setcap && set_rebuild(segs) < 0)
			return NULL;
		if (posix_memalign(&mem, BLOCK, total))
			return NULL;
		b = mem;
		b->size = total - sizeof(*b);
		b->used = 0;
		b->next = arena.blocks;
		arena.blocks = b;
		for (size_t k = 0; k < segs; k++)
			set_put(((uintptr_t)b >> BLOCK_SHIFT) + k);
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
	if (ptr && set_has((uintptr_t)ptr >> BLOCK_SHIFT))
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
		if (sizeof(*arena.blocks) + arena.blocks->size > BLOCK) {
			free(arena.blocks);
			arena.blocks = NULL;
		} else {
			arena.blocks->used = 0;
		}
	}
	set_rebuild(0);
}

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/pod.h"
#include "detect/pod_priv.h"
#include "base/mem.h"
#include "base/banned.h"

/*
 * What pods of one workload share (pod.h): the workload of a row, and its
 * memory baseline. A pod's own baseline is learnt from its own history,
 * which is short (a new pod, a fault soon after we started) and wanders
 * with the pod; the pods of one Deployment share a baseline, so the median
 * of their values in each cycle, kept over about an hour, estimates it
 * from several pods at once, and one leaking pod cannot move a median of
 * three or more.
 */

#define WL_RING_EVERY   4               /* once it has 8, the ring takes every 4th cycle (about an hour at 30 s) */
#define WL_YOUNG_S      120             /* a pod this young is still starting: not in the median */

struct pod_workload *pod_workload_of(struct pod_detector *d, const struct sample *s)
{
	char key[640];
	struct pod_workload *w;

	if (!s->owner_name || !*s->owner_name)
		return NULL;
	snprintf(key, sizeof(key), "%s/%s/%s", s->namespace, s->owner_kind ? s->owner_kind : "",
		 s->owner_name);
	w = strmap_get(&d->workloads, key);
	if (!w && d->workloads.n < d->max_pods) {
		w = xcalloc(1, sizeof(*w));
		strmap_put(&d->workloads, key, w);
	}
	if (w)
		w->last_ms = s->ts_ms;
	return w;
}

struct item {
	uintptr_t w;
	float mem;
	size_t row;
};

static int by_workload_then_mem(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->w != y->w)
		return x->w < y->w ? -1 : 1;
	return (x->mem > y->mem) - (x->mem < y->mem);
}

/* A running, settled pod with a plausible memory value. */
static bool usable(const struct sample *s)
{
	return s->phase && !strcmp(s->phase, "Running") && !s->reason && isfinite(s->mem_bytes) &&
	       s->mem_bytes > 0 && s->mem_bytes < 1e15 &&
	       !(isfinite(s->pod_age_s) && s->pod_age_s < WL_YOUNG_S);
}

void pod_workload_pass(struct pod_detector *d, const struct sample *rows, size_t n,
		       struct pod_workload **wl, double *wl_mem)
{
	struct item *it = xmalloc((n ? n : 1) * sizeof(*it));
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &rows[i];
		wl_mem[i] = NAN;
		wl[i] = s->namespace && s->pod && *s->pod ? pod_workload_of(d, s) : NULL;
		if (wl[i] && usable(s))
			it[m++] = (struct item){ (uintptr_t)wl[i], (float)s->mem_bytes, i };
	}
	qsort(it, m, sizeof(*it), by_workload_then_mem);
	for (size_t a = 0, b; a < m; a = b) {
		struct pod_workload *w = (struct pod_workload *)it[a].w;
		double base = NAN, mad, med;
		size_t k;

		for (b = a; b < m && it[b].w == it[a].w; b++)
			;
		k = b - a;
		if (k < POD_WL_MIN)
			continue;
		if (w->mem.n >= 4)
			pod_ring_stats(&w->mem, &base, &mad);
		for (size_t j = a; j < b; j++)
			wl_mem[it[j].row] = base;
		med = k % 2 ? it[a + k / 2].mem : 0.5 * ((double)it[a + k / 2 - 1].mem + it[a + k / 2].mem);
		if (w->mem.n < 8 || ++w->mem_thin >= WL_RING_EVERY) {
			pod_ring_push(&w->mem, med);
			w->mem_thin = 0;
		}
	}
	free(it);
}

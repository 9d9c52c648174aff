#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/podrows.h"
#include "base/mem.h"
#include "metrics/csv.h"
#include "base/banned.h"

struct keyed {
	size_t idx;             /* file order */
	const struct sample *s;
};

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int by_pod_time(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = cmp_str(a->s->namespace, b->s->namespace);

	if (!c)
		c = cmp_str(a->s->pod, b->s->pod);
	if (!c)
		c = a->s->ts_ms < b->s->ts_ms ? -1 : a->s->ts_ms > b->s->ts_ms;
	if (!c)
		c = a->idx < b->idx ? -1 : a->idx > b->idx;
	return c;
}

static int by_time(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = a->s->ts_ms < b->s->ts_ms ? -1 : a->s->ts_ms > b->s->ts_ms;

	return c ? c : a->idx < b->idx ? -1 : a->idx > b->idx;
}

int podrows_read(const char *path, struct podrows *out, char *err, size_t errlen)
{
	struct podrows p = { 0 };
	struct csv_reader r;
	struct keyed *k = NULL;
	struct sample *sorted;
	struct stat st;
	int rc;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	csv_reader_open(&r, path);
	for (;;) {
		struct sample s;

		rc = csv_reader_next(&r, &s, err, errlen);
		if (rc <= 0)
			break;
		if (!s.pod || !*s.pod) {
			sample_release(&s);
			continue;
		}
		if (p.n >= PODROWS_MAX) {
			sample_release(&s);
			snprintf(err, errlen, "%s: more than %d rows", path, PODROWS_MAX);
			rc = -E2BIG;
			break;
		}
		ARRAY_GROW(p.rows, p.cap, p.n + 1);
		p.rows[p.n++] = s;
	}
	csv_reader_close(&r);
	if (rc < 0) {
		podrows_release(&p);
		return rc;
	}
	/* group by pod, in time order */
	k = xmalloc((p.n ? p.n : 1) * sizeof(*k));
	for (size_t i = 0; i < p.n; i++)
		k[i] = (struct keyed){ i, &p.rows[i] };
	qsort(k, p.n, sizeof(*k), by_pod_time);
	sorted = xmalloc((p.n ? p.n : 1) * sizeof(*sorted));
	for (size_t i = 0; i < p.n; i++)
		sorted[i] = *k[i].s;
	free(p.rows);
	free(k);
	p.rows = sorted;
	p.cap = p.n;
	p.start = xmalloc((p.n + 1) * sizeof(size_t));
	for (size_t i = 0; i < p.n; i++)
		if (!i || cmp_str(p.rows[i].namespace, p.rows[i - 1].namespace) ||
		    cmp_str(p.rows[i].pod, p.rows[i - 1].pod))
			p.start[p.npods++] = i;
	p.start[p.npods] = p.n;
	*out = p;
	return 0;
}

size_t *podrows_time_order(const struct podrows *p)
{
	struct keyed *k = xmalloc((p->n ? p->n : 1) * sizeof(*k));
	size_t *idx = xmalloc((p->n ? p->n : 1) * sizeof(size_t));

	for (size_t i = 0; i < p->n; i++)
		k[i] = (struct keyed){ i, &p->rows[i] };
	qsort(k, p->n, sizeof(*k), by_time);
	for (size_t i = 0; i < p->n; i++)
		idx[i] = k[i].idx;
	free(k);
	return idx;
}

void podrows_release(struct podrows *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		sample_release(&p->rows[i]);
	free(p->rows);
	free(p->start);
	memset(p, 0, sizeof(*p));
}

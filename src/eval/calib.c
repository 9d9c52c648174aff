#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "eval/calib.h"
#include "base/mem.h"
#include "base/banned.h"

struct pt {
	double s;
	int r;
};

struct block {
	double ssum, rsum;
	size_t n;
};

static int by_score(const void *a, const void *b)
{
	double x = ((const struct pt *)a)->s, y = ((const struct pt *)b)->s;
	return x < y ? -1 : x > y;
}

/* Merges block i+1 into block i. */
static void merge(struct block *b, size_t *nb, size_t i)
{
	b[i].ssum += b[i + 1].ssum;
	b[i].rsum += b[i + 1].rsum;
	b[i].n += b[i + 1].n;
	memmove(&b[i + 1], &b[i + 2], (*nb - i - 2) * sizeof(*b));
	(*nb)--;
}

int calib_fit(const double *score, const int *real, size_t n, double *x, double *y, int maxk)
{
	struct pt *p = xmalloc((n ? n : 1) * sizeof(*p));
	struct block *b = xmalloc((n ? n : 1) * sizeof(*b));
	size_t m = 0, nb = 0;
	int k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(score[i]) && score[i] >= 0 && score[i] <= 1)
			p[m++] = (struct pt){ score[i], real[i] != 0 };
	qsort(p, m, sizeof(*p), by_score);
	/* equal scores form one block; then pool adjacent violators */
	for (size_t i = 0; i < m; i++) {
		if (nb && p[i].s == b[nb - 1].ssum / (double)b[nb - 1].n) {
			b[nb - 1].ssum += p[i].s;
			b[nb - 1].rsum += p[i].r;
			b[nb - 1].n++;
		} else {
			b[nb++] = (struct block){ p[i].s, p[i].r, 1 };
		}
		while (nb > 1 && b[nb - 2].rsum / (double)b[nb - 2].n >
				 b[nb - 1].rsum / (double)b[nb - 1].n)
			merge(b, &nb, nb - 2);
	}
	/* too many knots: merge the pair of neighbours with the fewest pairs */
	while (maxk > 0 && nb > (size_t)maxk) {
		size_t best = 0;
		for (size_t i = 1; i + 1 < nb; i++)
			if (b[i].n + b[i + 1].n < b[best].n + b[best + 1].n)
				best = i;
		merge(b, &nb, best);
	}
	for (size_t i = 0; i < nb && k < maxk; i++) {
		double xs = b[i].ssum / (double)b[i].n;
		double ys = (b[i].rsum + 1) / ((double)b[i].n + 2);

		if (k && !(xs > x[k - 1]))
			continue;
		if (k && ys < y[k - 1])
			ys = y[k - 1];
		x[k] = xs < 0 ? 0 : xs > 1 ? 1 : xs;
		y[k] = ys;
		k++;
	}
	free(p);
	free(b);
	return k;
}

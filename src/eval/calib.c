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
	double lo, hi;          /* the lowest and highest score in the block */
};

/* Knots a block gives: its two ends, or one point when they coincide. */
static int knots_of(const struct block *b)
{
	return b->hi > b->lo ? 2 : 1;
}

static int by_score(const void *a, const void *b)
{
	double x = ((const struct pt *)a)->s, y = ((const struct pt *)b)->s;
	return x < y ? -1 : x > y;
}

/* A block's share shrunk towards base by two pseudo-observations. */
static double shrunk(const struct block *b, double base)
{
	return (b->rsum + 2 * base) / ((double)b->n + 2);
}

/* Merges block i+1 into block i. */
static void merge(struct block *b, size_t *nb, size_t i)
{
	b[i].ssum += b[i + 1].ssum;
	b[i].rsum += b[i + 1].rsum;
	b[i].n += b[i + 1].n;
	b[i].hi = b[i + 1].hi;
	memmove(&b[i + 1], &b[i + 2], (*nb - i - 2) * sizeof(*b));
	(*nb)--;
}

int calib_fit(const double *score, const int *real, size_t n, double *x, double *y, int maxk)
{
	struct pt *p = xmalloc((n ? n : 1) * sizeof(*p));
	struct block *b = xmalloc((n ? n : 1) * sizeof(*b));
	size_t m = 0, nb = 0;
	double all = 0, base;
	int k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(score[i]) && score[i] >= 0 && score[i] <= 1)
			p[m++] = (struct pt){ score[i], real[i] != 0 };
	qsort(p, m, sizeof(*p), by_score);
	/* equal scores form one block; then pool adjacent violators */
	for (size_t i = 0; i < m; i++) {
		if (nb && p[i].s == b[nb - 1].hi && b[nb - 1].lo == b[nb - 1].hi) {
			b[nb - 1].ssum += p[i].s;
			b[nb - 1].rsum += p[i].r;
			b[nb - 1].n++;
		} else {
			b[nb++] = (struct block){ p[i].s, p[i].r, 1, p[i].s, p[i].s };
		}
		while (nb > 1 && b[nb - 2].rsum / (double)b[nb - 2].n >
				 b[nb - 1].rsum / (double)b[nb - 1].n)
			merge(b, &nb, nb - 2);
	}
	/* too many knots: merge the pair of neighbours whose merge changes the
	 * fit least (the squared error it adds: n1 n2 / (n1 + n2) (p1 - p2)^2),
	 * so blocks of very different shares stay apart however small */
	for (;;) {
		size_t best = 0;
		double bestc = INFINITY;
		int nk = 0;

		for (size_t i = 0; i < nb; i++)
			nk += knots_of(&b[i]);
		if (maxk <= 0 || nk <= maxk || nb < 2)
			break;
		for (size_t i = 0; i + 1 < nb; i++) {
			double n1 = (double)b[i].n, n2 = (double)b[i + 1].n;
			double d = b[i].rsum / n1 - b[i + 1].rsum / n2;
			double c = n1 * n2 / (n1 + n2) * d * d;

			if (c < bestc) {
				bestc = c;
				best = i;
			}
		}
		merge(b, &nb, best);
	}
	/*
	 * Each block's share is shrunk towards the share of all pairs (two
	 * pseudo-observations), so a handful of pairs never claims certainty;
	 * where that shrinking breaks the order, the blocks are pooled again.
	 */
	for (size_t i = 0; i < m; i++)
		all += p[i].r;
	base = m ? all / (double)m : 0.5;
	for (size_t i = 1; i < nb;) {
		if (shrunk(&b[i], base) < shrunk(&b[i - 1], base)) {
			merge(b, &nb, i - 1);
			i = i > 1 ? i - 1 : 1;
		} else {
			i++;
		}
	}
	/*
	 * The fitted function is a step: each block's share holds from its
	 * lowest to its highest score (two knots), and only the gaps between
	 * blocks are interpolated. Knots at block means instead would spread a
	 * wide pooled block's share over its neighbours' ranges.
	 */
	for (size_t i = 0; i < nb && k < maxk; i++) {
		double ys = shrunk(&b[i], base);
		double ends[2] = { b[i].lo, b[i].hi };

		for (int e = 0; e < knots_of(&b[i]) && k < maxk; e++) {
			double xs = ends[e];

			if (k && !(xs > x[k - 1]))
				continue;
			if (k && ys < y[k - 1])
				ys = y[k - 1];
			x[k] = xs < 0 ? 0 : xs > 1 ? 1 : xs;
			y[k] = ys;
			k++;
		}
	}
	free(p);
	free(b);
	return k;
}

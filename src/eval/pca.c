#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "eval/pca.h"
#include "base/banned.h"

/* Cyclic Jacobi on a symmetric d x d matrix a (destroyed): eigenvalues in
 * w, eigenvectors in the columns of v. */
static void jacobi(double *a, size_t d, double *w, double *v)
{
	for (size_t i = 0; i < d; i++)
		for (size_t j = 0; j < d; j++)
			v[i * d + j] = i == j;
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0;
		for (size_t i = 0; i < d; i++)
			for (size_t j = i + 1; j < d; j++)
				off += a[i * d + j] * a[i * d + j];
		if (off < 1e-22)
			break;
		for (size_t p = 0; p < d; p++) {
			for (size_t q = p + 1; q < d; q++) {
				double apq = a[p * d + q], theta, t, c, s;
				if (fabs(apq) < 1e-300)
					continue;
				theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
				t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (size_t k = 0; k < d; k++) {
					double akp = a[k * d + p], akq = a[k * d + q];
					a[k * d + p] = c * akp - s * akq;
					a[k * d + q] = s * akp + c * akq;
				}
				for (size_t k = 0; k < d; k++) {
					double apk = a[p * d + k], aqk = a[q * d + k];
					a[p * d + k] = c * apk - s * aqk;
					a[q * d + k] = s * apk + c * aqk;
				}
				for (size_t k = 0; k < d; k++) {
					double vkp = v[k * d + p], vkq = v[k * d + q];
					v[k * d + p] = c * vkp - s * vkq;
					v[k * d + q] = s * vkp + c * vkq;
				}
			}
		}
	}
	for (size_t i = 0; i < d; i++)
		w[i] = a[i * d + i];
}

int pca_fit(struct pca *p, const double *x, size_t n, size_t d, double share)
{
	double *cov, *w, *v, total = 0, acc = 0;
	size_t *cnt, *order;

	if (d == 0 || d > PCA_MAX_DIM || n < 2)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->d = d;
	p->mean = xcalloc(d, sizeof(double));
	cnt = xcalloc(d, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			if (isfinite(x[i * d + j])) {
				p->mean[j] += x[i * d + j];
				cnt[j]++;
			}
	for (size_t j = 0; j < d; j++)
		p->mean[j] = cnt[j] ? p->mean[j] / (double)cnt[j] : 0;
	cov = xcalloc(d * d, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		const double *r = x + i * d;
		for (size_t a = 0; a < d; a++) {
			double da = isfinite(r[a]) ? r[a] - p->mean[a] : 0;
			if (da == 0)
				continue;
			for (size_t b = a; b < d; b++)
				cov[a * d + b] += da * (isfinite(r[b]) ? r[b] - p->mean[b] : 0);
		}
	}
	for (size_t a = 0; a < d; a++)
		for (size_t b = a; b < d; b++) {
			cov[a * d + b] /= (double)(n - 1);
			cov[b * d + a] = cov[a * d + b];
		}
	w = xmalloc(d * sizeof(double));
	v = xmalloc(d * d * sizeof(double));
	order = xmalloc(d * sizeof(size_t));
	jacobi(cov, d, w, v);
	for (size_t i = 0; i < d; i++) {
		order[i] = i;
		total += w[i] > 0 ? w[i] : 0;
	}
	for (size_t i = 1; i < d; i++)          /* by eigenvalue, descending */
		for (size_t j = i; j > 0 && w[order[j - 1]] < w[order[j]]; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	p->comp = xcalloc(d * d, sizeof(double));
	for (size_t c = 0; c < d; c++) {
		size_t e = order[c];
		for (size_t j = 0; j < d; j++)
			p->comp[c * d + j] = v[j * d + e];
		acc += w[e] > 0 ? w[e] : 0;
		p->k = c + 1;
		if (total <= 0 || acc / total >= share)
			break;
	}
	p->explained = total > 0 ? acc / total : 1;
	free(cnt);
	free(cov);
	free(w);
	free(v);
	free(order);
	return 0;
}

double pca_score(const struct pca *p, const double *row)
{
	double r[PCA_MAX_DIM], e = 0;
	size_t d = p->d;

	for (size_t j = 0; j < d; j++)
		r[j] = isfinite(row[j]) ? row[j] - p->mean[j] : 0;
	for (size_t j = 0; j < d; j++)
		e += r[j] * r[j];
	for (size_t c = 0; c < p->k; c++) {
		double proj = 0;
		for (size_t j = 0; j < d; j++)
			proj += p->comp[c * d + j] * r[j];
		e -= proj * proj;       /* orthonormal: |r|^2 - sum of projections^2 */
	}
	return e > 0 ? e : 0;
}

void pca_release(struct pca *p)
{
	if (!p)
		return;
	free(p->mean);
	free(p->comp);
	memset(p, 0, sizeof(*p));
}

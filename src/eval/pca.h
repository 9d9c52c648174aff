#ifndef EVAL_PCA_H
#define EVAL_PCA_H
/*
 * PCA reconstruction error, the multivariate baseline: fit on training
 * rows, keep the leading components that explain a given share of the
 * variance, score a row by the squared distance to its reconstruction.
 * struct pca owns its arrays.
 */
#include <stddef.h>

#define PCA_MAX_DIM 512

struct pca {
	size_t d, k;
	double *mean;           /* d */
	double *comp;           /* k x d, orthonormal rows */
	double explained;       /* share of variance the k components hold */
};

/* x: n x d row-major; NaN cells are skipped in the mean and covariance. */
int pca_fit(struct pca *p, const double *x, size_t n, size_t d, double share);
double pca_score(const struct pca *p, const double *row);
void pca_release(struct pca *p);

#endif

/* The linear residual and the mixture of eval/mvscore.c. */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <string.h>
#include "eval/mvscore.h"

#define N 2000

/* splitmix64 to a uniform in [0,1) */
static double unif(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* Two columns that move together (b = a + noise) and one constant column. */
static void make_rows(double *x)
{
	uint64_t s = 7;
	for (size_t i = 0; i < N; i++) {
		double a = unif(&s);
		x[i * 3 + 0] = a;
		x[i * 3 + 1] = a + 0.05 * (unif(&s) - 0.5);
		x[i * 3 + 2] = 0.5;
	}
}

/* Column j's residual is its standardised value minus the ridge regression
 * on the others; for two correlated columns that is z_b - rho/(1+ridge) z_a,
 * computed here from the data directly, not through the precision matrix. */
static void test_residual_matches_regression(void **st)
{
	static double x[N * 3];
	double mu[2] = { 0 }, sd[2] = { 0 }, rho = 0, ridge = 0.01;
	double row[3] = { 0.2, 0.3, 0.5 }, z[2], e[2], want;
	struct mv_resid r;

	(void)st;
	make_rows(x);
	assert_int_equal(mv_resid_fit(&r, x, N, 3, ridge), 0);
	for (int j = 0; j < 2; j++) {
		for (size_t i = 0; i < N; i++)
			mu[j] += x[i * 3 + j] / N;
		for (size_t i = 0; i < N; i++)
			sd[j] += (x[i * 3 + j] - mu[j]) * (x[i * 3 + j] - mu[j]) / N;
		sd[j] = sqrt(sd[j]);
	}
	for (size_t i = 0; i < N; i++)
		rho += (x[i * 3] - mu[0]) / sd[0] * (x[i * 3 + 1] - mu[1]) / sd[1] / N;
	for (int j = 0; j < 2; j++)
		z[j] = (row[j] - mu[j]) / sd[j];
	e[0] = z[0] - rho / (1 + ridge) * z[1];
	e[1] = z[1] - rho / (1 + ridge) * z[0];
	/* the constant column is 0 in standardised units and does not couple */
	want = (pow(e[0] / r.rscale[0], 2) + pow(e[1] / r.rscale[1], 2)) / 3;
	assert_true(fabs(mv_resid_score(&r, row) - want) < 1e-9 * fmax(1, want));
	mv_resid_release(&r);
}

/* A row whose columns are each inside their training range but break their
 * relation scores far above every training row; one that keeps the relation
 * at the edge of the range does not. */
static void test_residual_sees_a_broken_relation(void **st)
{
	static double x[N * 3];
	double keep[3] = { 0.98, 0.98, 0.5 }, broken[3] = { 0.2, 0.8, 0.5 };
	double moved[3] = { 0.5, 0.5, 0.9 }, top = 0;
	struct mv_resid r;

	(void)st;
	make_rows(x);
	assert_int_equal(mv_resid_fit(&r, x, N, 3, 0.01), 0);
	for (size_t i = 0; i < N; i++)
		top = fmax(top, mv_resid_score(&r, x + i * 3));
	assert_true(mv_resid_score(&r, keep) < top);
	assert_true(mv_resid_score(&r, broken) > 10 * top);
	/* the column that never moved: its share is capped at 10^2 / d */
	assert_true(mv_resid_score(&r, moved) <= 100.0 / 3 + top);
	assert_true(mv_resid_score(&r, moved) > 10 * top);
	mv_resid_release(&r);
	assert_int_equal(mv_resid_fit(&r, x, 1, 3, 0.01), -EINVAL);
}

/* w = 1 without the slow average is the LSTM's score over its reference;
 * with it, a level that persists outscores a one-row spike of the same
 * height, and the train rows' average carries into the test rows. */
static void test_combine(void **st)
{
	double l[40] = { 0 }, q[40] = { 0 }, out[40];
	(void)st;
	for (int i = 0; i < 40; i++)
		l[i] = i;
	mv_combine(l, l + 20, q, q + 20, 20, 20, 4.0, 1.0, 1.0, 0, 0.1, out);
	for (int i = 0; i < 40; i++)
		assert_true(fabs(out[i] - l[i] / 4.0) < 1e-9);
	memset(l, 0, sizeof(l));
	l[10] = 9;                      /* a spike in the train rows */
	for (int i = 25; i < 40; i++)
		l[i] = 9;               /* a level from test row 5 on */
	mv_combine(l, l + 20, q, q + 20, 20, 20, 1.0, 1.0, 1.0, 0.5, 0.1, out);
	assert_true(out[39] > out[10]);
	assert_true(out[39] > out[25]);
	assert_true(out[11] > 0 && out[11] < out[10]);  /* decays, not gone */
	/* w = 0: only the residual counts */
	mv_combine(l, l + 20, q, q + 20, 20, 20, 1.0, 1.0, 0.0, 0, 0.1, out);
	for (int i = 0; i < 40; i++)
		assert_true(out[i] == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_residual_matches_regression),
		cmocka_unit_test(test_residual_sees_a_broken_relation),
		cmocka_unit_test(test_combine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

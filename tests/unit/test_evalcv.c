/* Cross-validation in eval/: NAB leave-one-corpus-out (eval/nabcv.c) and
 * SMD/ASD leave-one-machine-out thresholds (eval/multi.c, eval/mvmetrics.c). */
#include "testutil.h"
#include <math.h>
#include <string.h>
#include "eval/multi.h"
#include "eval/mvmetrics.h"
#include "eval/nab.h"
#include "eval/nabcv.h"

#define NR 1000

/* One window [400,440]; a detection score tp at its first row and, when fp
 * > 0, a false positive scoring fp well after it. */
static void nabfile(double *score, double tp, double fp, struct nab_file *f,
		    const struct nab_window *w)
{
	memset(score, 0, NR * sizeof(double));
	score[400] = tp;
	if (fp > 0)
		score[800] = fp;
	*f = (struct nab_file){ NR, score, w, 1 };
}

/* The held-out corpus is scored at a threshold chosen on the others only:
 * corpus A's own detection (0.3) is below what B and C support (a plateau
 * between their false positive at 0.505 and their detections at 0.605). */
static void test_nabcv_holds_out(void **st)
{
	static double sa[NR], sb[NR], sc[NR];
	static const struct nab_window w = { 400, 440 };
	struct nab_file files[3];
	const struct nab_file *conf[1] = { files };
	size_t fold[3] = { 0, 1, 2 }, c;
	struct nabcv_fold out[3];
	struct nab_result r;
	double th, raw = 0;

	(void)st;
	nabfile(sa, 0.3, 0, &files[0], &w);
	nabfile(sb, 0.605, 0.505, &files[1], &w);
	nabfile(sc, 0.605, 0.505, &files[2], &w);
	nabcv_run(conf, 1, 3, fold, 3, NAB_STANDARD, out);
	assert_true(out[0].theta > 0.505 && out[0].theta <= 0.605);
	assert_int_equal(out[0].r.windows, 1);
	assert_int_equal(out[0].r.tp, 0);
	assert_true(fabs(out[0].r.raw + 1.0) < 1e-12);
	/* B held out: A and C favour a low threshold, which also fires B's FP */
	assert_true(out[1].theta <= 0.3);
	assert_int_equal(out[1].r.tp, 1);
	assert_int_equal(out[1].r.fp, 1);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(out[k].files, 1);
		raw += out[k].r.raw;
	}
	assert_true(fabs(nabcv_pooled(out, 3, NAB_STANDARD) -
			 nab_normalise(raw, 3, NAB_STANDARD)) < 1e-12);
	/* in-sample, NAB's rule: the highest threshold that keeps all three */
	nabcv_insample(conf, 1, 3, NAB_STANDARD, &c, &th, &r);
	assert_int_equal(c, 0);
	assert_true(fabs(th - 0.3) < 1e-12);
	assert_int_equal(r.tp, 3);
}

/* A configuration is chosen on the training corpora, not the held-out one. */
static void test_nabcv_config_choice(void **st)
{
	static double a0[NR], b0[NR], a1[NR], b1[NR];
	static const struct nab_window w = { 400, 440 };
	struct nab_file c0[2], c1[2];
	const struct nab_file *conf[2] = { c0, c1 };
	size_t fold[2] = { 0, 1 };
	struct nabcv_fold out[2];

	(void)st;
	/* config 0 finds A only, config 1 finds B only */
	nabfile(a0, 0.9, 0, &c0[0], &w);
	nabfile(b0, 0, 0, &c0[1], &w);
	nabfile(a1, 0, 0, &c1[0], &w);
	nabfile(b1, 0.9, 0, &c1[1], &w);
	nabcv_run(conf, 2, 2, fold, 2, NAB_STANDARD, out);
	assert_int_equal(out[0].config, 1);     /* chosen on B */
	assert_int_equal(out[0].r.tp, 0);
	assert_int_equal(out[1].config, 0);     /* chosen on A */
	assert_int_equal(out[1].r.tp, 0);
}

static void test_mv_f1_at(void **st)
{
	double label[10] = { 0, 0, 1, 1, 0, 0, 0, 1, 0, 0 };
	double one[10] = { 0, 0, 0.9, 0, 0, 0, 0, 0, 0, 0 };
	double pf, ef;
	struct mv_metrics m;
	double s[200], l[200];
	unsigned seed = 5;

	(void)st;
	mv_f1_at(one, label, 10, 0.5, &pf, &ef);
	assert_true(fabs(pf - 0.5) < 1e-12);            /* p 1, r 1/3 */
	assert_true(fabs(ef - 2.0 / 3.0) < 1e-12);      /* p 1, r 1/2 */
	mv_f1_at(one, label, 10, 0, &pf, &ef);          /* everything flagged */
	assert_true(fabs(pf - 6.0 / 13.0) < 1e-12);
	assert_true(fabs(ef - 6.0 / 13.0) < 1e-12);
	/* never above the best-threshold figures, and equal to them somewhere */
	for (int i = 0; i < 200; i++) {
		seed = seed * 1103515245u + 12345u;
		s[i] = (double)((seed >> 8) & 0xffff) / 65536.0;
		l[i] = (i / 10) % 4 == 1;
		if (l[i])
			s[i] += 0.3;
	}
	mv_metrics_compute(s, l, 200, &m);
	{
		double bp = 0, be = 0;
		for (int i = 0; i < 200; i++) {
			mv_f1_at(s, l, 200, s[i], &pf, &ef);
			assert_true(pf <= m.point_f1 + 1e-12);
			assert_true(ef <= m.event_f1 + 1e-12);
			bp = fmax(bp, pf);
			be = fmax(be, ef);
		}
		assert_true(fabs(bp - m.point_f1) < 1e-12);
		assert_true(fabs(be - m.event_f1) < 1e-12);
	}
}

/* Machine 0's anomalies score low; machines 1 and 2 agree on a factor that
 * misses them, and machine 0 is scored at that factor. */
static void test_multi_cv_thresholds(void **st)
{
	static double s[3][100], l[3][100];
	const double *sp[3] = { s[0], s[1], s[2] }, *lp[3] = { l[0], l[1], l[2] };
	size_t n[3] = { 100, 100, 100 };
	double ref[3] = { 1, 1, 1 }, pf[3], ef[3], pfac[3], efac[3];

	(void)st;
	for (int m = 0; m < 3; m++)
		for (int i = 0; i < 100; i++) {
			l[m][i] = i >= 50 && i < 55;
			s[m][i] = l[m][i] ? (m ? 5.0 : 0.3) : 0.05 + (m ? 0.45 * (i % 2) : 0);
		}
	multi_cv_thresholds(sp, lp, n, ref, 3, pf, ef, pfac, efac);
	assert_true(pfac[0] > 0.5 && pfac[0] <= 5.0);
	assert_true(pf[0] == 0 && ef[0] == 0);
	assert_true(efac[0] > 0.5 && efac[0] <= 5.0);
	/* ref scales the factor: the same data with ref 10 needs a factor 10x lower */
	ref[0] = ref[1] = ref[2] = 10;
	multi_cv_thresholds(sp, lp, n, ref, 3, pf, ef, pfac, efac);
	assert_true(pfac[0] > 0.05 && pfac[0] <= 0.5);
}

static void test_ref_scale(void **st)
{
	double x[101];
	(void)st;
	for (int i = 0; i <= 100; i++)
		x[i] = i;
	assert_true(fabs(multi_ref_scale(x, 101) - 99.0) < 1e-12);
	x[0] = NAN;
	assert_true(multi_ref_scale(x, 1) == 1.0);      /* nothing finite */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nabcv_holds_out),
		cmocka_unit_test(test_nabcv_config_choice),
		cmocka_unit_test(test_mv_f1_at),
		cmocka_unit_test(test_multi_cv_thresholds),
		cmocka_unit_test(test_ref_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

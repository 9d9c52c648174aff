/* NAB scoring rules (eval/nab.c) and the series reader (detect/series.c). */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include "eval/nab.h"
#include "detect/series.h"

static void test_sigmoid_reference(void **st)
{
	(void)st;
	/* SCORING.md's reference values */
	assert_true(fabs(nab_sigmoid(-1) - 0.9866142982) < 1e-9);
	assert_true(fabs(nab_sigmoid(-0.5) - 0.8482836400) < 1e-9);
	assert_true(fabs(nab_sigmoid(0)) < 1e-12);
	assert_true(fabs(nab_sigmoid(1) + 0.9866142982) < 1e-9);
	assert_true(nab_sigmoid(3.01) == -1.0);
	assert_int_equal(nab_probation(4032), 604);
	assert_int_equal(nab_probation(10000), 750);
	assert_int_equal(nab_probation(10), 1);
}

static void test_hand_computed_file(void **st)
{
	double sc[100] = { 0 };
	struct nab_window w = { 40, 49 };
	struct nab_file f = { 100, sc, &w, 1 };
	struct nab_result r;

	(void)st;
	sc[45] = 0.9;   /* in the window, halfway: sigma(-0.5)/sigma(-1) */
	sc[47] = 0.95;  /* a later detection in the same window adds nothing */
	sc[60] = 0.8;   /* after the window: 0.11 * sigma(11/9) */
	sc[5] = 1.0;    /* probationary: ignored */
	nab_score_file(&f, NAB_STANDARD, 0.5, &r);
	assert_true(fabs(r.raw - 0.7502794656060859) < 1e-9);
	assert_int_equal(r.tp, 1);
	assert_int_equal(r.fp, 1);
	assert_int_equal(r.windows, 1);
	/* above every score: the window is missed */
	nab_score_file(&f, NAB_LOW_FN, 0.99, &r);
	assert_true(fabs(r.raw + 2.0) < 1e-12);
}

static void test_null_and_perfect(void **st)
{
	double a[1000] = { 0 }, b[1200] = { 0 };
	struct nab_window wa[2] = { { 300, 349 }, { 700, 749 } }, wb[1] = { { 600, 640 } };
	struct nab_file f[2] = { { 1000, a, wa, 2 }, { 1200, b, wb, 1 } };
	struct nab_result r;
	double th;

	(void)st;
	nab_optimise(f, 2, NAB_STANDARD, &th, &r);
	assert_true(th == 1.1);
	assert_true(fabs(nab_normalise(r.raw, 3, NAB_STANDARD)) < 1e-9);
	a[300] = a[700] = b[600] = 0.7;
	for (int p = 0; p < NAB_NPROFILES; p++) {
		nab_optimise(f, 2, (enum nab_profile)p, &th, &r);
		assert_true(th == 0.7);
		assert_true(fabs(nab_normalise(r.raw, 3, (enum nab_profile)p) - 100.0) < 1e-9);
	}
}

/* The sweep must equal scoring every candidate threshold one by one. */
static void test_optimise_matches_brute_force(void **st)
{
	enum { N = 600 };
	static double sc[3][N];
	struct nab_window w0[2] = { { 200, 239 }, { 400, 449 } }, w1[1] = { { 300, 330 } };
	struct nab_file f[3] = { { N, sc[0], w0, 2 }, { N, sc[1], w1, 1 }, { N, sc[2], NULL, 0 } };
	unsigned seed = 12345;

	(void)st;
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			/* coarse values so that ties happen */
			sc[k][i] = (double)((seed >> 16) % 50) / 49.0;
		}
	for (int p = 0; p < NAB_NPROFILES; p++) {
		struct nab_result r, rb;
		double th, best = -1e300, best_th = 1.1;
		nab_optimise(f, 3, (enum nab_profile)p, &th, &r);
		for (int c = 0; c <= 50; c++) {
			double t = c == 50 ? 1.1 : (double)(49 - c) / 49.0;
			nab_score_corpus(f, 3, (enum nab_profile)p, t, &rb);
			if (rb.raw > best + 1e-12) {
				best = rb.raw;
				best_th = t;
			}
		}
		assert_true(fabs(r.raw - best) < 1e-9);
		assert_true(th == best_th);
	}
}

static void test_series_parse(void **st)
{
	const char *ok = "timestamp,value\r\n2014-01-01 00:00:00,1.5\r\n"
			 "2014-01-01 00:05:00,\n2014-01-01 00:10:00,nan\n\n"
			 "2014-01-01 00:15:00,-2e3\n";
	struct series s;
	char err[200];

	(void)st;
	assert_int_equal(series_parse(ok, strlen(ok), &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	assert_true(s.value[0] == 1.5);
	assert_true(isnan(s.value[1]) && isnan(s.value[2]));
	assert_true(s.value[3] == -2000.0);
	assert_string_equal(s.ts_text[3], "2014-01-01 00:15:00");
	assert_true(s.ts_ms[1] - s.ts_ms[0] == 300000);
	series_release(&s);

	assert_int_equal(series_parse("time,v\n1,2\n", 11, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(series_parse("timestamp,value\nyesterday,2\n", 28, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "line 2: bad timestamp"));
	assert_int_equal(series_parse("value,timestamp\n3\n", 18, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(series_parse("", 0, &s, err, sizeof(err)), -EINVAL);
}

static void test_labels(void **st)
{
	char *dir = test_tmpdir(), path[256], err[256];
	const char *json = "{\"a/x.csv\": [[\"2014-01-01 00:05:00.000000\", "
			   "\"2014-01-01 00:10:00.000000\"]], \"a/y.csv\": []}";
	struct nab_labels l;
	struct nab_window *w;
	size_t nw;
	int64_t ts[4] = { 1388534400000, 1388534700000, 1388535000000, 1388535300000 };
	FILE *fp;

	(void)st;
	snprintf(path, sizeof(path), "%s/w.json", dir);
	fp = fopen(path, "w");
	fputs(json, fp);
	fclose(fp);
	assert_int_equal(nab_labels_load(path, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(nab_labels_find(&l, "a/y.csv"), 1);
	assert_int_equal(nab_labels_find(&l, "a/z.csv"), -1);
	assert_int_equal(nab_labels_windows(&l, 0, ts, 4, &w, &nw, err, sizeof(err)), 0);
	assert_int_equal(nw, 1);
	assert_int_equal(w[0].l, 1);
	assert_int_equal(w[0].r, 2);
	free(w);
	assert_int_equal(nab_labels_windows(&l, 0, ts, 2, &w, &nw, err, sizeof(err)), -ENOENT);
	nab_labels_release(&l);

	fp = fopen(path, "w");
	fputs("{\"a/x.csv\": [[\"2014-01-01\"]]}", fp);
	fclose(fp);
	assert_int_equal(nab_labels_load(path, &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "w.json:1:"));
	remove(path);
	rmdir(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigmoid_reference),
		cmocka_unit_test(test_hand_computed_file),
		cmocka_unit_test(test_null_and_perfect),
		cmocka_unit_test(test_optimise_matches_brute_force),
		cmocka_unit_test(test_series_parse),
		cmocka_unit_test(test_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

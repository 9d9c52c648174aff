/* Readers and helpers of detect/: NumPy pickles, pod CSVs, the model
 * config, multivariate metrics and PCA. */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include "base/buf.h"
#include "base/file.h"
#include "detect/model_config.h"
#include "eval/mvmetrics.h"
#include "eval/pca.h"
#include "eval/pkl.h"

static void test_pkl(void **st)
{
	struct pkl_array a;
	char err[256];
	struct buf b = BUF_INIT;

	(void)st;
	assert_int_equal(pkl_read_file("fuzz/corpus/pkl/f4_2d.pkl", &a, err, sizeof(err)), 0);
	assert_int_equal(a.ndim, 2);
	assert_int_equal(a.rows, 5);
	assert_int_equal(a.cols, 3);
	/* np.random.seed(1); np.random.rand(5, 3)[0, 0] as float32 */
	assert_true(fabs(a.data[0] - 0.417022) < 1e-6);
	pkl_release(&a);
	assert_int_equal(pkl_read_file("fuzz/corpus/pkl/f8_1d.pkl", &a, err, sizeof(err)), 0);
	assert_int_equal(a.ndim, 1);
	assert_int_equal(a.rows, 4);
	assert_true(a.data[1] == 1.0 && a.data[3] == 0.0);
	pkl_release(&a);
	assert_int_equal(pkl_read_file("fuzz/corpus/pkl/evil_global.pkl", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "global 'os.system' refused"));
	assert_int_equal(pkl_read_file("fuzz/corpus/pkl/int.pkl", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'i4' not supported"));
	assert_int_equal(file_read_all("fuzz/corpus/pkl/f4_2d.pkl", 1 << 20, &b), 0);
	for (size_t cut = 0; cut < b.len; cut += 7)
		assert_int_equal(pkl_parse(b.data, cut, &a, err, sizeof(err)), -EINVAL);
	buf_release(&b);
}

static void test_model_config(void **st)
{
	char *dir = test_tmpdir(), path[256], err[256];
	struct model_config c;
	FILE *f;

	(void)st;
	model_config_defaults(&c);
	assert_int_equal(model_config_load("config/model_config.yaml", &c, err, sizeof(err)), 0);
	assert_int_equal(c.shape.window, 16);
	assert_int_equal(c.shape.nin, FEAT_MODEL_COUNT);
	snprintf(path, sizeof(path), "%s/m.yaml", dir);
	f = fopen(path, "w");
	fputs("model:\n  hidden: 8\nfeatures: [mem_bytes, cpu_mcores]\ntraining:\n  epochs: 3\n", f);
	fclose(f);
	model_config_defaults(&c);
	assert_int_equal(model_config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.shape.nhid, 8);
	assert_int_equal(c.shape.nin, 2);
	assert_int_equal(c.feat[0], FEAT_MEM_BYTES);
	assert_int_equal(c.train.epochs, 3);
	f = fopen(path, "w");
	fputs("model:\n  hidden: -1\n", f);
	fclose(f);
	assert_int_equal(model_config_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "m.yaml:2:"));
	f = fopen(path, "w");
	fputs("features: [cpu_mcores, bogus]\n", f);
	fclose(f);
	assert_int_equal(model_config_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown feature 'bogus'"));
	remove(path);
	rmdir(dir);
	free(dir);
}

static void test_mvmetrics(void **st)
{
	/* two segments: [2,4) and [7,8); a perfect score and a useless one */
	double label[10] = { 0, 0, 1, 1, 0, 0, 0, 1, 0, 0 };
	double good[10] = { 0, 0, 0.9, 0.8, 0, 0, 0.1, 0.95, 0, 0 };
	double one[10] = { 0, 0, 0.9, 0, 0, 0, 0, 0, 0, 0 };
	struct mv_metrics m;

	(void)st;
	mv_metrics_compute(good, label, 10, &m);
	assert_int_equal(m.segments, 2);
	assert_true(fabs(m.point_f1 - 1.0) < 1e-12);
	assert_true(fabs(m.event_f1 - 1.0) < 1e-12);
	assert_true(fabs(m.pak_auc - 1.0) < 1e-12);
	mv_metrics_compute(one, label, 10, &m);
	/* one of three anomalous points: p 1, r 1/3 */
	assert_true(fabs(m.point_f1 - 0.5) < 1e-12);
	/* event: p 1, r 1/2 */
	assert_true(fabs(m.event_f1 - 2.0 / 3.0) < 1e-12);
	/* K = 0: the first segment is wholly found (2 of 3 points): f1 = 0.8 */
	assert_true(fabs(m.pak_f1[0] - 0.8) < 1e-12);
	assert_true(fabs(m.pak_f1[50] - 0.8) < 1e-12);   /* 1 of 2 points is 50% */
	assert_true(fabs(m.pak_f1[51] - 0.5) < 1e-12);
	assert_true(fabs(m.pak_f1[100] - 0.5) < 1e-12);
}

static void test_pca(void **st)
{
	double x[200 * 3], row[3];
	struct pca p;

	(void)st;
	for (int i = 0; i < 200; i++) {     /* rank one: (t, 2t, -t) + (1, 1, 1) */
		double t = sin(i * 0.1);
		x[i * 3] = 1 + t;
		x[i * 3 + 1] = 1 + 2 * t;
		x[i * 3 + 2] = 1 - t;
	}
	assert_int_equal(pca_fit(&p, x, 200, 3, 0.99), 0);
	assert_int_equal(p.k, 1);
	row[0] = 1.5; row[1] = 2.0; row[2] = 0.5;       /* on the line */
	assert_true(pca_score(&p, row) < 1e-9);
	row[2] = 1.5;                                    /* off it by 1 */
	assert_true(pca_score(&p, row) > 0.5);
	pca_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkl),
		cmocka_unit_test(test_model_config),
		cmocka_unit_test(test_mvmetrics),
		cmocka_unit_test(test_pca),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The LSTM (detect/lstm*.c): gradients, training, the model file. */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "base/buf.h"
#include "detect/lstm.h"
#include "detect/lstm_fast.h"
#include "detect/lstm_io.h"
#include "detect/lstm_train.h"

static const struct lstm_shape small = { 3, 4, 2, 2, 5 };

static void test_gradient_matches_finite_differences(void **st)
{
	struct lstm m;
	double x[5 * 3], tgt[2] = { 0.3, -0.7 }, *g, *ws;
	unsigned char mask[2] = { 1, 1 };
	uint64_t s = 99;
	double worst = 0;

	(void)st;
	assert_int_equal(lstm_init(&m, &small, 7), 0);
	for (int i = 0; i < 15; i++)
		x[i] = 2 * lstm_uniform(&s) - 1;
	g = calloc(m.np, sizeof(double));
	ws = malloc(lstm_workspace_size(&small, 5) * sizeof(double));
	for (int pass = 0; pass < 2; pass++) {
		memset(g, 0, m.np * sizeof(double));
		mask[1] = pass == 0;    /* the second pass has a missing target */
		lstm_loss_grad(&m, x, 5, tgt, mask, g, NULL, ws);
		for (size_t k = 0; k < m.np; k++) {
			double keep = m.p[k], lp, lm, num, err;
			m.p[k] = keep + 1e-6;
			lp = lstm_loss_grad(&m, x, 5, tgt, mask, NULL, NULL, ws);
			m.p[k] = keep - 1e-6;
			lm = lstm_loss_grad(&m, x, 5, tgt, mask, NULL, NULL, ws);
			m.p[k] = keep;
			num = (lp - lm) / 2e-6;
			err = fabs(num - g[k]) / fmax(1e-4, fabs(num) + fabs(g[k]));
			if (err > worst)
				worst = err;
		}
	}
	assert_true(worst < 1e-5);
	free(g);
	free(ws);
	lstm_release(&m);
}

/* A noisy sine in two features. */
static double *sine_data(size_t n, uint64_t seed)
{
	double *x = malloc(n * 3 * sizeof(double));
	uint64_t s = seed;
	for (size_t i = 0; i < n; i++) {
		x[i * 3] = sin((double)i * 0.3) + 0.05 * (lstm_uniform(&s) - 0.5);
		x[i * 3 + 1] = cos((double)i * 0.3);
		x[i * 3 + 2] = (i % 17 == 0) ? NAN : 0.1;
	}
	return x;
}

static void train_small(struct lstm *m, uint64_t seed, struct lstm_epoch *log, int *ne)
{
	size_t bounds[3] = { 0, 300, 600 };
	double *x = sine_data(600, 5);
	struct lstm_data d = { 600, 3, x, bounds, 2 };
	struct lstm_train_opts o;

	lstm_train_defaults(&o);
	o.epochs = 6;
	o.patience = 10;
	o.seed = seed;
	assert_int_equal(lstm_init(m, &small, seed), 0);
	assert_int_equal(lstm_train(m, &d, &o, log, 6, ne), 0);
	free(x);
}

static void test_training_learns_and_is_deterministic(void **st)
{
	struct lstm a, b, c;
	struct lstm_epoch log[6];
	int ne;

	(void)st;
	train_small(&a, 1, log, &ne);
	assert_int_equal(ne, 6);
	assert_true(log[5].val_loss < 0.5 * log[0].val_loss);
	train_small(&b, 1, NULL, &ne);
	assert_memory_equal(a.p, b.p, a.np * sizeof(double));
	train_small(&c, 2, NULL, &ne);
	assert_memory_not_equal(a.p, c.p, a.np * sizeof(double));
	lstm_release(&a);
	lstm_release(&b);
	lstm_release(&c);
}

static void test_file_round_trip_is_bit_exact(void **st)
{
	struct lstm a, b;
	struct buf e1 = BUF_INIT, e2 = BUF_INIT;
	char err[256];
	int ne;

	(void)st;
	train_small(&a, 3, NULL, &ne);
	free(a.feat[0]);
	a.feat[0] = strdup("cpu_usage");
	a.centre[1] = 0.125;
	a.scale[2] = 3.5;
	assert_int_equal(lstm_encode(&a, &e1), 0);
	assert_int_equal(lstm_decode(e1.data, e1.len, &b, err, sizeof(err)), 0);
	assert_memory_equal(a.p, b.p, a.np * sizeof(double));
	assert_memory_equal(a.err_scale, b.err_scale, 2 * sizeof(double));
	assert_string_equal(b.feat[0], "cpu_usage");
	assert_true(b.centre[1] == 0.125 && b.scale[2] == 3.5);
	assert_int_equal(lstm_encode(&b, &e2), 0);
	assert_int_equal(e1.len, e2.len);
	assert_memory_equal(e1.data, e2.data, e1.len);
	{
		const char *ok[3] = { "cpu_usage", "f1", "f2" }, *bad[3] = { "cpu", "f1", "f2" };
		assert_int_equal(lstm_check_features(&b, ok, 3, err, sizeof(err)), 0);
		assert_int_equal(lstm_check_features(&b, bad, 3, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "'cpu_usage'"));
		assert_int_equal(lstm_check_features(&b, ok, 2, err, sizeof(err)), -EINVAL);
	}
	lstm_release(&a);
	lstm_release(&b);
	buf_release(&e1);
	buf_release(&e2);
}

static void expect_reject(const char *data, size_t len, const char *what)
{
	struct lstm m;
	char err[256] = "";
	assert_int_equal(lstm_decode(data, len, &m, err, sizeof(err)), -EINVAL);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
}

static void test_corrupt_files_rejected(void **st)
{
	struct lstm a;
	struct buf e = BUF_INIT;
	char *c;

	(void)st;
	assert_int_equal(lstm_init(&a, &small, 4), 0);
	assert_int_equal(lstm_encode(&a, &e), 0);
	c = malloc(e.len + 1);

	memcpy(c, e.data, e.len);
	c[e.len / 2] ^= 0x10;
	expect_reject(c, e.len, "checksum");
	expect_reject(e.data, e.len - 9, "truncated");
	expect_reject(e.data, 20, "truncated");
	expect_reject(e.data, 3, "magic");
	memcpy(c, e.data, e.len);
	c[0] = 'X';
	expect_reject(c, e.len, "magic");
	memcpy(c, e.data, e.len);
	c[8] = 3;
	expect_reject(c, e.len, "version 3");
	memcpy(c, e.data, e.len);
	c[12] = 0;      /* nin = 0 */
	expect_reject(c, e.len, "shape");
	memcpy(c, e.data, e.len);
	c[e.len] = 0;
	expect_reject(c, e.len + 1, "trailing");
	free(c);
	buf_release(&e);
	/* a calibration survives the round trip; a non-monotone one is refused */
	{
		struct lstm b;
		char err[256];
		double x[3] = { 0.2, 0.5, 0.9 }, y[3] = { 0.05, 0.4, 0.97 };

		a.ncal = 3;
		a.cal_x = malloc(sizeof(x));
		a.cal_y = malloc(sizeof(y));
		memcpy(a.cal_x, x, sizeof(x));
		memcpy(a.cal_y, y, sizeof(y));
		buf_init(&e, 0);
		assert_int_equal(lstm_encode(&a, &e), 0);
		assert_int_equal(lstm_decode(e.data, e.len, &b, err, sizeof(err)), 0);
		assert_int_equal(b.ncal, 3);
		assert_memory_equal(b.cal_y, y, sizeof(y));
		lstm_release(&b);
		buf_release(&e);
		a.cal_y[2] = 0.3;
		assert_int_equal(lstm_encode(&a, &e), 0);
		expect_reject(e.data, e.len, "monotone");
		buf_release(&e);
	}
	lstm_release(&a);
}

/* The float32 batched path agrees with the double reference, SIMD or not,
 * for a batch that is not a multiple of the tile. */
static void check_fast(const struct lstm_shape shp)
{
	const struct lstm_shape sh = shp;
	enum { B = 101 };
	struct lstm m;
	struct lstm_fast f;
	float *x = malloc(B * 12 * 5 * sizeof(float)), *y[3];
	double *xd = malloc(12 * 5 * sizeof(double)), pred[5], zero[5] = { 0 }, *ws;
	uint64_t s = 17;
	double worst = 0;

	assert_int_equal(lstm_init(&m, &sh, 9), 0);
	for (size_t i = 0; i < m.np; i++)
		m.p[i] *= 3;    /* push the gates away from the linear region */
	ws = malloc(lstm_workspace_size(&sh, 12) * sizeof(double));
	for (int i = 0; i < B * 12 * 5; i++)
		x[i] = (float)(4 * lstm_uniform(&s) - 2);
	lstm_fast_init(&f, &m);
	/* every SIMD level this CPU has (0 portable, 1 AVX2, 2 AVX-512) */
	for (int lv = 0; lv < 3; lv++) {
		y[lv] = malloc(B * 5 * sizeof(float));
		lstm_fast_set_simd(&f, lv);
		lstm_fast_run(&f, x, B, 12, y[lv]);
	}
	for (int b = 0; b < B; b++) {
		for (int i = 0; i < 60; i++)
			xd[i] = x[b * 60 + i];
		lstm_loss_grad(&m, xd, 12, zero, NULL, NULL, pred, ws);
		for (int j = 0; j < 5; j++)
			for (int lv = 0; lv < 3; lv++)
				worst = fmax(worst, fabs(pred[j] - y[lv][b * 5 + j]));
	}
	assert_true(worst < 1e-4);
	lstm_fast_release(&f);
	lstm_release(&m);
	free(x);
	for (int lv = 0; lv < 3; lv++)
		free(y[lv]);
	free(xd);
	free(ws);
}

static void test_fast_matches_reference(void **st)
{
	(void)st;
	check_fast((struct lstm_shape){ 5, 16, 2, 5, 12 });  /* every path */
	check_fast((struct lstm_shape){ 5, 12, 1, 5, 12 });  /* AVX2, not AVX-512 */
	check_fast((struct lstm_shape){ 5, 6, 2, 5, 12 });   /* portable only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gradient_matches_finite_differences),
		cmocka_unit_test(test_training_learns_and_is_deterministic),
		cmocka_unit_test(test_file_round_trip_is_bit_exact),
		cmocka_unit_test(test_corrupt_files_rejected),
		cmocka_unit_test(test_fast_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

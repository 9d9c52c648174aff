/* The online univariate detector (detect/uni.c). */
#include "testutil.h"
#include <math.h>
#include "detect/uni.h"

#define N 3000

static double noise(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((double)((*seed >> 8) & 0xffff) / 65536.0 - 0.5);
}

static void test_flat_never_alarms(void **st)
{
	struct unidet *d = unidet_new(0);
	(void)st;
	for (int i = 0; i < N; i++) {
		double s = unidet_observe(d, (int64_t)i * 300000, 42.0, NULL);
		assert_true(s >= 0 && s < UNI_ALARM_THRESHOLD);
	}
	unidet_free(d);
}

static void test_spike_alarms_once(void **st)
{
	struct unidet *d = unidet_new(0);
	unsigned seed = 7;
	double peak = 0, after = 0;
	(void)st;
	for (int i = 0; i < N; i++) {
		double x = 10 + noise(&seed);
		double s;
		if (i == 2000)
			x = 30;
		s = unidet_observe(d, (int64_t)i * 300000, x, NULL);
		assert_true(s >= 0 && s <= 1);
		if (i < 2000 && i > 200)
			assert_true(s < 0.9);
		if (i == 2000)
			peak = s;
		if (i > 2000 && s > after)
			after = s;
	}
	assert_true(peak >= UNI_ALARM_THRESHOLD);
	assert_true(after < peak);
	unidet_free(d);
}

/* NaN, infinities and timestamps going backwards neither crash nor change
 * what the detector learns from the valid values. */
static void test_bad_input_does_not_poison(void **st)
{
	struct unidet *a = unidet_new(0), *b = unidet_new(0);
	unsigned s1 = 3, s2 = 3;
	(void)st;
	for (int i = 0; i < N; i++) {
		double x = 5 + noise(&s1), y = 5 + noise(&s2), sa, sb;
		if (i % 97 == 0) {
			double last = unidet_observe(b, (int64_t)i * 300000, NAN, NULL);
			double inf = unidet_observe(b, (int64_t)i * 300000, INFINITY, NULL);
			assert_true(last == inf);
			assert_false(isnan(last));
		}
		sa = unidet_observe(a, (int64_t)i * 300000, x, NULL);
		sb = unidet_observe(b, (int64_t)i * 300000, y, NULL);
		assert_true(sa == sb);
	}
	/* out of order: still a finite score in range */
	assert_true(unidet_observe(a, 0, 5, NULL) <= 1);
	unidet_free(a);
	unidet_free(b);
}

static void test_level_shift_detected(void **st)
{
	double x[N], sc[N];
	int64_t ts[N];
	unsigned seed = 11;
	double best_before = 0, best_after = 0;
	(void)st;
	for (int i = 0; i < N; i++) {
		ts[i] = (int64_t)i * 60000;
		x[i] = (i < 2500 ? 100 : 130) + 3 * noise(&seed);
	}
	uni_score_series(ts, x, N, sc, NULL, 0);
	for (int i = 300; i < 2500; i++)
		best_before = fmax(best_before, sc[i]);
	for (int i = 2500; i < 2510; i++)
		best_after = fmax(best_after, sc[i]);
	assert_true(best_after >= UNI_ALARM_THRESHOLD);
	assert_true(best_after > best_before);
}

/*
 * A daily cycle sampled at irregular intervals (3 to 7 minutes) with a
 * six-hour gap on day 4: the same-time-yesterday part finds yesterday by
 * timestamp, so neither the cycle nor the gap raises an alarm, while holding the daily peak level through the night (a
 * value normal in range but wrong for the time of day) does.
 */
static void test_irregular_daily_cycle(void **st)
{
	enum { M = 2600 };
	static double x[M], sc[M];
	static int64_t ts[M];
	const double day = 86400000.0;
	unsigned seed = 17;
	int64_t t = 0;
	double before = 0, during = 0;
	int from = -1, to = -1;

	(void)st;
	for (int i = 0; i < M; i++) {
		t += 180000 + (int64_t)((noise(&seed) + 0.5) * 240000);
		if (t >= 3 * day + 0.25 * day && t < 3 * day + 0.5 * day)
			t += (int64_t)(0.25 * day);
		ts[i] = t;
		x[i] = 50 + 40 * sin(2 * M_PI * (double)t / day) + noise(&seed);
		/* day 7, 18:00 to 21:00 (the trough): stuck at the peak level */
		if (t >= 6 * day + 0.75 * day && t < 6 * day + 0.875 * day) {
			x[i] = 90 + noise(&seed);
			if (from < 0)
				from = i;
			to = i;
		}
	}
	assert_true(from > 0 && to > from && ts[M - 1] > 7 * day);
	uni_score_series(ts, x, M, sc, NULL, 0);
	for (int i = 0; i < from; i++)
		if (ts[i] > 4 * day)
			before = fmax(before, sc[i]);
	for (int i = from; i <= to; i++)
		during = fmax(during, sc[i]);
	assert_true(before < UNI_ALARM_THRESHOLD);
	assert_true(during >= UNI_ALARM_THRESHOLD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_never_alarms),
		cmocka_unit_test(test_spike_alarms_once),
		cmocka_unit_test(test_bad_input_does_not_poison),
		cmocka_unit_test(test_level_shift_detected),
		cmocka_unit_test(test_irregular_daily_cycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The pod detector with a model: the LSTM component in the path, and the
 * calibration from the model file applied to the evidence score. */
#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "detect/features.h"
#include "detect/lstm.h"
#include "detect/pod.h"
#include "eval/calib.h"

#define T0 1700000000000LL
#define STEP 30000LL

static void row(struct sample *s, int64_t ts, double cpu)
{
	sample_init(s, 0);
	s->ts_ms = ts;
	sample_set_str(&s->namespace, "shop");
	sample_set_str(&s->pod, "web-1");
	sample_set_str(&s->owner_kind, "Deployment");
	sample_set_str(&s->owner_name, "web");
	sample_set_str(&s->phase, "Running");
	s->restarts = 0;
	s->containers_ready = s->containers_total = 1;
	s->cpu_mcores = cpu;
	s->cpu_request_mcores = 200;
	s->cpu_limit_mcores = 1000;
	s->cpu_pct = cpu / 10;
	s->mem_bytes = 100e6;
	s->mem_limit_bytes = 400e6;
	s->mem_pct = 25;
	s->net_rx_bps = s->net_tx_bps = 1e5;
	s->net_rx_errors_ps = s->net_tx_errors_ps = 0;
	s->net_rx_dropped_ps = s->net_tx_dropped_ps = 0;
	s->pod_age_s = 7200;
	s->node_ready = 1;
}

/* A small model over the detector's features, normalised around the rows above. */
static void model(struct lstm *m)
{
	struct lstm_shape sh = { FEAT_MODEL_COUNT, 8, 1, FEAT_MODEL_COUNT, 8 };
	struct sample s;

	assert_int_equal(lstm_init(m, &sh, 3), 0);
	row(&s, T0, 100);
	for (int i = 0; i < FEAT_MODEL_COUNT; i++) {
		struct features f;
		free(m->feat[i]);
		m->feat[i] = strdup(feat_names[i]);
		features_from_sample(&s, &f);
		m->centre[i] = feat_model_value(i, f.v[i]);
		m->scale[i] = i == FEAT_CPU_MCORES ? 10 : 1;
		m->err_scale[i] = 0.5;
	}
	sample_release(&s);
}

/* Feeds n steady samples then one with cpu; returns the last verdict. */
static struct pod_verdict run(struct pod_detector *d, int n, double last_cpu)
{
	struct pod_verdict v = { 0 };
	struct sample s;

	for (int i = 0; i <= n; i++) {
		row(&s, T0 + i * STEP, i < n ? 100 + 2 * sin(i) : last_cpu);
		assert_int_equal(pod_detector_observe(d, &s, &v), 0);
		if (i < n)
			assert_true(v.probability < 0.5);
		sample_release(&s);
	}
	return v;
}

static bool has_component(const struct pod_verdict *v, enum pod_component_kind k)
{
	for (size_t i = 0; i < v->ncomps; i++)
		if (v->comps[i].detector == k)
			return true;
	return false;
}

static void lstm_is_in_the_path(void **st)
{
	struct pod_detector with, without;
	struct pod_verdict a, b;
	struct lstm m;
	char err[256];
	(void)st;

	model(&m);
	pod_detector_init(&with, 0);
	pod_detector_init(&without, 0);
	assert_int_equal(pod_detector_set_model(&with, &m, true, err, sizeof(err)), 0);
	assert_int_equal(pod_detector_set_model(&without, &m, false, err, sizeof(err)), 0);
	a = run(&with, 60, 400);
	b = run(&without, 60, 400);
	/* the same jump: the LSTM's surprise is a component and raises the score */
	assert_true(has_component(&a, PC_LSTM));
	assert_false(has_component(&b, PC_LSTM));
	assert_true(has_component(&a, PC_STATS));
	assert_true(a.score > b.score + 0.1);
	pod_detector_release(&with);
	pod_detector_release(&without);
	lstm_release(&m);
}

static void a_model_for_other_inputs_is_refused(void **st)
{
	struct pod_detector d;
	struct lstm m;
	char err[256] = "";
	(void)st;

	model(&m);
	free(m.feat[2]);
	m.feat[2] = strdup("disk_bytes");
	pod_detector_init(&d, 0);
	assert_int_equal(pod_detector_set_model(&d, &m, true, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "features"));
	pod_detector_release(&d);
	lstm_release(&m);
}

static void probability_is_the_calibrated_score(void **st)
{
	struct pod_detector d;
	struct pod_verdict v;
	struct lstm m;
	char err[256];
	double p1, p2;
	(void)st;

	model(&m);
	m.ncal = 3;
	m.cal_x = malloc(3 * sizeof(double));
	m.cal_y = malloc(3 * sizeof(double));
	m.cal_x[0] = 0.3, m.cal_x[1] = 0.6, m.cal_x[2] = 0.9;
	m.cal_y[0] = 0.05, m.cal_y[1] = 0.2, m.cal_y[2] = 0.8;
	pod_detector_init(&d, 0);
	assert_int_equal(pod_detector_set_model(&d, &m, false, err, sizeof(err)), 0);
	/* the map itself: knots, interpolation, ends */
	assert_true(fabs(pod_detector_calibrate(&d, 0.6) - 0.2) < 1e-12);
	assert_true(fabs(pod_detector_calibrate(&d, 0.75) - 0.5) < 1e-12);
	assert_true(fabs(pod_detector_calibrate(&d, 1.0) - 0.8) < 1e-12);
	assert_true(pod_detector_calibrate(&d, 0) == 0);
	/* a verdict's probability is its score through the map, not the score */
	v = run(&d, 30, 400);
	assert_true(v.score > 0.3);
	p1 = v.probability;
	assert_true(fabs(p1 - pod_detector_calibrate(&d, v.score)) < 1e-12);
	assert_true(fabs(p1 - v.score) > 0.05);
	pod_detector_release(&d);
	/* another calibration, the same evidence: another probability */
	m.cal_y[0] = 0.3, m.cal_y[1] = 0.6, m.cal_y[2] = 0.99;
	pod_detector_init(&d, 0);
	assert_int_equal(pod_detector_set_model(&d, &m, false, err, sizeof(err)), 0);
	v = run(&d, 30, 400);
	p2 = v.probability;
	assert_true(p2 > p1 + 0.1);
	pod_detector_release(&d);
	lstm_release(&m);
}

static void isotonic_fit(void **st)
{
	/* real faults get likelier with the score, with one violator at 0.5 */
	double s[] = { 0.1, 0.1, 0.2, 0.2, 0.5, 0.5, 0.5, 0.4, 0.8, 0.8, 0.9, 0.9, 0.95, 0.95 };
	int r[] = { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1 };
	double x[16], y[16];
	int k;
	(void)st;

	k = calib_fit(s, r, 14, x, y, 16);
	assert_true(k >= 2);
	for (int i = 1; i < k; i++) {
		assert_true(x[i] > x[i - 1]);
		assert_true(y[i] >= y[i - 1]);
	}
	assert_true(y[0] < 0.3);                /* shrunk, never 0 */
	assert_true(y[0] > 0);
	assert_true(y[k - 1] > 0.7 && y[k - 1] < 1);
	/* the 0.4 (real) and 0.5 (false) blocks violate the order: pooled into
	 * one block, flat from 0.4 to 0.5 (its two ends are the knots) */
	{
		int a = -1, b = -1;
		for (int i = 0; i < k; i++) {
			if (x[i] == 0.4)
				a = i;
			if (x[i] == 0.5)
				b = i;
		}
		assert_true(a >= 0 && b == a + 1);
		assert_true(y[a] == y[b]);
		assert_true(fabs(y[a] - 2.0 / 6.0) < 1e-9);     /* (1 real + 1) / (4 + 2) */
	}
	/* within the 0.1-0.2 block nothing is interpolated: flat */
	assert_true(x[0] == 0.1 && x[1] == 0.2 && y[0] == y[1]);
	assert_int_equal(calib_fit(s, r, 0, x, y, 16), 0);
	assert_int_equal(calib_fit(s, r, 14, x, y, 2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lstm_is_in_the_path),
		cmocka_unit_test(a_model_for_other_inputs_is_refused),
		cmocka_unit_test(probability_is_the_calibrated_score),
		cmocka_unit_test(isotonic_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

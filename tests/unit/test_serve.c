#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "serve/alerts.h"
#include "serve/expo.h"

static void exposition_format(void **state)
{
	struct buf b = BUF_INIT;
	const char *labels[] = { "namespace", "shop", "pod", "we\"b\\1\n", NULL };
	(void)state;
	expo_family(&b, "kubemend_pod_anomaly_probability", "gauge", "Anomaly probability\\per pod");
	expo_sample(&b, "kubemend_pod_anomaly_probability", labels, 0.25);
	expo_sample(&b, "kubemend_pods_tracked", NULL, 3);
	expo_sample(&b, "x", NULL, NAN);
	expo_sample(&b, "y", NULL, -INFINITY);
	assert_string_equal(b.data,
		"# HELP kubemend_pod_anomaly_probability Anomaly probability\\\\per pod\n"
		"# TYPE kubemend_pod_anomaly_probability gauge\n"
		"kubemend_pod_anomaly_probability{namespace=\"shop\",pod=\"we\\\"b\\\\1\\n\"} 0.25\n"
		"kubemend_pods_tracked 3\n"
		"x NaN\n"
		"y -Inf\n");
	buf_release(&b);
}

static void alerts_open_and_resolved(void **state)
{
	struct insight_store s;
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-2",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = "oom",
		.probability = 0.9, .sample_ms = 1000,
	};
	struct insight *in;
	json_t *arr, *a;
	const int64_t wall = 1795494481000LL;
	(void)state;
	insight_store_init(&s, 0.7);
	in = insight_store_observe(&s, &f);
	f.pod = "db-1";
	f.owner_name = "db";
	f.probability = 0.75;
	insight_store_observe(&s, &f);
	arr = alerts_json(&s, 0.8, wall, 5 * 60000, 0);
	assert_int_equal(json_array_size(arr), 1); /* db's 0.75 is below 0.8 */
	a = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "labels"), "alertname")), "KubemendAnomaly");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "labels"), "pod")), "web-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "labels"), "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(a, "endsAt")), "2026-11-24T04:33:01.000Z");
	assert_null(json_object_get(a, "startsAt"));
	json_decref(arr);

	in->resolved_ms = 5000;
	arr = alerts_json(&s, 0.8, wall, 5 * 60000, 4000);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "endsAt")), "2026-11-24T04:28:01.000Z");
	json_decref(arr);
	/* a resolution already sent is not sent again */
	arr = alerts_json(&s, 0.8, wall, 5 * 60000, 6000);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	insight_store_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exposition_format),
		cmocka_unit_test(alerts_open_and_resolved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

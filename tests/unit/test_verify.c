/*
 * remedy_verify against a stub API server: what it reads after an action
 * decides succeeded, failed or unverified.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "httpstub.h"
#include "kube/client.h"
#include "remedy/verify.h"

struct api {
	bool restarts_grow;     /* each pod list shows one more restart */
	bool node_cordoned;
	int lists;
	int cpu_m;              /* the pod's CPU use (metrics.k8s.io), millicores */
	int hpa_util;           /* the HPA's current CPU utilization, % (its target: 70) */
};

static void handler(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	struct api *a = (struct api *)s->ctx;
	char body[1024];

	if (!strcmp(req->path, "/apis/apps/v1/namespaces/shop/deployments/web")) {
		stub_text(r, 200, "{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"generation\":2},"
			  "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
			  "\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"resources\":"
			  "{\"limits\":{\"memory\":\"256Mi\"}}}]}}},\"status\":{\"observedGeneration\":2,"
			  "\"replicas\":1,\"updatedReplicas\":1,\"availableReplicas\":1}}");
	} else if (!strcmp(req->path, "/api/v1/namespaces/shop/pods")) {
		int restarts = a->restarts_grow ? a->lists : 0;
		a->lists++;
		snprintf(body, sizeof(body), "{\"metadata\":{},\"items\":[{\"metadata\":{\"name\":\"web-1\","
			 "\"namespace\":\"shop\",\"uid\":\"u1\"},\"spec\":{\"nodeName\":\"n1\",\"containers\":"
			 "[{\"name\":\"web\",\"resources\":{\"limits\":{\"memory\":\"256Mi\"},"
			 "\"requests\":{\"cpu\":\"200m\"}}}]},"
			 "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"web\","
			 "\"ready\":true,\"restartCount\":%d}]}}]}", restarts);
		stub_text(r, 200, body);
	} else if (!strcmp(req->path, "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web")) {
		snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},"
			 "\"spec\":{\"maxReplicas\":1,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":"
			 "\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":70}}}]},"
			 "\"status\":{\"currentReplicas\":1,\"desiredReplicas\":1,\"currentMetrics\":[{\"type\":"
			 "\"Resource\",\"resource\":{\"name\":\"cpu\",\"current\":{\"averageUtilization\":%d}}}]}}",
			 a->hpa_util);
		stub_text(r, 200, body);
	} else if (!strcmp(req->path, "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods")) {
		snprintf(body, sizeof(body), "{\"items\":[{\"metadata\":{\"name\":\"web-1\",\"namespace\":"
			 "\"shop\"},\"containers\":[{\"name\":\"web\",\"usage\":{\"cpu\":\"%dm\","
			 "\"memory\":\"100Mi\"}}]}]}", a->cpu_m);
		stub_text(r, 200, body);
	} else if (!strcmp(req->path, "/api/v1/namespaces/shop/pods/old")) {
		stub_text(r, 200, "{\"metadata\":{\"name\":\"old\",\"namespace\":\"shop\",\"uid\":\"u-old\"}}");
	} else if (!strcmp(req->path, "/api/v1/nodes/n1")) {
		snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"unschedulable\":%s}}",
			 a->node_cordoned ? "true" : "false");
		stub_text(r, 200, body);
	}
}

struct fixture {
	struct stub s;
	struct api a;
	struct kube_config cfg;
	struct kube_client kc;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct http_opts ho = { .max_retries = -1 };
	char url[64], err[256];

	assert_int_equal(stub_start(&f->s, handler, &f->a), 0);
	stub_url(&f->s, "", url, sizeof(url));
	f->cfg.server = strdup(url);
	f->cfg.user = strdup("tester");
	f->cfg.context = strdup("stub");
	assert_int_equal(kube_client_init(&f->kc, &f->cfg, &ho, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kube_client_release(&f->kc);
	kube_config_release(&f->cfg);
	stub_stop(&f->s);
	free(f);
	return 0;
}

static const char *detail(const json_t *v)
{
	return json_string_value(json_object_get(v, "detail"));
}

static const struct verify_opts quick = { 400, 50, NULL, NULL, 0 };

static void limits_hold_or_restarts_continue(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = "shop", .name = "web",
			      .mem_limit_after = 256 * 1048576.0 };
	json_t *res = json_pack("{s:s}", "operation", "patch_resources"), *v;

	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_SUCCEEDED);
	assert_non_null(strstr(detail(v), "no restarts"));
	assert_true(json_integer_value(json_object_get(v, "observations")) >= 2);
	json_decref(v);

	f->a.restarts_grow = true;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_FAILED);
	assert_non_null(strstr(detail(v), "restart(s) during the window"));
	json_decref(v);

	/* a template without the new limit: the change did not hold */
	f->a.restarts_grow = false;
	p.mem_limit_after = 512 * 1048576.0;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_FAILED);
	assert_non_null(strstr(detail(v), "does not hold the new limit"));
	json_decref(v);
	json_decref(res);
}

/* A scale for a CPU insight is judged by the load per pod: back within what
 * the detector calls normal for one of these pods. */
static void a_scale_is_judged_by_the_load_per_pod(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_SCALE_DEPLOYMENT, .namespace_ = "shop", .name = "web",
			      .replicas_before = 1, .replicas_after = 1 };
	struct verify_opts o = quick;
	json_t *res = json_pack("{s:s}", "operation", "scale"), *v;

	o.anomaly_type = "cpu_saturation";
	o.cpu_normal_cores = 0.17;
	f->a.cpu_m = 190;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &o, &v), VERDICT_FAILED);
	assert_non_null(strstr(detail(v), "use 190m of CPU each, above the 170m one of them uses when normal"));
	assert_true(json_real_value(json_object_get(v, "cpu_per_pod_cores")) == 0.19);
	assert_true(json_real_value(json_object_get(v, "cpu_normal_cores")) == 0.17);
	json_decref(v);
	f->a.cpu_m = 150;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &o, &v), VERDICT_SUCCEEDED);
	json_decref(v);
	/* for another insight (network, say), or without a normal range, the load is not judged */
	f->a.cpu_m = 190;
	o.anomaly_type = "network";
	assert_int_equal(remedy_verify(&f->kc, &p, res, &o, &v), VERDICT_SUCCEEDED);
	assert_null(json_object_get(v, "cpu_per_pod_cores"));
	json_decref(v);
	o.anomaly_type = "cpu_saturation";
	o.cpu_normal_cores = 0;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &o, &v), VERDICT_SUCCEEDED);
	json_decref(v);
	json_decref(res);
}

/* An HPA's raised maximum is judged by the HPA's own rule: at its new
 * maximum and still asking for more (beyond its 10% tolerance), the load
 * needs more. */
static void a_raised_hpa_maximum_is_judged_by_the_hpa(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_RAISE_HPA_MAX, .namespace_ = "shop", .name = "web",
			      .workload = "web", .replicas_before = 0, .replicas_after = 1 };
	json_t *res = json_pack("{s:s}", "operation", "patch_hpa"), *v;

	f->a.hpa_util = 150; /* ceil(1 x 150 / 70) = 3 */
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_FAILED);
	assert_non_null(strstr(detail(v), "its own rule asks for 3: the load needs more"));
	assert_int_equal(json_integer_value(json_object_get(v, "hpa_wants")), 3);
	json_decref(v);
	f->a.hpa_util = 75; /* within its tolerance */
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_SUCCEEDED);
	json_decref(v);
	json_decref(res);
}

static void deleted_pod_still_there(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_RESTART_POD, .namespace_ = "shop", .name = "old" };
	json_t *res = json_pack("{s:s, s:s}", "operation", "delete_pod", "uid", "u-old"), *v;

	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_FAILED);
	assert_non_null(strstr(detail(v), "still there"));
	json_decref(v);
	json_decref(res);
}

static void cordon_is_checked_at_once(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_CORDON_NODE, .name = "n1" };
	json_t *res = json_pack("{s:s}", "operation", "cordon"), *v;

	f->a.node_cordoned = true;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_SUCCEEDED);
	assert_int_equal(json_integer_value(json_object_get(v, "observations")), 1);
	json_decref(v);
	f->a.node_cordoned = false;
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_FAILED);
	json_decref(v);
	/* an unreadable target is unverified, not a verdict */
	p.name = "n2";
	assert_int_equal(remedy_verify(&f->kc, &p, res, &quick, &v), VERDICT_UNVERIFIED);
	assert_non_null(strstr(detail(v), "could not read the target"));
	json_decref(v);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(limits_hold_or_restarts_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(a_scale_is_judged_by_the_load_per_pod, setup, teardown),
		cmocka_unit_test_setup_teardown(a_raised_hpa_maximum_is_judged_by_the_hpa, setup, teardown),
		cmocka_unit_test_setup_teardown(deleted_pod_still_there, setup, teardown),
		cmocka_unit_test_setup_teardown(cordon_is_checked_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

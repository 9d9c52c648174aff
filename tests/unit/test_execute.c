/*
 * remedy_execute's guards and failures against a stub API server: answers
 * the sim cannot give (403, 409) and targets that changed or vanished are
 * recorded failures or skips, never crashes; nothing is deleted around a
 * refusal.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "httpstub.h"
#include "kube/client.h"
#include "remedy/execute.h"
#include "remedy/target.h"

#define DEP "/apis/apps/v1/namespaces/shop/deployments/web"

struct api {
	int patch_status;               /* what a PATCH of the deployment gets */
	int conflicts;                  /* PATCHes answered 409 before patch_status */
	int generation;                 /* the deployment's generation (3 when 0) */
	int bump_on_conflict;           /* a 409 also moves the generation (someone changed the spec) */
	int patches;                    /* PATCHes of the deployment seen */
};

static const char *status_body(int code, const char *reason)
{
	static char b[256];
	snprintf(b, sizeof(b), "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
		 "\"message\":\"stub says %s\",\"reason\":\"%s\",\"code\":%d}", reason, reason, code);
	return b;
}

static void handler(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	struct api *a = (struct api *)s->ctx;  /* the stub counts what it saw */
	char dep[512];

	if (!strcmp(req->method, "GET") && !strcmp(req->path, DEP)) {
		snprintf(dep, sizeof(dep), "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
			 "\"namespace\":\"shop\",\"uid\":\"u-web\",\"resourceVersion\":\"%d\","
			 "\"generation\":%d},\"spec\":{\"replicas\":2,\"template\":{\"spec\":"
			 "{\"containers\":[{\"name\":\"web\",\"resources\":{\"limits\":"
			 "{\"memory\":\"128Mi\",\"cpu\":\"500m\"}}}]}}}}", 10 + a->patches,
			 a->generation ? a->generation : 3);
		stub_text(r, 200, dep);
	} else if (!strcmp(req->method, "PATCH") && !strcmp(req->path, DEP)) {
		a->patches++;
		if (a->conflicts > 0) {
			a->conflicts--;
			if (a->bump_on_conflict)
				a->generation = (a->generation ? a->generation : 3) + 1;
			stub_text(r, 409, status_body(409, "Conflict"));
			return;
		}
		stub_text(r, a->patch_status, a->patch_status == 200 ? "{}" :
			  status_body(a->patch_status, a->patch_status == 409 ? "Conflict" : "Forbidden"));
	} else if (!strcmp(req->method, "GET") && !strcmp(req->path, "/api/v1/namespaces/shop/pods/bare")) {
		stub_text(r, 200, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"bare\",\"namespace\":\"shop\","
			  "\"uid\":\"u-bare\",\"resourceVersion\":\"5\"},\"spec\":{},\"status\":{\"phase\":\"Running\"}}");
	} else if (!strcmp(req->method, "GET") && !strcmp(req->path, "/api/v1/nodes/node-1")) {
		stub_text(r, 200, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\",\"uid\":\"u-n\","
			  "\"resourceVersion\":\"7\"},\"spec\":{}}");
	} else if (!strcmp(req->method, "PATCH") && !strcmp(req->path, "/api/v1/nodes/node-1")) {
		stub_text(r, 200, "{}");
	} else if (!strcmp(req->method, "GET") && !strcmp(req->path, "/api/v1/pods")) {
		stub_text(r, 200, "{\"kind\":\"PodList\",\"metadata\":{},\"items\":["
			  "{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"shop\",\"ownerReferences\":"
			  "[{\"kind\":\"StatefulSet\",\"name\":\"db\",\"controller\":true}]}},"
			  "{\"metadata\":{\"name\":\"agent-x\",\"namespace\":\"kube-system\",\"ownerReferences\":"
			  "[{\"kind\":\"DaemonSet\",\"name\":\"agent\",\"controller\":true}]}}]}");
	} else if (!strcmp(req->method, "POST") && strstr(req->path, "/eviction")) {
		stub_text(r, 429, status_body(429, "TooManyRequests"));
	} else {
		stub_text(r, 404, status_body(404, "NotFound"));
	}
}

struct fixture {
	struct stub s;
	struct api a;
	struct kube_config cfg;
	struct kube_client kc;
	struct remedy_exec x;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct http_opts ho = { .max_retries = -1 };
	char url[64], err[256];

	f->a.patch_status = 200;
	assert_int_equal(stub_start(&f->s, handler, &f->a), 0);
	stub_url(&f->s, "", url, sizeof(url));
	f->cfg.server = strdup(url);
	f->cfg.user = strdup("tester");
	f->cfg.context = strdup("stub");
	assert_int_equal(kube_client_init(&f->kc, &f->cfg, &ho, err, sizeof(err)), 0);
	f->x.kc = &f->kc;
	f->x.drain_timeout_ms = 1;
	f->x.drain_retry_ms = 1;
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

static const char *msg(const json_t *res)
{
	const char *m = json_string_value(json_object_get(res, "message"));
	return m ? m : "";
}

static struct proposal limits(void)
{
	return (struct proposal){ .kind = ACT_CHANGE_LIMITS, .namespace_ = "shop", .name = "web",
		.mem_limit_before = 128 * 1048576.0, .mem_limit_after = 256 * 1048576.0 };
}

static void skips_what_changed_since_the_proposal(void **state)
{
	struct fixture *f = *state;
	struct proposal p = limits();
	struct target_state was = { .uid = "u-web", .generation = 2 };
	json_t *res;

	assert_int_equal(remedy_execute(&f->x, &p, &was, &res), EXEC_SKIPPED);
	assert_non_null(strstr(msg(res), "changed since the proposal"));
	json_decref(res);
	/* a limit that is no longer the proposal's "before" */
	p.mem_limit_before = 512 * 1048576.0;
	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_SKIPPED);
	assert_non_null(strstr(msg(res), "memory limit now 128Mi"));
	json_decref(res);
	assert_int_equal(stub_count(&f->s, "PATCH"), 0);
}

static void forbidden_and_conflict_are_failures(void **state)
{
	struct fixture *f = *state;
	struct proposal p = limits();
	json_t *res;

	f->a.patch_status = 403;
	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_FAILED);
	assert_int_equal(json_integer_value(json_object_get(res, "http_status")), 403);
	assert_non_null(strstr(msg(res), "not allowed"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(res, "previous"), "limits"), "memory")), "128Mi");
	json_decref(res);
	f->a.patch_status = 409;
	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_FAILED);
	assert_int_equal(json_integer_value(json_object_get(res, "http_status")), 409);
	assert_non_null(strstr(msg(res), "resourceVersion precondition"));
	json_decref(res);
	f->a.patch_status = 200;
	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_DONE);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(res, "applied"), "limits"), "memory")), "256Mi");
	json_decref(res);
}

/* A 409 from a status write (same generation, same limits) is retried once on
 * the new resourceVersion; a 409 from a spec change skips the action. */
static void a_conflict_is_read_again(void **state)
{
	struct fixture *f = *state;
	struct proposal p = limits();
	struct target_state was;
	struct kube_error e = { 0 };
	json_t *res;

	f->a.patch_status = 200;
	f->a.conflicts = 1;
	f->a.patches = 0;
	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_DONE);
	assert_int_equal(f->a.patches, 2);
	assert_int_equal(json_integer_value(json_object_get(res, "conflict_retries")), 1);
	json_decref(res);

	/* the spec moved between the proposal and the write: not acted on */
	f->a.conflicts = 1;
	f->a.bump_on_conflict = 1;
	f->a.patches = 0;
	f->a.generation = 3;
	assert_int_equal(target_observe(&f->kc, &p, NULL, &was, &e), 0);
	assert_int_equal(remedy_execute(&f->x, &p, &was, &res), EXEC_SKIPPED);
	assert_int_equal(f->a.patches, 1);
	assert_non_null(strstr(msg(res), "generation"));
	json_decref(res);
	f->a.bump_on_conflict = 0;
	f->a.generation = 0;
}

static void missing_and_bare_pods(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_RESTART_POD, .namespace_ = "shop", .name = "gone" };
	json_t *res;

	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_FAILED);
	assert_int_equal(json_integer_value(json_object_get(res, "http_status")), 404);
	assert_non_null(strstr(msg(res), "no longer exists"));
	json_decref(res);
	p.name = "bare";
	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_FAILED);
	assert_non_null(strstr(msg(res), "--allow-bare-pods"));
	json_decref(res);
	assert_int_equal(stub_count(&f->s, "DELETE"), 0);
}

static void drain_never_deletes_around_a_budget(void **state)
{
	struct fixture *f = *state;
	struct proposal p = { .kind = ACT_DRAIN_NODE, .name = "node-1" };
	json_t *res;

	assert_int_equal(remedy_execute(&f->x, &p, NULL, &res), EXEC_FAILED);
	assert_int_equal(json_array_size(json_object_get(res, "blocked")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(res, "blocked"), 0)),
			    "shop/db-0");
	assert_int_equal(json_array_size(json_object_get(res, "skipped_pods")), 1);
	assert_int_equal(stub_count(&f->s, "PATCH /api/v1/nodes/node-1"), 1);
	assert_true(stub_count(&f->s, "POST /api/v1/namespaces/shop/pods/db-0/eviction") >= 1);
	assert_int_equal(stub_count(&f->s, "POST /api/v1/namespaces/kube-system"), 0);
	assert_int_equal(stub_count(&f->s, "DELETE"), 0);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(skips_what_changed_since_the_proposal, setup, teardown),
		cmocka_unit_test_setup_teardown(forbidden_and_conflict_are_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(a_conflict_is_read_again, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_and_bare_pods, setup, teardown),
		cmocka_unit_test_setup_teardown(drain_never_deletes_around_a_budget, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

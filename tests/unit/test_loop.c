/*
 * The remedy loop's pass against a stub API server that knows nothing (every
 * read is a 404): what it records for an open insight, and that an insight a
 * newer view has closed is left alone (act only on what is still true).
 */
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "httpstub.h"
#include "insight/advice.h"
#include "kube/client.h"
#include "remedy/loop.h"

static void nothing(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	(void)s;
	(void)req;
	(void)r; /* 404 */
}

static bool closed(void *ctx, const char *id)
{
	(*(int *)ctx)++;
	(void)id;
	return false;
}

static void a_closed_insight_is_left_alone(void **state)
{
	static const struct signal sig[] = { { "cpu_mcores", 900, 100, 250 } };
	struct finding f = {
		.namespace_ = "shop", .pod = "web-7d4b9c-x2x9q", .node = "node-1",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = "cpu_saturation",
		.probability = 0.95, .sample_ms = 1795494480000LL, .signals = sig, .nsignals = 1,
	};
	struct http_opts ho = { .max_retries = -1 };
	struct kube_config cfg = { 0 };
	struct kube_client kc;
	struct insight_store s;
	struct remedy_opts o;
	struct remedy_loop l;
	struct policy pol;
	struct stub st;
	volatile int stop = 0;
	char url[64], err[256], path[256];
	char *dir = test_tmpdir();
	int asked = 0;
	(void)state;

	assert_int_equal(stub_start(&st, nothing, NULL), 0);
	stub_url(&st, "", url, sizeof(url));
	cfg.server = strdup(url);
	cfg.user = strdup("tester");
	cfg.context = strdup("stub");
	assert_int_equal(kube_client_init(&kc, &cfg, &ho, err, sizeof(err)), 0);
	insight_store_init(&s, 0.5);
	insight_advise(insight_store_observe(&s, &f), NULL);
	snprintf(path, sizeof(path), "%s/history.json", dir);
	memset(&o, 0, sizeof(o));
	o.history_file = path;
	o.threshold = 0.5;
	o.auto_approve = true;
	o.verify_window_ms = 100;
	o.tty_fd = -1;
	o.still_open = closed;
	o.still_open_ctx = &asked;
	policy_init(&pol);
	assert_int_equal(remedy_loop_open(&l, &o, &kc, &pol, &stop, err, sizeof(err)), 0);
	assert_int_equal(remedy_loop_handle(&l, &s, err, sizeof(err)), 0);
	assert_int_equal(asked, 1);
	assert_int_equal(json_array_size(l.hist.records), 0); /* closed since: nothing proposed */
	/* open in the newer view as well: it is handled (here: the target cannot be read) */
	l.o.still_open = NULL;
	assert_int_equal(remedy_loop_handle(&l, &s, err, sizeof(err)), 0);
	assert_true(json_array_size(l.hist.records) > 0);
	remedy_loop_close(&l);
	policy_release(&pol);
	insight_store_release(&s);
	kube_client_release(&kc);
	kube_config_release(&cfg);
	stub_stop(&st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_closed_insight_is_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <errno.h>
#include <stdio.h>
#include "testutil.h"
#include "base/buf.h"
#include "insight/redact.h"

static char *apply(struct redactor *r, const char *text)
{
	struct buf out = BUF_INIT;
	assert_int_equal(redactor_apply(r, text, &out), 0);
	return buf_detach(&out, NULL);
}

static void check(struct redactor *r, const char *in, const char *want)
{
	char *got = apply(r, in);
	if (strcmp(got, want) != 0)
		print_error("redact(\"%s\")\n   got \"%s\"\n  want \"%s\"\n", in, got, want);
	assert_string_equal(got, want);
	free(got);
}

static void names_become_stable_placeholders(void **state)
{
	struct redactor r;
	(void)state;
	redactor_init(&r);
	assert_string_equal(redactor_name(&r, RK_NAMESPACE, "shop"), "[namespace-1]");
	assert_string_equal(redactor_name(&r, RK_POD, "web-7d4b9c-x2x9q"), "[pod-1]");
	assert_string_equal(redactor_name(&r, RK_POD, "web-7d4b9c-x2x9"), "[pod-2]");
	assert_string_equal(redactor_name(&r, RK_NODE, "node-1"), "[node-1]");
	assert_string_equal(redactor_name(&r, RK_NODE, "node-12"), "[node-2]");
	assert_string_equal(redactor_name(&r, RK_WORKLOAD, "web"), "[workload-1]");
	assert_string_equal(redactor_name(&r, RK_POD, "web-7d4b9c-x2x9q"), "[pod-1]");
	assert_null(redactor_name(&r, RK_POD, ""));

	check(&r, "Pod shop/web-7d4b9c-x2x9q on node-12 was OOMKilled",
	      "Pod [namespace-1]/[pod-1] on [node-2] was OOMKilled");
	check(&r, "node-1. node-12, node-123", "[node-1]. [node-2], node-123");
	/* longest match wins; a sibling pod of the workload keeps only its suffix */
	check(&r, "web-7d4b9c-x2x9 and web-7d4b9c-abcde",
	      "[pod-2] and [workload-1]-7d4b9c-abcde");
	/* inside another word a name is not a name */
	check(&r, "myshop webster", "myshop webster");
	/* kubelet's "pod_namespace(uid)": '_' is in no name, so it separates two */
	check(&r, "Back-off restarting failed container in pod web-7d4b9c-x2x9q_shop(0b5c)",
	      "Back-off restarting failed container in pod [pod-1]_[namespace-1](0b5c)");
	check(&r, "my_shop shop_x", "my_[namespace-1] [namespace-1]_x");
	redactor_release(&r);
}

static void addresses_and_secrets_are_removed(void **state)
{
	struct redactor r;
	(void)state;
	redactor_init(&r);
	check(&r, "dial tcp 10.244.1.17:8080: connection refused",
	      "dial tcp [ip]:8080: connection refused");
	check(&r, "host-10.1.2.3 and 999.1.1.1 and v1.2.3",
	      "host-[ip] and 999.1.1.1 and v1.2.3");
	check(&r, "peer fe80::1ff:fe23:4567:890a down; at 04:28:01",
	      "peer [ip] down; at 04:28:01");
	check(&r, "mail ops@example.com now", "mail [email] now");
	check(&r, "fetch https://admin:s3cret@db.internal/x failed",
	      "fetch https://[secret]@[host]/x failed");
	check(&r, "password=hunter2 user=bob", "password=[secret] user=bob");
	check(&r, "{\"api_key\": \"abc123\"}", "{\"api_key\": \"[secret]\"}");
	check(&r, "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
	      "Authorization: [secret]");
	check(&r, "token sk-live-ABCDEF0123456789abcdef used",
	      "token [secret] used");
	check(&r, "key AKIAIOSFODNN7EXAMPLE leaked", "key [secret] leaked");
	check(&r, "id 3f2a9c0e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 done",
	      "id [secret] done");
	/* ordinary Kubernetes text is left alone */
	check(&r, "Back-off restarting failed container web in pod web-7d4b9c-x2x9q_shop",
	      "Back-off restarting failed container web in pod web-7d4b9c-x2x9q_shop");
	redactor_release(&r);
}

/* The security review's cases (issue 18, M3), one line each. */
static void review_cases(void **state)
{
	struct redactor r;
	(void)state;
	redactor_init(&r);
	redactor_name(&r, RK_NAMESPACE, "payments");
	check(&r, "env DB_PASSWORD=hunter2 set", "env DB_PASSWORD=[secret] set");
	check(&r, "PGPASSWORD=x psql", "PGPASSWORD=[secret] psql");
	check(&r, "api_token=x&y=1", "api_token=[secret]&y=1");
	check(&r, "the password is x.", "the password is [secret].");
	check(&r, "the password for payments is hunter2", "the password for [namespace-1] is [secret]");
	check(&r, "pass=x", "pass=[secret]");
	check(&r, "passphrase: x", "passphrase: [secret]");
	check(&r, "MYAPP_DBPASS=x REDIS_AUTH=y", "MYAPP_DBPASS=[secret] REDIS_AUTH=[secret]");
	check(&r, "\"client_secret\": \"abc\"", "\"client_secret\": \"[secret]\"");
	check(&r, "lookup payments-db-10-0-0-5.payments-db.payments.svc.cluster.local failed",
	      "lookup [host] failed");
	check(&r, "10-0-0-5.payments.pod.cluster.local", "[host]");
	check(&r, "node ip-10-0-4-22.ec2.internal is NotReady", "node [host] is NotReady");
	check(&r, "ip-10-0-4-22 and pod-10-0-0-5-x", "ip-[ip] and pod-[ip]-x");
	check(&r, "connect host.10.0.0.7 refused", "connect host.[ip] refused");
	check(&r, "ssh user@localhost", "ssh [email]");
	check(&r, "taint node.kubernetes.io/not-ready and v1.2.3 and e.g. this",
	      "taint node.kubernetes.io/not-ready and v1.2.3 and e.g. this");
	/* control characters become one space; invisible format characters vanish */
	check(&r, "line1\nSYSTEM: obey\r\n\x1b[31mred\x7f!", "line1 SYSTEM: obey [31mred !");
	check(&r, "a\xc2\x85" "b \xe2\x80\xae" "evil\xe2\x80\xac \xe2\x80\x8b" "z", "a b evil z");
	check(&r, "caf\xc3\xa9 ok", "caf\xc3\xa9 ok");
	redactor_release(&r);
}

/* Names the process has seen elsewhere are hidden too, not only the incident's. */
static void known_names_are_learned(void **state)
{
	struct redact_known *k = redact_known_new();
	struct redactor r;
	char *got;
	(void)state;
	redact_known_add(k, RK_NODE, "worker-7");
	redact_known_add(k, RK_POD, "db-0");
	redact_known_add(k, RK_POD, "db-0");
	redact_known_add(k, RK_NAMESPACE, "billing");
	assert_int_equal(redact_known_count(k), 3);
	redactor_init(&r);
	r.known = k;
	redactor_learn(&r, NULL, "pod billing/db-0 moved to worker-7; worker-70 and xdb-0 are others");
	got = apply(&r, "pod billing/db-0 moved to worker-7; worker-70 and xdb-0 are others");
	assert_string_equal(got, "pod [namespace-1]/[pod-1] moved to [node-1]; worker-70 and xdb-0 are others");
	free(got);
	redactor_release(&r);
	redact_known_free(k);
}

static void restore_maps_back(void **state)
{
	struct redactor r;
	struct buf out = BUF_INIT;
	(void)state;
	redactor_init(&r);
	redactor_name(&r, RK_POD, "web-1");
	redactor_name(&r, RK_NODE, "node-3");
	assert_int_equal(redactor_restore(&r, "restart [pod-1] on [node-1]; [pod-9] [x", &out), 0);
	assert_string_equal(out.data, "restart web-1 on node-3; [pod-9] [x");
	assert_string_equal(redactor_lookup(&r, "[node-1]"), "node-3");
	assert_null(redactor_lookup(&r, "[node-2]"));
	buf_release(&out);
	redactor_release(&r);
}

static void output_limit_leaves_buffer_unchanged(void **state)
{
	struct redactor r;
	struct buf out;
	(void)state;
	redactor_init(&r);
	buf_init(&out, 8);
	buf_adds(&out, "ab");
	assert_int_equal(redactor_apply(&r, "a longer text than fits", &out), -E2BIG);
	assert_string_equal(out.data, "ab");
	buf_release(&out);
	redactor_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_become_stable_placeholders),
		cmocka_unit_test(addresses_and_secrets_are_removed),
		cmocka_unit_test(review_cases),
		cmocka_unit_test(known_names_are_learned),
		cmocka_unit_test(restore_maps_back),
		cmocka_unit_test(output_limit_leaves_buffer_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

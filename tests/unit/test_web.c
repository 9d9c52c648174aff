/*
 * The approval binding (remedy/approve.h), the web decision box, and the
 * notification bodies and signature (serve/notify.h).
 */
#include <errno.h>
#include <openssl/sha.h>
#include "testutil.h"
#include "remedy/approve.h"
#include "serve/notify.h"
#include "base/timeutil.h"

/* The documented canonical form, hashed here independently of approve.c. */
static void sha_hex(const char *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static json_t *rec_scale(int before, int after)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:i, s:i, s:s}}", "id", "r-000001",
			 "action", "scale_deployment", "target", "kind", "Deployment", "namespace", "shop",
			 "name", "web", "params", "replicas_before", before, "replicas_after", after,
			 "rationale", "more traffic than two pods carry");
}

static void test_digest_canonical(void **state)
{
	char got[APPROVAL_DIGEST_HEX], want[65];
	json_t *params = json_pack("{s:i, s:i, s:s, s:{s:i}}", "replicas_after", 11, "replicas_before", 10,
				   "rationale", "prose is not part of the binding",
				   "goal", "replicas_after", 14);   /* nor where later steps head */

	(void)state;
	assert_int_equal(approval_digest("scale_deployment", "Deployment", "shop", "web", params, got), 0);
	sha_hex("{\"action\":\"scale_deployment\",\"params\":{\"replicas_after\":11,\"replicas_before\":10},"
		"\"target\":{\"kind\":\"Deployment\",\"name\":\"web\",\"namespace\":\"shop\"}}", want);
	assert_string_equal(got, want);
	/* a node action has a null namespace */
	assert_int_equal(approval_digest("cordon_node", "Node", NULL, "n1", NULL, got), 0);
	sha_hex("{\"action\":\"cordon_node\",\"params\":{},\"target\":{\"kind\":\"Node\",\"name\":\"n1\",\"namespace\":null}}", want);
	assert_string_equal(got, want);
	json_decref(params);
}

/* Issue 12's M4: an approval of 10 -> 11 never binds 10 -> 15. */
static void test_digest_binds_the_change(void **state)
{
	json_t *a = rec_scale(10, 11), *b = rec_scale(10, 15), *c = rec_scale(10, 11);
	char da[APPROVAL_DIGEST_HEX], db[APPROVAL_DIGEST_HEX];
	int64_t now = 1796650000000;

	(void)state;
	assert_int_equal(approval_record_digest(a, da), 0);
	assert_int_equal(approval_record_digest(b, db), 0);
	assert_string_not_equal(da, db);
	assert_int_equal(approval_check(a, da, now), 0);
	assert_int_equal(approval_check(b, da, now), -ESTALE);
	/* another rationale is the same change */
	json_object_set_new(json_object_get(c, "params"), "rationale", json_string("other words"));
	assert_int_equal(approval_check(c, da, now), 0);
	/* another target is not */
	json_object_set_new(json_object_get(c, "target"), "name", json_string("cart"));
	assert_int_equal(approval_check(c, da, now), -ESTALE);
	/* expiry */
	json_object_set_new(a, "approval_expires", json_string("2026-12-07T10:00:00Z"));
	assert_int_equal(time_parse("2026-12-07T10:00:00Z", &now), 0);
	assert_int_equal(approval_check(a, da, now - 1), 0);
	assert_int_equal(approval_check(a, da, now), -ETIMEDOUT);
	{
		json_t *empty = json_object();

		assert_int_equal(approval_check(empty, da, now), -EINVAL);
		json_decref(empty);
	}
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_box(void **state)
{
	struct approval_box *b = approval_box_new();
	char d[APPROVAL_DIGEST_HEX], who[16];
	json_t *recs, *view;

	(void)state;
	assert_int_equal(approval_box_decide(b, "r-1", "aa", true, "web", 1000), -ENOENT);
	approval_box_offer(b, "r-1", "aa", 5000);
	approval_box_offer(b, "r-2", "bb", 5000);
	assert_int_equal(approval_box_get(b, "r-1", d, who, sizeof(who)), DECISION_NONE);
	assert_int_equal(approval_box_decide(b, "r-1", "bb", true, "web", 1000), -ESTALE);
	assert_int_equal(approval_box_decide(b, "r-1", NULL, true, "web", 1000), -ESTALE);
	assert_int_equal(approval_box_decide(b, "r-1", "aa", true, "web", 5000), -ETIMEDOUT);
	assert_int_equal(approval_box_decide(b, "r-1", "aa", true, "api", 4999), 0);
	assert_int_equal(approval_box_decide(b, "r-1", "aa", false, "web", 4999), -EALREADY);
	assert_int_equal(approval_box_get(b, "r-1", d, who, sizeof(who)), DECISION_APPROVED);
	assert_string_equal(d, "aa");
	assert_string_equal(who, "api");
	assert_int_equal(approval_box_decide(b, "r-2", "bb", false, "web", 10), 0);
	assert_int_equal(approval_box_get(b, "r-2", d, NULL, 0), DECISION_REJECTED);
	/* offering again forgets the decision */
	approval_box_offer(b, "r-2", "cc", 9000);
	assert_int_equal(approval_box_get(b, "r-2", d, NULL, 0), DECISION_NONE);
	approval_box_withdraw(b, "r-1");
	assert_int_equal(approval_box_decide(b, "r-1", "aa", true, "web", 10), -ENOENT);
	assert_int_equal(approval_box_get(b, "r-1", d, NULL, 0), DECISION_NONE);

	/* the view: a copy of the newest records, never the loop's own */
	view = approval_box_records(b);
	assert_int_equal(json_array_size(view), 0);
	json_decref(view);
	recs = json_array();
	for (int i = 0; i < APPROVAL_BOX_VIEW + 5; i++)
		json_array_append_new(recs, json_pack("{s:i}", "n", i));
	approval_box_publish(b, recs);
	json_object_set_new(json_array_get(recs, APPROVAL_BOX_VIEW + 4), "n", json_integer(-1));
	view = approval_box_records(b);
	assert_int_equal(json_array_size(view), APPROVAL_BOX_VIEW);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(view, 0), "n")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(view, APPROVAL_BOX_VIEW - 1), "n")),
			 APPROVAL_BOX_VIEW + 4);
	json_decref(view);
	json_decref(recs);
	approval_box_free(b);
}

/* RFC 4231, test case 2. */
static void test_sign(void **state)
{
	const char *data = "what do ya want for nothing?";
	char sig[72];

	(void)state;
	notify_sign("Jefe", data, strlen(data), sig);
	assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_bodies(void **state)
{
	json_t *in = json_pack("{s:s, s:s, s:s, s:[{s:s, s:f, s:[f, f]}], s:[{s:s, s:s, s:s, s:i}]}",
			       "id", "i-00000000000000ab", "anomaly_type", "oom", "summary",
			       "shop/web is killed for memory",
			       "signals", "metric", "mem_bytes", "value", 268435456.0, "expected",
			       100.0 * 1048576, 120.0 * 1048576,
			       "evidence", "kind", "container_state", "reason", "OOMKilled", "message",
			       "container app", "count", 3);
	json_t *g = notify_generic_body("insight.opened", in, "http://127.0.0.1:9101/#i-00000000000000ab",
					"d-1", 1796650000000);
	json_t *s = notify_slack_body("insight.opened", in, "http://127.0.0.1:9101/#i-00000000000000ab");
	char *text;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(g, "event")), "insight.opened");
	assert_string_equal(json_string_value(json_object_get(g, "id")), "d-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(g, "insight"), "id")),
			    "i-00000000000000ab");
	assert_non_null(strstr(json_string_value(json_object_get(g, "summary")), "shop/web is killed"));
	/* Slack: header, summary, evidence in units, a button to the record */
	assert_true(json_array_size(json_object_get(s, "blocks")) == 4);
	text = json_dumps(s, JSON_COMPACT);
	assert_non_null(strstr(text, "\"type\":\"header\""));
	assert_non_null(strstr(text, "mem_bytes: 256.0 MiB (expected 100.0 MiB to 120.0 MiB)"));
	assert_non_null(strstr(text, "OOMKilled x3"));
	assert_non_null(strstr(text, "\"url\":\"http://127.0.0.1:9101/#i-00000000000000ab\""));
	free(text);
	json_decref(g);
	json_decref(s);
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_canonical),
		cmocka_unit_test(test_digest_binds_the_change),
		cmocka_unit_test(test_box),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

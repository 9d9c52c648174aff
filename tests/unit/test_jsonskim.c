#include <errno.h>
#include <math.h>
#include "testutil.h"
#include "base/buf.h"
#include "base/file.h"
#include "kube/cache.h"
#include "kube/jsonskim.h"
#include "kube/objects.h"

static const char *const drop[] = { "labels", "conditions", "x", NULL };

static void skims(const char *in, const char *want)
{
	struct buf out = BUF_INIT;
	assert_int_equal(json_skim(in, strlen(in), drop, &out), 0);
	buf_addch(&out, '\0');
	assert_string_equal(out.data, want);
	buf_release(&out);
}

static void members_go_at_any_depth_and_commas_stay_right(void **state)
{
	(void)state;
	skims("{\"labels\": {\"a\": 1}, \"name\": \"n\"}", "{\"name\":\"n\"}");
	skims("{\"name\": \"n\", \"labels\": {\"a\": 1}}", "{\"name\":\"n\"}");
	skims("{\"a\": 1, \"x\": [1, {\"b\": 2}], \"c\": 3}", "{\"a\":1,\"c\":3}");
	skims("{\"x\": 1}", "{}");
	skims("{\"x\": 1, \"labels\": null}", "{}");
	skims("[{\"m\": {\"conditions\": [{\"x\": 1}], \"ok\": true}}, [], {}]",
	      "[{\"m\":{\"ok\":true}},[],{}]");
	/* a value that looks like a key is a value; escapes are followed */
	skims("{\"k\": \"labels\", \"s\": \"a\\\"x\\\\\", \"x\": \"}\"}",
	      "{\"k\":\"labels\",\"s\":\"a\\\"x\\\\\"}");
	/* keys are compared whole */
	skims("{\"xx\": 1, \"labelsy\": 2}", "{\"xx\":1,\"labelsy\":2}");
	skims(" -1.5e3 ", "-1.5e3");
	skims("\"\\u00e9\"", "\"\\u00e9\"");
	skims("[9223372036854775807, -9223372036854775808, 1e-999]",
	      "[9223372036854775807,-9223372036854775808,1e-999]");
	skims("[-0, 0.5e+3, 1E-2, \"\\ud83d\\ude00 \xc3\xa9 \xf0\x9f\x98\x80 \\/\"]",
	      "[-0,0.5e+3,1E-2,\"\\ud83d\\ude00 \xc3\xa9 \xf0\x9f\x98\x80 \\/\"]");
}

static void broken_text_is_refused_and_out_kept(void **state)
{
	static const char *const bad[] = {
		"{\"a\": 1", "{\"a\" 1}", "{\"a\": tru}", "[1, 2", "{\"x\": [1, 2}", "\"abc",
		"{\"a\": 1} 2", "{\"a\": \"b\nc\"}", "", "{,}", "[1,]x", "{\"x\": {\"y\": nul}}",
		/* what jansson refuses, in a member the skim drops too: numbers,
		 * escapes and UTF-8 are checked as jansson checks them */
		"{\"x\": 01}", "{\"x\": 1.}", "{\"x\": -}", "{\"x\": 1e}", "{\"x\": .5}", "{\"x\": +1}",
		"{\"x\": \"\\q\"}", "{\"x\": \"\\u12\"}", "{\"x\": \"\\u0000\"}", "{\"x\": \"\\udc00\"}",
		"{\"x\": \"\\ud800x\"}", "{\"x\": \"\xc3\"}", "{\"x\": \"\xc0\xaf\"}", "{\"x\": \"\xed\xa0\x80\"}",
		"{\"x\": \"\xf5\x80\x80\x80\"}", "{\"x\": 9223372036854775808}",
		"{\"x\": -9223372036854775809}", "{\"x\": 1e999}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf out = BUF_INIT;
		buf_adds(&out, "keep");
		assert_int_equal(json_skim(bad[i], strlen(bad[i]), drop, &out), -EINVAL);
		assert_int_equal(out.len, 4);
		buf_release(&out);
	}
}

static int member(const char *in, struct buf *out)
{
	buf_reset(out);
	return json_skim_member(in, strlen(in), "metadata", "continue", out);
}

/* A list's continue token, read off its top without parsing the items. */
static void a_member_is_found_without_parsing_the_rest(void **state)
{
	struct buf out = BUF_INIT;
	(void)state;
	assert_int_equal(member("{\"kind\": \"PodList\", \"metadata\": {\"resourceVersion\": \"7\", "
				"\"continue\": \"eyJ2\"}, \"items\": [{\"oops", &out), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.data, "eyJ2", 4);
	/* after the items, after nested look-alikes */
	assert_int_equal(member("{\"items\": [{\"metadata\": {\"continue\": \"no\"}}], "
				"\"metadata\": {\"x\": {\"continue\": \"no\"}, \"continue\": \"yes\"}}", &out), 0);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "yes", 3);
	assert_int_equal(member("{\"metadata\": {\"continue\": \"\"}}", &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(member("{\"metadata\": {\"resourceVersion\": \"7\"}, \"items\": []}", &out), -ENOENT);
	assert_int_equal(member("{\"metadata\": {\"continue\": 5}}", &out), -ENOENT);
	assert_int_equal(member("{}", &out), -ENOENT);
	assert_int_equal(member("{\"metadata\": {\"continue\": \"a\\u0041\"}}", &out), -ENOTSUP);
	assert_int_equal(member("[1]", &out), -EINVAL);
	assert_int_equal(member("{\"items\": [1, }", &out), -EINVAL);
	assert_int_equal(member("", &out), -EINVAL);
	buf_release(&out);
}

/* The pods' drop list leaves every field kube_pod_parse() reads: each
 * fixture parses to the same pod whole or skimmed. */
static void pods_parse_the_same_skimmed(void **state)
{
	static const char *const files[] = {
		"tests/fixtures/kube/pod-crashloop.json", "tests/fixtures/kube/pod-pending.json",
		"tests/fixtures/kube/pod-running.json",
	};
	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct buf text = BUF_INIT, sk = BUF_INIT;
		struct kube_pod a, b;
		char err[256];
		json_t *ja, *jb;

		assert_int_equal(file_read_all(files[f], 1 << 20, &text), 0);
		assert_int_equal(json_skim(text.data, text.len, kube_cache_pods.skim, &sk), 0);
		assert_true(sk.len < text.len);
		ja = json_loadb(text.data, text.len, 0, NULL);
		jb = json_loadb(sk.data, sk.len, 0, NULL);
		assert_non_null(jb);
		assert_int_equal(kube_pod_parse(ja, &a, err, sizeof(err)), 0);
		assert_int_equal(kube_pod_parse(jb, &b, err, sizeof(err)), 0);
		assert_string_equal(a.name, b.name);
		assert_string_equal(a.namespace, b.namespace);
		assert_true((a.owner_name == NULL) == (b.owner_name == NULL));
		if (a.owner_name)
			assert_string_equal(a.owner_name, b.owner_name);
		assert_true((a.phase == NULL) == (b.phase == NULL));
		if (a.phase)
			assert_string_equal(a.phase, b.phase);
		assert_true((a.container_reason == NULL) == (b.container_reason == NULL));
		if (a.container_reason)
			assert_string_equal(a.container_reason, b.container_reason);
		assert_true((a.message == NULL) == (b.message == NULL));
		assert_int_equal(a.restarts, b.restarts);
		assert_int_equal(a.containers_ready, b.containers_ready);
		assert_int_equal(a.containers_total, b.containers_total);
		assert_true(a.cpu_request == b.cpu_request || (isnan(a.cpu_request) && isnan(b.cpu_request)));
		assert_true(a.mem_limit == b.mem_limit || (isnan(a.mem_limit) && isnan(b.mem_limit)));
		assert_true(a.created_ms == b.created_ms);
		kube_pod_release(&a);
		kube_pod_release(&b);
		json_decref(ja);
		json_decref(jb);
		buf_release(&text);
		buf_release(&sk);
	}
}

/* The same for kubelet summaries (a kubelet's shape, and the sim's
 * captured): every pod's counters, whole or skimmed. */
static void summaries_parse_the_same_skimmed(void **state)
{
	static const char *const files[] = {
		"tests/fixtures/kube/summary.json", "tests/fixtures/kube/summary-sim.json",
	};
	(void)state;

	for (size_t f = 0; f < 2; f++) {
		struct buf text = BUF_INIT, sk = BUF_INIT;
		struct kube_summary a, b;
		char err[256];
		json_t *ja, *jb;

		assert_int_equal(file_read_all(files[f], 1 << 22, &text), 0);
		assert_int_equal(json_skim(text.data, text.len, kube_summary_skim, &sk), 0);
		assert_true(sk.len < text.len);
		ja = json_loadb(text.data, text.len, 0, NULL);
		jb = json_loadb(sk.data, sk.len, 0, NULL);
		assert_int_equal(kube_summary_parse(ja, &a, err, sizeof(err)), 0);
		assert_int_equal(kube_summary_parse(jb, &b, err, sizeof(err)), 0);
		assert_true(a.npods > 0);
		assert_int_equal(a.npods, b.npods);
		for (size_t i = 0; i < a.npods; i++) {
			const struct kube_pod_stats *x = &a.pods[i], *y = &b.pods[i];
			assert_string_equal(x->name, y->name);
			assert_string_equal(x->namespace, y->namespace);
			assert_true(x->net_ts_ms == y->net_ts_ms);
			assert_true(x->rx_bytes == y->rx_bytes && x->tx_bytes == y->tx_bytes);
			assert_true(x->rx_errors == y->rx_errors && x->tx_errors == y->tx_errors);
			assert_true(x->cpu_cores == y->cpu_cores && x->mem_bytes == y->mem_bytes);
			assert_true(x->fs_used_bytes == y->fs_used_bytes ||
				    (isnan(x->fs_used_bytes) && isnan(y->fs_used_bytes)));
	}
	kube_summary_release(&a);
	kube_summary_release(&b);
	json_decref(ja);
	json_decref(jb);
	buf_release(&text);
	buf_release(&sk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(members_go_at_any_depth_and_commas_stay_right),
		cmocka_unit_test(broken_text_is_refused_and_out_kept),
		cmocka_unit_test(a_member_is_found_without_parsing_the_rest),
		cmocka_unit_test(pods_parse_the_same_skimmed),
		cmocka_unit_test(summaries_parse_the_same_skimmed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

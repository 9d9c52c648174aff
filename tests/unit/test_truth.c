#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include "testutil.h"
#include "base/buf.h"
#include "base/file.h"
#include "sim/truth.h"

#define START 1795000000000LL /* Unix ms on the virtual clock */

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("bad JSON at %d:%d: %s\n%s", e.line, e.column, e.text, text);
	return j;
}

static void records_as_json(void **state)
{
	static const char *const pods[] = { "web-7d9f8b6c5-abcde", "we\"ird\n-pod" };
	struct truth t;
	char *text;
	json_t *j, *r;
	size_t a, b;
	(void)state;
	truth_init(&t, NULL);
	text = truth_json(&t);
	assert_string_equal(text, "[]\n");
	free(text);

	a = truth_start(&t, FAULT_MEMORY_LEAK, "shop", "web", pods, 2, NULL, START);
	b = truth_start(&t, FAULT_NODE_NOT_READY, NULL, NULL, NULL, 0, "node-1", START + 60000);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	j = parse(text = truth_json(&t));
	free(text);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	r = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(r, "type")), "memory_leak");
	assert_string_equal(json_string_value(json_object_get(r, "namespace")), "shop");
	assert_string_equal(json_string_value(json_object_get(r, "deployment")), "web");
	assert_int_equal(json_array_size(json_object_get(r, "pods")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "pods"), 1)),
			    "we\"ird\n-pod");
	assert_true(json_is_null(json_object_get(r, "node")));
	assert_string_equal(json_string_value(json_object_get(r, "start")), "2026-11-18T11:06:40Z");
	assert_true(json_is_null(json_object_get(r, "end")));
	assert_true(json_is_null(json_object_get(r, "ended_by")));
	r = json_array_get(j, 1);
	assert_string_equal(json_string_value(json_object_get(r, "type")), "node_not_ready");
	assert_true(json_is_null(json_object_get(r, "namespace")));
	assert_true(json_is_null(json_object_get(r, "deployment")));
	assert_int_equal(json_array_size(json_object_get(r, "pods")), 0);
	assert_string_equal(json_string_value(json_object_get(r, "node")), "node-1");
	json_decref(j);

	truth_end(&t, a, START + 300000, "delete_pod");
	truth_end(&t, a, START + 900000, "duration"); /* already over: ignored */
	truth_end(&t, b, START + 3600000, NULL);
	truth_end(&t, 7, START, "x");                 /* no such record: ignored */
	j = parse(text = truth_json(&t));
	free(text);
	r = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(r, "end")), "2026-11-18T11:11:40Z");
	assert_string_equal(json_string_value(json_object_get(r, "ended_by")), "delete_pod");
	r = json_array_get(j, 1);
	assert_string_equal(json_string_value(json_object_get(r, "ended_by")), "duration");
	assert_int_equal(t.recs[1].end_ms, START + 3600000);
	json_decref(j);
	assert_int_equal(truth_write(&t), 0); /* no path: nothing to do */
	truth_release(&t);
	truth_release(NULL);
}

static void written_atomically(void **state)
{
	char *dir = test_tmpdir(), path[512], cmd[600];
	struct buf b = BUF_INIT;
	struct truth t;
	json_t *j;
	(void)state;
	snprintf(path, sizeof(path), "%s/truth.json", dir);
	truth_init(&t, path);
	assert_int_equal(truth_write(&t), 0);
	assert_int_equal(file_read_all(path, 1 << 20, &b), 0);
	assert_string_equal(b.data, "[]\n");
	buf_reset(&b);
	truth_start(&t, FAULT_CRASH_LOOP, "shop", "cart", NULL, 0, NULL, START);
	assert_int_equal(truth_write(&t), 0);
	assert_int_equal(file_read_all(path, 1 << 20, &b), 0);
	j = parse(b.data);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	truth_release(&t);
	/* A directory that does not exist: an error, not a crash. */
	snprintf(path, sizeof(path), "%s/missing/truth.json", dir);
	truth_init(&t, path);
	assert_true(truth_write(&t) < 0);
	truth_release(&t);
	buf_release(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_as_json),
		cmocka_unit_test(written_atomically),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "conf/ynode.h"

static struct ynode *parse_ok(const char *text)
{
	struct ynode *n = NULL;
	char err[256] = "";
	int rc = ynode_parse(text, strlen(text), &n, err, sizeof(err));
	if (rc)
		fail_msg("unexpected parse error: %s", err);
	return n;
}

static void maps_seqs_and_positions(void **state)
{
	struct ynode *n = parse_ok(
		"seed: 42\n"
		"workloads:\n"
		"  - namespace: shop\n"
		"    limits: {cpu: 500m, memory: \"256Mi\"}\n"
		"empty:\n");
	const struct ynode *w, *lim;
	bool b;
	(void)state;
	assert_int_equal(n->kind, YNODE_MAP);
	assert_string_equal(ynode_str(ynode_get(n, "seed")), "42");
	w = ynode_get(n, "workloads");
	assert_int_equal(w->kind, YNODE_SEQ);
	assert_int_equal(w->n, 1);
	assert_int_equal(w->items[0]->line, 3);
	assert_int_equal(w->items[0]->col, 5);
	lim = ynode_get(w->items[0], "limits");
	assert_string_equal(ynode_str(ynode_get(lim, "memory")), "256Mi");
	assert_false(ynode_get(lim, "memory")->plain);
	assert_true(ynode_is_null(ynode_get(n, "empty")));
	assert_null(ynode_str(ynode_get(n, "empty")));
	assert_null(ynode_get(n, "missing"));
	assert_int_equal(ynode_bool(ynode_get(n, "seed"), &b), -EINVAL);
	ynode_free(n);
}

static void json_is_yaml(void **state)
{
	struct ynode *n = parse_ok("{\"apiVersion\": \"v1\", \"clusters\": [{\"name\": \"a\"}], \"x\": true}");
	bool b = false;
	(void)state;
	assert_string_equal(ynode_str(ynode_get(n, "apiVersion")), "v1");
	assert_int_equal(ynode_bool(ynode_get(n, "x"), &b), 0);
	assert_true(b);
	ynode_free(n);
}

static void errors_have_positions(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "a: 1\na: 2\n", "line 2, column 1: duplicate key" },
		{ "a: [1, 2\n", "line 2, column 1:" },
		{ "a: &x 1\nb: *x\n", "line 2, column 4: YAML aliases are not supported" },
		{ "a: 1\n---\nb: 2\n", "line 2, column 1: more than one YAML document" },
		{ "? [a]\n: 1\n", "line 1, column 3: mapping keys must be scalars" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ynode *n = NULL;
		char err[256] = "";
		int rc = ynode_parse(cases[i].text, strlen(cases[i].text), &n, err, sizeof(err));
		assert_int_equal(rc, -EINVAL);
		assert_null(n);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got '%s', want prefix '%s'", i, err, cases[i].want);
	}
}

static void depth_is_capped(void **state)
{
	char text[512];
	struct ynode *n = NULL;
	char err[256];
	size_t i;
	(void)state;
	for (i = 0; i < 100; i++)
		text[i] = '[';
	text[i] = '\0';
	assert_int_equal(ynode_parse(text, strlen(text), &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nesting too deep"));
}

static void empty_document(void **state)
{
	struct ynode *n = (struct ynode *)1;
	char err[64];
	(void)state;
	assert_int_equal(ynode_parse("", 0, &n, err, sizeof(err)), 0);
	assert_null(n);
}

static void file_errors_name_the_file(void **state)
{
	char path[] = "/tmp/kubemend-ynode-XXXXXX";
	int fd = mkstemp(path);
	struct ynode *n = NULL;
	char err[512];
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a: 1\n  b: 2\n", 12), 12);
	close(fd);
	assert_int_equal(ynode_parse_file(path, &n, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
	assert_int_equal(ynode_parse_file(path, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maps_seqs_and_positions),
		cmocka_unit_test(json_is_yaml),
		cmocka_unit_test(errors_have_positions),
		cmocka_unit_test(depth_is_capped),
		cmocka_unit_test(empty_document),
		cmocka_unit_test(file_errors_name_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

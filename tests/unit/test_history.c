#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "base/buf.h"
#include "base/file.h"
#include "remedy/history.h"

static char path[256];

static int setup(void **state)
{
	char *dir = test_tmpdir();
	(void)state;
	snprintf(path, sizeof(path), "%s/remediation_history.json", dir);
	free(dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf $(dirname %s)", path);
	return system(cmd);
}

static json_t *load(void)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		fail_msg("%s:%d:%d: %s", path, e.line, e.column, e.text);
	return j;
}

static void every_step_is_on_disk(void **state)
{
	struct history h;
	struct history_target t = { "Deployment", "shop", "web" };
	char err[256], id[32];
	json_t *params = json_pack("{s:s, s:s}", "memory_limit_before", "256Mi",
				   "memory_limit_after", "512Mi");
	json_t *disk, *rec;
	(void)state;

	assert_int_equal(history_open(&h, path, err, sizeof(err)), 0);
	assert_int_equal(history_propose(&h, 1795494481000LL, "i-1", "change_limits",
					 &t, params, "applied", id, sizeof(id)), 0);
	json_decref(params);
	assert_string_equal(id, "r-000001");

	/* the proposal is on disk before anything acts on it */
	disk = load();
	assert_int_equal(json_array_size(disk), 1);
	rec = json_array_get(disk, 0);
	assert_string_equal(json_string_value(json_object_get(rec, "status")), "proposed");
	assert_string_equal(json_string_value(json_object_get(rec, "time")), "2026-11-24T04:28:01.000Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "target"), "namespace")), "shop");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "params"), "memory_limit_after")), "512Mi");
	assert_true(json_is_null(json_object_get(rec, "result")));
	json_decref(disk);

	{
		json_t *f = json_pack("{s:s, s:s}", "approval", "user", "status", "executing");
		assert_int_equal(history_update(&h, id, 1795494482000LL, f), 0);
		json_decref(f);
	}
	disk = load();
	rec = json_array_get(disk, 0);
	assert_string_equal(json_string_value(json_object_get(rec, "status")), "executing");
	assert_string_equal(json_string_value(json_object_get(rec, "approval")), "user");
	assert_string_equal(json_string_value(json_object_get(rec, "updated")), "2026-11-24T04:28:02.000Z");
	json_decref(disk);

	assert_int_equal(history_update(&h, "r-999", 0, NULL), -ENOENT);
	history_close(&h);

	/* reopening continues the ids after the largest one */
	assert_int_equal(history_open(&h, path, err, sizeof(err)), 0);
	t.kind = "Node";
	t.namespace_ = NULL;
	t.name = "node-3";
	assert_int_equal(history_propose(&h, 0, NULL, "cordon_node", &t, NULL,
					 "dry_run", id, sizeof(id)), 0);
	assert_string_equal(id, "r-000002");
	assert_non_null(history_get(&h, "r-000001"));
	history_close(&h);
	disk = load();
	assert_int_equal(json_array_size(disk), 2);
	assert_true(json_is_null(json_object_get(json_object_get(json_array_get(disk, 1), "target"), "namespace")));
	json_decref(disk);
}

static void a_broken_file_is_refused_and_kept(void **state)
{
	struct history h;
	char err[512];
	struct buf after = BUF_INIT;
	(void)state;
	assert_int_equal(file_write_atomic(path, "[{\"id\": \"r-1\"},\n {\"id\": ", 23), 0);
	assert_int_equal(history_open(&h, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":2:"));
	assert_int_equal(file_read_all(path, 1024, &after), 0);
	assert_int_equal(after.len, 23); /* untouched */
	buf_release(&after);

	assert_int_equal(file_write_atomic(path, "{}", 2), 0);
	assert_int_equal(history_open(&h, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a JSON array"));
	assert_int_equal(file_write_atomic(path, "[1]", 3), 0);
	assert_int_equal(history_open(&h, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "record 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_step_is_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(a_broken_file_is_refused_and_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <errno.h>
#include <fcntl.h>
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

/* The file as a reader outside kubemend sees it: JSON lines, the last line
 * of each id its current state, in the order the ids first appear. */
static json_t *load_lines(size_t *nlines)
{
	struct buf b = BUF_INIT;
	json_t *arr = json_array(), *seen = json_object();
	char *line, *save = NULL;

	assert_int_equal(file_read_all(path, 1 << 26, &b), 0);
	assert_true(b.len == 0 || b.data[b.len - 1] == '\n');
	*nlines = 0;
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t e;
		json_t *rec = json_loads(line, 0, &e), *at;
		const char *id;
		if (!rec)
			fail_msg("%s:%zu: %s", path, *nlines + 1, e.text);
		(*nlines)++;
		id = json_string_value(json_object_get(rec, "id"));
		assert_non_null(id);
		at = json_object_get(seen, id);
		if (at) {
			json_array_set_new(arr, (size_t)json_integer_value(at), rec);
		} else {
			json_object_set_new(seen, id, json_integer((json_int_t)json_array_size(arr)));
			json_array_append_new(arr, rec);
		}
	}
	json_decref(seen);
	buf_release(&b);
	return arr;
}

static json_t *load(void)
{
	size_t n;
	return load_lines(&n);
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
	assert_non_null(strstr(err, ":1:1: not a record"));
	assert_int_equal(file_write_atomic(path, "[1]", 3), 0);
	assert_int_equal(history_open(&h, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "record 0"));
	/* a broken line that is not the last: refused with its line, kept */
	assert_int_equal(file_write_atomic(path, "{\"id\":\"r-1\"}\n{\"id\"\n{\"id\":\"r-2\"}\n", 32), 0);
	assert_int_equal(history_open(&h, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2:"));
	assert_int_equal(file_read_all(path, 1024, &after), 0);
	assert_int_equal(after.len, 32);
	buf_release(&after);
}

/* An append is one line whatever the history's size; superseded lines are
 * compacted away by a rewrite once they outnumber the records. */
static void appends_are_lines_and_compaction_bounds_the_file(void **state)
{
	struct history h;
	struct history_target t = { "Pod", "shop", "web-1" };
	char err[256], id[32];
	size_t lines, max_lines = 0;
	json_t *disk;
	(void)state;

	assert_int_equal(history_open(&h, path, err, sizeof(err)), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(history_propose(&h, 1795494481000LL, NULL, "restart_pod", &t, NULL,
						 "applied", id, sizeof(id)), 0);
	disk = load_lines(&lines);
	assert_int_equal(lines, 10);
	json_decref(disk);
	for (int i = 0; i < 300; i++) {
		json_t *f = json_pack("{s:i}", "step", i);
		size_t before;
		json_decref(load_lines(&before));
		assert_int_equal(history_update(&h, "r-000003", 1795494482000LL + i, f), 0);
		json_decref(f);
		disk = load_lines(&lines);
		/* one more line, or a compaction down to one line per record */
		assert_true(lines == before + 1 || lines == 10);
		if (lines > max_lines)
			max_lines = lines;
		json_decref(disk);
	}
	assert_true(h.compactions >= 2);
	assert_true(max_lines <= 2 * 10 + 64);
	history_close(&h);
	/* the current state per id survives a reopen */
	assert_int_equal(history_open(&h, path, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(h.records), 10);
	assert_int_equal(json_integer_value(json_object_get(history_get(&h, "r-000003"), "step")), 299);
	assert_string_equal(json_string_value(json_object_get(json_array_get(h.records, 2), "id")), "r-000003");
	history_close(&h);
}

/* The JSON array of older versions is read, and rewritten as lines on the
 * first change; a last line cut short is dropped. */
static void old_format_and_a_cut_last_line(void **state)
{
	static const char old[] =
		"[\n  {\"id\": \"r-000007\", \"status\": \"succeeded\"},\n"
		"  {\"id\": \"r-000008\", \"status\": \"executing\"}\n]\n";
	struct history h;
	char err[256];
	json_t *disk;
	size_t lines;
	(void)state;

	assert_int_equal(file_write_atomic(path, old, strlen(old)), 0);
	assert_int_equal(history_open(&h, path, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(h.records), 2);
	{
		json_t *f = json_pack("{s:s}", "status", "failed");
		assert_int_equal(history_update(&h, "r-000008", 0, f), 0);
		json_decref(f);
	}
	history_close(&h);
	disk = load_lines(&lines);
	assert_int_equal(lines, 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(disk, 1), "status")), "failed");
	json_decref(disk);

	{
		int fd = open(path, O_WRONLY | O_APPEND);
		assert_true(write(fd, "{\"id\":\"r-000009\",\"sta", 22) == 22);
		close(fd);
	}
	assert_int_equal(history_open(&h, path, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(h.records), 2);
	assert_null(history_get(&h, "r-000009"));
	{
		struct history_target t = { "Node", NULL, "node-1" };
		char id[32];
		assert_int_equal(history_propose(&h, 0, NULL, "cordon_node", &t, NULL, "dry_run",
						 id, sizeof(id)), 0);
		assert_string_equal(id, "r-000009");
	}
	history_close(&h);
	disk = load_lines(&lines); /* whole lines again */
	assert_int_equal(json_array_size(disk), 3);
	json_decref(disk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_step_is_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(a_broken_file_is_refused_and_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(appends_are_lines_and_compaction_bounds_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(old_format_and_a_cut_last_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

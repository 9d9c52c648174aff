#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strvec.h"
#include "base/timeutil.h"

static void buf_limit_is_hard(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345"), 0);
	assert_int_equal(buf_adds(&b, "6789"), -E2BIG);
	assert_string_equal(b.data, "12345"); /* unchanged on failure */
	assert_int_equal(buf_adds(&b, "678"), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(buf_addch(&b, 'x'), -E2BIG);
	assert_int_equal(buf_addf(&b, "%d", 1), -E2BIG);
	buf_consume(&b, 3);
	assert_string_equal(b.data, "45678");
	buf_release(&b);
	buf_release(NULL);
}

static void buf_formats_and_escapes(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len;
	(void)state;
	buf_addf(&b, "%s-%03d", "x", 7);
	buf_add_json_str(&b, "a\"b\\c\n\x01");
	assert_string_equal(b.data, "x-007\"a\\\"b\\\\c\\n\\u0001\"");
	s = buf_detach(&b, &len);
	assert_int_equal(len, strlen(s));
	assert_null(b.data);
	free(s);
}

static void str_parsers_are_strict(void **state)
{
	int64_t i;
	int n;
	double d;
	uint64_t u;
	(void)state;
	assert_int_equal(str_to_i64("42", &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(str_to_i64("42x", &i), -EINVAL);
	assert_int_equal(str_to_i64("", &i), -EINVAL);
	assert_int_equal(str_to_i64(" 4", &i), -EINVAL);
	assert_int_equal(str_to_i64("99999999999999999999", &i), -ERANGE);
	assert_int_equal(str_to_int("3000000000", &n), -ERANGE);
	assert_int_equal(str_to_u64("-1", &u), -EINVAL);
	assert_int_equal(str_to_double("1.5e3", &d), 0);
	assert_true(d == 1500.0);
	assert_int_equal(str_to_double("nan", &d), -EINVAL);
	assert_int_equal(str_to_double("inf", &d), -EINVAL);
}

static void durations(void **state)
{
	int64_t ms = -1;
	(void)state;
	assert_int_equal(str_to_duration_ms("10m", &ms), 0);
	assert_int_equal(ms, 600000);
	assert_int_equal(str_to_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(str_to_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(str_to_duration_ms("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(str_to_duration_ms("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(str_to_duration_ms("5x", &ms), -EINVAL);
	assert_int_equal(str_to_duration_ms("m", &ms), -EINVAL);
	assert_int_equal(str_to_duration_ms("", &ms), -EINVAL);
}

static void quantities(void **state)
{
	double v;
	uint64_t b;
	(void)state;
	assert_int_equal(str_to_quantity("100m", &v), 0);
	assert_true(fabs(v - 0.1) < 1e-12);
	assert_int_equal(str_to_quantity("2", &v), 0);
	assert_true(v == 2.0);
	assert_int_equal(str_to_bytes("128Mi", &b), 0);
	assert_int_equal(b, 128u << 20);
	assert_int_equal(str_to_bytes("1G", &b), 0);
	assert_int_equal(b, 1000000000u);
	assert_int_equal(str_to_bytes("2e3", &b), 0);
	assert_int_equal(b, 2000);
	assert_int_equal(str_to_bytes("512Ki", &b), 0);
	assert_int_equal(b, 524288);
	assert_int_equal(str_to_quantity("12Qi", &v), -EINVAL);
	assert_int_equal(str_to_quantity("Mi", &v), -EINVAL);
	assert_int_equal(str_to_bytes("-1Mi", &b), -ERANGE);
}

static void times(void **state)
{
	int64_t ms;
	char out[RFC3339_MAX];
	(void)state;
	assert_int_equal(time_parse("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(time_parse("2026-11-24T04:28:01Z", &ms), 0);
	assert_int_equal(ms, 1795494481000LL);
	time_rfc3339(ms, out);
	assert_string_equal(out, "2026-11-24T04:28:01Z");
	assert_int_equal(time_parse("2026-11-24T05:28:01.250+01:00", &ms), 0);
	assert_int_equal(ms, 1795494481250LL);
	time_rfc3339_ms(ms, out);
	assert_string_equal(out, "2026-11-24T04:28:01.250Z");
	assert_int_equal(time_parse("2014-04-10 07:15:00", &ms), 0); /* NAB */
	assert_int_equal(ms, 1397114100000LL);
	assert_int_equal(time_parse("2024-02-30T00:00:00Z", &ms), -EINVAL);
	assert_int_equal(time_parse("2024-01-01T00:00:00", &ms), 0);
	assert_int_equal(time_parse("2024-01-01", &ms), -EINVAL);
	assert_int_equal(time_parse("2024-01-01T00:00:00Zjunk", &ms), -EINVAL);
	time_rfc3339(-1, out); /* before the epoch rounds down */
	assert_string_equal(out, "1969-12-31T23:59:59Z");
}

static void atomic_write_replaces_whole_file(void **state)
{
	char *dir = test_tmpdir();
	struct buf path = BUF_INIT, got = BUF_INIT, cmd = BUF_INIT;
	(void)state;
	buf_addf(&path, "%s/out.json", dir);
	assert_int_equal(file_write_atomic(path.data, "first", 5), 0);
	assert_int_equal(file_write_atomic(path.data, "second", 6), 0);
	assert_int_equal(file_read_all(path.data, 1024, &got), 0);
	assert_string_equal(got.data, "second");
	assert_int_equal(file_read_all(path.data, 3, &got), -E2BIG);
	assert_string_equal(got.data, "second"); /* out untouched on failure */
	/* no temporary file is left behind */
	buf_addf(&cmd, "test $(ls %s | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd.data), 0);
	assert_int_equal(file_write_atomic("/nonexistent-dir/x", "a", 1), -ENOENT);
	assert_int_equal(file_read_all("/nonexistent-dir/x", 10, &got), -ENOENT);
	buf_reset(&cmd);
	buf_addf(&cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd.data), 0);
	buf_release(&path);
	buf_release(&got);
	buf_release(&cmd);
	free(dir);
}

static void mkdirs_nested(void **state)
{
	char *dir = test_tmpdir();
	struct buf p = BUF_INIT, cmd = BUF_INIT;
	struct stat st;
	(void)state;
	buf_addf(&p, "%s/a/b/c", dir);
	assert_int_equal(file_mkdirs(p.data), 0);
	assert_int_equal(stat(p.data, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(file_mkdirs(p.data), 0);
	buf_addf(&cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd.data), 0);
	buf_release(&p);
	buf_release(&cmd);
	free(dir);
}

static void logfmt_quoting(void **state)
{
	struct buf line = BUF_INIT;
	(void)state;
	logfmt_pair(&line, "msg", "pod restarted");
	logfmt_pair(&line, "pod", "shop/web-1");
	logfmt_pair(&line, "q", "a=\"b\"");
	logfmt_pair(&line, "empty", "");
	assert_string_equal(line.data,
		"msg=\"pod restarted\" pod=shop/web-1 q=\"a=\\\"b\\\"\" empty=\"\"");
	buf_release(&line);
}

static void log_file_rotates(void **state)
{
	char *dir = test_tmpdir();
	struct buf path = BUF_INIT, rot = BUF_INIT, got = BUF_INIT, cmd = BUF_INIT;
	(void)state;
	buf_addf(&path, "%s/k.log", dir);
	buf_addf(&rot, "%s/k.log.1", dir);
	log_set_stderr(0);
	assert_int_equal(log_open(path.data, 200), 0);
	for (int i = 0; i < 5; i++)
		log_kv(LOG_INFO, "test", "hello world", "i", "x", NULL);
	log_kv(LOG_DEBUG, "test", "not shown", NULL);
	log_close();
	assert_int_equal(file_read_all(rot.data, 1 << 20, &got), 0);
	assert_non_null(strstr(got.data, "level=info component=test msg=\"hello world\" i=x\n"));
	assert_null(strstr(got.data, "not shown"));
	buf_addf(&cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd.data), 0);
	buf_release(&path);
	buf_release(&rot);
	buf_release(&got);
	buf_release(&cmd);
	free(dir);
}

static void strvec_split_keeps_empty(void **state)
{
	struct strvec sv = STRVEC_INIT;
	(void)state;
	strvec_split(&sv, "a::b", ':');
	assert_int_equal(sv.n, 3);
	assert_string_equal(sv.v[1], "");
	assert_null(sv.v[3]);
	assert_true(strvec_contains(&sv, "b"));
	strvec_pushf(&sv, "%d", 5);
	assert_string_equal(sv.v[3], "5");
	strvec_clear(&sv);
}

static void trim_and_copy(void **state)
{
	char s[] = "  x y \n";
	char small[4];
	(void)state;
	assert_string_equal(str_trim(s), "x y");
	assert_int_equal(str_copy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
	assert_true(str_starts_with("kube-system", "kube-"));
	assert_true(str_ends_with("a.yaml", ".yaml"));
	assert_false(str_ends_with("a", "yaml"));
	assert_true(str_eq(NULL, NULL));
	assert_false(str_eq("a", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_limit_is_hard),
		cmocka_unit_test(buf_formats_and_escapes),
		cmocka_unit_test(str_parsers_are_strict),
		cmocka_unit_test(durations),
		cmocka_unit_test(quantities),
		cmocka_unit_test(times),
		cmocka_unit_test(atomic_write_replaces_whole_file),
		cmocka_unit_test(mkdirs_nested),
		cmocka_unit_test(logfmt_quoting),
		cmocka_unit_test(log_file_rotates),
		cmocka_unit_test(strvec_split_keeps_empty),
		cmocka_unit_test(trim_and_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

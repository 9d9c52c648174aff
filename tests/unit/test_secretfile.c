/* base/secretfile: one printable line, blanks around it trimmed; anything that could split a header is refused. */
#include <errno.h>
#include <stdio.h>
#include "testutil.h"
#include "base/secretfile.h"

static void parses(const char *in, const char *want)
{
	char *out = NULL, err[128];

	assert_int_equal(secret_parse(in, strlen(in), &out, err, sizeof(err)), 0);
	assert_string_equal(out, want);
	secret_free(out);
}

static void refuses(const char *in, size_t len, const char *why)
{
	char *out = NULL, err[128];

	assert_int_equal(secret_parse(in, len, &out, err, sizeof(err)), -EINVAL);
	assert_null(out);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
}

static void secret_lines(void **state)
{
	(void)state;
	parses("sk-abc123\n", "sk-abc123");
	parses("  \n\teyJhbGciOi.x.y \r\n\n", "eyJhbGciOi.x.y");
	refuses("", 0, "empty");
	refuses(" \n\t\n", 4, "empty");
	refuses("abc\nX-Evil: 1\n", 14, "line 1, column 4: more than one line");
	refuses("\nabc\rdef", 8, "line 2, column 4: more than one line");
	refuses("abc def", 7, "column 4: a blank");
	refuses("abc\x01" "def", 7, "a control character");
	refuses("abc\0def", 7, "a control character");
	refuses("caf\xc3\xa9", 5, "not ASCII");
}

static void size_limit(void **state)
{
	char *big = malloc(SECRET_FILE_MAX + 2), *out = NULL, err[64];
	(void)state;
	memset(big, 'a', SECRET_FILE_MAX + 1);
	assert_int_equal(secret_parse(big, SECRET_FILE_MAX + 1, &out, err, sizeof(err)), -E2BIG);
	assert_int_equal(secret_parse(big, SECRET_FILE_MAX, &out, err, sizeof(err)), 0);
	assert_int_equal(strlen(out), SECRET_FILE_MAX);
	secret_free(out);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(secret_lines),
		cmocka_unit_test(size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

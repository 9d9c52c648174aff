/* base/file: file_write_atomic_mode sets the permission bits, also over a leftover temporary file. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "base/file.h"

static void writes_with_mode(void **state)
{
	char *dir = test_tmpdir(), path[512], tmp[600], cmd[600];
	struct stat st;
	struct buf b = BUF_INIT;
	FILE *f;
	(void)state;
	snprintf(path, sizeof(path), "%s/secret", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");            /* a leftover, world-readable */
	fclose(f);
	chmod(tmp, 0644);
	assert_int_equal(file_write_atomic_mode(path, "token: x\n", 9, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read_all(path, 100, &b), 0);
	assert_string_equal(b.data, "token: x\n");
	assert_int_not_equal(access(tmp, F_OK), 0);
	buf_release(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_with_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

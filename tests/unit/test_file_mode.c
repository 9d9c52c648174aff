/*
 * base/file and base/log: what we write is created 0600 (issue 18, L3), and
 * the atomic write's temporary file has a random name created exclusively,
 * so a file or symlink planted at a predictable name beside the target is
 * neither written through nor read (L2).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "base/file.h"
#include "base/log.h"

static void rm_rf(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 0777;
}

/* Files in dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void writes_with_mode(void **state)
{
	char *dir = test_tmpdir(), path[512], other[512];
	struct buf b = BUF_INIT;
	(void)state;
	snprintf(path, sizeof(path), "%s/secret", dir);
	snprintf(other, sizeof(other), "%s/public", dir);
	assert_int_equal(file_write_atomic_mode(path, "token: x\n", 9, 0600), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(file_read_all(path, 100, &b), 0);
	assert_string_equal(b.data, "token: x\n");
	/* the default is 0600 too; a caller may ask for more */
	assert_int_equal(file_write_atomic(other, "x", 1), 0);
	assert_int_equal(mode_of(other), 0600);
	assert_int_equal(file_write_atomic_mode(other, "x", 1, 0644), 0);
	assert_int_equal(mode_of(other), 0644);
	/* no temporary file is left behind */
	assert_int_equal(count_prefixed(dir, "secret.tmp."), 0);
	buf_release(&b);
	rm_rf(dir);
}

static void planted_temporary_names_are_not_used(void **state)
{
	char *dir = test_tmpdir(), path[512], victim[512], link[600];
	struct buf b = BUF_INIT;
	FILE *f;
	(void)state;
	snprintf(path, sizeof(path), "%s/insights.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	fputs("keep me", f);
	fclose(f);
	/* the old predictable names: "<path>.tmp.<pid>", as a symlink and as a readable file */
	snprintf(link, sizeof(link), "%s.tmp.%ld", path, (long)getpid());
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(file_write_atomic(path, "{\"secret\":1}", 12), 0);
	assert_int_equal(file_read_all(victim, 100, &b), 0);
	assert_string_equal(b.data, "keep me");
	buf_reset(&b);
	assert_int_equal(file_read_all(path, 100, &b), 0);
	assert_string_equal(b.data, "{\"secret\":1}");
	/* the planted link is still there, untouched: only it matches the prefix */
	assert_int_equal(count_prefixed(dir, "insights.json.tmp."), 1);
	buf_release(&b);
	rm_rf(dir);
}

static void appended_files_are_private(void **state)
{
	char *dir = test_tmpdir(), path[512], logp[512];
	int fd;
	(void)state;
	snprintf(path, sizeof(path), "%s/pod_metrics.csv", dir);
	fd = file_open_append(path, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mode_of(path), 0600);
	snprintf(logp, sizeof(logp), "%s/k8s_monitoring.log", dir);
	assert_int_equal(log_open(logp, 1 << 20), 0);
	assert_int_equal(mode_of(logp), 0600);
	log_close();
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_with_mode),
		cmocka_unit_test(planted_temporary_names_are_not_used),
		cmocka_unit_test(appended_files_are_private),
	};
	umask(022);     /* what a user's shell usually has: the modes must not depend on it */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

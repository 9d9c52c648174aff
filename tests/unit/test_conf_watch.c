/*
 * conf/watch.c: a mounted ConfigMap's update (the kubelet swaps the
 * "..data" symlink to a new directory) is noticed even when the new file
 * has the same size and modification time; an unchanged file is not; a
 * file that appears or vanishes is.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "testutil.h"
#include "conf/watch.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	struct timeval tv[2] = { { 1700000000, 0 }, { 1700000000, 0 } };

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(utimes(path, tv), 0);  /* same mtime for every version */
}

static void configmap_swap(void **state)
{
	char *dir = test_tmpdir(), p[512], q[512], cmd[600];
	struct conf_watch w;

	(void)state;
	assert_non_null(dir);
	snprintf(p, sizeof(p), "%s/..v1", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/..v1/agent_config.yaml", dir);
	write_file(p, "agent:\n  alert_threshold: 0.7\n");
	snprintf(p, sizeof(p), "%s/..data", dir);
	assert_int_equal(symlink("..v1", p), 0);
	snprintf(p, sizeof(p), "%s/agent_config.yaml", dir);
	assert_int_equal(symlink("..data/agent_config.yaml", p), 0);

	conf_watch_init(&w, dir);
	assert_false(conf_watch_changed(&w));
	assert_false(conf_watch_changed(&w));

	/* the kubelet's update: a new directory, then ..data swapped by rename */
	snprintf(p, sizeof(p), "%s/..v2", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/..v2/agent_config.yaml", dir);
	write_file(p, "agent:\n  alert_threshold: 0.9\n");        /* same size, same mtime */
	snprintf(p, sizeof(p), "%s/..data_tmp", dir);
	assert_int_equal(symlink("..v2", p), 0);
	snprintf(q, sizeof(q), "%s/..data", dir);
	assert_int_equal(rename(p, q), 0);
	assert_true(conf_watch_changed(&w));
	assert_false(conf_watch_changed(&w));

	/* a file that appears */
	snprintf(p, sizeof(p), "%s/model_config.yaml", dir);
	write_file(p, "model: {}\n");
	assert_true(conf_watch_changed(&w));
	assert_int_equal(unlink(p), 0);
	assert_true(conf_watch_changed(&w));
	assert_false(conf_watch_changed(&w));

	conf_watch_release(&w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(configmap_swap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

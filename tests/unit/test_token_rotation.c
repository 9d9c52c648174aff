/*
 * A rotated service account token (kube/client.c): the client re-reads the
 * token file at once when the API server answers 401, rather than at the
 * next re-read interval, and a token that stays wrong is still an error.
 * Against the simulated API server over HTTPS (a token is never sent over
 * plain HTTP), which refuses any token but its own even from a client that
 * also presents its certificate.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "kube/client.h"
#include "kube/config.h"
#include "sim/sim.h"

static void write_token(const char *path, const char *tok)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", tok);
	fclose(f);
}

static void rotated_token_is_read_on_401(void **state)
{
	struct sim_options o = { .listen = "127.0.0.1:0", .nodes = 1, .pods = 1, .seed = 2, .speed = 0, .tls = true };
	struct kube_config_opts ko;
	struct sim *sim;
	struct kube_config cfg;
	struct kube_client kc;
	struct kube_error e;
	json_t *out = NULL;
	char err[256], path[512], *dir = test_tmpdir(), cmd[600];

	char kcpath[512];

	(void)state;
	snprintf(kcpath, sizeof(kcpath), "%s/kubeconfig", dir);
	o.kubeconfig_out = kcpath;
	assert_int_equal(sim_start(&sim, &o, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/token", dir);
	write_token(path, "not-the-token");
	memset(&ko, 0, sizeof(ko));
	ko.kubeconfig = kcpath;
	assert_int_equal(kube_config_load(&cfg, &ko, err, sizeof(err)), 0);
	/* the service account's way: the token from a file the kubelet rotates */
	free(cfg.token);
	cfg.token = NULL;
	cfg.token_file = strdup(path);
	assert_int_equal(kube_client_init(&kc, &cfg, NULL, err, sizeof(err)), 0);

	/* a wrong token stays wrong: 401 after the one re-read */
	assert_int_equal(kube_get(&kc, "list nodes", "/api/v1/nodes", &out, &e), -EACCES);
	assert_int_equal(e.status, 401);

	/* the kubelet rotates the file: the next request's 401 makes the client read it again */
	write_token(path, sim_token(sim));
	assert_int_equal(kube_get(&kc, "list nodes", "/api/v1/nodes", &out, &e), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);

	kube_client_release(&kc);
	kube_config_release(&cfg);
	sim_stop(sim);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rotated_token_is_read_on_401),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

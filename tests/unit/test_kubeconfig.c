#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "httpstub.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/exec.h"

#define FIX "tests/fixtures/kube/"

static int load(const char *kubeconfig, const char *env, const char *context,
		struct kube_config *c, char *err, size_t errlen)
{
	struct kube_config_opts o;
	memset(&o, 0, sizeof(o));
	o.kubeconfig = kubeconfig;
	o.env_kubeconfig = env;
	o.context = context;
	o.home = "/nonexistent-home";
	return kube_config_load(c, &o, err, errlen);
}

static void token_and_insecure(void **state)
{
	struct kube_config c;
	char err[512];
	(void)state;

	assert_int_equal(load(FIX "kc-token.yaml", NULL, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.context, "dev");
	assert_string_equal(c.server, "https://127.0.0.1:6443"); /* trailing slash dropped */
	assert_string_equal(c.namespace, "shop");
	assert_string_equal(c.token, "tok-abc123");
	assert_true(c.insecure);
	assert_null(c.ca_file);
	assert_null(c.exec);
	kube_config_release(&c);
}

static void files_are_relative_to_the_kubeconfig(void **state)
{
	struct kube_config c;
	char err[512];
	(void)state;

	assert_int_equal(load(FIX "kc-files.yaml", NULL, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.ca_file, "tests/fixtures/kube/ca.crt");
	assert_string_equal(c.cert_file, "tests/fixtures/kube/client.crt");
	assert_string_equal(c.key_file, "tests/fixtures/kube/client.key");
	assert_string_equal(c.token_file, "tests/fixtures/kube/token.txt");
	assert_string_equal(c.namespace, "default");
	assert_false(c.insecure); /* only when the kubeconfig says so */
	kube_config_release(&c);
}

static void inline_data_is_decoded(void **state)
{
	struct kube_config c;
	struct buf ca = BUF_INIT, key = BUF_INIT;
	char err[512];
	FILE *f;
	(void)state;

	assert_int_equal(load(FIX "kc-data.yaml", NULL, NULL, &c, err, sizeof(err)), 0);
	f = fopen(FIX "ca.crt", "r");
	assert_non_null(f);
	{
		char line[256];
		while (fgets(line, sizeof(line), f))
			buf_adds(&ca, line);
	}
	fclose(f);
	assert_int_equal(c.ca_pem_len, ca.len);
	assert_memory_equal(c.ca_pem, ca.data, ca.len);
	assert_non_null(strstr(c.cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(c.key_pem, "PRIVATE KEY"));
	assert_string_equal(c.namespace, "default"); /* an empty namespace is the default */
	buf_release(&ca);
	buf_release(&key);
	kube_config_release(&c);
}

static void kubeconfig_list_merges_like_kubectl(void **state)
{
	struct kube_config c;
	char err[512];
	const char *env = FIX "does-not-exist.yaml:" FIX "kc-merge-a.yaml:" FIX "kc-merge-b.yaml";
	(void)state;

	/* current-context comes from b (a sets none); its user a-user is a's. */
	assert_int_equal(load(NULL, env, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.context, "b-ctx");
	assert_string_equal(c.server, "https://b-only.example:6443");
	assert_string_equal(c.token, "token-a");
	kube_config_release(&c);
	/* For a name both define, the first file wins: context, cluster. */
	assert_int_equal(load(NULL, env, "shared", &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://a.example:6443");
	assert_string_equal(c.namespace, "from-a");
	assert_string_equal(c.token, "token-a");
	assert_true(c.insecure);
	kube_config_release(&c);
	/* A flag names one file only. */
	assert_int_equal(load(FIX "kc-merge-b.yaml", env, "shared", &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://b.example:6443");
	assert_string_equal(c.token, "token-b");
	kube_config_release(&c);
}

static void errors_name_the_file_and_position(void **state)
{
	struct kube_config c;
	char err[512];
	(void)state;

	assert_int_equal(load(FIX "kc-token.yaml", NULL, "nope", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "context \"nope\" not found"));
	assert_non_null(strstr(err, "kc-token.yaml"));
	assert_int_equal(load(FIX "kc-bad.yaml", NULL, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(strncmp(err, FIX "kc-bad.yaml:", strlen(FIX "kc-bad.yaml:")), 0);
	assert_int_equal(load(FIX "kc-badb64.yaml", NULL, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "kc-badb64.yaml:7:"));
	assert_non_null(strstr(err, "certificate-authority-data is not valid base64"));
	assert_int_equal(load(FIX "missing.yaml", NULL, NULL, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing.yaml"));
	assert_int_equal(load(NULL, NULL, NULL, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no kubeconfig"));
	assert_int_equal(load(NULL, FIX "x1:" FIX "x2", NULL, &c, err, sizeof(err)), -ENOENT);
}

static void in_cluster_service_account(void **state)
{
	struct kube_config_opts o;
	struct kube_config c;
	char *dir = test_tmpdir(), path[256], err[512], cmd[300];
	FILE *f;
	(void)state;

	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	fputs("sa-token\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/namespace", dir);
	f = fopen(path, "w");
	fputs("monitoring", f);
	fclose(f);
	memset(&o, 0, sizeof(o));
	o.home = "/nonexistent-home";
	o.service_host = "10.96.0.1";
	o.service_port = "443";
	o.sa_dir = dir;
	assert_int_equal(kube_config_load(&c, &o, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.96.0.1:443");
	assert_string_equal(c.namespace, "monitoring");
	assert_non_null(strstr(c.token_file, "/token"));
	assert_non_null(strstr(c.ca_file, "/ca.crt"));
	kube_config_release(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void base64_decoding(void **state)
{
	char *out;
	size_t len;
	(void)state;
	assert_int_equal(kube_base64_decode("aGVsbG8gd29ybGQ=", &out, &len), 0);
	assert_string_equal(out, "hello world");
	free(out);
	assert_int_equal(kube_base64_decode("aGVs\nbG8=", &out, &len), 0);
	assert_int_equal(len, 5);
	free(out);
	assert_int_equal(kube_base64_decode("a=b", &out, &len), -EINVAL);
	assert_int_equal(kube_base64_decode("a", &out, &len), -EINVAL);
}

/* ---- exec plugins, run for real (a shell script) ---- */

static void exec_plugins_v1_and_v1beta1(void **state)
{
	const char *files[] = { FIX "kc-exec-v1.yaml", FIX "kc-exec-v1beta1.yaml" };
	const char *tokens[] = { "secret-arg-v1", "secret-arg-v1beta1" };
	(void)state;

	for (int i = 0; i < 2; i++) {
		struct kube_config c;
		struct kube_cred cred;
		char err[512];
		assert_int_equal(load(files[i], NULL, NULL, &c, err, sizeof(err)), 0);
		assert_non_null(c.exec);
		assert_string_equal(c.exec->command, "tests/fixtures/kube/./exec-plugin.sh");
		assert_int_equal(kube_exec_run(c.exec, &cred, err, sizeof(err)), 0);
		assert_string_equal(cred.token, tokens[i]);
		assert_true(cred.expires_ms > 0);
		kube_cred_release(&cred);
		kube_config_release(&c);
	}
}

static void exec_failures_are_clear(void **state)
{
	struct kube_exec ex;
	struct kube_cred cred;
	char err[512], apiv[] = "client.authentication.k8s.io/v1", f[] = "/bin/false",
	     echo[] = "/bin/echo";
	const char *bad = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"v\",\"status\":{}}";
	(void)state;

	memset(&ex, 0, sizeof(ex));
	ex.api_version = apiv;
	ex.command = f;
	assert_int_equal(kube_exec_run(&ex, &cred, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "exec plugin /bin/false: exited with status 1"));
	ex.command = echo;
	strvec_push(&ex.args, "{\"kind\":\"ExecCredential\"}");
	assert_int_equal(kube_exec_run(&ex, &cred, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "apiVersion"));
	strvec_clear(&ex.args);
	assert_int_equal(kube_exec_parse(bad, strlen(bad), "v", &cred, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "neither a token"));
}

static void token_echo(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	const char *auth = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
	char body[256];
	(void)s;
	snprintf(body, sizeof(body), "{\"auth\":\"%s\"}", auth ? auth : "");
	stub_text(r, 200, body);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, ch;
	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void exec_credential_is_cached_until_it_expires(void **state)
{
	struct stub s;
	struct kube_config c;
	struct kube_client kc;
	struct kube_error e;
	char err[512], server[64], countfile[128];
	char *dir = test_tmpdir();
	json_t *j;
	(void)state;

	snprintf(countfile, sizeof(countfile), "%s/count", dir);
	setenv("PLUGIN_COUNT_FILE", countfile, 1);
	assert_int_equal(stub_start(&s, token_echo, NULL), 0);
	assert_int_equal(load(FIX "kc-exec-v1.yaml", NULL, NULL, &c, err, sizeof(err)), 0);
	stub_url(&s, "", server, sizeof(server));
	free(c.server);
	c.server = strdup(server);
	c.allow_http_token = true;      /* the stub speaks plain HTTP */
	assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(kube_get(&kc, "get x", "/x", &j, &e), 0);
		assert_string_equal(json_string_value(json_object_get(j, "auth")), "Bearer secret-arg-v1");
		json_decref(j);
	}
	assert_int_equal(count_lines(countfile), 1);
	/* An expired credential is asked for again before each use. */
	setenv("PLUGIN_EXPIRY", "2000-01-01T00:00:00Z", 1);
	kc.token_expires_ms = 1;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(kube_get(&kc, "get x", "/x", &j, &e), 0);
		json_decref(j);
	}
	assert_int_equal(count_lines(countfile), 3);
	unsetenv("PLUGIN_EXPIRY");
	unsetenv("PLUGIN_COUNT_FILE");
	kube_client_release(&kc);
	kube_config_release(&c);
	stub_stop(&s);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	assert_int_equal(system(err), 0);
	free(dir);
}

static void token_file_is_sent(void **state)
{
	struct stub s;
	struct kube_config c;
	struct kube_client kc;
	struct kube_error e;
	char err[512], server[64];
	json_t *j;
	(void)state;

	assert_int_equal(stub_start(&s, token_echo, NULL), 0);
	assert_int_equal(load(FIX "kc-files.yaml", NULL, NULL, &c, err, sizeof(err)), 0);
	stub_url(&s, "", server, sizeof(server));
	free(c.server);
	c.server = strdup(server);
	/* Plain HTTP here: the certificate files are loaded but unused. */
	c.allow_http_token = true;
	assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(kube_get(&kc, "get x", "/x", &j, &e), 0);
	assert_string_equal(json_string_value(json_object_get(j, "auth")), "Bearer file-token-xyz");
	json_decref(j);
	kube_client_release(&kc);
	kube_config_release(&c);
	stub_stop(&s);
}

/* L1: no bearer token (static, file or exec) goes to an http:// server unless allowed. */
static void no_token_over_plain_http(void **state)
{
	static const char *const fixtures[] = { FIX "kc-files.yaml", FIX "kc-exec-v1.yaml" };
	char err[512], server[64], note[512], countfile[128];
	char *dir = test_tmpdir();
	(void)state;

	snprintf(countfile, sizeof(countfile), "%s/count", dir);
	setenv("PLUGIN_COUNT_FILE", countfile, 1);
	for (size_t i = 0; i < 2; i++) {
		struct stub s;
		struct kube_config c;
		struct kube_client kc;
		struct kube_error e;
		json_t *j;

		assert_int_equal(stub_start(&s, token_echo, NULL), 0);
		assert_int_equal(load(fixtures[i], NULL, NULL, &c, err, sizeof(err)), 0);
		assert_false(c.allow_http_token);
		stub_url(&s, "", server, sizeof(server));
		free(c.server);
		c.server = strdup(server);
		assert_true(kube_config_http_token_notice(&c, note, sizeof(note)));
		assert_non_null(strstr(note, "not sending the bearer token"));
		assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
		assert_int_equal(kube_get(&kc, "get x", "/x", &j, &e), 0);
		assert_string_equal(json_string_value(json_object_get(j, "auth")), "");
		json_decref(j);
		kube_client_release(&kc);
		/* allowed: sent, with a warning that says so */
		c.allow_http_token = true;
		assert_true(kube_config_http_token_notice(&c, note, sizeof(note)));
		assert_non_null(strstr(note, "over plain HTTP"));
		assert_int_equal(kube_client_init(&kc, &c, NULL, err, sizeof(err)), 0);
		assert_int_equal(kube_get(&kc, "get x", "/x", &j, &e), 0);
		assert_non_null(strstr(json_string_value(json_object_get(j, "auth")), "Bearer "));
		json_decref(j);
		kube_client_release(&kc);
		kube_config_release(&c);
		stub_stop(&s);
	}
	/* the exec plugin ran only for the allowed client */
	assert_int_equal(count_lines(countfile), 1);
	unsetenv("PLUGIN_COUNT_FILE");
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	assert_int_equal(system(err), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_and_insecure),
		cmocka_unit_test(files_are_relative_to_the_kubeconfig),
		cmocka_unit_test(inline_data_is_decoded),
		cmocka_unit_test(kubeconfig_list_merges_like_kubectl),
		cmocka_unit_test(errors_name_the_file_and_position),
		cmocka_unit_test(in_cluster_service_account),
		cmocka_unit_test(base64_decoding),
		cmocka_unit_test(exec_plugins_v1_and_v1beta1),
		cmocka_unit_test(exec_failures_are_clear),
		cmocka_unit_test(exec_credential_is_cached_until_it_expires),
		cmocka_unit_test(token_file_is_sent),
		cmocka_unit_test(no_token_over_plain_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

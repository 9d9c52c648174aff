#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "base/buf.h"
#include "base/file.h"
#include "conf/config.h"

static char dir[128];

static int setup(void **state)
{
	char *d = test_tmpdir();
	(void)state;
	snprintf(dir, sizeof(dir), "%s", d);
	free(d);
	unsetenv("THRESHOLD");
	unsetenv("ANOMALY_THRESHOLD");
	unsetenv("K8S_NAMESPACE");
	unsetenv("MODEL_PATH");
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(file_write_atomic(path, text, strlen(text)), 0);
}

static void precedence(void **state)
{
	struct config c;
	char err[512];
	(void)state;
	config_init(&c);
	assert_true(config_num(&c, "agent.alert_threshold") == 0.7);
	assert_int_equal(config_value(&c, "agent.alert_threshold")->source, CS_DEFAULT);

	write_file("agent_config.yaml",
		   "alert_threshold: 0.8\n"
		   "namespace: shop\n"
		   "policy:\n"
		   "  cooldown: 10m\n"
		   "  deny_namespaces: [kube-system, prod]\n"
		   "  max_memory_limit: 4Gi\n");
	write_file("prometheus.yaml",
		   "enabled: true\n"
		   "custom_metrics:\n"
		   "  - name: http_5xx\n"
		   "    query: sum(rate(http_requests_total{code=~\"5..\"}[1m])) by (pod)\n");
	assert_int_equal(config_load_dir(&c, dir, err, sizeof(err)), 0);
	assert_true(config_num(&c, "agent.alert_threshold") == 0.8);
	assert_int_equal(config_duration_ms(&c, "agent.policy.cooldown"), 600000);
	assert_string_equal(config_str(&c, "agent.policy.deny_namespaces"), "kube-system,prod");
	assert_true(config_num(&c, "agent.policy.max_memory_limit") == 4294967296.0);
	assert_true(config_bool(&c, "prometheus.enabled"));
	assert_non_null(strstr(config_str(&c, "prometheus.custom_metrics"), "http_5xx\tsum(rate("));
	assert_int_equal(config_value(&c, "agent.namespace")->source, CS_FILE);
	assert_non_null(strstr(config_value(&c, "agent.namespace")->origin, "agent_config.yaml:2"));

	setenv("ANOMALY_THRESHOLD", "0.85", 1);
	setenv("K8S_NAMESPACE", "payments", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), 0);
	assert_true(config_num(&c, "agent.alert_threshold") == 0.85);
	assert_string_equal(config_str(&c, "agent.namespace"), "payments");
	/* THRESHOLD is listed first, so it wins over ANOMALY_THRESHOLD */
	setenv("THRESHOLD", "0.75", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), 0);
	assert_true(config_num(&c, "agent.alert_threshold") == 0.75);
	assert_string_equal(config_value(&c, "agent.alert_threshold")->origin, "env THRESHOLD");

	assert_int_equal(config_set_flag(&c, "agent.alert_threshold", "--alert-threshold", "0.9",
					 err, sizeof(err)), 0);
	assert_true(config_num(&c, "agent.alert_threshold") == 0.9);
	assert_int_equal(config_value(&c, "agent.alert_threshold")->source, CS_FLAG);
	/* repeated --metric-name flags add up */
	assert_int_equal(config_set_flag(&c, "prometheus.custom_metrics", "--metric-name", "a=up", err, sizeof(err)), 0);
	assert_int_equal(config_set_flag(&c, "prometheus.custom_metrics", "--metric-name", "b=up2", err, sizeof(err)), 0);
	assert_string_equal(config_str(&c, "prometheus.custom_metrics"), "a\tup\nb\tup2\n");
	config_release(&c);
}

static void errors_name_file_line_and_key(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "alert_threshold: 1.5\n", "agent_config.yaml:1:18: agent.alert_threshold: out of range: '1.5' (allowed: 0 to 1)" },
		{ "policy:\n  colldown: 5m\n", "agent_config.yaml:2:3: agent.policy.colldown: unknown setting" },
		{ "interval: soon\n", "agent_config.yaml:1:11: agent.interval: not a duration" },
		{ "policy: 3\n", "agent_config.yaml:1:9: agent.policy: expected a mapping" },
		{ "namespace: [a]\n", "agent_config.yaml:1:12: agent.namespace: expected a single value" },
		{ "llm:\n  enabled: maybe\n", "agent_config.yaml:2:12: agent.llm.enabled: not true or false" },
		{ "alert_threshold: [\n", "agent_config.yaml:2:1:" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[512];
		config_init(&c);
		write_file("agent_config.yaml", cases[i].text);
		assert_int_equal(config_load_dir(&c, dir, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
		config_release(&c);
	}
}

static void env_and_flag_errors(void **state)
{
	struct config c;
	char err[256];
	(void)state;
	config_init(&c);
	setenv("THRESHOLD", "high", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "env THRESHOLD: agent.alert_threshold: not a number: 'high'"));
	unsetenv("THRESHOLD");
	assert_int_equal(config_set_flag(&c, "agent.interval", "--interval", "-3", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "flag --interval"));
	assert_int_equal(config_set_flag(&c, "prometheus.custom_metrics", "--metric-name", "noequals", err, sizeof(err)), -EINVAL);
	config_release(&c);
}

static void collect_line(void *ctx, const char *text)
{
	struct buf *b = ctx;
	buf_addf(b, "%s\n", text);
}

static void show_says_where_values_came_from(void **state)
{
	struct config c;
	struct buf out = BUF_INIT;
	char err[256];
	(void)state;
	config_init(&c);
	setenv("MODEL_PATH", "/tmp/m.kmm", 1);
	assert_int_equal(config_load_env(&c, err, sizeof(err)), 0);
	config_show(&c, collect_line, &out);
	assert_non_null(strstr(out.data, "model.path"));
	assert_non_null(strstr(out.data, "/tmp/m.kmm  # env MODEL_PATH\n"));
	assert_non_null(strstr(out.data, "= 0.7  # default\n"));
	assert_non_null(strstr(out.data, "agent.alertmanager_url             = (unset)  # default\n"));
	unsetenv("MODEL_PATH");
	buf_release(&out);
	config_release(&c);
}

/* docs/config.md and the example files move with the table (run from the repo root). */
static void docs_and_examples_match_the_table(void **state)
{
	struct buf doc = BUF_INIT;
	struct config c;
	char err[512];
	(void)state;
	assert_int_equal(file_read_all("docs/config.md", 1 << 20, &doc), 0);
	for (size_t i = 0; i < conf_nsettings; i++) {
		char key[128];
		snprintf(key, sizeof(key), "| `%s` |", conf_settings[i].key);
		if (!strstr(doc.data, key))
			fail_msg("docs/config.md does not describe %s", conf_settings[i].key);
	}
	buf_release(&doc);
	config_init(&c);
	if (config_load_dir(&c, "config", err, sizeof(err)))
		fail_msg("example config: %s", err);
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_name_file_line_and_key, setup, teardown),
		cmocka_unit_test_setup_teardown(env_and_flag_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(show_says_where_values_came_from, setup, teardown),
		cmocka_unit_test(docs_and_examples_match_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

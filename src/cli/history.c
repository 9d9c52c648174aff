#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/str.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "conf/config.h"
#include "remedy/history.h"
#include "base/banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend history [--since D] [--target T] [--json] [--history-file F]\n"
		"                        [--config-dir DIR]\n"
		"\n"
		"Lists the remediation history (docs/history.md) as a table, oldest first.\n"
		"  --json       the records' current state as one JSON array instead\n"
		"  --since D    only records proposed in the last D (10m, 2h, 7d) or since an\n"
		"               RFC 3339 time\n"
		"  --target T   only records whose target is T: a name, namespace/name or\n"
		"               Kind/namespace/name\n");
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static bool target_matches(const json_t *t, const char *want)
{
	char a[600], b[700];
	const char *ns = json_string_value(json_object_get(t, "namespace"));

	if (!want)
		return true;
	snprintf(a, sizeof(a), "%s%s%s", ns ? ns : "", ns ? "/" : "", str(t, "name"));
	snprintf(b, sizeof(b), "%s/%s", str(t, "kind"), a);
	return !strcmp(want, str(t, "name")) || !strcmp(want, a) || !strcasecmp(want, b);
}

/* The one-line outcome: the refusing rule, the API's message or the verification. */
static void outcome(const json_t *rec, char *out, size_t n)
{
	const json_t *res = json_object_get(rec, "result");
	const json_t *ver = json_object_get(rec, "verification");
	const char *rule = str(res, "rule");

	if (*rule)
		snprintf(out, n, "rule %s", rule);
	else if (*str(ver, "detail"))
		snprintf(out, n, "%s", str(ver, "detail"));
	else if (*str(res, "message"))
		snprintf(out, n, "%s", str(res, "message"));
	else
		snprintf(out, n, "%s", str(json_object_get(rec, "params"), "description"));
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "target", required_argument, NULL, 't' },
		{ "history-file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "config-dir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *since = NULL, *target = NULL, *file = NULL, *dir = NULL;
	struct config cfg;
	struct history h;
	int64_t since_ms = 0;
	char err[512];
	json_t *rec;
	size_t i;
	int c, shown = 0;
	bool as_json = false;
	json_t *out_arr = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': since = optarg; break;
		case 't': target = optarg; break;
		case 'f': file = optarg; break;
		case 'j': as_json = true; break;
		case 'C': dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kubemend history: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (since) {
		int64_t d;
		if (time_parse(since, &since_ms) == 0)
			;
		else if (str_to_duration_ms(since, &d) == 0 && d >= 0)
			since_ms = time_real_ms() - d;
		else {
			fprintf(stderr, "kubemend history: --since wants a duration (2h, 7d) or an "
				"RFC 3339 time, not \"%s\"\n", since);
			return EXIT_USAGE;
		}
	}
	if (cli_load_config(&cfg, dir) < 0)
		return 1;
	if (file && config_set_flag(&cfg, "agent.history_file", "--history-file", file,
				    err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend history: %s\n", err);
		config_release(&cfg);
		return EXIT_USAGE;
	}
	if (history_open(&h, config_str(&cfg, "agent.history_file"), err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend history: %s\n", err);
		config_release(&cfg);
		return 1;
	}
	if (as_json)
		out_arr = json_array();
	else
		printf("%-9s  %-20s  %-16s  %-40s  %-7s  %-8s  %-10s  %s\n", "ID", "TIME", "ACTION",
		       "TARGET", "MODE", "APPROVAL", "STATUS", "OUTCOME");
	json_array_foreach(h.records, i, rec) {
		const json_t *t = json_object_get(rec, "target");
		const char *ns = json_string_value(json_object_get(t, "namespace"));
		char tgt[600], out[400], when[32];
		int64_t at = 0;

		if (since_ms && (time_parse(str(rec, "time"), &at) < 0 || at < since_ms))
			continue;
		if (!target_matches(t, target))
			continue;
		if (as_json) {
			json_array_append(out_arr, rec);
			shown++;
			continue;
		}
		snprintf(tgt, sizeof(tgt), "%s/%s%s%s", str(t, "kind"), ns ? ns : "", ns ? "/" : "",
			 str(t, "name"));
		snprintf(when, sizeof(when), "%.19s", str(rec, "time"));
		outcome(rec, out, sizeof(out));
		printf("%-9s  %-20s  %-16s  %-40s  %-7s  %-8s  %-10s  %s\n", str(rec, "id"), when,
		       str(rec, "action"), tgt, str(rec, "mode"), str(rec, "approval"),
		       str(rec, "status"), out);
		shown++;
	}
	if (as_json) {
		json_dumpf(out_arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(out_arr);
	} else if (!shown) {
		printf("(no records%s)\n", since || target ? " match" : "");
	}
	history_close(&h);
	config_release(&cfg);
	return 0;
}

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
#include "insight/insight_read.h"
#include "remedy/history.h"
#include "remedy/inflight.h"
#include "base/banned.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend history [--since D] [--target T] [--json] [--history-file F]\n"
		"                        [--config-dir DIR]\n"
		"       kubemend history --why [--insights-file F] [--history-file F] [--config-dir DIR]\n"
		"\n"
		"Lists the remediation history (docs/history.md) as a table, oldest first.\n"
		"  --json       the records' current state as one JSON array instead\n"
		"  --why        for each open insight, why nothing (more) happened: no recipe,\n"
		"               the policy rule and values, cooldown until T, waiting for\n"
		"               approval since T, verification running, needs a person\n"
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

/* The newest record about an insight (dry runs included), or NULL. */
static const json_t *newest_for(const struct history *h, const char *insight_id)
{
	const json_t *rec, *found = NULL;
	size_t i;

	json_array_foreach(h->records, i, rec)
		if (inflight_serves(rec, insight_id))
			found = rec;
	return found;
}

/* What a record's state says about why nothing (more) is happening. */
static void why_record(const json_t *rec, char *out, size_t n)
{
	const json_t *res = json_object_get(rec, "result");
	const char *st = str(rec, "status"), *desc = str(json_object_get(rec, "params"), "description");

	if (!strcmp(st, "pending")) {
		snprintf(out, n, "waiting for approval since %.19s: %s", str(rec, "time"), desc);
	} else if (!strcmp(st, "executing") || !strcmp(st, "proposed")) {
		snprintf(out, n, "%s since %.19s (acting, then verifying): %s",
			 !strcmp(st, "executing") ? "running" : "being decided",
			 *str(rec, "started") ? str(rec, "started") : str(rec, "time"), desc);
	} else if (!strcmp(st, "refused") && *str(res, "rule")) {
		snprintf(out, n, "the policy refused %s: %s (rule %s%s%s)", desc, str(res, "message"),
			 str(res, "rule"), *str(res, "setting") ? ", setting " : "", str(res, "setting"));
	} else if (!strcmp(st, "refused")) {
		snprintf(out, n, "a person refused it (%s): %s", str(res, "answer"), desc);
	} else if (!strcmp(st, "needs_person")) {
		snprintf(out, n, "needs a person: %s%s%.19s", str(res, "message"),
			 *str(rec, "retry_after") ? "; tried again after " : "", str(rec, "retry_after"));
	} else if (!strcmp(st, "succeeded")) {
		snprintf(out, n, "%s succeeded (%s); the insight closes when the detector sees it "
			 "normal", desc, str(json_object_get(rec, "verification"), "detail"));
	} else if (!strcmp(st, "dry_run")) {
		snprintf(out, n, "dry run only: %s; nothing changed", desc);
	} else {
		snprintf(out, n, "%s %s: %s", desc, st, *str(json_object_get(rec, "verification"), "detail") ?
			 str(json_object_get(rec, "verification"), "detail") :
			 *str(rec, "interrupted") ? str(rec, "interrupted") : str(res, "message"));
	}
}

/*
 * One sentence: why nothing (more) is happening for this insight. rec: its
 * newest record; busy: a record in flight on its workload (inflight.h),
 * which holds any new proposal for it unless it is rec itself.
 */
static void why_line(const struct insight *in, const json_t *rec, const json_t *busy,
		     double threshold, char *out, size_t n)
{
	int k = 0;

	if (!(in->probability >= threshold)) {
		snprintf(out, n, "probability %.2f is below the confidence threshold %.2f "
			 "(agent.confidence_threshold): nothing is proposed", in->probability, threshold);
		return;
	}
	if (busy && busy != rec) {
		snprintf(out, n, "nothing new proposed while %s (for %s) is %s on this workload, "
			 "one action in flight per workload: %s", str(busy, "id"), str(busy, "insight_id"),
			 str(busy, "status"), str(json_object_get(busy, "params"), "description"));
		return;
	}
	if (!rec) {
		snprintf(out, n, "no record yet: no remediation is running on these insights "
			 "(monitor --remediate, remediate), or it has not reached this one");
		return;
	}
	if (strcmp(str(rec, "insight_id"), in->id))
		k = snprintf(out, n, "shared with %s (the same change, one action per workload); ",
			     str(rec, "insight_id"));
	if (k >= 0 && (size_t)k < n)
		why_record(rec, out + k, n - (size_t)k);
}

static int why_view(const struct config *cfg, const struct history *h)
{
	const char *path = config_str(cfg, "agent.insights_file");
	double threshold = config_num(cfg, "agent.confidence_threshold");
	struct insight_store s;
	char err[512], line[1200];
	size_t open_ = 0;
	int64_t now = time_real_ms();

	insight_store_init(&s, 0);
	if (insight_store_read(&s, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend history: %s\n", err);
		insight_store_release(&s);
		return 1;
	}
	printf("%-18s  %-15s  %-34s  %s\n", "INSIGHT", "TYPE", "WHERE", "WHY NOTHING (MORE) HAPPENED");
	for (size_t i = 0; i < s.n; i++) {
		const struct insight *in = s.items[i];
		const json_t *busy;
		char where[300], wl[400];

		if (in->resolved_ms)
			continue;
		open_++;
		if (in->namespace_)
			snprintf(where, sizeof(where), "%s/%s", in->namespace_,
				 in->owner_name ? in->owner_name : in->npods ? in->pods[0] : "?");
		else
			snprintf(where, sizeof(where), "node %s", in->node ? in->node : "?");
		/* dry_run: a dry run's pending records count too */
		busy = inflight_insight_workload(in, wl, sizeof(wl)) ?
		       inflight_on(h->records, wl, NULL, &s, true, now) : NULL;
		why_line(in, newest_for(h, in->id), busy, threshold, line, sizeof(line));
		printf("%-18s  %-15s  %-34s  %s\n", in->id, in->anomaly_type, where, line);
	}
	if (!open_)
		printf("(no open insights in %s)\n", path);
	insight_store_release(&s);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "target", required_argument, NULL, 't' },
		{ "history-file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "config-dir", required_argument, NULL, 'C' },
		{ "why", no_argument, NULL, 'w' },
		{ "insights-file", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *since = NULL, *target = NULL, *file = NULL, *dir = NULL, *ins = NULL;
	bool why = false;
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
		case 'w': why = true; break;
		case 'i': ins = optarg; break;
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
	if (ins && config_set_flag(&cfg, "agent.insights_file", "--insights-file", ins,
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
	if (why) {
		c = why_view(&cfg, &h);
		history_close(&h);
		config_release(&cfg);
		return c;
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

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/llm.h"
#include "run/monitor.h"
#include "run/incluster.h"
#include "base/str.h"
#include "base/banned.h"

/*
 * `monitor`, `agent` and `detect`: flags to settings (config_set_flag, so
 * flags > environment > files > defaults and `config show` agree), then the
 * shared loop of run/monitor.c.
 */

enum {
	O_HELP = 256, O_GEN_ONLY, O_DATASET_ONLY, O_ANOMALY_ONLY, O_CYCLES, O_DURATION,
	O_CONFIG_DIR, O_METRIC, O_FORMAT, O_MAX_PODS, O_ALL_NS, O_PROM, O_REMEDIATE, O_LLM,
	O_AGENT_ONLY, O_FETCH_ONLY, O_TEST, O_WATCH, O_QUIET, O_DRY_RUN, O_AUTO_APPROVE, O_SETTING,
	O_LE, O_LE_DUR, O_LE_RENEW, O_LE_RETRY, O_LE_NAME, O_LE_NS, O_LE_ID, O_RECORDS, O_NO_EVENTS
};

/* Flags that are plain settings: the option name and its key. */
static const struct { const char *flag, *key; } setting_flags[] = {
	{ "alert-threshold", "agent.alert_threshold" },
	{ "interval", "agent.interval" },
	{ "watch-interval", "agent.watch_interval" },
	{ "insights-file", "agent.insights_file" },
	{ "output-file", "agent.output_file" },
	{ "input-file", "agent.output_file" },
	{ "listen", "agent.listen" },
	{ "alertmanager-url", "agent.alertmanager_url" },
	{ "log-dir", "agent.log_dir" },
	{ "log-level", "agent.log_level" },
	{ "kubeconfig", "agent.kubeconfig" },
	{ "context", "agent.context" },
	{ "namespace", "agent.namespace" },
	{ "history-file", "agent.history_file" },
	{ "max-file-size", "agent.csv_max_bytes" },
	{ "max-file-age", "agent.csv_max_age" },
	{ "retention", "agent.csv_retention" },
	{ "retention-size", "agent.csv_retention_size" },
	{ "confidence-threshold", "agent.confidence_threshold" },
	{ "llm-base-url", "agent.llm.base_url" },
	{ "approval", "agent.remediation.approval" },
	{ "approval-ttl", "agent.remediation.approval_ttl" },
	{ "ui-token-file", "agent.ui_token_file" },
	{ "slack-webhook-url", "agent.notify.slack_url" },
	{ "webhook-url", "agent.notify.webhook_url" },
	{ "webhook-secret-file", "agent.notify.webhook_secret_file" },
	{ "page-url", "agent.notify.page_url" },
	{ "llm-model", "agent.llm.model" },
};
#define NSETTING (sizeof(setting_flags) / sizeof(setting_flags[0]))

struct parsed {
	struct flag_value flags[NSETTING + 4];
	size_t nflags;
	const char *config_dir, *format;
	struct strvec metrics;
	bool gen_only, dataset_only, anomaly_only, agent_only, fetch_only, test, watch;
	bool remediate, llm, quiet, dry_run, auto_approve;
	long cycles;
	int64_t duration_ms;
	size_t max_pods;
	char flagnames[NSETTING + 4][32];
	struct incluster_opts ic;       /* --leader-elect, --records: docs/incluster.md */
	bool no_events;
};

static void add_flag(struct parsed *p, const char *key, const char *name, const char *value)
{
	if (p->nflags >= sizeof(p->flags) / sizeof(p->flags[0]))
		return;
	snprintf(p->flagnames[p->nflags], sizeof(p->flagnames[0]), "--%s", name);
	p->flags[p->nflags].key = key;
	p->flags[p->nflags].flag = p->flagnames[p->nflags];
	p->flags[p->nflags].value = value;
	p->nflags++;
}

/* Parses argv for cmd; returns 0, 1 after --help, or -1 (message printed). */
static int parse(const char *cmd, int argc, char **argv, struct parsed *p, const char *usage)
{
	struct option opts[NSETTING + 48];
	size_t n = 0;
	int ch, idx;
	int64_t v;

	for (size_t i = 0; i < NSETTING; i++)
		opts[n++] = (struct option){ setting_flags[i].flag, required_argument, NULL, O_SETTING };
#define OPT(name, arg, val) opts[n++] = (struct option){ name, arg, NULL, val }
	OPT("help", no_argument, O_HELP);
	OPT("config-dir", required_argument, O_CONFIG_DIR);
	OPT("cycles", required_argument, O_CYCLES);
	OPT("duration", required_argument, O_DURATION);
	OPT("metric-name", required_argument, O_METRIC);
	OPT("csv-format", required_argument, O_FORMAT);
	OPT("max-pods", required_argument, O_MAX_PODS);
	OPT("all-namespaces", no_argument, O_ALL_NS);
	OPT("prometheus-url", required_argument, O_PROM);
	OPT("generator-only", no_argument, O_GEN_ONLY);
	OPT("dataset-agent-only", no_argument, O_DATASET_ONLY);
	OPT("anomaly-agent-only", no_argument, O_ANOMALY_ONLY);
	OPT("remediate", no_argument, O_REMEDIATE);
	OPT("enable-llm", no_argument, O_LLM);
	OPT("dry-run", no_argument, O_DRY_RUN);
	OPT("auto-approve", no_argument, O_AUTO_APPROVE);
	OPT("agent-only", no_argument, O_AGENT_ONLY);
	OPT("agent", no_argument, O_AGENT_ONLY);
	OPT("fetch-only", no_argument, O_FETCH_ONLY);
	OPT("fetch", no_argument, O_FETCH_ONLY);
	OPT("test", no_argument, O_TEST);
	OPT("watch", no_argument, O_WATCH);
	OPT("quiet", no_argument, O_QUIET);
	OPT("leader-elect", no_argument, O_LE);
	OPT("leader-elect-lease-duration", required_argument, O_LE_DUR);
	OPT("leader-elect-renew-deadline", required_argument, O_LE_RENEW);
	OPT("leader-elect-retry-period", required_argument, O_LE_RETRY);
	OPT("leader-elect-resource-name", required_argument, O_LE_NAME);
	OPT("leader-elect-resource-namespace", required_argument, O_LE_NS);
	OPT("leader-elect-identity", required_argument, O_LE_ID);
	OPT("records", no_argument, O_RECORDS);
	OPT("no-events", no_argument, O_NO_EVENTS);
	OPT(NULL, 0, 0);
#undef OPT
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long_only(argc, argv, "n:Ah", opts, &idx)) != -1) {
		switch (ch) {
		case O_SETTING:
			for (size_t i = 0; i < NSETTING; i++)
				if (!strcmp(opts[idx].name, setting_flags[i].flag))
					add_flag(p, setting_flags[i].key, setting_flags[i].flag, optarg);
			if (!strcmp(opts[idx].name, "approval"))
				p->remediate = true; /* --approval MODE implies --remediate */
			break;
		case 'n': add_flag(p, "agent.namespace", "namespace", optarg); break;
		case 'A': case O_ALL_NS: add_flag(p, "agent.all_namespaces", "all-namespaces", "true"); break;
		case O_PROM:
			add_flag(p, "prometheus.url", "prometheus-url", optarg);
			add_flag(p, "prometheus.enabled", "prometheus-url", "true");
			break;
		case 'h': case O_HELP: fputs(usage, stdout); return 1;
		case O_CONFIG_DIR: p->config_dir = optarg; break;
		case O_FORMAT: p->format = optarg; break;
		case O_METRIC: strvec_push(&p->metrics, optarg); break;
		case O_CYCLES:
			if (str_to_i64(optarg, &v) < 0 || v < 1) {
				fprintf(stderr, "kubemend %s: --cycles wants a positive number, not \"%s\"\n", cmd, optarg);
				return -1;
			}
			p->cycles = (long)v;
			break;
		case O_DURATION:
			if (str_to_duration_ms(optarg, &v) < 0 || v < 1) {
				fprintf(stderr, "kubemend %s: --duration wants seconds or a duration (90, 5m), not \"%s\"\n",
					cmd, optarg);
				return -1;
			}
			p->duration_ms = v;
			break;
		case O_MAX_PODS:
			if (str_to_i64(optarg, &v) < 0 || v < 1 || v > 10000000) {
				fprintf(stderr, "kubemend %s: --max-pods wants 1..10000000\n", cmd);
				return -1;
			}
			p->max_pods = (size_t)v;
			break;
		case O_GEN_ONLY: p->gen_only = true; break;
		case O_DATASET_ONLY: p->dataset_only = true; break;
		case O_ANOMALY_ONLY: p->anomaly_only = true; break;
		case O_REMEDIATE: p->remediate = true; break;
		case O_LLM:
			p->llm = true;
			add_flag(p, "agent.llm.enabled", "enable-llm", "true");
			break;
		case O_DRY_RUN: p->dry_run = true; break;
		case O_AUTO_APPROVE: p->auto_approve = true; break;
		case O_AGENT_ONLY: p->agent_only = true; break;
		case O_FETCH_ONLY: p->fetch_only = true; break;
		case O_TEST: p->test = true; break;
		case O_WATCH: p->watch = true; break;
		case O_QUIET: p->quiet = true; break;
		case O_LE: p->ic.leader_elect = true; break;
		case O_LE_DUR: case O_LE_RENEW: case O_LE_RETRY:
			if (str_to_duration_ms(optarg, &v) < 0 || v < 1) {
				fprintf(stderr, "kubemend %s: --%s wants a duration (15s, 500ms), not \"%s\"\n", cmd,
					opts[idx].name, optarg);
				return -1;
			}
			*(ch == O_LE_DUR ? &p->ic.lease_duration_ms : ch == O_LE_RENEW ? &p->ic.renew_deadline_ms :
			  &p->ic.retry_period_ms) = v;
			break;
		case O_LE_NAME: p->ic.lease_name = optarg; break;
		case O_LE_NS: p->ic.lease_namespace = optarg; break;
		case O_LE_ID: p->ic.identity = optarg; break;
		case O_RECORDS: p->ic.records = true; break;
		case O_NO_EVENTS: p->no_events = true; break;
		default:
			fprintf(stderr, "kubemend %s: unknown or incomplete option '%s' (see --help)\n",
				cmd, argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kubemend %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return -1;
	}
	return 0;
}

static const char monitor_usage[] =
"usage: kubemend monitor [--generator-only | --dataset-agent-only | --anomaly-agent-only]\n"
"                        [--alert-threshold T] [--interval S] [--cycles N | --duration S]\n"
"                        [--insights-file pod_insights.json] [--output-file pod_metrics.csv]\n"
"                        [--listen ADDR] [--alertmanager-url URL] [--log-dir D] [--log-level L]\n"
"                        [--config-dir D] [--kubeconfig F] [--context C] [--namespace NS | -A]\n"
"                        [--prometheus-url URL] [--metric-name NAME[=PROMQL]] [--csv-format native|seed]\n"
"                        [--max-file-size 256Mi] [--max-file-age 24h] [--retention 7d]\n"
"                        [--retention-size 640Mi]\n"
"\n"
"All stages in one process: collect -> pod_metrics.csv -> detect -> insights\n"
"(pod_insights.json, /metrics, /healthz, /readyz, /api/insights on --listen,\n"
"alerts to Alertmanager). SIGINT/SIGTERM stop cleanly; SIGHUP reloads the\n"
"configuration. Logs: k8s_monitoring.log and dataset_generator_agent.log in --log-dir.\n"
"  --generator-only       collect into the CSV only\n"
"  --max-file-size, --max-file-age, --retention, --retention-size: the CSV's rotation\n"
"                         into gzip files and their retention (docs/csv.md)\n"
"  --dataset-agent-only   follow the CSV someone else writes and analyse it\n"
"  --anomaly-agent-only   collect and analyse without writing the CSV\n"
"  --remediate            also propose fixes and act on approval (docs/remediation.md):\n"
"                         asks on the terminal; without one, proposals are recorded\n"
"                         as pending in --history-file (remediation_history.json)\n"
"  --auto-approve         with --remediate: act without asking (the policy still applies)\n"
"  --dry-run              with --remediate: send every change with dryRun=All; nothing changes\n"
"  --confidence-threshold P  nothing is proposed for insights below P (default 0.7)\n"
"  --approval MODE        terminal (default), auto, or web: proposals wait for Approve/Reject\n"
"                         on the page at / or POST /api/remediations/ID/approve (docs/web.md);\n"
"                         implies --remediate\n"
"  --approval-ttl D       --approval web: an undecided proposal is refused after D (default 1h)\n"
"  --ui-token-file F      bearer token of the page's API; needed to --listen beyond loopback\n"
"  --slack-webhook-url U  notify a Slack incoming webhook of insights and remediations\n"
"  --webhook-url U        notify a JSON webhook, signed with --webhook-secret-file's key\n"
"  --page-url U           base of links in notifications (default http://LISTEN)\n"
CLI_LLM_USAGE
"In a cluster (docs/incluster.md):\n"
"  --leader-elect         compete for a Lease; only the leader remediates, records and\n"
"                         writes Events; a leader that cannot renew stops acting first\n"
"  --leader-elect-lease-duration D  (15s)   --leader-elect-renew-deadline D  (10s)\n"
"  --leader-elect-retry-period D    (2s)    --leader-elect-resource-name N (kubemend-leader)\n"
"  --leader-elect-resource-namespace NS ($POD_NAMESPACE, else kubemend)\n"
"  --leader-elect-identity ID  (hostname_pid)\n"
"  --records              mirror the records into Remediation resources (implied by\n"
"                         --leader-elect); decide them with kubemend approve/reject\n"
"  --no-events            no Kubernetes Events on the objects\n";

static void release(struct parsed *p)
{
	strvec_clear(&p->metrics);
}

static int run(struct parsed *p, struct monitor_run *m, const char *who)
{
	struct cli_reload rl = { p->config_dir, p->flags, p->nflags, who };
	struct config c;
	int rc;

	if (monitor_load_config(&c, p->config_dir, p->flags, p->nflags, who) < 0)
		return 1;
	m->name = who;
	m->cfg = &c;
	m->load_config = cli_reload_config;
	m->load_ctx = &rl;
	m->cycles = p->cycles;
	m->duration_ms = p->duration_ms;
	m->metrics = &p->metrics;
	m->csv_format = p->format;
	m->max_pods = p->max_pods;
	m->remediate = p->remediate;
	m->dry_run = p->dry_run;
	m->auto_approve = p->auto_approve;
	m->enable_llm = p->llm;
	m->quiet = p->quiet;
	m->watch_config_dir = p->config_dir ? p->config_dir : getenv("KUBEMEND_CONFIG_DIR") ?
			      getenv("KUBEMEND_CONFIG_DIR") : "config";
	if (p->ic.leader_elect || p->ic.records) {
		/* in a cluster: the records and Events are shared, so they go with the election */
		p->ic.records = true;
		p->ic.events = !p->no_events;
		m->incluster = &p->ic;
	}
	rc = monitor_run(m);
	config_release(&c);
	return rc;
}

int cmd_monitor(int argc, char **argv)
{
	struct parsed p;
	struct monitor_run m;
	int rc, modes;

	memset(&p, 0, sizeof(p));
	rc = parse("monitor", argc, argv, &p, monitor_usage);
	modes = p.gen_only + p.dataset_only + p.anomaly_only;
	if (rc == 0 && modes > 1) {
		fprintf(stderr, "kubemend monitor: --generator-only, --dataset-agent-only and "
			"--anomaly-agent-only exclude each other\n");
		rc = -1;
	}
	if (rc == 0 && p.cycles && p.duration_ms) {
		fprintf(stderr, "kubemend monitor: --cycles and --duration exclude each other\n");
		rc = -1;
	}
	if (rc) {
		release(&p);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	memset(&m, 0, sizeof(m));
	m.collect = !p.dataset_only;
	m.write_csv = !p.anomaly_only && !p.dataset_only;
	m.analyse = !p.gen_only;
	m.tail_csv = p.dataset_only;
	m.follow = true;
	m.serve = m.alerts = m.analyse;
	m.main_log = p.gen_only ? "dataset_generator_agent.log" : "k8s_monitoring.log";
	m.log_collect_apart = !p.gen_only && m.collect;
	rc = run(&p, &m, "monitor");
	release(&p);
	return rc;
}

static const char agent_usage[] =
"usage: kubemend agent [--input-file pod_metrics.csv] [--watch-interval 10]\n"
"                      [--alert-threshold 0.7] [--agent-only|-agent] [--fetch-only|-fetch] [--test]\n"
"                      [--insights-file F] [--interval S] [--cycles N | --duration S] [--log-dir D]\n"
"                      [--kubeconfig F] [--namespace NS | -A] [--config-dir D]\n"
"\n"
"The dataset generator agent: by default collects into the CSV and analyses\n"
"what it collects; --agent-only follows an existing CSV as it grows (native\n"
"or seed format; partial lines, truncation and rotation handled); --fetch-only\n"
"only collects. --test checks the cluster connection and exits (as collect --test).\n"
CLI_LLM_USAGE;

int cmd_agent(int argc, char **argv)
{
	struct parsed p;
	struct monitor_run m;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = parse("agent", argc, argv, &p, agent_usage);
	if (rc == 0 && p.agent_only && p.fetch_only) {
		fprintf(stderr, "kubemend agent: --agent-only and --fetch-only exclude each other\n");
		rc = -1;
	}
	if (rc) {
		release(&p);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	if (p.test) {
		/* The connection checks are collect's; pass the client flags on. */
		char *args[16];
		int n = 0;

		args[n++] = (char *)"collect";
		args[n++] = (char *)"--test";
		for (size_t i = 0; i < p.nflags && n < 14; i++) {
			if (!strcmp(p.flags[i].key, "agent.kubeconfig") ||
			    !strcmp(p.flags[i].key, "agent.context") ||
			    !strcmp(p.flags[i].key, "agent.namespace")) {
				args[n++] = (char *)p.flags[i].flag;
				args[n++] = (char *)p.flags[i].value;
			}
		}
		args[n] = NULL;
		release(&p);
		return cmd_collect(n, args);
	}
	memset(&m, 0, sizeof(m));
	m.collect = !p.agent_only;
	m.write_csv = !p.agent_only;
	m.analyse = !p.fetch_only;
	m.tail_csv = p.agent_only;
	m.follow = true;
	m.main_log = "dataset_generator_agent.log";
	rc = run(&p, &m, "agent");
	release(&p);
	return rc;
}

static const char detect_usage[] =
"usage: kubemend detect --input-file pod_metrics.csv [--watch] [--insights-file F]\n"
"                       [--alert-threshold T] [--watch-interval S] [--config-dir D]\n"
"\n"
"Analyses a metrics CSV (native or seed format) and writes the insights file;\n"
"--watch keeps following the file as it grows.\n";

int cmd_detect(int argc, char **argv)
{
	struct parsed p;
	struct monitor_run m;
	bool have_input = false;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = parse("detect", argc, argv, &p, detect_usage);
	for (size_t i = 0; rc == 0 && i < p.nflags; i++)
		have_input |= !strcmp(p.flags[i].key, "agent.output_file");
	if (rc == 0 && !have_input) {
		fprintf(stderr, "kubemend detect: --input-file is required\n");
		rc = -1;
	}
	if (rc) {
		release(&p);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	memset(&m, 0, sizeof(m));
	m.analyse = true;
	m.tail_csv = true;
	m.follow = p.watch;
	m.main_log = p.watch ? "k8s_monitoring.log" : NULL;
	rc = run(&p, &m, "detect");
	release(&p);
	return rc;
}

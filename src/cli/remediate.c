#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/str.h"
#include "base/strvec.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "run/monitor.h"
#include "base/mem.h"
#include "conf/config.h"
#include "kube/client.h"
#include "kube/config.h"
#include "remedy/loop.h"
#include "remedy/policy.h"
#include "base/banned.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend remediate [--insights-file pod_insights.json | --metrics-file pod_metrics.csv]\n"
		"           [--watch-interval 10] [--confidence-threshold 0.7] [--dry-run] [--auto-approve]\n"
		"           [--allow-bare-pods] [--history-file remediation_history.json] [--once]\n"
		"           [--rollback ID] [--kubeconfig F] [--context C] [--log-dir DIR]\n"
		"           [--verify-window 2m] [--approval-timeout 60s] [--drain-timeout 5m]\n"
		"           [--config-dir DIR] [--enable-llm [--llm-base-url URL] [--llm-model NAME]]\n"
		"\n"
		"Reads the insights, proposes remediations, asks for approval on the terminal,\n"
		"acts through the Kubernetes API, verifies and records every step in the\n"
		"history file and k8s_remediation.log (docs/remediation.md). With\n"
		"--metrics-file the detector reads the metrics CSV as it grows (with --once:\n"
		"to its end) and the insights it finds are acted on in this process.\n"
		"\n"
		"  --auto-approve     act without asking (the policy still applies)\n"
		"  --dry-run          send every change with dryRun=All: nothing changes\n"
		"  --once             one pass over the insights file, then exit\n"
		"  --rollback ID      restore the resources a change_limits record replaced\n"
		"  --enable-llm [--llm-base-url URL] [--llm-model NAME]\n"
		"                     with --metrics-file: explain what is detected with an LLM\n"
		"                     (docs/llm.md; the key only from OPENAI_API_KEY or a key file)\n"
		"Without a terminal and without --auto-approve, proposals are recorded as\n"
		"pending and nothing is done.\n");
}

struct flags {
	struct strvec keys, flagnames, values;   /* config settings given as flags */
	const char *metrics_file, *rollback, *config_dir;
	const char *drain_timeout;
	bool dry_run, auto_approve, once, llm;
};

static void set(struct flags *f, const char *key, const char *flag, const char *value)
{
	strvec_push(&f->keys, key);
	strvec_push(&f->flagnames, flag);
	strvec_push(&f->values, value);
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
	static const struct option opts[] = {
		{ "insights-file", required_argument, NULL, 'i' },
		{ "metrics-file", required_argument, NULL, 'm' },
		{ "watch-interval", required_argument, NULL, 'w' },
		{ "confidence-threshold", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "auto-approve", no_argument, NULL, 'y' },
		{ "allow-bare-pods", no_argument, NULL, 'b' },
		{ "history-file", required_argument, NULL, 'H' },
		{ "once", no_argument, NULL, '1' },
		{ "rollback", required_argument, NULL, 'r' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'c' },
		{ "log-dir", required_argument, NULL, 'L' },
		{ "verify-window", required_argument, NULL, 'V' },
		{ "approval-timeout", required_argument, NULL, 'A' },
		{ "drain-timeout", required_argument, NULL, 'D' },
		{ "config-dir", required_argument, NULL, 'C' },
		{ "enable-llm", no_argument, NULL, 'E' },
		{ "llm-base-url", required_argument, NULL, 'U' },
		{ "llm-model", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': set(f, "agent.insights_file", "--insights-file", optarg); break;
		case 'm': f->metrics_file = optarg; break;
		case 'w': set(f, "agent.watch_interval", "--watch-interval", optarg); break;
		case 't': set(f, "agent.confidence_threshold", "--confidence-threshold", optarg); break;
		case 'n': f->dry_run = true; break;
		case 'y': f->auto_approve = true; break;
		case 'b': set(f, "agent.policy.allow_bare_pods", "--allow-bare-pods", "true"); break;
		case 'H': set(f, "agent.history_file", "--history-file", optarg); break;
		case '1': f->once = true; break;
		case 'r': f->rollback = optarg; break;
		case 'k': set(f, "agent.kubeconfig", "--kubeconfig", optarg); break;
		case 'c': set(f, "agent.context", "--context", optarg); break;
		case 'L': set(f, "agent.log_dir", "--log-dir", optarg); break;
		case 'V': set(f, "agent.verify_window", "--verify-window", optarg); break;
		case 'A': set(f, "agent.approval_timeout", "--approval-timeout", optarg); break;
		case 'D': f->drain_timeout = optarg; break;
		case 'C': f->config_dir = optarg; break;
		case 'E': set(f, "agent.llm.enabled", "--enable-llm", "true"); f->llm = true; break;
		case 'U': set(f, "agent.llm.base_url", "--llm-base-url", optarg); break;
		case 'M': set(f, "agent.llm.model", "--llm-model", optarg); break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kubemend remediate: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int open_log(const struct config *c)
{
	struct buf path = BUF_INIT;
	const char *dir = config_str(c, "agent.log_dir");
	enum log_level lvl;
	int rc;

	if (log_level_parse(config_str(c, "agent.log_level"), &lvl) == 0)
		log_set_level(lvl);
	if (dir && *dir && strcmp(dir, ".") != 0)
		file_mkdirs(dir);
	buf_addf(&path, "%s/k8s_remediation.log", dir && *dir ? dir : ".");
	rc = log_open(path.data, (size_t)config_num(c, "agent.log_max_bytes"));
	if (rc < 0)
		fprintf(stderr, "kubemend remediate: cannot open the log file %s\n", path.data);
	buf_release(&path);
	return rc;
}

static void banner(bool dry_run)
{
	fprintf(stderr,
		"\n"
		"**********************************************************************\n"
		"*  --auto-approve: kubemend will act on the cluster WITHOUT ASKING.   *\n"
		"*  Every action the policy allows is carried out and recorded.        *\n"
		"%s"
		"**********************************************************************\n\n",
		dry_run ? "*  (--dry-run: requests are sent with dryRun=All; nothing changes.)  *\n" : "");
}

static void summary(const struct remedy_loop *l)
{
	const struct remedy_stats *s = &l->stats;
	char a[16], b[16], c[16], d[16], e[16], f[16], g[16];

	snprintf(a, sizeof(a), "%d", s->proposed);
	snprintf(b, sizeof(b), "%d", s->refused);
	snprintf(c, sizeof(c), "%d", s->pending);
	snprintf(d, sizeof(d), "%d", s->executed);
	snprintf(e, sizeof(e), "%d", s->succeeded);
	snprintf(f, sizeof(f), "%d", s->failed);
	snprintf(g, sizeof(g), "%d", s->skipped);
	log_kv(LOG_INFO, "remediate", "summary", "proposed", a, "refused", b, "pending", c,
	       "executed", d, "succeeded", e, "failed", f, "skipped", g, NULL);
}

/*
 * --metrics-file: the detector reads the CSV (as `kubemend detect` does),
 * and the remediation loop acts on the insights it keeps, in this process:
 * the monitor's loop with the analysis and remediation stages only.
 */
static int from_metrics(const struct flags *f)
{
	struct flag_value *fv;
	struct cli_reload rl;
	struct monitor_run m;
	struct config cfg;
	size_t n = 0;
	int rc;

	if (f->once && access(f->metrics_file, R_OK) < 0) {
		fprintf(stderr, "kubemend remediate: %s: %s\n", f->metrics_file, strerror(errno));
		return 1;
	}
	fv = xcalloc(f->keys.n + 1, sizeof(*fv));
	for (size_t i = 0; i < f->keys.n; i++)
		fv[n++] = (struct flag_value){ f->keys.v[i], f->flagnames.v[i], f->values.v[i] };
	fv[n++] = (struct flag_value){ "agent.output_file", "--metrics-file", f->metrics_file };
	if (monitor_load_config(&cfg, f->config_dir, fv, n, "remediate") < 0) {
		free(fv);
		return EXIT_USAGE;
	}
	memset(&m, 0, sizeof(m));
	m.name = "remediate";
	m.cfg = &cfg;
	rl = (struct cli_reload){ f->config_dir, fv, n, "remediate" };
	m.load_config = cli_reload_config;
	m.load_ctx = &rl;
	m.analyse = m.tail_csv = true;
	m.follow = !f->once;
	m.remediate = true;
	m.dry_run = f->dry_run;
	m.auto_approve = f->auto_approve;
	m.tty_fd = STDIN_FILENO;
	m.main_log = "k8s_remediation.log";
	rc = monitor_run(&m);
	config_release(&cfg);
	free(fv);
	return rc;
}

int cmd_remediate(int argc, char **argv)
{
	struct flags f;
	struct config cfg;
	struct kube_config_opts ko;
	struct kube_config kube;
	struct kube_client kc;
	struct policy pol;
	struct remedy_opts o;
	struct remedy_loop loop;
	char err[1024], last_err[1024] = "";
	int rc, exit_code = 1;
	int64_t interval;

	memset(&f, 0, sizeof(f));
	rc = parse_flags(argc, argv, &f);
	if (rc) {
		exit_code = rc > 0 ? 0 : EXIT_USAGE;
		goto out_flags;
	}
	if (f.metrics_file) {
		exit_code = from_metrics(&f);
		goto out_flags;
	}
	if (f.llm) {
		fprintf(stderr, "kubemend remediate: --enable-llm explains insights as they are detected: "
			"use it with --metrics-file, or on the monitor or agent that writes %s\n",
			"the insights file");
		exit_code = EXIT_USAGE;
		goto out_flags;
	}
	if (cli_load_config(&cfg, f.config_dir) < 0)
		goto out_flags;
	for (size_t i = 0; i < f.keys.n; i++) {
		if (config_set_flag(&cfg, f.keys.v[i], f.flagnames.v[i], f.values.v[i],
				    err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend remediate: %s\n", err);
			exit_code = EXIT_USAGE;
			goto out_config;
		}
	}
	memset(&o, 0, sizeof(o));
	o.insights_file = config_str(&cfg, "agent.insights_file");
	o.history_file = config_str(&cfg, "agent.history_file");
	o.threshold = config_num(&cfg, "agent.confidence_threshold");
	o.dry_run = f.dry_run;
	o.auto_approve = f.auto_approve;
	o.allow_bare_pods = config_bool(&cfg, "agent.policy.allow_bare_pods");
	o.approval_timeout_ms = config_duration_ms(&cfg, "agent.approval_timeout");
	o.verify_window_ms = config_duration_ms(&cfg, "agent.verify_window");
	o.verify_poll_ms = o.verify_window_ms / 10 < 2000 ? (o.verify_window_ms / 10 > 200 ?
			   o.verify_window_ms / 10 : 200) : 2000;
	o.drain_timeout_ms = 5 * 60 * 1000;
	if (f.drain_timeout && (str_to_duration_ms(f.drain_timeout, &o.drain_timeout_ms) < 0 ||
				o.drain_timeout_ms <= 0)) {
		fprintf(stderr, "kubemend remediate: --drain-timeout wants a duration (5m, 90s)\n");
		exit_code = EXIT_USAGE;
		goto out_config;
	}
	o.drain_retry_ms = o.drain_timeout_ms / 20 < 5000 ? (o.drain_timeout_ms / 20 > 500 ?
			   o.drain_timeout_ms / 20 : 500) : 5000;
	o.tty_fd = STDIN_FILENO;
	o.tty_out = stderr;
	interval = config_duration_ms(&cfg, "agent.watch_interval");
	if (interval < 100)
		interval = 100;
	if (open_log(&cfg) < 0)
		goto out_config;

	memset(&ko, 0, sizeof(ko));
	ko.kubeconfig = config_value(&cfg, "agent.kubeconfig")->source == CS_FLAG ?
			config_str(&cfg, "agent.kubeconfig") : NULL;
	ko.context = config_str(&cfg, "agent.context");
	ko.env_kubeconfig = ko.kubeconfig ? NULL : config_str(&cfg, "agent.kubeconfig");
	ko.home = getenv("HOME");
	ko.service_host = getenv("KUBERNETES_SERVICE_HOST");
	ko.service_port = getenv("KUBERNETES_SERVICE_PORT");
	ko.allow_http_token = getenv("KUBEMEND_ALLOW_HTTP_TOKEN");
	if (kube_config_load(&kube, &ko, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend remediate: %s\n", err);
		goto out_log;
	}
	if (kube_config_http_token_notice(&kube, err, sizeof(err)))
		log_kv(LOG_WARN, "remediate", err, NULL);
	if (kube_client_init(&kc, &kube, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend remediate: %s\n", err);
		goto out_kube;
	}
	policy_load_config(&pol, &cfg);
	if (remedy_loop_open(&loop, &o, &kc, &pol, &stop_flag, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend remediate: %s\n", err);
		goto out_policy;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (f.rollback) {
		rc = remedy_loop_rollback(&loop, f.rollback, err, sizeof(err));
		if (rc == 0)
			printf("rolled back %s as %s\n", f.rollback, err);
		else
			fprintf(stderr, "kubemend remediate: --rollback %s: %s\n", f.rollback, err);
		exit_code = rc == 0 ? 0 : 1;
		goto out_loop;
	}
	if (o.auto_approve)
		banner(o.dry_run);
	log_kv(LOG_INFO, "remediate", "starting", "insights", o.insights_file, "history",
	       o.history_file, "context", kube.context, "mode", o.dry_run ? "dry_run" : "applied",
	       "approval", o.auto_approve ? "auto" : isatty(o.tty_fd) ? "terminal" : "none (pending)",
	       NULL);
	exit_code = 0;
	while (!stop_flag) {
		rc = remedy_loop_pass(&loop, err, sizeof(err));
		if (rc && f.once) {
			fprintf(stderr, "kubemend remediate: %s\n", err);
			exit_code = 1;
		} else if (rc && strcmp(err, last_err) != 0) {
			/* said once, not every interval (e.g. while the agent has not written yet) */
			log_kv(LOG_ERROR, "remediate", "pass failed", "error", err, NULL);
			str_copy(last_err, err, sizeof(last_err));
		} else if (!rc) {
			last_err[0] = '\0';
		}
		if (f.once)
			break;
		for (int64_t t = 0; t < interval && !stop_flag; t += 100)
			usleep(100 * 1000);
	}
	summary(&loop);
out_loop:
	remedy_loop_close(&loop);
out_policy:
	policy_release(&pol);
	kube_client_release(&kc);
out_kube:
	kube_config_release(&kube);
out_log:
	log_close();
out_config:
	config_release(&cfg);
out_flags:
	strvec_clear(&f.keys);
	strvec_clear(&f.flagnames);
	strvec_clear(&f.values);
	return exit_code;
}

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "base/log.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/config.h"
#include "metrics/collect_check.h"
#include "metrics/collect_config.h"
#include "metrics/collector.h"
#include "metrics/csv.h"
#include "base/banned.h"

#define DEFAULT_CONFIG "config/prometheus.yaml"
#define DEFAULT_PROM_URL "http://localhost:9090"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kubemend collect [--kubeconfig F] [--context C] [--namespace NS | -A]\n"
		"                        [--output-file pod_metrics.csv] [--interval 30] [--cycles N]\n"
		"                        [--prometheus-url URL] [--metric-name NAME[=PROMQL] ...]\n"
		"                        [--csv-format native|seed] [--config F] [--max-file-size 100Mi]\n"
		"                        [--max-file-age 24h] [--retention 7d] [--retention-size 640Mi]\n"
		"                        [--max-pods N] [--log-file F] [--test]\n"
		"\n"
		"Writes one row per pod per cycle to the CSV (docs/csv.md). Flags override\n"
		"K8S_NAMESPACE and KUBECONFIG, which override config/prometheus.yaml.\n"
		"--test checks the connection and permissions and exits.\n");
}

struct flags {
	const char *kubeconfig, *context, *namespace, *output, *prom_url, *format, *config;
	const char *interval, *rotate, *log_file, *max_age, *retention, *retention_size;
	bool all_ns, test, config_given;
	long cycles;
	size_t max_pods;
	struct strvec metrics;
};

static int parse_flags(int argc, char **argv, struct flags *f)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "context", required_argument, NULL, 'c' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "all-namespaces", no_argument, NULL, 'A' },
		{ "output-file", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "cycles", required_argument, NULL, 'C' },
		{ "prometheus-url", required_argument, NULL, 'p' },
		{ "metric-name", required_argument, NULL, 'm' },
		{ "csv-format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'F' },
		{ "rotate-size", required_argument, NULL, 'r' },
		{ "max-file-size", required_argument, NULL, 'r' },
		{ "max-file-age", required_argument, NULL, 'a' },
		{ "retention", required_argument, NULL, 'R' },
		{ "retention-size", required_argument, NULL, 'S' },
		{ "max-pods", required_argument, NULL, 'M' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "test", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	int64_t v;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "n:A", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': f->kubeconfig = optarg; break;
		case 'c': f->context = optarg; break;
		case 'n': f->namespace = optarg; break;
		case 'A': f->all_ns = true; break;
		case 'o': f->output = optarg; break;
		case 'i': f->interval = optarg; break;
		case 'C':
			if (str_to_i64(optarg, &v) < 0 || v < 1) {
				fprintf(stderr, "kubemend collect: --cycles wants a positive number, not \"%s\"\n", optarg);
				return -1;
			}
			f->cycles = (long)v;
			break;
		case 'p': f->prom_url = optarg; break;
		case 'm': strvec_push(&f->metrics, optarg); break;
		case 'f': f->format = optarg; break;
		case 'F': f->config = optarg; f->config_given = true; break;
		case 'r': f->rotate = optarg; break;
		case 'a': f->max_age = optarg; break;
		case 'R': f->retention = optarg; break;
		case 'S': f->retention_size = optarg; break;
		case 'M':
			if (str_to_i64(optarg, &v) < 0 || v < 1 || v > 10000000) {
				fprintf(stderr, "kubemend collect: --max-pods wants 1..10000000\n");
				return -1;
			}
			f->max_pods = (size_t)v;
			break;
		case 'l': f->log_file = optarg; break;
		case 't': f->test = true; break;
		case 'h': usage(stdout); return 1;
		default:
			fprintf(stderr, "kubemend collect: unknown or incomplete option '%s' "
				"(see 'kubemend collect --help')\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kubemend collect: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (f->all_ns && f->namespace) {
		fprintf(stderr, "kubemend collect: --namespace and --all-namespaces exclude each other\n");
		return -1;
	}
	return 0;
}

static void print_check(const struct check_result *r, void *ctx)
{
	(void)ctx;
	printf("%-4s %-15s %s", r->ok ? "ok" : r->required ? "FAIL" : "warn", r->name, r->detail);
	if (!r->ok && r->fix)
		printf(" (fix: %s)", r->fix);
	printf("\n");
	fflush(stdout);
}

static void log_notices(struct collector *c)
{
	for (size_t i = 0; i < c->notices.n; i++)
		log_kv(LOG_WARN, "collect", c->notices.v[i], NULL);
	strvec_clear(&c->notices);
}

/* The loop: cycles until --cycles or a signal. Returns the exit code. */
static int run(struct collector *col, struct csv_writer *w, long cycles, int64_t interval_ms)
{
	unsigned long done = 0;
	int64_t next = time_mono_ms(), wait;
	int rc = 0;

	while (!stop_flag) {
		struct sample *rows = NULL;
		size_t n = 0;
		char err[1024], num[32], ms[32];

		rc = collector_cycle(col, &rows, &n, err, sizeof(err));
		log_notices(col);
		if (rc < 0) {
			if (!done) {
				fprintf(stderr, "kubemend collect: %s\n", err);
				return 1;
			}
			log_kv(LOG_ERROR, "collect", "cycle failed", "error", err, NULL);
		} else {
			rc = csv_writer_append(w, rows, n, err, sizeof(err));
			collector_rows_free(rows, n);
			if (!done && !n && col->namespace && *col->namespace)
				fprintf(stderr, "kubemend collect: namespace \"%s\" holds no pods; collect "
					"every namespace with -A (or --namespace NAME)\n", col->namespace);
			if (rc < 0) {
				fprintf(stderr, "kubemend collect: %s\n", err);
				return 1;
			}
			done++;
			snprintf(num, sizeof(num), "%zu", n);
			snprintf(ms, sizeof(ms), "%lld", (long long)col->stats.cycle_ms);
			log_kv(LOG_INFO, "collect", "cycle", "pods", num, "ms", ms, "file", w->path, NULL);
		}
		if (cycles && (long)done >= cycles)
			break;
		next += interval_ms;
		if (next > time_mono_ms())
			time_sleep_ms(next - time_mono_ms(), &stop_flag);
		else
			next = time_mono_ms();
		/* A cycle that overran starts the next one at once; not within the
		 * second it stamped its rows with, or two cycles would share a CSV
		 * timestamp. */
		while (!stop_flag && (wait = collector_stamp_wait_ms(col, interval_ms, time_real_ms())) > 0)
			time_sleep_ms(wait, &stop_flag);
	}
	if (csv_writer_flush(w) < 0)
		return 1;
	return 0;
}

int cmd_collect(int argc, char **argv)
{
	struct flags f;
	struct collect_config cc;
	struct kube_config_opts ko;
	struct kube_config kube;
	struct collector_opts co;
	struct collector col;
	struct csv_writer w;
	enum csv_format format = CSV_NATIVE;
	const char *ns, *prom_url = NULL, *output;
	int64_t interval_ms = 30000;
	uint64_t rotate = CSV_DEFAULT_ROTATE;
	struct csv_rotation rot;
	char err[1024];
	int rc, exit_code = 1;

	memset(&f, 0, sizeof(f));
	memset(&cc, 0, sizeof(cc));
	rc = parse_flags(argc, argv, &f);
	if (rc) {
		strvec_clear(&f.metrics);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	if (f.log_file && log_open(f.log_file, 10u << 20) < 0) {
		fprintf(stderr, "kubemend collect: cannot open log file %s\n", f.log_file);
		goto out_flags;
	}
	/* config file < environment < flags */
	rc = collect_config_load(&cc, f.config ? f.config : DEFAULT_CONFIG, err, sizeof(err));
	if (rc < 0 && !(rc == -ENOENT && !f.config_given)) {
		fprintf(stderr, "kubemend collect: %s\n", err);
		goto out_config;
	}
	for (size_t i = 0; i < f.metrics.n; i++) {
		if (collect_config_add_metric(&cc, f.metrics.v[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend collect: --metric-name: %s\n", err);
			exit_code = EXIT_USAGE;
			goto out_config;
		}
	}
	if (f.prom_url)
		prom_url = f.prom_url;
	else if (cc.prom_enabled)
		prom_url = cc.prom_url ? cc.prom_url : DEFAULT_PROM_URL;
	output = f.output ? f.output : cc.output_file ? cc.output_file : "pod_metrics.csv";
	if (cc.interval_ms)
		interval_ms = cc.interval_ms;
	if (f.interval && (str_to_duration_ms(f.interval, &interval_ms) < 0 || interval_ms < 100)) {
		fprintf(stderr, "kubemend collect: --interval wants seconds or a duration (30, 10s, 1m), not \"%s\"\n",
			f.interval);
		exit_code = EXIT_USAGE;
		goto out_config;
	}
	if (cc.rotate_bytes)
		rotate = cc.rotate_bytes;
	if (f.rotate && str_to_bytes(f.rotate, &rotate) < 0) {
		fprintf(stderr, "kubemend collect: --max-file-size wants a size like 100Mi\n");
		exit_code = EXIT_USAGE;
		goto out_config;
	}
	csv_rotation_defaults(&rot, rotate);
	if (cc.max_age_ms)
		rot.max_age_ms = cc.max_age_ms;
	if (cc.retention_ms)
		rot.retention_ms = cc.retention_ms;
	if (cc.retention_bytes_set)
		rot.retention_bytes = cc.retention_bytes;
	if ((f.max_age && str_to_duration_ms(f.max_age, &rot.max_age_ms) < 0) ||
	    (f.retention && str_to_duration_ms(f.retention, &rot.retention_ms) < 0) ||
	    (f.retention_size && str_to_bytes(f.retention_size, &rot.retention_bytes) < 0)) {
		fprintf(stderr, "kubemend collect: --max-file-age and --retention want a duration "
			"(24h, 7d; 0 for never), --retention-size a size (640Mi; 0 for no cap)\n");
		exit_code = EXIT_USAGE;
		goto out_config;
	}
	if ((f.format || cc.csv_format) &&
	    csv_format_parse(f.format ? f.format : cc.csv_format, &format) < 0) {
		fprintf(stderr, "kubemend collect: --csv-format is native or seed, not \"%s\"\n",
			f.format ? f.format : cc.csv_format);
		exit_code = EXIT_USAGE;
		goto out_config;
	}

	memset(&ko, 0, sizeof(ko));
	ko.kubeconfig = f.kubeconfig;
	ko.context = f.context;
	ko.env_kubeconfig = getenv("KUBECONFIG");
	ko.home = getenv("HOME");
	ko.service_host = getenv("KUBERNETES_SERVICE_HOST");
	ko.service_port = getenv("KUBERNETES_SERVICE_PORT");
	ko.allow_http_token = getenv("KUBEMEND_ALLOW_HTTP_TOKEN");
	if (kube_config_load(&kube, &ko, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend collect: %s\n", err);
		if (f.test)
			printf("FAIL config          %s\n", err);
		goto out_config;
	}
	if (kube_config_http_token_notice(&kube, err, sizeof(err)))
		log_kv(LOG_WARN, "collect", err, NULL);
	/* flag > K8S_NAMESPACE > config file > the context's namespace ("default") */
	ns = cc.namespace ? cc.namespace : kube.namespace;
	if (getenv("K8S_NAMESPACE") && getenv("K8S_NAMESPACE")[0])
		ns = getenv("K8S_NAMESPACE");
	if (f.namespace)
		ns = f.namespace;
	if (f.all_ns || !strcmp(ns, "all") || !strcmp(ns, "*"))
		ns = NULL;
	if (f.test) {
		int failed = collect_check(&kube, ns, prom_url, print_check, NULL);
		printf("%s\n", failed ? "collect --test: some required checks failed" :
		       "collect --test: all required checks passed");
		exit_code = failed ? 1 : 0;
		goto out_kube;
	}

	memset(&co, 0, sizeof(co));
	co.kube = &kube;
	co.namespace = ns;
	co.interval_ms = interval_ms;
	co.max_pods = f.max_pods;
	co.prom_url = prom_url;
	co.prom_timeout_ms = cc.prom_timeout_ms;
	co.prom_rx_dropped_query = cc.rx_dropped_query;
	co.prom_tx_dropped_query = cc.tx_dropped_query;
	co.custom = cc.custom;
	co.ncustom = cc.ncustom;
	if (collector_init(&col, &co, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend collect: %s\n", err);
		goto out_kube;
	}
	{
		struct strvec names = STRVEC_INIT;
		collector_custom_names(&col, &names);
		if (format == CSV_SEED && names.n)
			log_kv(LOG_WARN, "collect", "custom metric columns are not written in the seed format", NULL);
		rc = csv_writer_open_with(&w, output, format, &names, &rot, err, sizeof(err));
		strvec_clear(&names);
	}
	if (rc < 0) {
		fprintf(stderr, "kubemend collect: %s\n", err);
		goto out_col;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	log_kv(LOG_INFO, "collect", "starting", "context", kube.context, "namespace",
	       ns ? ns : "(all)", "file", output, "prometheus", prom_url, NULL);
	exit_code = run(&col, &w, f.cycles, interval_ms);
	csv_writer_close(&w);
out_col:
	collector_release(&col);
out_kube:
	kube_config_release(&kube);
out_config:
	collect_config_release(&cc);
	log_close();
out_flags:
	strvec_clear(&f.metrics);
	return exit_code;
}

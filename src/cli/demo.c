#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli/cli.h"
#include "remedy/history.h"
#include "run/monitor.h"
#include "sim/sim.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "eval/score.h"
#include "base/banned.h"

/*
 * `kubemend demo`: the simulated cluster of config/scenarios/demo.yaml
 * started in-process on a free loopback port with a fast virtual clock, the
 * monitor run against it in-process, one line per fault injected and per
 * insight opened or resolved as they happen, and a summary scored against
 * the sim's ground truth. No network, no key, no terminal needed.
 *
 * The demo moves the sim's clock itself, --speed virtual seconds at a time,
 * at most once a real second and only after the monitor has finished a
 * cycle since the last step: a slow or busy machine shows the same run,
 * only slower, instead of a monitor that falls behind a clock racing ahead.
 */

static const char usage_text[] =
"usage: kubemend demo [--scenario config/scenarios/demo.yaml] [--seconds 50] [--speed 30]\n"
"                     [--dir DIR]\n"
"\n"
"Starts a simulated cluster with faults, runs the monitor against it with an\n"
"accelerated clock and prints what it finds; ends by itself with a summary.\n"
"The clock moves --speed virtual seconds per monitor cycle (one a second), so\n"
"--seconds 50 --speed 30 shows 25 virtual minutes; on a busy machine the\n"
"same run takes longer in real time.\n"
"Files (metrics CSV, insights, ground truth, logs) go to DIR (default: a new\n"
"directory under /tmp).\n";

struct demo {
	pthread_mutex_t mu;
	int64_t start_ms;               /* the sim's virtual start */
	double speed;
	size_t nfaults_seen;
	const char *truth;
	volatile int stop;
};

static void vclock(const struct demo *d, int64_t ms, char out[32])
{
	int64_t s = (ms - d->start_ms) / 1000;

	if (s < 0)
		s = 0;
	snprintf(out, 32, "%02lld:%02lld", (long long)(s / 60), (long long)(s % 60));
}

static void on_insight(void *ctx, enum pipeline_event ev, struct insight *in)
{
	struct demo *d = ctx;
	char t[32], where[200];

	if (ev == PIPE_UPDATED)
		return;
	if (!in->npods)
		snprintf(where, sizeof(where), "node %s", in->node ? in->node : "?");
	else if (in->npods == 1)
		snprintf(where, sizeof(where), "%s/%s", in->namespace_ ? in->namespace_ : "", in->pods[0]);
	else
		snprintf(where, sizeof(where), "%s/%s (%zu pods)", in->namespace_ ? in->namespace_ : "",
			 in->owner_name ? in->owner_name : in->pods[0], in->npods);
	pthread_mutex_lock(&d->mu);
	if (ev == PIPE_OPENED) {
		vclock(d, in->detected_ms, t);
		printf("[%s] FOUND    %-15s %s  p=%.2f\n", t, in->anomaly_type, where, in->probability);
		printf("         %s\n", in->summary);
		if (in->nrecs)
			printf("         suggests %s on %s: %s\n", in->recs[0].action, in->recs[0].target,
			       in->recs[0].rationale);
	} else {
		vclock(d, in->resolved_ms, t);
		printf("[%s] RESOLVED %-15s %s\n", t, in->anomaly_type, where);
	}
	fflush(stdout);
	pthread_mutex_unlock(&d->mu);
}

static json_t *load(const char *path)
{
	struct buf b;
	json_t *j = NULL;

	buf_init(&b, 64u << 20);
	if (file_read_all(path, 64u << 20, &b) == 0)
		j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	buf_release(&b);
	return j;
}

/* Prints the faults the sim has injected since the last look. */
static void show_injections(struct demo *d)
{
	json_t *t = load(d->truth);
	size_t i;
	json_t *f;

	json_array_foreach(t, i, f) {
		const char *type, *ns, *dep, *node, *start;
		int64_t ms = 0;
		char when[32];

		if (i < d->nfaults_seen)
			continue;
		type = json_string_value(json_object_get(f, "type"));
		ns = json_string_value(json_object_get(f, "namespace"));
		dep = json_string_value(json_object_get(f, "deployment"));
		node = json_string_value(json_object_get(f, "node"));
		start = json_string_value(json_object_get(f, "start"));
		if (start)
			time_parse(start, &ms);
		vclock(d, ms, when);
		pthread_mutex_lock(&d->mu);
		if (node)
			printf("[%s] injected %s on node %s\n", when, type ? type : "?", node);
		else
			printf("[%s] injected %s into %s/%s (%zu pod%s)\n", when, type ? type : "?",
			       ns ? ns : "?", dep ? dep : "?", json_array_size(json_object_get(f, "pods")),
			       json_array_size(json_object_get(f, "pods")) == 1 ? "" : "s");
		fflush(stdout);
		pthread_mutex_unlock(&d->mu);
		d->nfaults_seen = i + 1;
	}
	json_decref(t);
}

struct runner {
	struct monitor_run m;
	int rc;
	volatile int finished;          /* the monitor ended (error or a signal) */
};

static void *run_monitor(void *arg)
{
	struct runner *r = arg;

	r->rc = monitor_run(&r->m);
	r->finished = 1;
	return NULL;
}

/* Whether an insight of type got names the fault type the sim injected. */
static bool type_matches(const char *fault, const char *got)
{
	static const char *const map[][2] = {
		{ "oom_limit_too_low", "oom" }, { "memory_leak", "memory_leak" },
		{ "cpu_spike", "cpu_saturation" }, { "cpu_throttling", "cpu_saturation" },
		{ "cpu_throttling", "cpu_throttling" }, { "crash_loop", "crash_loop" },
		{ "network_errors", "network" }, { "packet_drops", "network" },
		{ "node_not_ready", "node" }, { "node_memory_pressure", "node" },
		{ "image_pull_error", "image_pull" }, { "unschedulable", "scheduling" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], fault) && got && !strcmp(map[i][1], got))
			return true;
	return false;
}

static const char *insight_type(const json_t *ins, const char *id)
{
	const json_t *arr = json_is_array(ins) ? ins : json_object_get(ins, "insights"), *in;
	size_t i;

	json_array_foreach(arr, i, in)
		if (!strcmp(json_string_value(json_object_get(in, "id")) ?
			    json_string_value(json_object_get(in, "id")) : "", id))
			return json_string_value(json_object_get(in, "anomaly_type"));
	return NULL;
}

/*
 * A fault counts as found only when an insight names it with the right
 * type: one seen as something else was noticed but misread (and would get
 * the wrong fix), so it is listed apart.
 */
static void summary(struct demo *d, const char *insights)
{
	json_t *t = load(d->truth), *ins = load(insights);
	struct score_result r;
	size_t right = 0, wrong = 0;
	int64_t sum_ms = 0;
	char err[256];

	if (!t || !ins || score_insights(t, ins, 5 * 60 * 1000, &r, err, sizeof(err)) < 0) {
		printf("\nsummary: could not score the run\n");
		json_decref(t);
		json_decref(ins);
		return;
	}
	printf("\n== summary (virtual time) ==\n");
	for (size_t i = 0; i < r.nfaults; i++) {
		const struct score_fault *f = &r.faults[i];
		const char *got = f->found ? insight_type(ins, f->insight_id) : NULL;

		if (f->found && type_matches(f->type, got)) {
			printf("  found      %-22s %-24s in %3llds\n", f->type, f->target,
			       (long long)(f->detect_ms / 1000));
			right++;
			sum_ms += f->detect_ms;
		} else if (f->found) {
			printf("  misread    %-22s %-24s seen as %s\n", f->type, f->target,
			       got ? got : "?");
			wrong++;
		} else {
			printf("  missed     %-22s %-24s\n", f->type, f->target);
		}
	}
	printf("faults injected: %zu, found with the right type within 5 minutes: %zu, "
	       "seen as another type: %zu, missed: %zu\n", r.nfaults, right, wrong,
	       r.nfaults - right - wrong);
	if (right)
		printf("mean time to detect (right type): %llds\n",
		       (long long)(sum_ms / (int64_t)right / 1000));
	printf("insights: %zu, false alarms: %zu\n", r.insights, r.false_alarms);
	score_result_release(&r);
	json_decref(t);
	json_decref(ins);
}

/*
 * The remediation records the run wrote. Nobody was there to approve them,
 * so proposals wait as pending; refusals and faults left to a person say why.
 */
static void show_proposals(const char *hist, const char *insights)
{
	struct history h;
	char err[256];
	json_t *rec;
	size_t i, n = 0;

	printf("\nremediation (nobody to approve here, so proposals wait as pending):\n");
	if (history_open(&h, hist, err, sizeof(err)) < 0) {
		printf("  cannot read %s: %s\n", hist, err);
		return;
	}
	json_array_foreach(h.records, i, rec) {
		const json_t *params = json_object_get(rec, "params");
		const char *desc = json_string_value(json_object_get(params, "description"));
		const char *why = json_string_value(json_object_get(params, "rationale"));
		const char *st = json_string_value(json_object_get(rec, "status"));
		const char *msg = json_string_value(json_object_get(json_object_get(rec, "result"), "message"));

		printf("  %s  %-12s %s\n", json_string_value(json_object_get(rec, "id")), st ? st : "",
		       desc ? desc : json_string_value(json_object_get(rec, "action")));
		if (st && (!strcmp(st, "refused") || !strcmp(st, "needs_person")) && msg)
			printf("                         %s\n", msg);
		else if (why)
			printf("                         because %s\n", why);
		n++;
	}
	if (!n)
		printf("  none\n");
	else
		printf("  the simulated cluster stopped with the demo, so they cannot be acted on now.\n"
		       "  To approve proposals on a terminal, run the same cluster and the monitor:\n"
		       "    kubemend sim --scenario config/scenarios/demo.yaml --kubeconfig-out /tmp/demo.kubeconfig &\n"
		       "    kubemend monitor --kubeconfig /tmp/demo.kubeconfig -A --remediate\n"
		       "  (see %s and %s for this run; kubemend history --why --insights-file %s\n"
		       "  --history-file %s says why each open insight was not acted on)\n",
		       insights, hist, insights, hist);
	history_close(&h);
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 'n' },
		{ "speed", required_argument, NULL, 'x' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scenario = "config/scenarios/demo.yaml", *dir = NULL;
	char tmpl[] = "/tmp/kubemend-demo-XXXXXX", err[512];
	struct buf kc = BUF_INIT, truth = BUF_INIT, csv = BUF_INIT, ins = BUF_INIT, hist = BUF_INIT;
	struct flag_value flags[9];
	struct cli_reload rl;
	struct sim_options so;
	struct sim *sim = NULL;
	struct runner run;
	struct config cfg;
	struct demo d;
	pthread_t th;
	int64_t seconds = 50, t0;
	double speed = 30;
	int ch, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': scenario = optarg; break;
		case 'd': dir = optarg; break;
		case 'n':
			if (str_to_i64(optarg, &seconds) < 0 || seconds < 5 || seconds > 3600) {
				fprintf(stderr, "kubemend demo: --seconds wants 5..3600\n");
				return EXIT_USAGE;
			}
			break;
		case 'x':
			if (str_to_double(optarg, &speed) < 0 || speed < 1 || speed > 600) {
				fprintf(stderr, "kubemend demo: --speed wants 1..600\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			fprintf(stderr, "kubemend demo: unknown or incomplete option '%s'\n%s",
				argv[optind - 1], usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kubemend demo: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (access(scenario, R_OK) < 0) {
		fprintf(stderr, "kubemend demo: %s: %s (run from the repository root or pass --scenario)\n",
			scenario, strerror(errno));
		return 1;
	}
	if (!dir && !(dir = mkdtemp(tmpl))) {
		fprintf(stderr, "kubemend demo: cannot create a directory under /tmp: %s\n", strerror(errno));
		return 1;
	}
	if (file_mkdirs(dir) < 0) {
		fprintf(stderr, "kubemend demo: cannot create %s\n", dir);
		return 1;
	}
	buf_addf(&kc, "%s/kubeconfig", dir);
	buf_addf(&truth, "%s/truth.json", dir);
	buf_addf(&csv, "%s/pod_metrics.csv", dir);
	buf_addf(&ins, "%s/pod_insights.json", dir);
	buf_addf(&hist, "%s/remediation_history.json", dir);
	memset(&so, 0, sizeof(so));
	so.listen = "127.0.0.1:0";
	so.kubeconfig_out = kc.data;
	so.speed = 0;                   /* frozen: the loop below moves it */
	so.scenario = scenario;
	so.truth_out = truth.data;
	so.nodes = 4;
	so.pods = 20;
	t0 = time_real_ms();
	if (sim_start(&sim, &so, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend demo: %s\n", err);
		goto out;
	}
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.mu, NULL);
	d.start_ms = t0 / 1000 * 1000;
	d.speed = speed;
	d.truth = truth.data;
	printf("kubemend demo: a simulated cluster (%s) at %.0fx speed for %llds; files in %s\n",
	       scenario, speed, (long long)seconds, dir);
	printf("[mm:ss] is virtual time since the cluster started.\n\n");
	fflush(stdout);

	flags[0] = (struct flag_value){ "agent.kubeconfig", "demo", kc.data };
	flags[1] = (struct flag_value){ "agent.all_namespaces", "demo", "true" };
	flags[2] = (struct flag_value){ "agent.interval", "demo", "1s" };
	flags[3] = (struct flag_value){ "agent.output_file", "demo", csv.data };
	flags[4] = (struct flag_value){ "agent.insights_file", "demo", ins.data };
	flags[5] = (struct flag_value){ "agent.listen", "demo", "off" };
	flags[6] = (struct flag_value){ "agent.log_dir", "demo", dir };
	flags[7] = (struct flag_value){ "agent.alertmanager_url", "demo", "" };
	flags[8] = (struct flag_value){ "agent.history_file", "demo", hist.data };
	rl = (struct cli_reload){ NULL, flags, 9, "demo" };
	if (monitor_load_config(&cfg, NULL, flags, 9, "demo") < 0)
		goto out_sim;
	memset(&run, 0, sizeof(run));
	run.m.name = "demo";
	run.m.cfg = &cfg;
	run.m.load_config = cli_reload_config;
	run.m.load_ctx = &rl;
	run.m.collect = run.m.write_csv = run.m.analyse = true;
	/* remediation with nobody to ask: every proposal is recorded as pending */
	run.m.remediate = true;
	run.m.tty_fd = -1;
	run.m.main_log = "k8s_monitoring.log";
	run.m.log_collect_apart = true;
	run.m.quiet = true;
	run.m.hook = on_insight;
	run.m.hook_ctx = &d;
	run.m.stop = &d.stop;
	if (pthread_create(&th, NULL, run_monitor, &run) != 0) {
		fprintf(stderr, "kubemend demo: cannot start the monitor thread\n");
		config_release(&cfg);
		goto out_sim;
	}
	{
		/* one step of `speed` virtual seconds per monitor cycle, at most
		 * one a second (see the top of this file) */
		long steps = 0, seen = 0;
		int64_t next = time_mono_ms() + 1000;

		while (steps < seconds && !run.finished) {
			long done = __atomic_load_n(&run.m.cycles_done, __ATOMIC_ACQUIRE);

			show_injections(&d);
			if (time_mono_ms() >= next && done > seen) {
				sim_advance(sim, (int64_t)(speed * 1000));
				steps++;
				seen = done;
				next = time_mono_ms() + 1000;
			}
			usleep(50 * 1000);
		}
		/* and one more cycle, to see the last step */
		for (int64_t until = time_mono_ms() + 10000; !run.finished && time_mono_ms() < until &&
		     __atomic_load_n(&run.m.cycles_done, __ATOMIC_ACQUIRE) <= seen; )
			usleep(50 * 1000);
	}
	show_injections(&d);
	d.stop = 1;
	pthread_join(th, NULL);
	config_release(&cfg);
	summary(&d, ins.data);
	show_proposals(hist.data, ins.data);
	printf("\ninsights: %s\nmetrics:  %s\nhistory:  %s\nlogs:     %s/k8s_monitoring.log\n",
	       ins.data, csv.data, hist.data, dir);
	rc = run.rc;
	pthread_mutex_destroy(&d.mu);
out_sim:
	sim_stop(sim);
out:
	buf_release(&kc);
	buf_release(&truth);
	buf_release(&csv);
	buf_release(&ins);
	buf_release(&hist);
	return rc;
}

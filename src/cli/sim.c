#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "sim/sim.h"
#include "base/log.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char usage_text[] =
"usage: kubemend sim --listen 127.0.0.1:PORT --kubeconfig-out FILE [options]\n"
"\n"
"Runs a simulated Kubernetes API server with a deterministic workload model.\n"
"The kubeconfig (bearer token; with --tls also the CA and a client\n"
"certificate) is written atomically once the server accepts requests.\n"
"\n"
"  --listen ADDR           127.0.0.1:PORT to serve on (PORT 0: any free port)\n"
"  --kubeconfig-out FILE   where to write the kubeconfig\n"
"  --tls                   HTTPS with a generated CA; client certificates accepted\n"
"  --nodes N               nodes node-0..node-N-1 (default 4)\n"
"  --pods N                Deployment pods spread over namespaces (default 20)\n"
"  --seed S                random seed (default 1; overrides a scenario's seed)\n"
"  --speed X               virtual seconds per real second (default 1; 0 freezes)\n"
"  --scenario FILE         cluster and faults from a scenario file (docs/scenarios.md)\n"
"  --truth-out FILE        keep a JSON record of injected faults in FILE\n"
"  --audit-log FILE        append every API request to FILE (audit.k8s.io/v1 Event JSON lines)\n"
"\n"
"API fault injection (for client tests; see docs/sim.md):\n"
"  --fault-latency MS      add MS milliseconds to every API request\n"
"  --fault-500-rate P      answer a fraction P of API requests with 500\n"
"  --fault-429-rate P      answer a fraction P with 429 and Retry-After: 1\n"
"  --fault-watch-cut S     drop watch connections after S seconds\n"
"  --fault-truncate-rate P cut a fraction P of responses off mid-body\n"
"\n"
"Control endpoints: GET /sim/v1/clock, POST /sim/v1/advance?seconds=N,\n"
"POST /sim/v1/speed?x=X (same token). SIGINT or SIGTERM stops the server.\n";

static int bad(const char *flag, const char *why)
{
	fprintf(stderr, "kubemend sim: %s: %s\n", flag, why);
	return EXIT_USAGE;
}

static int rate(const char *flag, const char *v, double *out)
{
	if (!v || str_to_double(v, out) || *out < 0 || *out > 1)
		return bad(flag, "want a fraction from 0 to 1");
	return 0;
}

/* Parses sim flags shared by `sim`; returns 0, 1 for --help, or EXIT_USAGE. */
static int parse(int argc, char **argv, struct sim_options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n;

		if (!strcmp(f, "--help") || !strcmp(f, "-h"))
			return 1;
		if (!strcmp(f, "--tls")) {
			o->tls = true;
			continue;
		}
		if (!str_starts_with(f, "--"))
			return bad(f, "unexpected argument (see --help)");
		if (strcmp(f, "--listen") && strcmp(f, "--kubeconfig-out") && strcmp(f, "--nodes") &&
		    strcmp(f, "--pods") && strcmp(f, "--seed") && strcmp(f, "--speed") &&
		    strcmp(f, "--scenario") && strcmp(f, "--truth-out") && strcmp(f, "--fault-latency") &&
		    strcmp(f, "--audit-log") &&
		    strcmp(f, "--fault-500-rate") && strcmp(f, "--fault-429-rate") &&
		    strcmp(f, "--fault-watch-cut") && strcmp(f, "--fault-truncate-rate"))
			return bad(f, "unknown flag (see --help)");
		if (!v)
			return bad(f, "needs a value");
		i++;
		if (!strcmp(f, "--listen")) {
			o->listen = v;
		} else if (!strcmp(f, "--kubeconfig-out")) {
			o->kubeconfig_out = v;
		} else if (!strcmp(f, "--scenario")) {
			o->scenario = v;
		} else if (!strcmp(f, "--truth-out")) {
			o->truth_out = v;
		} else if (!strcmp(f, "--audit-log")) {
			o->audit_log = v;
		} else if (!strcmp(f, "--nodes")) {
			if (str_to_i64(v, &n) || n < 1 || n > 5000)
				return bad(f, "want a number of nodes from 1 to 5000");
			o->nodes = (int)n;
		} else if (!strcmp(f, "--pods")) {
			if (str_to_i64(v, &n) || n < 0 || n > 500000)
				return bad(f, "want a number of pods from 0 to 500000");
			o->pods = (int)n;
		} else if (!strcmp(f, "--seed")) {
			if (str_to_u64(v, &o->seed))
				return bad(f, "want a non-negative integer");
			o->seed_set = true;
		} else if (!strcmp(f, "--speed")) {
			if (str_to_double(v, &o->speed) || o->speed < 0 || o->speed > 1e6)
				return bad(f, "want a number from 0 to 1000000");
		} else if (!strcmp(f, "--fault-latency")) {
			if (str_to_i64(v, &n) || n < 0 || n > 60000)
				return bad(f, "want milliseconds from 0 to 60000");
			o->fault_latency_ms = (int)n;
		} else if (!strcmp(f, "--fault-watch-cut")) {
			if (str_to_i64(v, &n) || n < 0 || n > 86400)
				return bad(f, "want seconds from 0 to 86400");
			o->fault_watch_cut_s = (int)n;
		} else if (!strcmp(f, "--fault-500-rate")) {
			if (rate(f, v, &o->fault_500_rate))
				return EXIT_USAGE;
		} else if (!strcmp(f, "--fault-429-rate")) {
			if (rate(f, v, &o->fault_429_rate))
				return EXIT_USAGE;
		} else if (rate(f, v, &o->fault_truncate_rate)) {
			return EXIT_USAGE;
		}
	}
	return 0;
}

int cmd_sim(int argc, char **argv)
{
	struct sim_options o = { .nodes = 4, .pods = 20, .seed = 1, .speed = 1 };
	struct sim *sim = NULL;
	struct sigaction sa;
	char err[512], port[16];
	int rc = parse(argc, argv, &o);

	if (rc == 1) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (rc)
		return rc;
	if (!o.listen)
		return bad("--listen", "required (e.g. --listen 127.0.0.1:6443)");
	if (!o.kubeconfig_out)
		return bad("--kubeconfig-out", "required");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (sim_start(&sim, &o, err, sizeof(err))) {
		fprintf(stderr, "kubemend sim: %s\n", err);
		return 1;
	}
	snprintf(port, sizeof(port), "%d", sim_port(sim));
	log_kv(LOG_INFO, "sim", "serving", "url", sim_url(sim), "kubeconfig", o.kubeconfig_out, NULL);
	while (!stop_flag)
		usleep(100 * 1000);
	log_kv(LOG_INFO, "sim", "stopping", NULL);
	sim_stop(sim);
	return 0;
}

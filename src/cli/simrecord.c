/*
 * `kubemend sim-record`: a simulated cluster recorded as fast as the
 * machine allows. The sim runs in-process with its clock frozen; each cycle
 * moves it on by --interval and collects one round of samples with the
 * collector `collect` and `monitor` use, so the CSV has exactly the rows a
 * collector would have written watching that cluster for --duration, and
 * the same scenario and seed give the same rows. For training data (`make
 * model`) and for scoring detection on long runs (bench/detect-scenarios.sh).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "cli/cli.h"
#include "kube/config.h"
#include "metrics/collector.h"
#include "metrics/csv.h"
#include "sim/sim.h"
#include "base/banned.h"

static const char usage_text[] =
"usage: kubemend sim-record --output-file CSV --duration 4h [--interval 30s]\n"
"                           [--scenario FILE | --nodes N --pods N] [--seed S]\n"
"                           [--truth-out FILE] [--start 2030-01-01T00:00:00Z]\n"
"\n"
"Runs the simulated cluster in-process on a frozen clock, moving it on by\n"
"--interval before each collection cycle, and writes every cycle's rows to\n"
"CSV (native columns) and the injected faults to --truth-out. The virtual\n"
"clock starts at --start (default 2030-01-01T00:00:00Z), so the daily cycle\n"
"and every row are the same on every run; it must lie ahead of the real\n"
"clock, because a collector stamps rows with the later of the two.\n";

int cmd_sim_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output-file", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "scenario", required_argument, NULL, 's' },
		{ "nodes", required_argument, NULL, 'N' },
		{ "pods", required_argument, NULL, 'P' },
		{ "seed", required_argument, NULL, 'S' },
		{ "truth-out", required_argument, NULL, 't' },
		{ "start", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_options so;
	struct sim *sim = NULL;
	struct kube_config kube;
	struct kube_config_opts ko;
	struct collector_opts co;
	struct collector col;
	struct csv_writer w;
	const char *out = NULL;
	int64_t dur = 0, iv = 30000, n;
	char dir[] = "/tmp/kubemend-simrec-XXXXXX", kc[64], err[1024];
	int ch, rc = 1, v;
	size_t rows_total = 0;

	memset(&so, 0, sizeof(so));
	so.nodes = 4;
	so.pods = 20;
	so.seed = 1;
	so.listen = "127.0.0.1:0";
	so.start_ms = 1893456000000LL;  /* 2030-01-01T00:00:00Z */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'd': if (str_to_duration_ms(optarg, &dur) < 0 || dur <= 0) goto bad; break;
		case 'i': if (str_to_duration_ms(optarg, &iv) < 0 || iv < 1000) goto bad; break;
		case 's': so.scenario = optarg; break;
		case 'N': if (str_to_int(optarg, &v) < 0 || v < 1) goto bad; so.nodes = v; break;
		case 'P': if (str_to_int(optarg, &v) < 0 || v < 0) goto bad; so.pods = v; break;
		case 'S': if (str_to_int(optarg, &v) < 0 || v < 0) goto bad; so.seed = (uint64_t)v; so.seed_set = true; break;
		case 't': so.truth_out = optarg; break;
		case 'T': if (time_parse(optarg, &so.start_ms) < 0 || so.start_ms <= time_real_ms()) goto bad; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: goto bad;
		}
	}
	if (!out || !dur || optind != argc)
		goto bad;
	if (!mkdtemp(dir)) {
		fprintf(stderr, "kubemend sim-record: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
	so.kubeconfig_out = kc;
	so.speed = 0;
	if (sim_start(&sim, &so, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend sim-record: %s\n", err);
		goto out_dir;
	}
	memset(&ko, 0, sizeof(ko));
	ko.kubeconfig = kc;
	if (kube_config_load(&kube, &ko, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend sim-record: %s\n", err);
		goto out_sim;
	}
	memset(&co, 0, sizeof(co));
	co.kube = &kube;
	co.interval_ms = iv;
	co.max_pods = 1000000;
	if (collector_init(&col, &co, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend sim-record: %s\n", err);
		goto out_kube;
	}
	if (csv_writer_open(&w, out, CSV_NATIVE, NULL, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubemend sim-record: %s\n", err);
		goto out_col;
	}
	rc = 0;
	for (n = 0; n < dur / iv && rc == 0; n++) {
		struct sample *rows = NULL;
		size_t nrows = 0;

		uint64_t rv_pods, rv_nodes, rv_events;

		sim_advance(sim, iv);
		/* the collector's watch caches (pods, nodes, events) hear of
		 * what the step changed over HTTP: collect once they have it
		 * all, so the rows do not depend on the machine's speed */
		sim_last_rvs(sim, &rv_pods, &rv_nodes, &rv_events);
		if (collector_wait_rvs(&col, rv_pods, rv_nodes, rv_events, 60000) < 0) {
			fprintf(stderr, "kubemend sim-record: the watches did not catch up with the "
				"simulated cluster within 60 s\n");
			rc = 1;
			break;
		}
		if (collector_cycle(&col, &rows, &nrows, err, sizeof(err)) < 0 ||
		    csv_writer_append(&w, rows, nrows, err, sizeof(err)) < 0) {
			fprintf(stderr, "kubemend sim-record: %s\n", err);
			rc = 1;
		}
		rows_total += nrows;
		collector_rows_free(rows, nrows);
	}
	csv_writer_close(&w);
	if (rc == 0)
		printf("sim-record: %lld cycles, %zu rows -> %s\n", (long long)n, rows_total, out);
out_col:
	collector_release(&col);
out_kube:
	kube_config_release(&kube);
out_sim:
	sim_stop(sim);
out_dir:
	unlink(kc);
	rmdir(dir);
	return rc;
bad:
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

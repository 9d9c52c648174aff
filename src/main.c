#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "kube/jsonarena.h"
#include "base/banned.h"

/* The command table: one row per subcommand (git's commands[]). */
static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	/* the pipeline, as the seed's scripts were */
	{ "demo", cmd_demo, "run the whole pipeline on a simulated cluster with faults" },
	{ "monitor", cmd_monitor, "collect, detect and report in one process" },
	{ "collect", cmd_collect, "collect pod metrics into a CSV (the dataset generator)" },
	{ "agent", cmd_agent, "collect and analyse, or follow a metrics CSV (the dataset agent)" },
	{ "detect", cmd_detect, "analyse a metrics CSV once or as it grows" },
	{ "remediate", cmd_remediate, "propose, approve, act on, verify and record remediations" },
	{ "history", cmd_history, "list the remediation history" },
	{ "approve", cmd_approve, "approve a Remediation record in the cluster (by its digest)" },
	{ "reject", cmd_reject, "reject a Remediation record in the cluster" },
	/* the model */
	{ "train", cmd_train, "train the LSTM on normal pod behaviour" },
	{ "calibrate", cmd_calibrate, "fit the detector's probability calibration into a model file" },
	{ "score", cmd_score, "score a univariate series (NAB format) online" },
	{ "score-pods", cmd_score_pods, "score pod samples from a CSV with the pod detector (JSON lines)" },
	{ "eval", cmd_eval, "evaluate detection: eval nab, eval multi (SMD/ASD), eval scenarios (sim truth)" },
	/* the simulated cluster and the rest */
	{ "sim", cmd_sim, "run a simulated Kubernetes API server" },
	{ "sim-record", cmd_sim_record, "record a simulated cluster's samples to a CSV on a fast clock" },
	{ "config", cmd_config, "show the effective configuration and where each value came from" },
	{ "llm-check", cmd_llm_check, "send a made-up incident to the configured LLM and show the checked answer" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kubemend <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'kubemend <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	json_arena_install(); /* before any JSON value exists */
	/* glibc gives each thread that allocates its own heap (up to 8 a
	 * core); the list, watch and request threads then keep freed pages
	 * apart: 110 MB peak for a 10k-pod first cycle against 82 MB with two
	 * (same CPU). MALLOC_ARENA_MAX, when set, is the user's choice. */
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);

	if (!name) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version"))
		name = "version";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kubemend: unknown command '%s' (see 'kubemend --help')\n", name);
	return EXIT_USAGE;
}

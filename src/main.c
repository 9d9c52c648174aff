#include <stdio.h>
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
	{ "config", cmd_config, "show the effective configuration and where each value came from" },
	{ "version", cmd_version, "print the version" },
	{ "collect", cmd_collect, "collect pod metrics into a CSV (the dataset generator)" },
	{ "sim", cmd_sim, "run a simulated Kubernetes API server" },
	{ "demo", cmd_demo, "start a small simulated cluster and show it" },
	{ "llm-check", cmd_llm_check, "send a made-up incident to the configured LLM and show the checked answer" },
	{ "demo", cmd_demo, "run the whole pipeline on a simulated cluster with faults" },
	{ "monitor", cmd_monitor, "collect, detect and report in one process" },
	{ "agent", cmd_agent, "collect and analyse, or follow a metrics CSV (the dataset agent)" },
	{ "detect", cmd_detect, "analyse a metrics CSV once or as it grows" },
	{ "score", cmd_score, "score a univariate series (NAB format) online" },
	{ "train", cmd_train, "train the LSTM on normal pod behaviour" },
	{ "eval", cmd_eval, "evaluate the detector on NAB (eval nab) or SMD/ASD (eval multi)" },
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

#ifndef CLI_CLI_H
#define CLI_CLI_H
/*
 * The subcommands. Each takes the arguments after the subcommand name
 * (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure at run time, 2 a usage error.
 */

#include <stddef.h>

#define EXIT_USAGE 2

int cmd_agent(int argc, char **argv);
int cmd_approve(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_eval(int argc, char **argv);
/* `eval scenarios` (dispatched by cmd_eval): insights against the sim's ground truth. */
int cmd_eval_scenarios(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_llm_check(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_reject(int argc, char **argv);
int cmd_remediate(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_score_pods(int argc, char **argv);
int cmd_sim_record(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_version(int argc, char **argv);

struct config;
/*
 * Loads the config files from dir (NULL: $KUBEMEND_CONFIG_DIR or "config")
 * and the environment into c; prints the error and returns -1 on failure.
 */
int cli_load_config(struct config *c, const char *dir);

/* One flag as given, re-applied over the files and environment on SIGHUP. */
struct flag_value {
	const char *key, *flag, *value;
};

/* Loads config files + environment, then the flags; prints errors; 0 or -1. */
int monitor_load_config(struct config *c, const char *dir, const struct flag_value *flags,
			size_t nflags, const char *who);

/* What a running command reloads on SIGHUP (run/monitor.h's load_config). */
struct cli_reload {
	const char *dir;                /* NULL: $KUBEMEND_CONFIG_DIR or config */
	const struct flag_value *flags;
	size_t nflags;
	const char *who;
};
/* monitor_load_fn over a struct cli_reload. */
int cli_reload_config(void *ctx, struct config *out);

#endif

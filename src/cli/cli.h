#ifndef CLI_CLI_H
#define CLI_CLI_H
/*
 * The subcommands. Each takes the arguments after the subcommand name
 * (argv[0] is the subcommand) and returns the process exit code:
 * 0 success, 1 failure at run time, 2 a usage error.
 */

#define EXIT_USAGE 2

int cmd_version(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_detect(int argc, char **argv);

#endif

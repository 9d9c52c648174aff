#ifndef CLI_EVAL_H
#define CLI_EVAL_H
/* Pieces of `kubemend eval` shared between its files. */

/* `eval multi`: argv[0] is "multi". */
int eval_multi(int argc, char **argv);

#endif

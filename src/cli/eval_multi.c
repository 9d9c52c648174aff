/* `kubemend eval multi`: the multivariate model on SMD/ASD-layout data. */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/eval.h"
#include "base/banned.h"

int eval_multi(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "kubemend eval multi: not built yet\n");
	return 1;
}

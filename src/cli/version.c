#include <stdio.h>
#include "cli/cli.h"
#include "base/banned.h"

#ifndef KUBEMEND_VERSION
#define KUBEMEND_VERSION "0.1.0-dev"
#endif

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("kubemend %s\n", KUBEMEND_VERSION);
	return 0;
}

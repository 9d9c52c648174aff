#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "base/banned.h"

int cmd_demo(int argc, char **argv)
{
	(void)argc; (void)argv;
	return 0;
}

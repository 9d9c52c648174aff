/* Fuzz target for the YAML reader (conf/ynode.c). */
#include <stdint.h>
#include <stdlib.h>
#include "conf/ynode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ynode *n = NULL;
	char err[256];

	if (ynode_parse((const char *)data, size, &n, err, sizeof(err)) == 0)
		ynode_free(n);
	return 0;
}

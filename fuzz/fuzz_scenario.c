/* Fuzz target for the scenario reader (sim/scenario.c). */
#include <stdint.h>
#include <stdlib.h>
#include "sim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario sc;
	char err[512];

	if (scenario_parse(&sc, (const char *)data, size, "fuzz.yaml", err, sizeof(err)) == 0)
		scenario_release(&sc);
	return 0;
}

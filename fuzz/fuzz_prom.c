/* Fuzz target for Prometheus query answers (metrics/prom.c). */
#include <stdint.h>
#include "metrics/prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prom_result r;
	char err[256];

	if (prom_parse((const char *)data, size, &r, err, sizeof(err)) == 0)
		prom_result_release(&r);
	return 0;
}

/* Fuzz target for the pod sample CSV reader (detect/podcsv.c). */
#include <stdint.h>
#include <stdlib.h>
#include "detect/podcsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct podcsv p;
	char err[256];

	if (podcsv_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < p.npods; i++)
			if (p.start[i] > p.start[i + 1] || p.start[i + 1] > p.nrows)
				abort();
		podcsv_release(&p);
	}
	return 0;
}

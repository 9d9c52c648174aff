/* Fuzz target for reading remediation_history.json (remedy/history.c). */
#include <stdint.h>
#include <stddef.h>
#include "remedy/history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct history h;
	char err[256];

	if (history_parse(&h, "fuzz.json", (const char *)data, size, err, sizeof(err)) == 0) {
		history_get(&h, "r-000001");
		history_close(&h);
	}
	return 0;
}

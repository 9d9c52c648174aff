/* Fuzz target for reading pod_insights.json (insight/insight_read.c). */
#include <stdint.h>
#include <stddef.h>
#include "insight/insight_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct insight_store s;
	char err[512];

	insight_store_init(&s, 0.5);
	if (insight_store_parse(&s, "fuzz", (const char *)data, size, err, sizeof(err)) == 0) {
		/* what was read must write back */
		json_t *j = insight_store_json(&s, 0);
		json_decref(j);
	}
	insight_store_release(&s);
	return 0;
}

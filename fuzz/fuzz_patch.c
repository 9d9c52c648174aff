/* Fuzz target for merge, strategic merge and JSON patches (sim/patch.c). */
#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>
#include "sim/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char doc[] = "{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"b\"}},\"spec\":{\"replicas\":1,"
		"\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{}}],\"l\":[1,2]}}}}";
	char err[300];

	for (int t = PATCH_MERGE; t <= PATCH_JSON; t++) {
		json_t *j = json_loads(doc, 0, NULL);

		patch_apply(&j, (enum patch_type)t, (const char *)data, size, err, sizeof(err));
		json_decref(j);
	}
	return 0;
}

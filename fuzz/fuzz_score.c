/* Fuzz target for scoring insights against a truth file (eval/score.c):
 * the input is the truth JSON, a NUL byte, then the insights JSON. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <jansson.h>
#include "eval/score.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	json_t *truth = json_loadb((const char *)data, n1, 0, NULL);
	json_t *ins = nul ? json_loadb((const char *)nul + 1, size - n1 - 1, 0, NULL) : NULL;
	struct score_result r;
	char err[256];

	if (truth && ins && score_insights(truth, ins, 300000, &r, err, sizeof(err)) == 0)
		score_result_release(&r);
	json_decref(truth);
	json_decref(ins);
	return 0;
}

/* Fuzz target for the NumPy-pickle reader (eval/pkl.c). */
#include <stdint.h>
#include <stdlib.h>
#include "eval/pkl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkl_array a;
	char err[256];

	if (pkl_parse(data, size, &a, err, sizeof(err)) == 0) {
		volatile double s = 0;
		for (size_t i = 0; i < a.rows * a.cols; i++)
			s += a.data[i];
		pkl_release(&a);
	}
	return 0;
}

/*
 * Fuzz target for key and token files (base/secretfile.c: the LLM key file,
 * the kubeconfig's tokenFile, the service account token). A secret that is
 * accepted must be one line of printable ASCII without blanks, since it goes
 * into an HTTP header.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "base/secretfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, err[160];

	if (secret_parse((const char *)data, size, &out, err, sizeof(err)) == 0) {
		size_t n = strlen(out);

		if (!n || n > size)
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
				abort();
		secret_free(out);
	} else if (out || !err[0]) {
		abort();
	}
	return 0;
}

/* Fuzz target for Kubernetes protobuf request bodies (sim/pbjson.c) and continue tokens. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sim/pbjson.h"
#include "sim/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	char err[200], *tok;
	uint64_t rv;
	char *ns, *name;

	if (pb_to_json(data, size, &j, err, sizeof(err)) == 0) {
		char *s = json_dumps(j, JSON_COMPACT);

		free(s);
		json_decref(j);
	}
	tok = malloc(size + 1);
	if (tok) {
		memcpy(tok, data, size);
		tok[size] = '\0';
		if (cont_decode(tok, &rv, &ns, &name) == 0) {
			free(ns);
			free(name);
		}
		free(tok);
	}
	return 0;
}

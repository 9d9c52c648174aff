/* Fuzz target for label and field selectors (sim/select.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sim/select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(const void *ctx, const char *key)
{
	(void)ctx;
	return strlen(key) % 2 ? "v" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256];
	struct selector *sel;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int field = 0; field < 2; field++) {
		if (selector_parse(s, field, &sel, err, sizeof(err)) == 0) {
			char *txt = selector_string(sel);

			selector_match(sel, lookup, NULL);
			free(txt);
			selector_free(sel);
		}
	}
	free(s);
	return 0;
}

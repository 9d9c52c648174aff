/* Fuzz target for the redactor (insight/redact.c): apply and restore. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "insight/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redactor r;
	struct buf out, back;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	redactor_init(&r);
	redactor_name(&r, RK_NAMESPACE, "shop");
	redactor_name(&r, RK_POD, "web-7d4b9c-x2x9q");
	redactor_name(&r, RK_NODE, "node-1");
	redactor_name(&r, RK_WORKLOAD, "web");
	buf_init(&out, 1 << 20);
	buf_init(&back, 1 << 20);
	if (redactor_apply(&r, text, &out) == 0)
		redactor_restore(&r, out.data ? out.data : "", &back);
	buf_release(&out);
	buf_release(&back);
	redactor_release(&r);
	free(text);
	return 0;
}

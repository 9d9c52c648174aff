/* Fuzz target for skimming JSON (kube/jsonskim.c) with the pods' drop
 * list: never a crash, and text jansson accepts is always skimmed into
 * text jansson accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <jansson.h>
#include "base/buf.h"
#include "kube/cache.h"
#include "kube/jsonskim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	json_t *whole = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	int rc = json_skim((const char *)data, size, kube_cache_pods.skim, &out);

	if (whole) {
		json_t *skimmed;
		/* jansson takes a NUL right after a number as the end of input
		 * ("3\0" loads, "3 \0" does not); JSON has no raw NUL, so the skim
		 * refuses such text and its callers parse it whole. */
		if (rc != 0 && memchr(data, 0, size))
			goto out;
		if (rc != 0)
			abort();
		skimmed = json_loadb(out.data ? out.data : "", out.len, JSON_DECODE_ANY, NULL);
		if (!skimmed)
			abort();
		json_decref(skimmed);
	}
out:
	json_decref(whole);
	buf_release(&out);
	return 0;
}

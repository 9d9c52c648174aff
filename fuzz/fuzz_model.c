/* Fuzz target for the model file loader (detect/lstm_io.c). */
#include <stdint.h>
#include <stdlib.h>
#include "base/buf.h"
#include "detect/lstm_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lstm m;
	char err[256];

	if (lstm_decode(data, size, &m, err, sizeof(err)) == 0) {
		/* whatever loads must encode back to the same bytes */
		struct buf b = BUF_INIT;
		if (lstm_encode(&m, &b) != 0 || b.len != size)
			abort();
		buf_release(&b);
		lstm_release(&m);
	}
	return 0;
}

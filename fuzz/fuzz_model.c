/* Fuzz target for the model file loader (detect/lstm_io.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "detect/lstm_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lstm m;
	char err[256];

	if (lstm_decode(data, size, &m, err, sizeof(err)) == 0) {
		/* whatever loads encodes (as the current version) to bytes that
		 * load and encode to the same bytes; a current-version file
		 * encodes back to itself */
		struct buf b = BUF_INIT, b2 = BUF_INIT;
		struct lstm m2;
		if (lstm_encode(&m, &b) != 0 || lstm_decode(b.data, b.len, &m2, err, sizeof(err)) != 0 ||
		    lstm_encode(&m2, &b2) != 0 || b2.len != b.len || memcmp(b.data, b2.data, b.len))
			abort();
		if (size > 8 && data[8] == LSTM_FILE_VERSION && (b.len != size || memcmp(b.data, data, size)))
			abort();
		buf_release(&b);
		buf_release(&b2);
		lstm_release(&m);
		lstm_release(&m2);
	}
	return 0;
}

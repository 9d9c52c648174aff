#ifndef SIM_B64_H
#define SIM_B64_H
/* Base64 (RFC 4648; decoding also takes the URL-safe alphabet). b64_encode's result is the caller's to free. */
#include <stddef.h>
#include "base/buf.h"

char *b64_encode(const void *data, size_t len);
/* Appends the decoded bytes to out; 0, -EINVAL on a bad character, -E2BIG past out's limit. */
int b64_decode(const char *s, struct buf *out);

#endif

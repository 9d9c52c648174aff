/*
 * Fuzz target for the line framing of streamed HTTP bodies (net/linesplit.c,
 * used by http_stream for watches). The first byte picks how the rest is cut
 * into chunks; the lines that come out must be the same however the bytes
 * were cut, hold no '\n', never be empty and never exceed
 * max_line.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "net/linesplit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINE 64

static int collect(const char *line, size_t len, void *ctx)
{
	struct buf *b = ctx;

	if (!len || len > MAX_LINE || memchr(line, '\n', len))
		abort();
	buf_add(b, line, len);
	buf_addch(b, '\n');
	/* a line "STOP" asks to stop, as a watch consumer may */
	return len == 4 && !memcmp(line, "STOP", 4);
}

/* Feeds data in chunks of at most step bytes (0: all at once); the lines into out. */
static int run(const uint8_t *data, size_t size, size_t step, struct buf *out, struct line_split *ls)
{
	int rc = 0;

	memset(ls, 0, sizeof(*ls));
	buf_init(&ls->line, BUF_NO_LIMIT);
	ls->max_line = MAX_LINE;
	ls->on_line = collect;
	ls->ctx = out;
	for (size_t i = 0; i < size && rc == 0; ) {
		size_t n = step && size - i > step ? step : size - i;

		rc = line_split_feed(ls, (const char *)data + i, n);
		i += n;
	}
	buf_release(&ls->line);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole = BUF_INIT, cut = BUF_INIT;
	struct line_split a, b;
	int ra, rb;

	if (!size)
		return 0;
	ra = run(data + 1, size - 1, 0, &whole, &a);
	rb = run(data + 1, size - 1, 1 + data[0] % 17, &cut, &b);
	if (ra != rb || a.too_long != b.too_long || a.stopped != b.stopped ||
	    whole.len != cut.len || (whole.len && memcmp(whole.data, cut.data, whole.len)))
		abort();
	buf_release(&whole);
	buf_release(&cut);
	return 0;
}

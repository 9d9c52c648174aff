#include <string.h>
#include "net/linesplit.h"
#include "base/banned.h"

int line_split_feed(struct line_split *ls, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t chunk = nl ? (size_t)(nl - (p + i)) : len - i;

		if (ls->line.len + chunk > ls->max_line) {
			ls->too_long = true;
			return -1;
		}
		if (buf_add(&ls->line, p + i, chunk) < 0) {
			ls->too_long = true;
			return -1;
		}
		i += chunk;
		if (!nl)
			break;
		i++; /* the newline */
		if (ls->line.len && ls->line.data[ls->line.len - 1] == '\r')
			buf_truncate(&ls->line, ls->line.len - 1);
		if (ls->line.len && ls->on_line(ls->line.data, ls->line.len, ls->ctx)) {
			ls->stopped = true;
			return -1;
		}
		buf_reset(&ls->line);
	}
	return 0;
}

#ifndef NET_LINESPLIT_H
#define NET_LINESPLIT_H
/*
 * The line framing of streamed HTTP bodies (watch events, JSON lines): bytes
 * arrive in chunks cut anywhere; each complete line goes to on_line without
 * its "\n" or "\r\n", empty lines are skipped, and a line longer than
 * max_line stops the stream. struct line_split owns its partial line (line;
 * buf_release() it).
 */
#include <stdbool.h>
#include <stddef.h>
#include "base/buf.h"

struct line_split {
	struct buf line;        /* the partial line so far */
	size_t max_line;
	int (*on_line)(const char *line, size_t len, void *ctx);   /* non-zero: stop */
	void *ctx;
	bool too_long;          /* set when a line passed max_line */
	bool stopped;           /* set when on_line asked to stop */
};

/* Feeds len bytes. Returns 0, or -1 once a line is too long or on_line stopped. */
int line_split_feed(struct line_split *ls, const char *p, size_t len);

#endif

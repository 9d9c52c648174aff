#ifndef BASE_BUF_H
#define BASE_BUF_H
/*
 * A growable byte buffer with a hard size limit (curl's dynbuf). The buffer
 * owns its bytes; buf_release() frees them and buf_detach() hands them to the
 * caller. The contents are always NUL-terminated (the NUL is not counted in
 * len), so b.data can be used as a C string when no NUL was appended.
 */
#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit; /* most bytes len may reach; appends beyond fail with -E2BIG */
};

#define BUF_NO_LIMIT ((size_t)-1 / 2)
#define BUF_INIT { NULL, 0, 0, BUF_NO_LIMIT }

void buf_init(struct buf *b, size_t limit);
void buf_release(struct buf *b);
/* Returns the bytes (NUL-terminated) and leaves b empty; never NULL. */
char *buf_detach(struct buf *b, size_t *len);
void buf_reset(struct buf *b);

/* Each returns 0, or -E2BIG when the limit would be exceeded (b unchanged). */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Makes room for n more bytes; returns 0 or -E2BIG. */
int buf_reserve(struct buf *b, size_t n);
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Shortens to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);

/* JSON string literal of s (with quotes), escaping as RFC 8259 requires. */
int buf_add_json_str(struct buf *b, const char *s);

#endif

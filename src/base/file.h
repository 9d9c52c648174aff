#ifndef BASE_FILE_H
#define BASE_FILE_H
/*
 * Files. file_write_atomic() never leaves a half-written file: it writes a
 * temporary file beside path, fsyncs it, renames it over path and fsyncs the
 * directory, so a reader (or a crash) sees the old contents or the new.
 */
#include <stddef.h>
#include "base/buf.h"

int file_write_atomic(const char *path, const void *data, size_t len);
/* The same, with the file's permission bits (0600 for files holding secrets). */
int file_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode);
/* Reads the whole file into out (which the caller has initialised); fails
 * with -E2BIG past max bytes. */
int file_read_all(const char *path, size_t max, struct buf *out);
/* Writes all of data to fd, retrying short writes and EINTR. */
int file_write_fd(int fd, const void *data, size_t len);
/* mkdir -p (mode 0755); 0 or a negative errno. */
int file_mkdirs(const char *path);

#endif

#ifndef BASE_FILE_H
#define BASE_FILE_H
/*
 * Files. file_write_atomic() never leaves a half-written file: it writes a
 * temporary file beside path (a random name, created exclusively, mode 0600),
 * fsyncs it, renames it over path and fsyncs the directory, so a reader (or a
 * crash) sees the old contents or the new. What we write holds event text
 * and names from the cluster, so files are 0600 unless a caller asks for
 * another mode; file_open_append() creates its files 0600 too.
 */
#include <stddef.h>
#include "base/buf.h"

int file_write_atomic(const char *path, const void *data, size_t len);
/* The same, with the file's permission bits. */
int file_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode);
/* open(path, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC|extra, 0600): an fd or a negative errno. */
int file_open_append(const char *path, int extra_flags);
/* Reads the whole file into out (which the caller has initialised); fails
 * with -E2BIG past max bytes. */
int file_read_all(const char *path, size_t max, struct buf *out);
/* Writes all of data to fd, retrying short writes and EINTR. */
int file_write_fd(int fd, const void *data, size_t len);
/* mkdir -p (mode 0755); 0 or a negative errno. */
int file_mkdirs(const char *path);

#endif

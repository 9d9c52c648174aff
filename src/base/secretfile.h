#ifndef BASE_SECRETFILE_H
#define BASE_SECRETFILE_H
/*
 * Files that hold one secret: an API key, a bearer token. The secret is the
 * file's one line without the surrounding blanks; it must be printable ASCII
 * without spaces (it goes into an HTTP header, where a newline would start
 * another header). The returned string is the caller's; secret_free() wipes
 * and frees it.
 */
#include <stddef.h>

#define SECRET_FILE_MAX 16384

/* 0 and *out, or -EINVAL with "line L, column C: what" in err (never the secret itself). */
int secret_parse(const char *data, size_t len, char **out, char *err, size_t errlen);
/* secret_parse() of a file; err names the file. -E2BIG past SECRET_FILE_MAX bytes. */
int secret_read_file(const char *path, char **out, char *err, size_t errlen);
void secret_free(char *s);

#endif

#ifndef BASE_STR_H
#define BASE_STR_H
/*
 * String helpers and strict number parsers. Parsers reject trailing junk,
 * empty input and overflow, and write *out only on success (return 0 or a
 * negative errno: -EINVAL for malformed input, -ERANGE for out of range).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b); /* NULL-safe */
/* Copies src into dst (size n, n > 0), truncating; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t n);
/* Trims ASCII whitespace in place; returns s. */
char *str_trim(char *s);

int str_to_i64(const char *s, int64_t *out);
int str_to_u64(const char *s, uint64_t *out);
int str_to_int(const char *s, int *out);
/* Finite doubles only: "nan" and "inf" are -EINVAL. */
int str_to_double(const char *s, double *out);

/*
 * Durations as Go and Kubernetes write them: "300ms", "10s", "5m", "1h30m",
 * "1.5h"; a bare number is seconds. Output in milliseconds.
 */
int str_to_duration_ms(const char *s, int64_t *out_ms);

/*
 * Kubernetes resource quantities ("100m", "1.5", "128Mi", "1G", "2e3").
 * *out is the value in base units: cores for CPU, bytes for memory, so
 * str_to_quantity("100m") gives 0.1 and ("1Ki") gives 1024.
 */
int str_to_quantity(const char *s, double *out);
/* Byte sizes: a quantity rounded to whole bytes ("256Mi", "1048576"). */
int str_to_bytes(const char *s, uint64_t *out);

#endif

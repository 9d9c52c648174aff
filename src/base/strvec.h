#ifndef BASE_STRVEC_H
#define BASE_STRVEC_H
/*
 * A growable array of owned strings, always NULL-terminated (git's strvec).
 * strvec_clear() frees the strings and the array.
 */
#include <stddef.h>

struct strvec {
	char **v;
	size_t n;
	size_t cap;
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strvec_clear(struct strvec *sv);
/* Splits s at each sep into sv (empty fields kept). */
void strvec_split(struct strvec *sv, const char *s, char sep);
int strvec_contains(const struct strvec *sv, const char *s);

#endif

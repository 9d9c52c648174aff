#ifndef BASE_TIMEUTIL_H
#define BASE_TIMEUTIL_H
/*
 * Time: a monotonic clock for intervals and timeouts, the wall clock, and
 * RFC 3339 text. Times on the wire are Unix milliseconds (int64_t) in UTC.
 */
#include <stdint.h>
#include <stddef.h>

#define RFC3339_MAX 40

int64_t time_mono_ms(void);   /* monotonic, for durations only */
int64_t time_mono_ns(void);
int64_t time_real_ms(void);   /* wall clock, Unix epoch */

/* "2026-11-24T04:28:01Z" (seconds precision, as Kubernetes writes it). */
void time_rfc3339(int64_t unix_ms, char out[RFC3339_MAX]);
/* With milliseconds: "2026-11-24T04:28:01.123Z". */
void time_rfc3339_ms(int64_t unix_ms, char out[RFC3339_MAX]);
/*
 * Parses RFC 3339 ("2026-11-24T04:28:01Z", fractional seconds and numeric
 * offsets accepted) and also "YYYY-MM-DD HH:MM:SS" (taken as UTC, as NAB and
 * the seed write it). Returns 0 or -EINVAL.
 */
int time_parse(const char *s, int64_t *unix_ms);

/* Sleeps for ms milliseconds, resuming after signals unless *stop is set. */
void time_sleep_ms(int64_t ms, const volatile int *stop);

#endif

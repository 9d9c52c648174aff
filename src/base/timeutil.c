#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "base/timeutil.h"
#include "base/banned.h"

int64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t time_mono_ms(void)
{
	return time_mono_ns() / 1000000;
}

int64_t time_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct parts { unsigned y, mo, d, h, mi, s, ms; };

static void split(int64_t unix_ms, struct parts *pt)
{
	int64_t s = unix_ms / 1000;
	int r = (int)(unix_ms % 1000);
	struct tm tm;
	time_t t;

	if (r < 0) {
		r += 1000;
		s--;
	}
	t = (time_t)s;
	gmtime_r(&t, &tm);
	/* the modulos tell the compiler (and the reader) each field's width */
	pt->y = (unsigned)(tm.tm_year + 1900) % 10000u;
	pt->mo = (unsigned)(tm.tm_mon + 1) % 100u;
	pt->d = (unsigned)tm.tm_mday % 100u;
	pt->h = (unsigned)tm.tm_hour % 100u;
	pt->mi = (unsigned)tm.tm_min % 100u;
	pt->s = (unsigned)tm.tm_sec % 100u;
	pt->ms = (unsigned)r % 1000u;
}

void time_rfc3339(int64_t unix_ms, char out[RFC3339_MAX])
{
	struct parts p;

	split(unix_ms, &p);
	snprintf(out, RFC3339_MAX, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		 p.y, p.mo, p.d, p.h, p.mi, p.s);
}

void time_rfc3339_ms(int64_t unix_ms, char out[RFC3339_MAX])
{
	struct parts p;

	split(unix_ms, &p);
	snprintf(out, RFC3339_MAX, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
		 p.y, p.mo, p.d, p.h, p.mi, p.s, p.ms);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n--) {
		if (!isdigit((unsigned char)**p))
			return -EINVAL;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int time_parse(const char *s, int64_t *unix_ms)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, frac_ms = 0, off_min = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (!s)
		return -EINVAL;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		int scale = 100;
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			frac_ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		off_min = sign * (oh * 60 + om);
	} else if (*p) {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	*unix_ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		     sec - off_min * 60) * 1000) + frac_ms;
	return 0;
}

void time_sleep_ms(int64_t ms, const volatile int *stop)
{
	int64_t end = time_mono_ms() + ms;

	while (!(stop && *stop)) {
		int64_t left = end - time_mono_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (stop && left > 100)
			left = 100; /* wake up to notice *stop */
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/str.h"
#include "base/banned.h"

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

size_t str_copy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);
	size_t c = len < n - 1 ? len : n - 1;

	memcpy(dst, src, c);
	dst[c] = '\0';
	return len;
}

char *str_trim(char *s)
{
	size_t len = strlen(s);
	size_t start = 0;

	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	while (start < len && isspace((unsigned char)s[start]))
		start++;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
	return s;
}

int str_to_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

int str_to_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

int str_to_int(const char *s, int *out)
{
	int64_t v;
	int err = str_to_i64(s, &v);

	if (err)
		return err;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

int str_to_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || !isfinite(v))
		return -EINVAL;
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return -ERANGE;
	*out = v;
	return 0;
}

int str_to_duration_ms(const char *s, int64_t *out_ms)
{
	double total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	{
		double v;
		if (str_to_double(s, &v) == 0) {
			if (v < 0 || v > 9e15 / 1000)
				return -ERANGE;
			*out_ms = (int64_t)llround(v * 1000);
			return 0;
		}
	}
	while (*p) {
		char *end;
		double v, mul;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		if (str_starts_with(p, "ms")) {
			mul = 1; p += 2;
		} else if (*p == 's') {
			mul = 1000; p++;
		} else if (*p == 'm') {
			mul = 60e3; p++;
		} else if (*p == 'h') {
			mul = 3600e3; p++;
		} else if (*p == 'd') {
			mul = 86400e3; p++;
		} else {
			return -EINVAL;
		}
		total += v * mul;
		if (total > 9e15)
			return -ERANGE;
	}
	*out_ms = (int64_t)llround(total);
	return 0;
}

int str_to_quantity(const char *s, double *out)
{
	static const struct { const char *sfx; double mul; } sfx[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 },
		{ "Ti", 1099511627776.0 }, { "Pi", 1125899906842624.0 },
		{ "Ei", 1152921504606846976.0 },
		{ "n", 1e-9 }, { "u", 1e-6 }, { "m", 1e-3 }, { "k", 1e3 },
		{ "M", 1e6 }, { "G", 1e9 }, { "T", 1e12 }, { "P", 1e15 }, { "E", 1e18 },
	};
	char num[64];
	const char *p = s;
	size_t n, i;
	double v;

	if (!s || !*s)
		return -EINVAL;
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
	    ((p[1] == '-' || p[1] == '+') && isdigit((unsigned char)p[2])))) {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	n = (size_t)(p - s);
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (str_to_double(num, &v))
		return -EINVAL;
	if (*p) {
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (strcmp(p, sfx[i].sfx) == 0)
				break;
		if (i == sizeof(sfx) / sizeof(sfx[0]))
			return -EINVAL;
		v *= sfx[i].mul;
	}
	if (!isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int str_to_bytes(const char *s, uint64_t *out)
{
	double v;
	int err = str_to_quantity(s, &v);

	if (err)
		return err;
	if (v < 0)
		return -ERANGE;
	if (v >= 18446744073709551616.0)
		return -ERANGE;
	*out = (uint64_t)ceil(v);
	return 0;
}

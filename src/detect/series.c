#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "detect/series.h"
#include "base/banned.h"

#define MAX_COLS 64

/* Splits line (NUL-terminated, modified in place) at commas; returns count. */
static int split(char *line, char **cols, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *c = strchr(p, ',');
		if (n == max)
			return -1;
		cols[n++] = p;
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	for (int i = 0; i < n; i++) {
		size_t l;
		str_trim(cols[i]);
		l = strlen(cols[i]);
		if (l >= 2 && cols[i][0] == '"' && cols[i][l - 1] == '"') {
			cols[i][l - 1] = '\0';
			cols[i]++;
		}
	}
	return n;
}

int series_parse(const char *text, size_t len, struct series *out,
		 char *err, size_t errlen)
{
	struct series s = { 0 };
	size_t cap = 0, pos = 0, tpos = 0;
	int lineno = 0, tcol = -1, vcol = -1, rc = -EINVAL;
	char line[SERIES_MAX_LINE + 1];

	if (len > SERIES_MAX_BYTES) {
		snprintf(err, errlen, "input larger than %u bytes", SERIES_MAX_BYTES);
		return -E2BIG;
	}
	s.text = xmalloc(len + 1);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *cols[MAX_COLS];
		int nc;

		lineno++;
		if (l > SERIES_MAX_LINE) {
			snprintf(err, errlen, "line %d: longer than %d bytes", lineno,
				 SERIES_MAX_LINE);
			goto fail;
		}
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos += l + (nl ? 1 : 0);
		if (strlen(line) != l) {
			snprintf(err, errlen, "line %d: NUL byte", lineno);
			goto fail;
		}
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (!line[0])
			continue;
		nc = split(line, cols, MAX_COLS);
		if (nc < 0) {
			snprintf(err, errlen, "line %d: more than %d columns", lineno, MAX_COLS);
			goto fail;
		}
		if (tcol < 0) {
			for (int i = 0; i < nc; i++) {
				if (!strcmp(cols[i], "timestamp") && tcol < 0)
					tcol = i;
				else if (!strcmp(cols[i], "value") && vcol < 0)
					vcol = i;
			}
			if (tcol < 0 || vcol < 0) {
				snprintf(err, errlen, "line %d: header needs 'timestamp' and 'value' columns",
					 lineno);
				goto fail;
			}
			continue;
		}
		if (nc <= tcol || nc <= vcol) {
			snprintf(err, errlen, "line %d: %d columns, expected at least %d", lineno,
				 nc, (tcol > vcol ? tcol : vcol) + 1);
			goto fail;
		}
		if (s.n >= SERIES_MAX_ROWS) {
			snprintf(err, errlen, "line %d: more than %d rows", lineno, SERIES_MAX_ROWS);
			rc = -E2BIG;
			goto fail;
		}
		if (s.n == cap) {
			size_t c2 = cap;
			ARRAY_GROW(s.ts_ms, c2, s.n + 1);
			c2 = cap;
			ARRAY_GROW(s.value, c2, s.n + 1);
			ARRAY_GROW(s.ts_text, cap, s.n + 1);
		}
		if (time_parse(cols[tcol], &s.ts_ms[s.n]) < 0) {
			snprintf(err, errlen, "line %d: bad timestamp '%.40s'", lineno, cols[tcol]);
			goto fail;
		}
		if (str_to_double(cols[vcol], &s.value[s.n]) < 0)
			s.value[s.n] = NAN;
		{
			size_t tl = strlen(cols[tcol]);
			memcpy(s.text + tpos, cols[tcol], tl + 1);
			s.ts_text[s.n] = s.text + tpos;
			tpos += tl + 1;
		}
		s.n++;
	}
	if (tcol < 0) {
		snprintf(err, errlen, "line %d: no header", lineno);
		goto fail;
	}
	/* ts_text pointed into s.text, which never moved: no fix-up needed. */
	*out = s;
	return 0;
fail:
	series_release(&s);
	return rc;
}

int series_read_file(const char *path, struct series *out, char *err,
		     size_t errlen)
{
	struct buf b;
	char e[200];
	int rc;

	buf_init(&b, SERIES_MAX_BYTES);
	rc = file_read_all(path, SERIES_MAX_BYTES, &b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		buf_release(&b);
		return rc;
	}
	rc = series_parse(b.data, b.len, out, e, sizeof(e));
	if (rc < 0)
		snprintf(err, errlen, "%s:%s", path, e + (strncmp(e, "line ", 5) ? 0 : 5));
	buf_release(&b);
	return rc;
}

void series_release(struct series *s)
{
	if (!s)
		return;
	free(s->ts_ms);
	free(s->value);
	free(s->ts_text);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

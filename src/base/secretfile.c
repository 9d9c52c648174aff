#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/secretfile.h"
#include "base/banned.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int secret_parse(const char *data, size_t len, char **out, char *err, size_t errlen)
{
	size_t a = 0, b = len, line = 1, col = 1;

	if (len > SECRET_FILE_MAX) {
		snprintf(err, errlen, "larger than %d bytes", SECRET_FILE_MAX);
		return -E2BIG;
	}
	while (a < b && blank(data[a])) {
		if (data[a] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		a++;
	}
	while (b > a && blank(data[b - 1]))
		b--;
	if (a == b) {
		snprintf(err, errlen, "the file is empty");
		return -EINVAL;
	}
	for (size_t i = a; i < b; i++, col++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n' || c == '\r') {
			snprintf(err, errlen, "line %zu, column %zu: more than one line", line, col);
			return -EINVAL;
		}
		if (c <= 0x20 || c >= 0x7f) {
			snprintf(err, errlen, "line %zu, column %zu: %s", line, col,
				 c == ' ' || c == '\t' ? "a blank inside the secret" :
				 c < 0x20 || c == 0x7f ? "a control character" : "a byte that is not ASCII");
			return -EINVAL;
		}
	}
	*out = xstrndup(data + a, b - a);
	return 0;
}

int secret_read_file(const char *path, char **out, char *err, size_t errlen)
{
	struct buf b;
	char why[96];
	int rc;

	buf_init(&b, SECRET_FILE_MAX);
	rc = file_read_all(path, SECRET_FILE_MAX, &b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -E2BIG ? "larger than 16 KiB" : strerror(-rc));
	} else {
		rc = secret_parse(b.data ? b.data : "", b.len, out, why, sizeof(why));
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", path, why);
	}
	if (b.data)
		memset(b.data, 0, b.len);
	buf_release(&b);
	return rc;
}

void secret_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

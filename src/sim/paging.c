#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sim/api.h"
#include "sim/b64.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/banned.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		buf_addch(&b, b64chars[(v >> 18) & 63]);
		buf_addch(&b, b64chars[(v >> 12) & 63]);
		buf_addch(&b, i + 1 < len ? b64chars[(v >> 6) & 63] : '=');
		buf_addch(&b, i + 2 < len ? b64chars[v & 63] : '=');
	}
	return buf_detach(&b, NULL);
}

static int b64val(char c)
{
	const char *p;

	if (c == '-')
		return 62;      /* URL-safe alphabet too */
	if (c == '_')
		return 63;
	p = c ? strchr(b64chars, c) : NULL;
	return p ? (int)(p - b64chars) : -1;
}

int b64_decode(const char *s, struct buf *out)
{
	unsigned v = 0;
	int bits = 0;

	for (; *s && *s != '='; s++) {
		int d = b64val(*s);

		if (d < 0)
			return -EINVAL;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (buf_addch(out, (char)((v >> bits) & 0xff)))
				return -E2BIG;
		}
	}
	for (; *s == '='; s++)
		;
	return *s ? -EINVAL : 0;
}

/* As the API server does: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}. */
char *cont_encode(uint64_t rv, const char *ns, const char *name)
{
	struct buf b = BUF_INIT, key = BUF_INIT;
	char *out;

	buf_addf(&key, "%s/%s", ns ? ns : "", name);
	buf_addf(&b, "{\"v\":\"meta.k8s.io/v1\",\"rv\":%llu,\"start\":", (unsigned long long)rv);
	buf_add_json_str(&b, key.data);
	buf_addch(&b, '}');
	out = b64_encode(b.data, b.len);
	buf_release(&b);
	buf_release(&key);
	return out;
}

int cont_decode(const char *tok, uint64_t *rv, char **ns, char **name)
{
	struct buf b;
	json_t *j;
	const char *start, *slash;
	json_int_t r;
	int rc = -EINVAL;

	buf_init(&b, 4096);
	if (!tok || strlen(tok) > 4096 || b64_decode(tok, &b)) {
		buf_release(&b);
		return -EINVAL;
	}
	j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	buf_release(&b);
	if (!json_is_object(j))
		goto out;
	start = json_string_value(json_object_get(j, "start"));
	r = json_integer_value(json_object_get(j, "rv"));
	if (!json_is_integer(json_object_get(j, "rv")) || r <= 0 || !start ||
	    !json_is_string(json_object_get(j, "v")) ||
	    strcmp(json_string_value(json_object_get(j, "v")), "meta.k8s.io/v1"))
		goto out;
	slash = strchr(start, '/');
	if (!slash || !slash[1] || strchr(slash + 1, '/'))
		goto out;
	*rv = (uint64_t)r;
	*ns = xstrndup(start, (size_t)(slash - start));
	*name = xstrdup(slash + 1);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

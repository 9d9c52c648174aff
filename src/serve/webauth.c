#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <jansson.h>
#include "serve/webauth.h"
#include "base/buf.h"
#include "base/secretfile.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

#define ID_HEX 48       /* 24 random bytes */

struct session {
	char id[ID_HEX + 1];
	char csrf[ID_HEX + 1];
	int64_t expires_ms;
};

struct webauth {
	pthread_mutex_t mu;
	char *token;
	bool reads;
	struct session s[WEBAUTH_MAX_SESSIONS];
};

bool webauth_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i < lb ? i : 0]);
	return !d && la == lb;
}

struct webauth *webauth_new(const char *token, bool reads_need_auth)
{
	struct webauth *a = xcalloc(1, sizeof(*a));

	pthread_mutex_init(&a->mu, NULL);
	a->token = token && *token ? xstrdup(token) : NULL;
	a->reads = reads_need_auth;
	return a;
}

void webauth_free(struct webauth *a)
{
	if (!a)
		return;
	if (a->token) {
		memset(a->token, 0, strlen(a->token));
		free(a->token);
	}
	memset(a->s, 0, sizeof(a->s));
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int webauth_read_token(const char *path, char **out, char *err, size_t errlen)
{
	char *tok = NULL;
	int rc = secret_read_file(path, &tok, err, errlen);

	if (rc < 0)
		return rc;
	if (strlen(tok) < 16) {
		snprintf(err, errlen, "%s: the token must be at least 16 characters", path);
		secret_free(tok);
		return -EINVAL;
	}
	*out = tok;
	return 0;
}

bool webauth_has_token(const struct webauth *a)
{
	return a->token != NULL;
}

bool webauth_reads_need_auth(const struct webauth *a)
{
	return a->reads;
}

bool webauth_bearer_ok(const struct webauth *a, const struct httpd_req *r)
{
	const char *h = httpd_req_header(r, "Authorization");

	if (!a->token || !h || strncasecmp(h, "Bearer ", 7))
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return webauth_same(h, a->token);
}

/* The value of cookie name in the Cookie header, copied into out. */
static bool cookie(const struct httpd_req *r, const char *name, char *out, size_t outlen)
{
	const char *h = httpd_req_header(r, "Cookie");
	size_t nl = strlen(name);

	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (!strncmp(h, name, nl) && h[nl] == '=') {
			const char *v = h + nl + 1, *end = strchr(v, ';');
			size_t len = end ? (size_t)(end - v) : strlen(v);

			if (len >= outlen)
				return false;
			memcpy(out, v, len);
			out[len] = '\0';
			return true;
		}
		h = strchr(h, ';');
	}
	return false;
}

/* An Origin header, when sent, must name the host the request went to. */
static bool same_origin(const struct httpd_req *r)
{
	const char *origin = httpd_req_header(r, "Origin");
	const char *host = httpd_req_header(r, "Host");
	const char *p;

	if (!origin)
		return true;
	if (!host)
		return false;
	p = strstr(origin, "://");
	return p && !strcmp(p + 3, host);
}

/*
 * Without a token, a request must have asked for a loopback host by name
 * or address: a site whose name an attacker points at 127.0.0.1 (DNS
 * rebinding) is then not the same origin as the page, and gets nothing.
 */
bool webauth_host_ok(const struct webauth *a, const struct httpd_req *r)
{
	const char *host = httpd_req_header(r, "Host");
	size_t n;

	if (a->token)
		return true;
	if (!host)
		return false;
	n = strcspn(host, ":");
	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5) && (host[5] == '\0' || host[5] == ':');
	if (n == 9 && !strncasecmp(host, "localhost", 9))
		return true;
	if (n >= 7 && n <= 15 && !strncmp(host, "127.", 4)) {
		for (size_t i = 4; i < n; i++)
			if (!(isdigit((unsigned char)host[i]) || host[i] == '.'))
				return false;
		return true;
	}
	return false;
}

static struct session *session_of(struct webauth *a, const struct httpd_req *r, int64_t now_ms)
{
	char id[ID_HEX + 8];

	if (!cookie(r, WEBAUTH_COOKIE, id, sizeof(id)))
		return NULL;
	for (int i = 0; i < WEBAUTH_MAX_SESSIONS; i++)
		if (a->s[i].id[0] && a->s[i].expires_ms > now_ms && webauth_same(a->s[i].id, id))
			return &a->s[i];
	return NULL;
}

bool webauth_write_ok(struct webauth *a, const struct httpd_req *r, int64_t now_ms)
{
	const char *csrf = httpd_req_header(r, "X-CSRF-Token");
	struct session *s;
	bool ok;

	if (webauth_bearer_ok(a, r))
		return true;
	if (!csrf || !same_origin(r) || !webauth_host_ok(a, r))
		return false;
	pthread_mutex_lock(&a->mu);
	s = session_of(a, r, now_ms);
	ok = s && webauth_same(s->csrf, csrf);
	pthread_mutex_unlock(&a->mu);
	return ok;
}

bool webauth_read_ok(struct webauth *a, const struct httpd_req *r, int64_t now_ms)
{
	bool ok;

	if (!webauth_host_ok(a, r))
		return false;
	if (!a->reads || webauth_bearer_ok(a, r))
		return true;
	pthread_mutex_lock(&a->mu);
	ok = session_of(a, r, now_ms) != NULL;
	pthread_mutex_unlock(&a->mu);
	return ok;
}

static int random_hex(char out[ID_HEX + 1])
{
	unsigned char b[ID_HEX / 2];
	static const char hex[] = "0123456789abcdef";

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[ID_HEX] = '\0';
	return 0;
}

static void deny(struct httpd_resp *resp, const char *msg)
{
	resp->status = 401;
	buf_addf(&resp->body, "{\"error\":\"%s\"}\n", msg);
}

void webauth_login(struct webauth *a, const struct httpd_req *r, struct httpd_resp *resp,
		   int64_t now_ms)
{
	json_error_t je;
	json_t *body = json_loadb(r->body, r->body_len, 0, &je);
	const char *tok = json_string_value(json_object_get(body, "token"));
	struct session *slot = NULL;
	char ck[160];

	if (!same_origin(r) || !webauth_host_ok(a, r)) {
		json_decref(body);
		deny(resp, "cross-origin request, or a host name that is not loopback");
		return;
	}
	if (a->token && !(tok && webauth_same(tok, a->token)) && !webauth_bearer_ok(a, r)) {
		json_decref(body);
		deny(resp, "a valid token is needed");
		return;
	}
	json_decref(body);
	pthread_mutex_lock(&a->mu);
	/* a free or expired slot, else the one closest to expiry */
	for (int i = 0; i < WEBAUTH_MAX_SESSIONS; i++) {
		struct session *s = &a->s[i];

		if (!s->id[0] || s->expires_ms <= now_ms) {
			slot = s;
			break;
		}
		if (!slot || s->expires_ms < slot->expires_ms)
			slot = s;
	}
	if (random_hex(slot->id) || random_hex(slot->csrf)) {
		memset(slot, 0, sizeof(*slot));
		pthread_mutex_unlock(&a->mu);
		resp->status = 500;
		buf_adds(&resp->body, "{\"error\":\"no randomness\"}\n");
		return;
	}
	slot->expires_ms = now_ms + WEBAUTH_SESSION_MS;
	snprintf(ck, sizeof(ck), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld",
		 WEBAUTH_COOKIE, slot->id, (long long)(WEBAUTH_SESSION_MS / 1000));
	httpd_resp_header(resp, "Set-Cookie", ck);
	buf_addf(&resp->body, "{\"csrf\":\"%s\"}\n", slot->csrf);
	pthread_mutex_unlock(&a->mu);
}

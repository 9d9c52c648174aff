#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/mem.h"
#include "insight/redact.h"
#include "base/banned.h"

struct redact_name {
	char *name;
	char *placeholder;
	size_t len;
};

static const char *const kind_names[RK__COUNT] = {
	"namespace", "pod", "node", "container", "workload",
};

void redactor_init(struct redactor *r)
{
	memset(r, 0, sizeof(*r));
}

void redactor_release(struct redactor *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->names[i].name);
		free(r->names[i].placeholder);
	}
	free(r->names);
	memset(r, 0, sizeof(*r));
}

const char *redactor_name(struct redactor *r, enum redact_kind kind,
			  const char *name)
{
	struct redact_name *nm;
	char ph[48];
	size_t i;

	if (!name || !*name || kind >= RK__COUNT)
		return NULL;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->names[i].name, name) == 0)
			return r->names[i].placeholder;
	snprintf(ph, sizeof(ph), "[%s-%d]", kind_names[kind], ++r->next[kind]);
	ARRAY_GROW(r->names, r->cap, r->n + 1);
	/* keep longest first, so "web-12" wins over "web-1" at one position */
	for (i = 0; i < r->n && r->names[i].len >= strlen(name); i++)
		;
	memmove(r->names + i + 1, r->names + i, (r->n - i) * sizeof(*r->names));
	nm = &r->names[i];
	nm->name = xstrdup(name);
	nm->placeholder = xstrdup(ph);
	nm->len = strlen(name);
	r->n++;
	return nm->placeholder;
}

/* Characters that continue a Kubernetes name or a token. */
static bool word_ch(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

static bool starts_word(const char *text, size_t i)
{
	if (i == 0)
		return true;
	if (word_ch(text[i - 1]))
		return false;
	/* "a.b": a dot between word characters joins them */
	if (text[i - 1] == '.' && i >= 2 && word_ch(text[i - 2]))
		return false;
	return true;
}

static bool ends_word(const char *s)
{
	if (word_ch(*s))
		return false;
	if (*s == '.' && word_ch(s[1]))
		return false;
	return true;
}

/* A registered name at text+i, ending at a word boundary: its entry. */
static const struct redact_name *match_name(const struct redactor *r,
					    const char *text, size_t i)
{
	for (size_t k = 0; k < r->n; k++) {
		const struct redact_name *nm = &r->names[k];
		/* "web" also hides the "web" of "web-7d4b9c" (its ReplicaSet) */
		if (strncmp(text + i, nm->name, nm->len) == 0 &&
		    (ends_word(text + i + nm->len) || text[i + nm->len] == '-' ||
		     text[i + nm->len] == '_'))
			return nm;
	}
	return NULL;
}

static size_t ipv4_len(const char *s)
{
	const char *p = s;

	for (int part = 0; part < 4; part++) {
		int v = 0, digits = 0;
		if (part) {
			if (*p != '.')
				return 0;
			p++;
		}
		while (isdigit((unsigned char)*p) && digits < 4) {
			v = v * 10 + (*p - '0');
			digits++;
			p++;
		}
		if (!digits || digits > 3 || v > 255)
			return 0;
	}
	if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
		return 0;
	return (size_t)(p - s);
}

static size_t ipv6_len(const char *s)
{
	size_t n = 0, colons = 0, hexd = 0;
	bool dbl = false;

	while (isxdigit((unsigned char)s[n]) || s[n] == ':' ||
	       (s[n] == '.' && n && isdigit((unsigned char)s[n + 1]))) {
		if (s[n] == ':') {
			colons++;
			if (s[n + 1] == ':')
				dbl = true;
		} else if (isxdigit((unsigned char)s[n])) {
			hexd++;
		}
		n++;
	}
	/* "04:28:01" is a time: an address needs "::" or many groups */
	if (colons < 2 || !hexd || (!dbl && colons < 5))
		return 0;
	if (word_ch(s[n]))
		return 0;
	return n;
}

static bool email_local_ch(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("._%+-", c));
}

/* An e-mail address at s: its length, or 0. */
static size_t email_len(const char *s)
{
	size_t n = 0, dom, lastdot = 0;

	while (email_local_ch(s[n]))
		n++;
	if (!n || s[n] != '@')
		return 0;
	dom = ++n;
	while (isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '.') {
		if (s[n] == '.')
			lastdot = n;
		n++;
	}
	while (n > dom && s[n - 1] == '.')
		n--;
	if (!lastdot || lastdot <= dom || lastdot + 2 >= n + 1)
		return 0;
	for (size_t k = lastdot + 1; k < n; k++)
		if (!isalpha((unsigned char)s[k]))
			return 0;
	return n - lastdot - 1 >= 2 ? n : 0;
}

/* "scheme://user:pass@" at s: the length up to the '@' inclusive, and the
 * scheme's length (with "://") in *scheme. */
static size_t url_creds_len(const char *s, size_t *scheme)
{
	size_t n = 0, at = 0;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '.' || s[n] == '-')
		n++;
	if (strncmp(s + n, "://", 3) != 0)
		return 0;
	n += 3;
	*scheme = n;
	for (size_t k = n; s[k] && !strchr("/?# \t\r\n\"'<>", s[k]); k++)
		if (s[k] == '@')
			at = k;
	return at ? at + 1 : 0;
}

static const char *const secret_keys[] = {
	"password", "passwd", "pwd", "secret", "client_secret", "token",
	"access_token", "refresh_token", "id_token", "api_key", "apikey",
	"api-key", "access_key", "secret_key", "private_key", "authorization",
	"auth", "credential", "credentials", "bearer", "basic", "x-api-key",
};

/*
 * "password=hunter2", "token: abc", "Authorization: Bearer abc": the length
 * of the key and separator (kept) in *keep and the value's length (hidden).
 */
static size_t secret_kv_len(const char *s, size_t *keep)
{
	for (size_t k = 0; k < sizeof(secret_keys) / sizeof(secret_keys[0]); k++) {
		size_t kl = strlen(secret_keys[k]), n, v;
		bool scheme = !strcmp(secret_keys[k], "bearer") || !strcmp(secret_keys[k], "basic");

		if (strncasecmp(s, secret_keys[k], kl) != 0 || word_ch(s[kl]))
			continue;
		n = kl;
		if (s[n] == '"' || s[n] == '\'')
			n++;
		while (s[n] == ' ' || s[n] == '\t')
			n++;
		if (s[n] == '=' || s[n] == ':') {
			n++;
			while (s[n] == ' ' || s[n] == '\t' || s[n] == '"' || s[n] == '\'')
				n++;
		} else if (!scheme || n == kl) {
			continue;
		}
		v = 0;
		/* "Authorization: Bearer abc" hides the scheme and the credential */
		if (!strncasecmp(s + n, "bearer ", 7) || !strncasecmp(s + n, "basic ", 6))
			v = s[n + 1] == 'e' || s[n + 1] == 'E' ? 7 : 6;
		while (s[n + v] && !strchr(" \t\r\n\"',;&)}]", s[n + v]))
			v++;
		if (!v)
			continue;
		*keep = n;
		return v;
	}
	return 0;
}

/* A token-like run (an API key, a JWT, a long hex or base64 string). */
static size_t token_len(const char *s)
{
	size_t n = 0;
	int upper = 0, lower = 0, digit = 0;
	bool hex = true;

	while (isalnum((unsigned char)s[n]) || (s[n] && strchr("+/=_-.", s[n]))) {
		unsigned char c = (unsigned char)s[n];
		if (isupper(c)) upper = 1;
		else if (islower(c)) lower = 1;
		else if (isdigit(c)) digit = 1;

		if (!isxdigit(c))
			hex = false;
		n++;
	}
	while (n && (s[n - 1] == '.' || s[n - 1] == '-'))
		n--;
	if (n >= 12 && (!strncmp(s, "sk-", 3) || !strncmp(s, "ghp_", 4) ||
			!strncmp(s, "xox", 3) || !strncmp(s, "AKIA", 4) ||
			!strncmp(s, "eyJ", 3)))
		return n;
	if (n >= 32 && hex)
		return n;
	/* Kubernetes names are lowercase: mixed case with digits is a secret */
	if (n >= 20 && upper && lower && digit)
		return n;
	return 0;
}

int redactor_apply(const struct redactor *r, const char *text, struct buf *out)
{
	size_t i = 0, start = out->len;
	int err = 0;

	while (text[i] && !err) {
		char prev = i ? text[i - 1] : ' ';
		size_t n, keep, scheme;
		const struct redact_name *nm;

		/* addresses are looked for everywhere, even inside words */
		if (!isdigit((unsigned char)prev) && prev != '.' &&
		    (n = ipv4_len(text + i)) != 0) {
			err = buf_adds(out, "[ip]");
			i += n;
		} else if (!isxdigit((unsigned char)prev) && prev != ':' &&
			   (n = ipv6_len(text + i)) != 0) {
			err = buf_adds(out, "[ip]");
			i += n;
		} else if (prev == '_' && (nm = match_name(r, text, i)) != NULL) {
			/* kubelet writes "pod_namespace(uid)": no name has a '_',
			 * so it joins two names rather than continuing one */
			err = buf_adds(out, nm->placeholder);
			i += nm->len;
		} else if (!starts_word(text, i)) {
			err = buf_addch(out, text[i++]);
		} else if ((n = url_creds_len(text + i, &scheme)) != 0) {
			err = buf_add(out, text + i, scheme);
			if (!err)
				err = buf_adds(out, "[secret]@");
			i += n;
		} else if ((n = email_len(text + i)) != 0) {
			err = buf_adds(out, "[email]");
			i += n;
		} else if ((nm = match_name(r, text, i)) != NULL) {
			err = buf_adds(out, nm->placeholder);
			i += nm->len;
		} else if ((n = secret_kv_len(text + i, &keep)) != 0) {
			err = buf_add(out, text + i, keep);
			if (!err)
				err = buf_adds(out, "[secret]");
			i += keep + n;
		} else if ((n = token_len(text + i)) != 0) {
			err = buf_adds(out, "[secret]");
			i += n;
		} else {
			err = buf_addch(out, text[i++]);
		}
	}
	if (err)
		buf_truncate(out, start);
	return err;
}

const char *redactor_lookup(const struct redactor *r, const char *placeholder)
{
	for (size_t k = 0; k < r->n; k++)
		if (strcmp(r->names[k].placeholder, placeholder) == 0)
			return r->names[k].name;
	return NULL;
}

int redactor_restore(const struct redactor *r, const char *text, struct buf *out)
{
	size_t i = 0, start = out->len;
	int err = 0;

	while (text[i] && !err) {
		const char *close = text[i] == '[' ? strchr(text + i, ']') : NULL;
		if (close && close - (text + i) < 40) {
			char ph[48];
			size_t len = (size_t)(close - (text + i)) + 1;
			const char *name;
			memcpy(ph, text + i, len);
			ph[len] = '\0';
			if ((name = redactor_lookup(r, ph)) != NULL) {
				err = buf_adds(out, name);
				i += len;
				continue;
			}
		}
		err = buf_addch(out, text[i++]);
	}
	if (err)
		buf_truncate(out, start);
	return err;
}

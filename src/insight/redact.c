#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
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

/* An e-mail address at s ("ops@example.com", "user@localhost"): its length, or 0. */
static size_t email_len(const char *s)
{
	size_t n = 0, dom;
	bool letter = false;

	while (email_local_ch(s[n]))
		n++;
	if (!n || s[n] != '@')
		return 0;
	dom = ++n;
	while (isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '.') {
		letter |= isalpha((unsigned char)s[n]) != 0;
		n++;
	}
	while (n > dom && (s[n - 1] == '.' || s[n - 1] == '-'))
		n--;
	return n - dom >= 2 && letter ? n : 0;
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

/* Words that make a key name a secret's ("DB_PASSWORD", "api_token", "PGPASS"). */
static const char *const secret_words[] = {
	"password", "passwd", "passphrase", "secret", "token", "apikey", "api_key",
	"api-key", "credential", "private_key", "privatekey", "access_key", "accesskey",
	"auth", "cookie", "signature", "session_key",
};
/* Components that do the same on their own or at the end of one ("pass", "dbpass", "pwd"). */
static const char *const secret_parts[] = { "pass", "pwd", "pw", "key", "pin" };

static bool key_ch(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Whether the identifier s[0..n) names a secret. */
static bool secret_key(const char *s, size_t n)
{
	char low[96];
	size_t i, start;

	if (!n || n >= sizeof(low))
		return false;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	for (i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strstr(low, secret_words[i]))
			return true;
	for (start = 0; start < n; start = i + 1) {
		size_t len;

		for (i = start; i < n && low[i] != '_' && low[i] != '-' && low[i] != '.'; i++)
			;
		len = i - start;
		for (size_t k = 0; k < sizeof(secret_parts) / sizeof(secret_parts[0]); k++) {
			size_t pl = strlen(secret_parts[k]);

			/* "pass", "DBPASS"; but "pin"/"pw"/"key" only whole ("keyboard" is not one) */
			if (len == pl && !strncmp(low + start, secret_parts[k], pl))
				return true;
			if (pl >= 3 && strcmp(secret_parts[k], "pin") && strcmp(secret_parts[k], "key") &&
			    len > pl && !strncmp(low + i - pl, secret_parts[k], pl))
				return true;
		}
	}
	return false;
}

static const char value_end[] = " \t\r\n\"',;&)}]";

/* The length of a value at s (up to a delimiter); "Bearer x"/"Basic x" count as one. */
static size_t value_len(const char *s)
{
	size_t v = 0;

	if (!strncasecmp(s, "bearer ", 7) || !strncasecmp(s, "basic ", 6))
		v = s[1] == 'e' || s[1] == 'E' ? 7 : 6;
	while (s[v] && !strchr(value_end, s[v]))
		v++;
	/* a sentence's full stop is not part of it */
	if (v > 1 && s[v - 1] == '.')
		v--;
	return v;
}

/*
 * A key naming a secret and its value: "password=hunter2", "DB_PASSWORD: x",
 * "\"api_key\": \"x\"", "Authorization: Bearer x", "the password is x",
 * "bearer x". Returns the value's length (hidden) and the length before it
 * (kept) in *keep.
 */
static size_t secret_kv_len(const char *s, size_t *keep)
{
	size_t k = 0, n, v;

	while (key_ch(s[k]))
		k++;
	while (k && (s[k - 1] == '.' || s[k - 1] == '-'))
		k--;
	if (!secret_key(s, k))
		return 0;
	n = k;
	if (s[n] == '"' || s[n] == '\'')
		n++;
	while (s[n] == ' ' || s[n] == '\t')
		n++;
	if (s[n] == '=' || s[n] == ':') {
		n++;
		if (s[n] == '>')
			n++;
		while (s[n] == ' ' || s[n] == '\t' || s[n] == '"' || s[n] == '\'')
			n++;
	} else {
		/* prose: "password is x", "token was x", "secret for db is x" (within a few words) */
		size_t m = n, words = 0;
		bool found = false;

		while (s[m] && words < 5 && !strchr(".\r\n;", s[m])) {
			size_t w = m;

			while (s[w] && !strchr(" \t\r\n.;", s[w]))
				w++;
			if ((w - m == 2 && !strncasecmp(s + m, "is", 2)) ||
			    (w - m == 3 && !strncasecmp(s + m, "was", 3)) ||
			    (w - m == 6 && !strncasecmp(s + m, "equals", 6)) ||
			    (w - m == 1 && s[m] == '=')) {
				m = w;
				found = true;
				break;
			}
			/* "bearer x", "basic x": the word after the scheme */
			if (!words && (k == 6 || k == 5) &&
			    (!strncasecmp(s, "bearer", 6) || !strncasecmp(s, "basic", 5)) && w > m) {
				found = true;
				break;
			}
			words++;
			m = w;
			while (s[m] == ' ' || s[m] == '\t')
				m++;
		}
		if (!found)
			return 0;
		while (s[m] == ' ' || s[m] == '\t' || s[m] == ':' || s[m] == '"' || s[m] == '\'')
			m++;
		n = m;
	}
	v = value_len(s + n);
	if (!v)
		return 0;
	*keep = n;
	return v;
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

/* "10-0-4-22" (an address spelled with dashes, as in node and pod DNS names). */
static size_t dashed_ipv4_len(const char *s)
{
	const char *p = s;

	for (int part = 0; part < 4; part++) {
		int v = 0, digits = 0;

		if (part) {
			if (*p != '-')
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
	return isdigit((unsigned char)*p) ? 0 : (size_t)(p - s);
}

/* Last labels that make even a two-label name a host's. */
static const char *const internal_tlds[] = {
	"local", "internal", "svc", "cluster", "lan", "corp", "localdomain", "intranet", "home",
};

static bool host_label_ch(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/*
 * A host name at s: three labels or more ("db.payments.svc.cluster.local",
 * "ip-10-0-4-22.ec2.internal") or two ending in an internal domain
 * ("db.internal"), the last label not a number ("v1.2.3" is a version).
 */
static size_t host_len(const char *s)
{
	size_t n = 0, labels = 0, last = 0;
	bool letter = false, last_alpha;

	for (;;) {
		size_t start = n;

		while (host_label_ch(s[n])) {
			letter |= isalpha((unsigned char)s[n]) != 0;
			n++;
		}
		if (n == start)
			return 0;
		labels++;
		last = start;
		if (s[n] != '.' || !host_label_ch(s[n + 1]))
			break;
		n++;
	}
	/* "app.db.password=x" is a key, whose value is the secret */
	if (labels < 2 || !letter || s[n] == '=')
		return 0;
	last_alpha = false;
	for (size_t k = last; k < n; k++)
		last_alpha |= isalpha((unsigned char)s[k]) != 0;
	if (!last_alpha)
		return 0;
	/* label and taint prefixes ("node.kubernetes.io/not-ready") are public words */
	if ((n >= 14 && !strncasecmp(s + n - 14, ".kubernetes.io", 14)) ||
	    (n >= 7 && !strncasecmp(s + n - 7, ".k8s.io", 7)))
		return 0;
	if (labels >= 3)
		return n;
	for (size_t k = 0; k < sizeof(internal_tlds) / sizeof(internal_tlds[0]); k++)
		if (n - last == strlen(internal_tlds[k]) && !strncasecmp(s + last, internal_tlds[k], n - last))
			return n;
	return 0;
}

/*
 * Control and invisible characters at s: the bytes they take, and in *space
 * whether they become a space (C0, DEL, C1) or vanish (bidi overrides and
 * isolates, zero-width characters, a byte-order mark).
 */
static size_t control_len(const unsigned char *s, bool *space)
{
	*space = true;
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	*space = false;
	if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x8b && s[2] <= 0x8f) || (s[2] >= 0xaa && s[2] <= 0xae)))
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 3;
	if (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return 3;
	return 0;
}

static int redactor_apply_part(const struct redactor *r, const char *text, size_t len, struct buf *out);

int redactor_apply(const struct redactor *r, const char *text, struct buf *out)
{
	size_t i = 0, start = out->len;
	int err = 0;

	while (text[i] && !err) {
		char prev = i ? text[i - 1] : ' ';
		/* "host.10.0.0.7": a dot after a word does not make the address part of a number */
		bool dot_num = prev == '.' && i >= 2 && isdigit((unsigned char)text[i - 2]);
		size_t n, keep, scheme;
		const struct redact_name *nm;
		bool space;

		if ((n = control_len((const unsigned char *)text + i, &space)) != 0) {
			if (space && out->len > start && out->data[out->len - 1] != ' ')
				err = buf_addch(out, ' ');
			i += n;
		} else if (starts_word(text, i) && (n = host_len(text + i)) != 0) {
			/* DNS names are built from pod names, namespaces and addresses */
			err = buf_adds(out, "[host]");
			i += n;
		/* addresses are looked for everywhere, even inside words */
		} else if (!isdigit((unsigned char)prev) && !dot_num &&
			   (n = ipv4_len(text + i)) != 0) {
			err = buf_adds(out, "[ip]");
			i += n;
		} else if (!isdigit((unsigned char)prev) && (n = dashed_ipv4_len(text + i)) != 0) {
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
		} else if ((n = secret_kv_len(text + i, &keep)) != 0) {
			/* before names: "DB_PASSWORD=web" hides the value even when it is a name */
			err = redactor_apply_part(r, text + i, keep, out);
			if (!err)
				err = buf_adds(out, "[secret]");
			i += keep + n;
		} else if ((nm = match_name(r, text, i)) != NULL) {
			err = buf_adds(out, nm->placeholder);
			i += nm->len;
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

/* redactor_apply() on the first len bytes of text (no NUL there). */
static int redactor_apply_part(const struct redactor *r, const char *text, size_t len, struct buf *out)
{
	char *copy = xstrndup(text, len);
	int err = redactor_apply(r, copy, out);

	free(copy);
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

/* ---- every name the process has seen ---- */

struct kname {
	char *name;
	enum redact_kind kind;
};

struct redact_known {
	pthread_mutex_t mu;
	struct kname *tab;      /* open addressing, cap a power of two */
	size_t cap, n;
};

static uint64_t hash_name(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot of name[0..len) or of the empty slot where it would go. */
static size_t known_slot(const struct redact_known *k, const char *name, size_t len)
{
	size_t i = (size_t)hash_name(name, len) & (k->cap - 1);

	while (k->tab[i].name && (strncmp(k->tab[i].name, name, len) || k->tab[i].name[len]))
		i = (i + 1) & (k->cap - 1);
	return i;
}

struct redact_known *redact_known_new(void)
{
	struct redact_known *k = xcalloc(1, sizeof(*k));

	pthread_mutex_init(&k->mu, NULL);
	k->cap = 1024;
	k->tab = xcalloc(k->cap, sizeof(*k->tab));
	return k;
}

void redact_known_free(struct redact_known *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->cap; i++)
		free(k->tab[i].name);
	free(k->tab);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

void redact_known_add(struct redact_known *k, enum redact_kind kind, const char *name)
{
	size_t len, i;

	if (!k || !name || !*name || kind >= RK__COUNT)
		return;
	len = strlen(name);
	pthread_mutex_lock(&k->mu);
	if (k->n >= REDACT_KNOWN_MAX)
		goto out;
	if (2 * (k->n + 1) > k->cap) {
		struct kname *old = k->tab;
		size_t oldcap = k->cap;

		k->cap *= 2;
		k->tab = xcalloc(k->cap, sizeof(*k->tab));
		for (size_t j = 0; j < oldcap; j++)
			if (old[j].name)
				k->tab[known_slot(k, old[j].name, strlen(old[j].name))] = old[j];
		free(old);
	}
	i = known_slot(k, name, len);
	if (!k->tab[i].name) {
		k->tab[i].name = xstrdup(name);
		k->tab[i].kind = kind;
		k->n++;
	}
out:
	pthread_mutex_unlock(&k->mu);
}

size_t redact_known_count(struct redact_known *k)
{
	size_t n;

	pthread_mutex_lock(&k->mu);
	n = k->n;
	pthread_mutex_unlock(&k->mu);
	return n;
}

/* Whether text[i] may end a name (as match_name() decides). */
static bool name_end(const char *text, size_t j)
{
	return ends_word(text + j) || text[j] == '-' || text[j] == '_';
}

void redactor_learn(struct redactor *r, const struct redact_known *k, const char *text)
{
	struct redact_known *kk = (struct redact_known *)(k ? k : r->known);

	if (!kk || !text)
		return;
	pthread_mutex_lock(&kk->mu);
	for (size_t i = 0; text[i]; i++) {
		size_t end;

		if (!starts_word(text, i) && text[i - 1] != '_')
			continue;
		/* the run a name could span; every place it may end is a candidate */
		for (end = i; word_ch(text[end]) || text[end] == '.'; end++)
			;
		for (size_t j = end; j > i; j--) {
			size_t slot;

			if (!name_end(text, j))
				continue;
			slot = known_slot(kk, text + i, j - i);
			if (kk->tab[slot].name) {
				redactor_name(r, kk->tab[slot].kind, kk->tab[slot].name);
				break;
			}
		}
	}
	pthread_mutex_unlock(&kk->mu);
}

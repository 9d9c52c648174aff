#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <openssl/sha.h>
#include <poll.h>
#include <termios.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "remedy/approve.h"
#include "base/banned.h"

const char *answer_name(enum answer a)
{
	switch (a) {
	case ANSWER_YES: return "yes";
	case ANSWER_NO: return "no";
	case ANSWER_TIMEOUT: return "timeout";
	default: return "no_terminal";
	}
}

enum answer approval_ask(int in_fd, FILE *out, const char *question,
			 int64_t timeout_ms, const volatile int *stop)
{
	char line[64];
	size_t len = 0;
	int64_t end;

	if (!isatty(in_fd))
		return ANSWER_NO_TERMINAL;
	/* an answer typed before the question was asked is not an answer */
	tcflush(in_fd, TCIFLUSH);
	fputs(question, out);
	fflush(out);
	end = time_mono_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = in_fd, .events = POLLIN };
		int64_t left = end - time_mono_ms();
		ssize_t n;
		char c;

		if (stop && *stop)
			return ANSWER_NO;
		if (left <= 0) {
			fputs("\n(no answer: refused)\n", out);
			return ANSWER_TIMEOUT;
		}
		if (poll(&p, 1, left > 200 ? 200 : (int)left) <= 0)
			continue;
		n = read(in_fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ANSWER_NO; /* end of input */
		if (c == '\n' || c == '\r')
			break;
		if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	line[len] = '\0';
	str_trim(line);
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes") ? ANSWER_YES : ANSWER_NO;
}

/* ---- binding ---- */

int approval_digest(const char *action, const char *kind, const char *namespace_,
		    const char *name, const json_t *params, char out[APPROVAL_DIGEST_HEX])
{
	json_t *doc, *p;
	char *text;
	unsigned char md[SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";

	p = json_is_object(params) ? json_deep_copy(params) : json_object();
	if (!p)
		return -ENOMEM;
	/* the why, and the ladder's destination (where later steps head, moved
	 * by each new peak measured), are not the change being decided */
	json_object_del(p, "rationale");
	json_object_del(p, "goal");
	doc = json_pack("{s:s?, s:o, s:{s:s?, s:s?, s:s?}}", "action", action, "params", p,
			"target", "kind", kind, "name", name, "namespace", namespace_);
	if (!doc)
		return -ENOMEM;
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	SHA256((const unsigned char *)text, strlen(text), md);
	free(text);
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * SHA256_DIGEST_LENGTH] = '\0';
	return 0;
}

int approval_record_digest(const json_t *rec, char out[APPROVAL_DIGEST_HEX])
{
	const json_t *t = json_object_get(rec, "target");
	const char *action = json_string_value(json_object_get(rec, "action"));

	if (!action || !json_is_object(t))
		return -EINVAL;
	return approval_digest(action, json_string_value(json_object_get(t, "kind")),
			       json_string_value(json_object_get(t, "namespace")),
			       json_string_value(json_object_get(t, "name")),
			       json_object_get(rec, "params"), out);
}

/* Constant time: a digest is not a secret, but a token compared the same way is. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

int approval_check(const json_t *rec, const char *digest, int64_t now_ms)
{
	char mine[APPROVAL_DIGEST_HEX];
	const char *exp = json_string_value(json_object_get(rec, "approval_expires"));
	int64_t until;

	if (approval_record_digest(rec, mine))
		return -EINVAL;
	if (!digest || !same(mine, digest))
		return -ESTALE;
	if (exp && (time_parse(exp, &until) || now_ms >= until))
		return -ETIMEDOUT;
	return 0;
}

/* ---- the box ---- */

struct offer {
	char *id;
	char digest[APPROVAL_DIGEST_HEX];
	int64_t expires_ms;
	enum decision d;
	char who[64];
};

struct approval_box {
	pthread_mutex_t mu;
	struct offer *v;
	size_t n, cap;
	json_t *view;
};

struct approval_box *approval_box_new(void)
{
	struct approval_box *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	b->view = json_array();
	return b;
}

void approval_box_free(struct approval_box *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].id);
	free(b->v);
	json_decref(b->view);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static struct offer *find(struct approval_box *b, const char *id)
{
	for (size_t i = 0; i < b->n; i++)
		if (str_eq(b->v[i].id, id))
			return &b->v[i];
	return NULL;
}

void approval_box_offer(struct approval_box *b, const char *id, const char *digest,
			int64_t expires_ms)
{
	struct offer *o;

	pthread_mutex_lock(&b->mu);
	o = find(b, id);
	if (!o) {
		ARRAY_GROW(b->v, b->cap, b->n + 1);
		o = &b->v[b->n++];
		memset(o, 0, sizeof(*o));
		o->id = xstrdup(id);
	}
	str_copy(o->digest, digest, sizeof(o->digest));
	o->expires_ms = expires_ms;
	o->d = DECISION_NONE;
	o->who[0] = '\0';
	pthread_mutex_unlock(&b->mu);
}

void approval_box_withdraw(struct approval_box *b, const char *id)
{
	struct offer *o;

	pthread_mutex_lock(&b->mu);
	o = find(b, id);
	if (o) {
		free(o->id);
		*o = b->v[--b->n];
	}
	pthread_mutex_unlock(&b->mu);
}

int approval_box_decide(struct approval_box *b, const char *id, const char *digest,
			bool approve, const char *who, int64_t now_ms)
{
	struct offer *o;
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	o = find(b, id);
	if (!o)
		rc = -ENOENT;
	else if (o->d != DECISION_NONE)
		rc = -EALREADY;
	else if (!digest || !same(o->digest, digest))
		rc = -ESTALE;
	else if (o->expires_ms && now_ms >= o->expires_ms)
		rc = -ETIMEDOUT;
	else {
		o->d = approve ? DECISION_APPROVED : DECISION_REJECTED;
		str_copy(o->who, who ? who : "web", sizeof(o->who));
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

enum decision approval_box_get(struct approval_box *b, const char *id,
			       char digest[APPROVAL_DIGEST_HEX], char *who, size_t wholen)
{
	struct offer *o;
	enum decision d = DECISION_NONE;

	pthread_mutex_lock(&b->mu);
	o = find(b, id);
	if (o && o->d != DECISION_NONE) {
		d = o->d;
		str_copy(digest, o->digest, APPROVAL_DIGEST_HEX);
		if (who && wholen)
			str_copy(who, o->who, wholen);
	}
	pthread_mutex_unlock(&b->mu);
	return d;
}

void approval_box_publish(struct approval_box *b, const json_t *records)
{
	size_t n = json_array_size(records);
	size_t from = n > APPROVAL_BOX_VIEW ? n - APPROVAL_BOX_VIEW : 0;
	json_t *view = json_array();

	for (size_t i = from; i < n; i++)
		json_array_append_new(view, json_deep_copy(json_array_get(records, i)));
	pthread_mutex_lock(&b->mu);
	json_decref(b->view);
	b->view = view;
	pthread_mutex_unlock(&b->mu);
}

json_t *approval_box_records(struct approval_box *b)
{
	json_t *copy;

	pthread_mutex_lock(&b->mu);
	copy = json_deep_copy(b->view);
	pthread_mutex_unlock(&b->mu);
	return copy ? copy : json_array();
}

#ifndef INSIGHT_REDACT_H
#define INSIGHT_REDACT_H
/*
 * Redaction of text before it leaves the machine (LLM prompts). A struct
 * redactor owns a table of cluster names and their placeholders;
 * redactor_release() frees it. Placeholders look like "[pod-3]" and are
 * stable for the redactor's life, so an answer that uses them can be mapped
 * back locally with redactor_restore().
 */
#include <stddef.h>
#include "base/buf.h"

enum redact_kind {
	RK_NAMESPACE,
	RK_POD,
	RK_NODE,
	RK_CONTAINER,
	RK_WORKLOAD,
	RK__COUNT
};

struct redact_name;
struct redact_known;

struct redactor {
	struct redact_name *names;
	size_t n, cap;
	int next[RK__COUNT];
	const struct redact_known *known;   /* not owned; see redactor_learn() */
};

void redactor_init(struct redactor *r);
void redactor_release(struct redactor *r);

/*
 * Registers name as a kind of cluster name and returns its placeholder
 * (owned by r). Registering the same name again returns the same
 * placeholder. Empty names are ignored (NULL is returned).
 */
const char *redactor_name(struct redactor *r, enum redact_kind kind,
			  const char *name);

/*
 * Appends text to out with every registered name replaced by its
 * placeholder; IP addresses (also written with dashes, as in
 * "ip-10-0-4-22"), host names ("a.b.c", "x.internal", "y.svc.cluster.local"),
 * e-mail addresses ("user@host"), credentials in URLs, values of keys that
 * name a secret in any form ("DB_PASSWORD=x", "pass: x", "password is x")
 * and anything that looks like a token or key replaced by "[ip]", "[host]",
 * "[email]" or "[secret]"; control characters (C0, DEL, C1) become spaces
 * and invisible format characters (bidi overrides, zero-width) are dropped.
 * Returns 0 or -E2BIG (out's limit).
 */
int redactor_apply(const struct redactor *r, const char *text, struct buf *out);

/*
 * Every cluster object name the process has seen (not only an incident's),
 * so that text naming another pod, node or namespace is redacted too. A
 * thread-safe set, bounded (REDACT_KNOWN_MAX names; later ones are dropped);
 * redact_known_free() frees it.
 */
#define REDACT_KNOWN_MAX (1u << 18)
struct redact_known *redact_known_new(void);
void redact_known_free(struct redact_known *k);
void redact_known_add(struct redact_known *k, enum redact_kind kind, const char *name);
size_t redact_known_count(struct redact_known *k);

/*
 * Registers in r every name of k (r->known when k is NULL) that text holds
 * where redactor_apply() would take it for a name, so that applying r to
 * text then hides it.
 */
void redactor_learn(struct redactor *r, const struct redact_known *k, const char *text);

/* Appends text with every known placeholder mapped back to its name. */
int redactor_restore(const struct redactor *r, const char *text, struct buf *out);

/* The name behind a placeholder ("[pod-3]"), or NULL. */
const char *redactor_lookup(const struct redactor *r, const char *placeholder);

#endif

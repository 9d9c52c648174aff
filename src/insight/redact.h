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

struct redactor {
	struct redact_name *names;
	size_t n, cap;
	int next[RK__COUNT];
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
 * placeholder, and IP addresses, e-mail addresses, credentials in URLs and
 * anything that looks like a token, password or key replaced by "[ip]",
 * "[email]" or "[secret]". Returns 0 or -E2BIG (out's limit).
 */
int redactor_apply(const struct redactor *r, const char *text, struct buf *out);

/* Appends text with every known placeholder mapped back to its name. */
int redactor_restore(const struct redactor *r, const char *text, struct buf *out);

/* The name behind a placeholder ("[pod-3]"), or NULL. */
const char *redactor_lookup(const struct redactor *r, const char *placeholder);

#endif

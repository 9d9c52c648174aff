#ifndef INSIGHT_EXPLAIN_H
#define INSIGHT_EXPLAIN_H
/*
 * LLM explanations of insights, asked off the caller's thread (docs/llm.md).
 * A struct explainer owns an HTTP client, one worker thread, a bounded queue
 * of calls, a bounded cache of answers keyed by llm_fingerprint(), a
 * calls-per-minute budget and the API key (wiped when freed);
 * explainer_free() stops the worker and cancels a call in flight. A struct
 * explain_result owns its actions (explain_result_release). One thread at a
 * time calls explainer_explain().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "insight/insight.h"
#include "insight/llm.h"

struct config;
struct explainer;

struct explainer_opts {
	const char *base_url;           /* ".../v1"; "/chat/completions" is appended */
	const char *model;
	const char *api_key;            /* NULL or "": every explain says "no API key" */
	int64_t timeout_ms;             /* one call, retries and waits included; default 30 s */
	int calls_per_minute;           /* 0: no calls */
	size_t cache_max;               /* answers kept (default 256) */
	size_t max_response;            /* response cap (default 1 MiB) */
	int64_t retry_failed_ms;        /* a failed incident is asked again after this (default 5 min) */
	int64_t backoff_base_ms;        /* first wait before a retry (default 500 ms) */
};

/* What one explainer_explain() gave. */
struct explain_result {
	int status;             /* 0 explained; -EINPROGRESS asked, try again later; else rules stand */
	char reason[600];       /* why the rule-based explanation stands, one line ("" otherwise) */
	bool log_reason;        /* first time this kind of reason shows since the last success */
	bool fresh;             /* the answer's first use (log it once) */
	struct llm_action actions[LLM_MAX_ACTIONS];     /* validated; restored names */
	size_t nactions;
	size_t dropped;         /* actions refused in this answer (reported with its first use) */
	char dropped_why[256];
};

struct explainer_stats {
	uint64_t calls, answered, failed, cache_hits, over_budget, actions_dropped;
};

/* A working explainer. Returns 0, -EINVAL (err says why) or -ENOMEM. */
int explainer_new(struct explainer **out, const struct explainer_opts *o,
		  char *err, size_t errlen);

/*
 * The explainer the settings ask for (agent.llm.*, the key from
 * agent.llm.key_file or OPENAI_API_KEY). Always returns one: when the LLM is
 * off, the key is missing or a setting is wrong it is a disabled explainer
 * whose every explain gives that reason. Never fails but for memory.
 */
struct explainer *explainer_new_from_config(const struct config *c);
void explainer_free(struct explainer *ex);

/*
 * Every cluster object name the process sees goes here (the monitor feeds
 * each cycle's rows), so that a request hides the names of other pods, nodes
 * and namespaces its text mentions, not only the incident's. Thread-safe;
 * nothing is kept while the explainer is disabled.
 */
struct sample;
void explainer_learn_rows(struct explainer *ex, const struct sample *rows, size_t n);
void explainer_learn_name(struct explainer *ex, enum redact_kind kind, const char *name);

/* Whether calls can be made at all (enabled, key present). */
bool explainer_enabled(const struct explainer *ex);

/*
 * Explains in (history: earlier insights of the same workload, may be
 * NULL/0). Never waits for the network: a cached answer is applied at once
 * (in's explanation becomes the LLM's, source "llm", the model's name) and
 * its actions are returned; otherwise a call is queued (-EINPROGRESS) and its
 * answer lands in the cache for a later explain of the same incident. On
 * failure in is left alone (the rule-based explanation stands) and
 * res->reason says why. Returns res->status.
 */
int explainer_explain(struct explainer *ex, struct insight *in,
		      const struct insight *const *history, size_t nhistory,
		      struct explain_result *res);

/*
 * Adds the result's actions to in as recommendations (kind, risk and a
 * rationale naming the LLM), skipping those already recommended. Returns how
 * many were added. Policy and approval still decide whether any runs.
 */
int explain_result_recommend(const struct explain_result *res, struct insight *in);
void explain_result_release(struct explain_result *res);

/* Waits until no call is queued or running, at most max_ms: 0 or -ETIMEDOUT. */
int explainer_wait(struct explainer *ex, int64_t max_ms);
void explainer_get_stats(struct explainer *ex, struct explainer_stats *out);

#endif

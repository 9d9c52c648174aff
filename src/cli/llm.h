#ifndef CLI_LLM_H
#define CLI_LLM_H
/*
 * The LLM options of the commands that explain insights (monitor, agent,
 * remediate) and the loop's side of an explanation: logging each kind of
 * reason once, attaching the validated actions. An explainer made here is
 * the caller's to free (explainer_free). See docs/llm.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include "insight/explain.h"

struct config;

/* getopt_long rows (put CLI_LLM_OPTIONS in the option table). */
enum { CLI_OPT_ENABLE_LLM = 0x4c4c, CLI_OPT_LLM_BASE_URL, CLI_OPT_LLM_MODEL };
#define CLI_LLM_OPTIONS \
	{ "enable-llm", no_argument, NULL, CLI_OPT_ENABLE_LLM }, \
	{ "llm-base-url", required_argument, NULL, CLI_OPT_LLM_BASE_URL }, \
	{ "llm-model", required_argument, NULL, CLI_OPT_LLM_MODEL }
#define CLI_LLM_USAGE \
	"  --enable-llm         explain insights with an LLM (key: OPENAI_API_KEY or agent.llm.key_file)\n" \
	"  --llm-base-url URL   OpenAI-compatible API (default: $OPENAI_BASE_URL or https://api.openai.com/v1)\n" \
	"  --llm-model NAME     the model (default: $LLM_MODEL or gpt-4o-mini)\n"

struct cli_llm_flags {
	bool enable;
	const char *base_url, *model;
};

/* Records opt (from getopt_long) in f when it is one of the LLM options. */
bool cli_llm_flag(struct cli_llm_flags *f, int opt, const char *arg);

/*
 * Puts f over c's settings (flags win) and makes the explainer, logging
 * whether explanations are on. A disabled explainer is still returned (its
 * reason is logged once by cli_llm_explain); NULL only when c rejects a flag
 * (the error is printed, prefixed by prog).
 */
struct explainer *cli_llm_explainer(struct config *c, const struct cli_llm_flags *f,
				    const char *prog);

/*
 * One explanation step for in (history: earlier insights of its workload):
 * never waits on the network, logs a reason the first time it shows and the
 * actions it refused, and adds the answer's actions to in's
 * recommendations. Returns explainer_explain()'s status.
 */
int cli_llm_explain(struct explainer *ex, struct insight *in,
		    const struct insight *const *history, size_t nhistory);

#endif

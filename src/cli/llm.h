#ifndef CLI_LLM_H
#define CLI_LLM_H
/*
 * The LLM options of the commands that explain insights (monitor, agent,
 * remediate). An explainer made here is the caller's to free
 * (explainer_free); the loop's side of an explanation is monitor_explain()
 * in run/monitor.h. See docs/llm.md.
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
 * reason is logged once by monitor_explain); NULL only when c rejects a flag
 * (the error is printed, prefixed by prog).
 */
struct explainer *cli_llm_explainer(struct config *c, const struct cli_llm_flags *f,
				    const char *prog);

#endif

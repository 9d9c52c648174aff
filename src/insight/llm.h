#ifndef INSIGHT_LLM_H
#define INSIGHT_LLM_H
/*
 * The LLM's side of an explanation, without the transport: building the
 * chat-completions request from an insight (redacted: no cluster names,
 * addresses or secrets leave the machine) and checking the answer (it must
 * be the requested JSON object; actions must be known and aim at the
 * insight's own target; placeholders are mapped back). Telemetry text is
 * quoted as data, never as instructions. struct llm_answer owns its strings;
 * llm_answer_release() frees them. The redactor is the caller's and must be
 * the same for the request and its answer.
 */
#include <stddef.h>
#include <jansson.h>
#include "insight/insight.h"
#include "insight/redact.h"

#define LLM_MAX_ACTIONS 4

struct llm_action {
	char action[24];
	char target[256];       /* restored: a real pod, "ns/deployment" or node name */
	json_t *params;         /* owned */
};

struct llm_answer {
	char *root_cause;
	char *explanation;
	struct llm_action actions[LLM_MAX_ACTIONS];
	size_t nactions;
	size_t dropped;         /* actions refused: unknown, or aimed elsewhere */
	char dropped_why[256];  /* the first refusal, for the log */
};

/*
 * The request body (a new reference) for model. history: earlier insights of
 * the same workload (may be NULL/0), for patterns across incidents.
 */
json_t *llm_request(const struct insight *in, const struct insight *const *history,
		    size_t nhistory, const char *model, struct redactor *r);

/*
 * Checks a chat-completions response body. Returns 0 and fills out, or
 * -EINVAL with a one-line reason in err (not JSON, no choices, content not
 * the requested object, missing fields).
 */
int llm_parse_answer(const char *body, size_t len, const struct insight *in,
		     const struct redactor *r, struct llm_answer *out,
		     char *err, size_t errlen);
void llm_answer_release(struct llm_answer *a);

/* A stable fingerprint of what the request would say (for the answer cache). */
uint64_t llm_fingerprint(const struct insight *in);

#endif

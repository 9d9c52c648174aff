#include <errno.h>
#include <stdio.h>
#include "base/log.h"
#include "run/monitor.h"
#include "base/banned.h"

int monitor_explain(struct explainer *ex, struct insight *in,
		    const struct insight *const *history, size_t nhistory)
{
	struct explain_result r;
	char n[24];
	int rc;

	rc = explainer_explain(ex, in, history, nhistory, &r);
	if (r.log_reason)
		log_kv(rc == -ENOTSUP ? LOG_INFO : LOG_WARN, "llm", "rule-based explanation stands",
		       "insight", in->id, "reason", r.reason, NULL);
	if (r.fresh)
		log_kv(LOG_INFO, "llm", "explained", "insight", in->id,
		       "model", in->explanation_model, NULL);
	if (r.dropped) {
		snprintf(n, sizeof(n), "%zu", r.dropped);
		log_kv(LOG_WARN, "llm", "refused actions the LLM suggested", "insight", in->id,
		       "count", n, "first", r.dropped_why, NULL);
	}
	if (rc == 0)
		explain_result_recommend(&r, in);
	explain_result_release(&r);
	return rc;
}

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "remedy/plan.h"
#include "remedy/prompt.h"
#include "base/banned.h"

const char *prompt_qos(double cpu_req, double cpu_lim, double mem_req, double mem_lim)
{
	bool any = cpu_req > 0 || cpu_lim > 0 || mem_req > 0 || mem_lim > 0;

	if (!any)
		return "BestEffort";
	if (cpu_lim > 0 && mem_lim > 0 && (!(cpu_req > 0) || fabs(cpu_req - cpu_lim) < 1e-9) &&
	    (!(mem_req > 0) || fabs(mem_req - mem_lim) < 1))
		return "Guaranteed";
	return "Burstable";
}

static double after_or(double after, double before)
{
	return after > 0 ? after : before;
}

void prompt_question(struct buf *q, const struct insight *in, const struct proposal *p,
		     const struct recommendation *rec, const json_t *record, bool dry_run,
		     int64_t now_ms)
{
	const json_t *br = json_object_get(record, "blast_radius");
	const json_t *checks = json_object_get(record, "policy_checks"), *c;
	/* the insight's age on its own (the cluster's) clock */
	int64_t age_s = in->detected_ms && in->updated_ms >= in->detected_ms ?
			(in->updated_ms - in->detected_ms) / 1000 : -1;
	size_t i;

	(void)now_ms;
	buf_addf(q, "\nkubemend proposes%s, for insight %s (%s, probability %.2f",
		 dry_run ? " (dry run: nothing will change)" : "", in->id, in->anomaly_type,
		 in->probability);
	if (age_s >= 0)
		buf_addf(q, ", open for %lld min %lld s", (long long)(age_s / 60), (long long)(age_s % 60));
	buf_adds(q, "):\n");
	if (in->summary[0])
		buf_addf(q, "  evidence: %s\n", in->summary);
	for (i = 0; i < in->nevidence && i < 3; i++)
		buf_addf(q, "            %s %s%s%s (x%d)\n", in->evidence[i].kind, in->evidence[i].reason,
			 in->evidence[i].message[0] ? ": " : "", in->evidence[i].message,
			 in->evidence[i].count);
	buf_adds(q, "  change: ");
	proposal_describe(p, q);
	if (p->kind == ACT_CHANGE_LIMITS) {
		const char *was = prompt_qos(p->cpu_request_before, p->cpu_limit_before,
					     p->mem_request_before, p->mem_limit_before);
		const char *now = prompt_qos(after_or(p->cpu_request_after, p->cpu_request_before),
					     after_or(p->cpu_limit_after, p->cpu_limit_before),
					     after_or(p->mem_request_after, p->mem_request_before),
					     after_or(p->mem_limit_after, p->mem_limit_before));
		buf_addf(q, "\n  QoS: %s → %s", was, now);
	}
	if (json_is_object(br)) {
		const json_t *pdb = json_object_get(br, "pdb");

		buf_addf(q, "\n  reach: %s", json_string_value(json_object_get(br, "pods_detail")) ?
			 json_string_value(json_object_get(br, "pods_detail")) : "unknown");
		if (json_is_object(pdb))
			buf_addf(q, "; PodDisruptionBudget %s allows %lld disruption(s) now",
				 json_string_value(json_object_get(pdb, "name")) ?
				 json_string_value(json_object_get(pdb, "name")) : "?",
				 (long long)json_integer_value(json_object_get(pdb, "disruptions_allowed")));
		else
			buf_adds(q, "; no PodDisruptionBudget selects the pods");
	}
	if (rec && rec->rationale[0])
		buf_addf(q, "\n  why: %s", rec->rationale);
	json_array_foreach(checks, i, c)
		buf_addf(q, "\n  %s %s", i ? "       " : "checks:", json_string_value(c) ?
			 json_string_value(c) : "");
	buf_addf(q, "\n  risk: %s\nApprove? [y/N] ", rec && rec->risk[0] ? rec->risk : "unknown");
}

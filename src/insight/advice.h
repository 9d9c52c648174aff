#ifndef INSIGHT_ADVICE_H
#define INSIGHT_ADVICE_H
/*
 * Rule-based advice for an insight: the explanation that stands when no LLM
 * is used (or it fails), and the candidate actions, least invasive first,
 * each with its rationale, risk and the parameters it would change (before
 * and after). Works on the insight in place; owns nothing.
 */
#include "insight/insight.h"

/* What the planner knows of the insight's workload; 0 or NaN when unknown. */
struct workload_facts {
	int replicas;
	double cpu_request, cpu_limit;  /* cores */
	double mem_request, mem_limit;  /* bytes */
	double mem_peak;                /* highest working set seen in the incident */
	double cpu_peak;                /* highest CPU use of one pod, cores */
	double cpu_throttled;           /* highest unmet demand of one pod (throttled time per second), cores */
	double cpu_demand;              /* highest use + unmet demand of one pod in one sample, cores (NaN: unknown) */
};

/* Replaces in's recommendations and sets the rule-based explanation. */
void insight_advise(struct insight *in, const struct workload_facts *wf);

#endif

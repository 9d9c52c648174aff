#ifndef REMEDY_PROMPT_H
#define REMEDY_PROMPT_H
/*
 * What the person deciding on a terminal is shown (issue 12): the evidence
 * with units and the insight's age, the exact change (old -> new, requests
 * and limits, QoS class before/after), the blast radius and the policy
 * checks the proposal passed (the record's "blast_radius" and
 * "policy_checks"), ending with "Approve? [y/N] ". Owns nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/buf.h"
#include "insight/insight.h"
#include "remedy/action.h"

void prompt_question(struct buf *q, const struct insight *in, const struct proposal *p,
		     const struct recommendation *rec, const json_t *record, bool dry_run,
		     int64_t now_ms);

/* "Guaranteed", "Burstable" or "BestEffort" for one container's values (0: unset). */
const char *prompt_qos(double cpu_req, double cpu_lim, double mem_req, double mem_lim);

#endif

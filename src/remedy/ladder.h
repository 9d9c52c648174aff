#ifndef REMEDY_LADDER_H
#define REMEDY_LADDER_H
/*
 * The escalation ladder of one insight, read from the history's records
 * (a JSON array, borrowed): which records acted, how many rungs were
 * climbed, whether the last one calls for the next rung, and the story a
 * person is left with when the ladder ends. Owns nothing.
 */
#include <stdbool.h>
#include <jansson.h>
#include "base/buf.h"
#include "remedy/policy.h"

/* Statuses after which an action counts for the cooldown, the budget and the ladder. */
bool ladder_acted(const char *status);

/*
 * The newest record of this insight with this action on this target that
 * acted (or was skipped as stale), or NULL; with status, only one in that
 * status ("succeeded": a verified cordon before its drain).
 */
const json_t *ladder_tried(const json_t *records, const char *insight_id, const char *action,
			   const char *target, const char *status);

/* Records of this insight that acted on the cluster (the rungs climbed). */
int ladder_rungs(const json_t *records, const char *insight_id);

/*
 * A failed record the next rung may help with: verification said the
 * fault's signal goes on, or a disruption guard (a PDB, the ready floor)
 * stopped it. A target that is gone or an API that refuses is not cured by
 * trying something else.
 */
bool ladder_no_cure(const json_t *rec);

/*
 * Whether a succeeded record's verification measured the fault's own
 * signal back to normal (a CPU limit: throttling at most its threshold; a
 * memory limit: the working set within its headroom): the goal was an
 * estimate, the signal says the fault is cured, so no further step is taken
 * toward it; a scale for a CPU insight: the load per pod within what the
 * replicas were sized for. An HPA's maximum is not measured: its steps go on
 * to the goal.
 */
bool ladder_signal_normal(const json_t *rec);

/*
 * What the ladder did, with its numbers, for the person it is left to:
 * each action's change and what verification saw, then the rule and the
 * settings that bound the next step (max_rungs actions per incident).
 */
void ladder_story(const json_t *records, const char *insight_id, const struct policy *pol,
		  int max_rungs, struct buf *out);

#endif

#ifndef REMEDY_PLAN_H
#define REMEDY_PLAN_H
/*
 * Planning: an insight's recommendations become proposals, least invasive
 * first, and each proposal can describe itself for a person (what changes,
 * before → after). Proposals borrow their strings from the insight and from
 * plan_item's own buffers; a plan lives no longer than its insight.
 */
#include <stddef.h>
#include "base/buf.h"
#include "insight/insight.h"
#include "remedy/action.h"
#include "remedy/target.h"

struct plan_item {
	struct proposal prop;
	const struct recommendation *rec;   /* borrowed from the insight */
	char namespace_[128];
	char name[256];
};

/*
 * Fills items (at most max) from in's recommendations when its probability
 * reaches threshold; "none" and unknown actions are skipped. Returns how many.
 */
size_t plan_insight(const struct insight *in, double threshold,
		    struct plan_item *items, size_t max);

/* "change_limits Deployment shop/web: memory limit 256Mi → 384Mi". */
void proposal_describe(const struct proposal *p, struct buf *out);

/* Whether the recommendation came from an LLM (it then carries no parameters). */
bool plan_from_llm(const struct plan_item *it);

/*
 * Sets p's "before" values from the live object st, never from a
 * recommendation; the after values stay the recommendation's targets, so
 * the policy judges the real change (a recommendation whose before no
 * longer matches the live object is stale: plan_stale).
 */
void plan_from_live(struct proposal *p, const struct target_state *st);

/*
 * Whether the live object st is no longer in the state the advice saw (the
 * recommendation's "before" values, when it gave them): the insight is
 * stale and nothing should be done on it. Writes why (a sentence).
 */
bool plan_stale(const struct proposal *advised, const struct target_state *st,
		char *why, size_t n);

/*
 * A change_limits beyond the policy's factor becomes the largest allowed
 * step toward it: each after value is clamped to before × factor (or
 * before / factor), rounded inward to whole MiB or millicores. goal gets
 * the unclamped proposal. Returns true when something was clamped.
 */
bool plan_clamp_factor(struct proposal *p, double factor, struct proposal *goal);

/* The same for a scale beyond max_scale_step: the largest allowed step toward it. */
bool plan_clamp_scale(struct proposal *p, int max_step, struct proposal *goal);

/*
 * The record's params for p (new object): the before/after values that will
 * be executed, the container, the description, the rationale, and with a
 * goal (a stepped change) the goal's after values.
 */
json_t *plan_params(const struct proposal *p, const struct proposal *goal,
		    const struct recommendation *rec);

/* Whether p still raises something over the live object (its before values),
 * or lowers a request without touching the limits (an unschedulable pod's). */
bool plan_raises(const struct proposal *p);
/* The ladder after a memory raise that verification measured too tight
 * (prior's verification.memory_peak_bytes): the same OOM rule from that peak. */
void plan_rebump(struct proposal *p, const json_t *prior);
/*
 * After a memory raise whose pods were OOM-killed again at the new limit
 * (prior's verification.oom_killed): the need is above it and no
 * measurement shows how far, so the next rung is the largest step the
 * policy allows, before x factor (rounded down to a MiB), unless the
 * proposal's target is above the VPA bump of the limit itself (then it
 * comes from a measured peak and stands); a Guaranteed container's request
 * moves with it. Returns true when it raised the target.
 */
bool plan_oom_again(struct proposal *p, const json_t *prior, double factor);
/* The ladder after a scale for a CPU insight that left the pods above what
 * one uses when normal (prior's verification.cpu_per_pod_cores and
 * cpu_normal_cores): the replicas that load needs from the live count, if
 * more than the advice's. */
void plan_rescale(struct proposal *p, const json_t *prior);
/* After a verified step: no further than that step's own params.goal. */
void plan_cap_to_goal(struct proposal *p, const json_t *prior);

#endif

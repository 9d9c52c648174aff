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

#endif

#ifndef REMEDY_INFLIGHT_H
#define REMEDY_INFLIGHT_H
/*
 * At most one action in flight per workload (issue 12): which history
 * records serve an insight, which workload a record acts on, and whether a
 * record is still in flight. A second insight on a workload whose action is
 * in flight either attaches to that record (the same change: the record's
 * "insight_ids" lists both) or proposes nothing until it is over. Shared by
 * the remediation loop and `history --why`. Records and the store are
 * borrowed; nothing here owns anything.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct insight;
struct insight_store;

/* Whether rec is about this insight: its insight_id, or one attached to it. */
bool inflight_serves(const json_t *rec, const char *insight_id);

/*
 * The workload a record acts on, "namespace/deployment" or "node/NAME",
 * into out: target.workload, a Deployment target's name, an HPA's
 * params.deployment. false when the record does not say (a pod of an
 * older record).
 */
bool inflight_record_workload(const json_t *rec, char *out, size_t n);

/* The same for a proposal, into out ("" when unknown: a bare pod). */
struct proposal;
void inflight_proposal_workload(const struct proposal *p, char *out, size_t n);

/* The same for an insight: its Deployment, or its node. false for a bare pod. */
bool inflight_insight_workload(const struct insight *in, char *out, size_t n);

/*
 * Whether rec still stands for an action in flight: proposed or executing
 * (acting, then verifying); pending while one insight it serves is open in
 * open, or while its web approval has not expired; and in a dry run (which
 * acts on nothing, so its records stand for what would be in flight), a
 * dry_run record of an open insight. A dry run's records never count in a
 * real run.
 */
bool inflight_is(const json_t *rec, const struct insight_store *open, bool dry_run, int64_t now_ms);

/*
 * With digest NULL: the newest record in flight on workload that holds a
 * new proposal back, or NULL; a dry run's own dry_run records hold nothing
 * back (the real run would act on one, then on the next), nor does a web
 * proposal whose insights are all gone (a new proposal supersedes it). With a digest:
 * the newest record in flight on workload proposing that very change
 * (approve.h's digest), dry_run records of a dry run included.
 */
json_t *inflight_on(const json_t *records, const char *workload, const char *digest,
		    const struct insight_store *open, bool dry_run, int64_t now_ms);

/*
 * Attaches insight_id to rec: "insight_ids" becomes every insight the
 * record serves, its own insight_id first. 1 when added, 0 when it was
 * there, -ENOMEM.
 */
int inflight_attach(json_t *rec, const char *insight_id);

#endif

#ifndef REMEDY_ROLLOUT_H
#define REMEDY_ROLLOUT_H
/*
 * Faults that come with a release: whether the Deployment's newest rollout
 * is the likely cause (so `rollout_undo` cures it), and the evidence a
 * person needs when it is not. Borrows everything; owns nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "base/buf.h"
#include "insight/insight.h"
#include "kube/client.h"
#include "remedy/target.h"

/* A rollback is for a recent release: the newest revision at most this older than its pods' latest failure. */
#define ROLLBACK_WINDOW_MS (60LL * 60 * 1000)
/* A pod of the release that ran this long without failing shows the release works. */
#define RELEASE_RUNS_MS (5LL * 60 * 1000)

/*
 * Whether in's fault came with its Deployment's newest rollout (st: what
 * target_observe read for a rollout_undo): an earlier revision exists, the
 * insight's pods are the newest revision's, none of that revision's pods has
 * run RELEASE_RUNS_MS without failing (a fault in some pods of a release
 * that runs elsewhere is not the release's), and the rollout is still going
 * on or its ReplicaSet is at most ROLLBACK_WINDOW_MS older than its pods'
 * latest failure. Else false, and why says which of these does not hold.
 */
bool rollout_is_bad(struct kube_client *kc, const struct insight *in,
		    const struct target_state *st, char *why, size_t n);

/*
 * For a crash loop, an image pull error or an OOM kill in a Deployment:
 * how its pods fail (pods failing, reason, exit code, time, an image's
 * error) as params.termination, and the same in one sentence appended to
 * msg. Nothing when the pods cannot be read or none fails.
 */
void failure_evidence(struct kube_client *kc, const struct insight *in, json_t *params,
		      struct buf *msg);

#endif

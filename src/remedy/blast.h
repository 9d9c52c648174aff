#ifndef REMEDY_BLAST_H
#define REMEDY_BLAST_H
/*
 * What a person is shown before approving: how far an action reaches (the
 * pods it restarts, creates or evicts, and the PodDisruptionBudget that
 * guards them with its headroom now) and which policy checks it passed.
 * Both return new JSON references that go into the record
 * ("blast_radius", "policy_checks"); neither changes the cluster.
 */
#include <jansson.h>
#include "kube/client.h"
#include "remedy/action.h"
#include "remedy/policy.h"
#include "remedy/target.h"

/*
 * {"pods": N or null, "pods_detail": "...", "pdb": {"name", "disruptions_allowed",
 * "current_healthy", "desired_healthy"} or null}. Reads the workload's pod
 * template and the namespace's PodDisruptionBudgets; what cannot be read
 * is null, never guessed.
 */
json_t *blast_radius(struct kube_client *kc, const struct proposal *p,
		     const struct target_state *st);

/* The checks policy_check() applied to p and passed, as sentences. */
json_t *policy_checks_passed(const struct policy *pol, const struct proposal *p);

#endif

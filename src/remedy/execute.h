#ifndef REMEDY_EXECUTE_H
#define REMEDY_EXECUTE_H
/*
 * Carrying out one approved proposal through the Kubernetes API, with the
 * guards that make it safe: the target is read again first and the action
 * is skipped when it changed since it was proposed; writes carry the
 * resourceVersion just read as a precondition; 404, 409 and 403 become
 * failures with a message, never crashes; a drain evicts through the
 * Eviction API only and waits out PodDisruptionBudgets, never deleting
 * around them. Nothing is owned but the result object handed back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "kube/client.h"
#include "remedy/action.h"
#include "remedy/target.h"

struct remedy_exec {
	struct kube_client *kc;
	bool dry_run;                   /* every write with dryRun=All */
	bool allow_bare_pods;
	int affected_pods;              /* restart_pod: pods of the incident */
	const char *container;          /* change_limits: NULL for the first */
	int64_t drain_timeout_ms;       /* whole drain (default 5 min) */
	int64_t drain_retry_ms;         /* between eviction rounds (default 5 s) */
	const volatile int *stop;       /* ends a drain's waiting early */
	/* checked before each round of evictions (remedy_opts.may_act); NULL: yes */
	int (*may_act)(void *ctx, const json_t *rec, char *why, size_t whylen);
	void *may_act_ctx;
	const json_t *record;           /* the record acting (for may_act), borrowed */
};

enum exec_outcome { EXEC_DONE, EXEC_SKIPPED, EXEC_FAILED };

/* "done", "skipped", "failed". */
const char *exec_outcome_name(enum exec_outcome o);

/*
 * Carries p out. proposed is what target_observe() saw when p was proposed
 * (the guard compares against it). *result gets a new object for the
 * history: operation, http_status, message, previous values (for
 * rollback), evicted and blocked pods of a drain.
 */
enum exec_outcome remedy_execute(const struct remedy_exec *x, const struct proposal *p,
				 const struct target_state *proposed, json_t **result);

/*
 * Puts back the previous values a change_limits result recorded (its
 * "previous" object): the rollback of `kubemend remediate --rollback ID`.
 */
enum exec_outcome remedy_restore_limits(const struct remedy_exec *x, const char *ns,
					const char *deployment, const json_t *previous,
					json_t **result);

#endif

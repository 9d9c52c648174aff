#ifndef RUN_REMEDIATOR_H
#define RUN_REMEDIATOR_H
/*
 * Remediation beside the monitoring loop: a thread that runs the remedy
 * loop (plan, ask, act, verify, record) on the newest snapshot of the
 * insights the monitor offers it, so that collecting and detecting never
 * wait for a person, an action or a verification. A snapshot offered while
 * the thread is busy replaces any older one not yet taken (only the newest
 * state of the cluster matters). struct remediator owns its thread and the
 * snapshots handed to it; it borrows the remedy loop, which only its thread
 * uses between remediator_start() and remediator_stop().
 */
#include <stdbool.h>
#include <stdint.h>
#include "insight/insight.h"
#include "remedy/loop.h"

struct remediator;

/* What the thread is doing, for /readyz, /metrics and status views. */
struct remediator_status {
	bool busy;                  /* a pass is running (asking, acting or verifying) */
	int64_t pass_started_ms;    /* wall clock of the running pass, or of the last one */
	uint64_t passes, dropped;   /* passes done; snapshots replaced before being taken */
	int last_rc;                /* 0, or the negative errno of the last failed pass */
};

/*
 * Starts the thread; after_pass (may be NULL) runs on it after each pass
 * (what else reads the loop's records, e.g. mirroring them into the
 * cluster, belongs there). The loop's stop flag (remedy_loop_open's stop) must be
 * remediator_quit_flag()'s, or be set by the caller before remediator_stop.
 * 0 or a negative errno.
 */
int remediator_start(struct remediator **out, struct remedy_loop *loop,
		     void (*after_pass)(void *ctx), void *ctx);

/* The flag the remedy loop should watch: set by remediator_stop(). */
const volatile int *remediator_quit_flag(void);

/* Hands over a snapshot (taken: the remediator releases and frees it). */
void remediator_offer(struct remediator *r, struct insight_store *snapshot);

void remediator_status(struct remediator *r, struct remediator_status *out);

/*
 * Waits until the thread has handled every snapshot offered and is idle
 * (a run that ends at the end of its input lets its last pass finish), or
 * until *stop is set.
 */
void remediator_finish(struct remediator *r, const volatile int *stop);

/*
 * Asks the thread to end (an approval wait, an action's waiting or a
 * verification ends early, recorded as such) and joins it. Accepts NULL.
 */
void remediator_stop(struct remediator *r);

#endif

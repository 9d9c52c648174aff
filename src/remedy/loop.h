#ifndef REMEDY_LOOP_H
#define REMEDY_LOOP_H
/*
 * The remediation loop: insights in, proposals planned, checked against
 * the policy, approved (terminal, --auto-approve) or recorded as pending,
 * executed, verified, and every step written to the history before and
 * after it happens. struct remedy_loop owns its history and the insights it
 * read; it borrows the client, the policy and the options' strings. It logs
 * (logfmt, component "remediate"), as long-running loops do.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kube/client.h"
#include "base/strmap.h"
#include "remedy/approve.h"
#include "remedy/history.h"
#include "remedy/policy.h"

/* Actions tried for one insight before it is left to a person. */
#define REMEDY_MAX_RUNGS 3

struct remedy_opts {
	const char *insights_file;
	const char *history_file;
	double threshold;                /* --confidence-threshold */
	bool dry_run, auto_approve, allow_bare_pods;
	int64_t approval_timeout_ms;
	int64_t verify_window_ms, verify_poll_ms;
	int64_t drain_timeout_ms, drain_retry_ms;
	int tty_fd;                      /* where answers come from (a terminal, or not) */
	FILE *tty_out;                   /* where questions go */
	/*
	 * "May I act now?" (leader election, a shared cooldown): called right
	 * before every mutation with the record about to act (borrowed); 1 yes,
	 * 0 no with a reason in why (the record is then left pending, never
	 * executed). NULL: always yes.
	 */
	int (*may_act)(void *ctx, const json_t *rec, char *why, size_t whylen);
	void *may_act_ctx;
	/*
	 * --approval web: proposals wait as "pending" in box (borrowed) for a
	 * decision from the page or the API, until approval_ttl_ms (default 1 h)
	 * has passed; a decision binds only the digest it was given for. Without
	 * a box, the terminal (or --auto-approve) decides.
	 */
	struct approval_box *box;
	int64_t approval_ttl_ms;
	/* where the records are published for the page in every mode (borrowed; NULL: box) */
	struct approval_box *view;
	/*
	 * Called after every write of a record (proposed, each update) with the
	 * whole record (borrowed), e.g. to mirror it into a Remediation custom
	 * resource. NULL: nothing.
	 */
	void (*on_record)(void *ctx, const json_t *rec);
	void *on_record_ctx;
	/*
	 * Whether an insight is still open now, from a newer view than the
	 * pass's (the monitor's latest): asked before each insight is handled,
	 * so a pass that spent minutes verifying other actions does not act on
	 * an insight that closed meanwhile. NULL: the pass's view decides.
	 */
	bool (*still_open)(void *ctx, const char *insight_id);
	void *still_open_ctx;
};

struct remedy_stats {
	int proposed, refused, pending, executed, succeeded, failed, skipped;
};

struct remedy_loop {
	struct remedy_opts o;
	struct kube_client *kc;
	struct policy *pol;
	struct history hist;
	const volatile int *stop;
	struct remedy_stats stats;
	const struct insight_store *open; /* the insights of the pass running (borrowed) */
	struct strmap held;               /* "insight record" pairs already logged as held */
};

/* Opens the history (an unreadable one is an error, never overwritten). */
int remedy_loop_open(struct remedy_loop *l, const struct remedy_opts *o,
		     struct kube_client *kc, struct policy *pol,
		     const volatile int *stop, char *err, size_t errlen);
void remedy_loop_close(struct remedy_loop *l);

/*
 * One pass: reads the insights file and handles every open insight not
 * handled before (one with a record in the history, other than a pending
 * one that can now be decided). Returns 0, or a negative errno when the
 * insights file or the history cannot be read or written (err says why).
 */
int remedy_loop_pass(struct remedy_loop *l, char *err, size_t errlen);

/*
 * The same for insights already in memory (`kubemend monitor --remediate`
 * hands its store over instead of meeting remediate at the file).
 */
struct insight_store;
int remedy_loop_handle(struct remedy_loop *l, const struct insight_store *s,
		       char *err, size_t errlen);

/*
 * `--rollback ID`: puts back the resources a change_limits record replaced,
 * recorded as a new record that names the old one. Returns 0 when it was
 * done, -ENOENT for an unknown id, -EINVAL when the record cannot be rolled
 * back, -EIO when the API refused (err says why).
 */
int remedy_loop_rollback(struct remedy_loop *l, const char *id, char *err, size_t errlen);

#endif

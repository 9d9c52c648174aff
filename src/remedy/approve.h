#ifndef REMEDY_APPROVE_H
#define REMEDY_APPROVE_H
/*
 * Approvals: asking a person on the terminal, the binding of a decision to
 * the exact change it was given for (a digest), and the box through which
 * the web page and API hand decisions to the remediation loop.
 *
 * Terminal: nothing is owned. Anything but "y" or "yes" is a refusal, and so
 * is no answer within the timeout; without a terminal nobody can be asked,
 * and the caller records the proposal as pending.
 *
 * Binding: a decision names the digest of the proposal it was shown; the
 * loop carries it out only if the proposal it would execute has the same
 * digest and the approval has not expired, so an approval given for
 * "replicas 10 -> 11" is never executed as "10 -> 15".
 *
 * Box: struct approval_box is owned by whoever creates it (the runner) and
 * is safe to use from any thread; it copies every string it keeps.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

enum answer { ANSWER_YES, ANSWER_NO, ANSWER_TIMEOUT, ANSWER_NO_TERMINAL };

/* "yes", "no", "timeout", "no_terminal". */
const char *answer_name(enum answer a);

/*
 * Writes question (which should end with "[y/N] ") to out and reads one line
 * from in_fd, which must be a terminal. stop, when set, ends the wait early
 * as a refusal (for SIGINT/SIGTERM).
 */
enum answer approval_ask(int in_fd, FILE *out, const char *question,
			 int64_t timeout_ms, const volatile int *stop);

/* ---- binding ---- */

#define APPROVAL_DIGEST_HEX 65  /* 64 hex digits and a NUL */

/*
 * SHA-256 (lowercase hex) of the canonical JSON
 * {"action":A,"params":P,"target":{"kind":K,"name":N,"namespace":NS}}:
 * keys sorted, compact, numbers as jansson prints them, and params without
 * its prose key "rationale". namespace_ may be NULL (JSON null) and params
 * NULL (an empty object). 0 or -ENOMEM; out is written only on success.
 */
int approval_digest(const char *action, const char *kind, const char *namespace_,
		    const char *name, const json_t *params, char out[APPROVAL_DIGEST_HEX]);

/* The same over a record's "action", "target" and "params"; -EINVAL without them. */
int approval_record_digest(const json_t *rec, char out[APPROVAL_DIGEST_HEX]);

/*
 * Whether a decision given for digest still binds record rec at now_ms:
 * 0 when rec's recomputed digest equals digest and rec's
 * "approval_expires" (RFC 3339, optional) is later than now_ms; -ESTALE
 * when the digest differs (the proposal changed), -ETIMEDOUT when expired,
 * -EINVAL when rec is not a proposal.
 */
int approval_check(const json_t *rec, const char *digest, int64_t now_ms);

/* ---- the box between the web and the loop ---- */

enum decision { DECISION_NONE, DECISION_APPROVED, DECISION_REJECTED };

struct approval_box;

struct approval_box *approval_box_new(void);
void approval_box_free(struct approval_box *b);

/*
 * The loop: record id waits for a decision on the proposal with this
 * digest until expires_ms (wall clock). Offering an id again replaces its
 * digest and expiry and forgets an earlier decision.
 */
void approval_box_offer(struct approval_box *b, const char *id, const char *digest,
			int64_t expires_ms);
/* The loop: the record no longer waits (decided, superseded, gone). */
void approval_box_withdraw(struct approval_box *b, const char *id);

/*
 * A person (HTTP thread): decides record id, naming the digest they were
 * shown; who is recorded ("web", "api", a user name). Returns 0, -ENOENT
 * when id is not waiting, -ESTALE when digest is not the offered one,
 * -ETIMEDOUT when the offer expired, -EALREADY when it was decided already.
 */
int approval_box_decide(struct approval_box *b, const char *id, const char *digest,
			bool approve, const char *who, int64_t now_ms);

/*
 * The loop: the decision on id, if any (DECISION_NONE otherwise), with the
 * digest it was given for and who gave it (copied into the buffers).
 */
enum decision approval_box_get(struct approval_box *b, const char *id,
			       char digest[APPROVAL_DIGEST_HEX], char *who, size_t wholen);

/*
 * A read-only view for the page: the loop publishes the history's records
 * (borrowed; the newest APPROVAL_BOX_VIEW are copied), and a reader gets its
 * own deep copy (an empty array before the first publish), so a reader
 * never waits on an action or a verification in progress.
 */
#define APPROVAL_BOX_VIEW 500
void approval_box_publish(struct approval_box *b, const json_t *records);
json_t *approval_box_records(struct approval_box *b);

#endif

#ifndef REMEDY_LOOP_PRIV_H
#define REMEDY_LOOP_PRIV_H
/*
 * Shared between loop.c and rollback.c only: the loop's record writes and
 * its log line, and a proposal read back from a record.
 */
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "insight/insight.h"
#include "remedy/action.h"
#include "remedy/loop.h"

#define C "remediate"

/* Writes fields (taken) into record id; a record that stops waiting leaves the approval box. */
int loop_update(struct remedy_loop *l, const char *id, json_t *fields);
/* One log line for a step of record id (in may be NULL). */
void loop_log_step(const char *msg, const char *id, const struct insight *in,
		   const struct proposal *p, const char *k, const char *v);
/* The proposal a record describes; ns and name hold its strings. */
int loop_proposal_from_record(const json_t *rec, struct proposal *p, char *ns, size_t nslen,
			      char *name, size_t namelen);

/* --approval web (loop_web.c). The decision on record id (approve.h's
 * binding): "web" when approved as it would be done now (params_now), else
 * NULL with *status "pending", "refused" or "superseded". */
const char *loop_web_decision(struct remedy_loop *l, const json_t *params_now, const char *id,
			      const char **status, const char **answer, char *who, size_t wholen);
/* After a new proposal id: an older pending one of the same action on the same target is superseded. */
struct history_target;
void loop_web_supersede(struct remedy_loop *l, const char *action, const struct history_target *t,
			const char *id);
/* Pending records whose time is up are refused. */
void loop_web_expire(struct remedy_loop *l);
/* True while a record offered on the web has neither a decision nor expired. */
bool loop_web_waiting(struct remedy_loop *l, const json_t *rec);

#endif

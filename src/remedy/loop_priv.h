#ifndef REMEDY_LOOP_PRIV_H
#define REMEDY_LOOP_PRIV_H
/*
 * Shared between loop.c and rollback.c only: the loop's record writes and
 * its log line, and a proposal read back from a record.
 */
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

#endif

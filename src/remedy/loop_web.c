/*
 * --approval web, for the loop (loop_priv.h): proposals offered in the
 * approval box, decided there within their time, superseded by a newer
 * measurement, refused when nobody decided.
 */
#include <errno.h>
#include <string.h>
#include "base/log.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "remedy/approve.h"
#include "remedy/history.h"
#include "remedy/loop_priv.h"
#include "base/banned.h"

/*
 * --approval web. For a record that waits (pending, or just proposed):
 * returns "web" when a person approved this very proposal (the digest they
 * were shown equals the digest of what would be done now, and the offer has
 * not expired); otherwise NULL with *status "pending" (still waiting,
 * offered in the box), "refused" (rejected or expired) or "superseded"
 * (approved, but the proposal changed since: it is proposed again).
 */
const char *loop_web_decision(struct remedy_loop *l, const json_t *params_now, const char *id,
				const char **status, const char **answer, char *who, size_t wholen)
{
	json_t *rec = history_get(&l->hist, id), *now;
	const char *exp = json_string_value(json_object_get(rec, "approval_expires"));
	char given[APPROVAL_DIGEST_HEX], digest[APPROVAL_DIGEST_HEX], ts[RFC3339_MAX];
	int64_t until = 0, t = time_real_ms();
	enum decision d = approval_box_get(l->o.box, id, given, who, wholen);
	int rc;

	if (!exp || time_parse(exp, &until)) {
		/* first time: offer it */
		until = t + (l->o.approval_ttl_ms > 0 ? l->o.approval_ttl_ms : 3600 * 1000);
		time_rfc3339(until, ts);
		json_object_set_new(rec, "approval_expires", json_string(ts));
		if (approval_record_digest(rec, digest) == 0)
			approval_box_offer(l->o.box, id, digest, until);
		*status = "pending";
		*answer = "waiting_for_web";
		return NULL;
	}
	if (d == DECISION_NONE) {
		if (t >= until) {
			approval_box_withdraw(l->o.box, id);
			*status = "refused";
			*answer = "expired";
			return NULL;
		}
		*status = "pending";
		*answer = "waiting_for_web";
		return NULL;
	}
	approval_box_withdraw(l->o.box, id);
	if (d == DECISION_REJECTED) {
		*status = "refused";
		*answer = "rejected";
		return NULL;
	}
	/* what would be done now, bound to what was approved */
	now = json_deep_copy(rec);
	json_object_set_new(now, "params", json_deep_copy(params_now));
	rc = approval_check(now, given, t);
	json_decref(now);
	if (rc == 0)
		return "web";
	*status = rc == -ETIMEDOUT ? "refused" : "superseded";
	*answer = rc == -ETIMEDOUT ? "expired" : "stale";
	return NULL;
}

/*
 * --approval web: after a new proposal (id), a pending record of the same
 * action on the same target that proposes another change (measured again,
 * e.g. before a restart) is superseded by it, so the page offers one change
 * and an approval of the old one cannot wait for an insight that is gone.
 */
void loop_web_supersede(struct remedy_loop *l, const char *action,
			  const struct history_target *t, const char *id)
{
	json_t *rec;
	size_t i;

	json_array_foreach(l->hist.records, i, rec) {
		json_t *tg = json_object_get(rec, "target");
		const char *old = json_string_value(json_object_get(rec, "id"));
		char oid[32];

		if (!old || str_eq(old, id) ||
		    !str_eq(json_string_value(json_object_get(rec, "status")), "pending") ||
		    !json_object_get(rec, "approval_expires") ||
		    !str_eq(json_string_value(json_object_get(rec, "action")), action) ||
		    !str_eq(json_string_value(json_object_get(tg, "kind")), t->kind) ||
		    !str_eq(json_string_value(json_object_get(tg, "namespace")), t->namespace_) ||
		    !str_eq(json_string_value(json_object_get(tg, "name")), t->name))
			continue;
		str_copy(oid, old, sizeof(oid));
		log_kv(LOG_INFO, C, "superseded", "record", oid, "by", id, NULL);
		loop_update(l, oid, json_pack("{s:s, s:{s:s, s:s}}", "status", "superseded", "result",
			"message", "measured again: another change of the same kind replaces it, nothing was done",
			"superseded_by", id));
	}
}

/*
 * --approval web: a pending record whose time is up is refused, also when
 * its insight is gone (resolved, or an id from before a restart).
 */
void loop_web_expire(struct remedy_loop *l)
{
	int64_t now = time_real_ms(), until;
	json_t *rec;
	size_t i;

	json_array_foreach(l->hist.records, i, rec) {
		const char *exp = json_string_value(json_object_get(rec, "approval_expires"));
		char id[32];

		if (!str_eq(json_string_value(json_object_get(rec, "status")), "pending") || !exp ||
		    time_parse(exp, &until) || now < until)
			continue;
		str_copy(id, json_string_value(json_object_get(rec, "id")), sizeof(id));
		l->stats.refused++;
		log_kv(LOG_INFO, C, "approval expired", "record", id, NULL);
		loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}", "approval", "refused", "status", "refused",
			"result", "answer", "expired", "message", "nobody decided in time: nothing was done"));
	}
}

/* True while a record offered on the web has neither a decision nor expired. */
bool loop_web_waiting(struct remedy_loop *l, const json_t *rec)
{
	const char *exp = json_string_value(json_object_get(rec, "approval_expires"));
	char d[APPROVAL_DIGEST_HEX];
	int64_t until;

	if (!exp || time_parse(exp, &until) || time_real_ms() >= until)
		return false;
	return approval_box_get(l->o.box, json_string_value(json_object_get(rec, "id")),
				d, NULL, 0) == DECISION_NONE;
}

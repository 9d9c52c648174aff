/*
 * `kubemend remediate --rollback ID`: puts back the values an applied
 * change_limits replaced, as a new record, and verifies them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/str.h"
#include "base/timeutil.h"
#include "remedy/execute.h"
#include "remedy/history.h"
#include "remedy/loop_priv.h"
#include "remedy/verify.h"
#include "base/banned.h"

int remedy_loop_rollback(struct remedy_loop *l, const char *id, char *err, size_t errlen)
{
	json_t *rec = history_get(&l->hist, id), *prev, *result = NULL, *ver = NULL, *params;
	struct proposal p;
	struct history_target t;
	char ns[128], name[256], nid[32];
	const char *status;
	struct remedy_exec x = { .kc = l->kc, .dry_run = l->o.dry_run, .stop = l->stop };
	struct verify_opts vo = { l->o.verify_window_ms, l->o.verify_poll_ms, l->stop, NULL, 0 };
	enum exec_outcome out;
	double v;
	int rc;

	if (!rec) {
		snprintf(err, errlen, "%s: no record %s", l->hist.path, id);
		return -ENOENT;
	}
	prev = json_object_get(json_object_get(rec, "result"), "previous");
	if (loop_proposal_from_record(rec, &p, ns, sizeof(ns), name, sizeof(name)) ||
	    p.kind != ACT_CHANGE_LIMITS || !str_eq(json_string_value(json_object_get(rec, "mode")), "applied") ||
	    !json_is_object(prev)) {
		snprintf(err, errlen, "record %s is not an applied change_limits with previous "
			 "values: nothing to roll back", id);
		return -EINVAL;
	}
	/* the restored values are the new "after", so verification checks them */
	if (str_to_quantity(json_string_value(json_object_get(json_object_get(prev, "limits"), "memory")) ?
			    json_string_value(json_object_get(json_object_get(prev, "limits"), "memory")) : "", &v) == 0)
		p.mem_limit_after = v;
	if (str_to_quantity(json_string_value(json_object_get(json_object_get(prev, "limits"), "cpu")) ?
			    json_string_value(json_object_get(json_object_get(prev, "limits"), "cpu")) : "", &v) == 0)
		p.cpu_limit_after = v;
	t.kind = "Deployment";
	t.namespace_ = p.namespace_;
	t.name = p.name;
	params = json_pack("{s:s, s:O}", "rollback_of", id, "restore", prev);
	rc = history_propose(&l->hist, time_real_ms(), json_string_value(json_object_get(rec, "insight_id")),
			     "change_limits", &t, params, l->o.dry_run ? "dry_run" : "applied",
			     nid, sizeof(nid));
	json_decref(params);
	if (rc) {
		snprintf(err, errlen, "%s: %s", l->hist.path, strerror(-rc));
		return rc;
	}
	/* typing --rollback ID is the user's approval */
	loop_update(l, nid, json_pack("{s:s, s:s}", "approval", "user", "status", "executing"));
	loop_log_step("rollback", nid, NULL, &p, "rollback_of", id);
	out = remedy_restore_limits(&x, p.namespace_, p.name, prev, &result);
	status = out == EXEC_DONE ? (l->o.dry_run ? "dry_run" : "executing") : "failed";
	loop_update(l, nid, json_pack("{s:s, s:O}", "status", status, "result", result));
	if (out != EXEC_DONE) {
		snprintf(err, errlen, "%s", json_string_value(json_object_get(result, "message")));
		json_decref(result);
		return -EIO;
	}
	if (!l->o.dry_run) {
		enum verdict vd = remedy_verify(l->kc, &p, result, &vo, &ver);
		loop_update(l, nid, json_pack("{s:s, s:o}", "status", verdict_name(vd), "verification", ver));
	}
	json_decref(result);
	snprintf(err, errlen, "%s", nid);
	return 0;
}

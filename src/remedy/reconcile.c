#include <stdio.h>
#include <string.h>
#include "base/log.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "remedy/reconcile.h"
#include "remedy/target.h"
#include "base/banned.h"

#define C "remediate"

/*
 * After a crash (kill -9, a lost node) a record may say "executing": the
 * action was in flight. It is marked "interrupted" with what the cluster
 * shows now, and a warning; a node that a cordon or drain left
 * unschedulable is named, since nothing else will uncordon it.
 */
void remedy_reconcile(struct history *hist, struct kube_client *kc)
{
	json_t *rec;
	size_t i;

	json_array_foreach(hist->records, i, rec) {
		const char *id = json_string_value(json_object_get(rec, "id"));
		const char *action = json_string_value(json_object_get(rec, "action"));
		const char *name = json_string_value(json_object_get(json_object_get(rec, "target"), "name"));
		char msg[512];
		json_t *node = NULL, *fields;
		struct kube_error e = { 0 };

		if (!str_eq(json_string_value(json_object_get(rec, "status")), "executing") || !id)
			continue;
		snprintf(msg, sizeof(msg), "interrupted: kubemend stopped while %s %s was in flight; "
			 "what it changed was not verified", action ? action : "?", name ? name : "?");
		if ((str_eq(action, "drain_node") || str_eq(action, "cordon_node")) && name && kc &&
		    target_get(kc, "get node", "/api/v1", NULL, "nodes", name, &node, &e) == 0) {
			if (json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable")))
				snprintf(msg, sizeof(msg), "interrupted: kubemend stopped while %s %s was in "
					 "flight; node %s is still cordoned (uncordon it when it is healthy: "
					 "kubectl uncordon %s)", action, name, name, name);
			json_decref(node);
		}
		fields = json_pack("{s:s, s:s}", "status", "interrupted", "interrupted", msg);
		if (history_update(hist, id, time_real_ms(), fields) == 0)
			log_kv(LOG_WARN, C, "reconciled a record left executing", "record", id,
			       "message", msg, NULL);
		json_decref(fields);
	}
}


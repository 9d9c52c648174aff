/* DELETE's DeleteOptions (the request body), as the API server reads them. */
#include <stdio.h>
#include <string.h>
#include "sim/api.h"
#include "base/banned.h"

/*
 * DeleteOptions.preconditions in the body: the API server refuses (409) a
 * delete meant for another incarnation or version of the object, before
 * anything else (dry run included). Also takes DeleteOptions.dryRun.
 */
bool api_delete_preconditions(struct apireq *a, const struct meta *m)
{
	json_t *opts, *pre;
	const char *want_uid, *want_rv;
	char uid[37], rv[24];

	if (!a->r->body_len)
		return true;
	opts = json_loadb(a->r->body, a->r->body_len, 0, NULL);
	pre = json_object_get(opts, "preconditions");
	want_uid = json_string_value(json_object_get(pre, "uid"));
	want_rv = json_string_value(json_object_get(pre, "resourceVersion"));
	store_uid(m->uid, uid);
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)m->rv);
	if (json_array_size(json_object_get(opts, "dryRun")))
		a->dry_run = true;
	if (want_uid && strcmp(want_uid, uid)) {
		api_status(a->resp, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the UID "
			   "in the precondition (%s) does not match the UID in record (%s). The object "
			   "might have been deleted and then recreated", kind_name(m->kind), m->name,
			   want_uid, uid);
	} else if (want_rv && strcmp(want_rv, rv)) {
		api_status(a->resp, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the "
			   "ResourceVersion in the precondition (%s) does not match the ResourceVersion in "
			   "record (%s). The object might have been modified", kind_name(m->kind), m->name,
			   want_rv, rv);
	} else {
		json_decref(opts);
		return true;
	}
	json_decref(opts);
	return false;
}

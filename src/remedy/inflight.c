#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/str.h"
#include "base/timeutil.h"
#include "insight/insight.h"
#include "remedy/action.h"
#include "remedy/approve.h"
#include "remedy/inflight.h"
#include "base/banned.h"

static const char *field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

bool inflight_serves(const json_t *rec, const char *insight_id)
{
	const json_t *v;
	size_t i;

	if (!insight_id)
		return false;
	if (str_eq(field(rec, "insight_id"), insight_id))
		return true;
	json_array_foreach(json_object_get(rec, "insight_ids"), i, v)
		if (str_eq(json_string_value(v), insight_id))
			return true;
	return false;
}

bool inflight_record_workload(const json_t *rec, char *out, size_t n)
{
	const json_t *t = json_object_get(rec, "target");
	const char *kind = field(t, "kind"), *ns = field(t, "namespace"), *name = field(t, "name");
	const char *w = field(t, "workload");

	if (str_eq(kind, "Node") && name && *name) {
		snprintf(out, n, "node/%s", name);
		return true;
	}
	if (!w && str_eq(kind, "Deployment"))
		w = name;
	if (!w && str_eq(kind, "HorizontalPodAutoscaler"))
		w = field(json_object_get(rec, "params"), "deployment");
	if (!ns || !w || !*w)
		return false;
	snprintf(out, n, "%s/%s", ns, w);
	return true;
}

void inflight_proposal_workload(const struct proposal *p, char *out, size_t n)
{
	const char *w = p->workload ? p->workload :
			p->kind == ACT_RESTART_POD || p->kind == ACT_RAISE_HPA_MAX ? NULL : p->name;

	out[0] = '\0';
	if (action_is_node(p->kind))
		snprintf(out, n, "node/%s", p->name);
	else if (p->namespace_ && w)
		snprintf(out, n, "%s/%s", p->namespace_, w);
}

bool inflight_insight_workload(const struct insight *in, char *out, size_t n)
{
	if (in->namespace_ && in->owner_name && str_eq(in->owner_kind, "Deployment")) {
		snprintf(out, n, "%s/%s", in->namespace_, in->owner_name);
		return true;
	}
	if (!in->namespace_ && in->node) {
		snprintf(out, n, "node/%s", in->node);
		return true;
	}
	return false;
}

static bool open_in(const struct insight_store *s, const char *id)
{
	for (size_t i = 0; s && id && i < s->n; i++)
		if (str_eq(s->items[i]->id, id))
			return !s->items[i]->resolved_ms;
	return false;
}

/* Whether one insight the record serves is open in s. */
static bool serves_open(const json_t *rec, const struct insight_store *s)
{
	const json_t *v;
	size_t i;

	if (open_in(s, field(rec, "insight_id")))
		return true;
	json_array_foreach(json_object_get(rec, "insight_ids"), i, v)
		if (open_in(s, json_string_value(v)))
			return true;
	return false;
}

bool inflight_is(const json_t *rec, const struct insight_store *open, bool dry_run, int64_t now_ms)
{
	const char *st = field(rec, "status"), *exp = field(rec, "approval_expires");
	int64_t until;

	if (!dry_run && str_eq(field(rec, "mode"), "dry_run"))
		return false;
	if (str_eq(st, "proposed") || str_eq(st, "executing"))
		return true;
	if (str_eq(st, "pending"))
		return serves_open(rec, open) ||
		       (exp && time_parse(exp, &until) == 0 && now_ms < until);
	return dry_run && str_eq(st, "dry_run") && serves_open(rec, open);
}

json_t *inflight_on(const json_t *records, const char *workload, const char *digest,
		    const struct insight_store *open, bool dry_run, int64_t now_ms)
{
	json_t *rec, *found = NULL;
	char w[400], d[APPROVAL_DIGEST_HEX];
	size_t i;

	if (!workload)
		return NULL;
	json_array_foreach(records, i, rec) {
		if (!inflight_record_workload(rec, w, sizeof(w)) || !str_eq(w, workload) ||
		    str_eq(field(rec, "action"), "none") || !inflight_is(rec, open, dry_run, now_ms))
			continue;
		if (digest ? approval_record_digest(rec, d) == 0 && str_eq(d, digest) :
			     !str_eq(field(rec, "status"), "dry_run") &&
			     /* a web proposal whose insights are all gone (a restart)
			      * holds nothing back: a new one supersedes it */
			     (!str_eq(field(rec, "status"), "pending") || serves_open(rec, open)))
			found = rec;
	}
	return found;
}

int inflight_attach(json_t *rec, const char *insight_id)
{
	json_t *ids = json_object_get(rec, "insight_ids");

	if (inflight_serves(rec, insight_id))
		return 0;
	if (!json_is_array(ids)) {
		ids = json_array();
		if (!ids || (field(rec, "insight_id") &&
			     json_array_append_new(ids, json_string(field(rec, "insight_id")))) ||
		    json_object_set_new(rec, "insight_ids", ids))
			return -ENOMEM;
	}
	return json_array_append_new(ids, json_string(insight_id)) ? -ENOMEM : 1;
}

#include <string.h>
#include "base/str.h"
#include "remedy/inflight.h"
#include "remedy/ladder.h"
#include "base/banned.h"

static const char *field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

bool ladder_acted(const char *status)
{
	return str_eq(status, "executing") || str_eq(status, "succeeded") ||
	       str_eq(status, "failed") || str_eq(status, "unverified");
}

const json_t *ladder_tried(const json_t *records, const char *insight_id, const char *action,
			   const char *target, const char *status)
{
	const json_t *rec, *found = NULL;
	size_t i;

	json_array_foreach(records, i, rec) {
		const char *st = field(rec, "status");

		if (inflight_serves(rec, insight_id) && str_eq(field(rec, "action"), action) &&
		    str_eq(field(json_object_get(rec, "target"), "name"), target) &&
		    (status ? str_eq(st, status) : ladder_acted(st) || str_eq(st, "skipped")))
			found = rec;
	}
	return found;
}

int ladder_rungs(const json_t *records, const char *insight_id)
{
	const json_t *rec;
	size_t i;
	int n = 0;

	json_array_foreach(records, i, rec)
		n += inflight_serves(rec, insight_id) && ladder_acted(field(rec, "status"));
	return n;
}

bool ladder_no_cure(const json_t *rec)
{
	const char *rule = field(json_object_get(rec, "result"), "rule");

	return json_is_object(json_object_get(rec, "verification")) ||
	       str_eq(rule, "pod_disruption_budget") || str_eq(rule, "ready_floor");
}

bool ladder_signal_normal(const json_t *rec)
{
	const json_t *v = json_object_get(rec, "verification");
	const json_t *params = json_object_get(rec, "params");

	/* a CPU limit's signal is throttling, a memory limit's the working set's
	 * headroom; a scale's for a CPU insight the load per pod (an HPA's
	 * maximum is not measured: its steps go on to the goal) */
	return (json_is_number(json_object_get(params, "cpu_limit_after")) &&
		json_is_number(json_object_get(v, "cpu_throttled_pct"))) ||
	       (json_is_number(json_object_get(params, "memory_limit_after")) &&
		json_is_number(json_object_get(v, "memory_peak_bytes"))) ||
	       (str_eq(field(rec, "action"), "scale_deployment") &&
		json_is_number(json_object_get(v, "cpu_per_pod_cores")));
}

void ladder_story(const json_t *records, const char *insight_id, const struct policy *pol,
		  int max_rungs, struct buf *out)
{
	const json_t *rec;
	size_t i;
	int n = 0;
	bool mem = false;

	buf_addf(out, "%d actions were tried and the fault's signal goes on:",
		 ladder_rungs(records, insight_id));
	json_array_foreach(records, i, rec) {
		const json_t *params = json_object_get(rec, "params");
		const char *d = field(params, "description");
		const char *v = field(json_object_get(rec, "verification"), "detail");

		if (!inflight_serves(rec, insight_id) || !ladder_acted(field(rec, "status")))
			continue;
		mem |= json_is_number(json_object_get(params, "memory_limit_after"));
		buf_addf(out, " (%d) %s: %s%s%s;", ++n, d ? d : "?", field(rec, "status"),
			 v ? ", " : "", v ? v : "");
	}
	if (mem)
		buf_addf(out, " the rule: memory limit = max(peak + 100 MiB, peak x 1.2), rounded up to "
			 "a MiB (the VPA's after an OOM kill), each step at most max_limit_factor (%.3g) x "
			 "the limit before it and at most max_memory_limit (%.0f MiB), %d actions per "
			 "incident: set the limit by hand, or raise max_limit_factor", pol->max_limit_factor,
			 pol->max_mem_limit / 1048576.0, max_rungs);
	else
		buf_addf(out, " at most %d actions per incident", max_rungs);
}

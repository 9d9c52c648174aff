#include <stdio.h>
#include "base/timeutil.h"
#include "serve/alerts.h"
#include "base/banned.h"

static json_t *ts(int64_t ms)
{
	char b[RFC3339_MAX];

	time_rfc3339_ms(ms, b);
	return json_string(b);
}

json_t *alert_json(const struct insight *in, int64_t wall_ms, int64_t valid_ms)
{
	char det[RFC3339_MAX];

	json_t *labels = json_pack("{s:s, s:s, s:s}", "alertname", "KubemendAnomaly",
				   "anomaly_type", in->anomaly_type ? in->anomaly_type : "unknown",
				   "severity", in->severity);
	json_t *ann = json_pack("{s:s}", "summary", in->summary);

	if (in->namespace_)
		json_object_set_new(labels, "namespace", json_string(in->namespace_));
	if (in->npods)
		json_object_set_new(labels, "pod", json_string(in->pods[0]));
	if (in->node)
		json_object_set_new(labels, "node", json_string(in->node));
	json_object_set_new(labels, "insight_id", json_string(in->id));
	if (in->explanation)
		json_object_set_new(ann, "explanation", json_string(in->explanation));
	time_rfc3339(in->detected_ms, det);
	json_object_set_new(ann, "detected_at", json_string(det));
	return json_pack("{s:o, s:o, s:o}", "labels", labels, "annotations", ann,
			 "endsAt", ts(in->resolved_ms ? wall_ms : wall_ms + valid_ms));
}

json_t *alerts_json(const struct insight_store *s, double threshold,
		    int64_t wall_ms, int64_t valid_ms, int64_t since_ms)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < s->n; i++) {
		const struct insight *in = s->items[i];
		if (in->resolved_ms ? in->resolved_ms >= since_ms : in->probability >= threshold)
			json_array_append_new(arr, alert_json(in, wall_ms, valid_ms));
	}
	return arr;
}

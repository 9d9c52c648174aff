#ifndef SERVE_ALERTS_H
#define SERVE_ALERTS_H
/*
 * Insights as Alertmanager alerts (API v2, POST /api/v2/alerts). Builds
 * the JSON body; the caller sends it. Returns new references.
 */
#include <stdint.h>
#include <jansson.h>
#include "insight/insight.h"

/*
 * One alert for insight in: labels alertname=KubemendAnomaly, namespace,
 * pod, node, anomaly_type, severity, insight_id; annotations summary,
 * explanation and detected_at. Times sent are on the wall clock (wall_ms),
 * never the cluster's, which may run at another speed: an open insight's
 * endsAt is wall_ms + valid_ms (the caller resends before then) and
 * Alertmanager sets startsAt on arrival; a resolved one ends at wall_ms.
 */
json_t *alert_json(const struct insight *in, int64_t wall_ms, int64_t valid_ms);

/*
 * The body for every insight of s that is open at or above threshold, or
 * resolved at or after since_ms on the insights' clock (the caller passes
 * the insight time of its previous send, so each resolution is sent).
 */
json_t *alerts_json(const struct insight_store *s, double threshold,
		    int64_t wall_ms, int64_t valid_ms, int64_t since_ms);

#endif

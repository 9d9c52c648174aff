#ifndef SERVE_ALERTSEND_H
#define SERVE_ALERTSEND_H
/*
 * Sending insights to Alertmanager (POST /api/v2/alerts): open insights at
 * or above the threshold as firing alerts, resent before they expire, and
 * each resolution once. struct alert_sender owns its HTTP client and URL.
 * It does not log; alert_sender_tick() returns an error the caller reports.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/http.h"
#include "serve/source.h"

struct alert_sender {
	char *url;                      /* ".../api/v2/alerts" */
	struct http_client http;
	int64_t valid_ms;               /* endsAt of a firing alert: now + this */
	int64_t resend_ms;              /* resend firing alerts this often (< valid_ms) */
	int64_t last_send_wall_ms;
	int64_t since_ms;               /* insight time of the last successful send */
	size_t last_count;
	uint64_t sent, failures;
};

/* base_url: "http://127.0.0.1:9093". 0 or a negative errno with err. */
int alert_sender_init(struct alert_sender *a, const char *base_url, char *err, size_t errlen);
void alert_sender_release(struct alert_sender *a);
/*
 * Sends when something changed (new or resolved insights) or a resend is
 * due. Returns the number of alerts sent (0: nothing due), or a negative
 * errno with err (the next tick retries).
 */
int alert_sender_tick(struct alert_sender *a, const struct serve_source *src, bool changed,
		      char *err, size_t errlen);

#endif

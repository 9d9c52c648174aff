#ifndef SERVE_SOURCE_H
#define SERVE_SOURCE_H
/*
 * What the HTTP endpoints and the alert sender read from the running
 * monitor: a read-only view through callbacks, so that serve/ needs nothing
 * from the layer that owns the state (run/, above serve/). The provider
 * fills the struct and keeps ctx alive while serve/ uses it; every callback
 * takes the provider's own locks, may be called from any thread, and
 * returns data the caller owns. A NULL callback means "not available".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/buf.h"

struct serve_source {
	void *ctx;
	/* Appends the Prometheus text exposition of the monitor's state. */
	void (*metrics)(void *ctx, struct buf *out);
	/* The insights document, as in pod_insights.json (new reference; NULL: no memory). */
	json_t *(*insights)(void *ctx);
	/* true when ready for traffic; else false with a one-line reason in why. */
	bool (*ready)(void *ctx, char *why, size_t whylen);
	/*
	 * Alertmanager's body (alerts.h's alerts_json) for wall clock now_ms,
	 * firing alerts valid valid_ms, resolutions since since_ms on the
	 * insights' clock; *feed_ms gets the insights' clock now. New reference.
	 */
	json_t *(*alerts)(void *ctx, int64_t now_ms, int64_t valid_ms, int64_t since_ms,
			  int64_t *feed_ms);
};

#endif

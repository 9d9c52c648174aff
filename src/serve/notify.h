#ifndef SERVE_NOTIFY_H
#define SERVE_NOTIFY_H
/*
 * Notifications to chat and to scripts (docs/web.md): a Slack-compatible
 * incoming webhook (Block Kit: summary, evidence, a link to the record on
 * the page) and a generic JSON webhook whose body is signed with
 * HMAC-SHA256 (header X-Kubemend-Signature: sha256=HEX). Events are
 * queued and sent by a worker thread of the notifier's own, with retries
 * and exponential back-off, so posting never waits on the network: a full
 * queue drops the oldest event and counts it. struct notifier owns its
 * thread, queue, HTTP client and copies of every string it is given.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct notify_opts {
	const char *slack_url;          /* Slack incoming webhook, or NULL */
	const char *webhook_url;        /* generic JSON webhook, or NULL */
	const char *webhook_secret;     /* HMAC-SHA256 key for webhook_url (NULL: unsigned) */
	const char *page_url;           /* base of links to the page ("http://host:9101"), or NULL */
	size_t max_queue;               /* default 256 events */
	int max_attempts;               /* per delivery, default 5 */
	int64_t backoff_ms;             /* first wait between attempts, doubled each time; default 1 s */
	int64_t backoff_max_ms;         /* cap per wait; default 60 s */
	int64_t timeout_ms;             /* per attempt; default 10 s */
};

struct notify_stats {
	uint64_t queued, sent, failed, dropped, retries;
};

struct notifier;

/* Starts the worker; 0 or a negative errno with err. Neither URL set is -EINVAL. */
int notifier_start(struct notifier **out, const struct notify_opts *o, char *err, size_t errlen);
/*
 * Stops the worker: events still queued get up to grace_ms to go out, then
 * are dropped. NULL is fine.
 */
void notifier_stop(struct notifier *n, int64_t grace_ms);

/*
 * Queues one event: kind is "insight.opened", "insight.resolved",
 * "remediation.proposed", "remediation.executed", "remediation.failed";
 * subject is the insight (pod_insights.json's shape) or the remediation
 * record (remediation_history.json's shape), copied. Never blocks on the
 * network.
 */
void notifier_post(struct notifier *n, const char *kind, const json_t *subject);

struct notify_stats notifier_stats(struct notifier *n);

/* The bodies, for tests and docs: new references. link may be NULL. */
json_t *notify_generic_body(const char *kind, const json_t *subject, const char *link,
			    const char *delivery_id, int64_t now_ms);
json_t *notify_slack_body(const char *kind, const json_t *subject, const char *link);
/* "sha256=" and the hex HMAC-SHA256 of body under key; out >= 72 bytes. */
void notify_sign(const char *key, const char *body, size_t len, char out[72]);

#endif

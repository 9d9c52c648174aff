#ifndef SERVE_WEBUI_H
#define SERVE_WEBUI_H
/*
 * The page at / (HTML, CSS and JS compiled into the binary from
 * src/serve/page.html) and its API: GET /api/pods (probability sparklines),
 * GET /api/remediations, POST /api/remediations/ID/approve|reject and
 * POST /api/session (docs/web.md). serve/ sits below the runner, so the
 * remediation records and decisions reach it through struct webui_source,
 * whose callbacks the runner provides. struct webui owns its webauth and
 * its sparkline history; it borrows the source's ctx. Safe to use from any
 * thread.
 */
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "base/buf.h"
#include "net/httpd.h"
#include "serve/webauth.h"

struct webui_source {
	/* The records, oldest first (new reference); NULL when remediation is off. */
	json_t *(*remediations)(void *ctx);
	/*
	 * Decides record id for the proposal with this digest: 0, -ENOENT
	 * (not waiting for a decision), -ESTALE (digest differs), -ETIMEDOUT
	 * (expired), -EALREADY (decided). NULL when nothing can be decided here.
	 */
	int (*decide)(void *ctx, const char *id, const char *digest, bool approve, const char *who);
	void *ctx;
	const char *approval_mode;      /* "web", "terminal", "auto", or NULL (remediation off) */
};

/* Points kept per pod: one per 30 s of cluster time over the last hour. */
#define WEBUI_SPARK_POINTS 120
#define WEBUI_MAX_PODS 5000

struct webui;

/* auth is taken over (freed by webui_free). */
struct webui *webui_new(const struct webui_source *src, struct webauth *auth);
void webui_free(struct webui *ui);

/* Records one pod's probability at ts_ms (cluster time). */
void webui_spark(struct webui *ui, const char *ns, const char *pod, int64_t ts_ms, double prob);

/* Answers the request when it is one of the page's paths; false otherwise. */
bool webui_handle(struct webui *ui, const struct httpd_req *r, struct httpd_resp *resp);

/*
 * The notifier whose counters /metrics shows (borrowed; NULL to forget it
 * before it is stopped), and those counters with the page's own.
 */
struct notifier;
void webui_set_notifier(struct webui *ui, struct notifier *n);
void webui_metrics(struct webui *ui, struct buf *out);

/* Whether a read of /api/... is allowed (for /api/insights). */
bool webui_read_ok(struct webui *ui, const struct httpd_req *r);

/* Whether listen ("HOST:PORT") is a loopback address. */
bool webui_loopback(const char *listen);

/*
 * Refuses to listen beyond loopback without a token: 0, or -EPERM with a
 * one-line reason in err.
 */
int webui_check_listen(const char *listen, bool have_token, char *err, size_t errlen);

/* The embedded page (generated at build time from src/serve/page.html). */
extern const unsigned char webui_page[];
extern const unsigned int webui_page_len;

#endif

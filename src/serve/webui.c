#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/webui.h"
#include "serve/expo.h"
#include "serve/notify.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strmap.h"
#include "base/strvec.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define SPARK_STEP_MS (30 * 1000)
#define SPARK_SPAN_MS (3600 * 1000)
#define PODS_SHOWN 300

struct spark {
	int64_t ts[WEBUI_SPARK_POINTS];
	float p[WEBUI_SPARK_POINTS];
	int start, n;           /* a ring, oldest at start */
};

struct webui {
	struct webui_source src;
	struct webauth *auth;
	pthread_mutex_t mu;
	struct strmap sparks;   /* "ns/pod" -> struct spark */
	int64_t latest_ms;      /* the newest point's time */
	int64_t swept_ms;
	struct notifier *notify;
	uint64_t decided[3];    /* approved, rejected, not taken (409) */
};

struct webui *webui_new(const struct webui_source *src, struct webauth *auth)
{
	struct webui *ui = xcalloc(1, sizeof(*ui));

	if (src)
		ui->src = *src;
	ui->auth = auth;
	pthread_mutex_init(&ui->mu, NULL);
	return ui;
}

void webui_free(struct webui *ui)
{
	if (!ui)
		return;
	strmap_clear(&ui->sparks, free);
	webauth_free(ui->auth);
	pthread_mutex_destroy(&ui->mu);
	free(ui);
}

/* Pods not seen for an hour leave the page. Called with the lock held. */
static void sweep(struct webui *ui)
{
	struct strvec gone = STRVEC_INIT;
	size_t it;

	for (struct strmap_entry *e = strmap_first(&ui->sparks, &it); e;
	     e = strmap_next(&ui->sparks, e, &it)) {
		struct spark *s = e->value;
		int last = (s->start + s->n - 1) % WEBUI_SPARK_POINTS;

		if (!s->n || s->ts[last] < ui->latest_ms - SPARK_SPAN_MS)
			strvec_push(&gone, e->key);
	}
	for (size_t i = 0; i < gone.n; i++)
		free(strmap_remove(&ui->sparks, gone.v[i]));
	strvec_clear(&gone);
	ui->swept_ms = ui->latest_ms;
}

void webui_spark(struct webui *ui, const char *ns, const char *pod, int64_t ts_ms, double prob)
{
	char key[512];
	struct spark *s;

	if (!ns || !pod || !(prob >= 0 && prob <= 1))
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, pod);
	pthread_mutex_lock(&ui->mu);
	if (ts_ms > ui->latest_ms)
		ui->latest_ms = ts_ms;
	if (ui->latest_ms - ui->swept_ms > 5 * 60 * 1000)
		sweep(ui);
	s = strmap_get(&ui->sparks, key);
	if (!s && ui->sparks.n < WEBUI_MAX_PODS) {
		s = xcalloc(1, sizeof(*s));
		strmap_put(&ui->sparks, key, s);
	}
	if (s) {
		int last = (s->start + s->n - 1 + WEBUI_SPARK_POINTS) % WEBUI_SPARK_POINTS;

		if (s->n && ts_ms / SPARK_STEP_MS == s->ts[last] / SPARK_STEP_MS) {
			/* the same 30 s: keep the highest, so a spike is not lost */
			if (prob > s->p[last])
				s->p[last] = (float)prob;
			s->ts[last] = ts_ms;
		} else if (!s->n || ts_ms > s->ts[last]) {
			if (s->n == WEBUI_SPARK_POINTS) {
				s->start = (s->start + 1) % WEBUI_SPARK_POINTS;
				s->n--;
			}
			last = (s->start + s->n) % WEBUI_SPARK_POINTS;
			s->ts[last] = ts_ms;
			s->p[last] = (float)prob;
			s->n++;
		}
	}
	pthread_mutex_unlock(&ui->mu);
}

static int by_last_desc(const void *a, const void *b)
{
	double x = json_real_value(json_object_get(*(json_t *const *)a, "last"));
	double y = json_real_value(json_object_get(*(json_t *const *)b, "last"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static json_t *pods_json(struct webui *ui)
{
	json_t *arr = json_array(), *doc, **v;
	size_t it, n = 0;

	pthread_mutex_lock(&ui->mu);
	v = xcalloc(ui->sparks.n + 1, sizeof(*v));
	for (struct strmap_entry *e = strmap_first(&ui->sparks, &it); e;
	     e = strmap_next(&ui->sparks, e, &it)) {
		struct spark *s = e->value;
		const char *slash = strchr(e->key, '/');
		json_t *pts = json_array();
		double lastp = 0;

		for (int i = 0; i < s->n; i++) {
			int k = (s->start + i) % WEBUI_SPARK_POINTS;

			if (s->ts[k] < ui->latest_ms - SPARK_SPAN_MS)
				continue;
			json_array_append_new(pts, json_pack("[I, f]", (json_int_t)s->ts[k],
							     (double)s->p[k]));
			lastp = s->p[k];
		}
		if (!slash || !json_array_size(pts)) {
			json_decref(pts);
			continue;
		}
		v[n++] = json_pack("{s:s%, s:s, s:f, s:o}", "namespace", e->key,
				   (size_t)(slash - e->key), "pod", slash + 1, "last", lastp,
				   "points", pts);
	}
	doc = json_pack("{s:I, s:I}", "now", (json_int_t)ui->latest_ms, "span_ms",
			(json_int_t)SPARK_SPAN_MS);
	pthread_mutex_unlock(&ui->mu);
	qsort(v, n, sizeof(*v), by_last_desc);
	for (size_t i = 0; i < n; i++) {
		if (i < PODS_SHOWN)
			json_array_append(arr, v[i]);
		json_decref(v[i]);
	}
	free(v);
	json_object_set_new(doc, "total", json_integer((json_int_t)n));
	json_object_set_new(doc, "pods", arr);
	return doc;
}

static void send_json(struct httpd_resp *resp, int status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	resp->status = text ? status : 500;
	resp->content_type = "application/json";
	httpd_resp_header(resp, "Cache-Control", "no-store");
	buf_adds(&resp->body, text ? text : "{\"error\":\"out of memory\"}");
	buf_addch(&resp->body, '\n');
	free(text);
}

static void send_error(struct httpd_resp *resp, int status, const char *msg)
{
	send_json(resp, status, json_pack("{s:s}", "error", msg));
}

void webui_set_notifier(struct webui *ui, struct notifier *n)
{
	pthread_mutex_lock(&ui->mu);
	ui->notify = n;
	pthread_mutex_unlock(&ui->mu);
}

void webui_metrics(struct webui *ui, struct buf *out)
{
	static const char *const names[] = { "approved", "rejected", "not_taken" };
	struct notify_stats ns;
	bool have;
	uint64_t d[3];

	pthread_mutex_lock(&ui->mu);
	have = ui->notify != NULL;
	if (have)
		ns = notifier_stats(ui->notify);
	memcpy(d, ui->decided, sizeof(d));
	pthread_mutex_unlock(&ui->mu);
	expo_family(out, "kubemend_web_decisions_total", "counter",
		    "Decisions posted to /api/remediations/ID/approve|reject, by outcome.");
	for (int i = 0; i < 3; i++) {
		const char *labels[] = { "outcome", names[i], NULL };
		expo_sample(out, "kubemend_web_decisions_total", labels, (double)d[i]);
	}
	if (!have)
		return;
	expo_family(out, "kubemend_notifications_total", "counter",
		    "Notification events by outcome (queued, sent, failed after retries, dropped from a full queue).");
	{
		const char *l1[] = { "outcome", "queued", NULL }, *l2[] = { "outcome", "sent", NULL };
		const char *l3[] = { "outcome", "failed", NULL }, *l4[] = { "outcome", "dropped", NULL };

		expo_sample(out, "kubemend_notifications_total", l1, (double)ns.queued);
		expo_sample(out, "kubemend_notifications_total", l2, (double)ns.sent);
		expo_sample(out, "kubemend_notifications_total", l3, (double)ns.failed);
		expo_sample(out, "kubemend_notifications_total", l4, (double)ns.dropped);
	}
	expo_family(out, "kubemend_notification_retries_total", "counter",
		    "Webhook deliveries repeated after a failure.");
	expo_sample(out, "kubemend_notification_retries_total", NULL, (double)ns.retries);
}

bool webui_read_ok(struct webui *ui, const struct httpd_req *r)
{
	return webauth_read_ok(ui->auth, r, time_real_ms());
}

/* The records newest first, optionally only those with ?status=S. */
static json_t *remediations_json(struct webui *ui, const char *status)
{
	json_t *recs = ui->src.remediations ? ui->src.remediations(ui->src.ctx) : NULL;
	json_t *out = json_array(), *rec;
	size_t n = json_array_size(recs);

	for (size_t i = n; i-- > 0;) {
		rec = json_array_get(recs, i);
		if (status && !str_eq(json_string_value(json_object_get(rec, "status")), status))
			continue;
		json_array_append(out, rec);
	}
	json_decref(recs);
	return json_pack("{s:s?, s:b, s:o}", "approval", ui->src.approval_mode,
			 "token_required", webauth_has_token(ui->auth), "remediations", out);
}

static bool known_record(struct webui *ui, const char *id)
{
	json_t *recs = ui->src.remediations ? ui->src.remediations(ui->src.ctx) : NULL, *rec;
	size_t i;
	bool found = false;

	json_array_foreach(recs, i, rec)
		if (str_eq(json_string_value(json_object_get(rec, "id")), id))
			found = true;
	json_decref(recs);
	return found;
}

static bool valid_id(const char *s, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* POST /api/remediations/ID/approve|reject */
static void decide(struct webui *ui, const struct httpd_req *r, struct httpd_resp *resp,
		   const char *rest)
{
	const char *slash = strchr(rest, '/');
	json_error_t je;
	json_t *body;
	const char *digest, *verb;
	char id[80];
	bool approve;
	int rc;

	if (!slash || !valid_id(rest, (size_t)(slash - rest)) ||
	    (strcmp(slash + 1, "approve") && strcmp(slash + 1, "reject"))) {
		send_error(resp, 404, "not found: POST /api/remediations/ID/approve or /reject");
		return;
	}
	if (strcmp(r->method, "POST")) {
		httpd_resp_header(resp, "Allow", "POST");
		send_error(resp, 405, "method not allowed: use POST");
		return;
	}
	if (!webauth_write_ok(ui->auth, r, time_real_ms())) {
		httpd_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"kubemend\"");
		send_error(resp, 401, webauth_has_token(ui->auth) ?
			   "a valid Authorization: Bearer token (or a page session with its CSRF token) is needed" :
			   "a page session with its X-CSRF-Token is needed (no token file configured)");
		return;
	}
	memcpy(id, rest, (size_t)(slash - rest));
	id[slash - rest] = '\0';
	approve = !strcmp(slash + 1, "approve");
	verb = approve ? "approved" : "rejected";
	body = json_loadb(r->body, r->body_len, 0, &je);
	digest = json_string_value(json_object_get(body, "digest"));
	if (!digest) {
		json_decref(body);
		send_error(resp, 400, "the body must be {\"digest\": \"...\"}, the digest of the proposal shown");
		return;
	}
	if (!ui->src.decide) {
		json_decref(body);
		send_error(resp, known_record(ui, id) ? 409 : 404,
			   "this monitor does not take decisions from the web (approval mode is not web)");
		return;
	}
	rc = ui->src.decide(ui->src.ctx, id, digest, approve,
			    webauth_bearer_ok(ui->auth, r) ? "api" : "web");
	pthread_mutex_lock(&ui->mu);
	ui->decided[rc == 0 ? (approve ? 0 : 1) : 2]++;
	pthread_mutex_unlock(&ui->mu);
	if (rc == 0)
		send_json(resp, 200, json_pack("{s:s, s:s, s:s}", "id", id, "decision", verb,
					       "digest", digest));
	else if (rc == -ENOENT && !known_record(ui, id))
		send_error(resp, 404, "no such remediation record");
	else if (rc == -ENOENT)
		send_error(resp, 409, "this record is not waiting for a decision");
	else if (rc == -ESTALE)
		send_error(resp, 409, "digest mismatch: the proposal changed since it was shown; reload and decide again");
	else if (rc == -ETIMEDOUT)
		send_error(resp, 409, "the approval window of this proposal has expired");
	else if (rc == -EALREADY)
		send_error(resp, 409, "already decided");
	else
		send_error(resp, 500, strerror(-rc));
	json_decref(body);
}

static void page(struct httpd_resp *resp)
{
	resp->content_type = "text/html; charset=utf-8";
	httpd_resp_header(resp, "Content-Security-Policy",
			  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
			  "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
			  "frame-ancestors 'none'");
	httpd_resp_header(resp, "X-Frame-Options", "DENY");
	httpd_resp_header(resp, "X-Content-Type-Options", "nosniff");
	httpd_resp_header(resp, "Referrer-Policy", "no-referrer");
	httpd_resp_header(resp, "Cache-Control", "no-store");
	buf_add(&resp->body, webui_page, webui_page_len);
}

bool webui_handle(struct webui *ui, const struct httpd_req *r, struct httpd_resp *resp)
{
	static const char pre[] = "/api/remediations/";
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");

	if (!strcmp(r->path, "/") || !strcmp(r->path, "/index.html")) {
		if (!get)
			send_error(resp, 405, "method not allowed");
		else
			page(resp);
		return true;
	}
	if (!strcmp(r->path, "/api/session")) {
		if (strcmp(r->method, "POST"))
			send_error(resp, 405, "method not allowed: use POST");
		else
			webauth_login(ui->auth, r, resp, time_real_ms());
		return true;
	}
	if (!strncmp(r->path, pre, sizeof(pre) - 1)) {
		decide(ui, r, resp, r->path + sizeof(pre) - 1);
		return true;
	}
	if (strcmp(r->path, "/api/remediations") && strcmp(r->path, "/api/pods"))
		return false;
	if (!get) {
		send_error(resp, 405, "method not allowed: use GET");
		return true;
	}
	if (!webui_read_ok(ui, r)) {
		httpd_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"kubemend\"");
		send_error(resp, 401, webauth_has_token(ui->auth) ?
			   "a valid Authorization: Bearer token is needed to read" :
			   "without a token file only a loopback Host (127.0.0.1, localhost) is served");
		return true;
	}
	if (!strcmp(r->path, "/api/pods"))
		send_json(resp, 200, pods_json(ui));
	else
		send_json(resp, 200, remediations_json(ui, httpd_req_query(r, "status")));
	return true;
}

bool webui_loopback(const char *listen)
{
	char host[64];
	int port;

	return httpd_parse_listen(listen, host, &port) == 0 && !strncmp(host, "127.", 4);
}

int webui_check_listen(const char *listen, bool have_token, char *err, size_t errlen)
{
	char host[64];
	int port;

	if (httpd_parse_listen(listen, host, &port))
		return 0; /* the server reports a bad address itself */
	if (have_token || webui_loopback(listen))
		return 0;
	snprintf(err, errlen, "%s: refusing to serve the page and its API beyond loopback without a "
		 "token: give --ui-token-file FILE (or listen on 127.0.0.1)", listen);
	return -EPERM;
}

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "serve/notify.h"
#include "net/http.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

struct event {
	char *kind;
	json_t *subject;
	int64_t at_ms;
	uint64_t seq;
};

struct notifier {
	struct notify_opts o;
	char *slack_url, *webhook_url, *secret, *page_url;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct event *q;        /* a ring of o.max_queue */
	size_t head, n;
	volatile int stop;
	volatile int cancel;    /* ends a request in flight (the grace is over) */
	volatile int done;      /* the worker has returned */
	int64_t drain_until_ms; /* monotonic; set by notifier_stop */
	uint64_t seq;
	struct notify_stats st;
	struct http_client http;
};

/* ---- bodies ---- */

/* A value in its unit, by the metric's name (docs/insights.md). */
static void fmt_value(struct buf *b, const char *metric, double v)
{
	if (!isfinite(v)) {
		buf_adds(b, "?");
		return;
	}
	if (str_ends_with(metric, "_bytes") || str_starts_with(metric, "memory_")) {
		if (fabs(v) >= 1024.0 * 1024 * 1024)
			buf_addf(b, "%.2f GiB", v / (1024.0 * 1024 * 1024));
		else
			buf_addf(b, "%.1f MiB", v / (1024.0 * 1024));
	} else if (str_ends_with(metric, "_mcores")) {
		buf_addf(b, "%.0fm CPU", v);
	} else if (str_starts_with(metric, "cpu_")) {
		buf_addf(b, "%.3g cores", v);
	} else if (str_ends_with(metric, "_ps")) {
		buf_addf(b, "%.3g/s", v);
	} else if (str_ends_with(metric, "_pct")) {
		buf_addf(b, "%.1f%%", v);
	} else {
		buf_addf(b, "%.4g", v);
	}
}

static const char *sget(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static bool is_insight(const char *kind)
{
	return str_starts_with(kind, "insight.");
}

static void summary_of(const char *kind, const json_t *s, struct buf *b)
{
	if (is_insight(kind)) {
		buf_addf(b, "%s %s: %s", str_eq(kind, "insight.opened") ? "Opened" : "Resolved",
			 sget(s, "anomaly_type"), sget(s, "summary"));
		return;
	}
	buf_addf(b, "Remediation %s %s (%s): %s", sget(s, "id"),
		 kind + strlen("remediation."), sget(s, "status"),
		 sget(json_object_get(s, "params"), "description"));
}

/* Evidence lines: an insight's signals and events, a record's result and verification. */
static void evidence_of(const char *kind, const json_t *s, struct buf *b)
{
	const json_t *v;
	size_t i;

	if (is_insight(kind)) {
		json_array_foreach(json_object_get(s, "signals"), i, v) {
			const char *m = sget(v, "metric");
			const json_t *ex = json_object_get(v, "expected");

			if (i >= 4)
				break;
			buf_addf(b, "- %s: ", m);
			fmt_value(b, m, json_number_value(json_object_get(v, "value")));
			if (json_is_number(json_array_get(ex, 0)) && json_is_number(json_array_get(ex, 1))) {
				buf_adds(b, " (expected ");
				fmt_value(b, m, json_number_value(json_array_get(ex, 0)));
				buf_adds(b, " to ");
				fmt_value(b, m, json_number_value(json_array_get(ex, 1)));
				buf_adds(b, ")");
			}
			buf_addch(b, '\n');
		}
		json_array_foreach(json_object_get(s, "evidence"), i, v) {
			if (i >= 4)
				break;
			buf_addf(b, "- %s %s x%lld: %.200s\n", sget(v, "kind"), sget(v, "reason"),
				 (long long)json_integer_value(json_object_get(v, "count")), sget(v, "message"));
		}
		return;
	}
	{
		const json_t *t = json_object_get(s, "target");
		const json_t *res = json_object_get(s, "result");
		const json_t *ver = json_object_get(s, "verification");

		buf_addf(b, "- target: %s %s%s%s\n", sget(t, "kind"), sget(t, "namespace"),
			 json_is_string(json_object_get(t, "namespace")) ? "/" : "", sget(t, "name"));
		buf_addf(b, "- approval: %s\n", sget(s, "approval"));
		if (json_is_object(res) && *sget(res, "message"))
			buf_addf(b, "- result: %.200s\n", sget(res, "message"));
		if (json_is_object(ver))
			buf_addf(b, "- verification: %s %.200s\n", sget(ver, "verdict"), sget(ver, "detail"));
	}
}

json_t *notify_generic_body(const char *kind, const json_t *subject, const char *link,
			    const char *delivery_id, int64_t now_ms)
{
	struct buf sum = BUF_INIT;
	char ts[RFC3339_MAX];
	json_t *doc;

	summary_of(kind, subject, &sum);
	time_rfc3339_ms(now_ms, ts);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:O}", "id", delivery_id, "event", kind,
			"time", ts, "summary", sum.data ? sum.data : "", "link", link,
			is_insight(kind) ? "insight" : "remediation", subject);
	buf_release(&sum);
	return doc;
}

static json_t *text_obj(const char *type, const char *text)
{
	return json_pack("{s:s, s:s}", "type", type, "text", text);
}

json_t *notify_slack_body(const char *kind, const json_t *subject, const char *link)
{
	struct buf sum = BUF_INIT, ev = BUF_INIT, head = BUF_INIT;
	json_t *blocks = json_array(), *doc;

	summary_of(kind, subject, &sum);
	evidence_of(kind, subject, &ev);
	buf_addf(&head, "kubemend: %s", kind);
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "header", "text",
						text_obj("plain_text", head.data)));
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "section", "text",
						text_obj("mrkdwn", sum.data ? sum.data : "")));
	if (ev.len) {
		struct buf t = BUF_INIT;

		buf_addf(&t, "*Evidence*\n%s", ev.data);
		json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "section", "text",
							text_obj("mrkdwn", t.data)));
		buf_release(&t);
	}
	if (link)
		json_array_append_new(blocks, json_pack("{s:s, s:[{s:s, s:o, s:s}]}", "type", "actions",
			"elements", "type", "button", "text", text_obj("plain_text", "Open in kubemend"),
			"url", link));
	doc = json_pack("{s:s, s:o}", "text", sum.data ? sum.data : "", "blocks", blocks);
	buf_release(&sum);
	buf_release(&ev);
	buf_release(&head);
	return doc;
}

void notify_sign(const char *key, const char *body, size_t len, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	size_t o = 7;

	memcpy(out, "sha256=", 7);
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, len, md, &mdlen);
	for (unsigned int i = 0; i < mdlen && o + 2 < 72; i++) {
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
}

/* ---- the worker ---- */

static bool stopping_now(struct notifier *n)
{
	return n->stop && time_mono_ms() >= n->drain_until_ms;
}

/* Waits ms unless the notifier is stopping for good. */
static void nap(struct notifier *n, int64_t ms)
{
	int64_t until = time_mono_ms() + ms;

	while (!stopping_now(n) && time_mono_ms() < until) {
		int64_t left = until - time_mono_ms();
		time_sleep_ms(left > 50 ? 50 : left, NULL);
	}
}

/* One delivery with retries; true when the receiver took it. */
static bool deliver(struct notifier *n, const char *url, const char *body,
		    const char *signature, const char *delivery_id, const char *kind)
{
	int64_t wait = n->o.backoff_ms;

	for (int attempt = 1; attempt <= n->o.max_attempts; attempt++) {
		struct http_response resp;
		char err[HTTP_ERRLEN], h1[128], h2[128], h3[128];
		const char *hdrs[4] = { NULL, NULL, NULL, NULL };
		int rc, k = 0;
		long status;

		snprintf(h1, sizeof(h1), "X-Kubemend-Event: %s", kind);
		hdrs[k++] = h1;
		snprintf(h2, sizeof(h2), "X-Kubemend-Delivery: %s", delivery_id);
		hdrs[k++] = h2;
		if (signature) {
			snprintf(h3, sizeof(h3), "X-Kubemend-Signature: %s", signature);
			hdrs[k++] = h3;
		}
		http_client_set_headers(&n->http, hdrs);
		http_response_init(&resp);
		rc = http_request(&n->http, "POST", url, body, strlen(body), "application/json",
				  &resp, err, sizeof(err));
		status = resp.status;
		http_response_release(&resp);
		if (rc == 0 && status >= 200 && status < 300)
			return true;
		/* a 4xx other than 408/429 will not get better by repeating it */
		if (rc == 0 && status >= 400 && status < 500 && status != 408 && status != 429)
			return false;
		if (attempt == n->o.max_attempts || stopping_now(n))
			break;
		pthread_mutex_lock(&n->mu);
		n->st.retries++;
		pthread_mutex_unlock(&n->mu);
		nap(n, wait);
		wait = wait * 2 > n->o.backoff_max_ms ? n->o.backoff_max_ms : wait * 2;
	}
	return false;
}

static void send_event(struct notifier *n, const struct event *e)
{
	const char *id = json_string_value(json_object_get(e->subject, "id"));
	char delivery[48], sig[72];
	struct buf link = BUF_INIT;
	bool ok = true;

	snprintf(delivery, sizeof(delivery), "%lld-%llu", (long long)e->at_ms,
		 (unsigned long long)e->seq);
	if (n->page_url && id)
		buf_addf(&link, "%s/#%s", n->page_url, id);
	if (n->webhook_url) {
		json_t *doc = notify_generic_body(e->kind, e->subject, link.data, delivery, e->at_ms);
		char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

		json_decref(doc);
		if (text) {
			if (n->secret)
				notify_sign(n->secret, text, strlen(text), sig);
			ok &= deliver(n, n->webhook_url, text, n->secret ? sig : NULL, delivery, e->kind);
			free(text);
		}
	}
	if (n->slack_url) {
		json_t *doc = notify_slack_body(e->kind, e->subject, link.data);
		char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

		json_decref(doc);
		if (text) {
			ok &= deliver(n, n->slack_url, text, NULL, delivery, e->kind);
			free(text);
		}
	}
	buf_release(&link);
	pthread_mutex_lock(&n->mu);
	if (ok)
		n->st.sent++;
	else
		n->st.failed++;
	pthread_mutex_unlock(&n->mu);
}

static void *worker(void *arg)
{
	struct notifier *n = arg;

	for (;;) {
		struct event e;

		pthread_mutex_lock(&n->mu);
		while (!n->n && !n->stop)
			pthread_cond_wait(&n->cv, &n->mu);
		if (!n->n || stopping_now(n)) {
			pthread_mutex_unlock(&n->mu);
			break;
		}
		e = n->q[n->head];
		n->head = (n->head + 1) % n->o.max_queue;
		n->n--;
		pthread_mutex_unlock(&n->mu);
		send_event(n, &e);
		free(e.kind);
		json_decref(e.subject);
	}
	n->done = 1;
	return NULL;
}

int notifier_start(struct notifier **out, const struct notify_opts *o, char *err, size_t errlen)
{
	struct notifier *n;
	struct http_opts ho;
	int rc;

	if (!(o->slack_url && *o->slack_url) && !(o->webhook_url && *o->webhook_url)) {
		snprintf(err, errlen, "notifications: no webhook URL");
		return -EINVAL;
	}
	n = xcalloc(1, sizeof(*n));
	n->o = *o;
	if (!n->o.max_queue)
		n->o.max_queue = 256;
	if (n->o.max_attempts <= 0)
		n->o.max_attempts = 5;
	if (n->o.backoff_ms <= 0)
		n->o.backoff_ms = 1000;
	if (n->o.backoff_max_ms <= 0)
		n->o.backoff_max_ms = 60000;
	if (n->o.timeout_ms <= 0)
		n->o.timeout_ms = 10000;
	n->slack_url = o->slack_url && *o->slack_url ? xstrdup(o->slack_url) : NULL;
	n->webhook_url = o->webhook_url && *o->webhook_url ? xstrdup(o->webhook_url) : NULL;
	n->secret = o->webhook_secret && *o->webhook_secret ? xstrdup(o->webhook_secret) : NULL;
	if (o->page_url && *o->page_url) {
		size_t len = strlen(o->page_url);

		while (len && o->page_url[len - 1] == '/')
			len--;
		n->page_url = xstrndup(o->page_url, len);
	}
	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = n->o.timeout_ms;
	ho.max_retries = -1;            /* the worker retries, with its own back-off */
	ho.max_body = 64 * 1024;
	ho.cancel = &n->cancel;
	rc = http_client_init(&n->http, &ho, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "notifications: %s", strerror(-rc));
		goto fail;
	}
	n->q = xcalloc(n->o.max_queue, sizeof(*n->q));
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	rc = -pthread_create(&n->thread, NULL, worker, n);
	if (rc) {
		snprintf(err, errlen, "notifications: cannot start a thread: %s", strerror(-rc));
		http_client_release(&n->http);
		pthread_mutex_destroy(&n->mu);
		pthread_cond_destroy(&n->cv);
		free(n->q);
		goto fail;
	}
	*out = n;
	return 0;
fail:
	free(n->slack_url);
	free(n->webhook_url);
	free(n->secret);
	free(n->page_url);
	free(n);
	return rc;
}

void notifier_post(struct notifier *n, const char *kind, const json_t *subject)
{
	struct event *e;

	if (!n || !kind || !subject)
		return;
	pthread_mutex_lock(&n->mu);
	if (n->n == n->o.max_queue) {
		/* full: the oldest goes, the news stays */
		e = &n->q[n->head];
		free(e->kind);
		json_decref(e->subject);
		n->head = (n->head + 1) % n->o.max_queue;
		n->n--;
		n->st.dropped++;
	}
	e = &n->q[(n->head + n->n) % n->o.max_queue];
	e->kind = xstrdup(kind);
	e->subject = json_deep_copy(subject);
	e->at_ms = time_real_ms();
	e->seq = ++n->seq;
	n->n++;
	n->st.queued++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

struct notify_stats notifier_stats(struct notifier *n)
{
	struct notify_stats s;

	pthread_mutex_lock(&n->mu);
	s = n->st;
	pthread_mutex_unlock(&n->mu);
	return s;
}

void notifier_stop(struct notifier *n, int64_t grace_ms)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->drain_until_ms = time_mono_ms() + grace_ms;
	n->stop = 1;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	/* the queue drains for the grace, then a request in flight is cut */
	while (!n->done && time_mono_ms() < n->drain_until_ms)
		time_sleep_ms(20, NULL);
	n->cancel = 1;
	pthread_join(n->thread, NULL);
	while (n->n) {
		struct event *e = &n->q[n->head];

		free(e->kind);
		json_decref(e->subject);
		n->head = (n->head + 1) % n->o.max_queue;
		n->n--;
	}
	http_client_release(&n->http);
	pthread_mutex_destroy(&n->mu);
	pthread_cond_destroy(&n->cv);
	free(n->q);
	free(n->slack_url);
	free(n->webhook_url);
	if (n->secret) {
		memset(n->secret, 0, strlen(n->secret));
		free(n->secret);
	}
	free(n->page_url);
	free(n);
}

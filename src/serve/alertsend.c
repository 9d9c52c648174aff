#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/alertsend.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "base/banned.h"

int alert_sender_init(struct alert_sender *a, const char *base_url, char *err, size_t errlen)
{
	struct http_opts o;
	struct buf u = BUF_INIT;
	size_t len = strlen(base_url);
	int rc;

	memset(a, 0, sizeof(*a));
	memset(&o, 0, sizeof(o));
	o.timeout_ms = 10000;
	o.max_retries = 1;
	o.max_body = 1 << 20;
	rc = http_client_init(&a->http, &o, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "alertmanager client: %s", strerror(-rc));
		return rc;
	}
	while (len && base_url[len - 1] == '/')
		len--;
	buf_add(&u, base_url, len);
	buf_adds(&u, "/api/v2/alerts");
	a->url = buf_detach(&u, NULL);
	a->valid_ms = 5 * 60 * 1000;
	a->resend_ms = 60 * 1000;
	return 0;
}

void alert_sender_release(struct alert_sender *a)
{
	if (!a)
		return;
	http_client_release(&a->http);
	free(a->url);
	a->url = NULL;
}

int alert_sender_tick(struct alert_sender *a, const struct serve_source *src, bool changed,
		      char *err, size_t errlen)
{
	int64_t now = time_real_ms(), feed_ms = 0;
	struct http_response resp;
	json_t *body;
	char *text;
	size_t n;
	int rc;

	if (!changed && a->last_send_wall_ms && now - a->last_send_wall_ms < a->resend_ms)
		return 0;
	if (!src->alerts)
		return -ENOTSUP;
	body = src->alerts(src->ctx, now, a->valid_ms, a->since_ms, &feed_ms);
	n = body ? json_array_size(body) : 0;
	if (!n) {
		json_decref(body);
		a->last_send_wall_ms = now;
		a->since_ms = feed_ms;
		return 0;
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return -ENOMEM;
	http_response_init(&resp);
	rc = http_request(&a->http, "POST", a->url, text, strlen(text), "application/json",
			  &resp, err, errlen);
	free(text);
	if (rc == 0 && (resp.status < 200 || resp.status >= 300)) {
		snprintf(err, errlen, "%s: HTTP %ld", a->url, resp.status);
		rc = -EIO;
	}
	http_response_release(&resp);
	if (rc < 0) {
		a->failures++;
		return rc;
	}
	a->sent += n;
	a->last_send_wall_ms = now;
	a->since_ms = feed_ms;
	return (int)n;
}

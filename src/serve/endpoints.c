#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve/endpoints.h"
#include "net/httpd.h"
#include "serve/webui.h"
#include "base/mem.h"
#include "base/banned.h"

struct endpoints {
	struct httpd *h;
	struct serve_source src;
	struct webui *ui;       /* the page and its API, or NULL */
};

static void handle(void *ctx, const struct httpd_req *r, struct httpd_resp *resp)
{
	struct endpoints *e = ctx;

	if (e->ui && webui_handle(e->ui, r, resp))
		return;
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		resp->status = 405;
		resp->content_type = "text/plain; charset=utf-8";
		buf_adds(&resp->body, "method not allowed\n");
		return;
	}
	if (!strcmp(r->path, "/metrics")) {
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		if (e->src.metrics)
			e->src.metrics(e->src.ctx, &resp->body);
		if (e->ui)
			webui_metrics(e->ui, &resp->body);
	} else if (!strcmp(r->path, "/healthz")) {
		resp->content_type = "text/plain; charset=utf-8";
		buf_adds(&resp->body, "ok\n");
	} else if (!strcmp(r->path, "/readyz")) {
		char why[256] = "no readiness source";
		bool ready = e->src.ready && e->src.ready(e->src.ctx, why, sizeof(why));

		resp->status = ready ? 200 : 503;
		resp->content_type = "text/plain; charset=utf-8";
		if (ready)
			buf_adds(&resp->body, "ready\n");
		else
			buf_addf(&resp->body, "not ready: %s\n", why);
	} else if (!strcmp(r->path, "/api/insights") && e->ui && !webui_read_ok(e->ui, r)) {
		resp->status = 401;
		httpd_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"kubemend\"");
		buf_adds(&resp->body, "{\"error\":\"a valid Authorization: Bearer token is needed to read\"}\n");
	} else if (!strcmp(r->path, "/api/insights")) {
		json_t *j = e->src.insights ? e->src.insights(e->src.ctx) : NULL;
		char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

		json_decref(j);
		if (!text) {
			resp->status = 500;
			buf_adds(&resp->body, "{\"error\":\"out of memory\"}");
			return;
		}
		buf_adds(&resp->body, text);
		buf_addch(&resp->body, '\n');
		free(text);
	} else {
		resp->status = 404;
		resp->content_type = "text/plain; charset=utf-8";
		buf_adds(&resp->body, "not found: try /, /metrics, /healthz, /readyz or /api/insights\n");
	}
}

int endpoints_start(struct endpoints **out, const char *listen, const struct serve_source *src,
		    char *err, size_t errlen)
{
	return endpoints_start_ui(out, listen, src, NULL, err, errlen);
}

int endpoints_start_ui(struct endpoints **out, const char *listen, const struct serve_source *src,
		       struct webui *ui, char *err, size_t errlen)
{
	struct endpoints *e = xcalloc(1, sizeof(*e));
	struct httpd_config cfg;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = listen;
	cfg.max_body = 4096;
	cfg.handler = handle;
	cfg.ctx = e;
	e->src = *src;
	e->ui = ui;
	rc = httpd_start(&e->h, &cfg, err, errlen);
	if (rc < 0) {
		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

int endpoints_port(const struct endpoints *e)
{
	return httpd_port(e->h);
}

void endpoints_stop(struct endpoints *e)
{
	if (!e)
		return;
	httpd_stop(e->h);
	free(e);
}

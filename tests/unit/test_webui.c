/*
 * The page's API over a real server on a loopback port: how decide()'s
 * answers become HTTP statuses, who may decide (bearer token), and which
 * Host names are served without a token (no DNS rebinding).
 */
#include <errno.h>
#include <stdio.h>
#include "testutil.h"
#include "net/http.h"
#include "net/httpd.h"
#include "serve/webui.h"

#define TOKEN "unit-test-token-0123456789"

/* A source with two records; r-1 waits for digest "d1", r-2 is decided. */
struct fake {
	int calls;
	char last_id[32], last_who[16];
	bool last_approve;
};

static json_t *records(void *ctx)
{
	(void)ctx;
	return json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "r-1", "status", "pending",
			 "digest", "d1", "id", "r-2", "status", "succeeded", "digest", "d2");
}

static int decide(void *ctx, const char *id, const char *digest, bool approve, const char *who)
{
	struct fake *f = ctx;

	f->calls++;
	snprintf(f->last_id, sizeof(f->last_id), "%s", id);
	snprintf(f->last_who, sizeof(f->last_who), "%s", who);
	f->last_approve = approve;
	if (!strcmp(id, "r-2"))
		return -ENOENT;         /* known, but not waiting */
	if (strcmp(id, "r-1"))
		return -ENOENT;         /* unknown */
	if (!strcmp(digest, "expired"))
		return -ETIMEDOUT;
	if (!strcmp(digest, "again"))
		return -EALREADY;
	return strcmp(digest, "d1") ? -ESTALE : 0;
}

struct server {
	struct httpd *h;
	struct webui *ui;
	struct fake f;
	char base[64];
};

static void handler(void *ctx, const struct httpd_req *r, struct httpd_resp *resp)
{
	struct server *s = ctx;

	if (!webui_handle(s->ui, r, resp)) {
		resp->status = 404;
		buf_adds(&resp->body, "{}");
	}
}

static void start(struct server *s, const char *token)
{
	struct webui_source src = { records, decide, NULL, "web" };
	struct httpd_config cfg;
	char err[256];

	memset(s, 0, sizeof(*s));
	src.ctx = &s->f;
	s->ui = webui_new(&src, webauth_new(token, false));
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = "127.0.0.1:0";
	cfg.handler = handler;
	cfg.ctx = s;
	assert_int_equal(httpd_start(&s->h, &cfg, err, sizeof(err)), 0);
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", httpd_port(s->h));
}

static void stop(struct server *s)
{
	httpd_stop(s->h);
	webui_free(s->ui);
}

/* One request; host (may be NULL) replaces the Host header. Returns the status. */
static long req(struct server *s, const char *method, const char *path, const char *body,
		const char *bearer, const char *host, struct buf *out)
{
	struct http_client c;
	struct http_opts o;
	struct http_response r;
	struct buf url = BUF_INIT;
	char err[HTTP_ERRLEN], hh[128];
	const char *hdrs[2] = { NULL, NULL };
	long status;

	memset(&o, 0, sizeof(o));
	o.max_retries = -1;
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	if (bearer)
		http_client_set_bearer(&c, bearer);
	if (host) {
		snprintf(hh, sizeof(hh), "Host: %s", host);
		hdrs[0] = hh;
		http_client_set_headers(&c, hdrs);
	}
	buf_addf(&url, "%s%s", s->base, path);
	http_response_init(&r);
	assert_int_equal(http_request(&c, method, url.data, body, body ? strlen(body) : 0,
				      body ? "application/json" : NULL, &r, err, sizeof(err)), 0);
	status = r.status;
	if (out && r.body.data)
		buf_adds(out, r.body.data);
	http_response_release(&r);
	http_client_release(&c);
	buf_release(&url);
	return status;
}

static void statuses_of_decisions(void **state)
{
	struct server s;
	struct buf b = BUF_INIT;

	(void)state;
	start(&s, TOKEN);
	/* not authorised: nothing reaches decide() */
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{\"digest\":\"d1\"}", NULL, NULL, NULL), 401);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{\"digest\":\"d1\"}", "wrong-token-0123456789", NULL, NULL), 401);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{\"digest\":\"d1\"}", TOKEN "x", NULL, NULL), 401);
	assert_int_equal(s.f.calls, 0);
	/* authorised */
	assert_int_equal(req(&s, "POST", "/api/remediations/r-9/approve", "{\"digest\":\"d1\"}", TOKEN, NULL, NULL), 404);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-2/approve", "{\"digest\":\"d2\"}", TOKEN, NULL, &b), 409);
	assert_non_null(strstr(b.data, "not waiting"));
	buf_reset(&b);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{\"digest\":\"d0\"}", TOKEN, NULL, &b), 409);
	assert_non_null(strstr(b.data, "digest mismatch"));
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{\"digest\":\"expired\"}", TOKEN, NULL, NULL), 409);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/reject", "{\"digest\":\"again\"}", TOKEN, NULL, NULL), 409);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{}", TOKEN, NULL, NULL), 400);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "not json", TOKEN, NULL, NULL), 400);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/launch", "{\"digest\":\"d1\"}", TOKEN, NULL, NULL), 404);
	assert_int_equal(req(&s, "POST", "/api/remediations/r%2F1/approve", "{\"digest\":\"d1\"}", TOKEN, NULL, NULL), 404);
	assert_int_equal(req(&s, "GET", "/api/remediations/r-1/approve", NULL, TOKEN, NULL, NULL), 405);
	buf_reset(&b);
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/reject", "{\"digest\":\"d1\"}", TOKEN, NULL, &b), 200);
	assert_non_null(strstr(b.data, "\"decision\":\"rejected\""));
	assert_string_equal(s.f.last_id, "r-1");
	assert_string_equal(s.f.last_who, "api");
	assert_false(s.f.last_approve);
	/* a session needs the token when there is one */
	assert_int_equal(req(&s, "POST", "/api/session", "{}", NULL, NULL, NULL), 401);
	assert_int_equal(req(&s, "POST", "/api/session", "{\"token\":\"" TOKEN "\"}", NULL, NULL, NULL), 200);
	/* with a token, reads stay open on loopback (reads_need_auth is off) */
	buf_reset(&b);
	assert_int_equal(req(&s, "GET", "/api/remediations?status=pending", NULL, NULL, NULL, &b), 200);
	assert_non_null(strstr(b.data, "\"r-1\""));
	assert_null(strstr(b.data, "\"r-2\""));
	buf_release(&b);
	stop(&s);
}

static void loopback_hosts_only_without_a_token(void **state)
{
	struct server s;
	char host[64];
	int port;

	(void)state;
	start(&s, NULL);
	port = atoi(strrchr(s.base, ':') + 1);
	static const char *const good[] = { "127.0.0.1", "localhost", "LOCALHOST", "127.1.2.3", "[::1]" };
	static const char *const bad[] = { "127.evil.example", "127.0.0.1.nip.io", "evil.example",
					   "localhost.evil", "[::2]", "10.0.0.1" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(host, sizeof(host), "%s:%d", good[i], port);
		if (req(&s, "GET", "/api/remediations", NULL, NULL, host, NULL) != 200)
			fail_msg("Host %s was refused", host);
	}
	assert_int_equal(req(&s, "GET", "/api/remediations", NULL, NULL, "127.0.0.1", NULL), 200);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(host, sizeof(host), "%s:%d", bad[i], port);
		if (req(&s, "GET", "/api/remediations", NULL, NULL, host, NULL) != 401)
			fail_msg("Host %s was served", host);
		if (req(&s, "POST", "/api/session", "{}", NULL, host, NULL) != 401)
			fail_msg("Host %s got a session", host);
	}
	/* without a token no bearer is accepted: decisions need a page session */
	assert_int_equal(req(&s, "POST", "/api/remediations/r-1/approve", "{\"digest\":\"d1\"}", "anything-0123456789", NULL, NULL), 401);
	assert_int_equal(req(&s, "POST", "/api/session", "{}", NULL, NULL, NULL), 200);
	stop(&s);
}

static void listen_beyond_loopback_needs_a_token(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(webui_check_listen("127.0.0.1:9101", false, err, sizeof(err)), 0);
	assert_int_equal(webui_check_listen("localhost:0", false, err, sizeof(err)), 0);
	assert_int_equal(webui_check_listen("0.0.0.0:9101", true, err, sizeof(err)), 0);
	assert_int_equal(webui_check_listen("0.0.0.0:9101", false, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "--ui-token-file"));
	assert_true(webui_loopback("127.0.0.1:1"));
	assert_false(webui_loopback("10.1.2.3:1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statuses_of_decisions),
		cmocka_unit_test(loopback_hosts_only_without_a_token),
		cmocka_unit_test(listen_beyond_loopback_needs_a_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* net/httpd: requests, headers, query, body cap, streaming, a port in use. */
#include <errno.h>
#include <stdio.h>
#include <curl/curl.h>
#include "testutil.h"
#include "net/httpd.h"
#include "base/buf.h"

struct streamctx { int sent; };

static int stream_next(void *ctx, struct buf *out, int wait_ms)
{
	struct streamctx *c = ctx;

	(void)wait_ms;
	if (c->sent == 3)
		return HTTPD_END;
	buf_addf(out, "event %d\n", c->sent++);
	return HTTPD_MORE;
}

static void stream_free(void *ctx)
{
	free(ctx);
}

static void handler(void *ctx, const struct httpd_req *r, struct httpd_resp *resp)
{
	(void)ctx;
	if (!strcmp(r->path, "/echo")) {
		const char *q = httpd_req_query(r, "q"), *h = httpd_req_header(r, "X-Test");

		resp->content_type = "text/plain";
		buf_addf(&resp->body, "%s %s q=%s h=%s body=%.*s", r->method, r->path, q ? q : "-",
			 h ? h : "-", (int)r->body_len, r->body);
		httpd_resp_header(resp, "X-Reply", "yes");
	} else if (!strcmp(r->path, "/stream")) {
		resp->stream.next = stream_next;
		resp->stream.free = stream_free;
		resp->stream.ctx = calloc(1, sizeof(struct streamctx));
		buf_adds(&resp->body, "head\n");
	} else {
		resp->status = 404;
		buf_adds(&resp->body, "{}");
	}
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	return buf_add(ud, p, size * n) ? 0 : size * n;
}

static long fetch(int port, const char *path, const char *body, struct buf *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "X-Test: hello");
	char url[256];
	long code = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

static void serves_requests(void **state)
{
	struct httpd *h = NULL;
	struct httpd_config cfg = { .listen = "127.0.0.1:0", .handler = handler, .max_body = 64 };
	struct buf b = BUF_INIT;
	char err[200];
	(void)state;
	assert_int_equal(httpd_start(&h, &cfg, err, sizeof(err)), 0);
	assert_true(httpd_port(h) > 0);
	assert_int_equal(fetch(httpd_port(h), "/echo?q=a%20b", "payload", &b), 200);
	assert_string_equal(b.data, "POST /echo q=a b h=hello body=payload");
	buf_reset(&b);
	assert_int_equal(fetch(httpd_port(h), "/nope", NULL, &b), 404);
	buf_reset(&b);
	/* over the body cap */
	assert_int_equal(fetch(httpd_port(h), "/echo",
			       "0123456789012345678901234567890123456789012345678901234567890123456789", &b), 413);
	buf_reset(&b);
	assert_int_equal(fetch(httpd_port(h), "/stream", NULL, &b), 200);
	assert_string_equal(b.data, "head\nevent 0\nevent 1\nevent 2\n");
	buf_release(&b);
	httpd_stop(h);
}

static void port_in_use(void **state)
{
	struct httpd *h = NULL, *h2 = (struct httpd *)1;
	struct httpd_config cfg = { .listen = "127.0.0.1:0", .handler = handler };
	char err[200], addr[64];
	(void)state;
	assert_int_equal(httpd_start(&h, &cfg, err, sizeof(err)), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", httpd_port(h));
	cfg.listen = addr;
	assert_int_equal(httpd_start(&h2, &cfg, err, sizeof(err)), -EADDRINUSE);
	assert_ptr_equal(h2, (struct httpd *)1);
	assert_non_null(strstr(err, "address already in use"));
	cfg.listen = "example.com:80";
	assert_int_equal(httpd_start(&h2, &cfg, err, sizeof(err)), -EINVAL);
	httpd_stop(h);
}

static void listen_addresses(void **state)
{
	char host[64];
	int port;
	(void)state;
	assert_int_equal(httpd_parse_listen("127.0.0.1:6443", host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 6443);
	assert_int_equal(httpd_parse_listen("localhost:0", host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(httpd_parse_listen("127.0.0.1", host, &port), -EINVAL);
	assert_int_equal(httpd_parse_listen("127.0.0.1:70000", host, &port), -EINVAL);
	assert_int_equal(httpd_parse_listen(":80", host, &port), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serves_requests),
		cmocka_unit_test(port_in_use),
		cmocka_unit_test(listen_addresses),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}

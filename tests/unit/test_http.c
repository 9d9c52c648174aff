#include <errno.h>
#include <time.h>
#include <curl/curl.h>
#include "testutil.h"
#include "httpstub.h"
#include "net/http.h"

/* The handler's script: what to answer to the n-th request. */
static void scripted(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	const char *mode = s->ctx;

	if (!strcmp(mode, "ok")) {
		stub_text(r, 200, "{\"ok\":true}");
	} else if (!strcmp(mode, "500x2")) {
		if (req->n < 2)
			stub_text(r, 500, "{\"kind\":\"Status\",\"code\":500}");
		else
			stub_text(r, 200, "{\"third\":true}");
	} else if (!strcmp(mode, "429")) {
		if (req->n == 0) {
			stub_text(r, 429, "{\"kind\":\"Status\",\"code\":429}");
			r->retry_after = "1";
		} else {
			stub_text(r, 200, "{\"after\":true}");
		}
	} else if (!strcmp(mode, "429slow")) {
		if (req->n == 0) {
			stub_text(r, 429, "{\"kind\":\"Status\",\"code\":429}");
			r->retry_after = "10";
		} else {
			stub_text(r, 200, "{\"after\":true}");
		}
	} else if (!strcmp(mode, "503")) {
		stub_text(r, 503, "unavailable");
	} else if (!strcmp(mode, "big")) {
		r->status = 200;
		r->len = 10000;
		r->body = malloc(r->len);
		memset(r->body, 'x', r->len);
	} else if (!strcmp(mode, "gzip")) {
		r->status = 200;
		r->len = 50000;
		r->body = malloc(r->len);
		for (size_t i = 0; i < r->len; i++)
			r->body[i] = (char)('a' + i % 7);
		r->gzip = true;
	} else if (!strcmp(mode, "truncated")) {
		stub_text(r, 200, "{\"items\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}");
		r->truncate_at = 10;
	} else if (!strcmp(mode, "lines")) {
		stub_text(r, 200, "{\"type\":\"A\"}\n\n{\"type\":\"B\"}\r\n{\"type\":\"C\"}\n");
	} else if (!strcmp(mode, "longline")) {
		r->status = 200;
		r->len = 5000;
		r->body = malloc(r->len);
		memset(r->body, 'y', r->len);
	}
}

static struct http_opts fast_opts(void)
{
	struct http_opts o;
	memset(&o, 0, sizeof(o));
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 2000;
	o.max_retries = 3;
	return o;
}

static void get_reuses_the_connection(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	long connects = -1;
	(void)state;

	assert_int_equal(stub_start(&s, scripted, "ok"), 0);
	stub_url(&s, "/version", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{\"ok\":true}");
	assert_string_equal(r.content_type, "application/json");
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), 0);
	curl_easy_getinfo(c.easy, CURLINFO_NUM_CONNECTS, &connects);
	assert_int_equal(connects, 0); /* the second request reused the first's connection */
	assert_int_equal(r.attempts, 1);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void server_errors_are_retried(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	assert_int_equal(stub_start(&s, scripted, "500x2"), 0);
	stub_url(&s, "/api/v1/pods", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 3);
	assert_string_equal(r.body.data, "{\"third\":true}");
	assert_true(r.waited_ms > 0);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void retry_after_is_honoured(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	assert_int_equal(stub_start(&s, scripted, "429"), 0);
	stub_url(&s, "/api/v1/pods", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	/* A POST is retried on 429 too: the server did not process it. */
	assert_int_equal(http_request(&c, "POST", url, "{}", 2, "application/json", &r,
				      err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 2);
	/* The wait is the server's Retry-After (1 s), not the 10 ms backoff. */
	assert_int_equal(r.waited_ms, 1000);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void a_final_5xx_is_returned_and_posts_are_not_retried(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	assert_int_equal(stub_start(&s, scripted, "503"), 0);
	stub_url(&s, "/x", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.attempts, 4);
	assert_int_equal(http_request(&c, "POST", url, "{}", 2, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(stub_count(&s, "POST"), 1);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void responses_are_capped(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	o.max_body = 1000;
	assert_int_equal(stub_start(&s, scripted, "big"), 0);
	stub_url(&s, "/big", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "larger than 1000 bytes"));
	assert_non_null(strstr(err, url));
	assert_int_equal(r.body.len, 0);
	assert_int_equal(r.attempts, 1);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void gzip_is_asked_for_and_decoded(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	assert_int_equal(stub_start(&s, scripted, "gzip"), 0);
	stub_url(&s, "/z", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), 0);
	assert_non_null(strstr(s.accept_encoding, "gzip"));
	assert_int_equal(r.body.len, 50000);
	assert_int_equal(r.body.data[49999], 'a' + 49999 % 7);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void refused_connections_fail_clearly(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	/* A port that was just free: start a stub, note its port, stop it. */
	assert_int_equal(stub_start(&s, scripted, "ok"), 0);
	stub_url(&s, "/version", url, sizeof(url));
	stub_stop(&s);
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_get(&c, url, &r, err, sizeof(err)), -ECONNREFUSED);
	assert_int_equal(r.attempts, 4);
	assert_non_null(strstr(err, "GET http://127.0.0.1:"));
	assert_non_null(strstr(err, "after 4 attempts"));
	http_response_release(&r);
	http_client_release(&c);
}

static void truncated_bodies_are_errors(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	assert_int_equal(stub_start(&s, scripted, "truncated"), 0);
	stub_url(&s, "/api/v1/pods", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_true(http_get(&c, url, &r, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/api/v1/pods"));
	assert_int_equal(r.body.len, 0); /* nothing half-read is handed on */
	assert_int_equal(r.attempts, 4);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

struct lines {
	char got[8][64];
	int n;
};

static int on_line(const char *line, size_t len, void *ctx)
{
	struct lines *l = ctx;
	if (l->n < 8)
		snprintf(l->got[l->n++], 64, "%.*s", (int)len, line);
	return 0;
}

static void streams_split_lines_and_cap_them(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_opts o = fast_opts();
	struct lines l;
	char url[128], err[HTTP_ERRLEN];
	long status = 0;
	(void)state;

	memset(&l, 0, sizeof(l));
	assert_int_equal(stub_start(&s, scripted, "lines"), 0);
	stub_url(&s, "/watch", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	assert_int_equal(http_stream(&c, url, 1024, on_line, &l, NULL, &status, NULL,
				     err, sizeof(err)), 0);
	assert_int_equal(status, 200);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.got[0], "{\"type\":\"A\"}");
	assert_string_equal(l.got[1], "{\"type\":\"B\"}");
	assert_string_equal(l.got[2], "{\"type\":\"C\"}");
	stub_stop(&s);

	assert_int_equal(stub_start(&s, scripted, "longline"), 0);
	stub_url(&s, "/watch", url, sizeof(url));
	assert_int_equal(http_stream(&c, url, 1024, on_line, &l, NULL, &status, NULL,
				     err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "longer than 1024"));
	http_client_release(&c);
	stub_stop(&s);
}

static void posts_are_retried_when_the_caller_says_so(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	o.retry_unsafe = true;
	assert_int_equal(stub_start(&s, scripted, "500x2"), 0);
	stub_url(&s, "/v1/chat/completions", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_request(&c, "POST", url, "{}", 2, "application/json", &r,
				      err, sizeof(err)), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 3);
	assert_int_equal(stub_count(&s, "POST"), 3);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void a_retry_after_past_the_deadline_is_not_waited_for(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	(void)state;

	o.deadline_ms = 300; /* the stub asks for 1 s */
	assert_int_equal(stub_start(&s, scripted, "429"), 0);
	stub_url(&s, "/v1/chat/completions", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	assert_int_equal(http_request(&c, "POST", url, "{}", 2, "application/json", &r,
				      err, sizeof(err)), 0);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.waited_ms, 0);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static volatile int cancel_flag;

static void *cancel_soon(void *arg)
{
	struct timespec ts = { 0, 100 * 1000000L };
	(void)arg;
	nanosleep(&ts, NULL);
	cancel_flag = 1;
	return NULL;
}

static void cancel_ends_a_wait(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_response r;
	struct http_opts o = fast_opts();
	char url[128], err[HTTP_ERRLEN];
	struct timespec t0, t1;
	pthread_t th;
	long elapsed_ms;
	(void)state;

	cancel_flag = 0;
	o.cancel = &cancel_flag;
	o.backoff_max_ms = 20000;       /* keep the server's Retry-After of 10 s */
	assert_int_equal(stub_start(&s, scripted, "429slow"), 0);
	stub_url(&s, "/v1/chat/completions", url, sizeof(url));
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	http_response_init(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, cancel_soon, NULL);
	assert_int_equal(http_request(&c, "POST", url, "{}", 2, "application/json", &r,
				      err, sizeof(err)), -ECANCELED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	elapsed_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_non_null(strstr(err, "cancelled"));
	assert_int_equal(r.attempts, 1);
	/* it did not sit out the server's Retry-After of 10 s (the cancel
	 * comes after 100 ms; the bound leaves room for a busy machine) */
	assert_true(elapsed_ms < 5000);
	http_response_release(&r);
	http_client_release(&c);
	stub_stop(&s);
}

static void query_escaping(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	http_add_query_escaped(&b, "sum by (pod) (x{a=\"b\"})&c");
	assert_string_equal(b.data, "sum%20by%20%28pod%29%20%28x%7Ba%3D%22b%22%7D%29%26c");
	buf_release(&b);
}

/* A server that holds each request until `want` are in flight at once
 * (or 3 s pass), and records the most it saw: a client that sends one at a
 * time never gets past 1. Paths containing "flaky" get one 429 first. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight, max, want;
	bool open, flaky_done;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, false, false };

static void gated(struct stub *s, const struct stub_req *req, struct stub_resp *r)
{
	struct timespec until;
	(void)s;

	pthread_mutex_lock(&gate.mu);
	if (strstr(req->path, "flaky") && !gate.flaky_done) {
		gate.flaky_done = true;
		pthread_mutex_unlock(&gate.mu);
		stub_text(r, 429, "{\"kind\":\"Status\",\"code\":429}");
		r->retry_after = "4";
		return;
	}
	gate.inflight++;
	if (gate.inflight > gate.max)
		gate.max = gate.inflight;
	if (gate.inflight >= gate.want)
		gate.open = true;
	pthread_cond_broadcast(&gate.cv);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;     /* only a client that never has 4 in flight waits this out */
	while (!gate.open && pthread_cond_timedwait(&gate.cv, &gate.mu, &until) == 0)
		;
	gate.inflight--;
	pthread_mutex_unlock(&gate.mu);
	stub_text(r, 200, req->path);
}

struct done_log {
	int order[16];
	int n;
};

static void note_done(struct http_call *call, void *ctx)
{
	struct done_log *d = ctx;
	d->order[d->n++] = (int)(intptr_t)call->user;
}

static void batches_run_concurrently_within_the_bound(void **state)
{
	struct stub s;
	struct http_client c;
	struct http_opts o = fast_opts();
	struct http_call calls[10];
	struct http_response r[10];
	struct done_log d = { { 0 }, 0 };
	struct http_counters before, after;
	char urls[10][128];
	(void)state;

	gate.want = 4;
	o.backoff_max_ms = 5000; /* the Retry-After of 4 s is kept, so the others end well before */
	assert_int_equal(stub_start(&s, gated, NULL), 0);
	assert_int_equal(http_client_init(&c, &o, NULL), 0);
	memset(calls, 0, sizeof(calls));
	for (int i = 0; i < 10; i++) {
		char path[32];
		snprintf(path, sizeof(path), i == 3 ? "/flaky%d" : "/n%d", i);
		stub_url(&s, path, urls[i], sizeof(urls[i]));
		http_response_init(&r[i]);
		calls[i].method = "GET";
		calls[i].url = urls[i];
		calls[i].resp = &r[i];
		calls[i].user = (void *)(intptr_t)i;
	}
	http_counters_get(&before);
	assert_int_equal(http_request_many(&c, calls, 10, 4, note_done, &d), 0);
	/* the process-wide counters (/metrics): all drained, 11 attempts, 1 retry */
	http_counters_get(&after);
	assert_int_equal(after.queued, 0);
	assert_int_equal(after.in_flight, 0);
	assert_int_equal(after.attempts - before.attempts, 11);
	assert_int_equal(after.retries - before.retries, 1);
	/* Four at once, never more: the bound holds and the calls overlapped. */
	assert_int_equal(gate.max, 4);
	assert_int_equal(d.n, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(calls[i].rc, 0);
		assert_int_equal(r[i].status, 200);
		assert_non_null(strstr(r[i].body.data, i == 3 ? "/flaky3" : "/n"));
		/* the 429 was retried for that call alone, after its Retry-After */
		assert_int_equal(r[i].attempts, i == 3 ? 2 : 1);
		assert_true(i == 3 ? r[i].waited_ms >= 4000 : r[i].waited_ms == 0);
		http_response_release(&r[i]);
	}
	/* the call that waited did not hold up the others: it ended last */
	assert_int_equal(d.order[9], 3);
	http_client_release(&c);
	stub_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_reuses_the_connection),
		cmocka_unit_test(server_errors_are_retried),
		cmocka_unit_test(retry_after_is_honoured),
		cmocka_unit_test(a_final_5xx_is_returned_and_posts_are_not_retried),
		cmocka_unit_test(responses_are_capped),
		cmocka_unit_test(gzip_is_asked_for_and_decoded),
		cmocka_unit_test(refused_connections_fail_clearly),
		cmocka_unit_test(truncated_bodies_are_errors),
		cmocka_unit_test(streams_split_lines_and_cap_them),
		cmocka_unit_test(posts_are_retried_when_the_caller_says_so),
		cmocka_unit_test(a_retry_after_past_the_deadline_is_not_waited_for),
		cmocka_unit_test(cancel_ends_a_wait),
		cmocka_unit_test(query_escaping),
		cmocka_unit_test(batches_run_concurrently_within_the_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

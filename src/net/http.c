#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "net/http.h"
#include "net/linesplit.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
/* Process-wide, for /metrics: calls waiting to start (or to retry),
 * transfers running, attempts made. Streams are not counted. */
static atomic_long n_queued, n_in_flight;
static atomic_ullong n_attempts, n_retries;

void http_counters_get(struct http_counters *out)
{
	out->queued = atomic_load(&n_queued);
	out->in_flight = atomic_load(&n_in_flight);
	out->attempts = atomic_load(&n_attempts);
	out->retries = atomic_load(&n_retries);
}
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_ALL);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void set_pem(struct buf *b, const char *pem, size_t len)
{
	buf_reset(b);
	if (pem)
		buf_add(b, pem, len);
}

int http_client_init(struct http_client *c, const struct http_opts *opts,
		     const struct http_tls *tls)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return -EIO;
	memset(c, 0, sizeof(*c));
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (!c->easy || !c->multi) {
		if (c->easy)
			curl_easy_cleanup(c->easy);
		if (c->multi)
			curl_multi_cleanup(c->multi);
		return -ENOMEM;
	}
	if (opts)
		c->opts = *opts;
	if (c->opts.connect_timeout_ms <= 0)
		c->opts.connect_timeout_ms = 5000;
	if (c->opts.timeout_ms <= 0)
		c->opts.timeout_ms = 30000;
	if (c->opts.max_retries == 0)
		c->opts.max_retries = 4;
	else if (c->opts.max_retries < 0)
		c->opts.max_retries = 0;
	if (c->opts.backoff_base_ms <= 0)
		c->opts.backoff_base_ms = 200;
	if (c->opts.backoff_max_ms <= 0)
		c->opts.backoff_max_ms = 10000;
	if (c->opts.max_body == 0)
		c->opts.max_body = 256u << 20;
	buf_init(&c->ca_pem, 1u << 20);
	buf_init(&c->cert_pem, 1u << 20);
	buf_init(&c->key_pem, 1u << 20);
	if (tls) {
		c->ca_file = dup_or_null(tls->ca_file);
		c->cert_file = dup_or_null(tls->cert_file);
		c->key_file = dup_or_null(tls->key_file);
		set_pem(&c->ca_pem, tls->ca_pem, tls->ca_pem_len);
		set_pem(&c->cert_pem, tls->cert_pem, tls->cert_pem_len);
		set_pem(&c->key_pem, tls->key_pem, tls->key_pem_len);
		c->insecure = tls->insecure;
	}
	c->rng = (uint64_t)time_mono_ns() ^ ((uint64_t)(uintptr_t)c << 17);
	return 0;
}

static void wipe_buf(struct buf *b)
{
	if (b->data)
		memset(b->data, 0, b->len);
	buf_release(b);
}

void http_client_release(struct http_client *c)
{
	if (!c)
		return;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	for (int i = 0; i < c->npool; i++)
		if (c->pool[i])
			curl_easy_cleanup(c->pool[i]);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->auth_header) {
		memset(c->auth_header, 0, strlen(c->auth_header));
		free(c->auth_header);
	}
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	buf_release(&c->ca_pem);
	buf_release(&c->cert_pem);
	wipe_buf(&c->key_pem);
	http_client_set_headers(c, NULL);
	memset(c, 0, sizeof(*c));
}

void http_client_set_headers(struct http_client *c, const char *const *lines)
{
	for (size_t i = 0; i < c->nextra; i++)
		free(c->extra[i]);
	free(c->extra);
	c->extra = NULL;
	c->nextra = 0;
	while (lines && lines[c->nextra])
		c->nextra++;
	if (!c->nextra)
		return;
	c->extra = xcalloc(c->nextra, sizeof(*c->extra));
	for (size_t i = 0; i < c->nextra; i++)
		c->extra[i] = xstrdup(lines[i]);
}

void http_client_set_bearer(struct http_client *c, const char *token)
{
	struct buf b = BUF_INIT;

	if (c->auth_header) {
		memset(c->auth_header, 0, strlen(c->auth_header));
		free(c->auth_header);
		c->auth_header = NULL;
	}
	if (!token)
		return;
	buf_addf(&b, "Authorization: Bearer %s", token);
	c->auth_header = buf_detach(&b, NULL);
}

void http_client_set_client_cert(struct http_client *c, const char *cert_pem,
				 size_t cert_len, const char *key_pem, size_t key_len)
{
	free(c->cert_file);
	free(c->key_file);
	c->cert_file = c->key_file = NULL;
	set_pem(&c->cert_pem, cert_pem, cert_len);
	wipe_buf(&c->key_pem);
	buf_init(&c->key_pem, 1u << 20);
	set_pem(&c->key_pem, key_pem, key_len);
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, BUF_NO_LIMIT);
}

void http_response_release(struct http_response *r)
{
	if (!r)
		return;
	buf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

/* What the write and header callbacks of one transfer share. */
struct xfer {
	struct http_client *c;
	struct buf *body;
	size_t cap;
	bool too_big;
	char content_type[HTTP_MAX_HEADER_VALUE];
	/* streaming */
	struct buf line;
	size_t max_line;
	bool line_too_long, stopped_by_callback;
	int (*on_line)(const char *line, size_t len, void *ctx);
	void *ctx;
	const volatile int *stop;
	struct buf *errbody;
	long status;
};

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * n;

	if (x->body->len + len > x->cap) {
		x->too_big = true;
		return 0;
	}
	if (buf_add(x->body, p, len) < 0) {
		x->too_big = true;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * n;
	static const char ct[] = "content-type:";

	if (len > 5 && !memcmp(p, "HTTP/", 5))
		x->content_type[0] = '\0'; /* a new response (after a redirect or 100) */
	if (len > sizeof(ct) - 1 && !strncasecmp(p, ct, sizeof(ct) - 1)) {
		size_t i = sizeof(ct) - 1, j = 0;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof(x->content_type))
			x->content_type[j++] = p[i++];
		x->content_type[j] = '\0';
	}
	return len;
}

static int on_progress(void *userdata, curl_off_t dt, curl_off_t dn,
		       curl_off_t ut, curl_off_t un)
{
	struct xfer *x = userdata;
	(void)dt; (void)dn; (void)ut; (void)un;
	return x->stop && *x->stop ? 1 : 0;
}

static void setup(struct http_client *c, CURL *e, const char *method, const char *url,
		  struct curl_slist **headers, const char *content_type,
		  char *errbuf)
{
	struct curl_blob blob;

	curl_easy_reset(e); /* keeps live connections and TLS sessions */
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "kubemend/0.1");
	/* HTTP/2 where TLS offers it: concurrent requests then share one
	 * connection (PIPEWAIT waits for its handshake rather than opening
	 * more). Plain http stays HTTP/1.1, one connection per transfer, and
	 * must not wait: a connection there is busy until its answer ends. */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (!strncasecmp(url, "https:", 6))
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	if (strcmp(method, "GET"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	*headers = curl_slist_append(*headers, "Accept: application/json");
	if (c->auth_header)
		*headers = curl_slist_append(*headers, c->auth_header);
	for (size_t i = 0; i < c->nextra; i++)
		*headers = curl_slist_append(*headers, c->extra[i]);
	if (content_type) {
		struct buf h = BUF_INIT;
		buf_addf(&h, "Content-Type: %s", content_type);
		*headers = curl_slist_append(*headers, h.data);
		buf_release(&h);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->ca_pem.len) {
		blob.data = c->ca_pem.data;
		blob.len = c->ca_pem.len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
	if (c->cert_pem.len) {
		blob.data = c->cert_pem.data;
		blob.len = c->cert_pem.len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->key_pem.len) {
		blob.data = c->key_pem.data;
		blob.len = c->key_pem.len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
}

static int map_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER: return -EPROTO;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL: return -EINVAL;
	default: return -EIO;
	}
}

static bool transport_retryable(CURLcode rc, bool idempotent)
{
	if (rc == CURLE_COULDNT_CONNECT)
		return true; /* nothing reached the server */
	if (!idempotent)
		return false;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return true;
	default:
		return false;
	}
}

static uint64_t next_rand(struct http_client *c)
{
	/* xorshift64*: jitter only, not security */
	uint64_t x = c->rng ? c->rng : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Exponential backoff with "equal jitter": half fixed, half random. */
static int64_t backoff_ms(struct http_client *c, int attempt)
{
	int64_t w = c->opts.backoff_base_ms;
	for (int i = 0; i < attempt && w < c->opts.backoff_max_ms; i++)
		w *= 2;
	if (w > c->opts.backoff_max_ms)
		w = c->opts.backoff_max_ms;
	return w / 2 + (int64_t)(next_rand(c) % (uint64_t)(w / 2 + 1));
}

/* Sleeps ms, in slices when cancel can end the wait early. */
static void pause_ms(int64_t ms, const volatile int *cancel)
{
	while (ms > 0 && !(cancel && *cancel)) {
		int64_t step = cancel && ms > 50 ? 50 : ms;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= step;
	}
}

/* Whether a wait of ms still leaves time for another attempt before end_ms. */
static bool wait_fits(int64_t end_ms, int64_t ms)
{
	return !end_ms || time_mono_ms() + ms < end_ms;
}

static void describe(char *err, size_t errlen, const char *method, const char *url,
		     const char *what, int attempts)
{
	if (!err || !errlen)
		return;
	if (attempts > 1)
		snprintf(err, errlen, "%s %s: %s (after %d attempts)", method, url, what, attempts);
	else
		snprintf(err, errlen, "%s %s: %s", method, url, what);
}

/* The private state of one call of a batch. */
struct slot {
	struct http_call *call;
	CURL *easy;                     /* while a transfer runs */
	struct curl_slist *headers;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	int attempt;                    /* attempts made so far */
	int64_t not_before_ms;          /* a retry waits until then */
	bool idempotent, done, running;
};

static CURL *take_easy(struct http_client *c)
{
	for (int i = 0; i < c->npool; i++)
		if (c->pool[i]) {
			CURL *e = c->pool[i];
			c->pool[i] = NULL;
			return e;
		}
	return curl_easy_init();
}

static void give_easy(struct http_client *c, CURL *e)
{
	for (int i = 0; i < HTTP_MAX_PARALLEL; i++)
		if (!c->pool[i]) {
			c->pool[i] = e;
			if (i >= c->npool)
				c->npool = i + 1;
			return;
		}
	curl_easy_cleanup(e);
}

static void finish(struct http_client *c, struct slot *s, int rc, const char *what,
		   void (*on_done)(struct http_call *call, void *ctx), void *ctx)
{
	struct http_call *call = s->call;

	if (what)
		describe(call->err, sizeof(call->err), call->method, call->url, what,
			 call->resp->attempts);
	if (rc < 0)
		buf_reset(&call->resp->body);
	call->rc = rc;
	s->done = true;
	(void)c;
	if (on_done)
		on_done(call, ctx);
}

static int start(struct http_client *c, struct slot *s, int64_t end_ms)
{
	struct http_call *call = s->call;
	int64_t limit = c->opts.timeout_ms;
	CURL *e = take_easy(c);

	if (!e)
		return -ENOMEM;
	memset(&s->x, 0, sizeof(s->x));
	s->x.c = c;
	s->x.body = &call->resp->body;
	s->x.cap = c->opts.max_body;
	buf_reset(&call->resp->body);
	s->errbuf[0] = '\0';
	s->headers = NULL;
	setup(c, e, call->method, call->url, &s->headers, call->content_type, s->errbuf);
	if (end_ms && end_ms - time_mono_ms() < limit)
		limit = end_ms - time_mono_ms() > 1 ? end_ms - time_mono_ms() : 1;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)limit);
	if (c->opts.cancel) {
		s->x.stop = c->opts.cancel;
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, &s->x);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &s->x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &s->x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)s);
	if (call->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_slist_free_all(s->headers);
		s->headers = NULL;
		give_easy(c, e);
		return -ENOMEM;
	}
	s->easy = e;
	s->running = true;
	atomic_fetch_sub(&n_queued, 1);
	atomic_fetch_add(&n_in_flight, 1);
	atomic_fetch_add(&n_attempts, 1);
	return 0;
}

/* A transfer ended: finish the call or schedule its retry. */
static void ended(struct http_client *c, struct slot *s, CURLcode rc, int64_t end_ms,
		  void (*on_done)(struct http_call *call, void *ctx), void *ctx)
{
	struct http_call *call = s->call;
	struct http_response *resp = call->resp;
	const volatile int *cancel = c->opts.cancel;
	long status = 0;
	curl_off_t retry_after = -1;
	int64_t wait;
	int attempt = s->attempt++;

	curl_multi_remove_handle(c->multi, s->easy);
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	s->running = false;
	atomic_fetch_sub(&n_in_flight, 1);
	resp->attempts++;
	{
		long ver = 0, conns = 0;

		curl_easy_getinfo(s->easy, CURLINFO_HTTP_VERSION, &ver);
		curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &conns);
		resp->version = ver == CURL_HTTP_VERSION_1_0 ? 10 : ver == CURL_HTTP_VERSION_1_1 ? 11 :
				ver == CURL_HTTP_VERSION_2_0 ? 20 : ver == CURL_HTTP_VERSION_3 ? 30 : 0;
		if (conns > 0)
			c->connects += (unsigned long)conns;
	}
	if (s->x.too_big) {
		char what[96];
		snprintf(what, sizeof(what), "response larger than %zu bytes", c->opts.max_body);
		give_easy(c, s->easy);
		finish(c, s, -E2BIG, what, on_done, ctx);
		return;
	}
	if (cancel && *cancel) {
		give_easy(c, s->easy);
		finish(c, s, -ECANCELED, "cancelled", on_done, ctx);
		return;
	}
	if (rc != CURLE_OK) {
		char what[CURL_ERROR_SIZE + 48];
		wait = backoff_ms(c, attempt);
		if (attempt < c->opts.max_retries && transport_retryable(rc, s->idempotent) &&
		    wait_fits(end_ms, wait)) {
			resp->waited_ms += wait;
			s->not_before_ms = time_mono_ms() + wait;
			give_easy(c, s->easy);
			atomic_fetch_add(&n_queued, 1);
			atomic_fetch_add(&n_retries, 1);
			return;
		}
		snprintf(what, sizeof(what), "%s%s",
			 rc == CURLE_PARTIAL_FILE ? "response truncated: " : "",
			 s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
		give_easy(c, s->easy);
		finish(c, s, map_curl_error(rc), what, on_done, ctx);
		return;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, &retry_after);
	give_easy(c, s->easy);
	if (attempt < c->opts.max_retries &&
	    (status == 429 || (status >= 500 && status <= 599 && s->idempotent))) {
		if (retry_after > 0) {
			wait = (int64_t)retry_after * 1000;
			if (wait > c->opts.backoff_max_ms)
				wait = c->opts.backoff_max_ms;
		} else {
			wait = backoff_ms(c, attempt);
		}
		if (wait_fits(end_ms, wait)) {
			resp->waited_ms += wait;
			s->not_before_ms = time_mono_ms() + wait;
			atomic_fetch_add(&n_queued, 1);
			atomic_fetch_add(&n_retries, 1);
			return;
		}
	}
	resp->status = status;
	memcpy(resp->content_type, s->x.content_type, sizeof(resp->content_type));
	finish(c, s, 0, NULL, on_done, ctx);
}

int http_request_many(struct http_client *c, struct http_call *calls, size_t n,
		      int parallel, void (*on_done)(struct http_call *call, void *ctx),
		      void *ctx)
{
	const volatile int *cancel = c->opts.cancel;
	int64_t end_ms = c->opts.deadline_ms > 0 ? time_mono_ms() + c->opts.deadline_ms : 0;
	struct slot *slots;
	size_t left = n, next = 0;
	int running = 0;

	if (parallel < 1)
		parallel = 1;
	if (parallel > HTTP_MAX_PARALLEL)
		parallel = HTTP_MAX_PARALLEL;
	if (!n)
		return 0;
	slots = xcalloc(n, sizeof(*slots));
	atomic_fetch_add(&n_queued, (long)n);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)parallel);
	for (size_t i = 0; i < n; i++) {
		slots[i].call = &calls[i];
		slots[i].idempotent = c->opts.retry_unsafe || !strcmp(calls[i].method, "GET") ||
				      !strcmp(calls[i].method, "HEAD");
		calls[i].rc = 0;
		calls[i].err[0] = '\0';
		calls[i].resp->attempts = 0;
		calls[i].resp->waited_ms = 0;
	}
	while (left) {
		int64_t now = time_mono_ms(), soonest;
		int still, timeout;
		CURLMsg *msg;

		if (cancel && *cancel) {
			/* Waiting and unstarted calls end now; running ones abort in
			 * their progress callback and end below. */
			for (size_t i = 0; i < n; i++)
				if (!slots[i].done && !slots[i].running) {
					atomic_fetch_sub(&n_queued, 1);
					finish(c, &slots[i], -ECANCELED, "cancelled", on_done, ctx);
					left--;
				}
			if (!left)
				break;
		}
		/* Retries that are due first, then calls not yet begun. */
		for (size_t i = 0; i < next && running < parallel && !(cancel && *cancel); i++) {
			struct slot *s = &slots[i];
			if (s->done || s->running)
				continue;
			if (s->not_before_ms > now)
				continue;
			if (start(c, s, end_ms) < 0) {
				atomic_fetch_sub(&n_queued, 1);
				finish(c, s, -ENOMEM, "out of memory", on_done, ctx);
				left--;
				continue;
			}
			running++;
		}
		while (next < n && running < parallel && !(cancel && *cancel)) {
			struct slot *s = &slots[next++];
			if (s->done)
				continue;
			if (start(c, s, end_ms) < 0) {
				atomic_fetch_sub(&n_queued, 1);
				finish(c, s, -ENOMEM, "out of memory", on_done, ctx);
				left--;
				continue;
			}
			running++;
		}
		if (!left)
			break;
		if (curl_multi_perform(c->multi, &still) != CURLM_OK)
			still = 0;
		while ((msg = curl_multi_info_read(c->multi, &still))) {
			struct slot *s = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			running--;
			ended(c, s, msg->data.result, end_ms, on_done, ctx);
			if (s->done)
				left--;
		}
		if (!left)
			break;
		/* Sleep until a transfer moves or the first retry is due. */
		soonest = -1;
		for (size_t i = 0; i < next; i++)
			if (!slots[i].done && !slots[i].running &&
			    (soonest < 0 || slots[i].not_before_ms < soonest))
				soonest = slots[i].not_before_ms;
		timeout = 1000;
		if (soonest >= 0) {
			int64_t d = soonest - time_mono_ms();
			timeout = d < 0 ? 0 : d < timeout ? (int)d : timeout;
		}
		if (cancel && timeout > 50)
			timeout = 50;
		if (running)
			curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
		else if (timeout > 0)
			pause_ms(timeout, cancel);
	}
	free(slots);
	return 0;
}

int http_request(struct http_client *c, const char *method, const char *url,
		 const char *body, size_t body_len, const char *content_type,
		 struct http_response *resp, char *err, size_t errlen)
{
	struct http_call call;

	memset(&call, 0, sizeof(call));
	call.method = method;
	call.url = url;
	call.body = body;
	call.body_len = body_len;
	call.content_type = content_type;
	call.resp = resp;
	http_request_many(c, &call, 1, 1, NULL, NULL);
	if (call.rc < 0 && err && errlen)
		snprintf(err, errlen, "%s", call.err);
	return call.rc;
}

/* The framing lives in net/linesplit.c (fuzzed on its own: fuzz/fuzz_lines.c). */
static int emit_lines(struct xfer *x, const char *p, size_t len)
{
	struct line_split ls = {
		.line = x->line, .max_line = x->max_line, .on_line = x->on_line, .ctx = x->ctx,
	};
	int rc = line_split_feed(&ls, p, len);

	x->line = ls.line;
	x->line_too_long |= ls.too_long;
	x->stopped_by_callback |= ls.stopped;
	return rc;
}

static size_t on_stream(char *p, size_t size, size_t n, void *userdata)
{
	struct xfer *x = userdata;
	size_t len = size * n;

	if (!x->status)
		curl_easy_getinfo(x->c->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status > 299) {
		if (x->errbody && x->errbody->len + len <= (64u << 10))
			buf_add(x->errbody, p, len);
		return len;
	}
	return emit_lines(x, p, len) < 0 ? 0 : len;
}

/* Runs the transfer on the multi handle so another thread can wake it. */
static CURLcode perform_stream(struct http_client *c, struct xfer *x)
{
	CURLM *m = c->multi;
	CURLcode rc = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left;

	if (curl_multi_add_handle(m, c->easy) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = CURLE_RECV_ERROR;
			break;
		}
		if (!running || (x->stop && *x->stop))
			break;
		curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(m, c->easy);
	return rc;
}

void http_client_wake(struct http_client *c)
{
	if (c->multi)
		curl_multi_wakeup(c->multi);
}

int http_stream(struct http_client *c, const char *url, size_t max_line,
		int (*on_line)(const char *line, size_t len, void *ctx), void *ctx,
		const volatile int *stop, long *status, struct buf *errbody,
		char *err, size_t errlen)
{
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct buf dummy = BUF_INIT;
	struct xfer x;
	CURLcode rc;
	int ret = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.body = &dummy;
	x.max_line = max_line;
	x.on_line = on_line;
	x.ctx = ctx;
	x.stop = stop;
	x.errbody = errbody;
	buf_init(&x.line, BUF_NO_LIMIT);
	errbuf[0] = '\0';
	setup(c, c->easy, "GET", url, &headers, NULL, errbuf);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFODATA, &x);
	/* A stalled stream (no byte for a minute, bookmarks included) is dead. */
	curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->easy, CURLOPT_LOW_SPEED_TIME, 60L);
	rc = perform_stream(c, &x);
	curl_slist_free_all(headers);
	if (!x.status)
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &x.status);
	*status = x.status;
	if (x.line_too_long) {
		char what[96];
		snprintf(what, sizeof(what), "stream line longer than %zu bytes", max_line);
		describe(err, errlen, "GET", url, what, 1);
		ret = -E2BIG;
	} else if (x.stopped_by_callback || (stop && *stop)) {
		ret = 0;
	} else if (rc != CURLE_OK) {
		describe(err, errlen, "GET", url, errbuf[0] ? errbuf : curl_easy_strerror(rc), 1);
		ret = map_curl_error(rc);
	}
	buf_release(&x.line);
	buf_release(&dummy);
	return ret;
}

int http_add_query_escaped(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int rc;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			rc = buf_addch(out, (char)ch);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			rc = buf_add(out, e, 3);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

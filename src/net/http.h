#ifndef NET_HTTP_H
#define NET_HTTP_H
/*
 * An HTTP client on libcurl: one easy handle per client (so connections and
 * TLS sessions are reused), timeouts, retries with exponential backoff and
 * jitter on connection errors, 429 and 5xx (honouring Retry-After), a hard
 * cap on response size, and gzip. Requests run on a libcurl multi handle:
 * http_request_many() runs a batch concurrently over a bounded number of
 * connections (HTTP/2 streams on one connection where TLS offers h2), each
 * call with its own retries. The client copies every string it is given; a
 * response owns its body (http_response_release frees it). A client is used
 * by one thread at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"

struct http_tls {
	const char *ca_file;            /* PEM file of CAs to trust, or NULL */
	const char *ca_pem;             /* PEM bytes (ca_pem_len), or NULL */
	size_t ca_pem_len;
	const char *cert_file, *key_file;       /* client certificate, PEM files */
	const char *cert_pem, *key_pem;         /* or PEM bytes */
	size_t cert_pem_len, key_pem_len;
	bool insecure;                  /* skip server verification */
};

struct http_opts {
	int64_t connect_timeout_ms;     /* default 5 s */
	int64_t timeout_ms;             /* whole request; default 30 s; streams use none */
	int max_retries;                /* retries after the first attempt; default 4, negative for none */
	int64_t backoff_base_ms;        /* first backoff; default 200 ms, doubled each time */
	int64_t backoff_max_ms;         /* cap per wait, also on Retry-After; default 10 s */
	size_t max_body;                /* response cap; default 256 MiB */
	bool retry_unsafe;              /* retry every method like GET (the caller knows a repeat is harmless) */
	int64_t deadline_ms;            /* one http_request(), retries and waits included; 0: none */
	const volatile int *cancel;     /* non-zero aborts transfers and waits (-ECANCELED); may be NULL */
};

#define HTTP_MAX_HEADER_VALUE 256
#define HTTP_ERRLEN 512

struct http_response {
	long status;
	struct buf body;
	char content_type[HTTP_MAX_HEADER_VALUE];
	int attempts;                   /* requests made, retries included */
	int64_t waited_ms;              /* time spent in backoff between them */
	int version;                    /* HTTP version of the last attempt: 10, 11, 20, 30; 0 unknown */
};

/* The most transfers one batch runs at once. */
#define HTTP_MAX_PARALLEL 64

struct http_client {
	void *easy;                     /* CURL *, for streams */
	void *multi;                    /* CURLM *: every transfer runs on it (one connection cache) */
	void *pool[HTTP_MAX_PARALLEL];  /* idle CURL * handles for requests */
	int npool;
	struct http_opts opts;
	char *auth_header;              /* "Authorization: Bearer ..." or NULL */
	char *ca_file, *cert_file, *key_file;
	struct buf ca_pem, cert_pem, key_pem;
	bool insecure;
	uint64_t rng;                   /* jitter */
	char **extra;                   /* "Name: value" lines sent with every request */
	size_t nextra;
	unsigned long connects;         /* connections opened for requests (HTTP/2 multiplexing shows as few) */
};

/* A zeroed opts gives the defaults above. Returns 0 or a negative errno. */
int http_client_init(struct http_client *c, const struct http_opts *opts,
		     const struct http_tls *tls);
void http_client_release(struct http_client *c);
/*
 * Replaces the extra header lines ("Name: value", copied; NULL-terminated
 * list, or NULL for none) sent with every request, e.g. a per-request
 * signature set just before http_request().
 */
void http_client_set_headers(struct http_client *c, const char *const *lines);
/* Sets (or with NULL clears) the bearer token sent with every request. */
void http_client_set_bearer(struct http_client *c, const char *token);
/* Replaces the client certificate and key (PEM bytes), e.g. from an exec plugin. */
void http_client_set_client_cert(struct http_client *c, const char *cert_pem,
				 size_t cert_len, const char *key_pem, size_t key_len);

void http_response_init(struct http_response *r);
void http_response_release(struct http_response *r);

/*
 * Makes a request and fills resp (which the caller initialised; its body is
 * reset first). Any HTTP status counts as success (0): the caller decides
 * what a 404 means; a 429 or 5xx still there after the retries is returned
 * as its status. A transport failure (-EIO, -ETIMEDOUT, -ECONNREFUSED) or a
 * body over the cap (-E2BIG) returns a negative errno and writes a
 * one-line message naming the method and URL into err (HTTP_ERRLEN bytes).
 * Only GET and HEAD (every method with opts.retry_unsafe) are retried on 5xx
 * and transport errors; every method is retried on 429 and on a refused
 * connection. With opts.deadline_ms no attempt runs and no wait ends past
 * the deadline: a Retry-After that would is not waited for, and the last
 * status (or -ETIMEDOUT) is returned. opts.cancel turning non-zero ends the
 * call with -ECANCELED.
 */
int http_request(struct http_client *c, const char *method, const char *url,
		 const char *body, size_t body_len, const char *content_type,
		 struct http_response *resp, char *err, size_t errlen);

/*
 * One request of a batch: the caller fills method, url, body (may be NULL),
 * content_type (may be NULL) and resp (initialised); rc and err are
 * written as http_request() would return and write them.
 */
struct http_call {
	const char *method, *url, *body, *content_type;
	size_t body_len;
	struct http_response *resp;
	void *user;                     /* the caller's, untouched */
	int rc;
	char err[HTTP_ERRLEN];
};

/*
 * Runs n calls with at most parallel (1..HTTP_MAX_PARALLEL) transfers at
 * once; each call is retried on its own terms (as http_request(), Retry-After
 * included), and a call waiting to retry does not hold up the others.
 * opts.deadline_ms counts from the start of the batch. on_done (may be NULL)
 * is called, in this thread, as each call ends, so its body can be used and
 * released while the rest download. Returns 0; the outcome is in each call.
 */
int http_request_many(struct http_client *c, struct http_call *calls, size_t n,
		      int parallel, void (*on_done)(struct http_call *call, void *ctx),
		      void *ctx);

static inline int http_get(struct http_client *c, const char *url,
			   struct http_response *resp, char *err, size_t errlen)
{
	return http_request(c, "GET", url, NULL, 0, NULL, resp, err, errlen);
}

/*
 * A streaming GET (a watch): calls on_line for each complete line of the
 * body (without the newline; lines are capped at max_line bytes, a longer
 * one fails with -E2BIG). on_line returns 0 to go on or non-zero to stop.
 * *stop (may be NULL) ends the stream early: it is checked at least once a
 * second, and at once after http_client_wake(). *status gets the HTTP status; for a non-2xx status the body is
 * collected into errbody (capped at 64 KiB) instead of being split. Returns
 * 0 when the server ended the stream or the caller stopped it, or a negative
 * errno on a transport failure. No retries: the caller reconnects.
 */
int http_stream(struct http_client *c, const char *url, size_t max_line,
		int (*on_line)(const char *line, size_t len, void *ctx), void *ctx,
		const volatile int *stop, long *status, struct buf *errbody,
		char *err, size_t errlen);

/* Wakes a http_stream() running in another thread so it sees *stop at
 * once (the only call that may come from another thread). */
void http_client_wake(struct http_client *c);

/* What every client of the process is doing now (for /metrics): calls of
 * batches waiting to start or to retry, transfers running (streams not
 * counted), and the attempts and retries made since start. */
struct http_counters {
	long queued, in_flight;
	unsigned long long attempts, retries;
};
void http_counters_get(struct http_counters *out);

/* Percent-encodes s for a query parameter value into out. */
int http_add_query_escaped(struct buf *out, const char *s);

#endif

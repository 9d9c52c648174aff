#ifndef NET_HTTPD_H
#define NET_HTTPD_H
/*
 * A small HTTP(S) server on libmicrohttpd: a few threads, each polling many
 * connections (epoll), with a total and a per-client-address connection
 * limit and a short idle timeout, so idle or slow clients cannot take it
 * down. The server owns its connections; a request handler fills a struct
 * httpd_resp whose body (or stream) the server then owns and frees. Handlers
 * run on the pool's threads, concurrently: they must do their own locking,
 * and a slow handler holds one of those threads.
 */
#include <stddef.h>
#include <stdbool.h>
#include "base/buf.h"

struct httpd;

struct httpd_req {
	const char *method;
	const char *path;       /* URL path, percent-decoded, without the query */
	const char *body;       /* NUL-terminated; body_len excludes the NUL */
	size_t body_len;
	const char *client_cn;  /* CN of a client certificate that verified against the CA, or NULL */
	void *conn;             /* private */
};

/* A query argument (decoded) or NULL; the first when repeated. */
const char *httpd_req_query(const struct httpd_req *r, const char *key);
/* A request header (case-insensitive name) or NULL. */
const char *httpd_req_header(const struct httpd_req *r, const char *name);

/*
 * A streamed (chunked) response. next() appends bytes to out and returns
 * HTTPD_MORE; returns HTTPD_WAIT when nothing is ready after waiting up to
 * wait_ms (the server passes 0 and asks again about every 50 ms, without
 * holding a thread in between); HTTPD_END to finish the response cleanly, or
 * HTTPD_ABORT to drop the connection without finishing it. Each call's bytes
 * go out as one chunk at once. free() is called once when the response ends,
 * also when the client went away.
 */
enum { HTTPD_MORE = 1, HTTPD_WAIT = 0, HTTPD_END = -1, HTTPD_ABORT = -2 };

struct httpd_stream {
	int (*next)(void *ctx, struct buf *out, int wait_ms);
	void (*free)(void *ctx);
	void *ctx;
};

#define HTTPD_MAX_HEADERS 8

struct httpd_resp {
	int status;                     /* default 200 */
	const char *content_type;       /* static string; default "application/json" */
	struct buf body;
	const char *hdr_name[HTTPD_MAX_HEADERS];  /* static names */
	char hdr_value[HTTPD_MAX_HEADERS][256];
	int nhdr;
	struct httpd_stream stream;     /* when stream.next is set the body is sent first, then the stream */
};

/* Adds a response header (name static, value copied and truncated to 255 bytes). */
void httpd_resp_header(struct httpd_resp *resp, const char *name, const char *value);

typedef void (*httpd_handler)(void *ctx, const struct httpd_req *req, struct httpd_resp *resp);

struct httpd_config {
	const char *listen;             /* "127.0.0.1:PORT"; port 0 picks a free port */
	const char *cert_pem, *key_pem; /* HTTPS when both are set */
	const char *client_ca_pem;      /* HTTPS only: ask for client certificates and verify them against this CA */
	size_t max_body;                /* larger request bodies get 413 (default 3 MiB) */
	unsigned max_conns;             /* open connections in all (default 4096, capped by RLIMIT_NOFILE) */
	unsigned max_conns_per_ip;      /* from one client address (default 64; HTTPD_UNLIMITED for none) */
	unsigned idle_timeout_s;        /* a connection silent this long is closed (default 15) */
	unsigned threads;               /* polling threads (default 4) */
	httpd_handler handler;
	void *ctx;
};

#define HTTPD_UNLIMITED ((unsigned)-1)

/*
 * Binds and starts serving. Raises the process's soft RLIMIT_NOFILE towards
 * its hard limit so max_conns can be reached. On failure returns a negative errno and writes a
 * one-line reason into err ("127.0.0.1:6443: address already in use").
 */
int httpd_start(struct httpd **out, const struct httpd_config *cfg, char *err, size_t errlen);
/* The bound port (useful with port 0). */
int httpd_port(const struct httpd *h);
/* Connections open right now (for tests and metrics). */
unsigned httpd_connections(const struct httpd *h);
/* Stops accepting, ends open streams, waits for connection threads, frees. NULL is fine. */
void httpd_stop(struct httpd *h);
/* True once httpd_stop() has begun (long handlers may check it). */
bool httpd_stopping(const struct httpd *h);

/* Parses "HOST:PORT" (IPv4 literal or "localhost"); 0 or -EINVAL. */
int httpd_parse_listen(const char *s, char host[64], int *port);

#endif

#ifndef TESTS_HTTPSTUB_H
#define TESTS_HTTPSTUB_H
/*
 * A tiny HTTP server for client tests (libmicrohttpd, 127.0.0.1, a port the
 * kernel picks). The test gives a handler that fills a response; the stub
 * can gzip it (when the client accepts gzip), add Retry-After, or cut the
 * body short after declaring its full length. Requests are logged as
 * "METHOD /path?query" lines for assertions.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct stub_req {
	const char *method, *path;
	struct MHD_Connection *conn;
	int n;                          /* 0-based index of this request */
};

struct stub_resp {
	int status;
	char *body;                     /* malloc'd; the stub frees it */
	size_t len;
	const char *content_type;
	const char *retry_after;
	bool gzip;                      /* compress when the client accepts gzip */
	long truncate_at;               /* >= 0: send only this many bytes of len */
};

struct stub;
typedef void (*stub_handler)(struct stub *s, const struct stub_req *req, struct stub_resp *resp);

#define STUB_LOG_MAX 256

struct stub {
	struct MHD_Daemon *d;
	int port;
	stub_handler handler;
	const void *ctx;
	pthread_mutex_t mu;
	int hits;
	char *log[STUB_LOG_MAX];
	int nlog;
	char accept_encoding[64];
};

static char *stub_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	memcpy(p, s, n);
	return p;
}

static inline char *stub_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		fclose(f);
		return NULL;
	}
	data[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return data;
}

/* Sets the response to a fixture file (or a 500 when it is missing). */
static inline void stub_file(struct stub_resp *r, int status, const char *path)
{
	r->status = status;
	r->body = stub_read_file(path, &r->len);
	if (!r->body) {
		r->status = 500;
		r->body = stub_strdup("fixture missing");
		r->len = strlen(r->body);
	}
}

static inline void stub_text(struct stub_resp *r, int status, const char *text)
{
	r->status = status;
	r->body = stub_strdup(text);
	r->len = strlen(text);
}

static inline const char *stub_arg(const struct stub_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct stub_trunc {
	char *data;
	size_t len, cut;
};

static ssize_t stub_trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stub_trunc *t = cls;
	size_t n;
	if (pos >= t->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->cut - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->data + pos, n);
	return (ssize_t)n;
}

static void stub_trunc_free(void *cls)
{
	struct stub_trunc *t = cls;
	free(t->data);
	free(t);
}

static int stub_gzip(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream z;
	size_t cap = len + 128;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	*out = malloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(*out);
		return -1;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	return 0;
}

static enum MHD_Result stub_collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	char *q = cls;
	size_t n = strlen(q);
	(void)kind;
	snprintf(q + n, 1024 - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
	return MHD_YES;
}

static enum MHD_Result stub_access(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload, size_t *upload_size, void **con_cls)
{
	struct stub *s = cls;
	struct stub_req req = { method, url, conn, 0 };
	struct stub_resp resp;
	struct MHD_Response *r;
	const char *ae;
	char query[1024] = "", line[1400];
	enum MHD_Result ret;
	(void)version;
	(void)upload;

	if (!*con_cls) {
		*con_cls = s; /* first call: headers only */
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* bodies are not needed by the tests */
		return MHD_YES;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, stub_collect_arg, query);
	snprintf(line, sizeof(line), "%s %s%s%s", method, url, query[0] ? "?" : "", query);
	ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	pthread_mutex_lock(&s->mu);
	req.n = s->hits++;
	if (s->nlog < STUB_LOG_MAX)
		s->log[s->nlog++] = stub_strdup(line);
	snprintf(s->accept_encoding, sizeof(s->accept_encoding), "%s", ae ? ae : "");
	pthread_mutex_unlock(&s->mu);

	memset(&resp, 0, sizeof(resp));
	resp.status = 404;
	resp.truncate_at = -1;
	resp.content_type = "application/json";
	s->handler(s, &req, &resp);
	if (!resp.body) {
		resp.body = stub_strdup("");
		resp.len = 0;
	}
	if (resp.gzip && ae && strstr(ae, "gzip")) {
		char *z;
		size_t zlen;
		if (stub_gzip(resp.body, resp.len, &z, &zlen) == 0) {
			free(resp.body);
			resp.body = z;
			resp.len = zlen;
		} else {
			resp.gzip = false;
		}
	} else {
		resp.gzip = false;
	}
	if (resp.truncate_at >= 0) {
		struct stub_trunc *t = malloc(sizeof(*t));
		t->data = resp.body;
		t->len = resp.len;
		t->cut = (size_t)resp.truncate_at < resp.len ? (size_t)resp.truncate_at : resp.len;
		r = MHD_create_response_from_callback(resp.len, 4096, stub_trunc_read, t, stub_trunc_free);
	} else {
		r = MHD_create_response_from_buffer(resp.len, resp.body, MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(r, "Content-Type", resp.content_type);
	if (resp.gzip)
		MHD_add_response_header(r, "Content-Encoding", "gzip");
	if (resp.retry_after)
		MHD_add_response_header(r, "Retry-After", resp.retry_after);
	ret = MHD_queue_response(conn, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

static inline int stub_start(struct stub *s, stub_handler h, const void *ctx)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(s, 0, sizeof(*s));
	s->handler = h;
	s->ctx = ctx;
	pthread_mutex_init(&s->mu, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				0, NULL, NULL, stub_access, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_END);
	if (!s->d)
		return -1;
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s->port ? 0 : -1;
}

static inline void stub_stop(struct stub *s)
{
	if (s->d)
		MHD_stop_daemon(s->d);
	for (int i = 0; i < s->nlog; i++)
		free(s->log[i]);
	pthread_mutex_destroy(&s->mu);
	memset(s, 0, sizeof(*s));
}

static inline void stub_url(const struct stub *s, const char *path, char *out, size_t n)
{
	snprintf(out, n, "http://127.0.0.1:%d%s", s->port, path);
}

/* The number of logged requests that start with prefix. */
static inline int stub_count(struct stub *s, const char *prefix)
{
	int k = 0;
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->nlog; i++)
		k += strncmp(s->log[i], prefix, strlen(prefix)) == 0;
	pthread_mutex_unlock(&s->mu);
	return k;
}

#endif

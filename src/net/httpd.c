#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "net/httpd.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

#define DEFAULT_MAX_BODY (3u << 20)
#define DEFAULT_MAX_CONNS 4096u
#define DEFAULT_PER_IP 64u
#define DEFAULT_IDLE_S 15u
#define DEFAULT_THREADS 4u
#define NOFILE_WANT 65536u
#define NOFILE_SPARE 64u       /* descriptors left for everything but connections */
#define PARK_MS 50             /* how often a waiting stream is asked again */

struct streamstate;

struct httpd {
	struct MHD_Daemon *d;
	int fd;
	int port;
	bool tls;
	bool want_client_cert;
	volatile int stopping;
	size_t max_body;
	httpd_handler handler;
	void *ctx;
	char *cert, *key, *ca;
	/*
	 * Streams with nothing to send are suspended ("parked") instead of
	 * holding a polling thread; the waker resumes them every PARK_MS.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct streamstate *parked;
	pthread_t waker;
	bool have_waker;
};

/* Per-request state kept across the access handler's calls. */
struct reqstate {
	struct buf body;
	bool too_big;
};

/* A streamed response in flight. */
struct streamstate {
	struct httpd *h;
	struct MHD_Connection *conn;
	struct buf pending;     /* bytes not yet handed to MHD */
	size_t off;
	struct httpd_stream s;
	bool ended;
	struct streamstate *next_parked;
};

int httpd_parse_listen(const char *s, char host[64], int *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	struct in_addr a;
	int p;

	if (!colon || colon == s || (size_t)(colon - s) >= 64)
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (!strcmp(host, "localhost"))
		str_copy(host, "127.0.0.1", 64);
	if (inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	if (str_to_int(colon + 1, &p) || p < 0 || p > 65535)
		return -EINVAL;
	*port = p;
	return 0;
}

const char *httpd_req_query(const struct httpd_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *httpd_req_header(const struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void httpd_resp_header(struct httpd_resp *resp, const char *name, const char *value)
{
	if (resp->nhdr >= HTTPD_MAX_HEADERS)
		return;
	resp->hdr_name[resp->nhdr] = name;
	str_copy(resp->hdr_value[resp->nhdr], value, sizeof(resp->hdr_value[0]));
	resp->nhdr++;
}

bool httpd_stopping(const struct httpd *h)
{
	return h->stopping;
}

/* The client certificate's CN when it verifies against the configured CA. */
static int client_cn(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t sess;
	const gnutls_datum_t *certs;
	unsigned int n = 0, status = 0;
	gnutls_x509_crt_t crt;
	size_t len = outlen;
	int rc = -1;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return -1;
	sess = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_verify_peers2(sess, &status) != GNUTLS_E_SUCCESS || status)
		return -1;
	certs = gnutls_certificate_get_peers(sess, &n);
	if (!certs || !n)
		return -1;
	if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS)
		return -1;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &len) == GNUTLS_E_SUCCESS)
		rc = 0;
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* True when the peer has closed its side (a watch client that went away). */
static bool peer_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct pollfd p;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	p.fd = ci->connect_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return true;
	return false;
}

/* Suspends a stream's connection until the waker resumes it; false when stopping. */
static bool park(struct streamstate *ss)
{
	struct httpd *h = ss->h;
	bool ok = false;

	pthread_mutex_lock(&h->mu);
	if (!h->stopping) {
		MHD_suspend_connection(ss->conn);
		ss->next_parked = h->parked;
		h->parked = ss;
		ok = true;
	}
	pthread_mutex_unlock(&h->mu);
	return ok;
}

/* Resumes every parked stream (each asks its source again). */
static void unpark_all(struct httpd *h)
{
	struct streamstate *ss, *next;

	pthread_mutex_lock(&h->mu);
	ss = h->parked;
	h->parked = NULL;
	pthread_mutex_unlock(&h->mu);
	for (; ss; ss = next) {
		next = ss->next_parked;   /* ss may be freed once resumed */
		MHD_resume_connection(ss->conn);
	}
}

static void *waker(void *arg)
{
	struct httpd *h = arg;
	struct timespec ts;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += PARK_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&h->cond, &h->mu, &ts);
		if (h->stopping)
			break;
		pthread_mutex_unlock(&h->mu);
		unpark_all(h);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct streamstate *ss = cls;
	size_t n;
	int rc;

	(void)pos;
	while (ss->off >= ss->pending.len) {
		buf_reset(&ss->pending);
		ss->off = 0;
		if (ss->ended || ss->h->stopping)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (peer_gone(ss->conn))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		rc = ss->s.next(ss->s.ctx, &ss->pending, 0);
		if (rc == HTTPD_ABORT)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (rc == HTTPD_END) {
			ss->ended = true;
			if (!ss->pending.len)
				return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (rc == HTTPD_WAIT && !ss->pending.len)
			return park(ss) ? 0 : MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = ss->pending.len - ss->off;
	if (n > max)
		n = max;
	memcpy(out, ss->pending.data + ss->off, n);
	ss->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct streamstate *ss = cls;

	if (ss->s.free)
		ss->s.free(ss->s.ctx);
	buf_release(&ss->pending);
	free(ss);
}

static enum MHD_Result send_simple(struct MHD_Connection *conn, int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result dispatch(struct httpd *h, struct MHD_Connection *conn, const char *url,
				const char *method, struct reqstate *rs)
{
	struct httpd_req req;
	struct httpd_resp resp;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char cn[256];

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.body = rs->body.data ? rs->body.data : "";
	req.body_len = rs->body.len;
	req.conn = conn;
	if (h->want_client_cert && client_cn(conn, cn, sizeof(cn)) == 0)
		req.client_cn = cn;
	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	buf_init(&resp.body, BUF_NO_LIMIT);
	h->handler(h->ctx, &req, &resp);

	if (resp.stream.next) {
		struct streamstate *ss = xcalloc(1, sizeof(*ss));

		ss->h = h;
		ss->conn = conn;
		ss->s = resp.stream;
		ss->pending = resp.body;        /* the body goes out first */
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, ss, stream_free);
		if (!r) {
			stream_free(ss);
			return MHD_NO;
		}
	} else {
		size_t len = resp.body.len;
		char *data = buf_detach(&resp.body, &len);

		r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
		if (!r) {
			free(data);
			return MHD_NO;
		}
	}
	MHD_add_response_header(r, "Content-Type", resp.content_type ? resp.content_type : "application/json");
	for (int i = 0; i < resp.nhdr; i++)
		MHD_add_response_header(r, resp.hdr_name[i], resp.hdr_value[i]);
	ret = MHD_queue_response(conn, (unsigned int)resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct reqstate *rs = *con_cls;

	(void)version;
	if (!rs) {
		rs = xcalloc(1, sizeof(*rs));
		buf_init(&rs->body, h->max_body);
		*con_cls = rs;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rs->too_big && buf_add(&rs->body, upload_data, *upload_size) < 0)
			rs->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rs->too_big)
		return send_simple(conn, 413, "request body too large\n");
	return dispatch(h, conn, url, method, rs);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct reqstate *rs = *con_cls;

	(void)cls; (void)conn; (void)toe;
	if (rs) {
		buf_release(&rs->body);
		free(rs);
		*con_cls = NULL;
	}
}

static int bind_listen(const char *listen_addr, int *port_out, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char host[64];
	int port, fd, one = 1;

	if (httpd_parse_listen(listen_addr, host, &port)) {
		snprintf(err, errlen, "%s: bad listen address (want 127.0.0.1:PORT)", listen_addr ? listen_addr : "");
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", listen_addr,
			 e == EADDRINUSE ? "address already in use" : strerror(e));
		close(fd);
		return -e;
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	*port_out = port;
	return fd;
}

/* The connection limit the descriptors allow: raises the soft RLIMIT_NOFILE if it can. */
static unsigned fit_nofile(unsigned want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + NOFILE_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rlim_t cur = rl.rlim_cur;

		rl.rlim_cur = need < NOFILE_WANT ? NOFILE_WANT : need;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = cur;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		return rl.rlim_cur > 2 * NOFILE_SPARE ? (unsigned)(rl.rlim_cur - NOFILE_SPARE) : NOFILE_SPARE;
	return want;
}

int httpd_start(struct httpd **out, const struct httpd_config *cfg, char *err, size_t errlen)
{
	struct httpd *h;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	unsigned max_conns = cfg->max_conns ? cfg->max_conns : DEFAULT_MAX_CONNS;
	unsigned per_ip = cfg->max_conns_per_ip ? cfg->max_conns_per_ip : DEFAULT_PER_IP;
	unsigned idle = cfg->idle_timeout_s ? cfg->idle_timeout_s : DEFAULT_IDLE_S;
	unsigned threads = cfg->threads ? cfg->threads : DEFAULT_THREADS;
	struct MHD_OptionItem opts[12];
	int n = 0, fd, port = 0;

	fd = bind_listen(cfg->listen, &port, err, errlen);
	if (fd < 0)
		return fd;
	max_conns = fit_nofile(max_conns);
	h = xcalloc(1, sizeof(*h));
	h->fd = fd;
	h->port = port;
	h->handler = cfg->handler;
	h->ctx = cfg->ctx;
	h->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
	pthread_mutex_init(&h->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&h->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, h };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)max_conns, NULL };
	if (per_ip != HTTPD_UNLIMITED)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip, NULL };
	/* Silent connections (idle keep-alive, or a client that never finishes its request) go. */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)idle, NULL };
	if (cfg->cert_pem && cfg->key_pem) {
		h->tls = true;
		flags |= MHD_USE_TLS;
		h->cert = xstrdup(cfg->cert_pem);
		h->key = xstrdup(cfg->key_pem);
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key };
		if (cfg->client_ca_pem) {
			h->ca = xstrdup(cfg->client_ca_pem);
			h->want_client_cert = true;
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, h->ca };
		}
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->d && pthread_create(&h->waker, NULL, waker, h) == 0)
		h->have_waker = true;
	if (!h->d || !h->have_waker) {
		snprintf(err, errlen, "%s: cannot start the HTTP server%s", cfg->listen,
			 h->tls ? " (bad TLS certificate or key?)" : "");
		if (h->d)
			MHD_stop_daemon(h->d);
		close(fd);
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->mu);
		free(h->cert); free(h->key); free(h->ca);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

unsigned httpd_connections(const struct httpd *h)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return di ? di->num_connections : 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;     /* under the lock: nothing parks after this */
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->waker, NULL);
	unpark_all(h);       /* MHD must not stop with suspended connections */
	MHD_stop_daemon(h->d);
	close(h->fd);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->mu);
	if (h->key)
		memset(h->key, 0, strlen(h->key));
	free(h->cert);
	free(h->key);
	free(h->ca);
	free(h);
}

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kube/client.h"
#include "kube/exec.h"
#include "kube/jsonarena.h"
#include "kube/jsonskim.h"
#include "kube/objects.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/secretfile.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define TOKEN_FILE_REREAD_MS 60000
#define EXEC_EXPIRY_MARGIN_MS 10000

int kube_client_init(struct kube_client *kc, const struct kube_config *cfg,
		     const struct http_opts *opts, char *err, size_t errlen)
{
	struct http_tls tls;
	int rc;

	memset(kc, 0, sizeof(*kc));
	memset(&tls, 0, sizeof(tls));
	kc->cfg = cfg;
	tls.ca_file = cfg->ca_file;
	tls.ca_pem = cfg->ca_pem;
	tls.ca_pem_len = cfg->ca_pem_len;
	tls.cert_file = cfg->cert_file;
	tls.key_file = cfg->key_file;
	tls.cert_pem = cfg->cert_pem;
	tls.cert_pem_len = cfg->cert_pem_len;
	tls.key_pem = cfg->key_pem;
	tls.key_pem_len = cfg->key_pem_len;
	tls.insecure = cfg->insecure;
	rc = http_client_init(&kc->http, opts, &tls);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set up the HTTP client: %s", strerror(-rc));
		return rc;
	}
	if (cfg->token && kube_config_token_allowed(cfg)) {
		kc->token = xstrdup(cfg->token);
		http_client_set_bearer(&kc->http, kc->token);
	}
	return 0;
}

static void drop_token(struct kube_client *kc)
{
	if (kc->token) {
		memset(kc->token, 0, strlen(kc->token));
		free(kc->token);
		kc->token = NULL;
	}
}

void kube_client_release(struct kube_client *kc)
{
	if (!kc)
		return;
	drop_token(kc);
	http_client_release(&kc->http);
	memset(kc, 0, sizeof(*kc));
}

char *kube_url(const struct kube_client *kc, const char *path)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s%s", kc->cfg->server, path);
	return buf_detach(&b, NULL);
}

static void set_error(struct kube_error *e, long status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(struct kube_error *e, long status, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	e->status = status;
	e->reason[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static int run_exec(struct kube_client *kc, struct kube_error *e)
{
	struct kube_cred cred;
	char err[KUBE_ERRMSG - 64];
	int rc = kube_exec_run(kc->cfg->exec, &cred, err, sizeof(err));

	kc->exec_runs++;
	if (rc < 0) {
		set_error(e, 0, "authentication: %s", err);
		return rc;
	}
	drop_token(kc);
	if (cred.token) {
		kc->token = cred.token;
		cred.token = NULL;
		http_client_set_bearer(&kc->http, kc->token);
	} else {
		http_client_set_bearer(&kc->http, NULL);
	}
	if (cred.cert_pem && cred.key_pem)
		http_client_set_client_cert(&kc->http, cred.cert_pem, strlen(cred.cert_pem),
					    cred.key_pem, strlen(cred.key_pem));
	/* A credential without expiry is kept until a 401 says otherwise. */
	kc->token_expires_ms = cred.expires_ms ? cred.expires_ms : INT64_MAX;
	kube_cred_release(&cred);
	return 0;
}

int kube_client_auth(struct kube_client *kc, struct kube_error *e)
{
	const struct kube_config *cfg = kc->cfg;

	/* no credential is fetched for a server it may not be sent to (kube_config_http_token_notice) */
	if (!kube_config_token_allowed(cfg))
		return 0;
	if (cfg->exec) {
		if (kc->token_expires_ms == 0 ||
		    time_real_ms() + EXEC_EXPIRY_MARGIN_MS >= kc->token_expires_ms)
			return run_exec(kc, e);
		return 0;
	}
	if (cfg->token_file && !cfg->token &&
	    (!kc->token || time_mono_ms() - kc->token_read_ms >= TOKEN_FILE_REREAD_MS)) {
		char why[KUBE_ERRMSG - 64], *tok;
		/* one printable line: a newline in the token would add a header to every request */
		int rc = secret_read_file(cfg->token_file, &tok, why, sizeof(why));
		if (rc < 0) {
			set_error(e, 0, "authentication: cannot use the token file %s", why);
			return rc;
		}
		drop_token(kc);
		kc->token = tok;
		kc->token_read_ms = time_mono_ms();
		http_client_set_bearer(&kc->http, kc->token);
	}
	return 0;
}

/*
 * The permission a request needs, in RBAC's terms, from its method and path:
 * "patch" on "deployments/scale" in API group "apps" in namespace "x". For a
 * refusal whose body does not say it (another authorizer, a proxy).
 */
static void rbac_need(const char *method, const char *path, char *out, size_t n)
{
	char copy[512], *seg[8], *p, *q;
	int k = 0, i;
	const char *group = "", *ns = NULL, *res, *name = NULL, *sub = NULL, *verb;

	str_copy(copy, path, sizeof(copy));
	if ((q = strchr(copy, '?')))
		*q = '\0';
	for (p = copy; *p && k < 8; ) {
		while (*p == '/')
			*p++ = '\0';
		if (!*p)
			break;
		seg[k++] = p;
		while (*p && *p != '/')
			p++;
	}
	out[0] = '\0';
	if (k >= 3 && !strcmp(seg[0], "api"))
		i = 2;
	else if (k >= 4 && !strcmp(seg[0], "apis"))
		group = seg[1], i = 3;
	else
		return;
	if (k - i >= 3 && !strcmp(seg[i], "namespaces"))
		ns = seg[i + 1], i += 2;
	res = seg[i];
	if (i + 1 < k)
		name = seg[i + 1];
	if (i + 2 < k)
		sub = seg[i + 2];
	if (!strcmp(method, "GET"))
		verb = name ? "get" : (q && strstr(q + 1, "watch=")) ? "watch" : "list";
	else if (!strcmp(method, "POST"))
		verb = "create";
	else if (!strcmp(method, "PUT"))
		verb = "update";
	else if (!strcmp(method, "PATCH"))
		verb = "patch";
	else if (!strcmp(method, "DELETE"))
		verb = name ? "delete" : "deletecollection";
	else
		verb = method;
	snprintf(out, n, "; kubemend needs \"%s\" on \"%s%s%s\" (API group \"%s\")%s%s%s: grant it in "
		 "RBAC (see deploy/)", verb, res, sub ? "/" : "", sub ? sub : "", group,
		 ns ? " in namespace \"" : " at cluster scope", ns ? ns : "", ns ? "\"" : "");
}

static int status_error(struct kube_client *kc, const char *what, const char *method,
			const char *path, long status, const struct buf *body, struct kube_error *e)
{
	char msg[400] = "", reason[64] = "", need[300] = "";
	json_t *j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	const char *hint = "";

	if (j)
		kube_status_message(j, msg, sizeof(msg), reason, sizeof(reason));
	json_decref(j);
	if (status == 401) {
		hint = "; the credentials of the kubeconfig user were refused";
	} else if (status == 403) {
		/* RBAC's own refusal names verb and resource; others may not */
		hint = "; grant the permission in RBAC (see deploy/)";
		if (!strstr(msg, " cannot ")) {
			rbac_need(method, path, need, sizeof(need));
			if (need[0])
				hint = need;
		}
	}
	if (msg[0])
		set_error(e, status, "%s: HTTP %ld %s: %s%s", what, status,
			  reason[0] ? reason : "error", msg, hint);
	else
		set_error(e, status, "%s: HTTP %ld from %s%s", what, status, kc->cfg->server, hint);
	if (e)
		str_copy(e->reason, reason, sizeof(e->reason));
	switch (status) {
	case 401: case 403: return -EACCES;
	case 404: return -ENOENT;
	case 410: return -ESTALE;
	case 429: return -EBUSY;
	default: return status >= 500 ? -EIO : -EINVAL;
	}
}

static int do_request(struct kube_client *kc, const char *what, const char *method,
		      const char *path, const char *content_type, const char *body,
		      json_t **out, struct buf *text, struct kube_error *e)
{
	struct http_response resp;
	char herr[HTTP_ERRLEN];
	char *url = kube_url(kc, path);
	int rc, tries = 0;
	char why[256] = "";

	if (kc->write_guard && strcmp(method, "GET") && !kc->write_guard(kc->write_guard_ctx, why, sizeof(why))) {
		set_error(e, 0, "%s: not sent: %s", what, why);
		if (e)
			snprintf(e->reason, sizeof(e->reason), "NotLeader");
		rc = -EPERM;
		goto out_free;
	}
again:
	rc = kube_client_auth(kc, e);
	if (rc < 0)
		goto out_free;
	http_response_init(&resp);
	rc = http_request(&kc->http, method, url, body, body ? strlen(body) : 0, content_type,
			  &resp, herr, sizeof(herr));
	if (rc < 0) {
		set_error(e, 0, "%s: %s", what, herr);
		goto out;
	}
	if (resp.status == 401 && kc->cfg->token_file && !kc->cfg->token && tries++ == 0) {
		/* A rotated service account token: read the file again now rather than at the next interval. */
		kc->token_read_ms = 0;
		drop_token(kc);
		http_response_release(&resp);
		goto again;
	}
	if (resp.status == 401 && kc->cfg->exec && tries++ == 0) {
		/* The plugin's credential may have been revoked early: ask again. */
		kc->token_expires_ms = 0;
		http_response_release(&resp);
		goto again;
	}
	if (resp.status < 200 || resp.status > 299) {
		rc = status_error(kc, what, method, path, resp.status, &resp.body, e);
		goto out;
	}
	if (text && resp.body.len && buf_add(text, resp.body.data, resp.body.len) < 0) {
		set_error(e, 0, "%s: %s %s: the body is too large", what, method, url);
		rc = -E2BIG;
		goto out;
	}
	if (out) {
		/* Only what the caller's parser reads goes to jansson (kc->skim);
		 * when that text does not parse, the whole body is parsed again,
		 * so the message gives the body's own line and column. */
		struct buf sk = BUF_INIT;
		json_error_t jerr;
		json_t *j = NULL;

		if (kc->skim && resp.body.len &&
		    json_skim(resp.body.data, resp.body.len, kc->skim, &sk) == 0)
			j = json_loadb(sk.data, sk.len, 0, &jerr);
		buf_release(&sk);
		if (!j)
			j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, &jerr);
		if (!j || !json_is_object(j)) {
			if (j)
				set_error(e, 0, "%s: %s %s: the body is not a JSON object",
					  what, method, url);
			else
				set_error(e, 0, "%s: %s %s: truncated or malformed JSON "
					  "(%zu bytes; line %d, column %d: %s)", what, method, url,
					  resp.body.len, jerr.line, jerr.column, jerr.text);
			json_decref(j);
			rc = -EBADMSG;
			goto out;
		}
		*out = j;
	}
	rc = 0;
out:
	http_response_release(&resp);
out_free:
	free(url);
	return rc;
}

int kube_get(struct kube_client *kc, const char *what, const char *path,
	     json_t **out, struct kube_error *e)
{
	return do_request(kc, what, "GET", path, NULL, NULL, out, NULL, e);
}

int kube_get_text(struct kube_client *kc, const char *what, const char *path,
		  struct buf *out, struct kube_error *e)
{
	return do_request(kc, what, "GET", path, NULL, NULL, NULL, out, e);
}

int kube_send(struct kube_client *kc, const char *what, const char *method,
	      const char *path, const char *content_type, const char *body,
	      json_t **out, struct kube_error *e)
{
	return do_request(kc, what, method, path, content_type, body, out, NULL, e);
}

struct many_ctx {
	struct kube_client *kc;
	struct kube_call *calls;
	void (*done)(struct kube_call *call, void *ctx);
	void *ctx;
	bool first_round;
	size_t reauth;                  /* calls refused with 401 under an exec plugin */
};

static void on_call_done(struct http_call *hc, void *vctx)
{
	struct many_ctx *m = vctx;
	struct kube_call *k = hc->user;
	struct http_response *resp = hc->resp;

	k->version = resp->version;
	if (hc->rc < 0) {
		set_error(&k->e, 0, "%s: %s", k->what, hc->err);
		k->rc = hc->rc;
	} else if (resp->status == 401 && m->kc->cfg->exec && m->first_round) {
		k->rc = -EAGAIN; /* asked again below with a fresh credential */
		m->reauth++;
		http_response_release(resp);
		return;
	} else if (resp->status < 200 || resp->status > 299) {
		k->rc = status_error(m->kc, k->what, "GET", k->path, resp->status, &resp->body, &k->e);
	} else {
		struct buf tmp = k->body;
		k->body = resp->body;
		resp->body = tmp;
		k->rc = 0;
	}
	http_response_release(resp);
	if (m->done)
		m->done(k, m->ctx);
}

static void run_round(struct many_ctx *m, struct kube_call **v, size_t n, int parallel)
{
	struct http_call *hc = xcalloc(n ? n : 1, sizeof(*hc));
	struct http_response *resp = xcalloc(n ? n : 1, sizeof(*resp));
	char **urls = xcalloc(n ? n : 1, sizeof(*urls));

	for (size_t i = 0; i < n; i++) {
		urls[i] = kube_url(m->kc, v[i]->path);
		http_response_init(&resp[i]);
		hc[i].method = "GET";
		hc[i].url = urls[i];
		hc[i].resp = &resp[i];
		hc[i].user = v[i];
	}
	http_request_many(&m->kc->http, hc, n, parallel, on_call_done, m);
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
	free(resp);
	free(hc);
}

int kube_call_json(struct kube_call *k, json_t **out)
{
	struct buf sk = BUF_INIT;
	json_error_t jerr;
	json_t *j = NULL;

	if (k->skim && k->body.len && json_skim(k->body.data, k->body.len, k->skim, &sk) == 0)
		j = json_loadb(sk.data, sk.len, 0, &jerr);
	buf_release(&sk);
	if (!j)
		j = json_loadb(k->body.data ? k->body.data : "", k->body.len, 0, &jerr);

	if (!j || !json_is_object(j)) {
		if (j)
			set_error(&k->e, 0, "%s: GET %s: the body is not a JSON object",
				  k->what, k->path);
		else
			set_error(&k->e, 0, "%s: GET %s: truncated or malformed JSON "
				  "(%zu bytes; line %d, column %d: %s)", k->what, k->path,
				  k->body.len, jerr.line, jerr.column, jerr.text);
		json_decref(j);
		return k->rc = -EBADMSG;
	}
	*out = j;
	return 0;
}

int kube_get_many(struct kube_client *kc, struct kube_call *calls, size_t n, int parallel,
		  void (*done)(struct kube_call *call, void *ctx), void *ctx)
{
	struct many_ctx m = { kc, calls, done, ctx, true, 0 };
	struct kube_call **v = xcalloc(n ? n : 1, sizeof(*v));
	struct kube_error e;
	size_t k = 0;
	int rc = kube_client_auth(kc, &e);

	for (size_t i = 0; i < n; i++) {
		calls[i].rc = 0;
		calls[i].e.status = 0;
		calls[i].e.reason[0] = calls[i].e.msg[0] = '\0';
		buf_init(&calls[i].body, BUF_NO_LIMIT);
		v[i] = &calls[i];
	}
	if (rc < 0) {
		/* No credential: every call fails the same way. */
		for (size_t i = 0; i < n; i++) {
			calls[i].rc = rc;
			calls[i].e = e;
			if (done)
				done(&calls[i], ctx);
		}
		free(v);
		return 0;
	}
	run_round(&m, v, n, parallel);
	if (m.reauth) {
		/* The plugin's credential may have been revoked early: ask again. */
		m.first_round = false;
		for (size_t i = 0; i < n; i++)
			if (calls[i].rc == -EAGAIN)
				v[k++] = &calls[i];
		kc->token_expires_ms = 0;
		rc = kube_client_auth(kc, &e);
		for (size_t i = 0; rc < 0 && i < k; i++) {
			v[i]->rc = rc;
			v[i]->e = e;
			if (done)
				done(v[i], ctx);
		}
		if (rc == 0)
			run_round(&m, v, k, parallel);
	}
	free(v);
	return 0;
}

/*
 * One page of a list, fetched in a thread of its own while the page before
 * it is parsed: the server builds and sends the next page while we parse
 * this one. The client is used by one thread at a time: the fetching one.
 */
struct page {
	struct kube_client *kc;
	const char *what;
	char *path;
	struct buf body;
	struct kube_error e;
	int rc;
	pthread_t thread;
	bool running;
};

static void *page_run(void *arg)
{
	struct page *pg = arg;
	pg->rc = kube_get_text(pg->kc, pg->what, pg->path, &pg->body, &pg->e);
	return NULL;
}

static char *page_path(const char *path, int limit, const char *cont)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s%slimit=%d", path, strchr(path, '?') ? "&" : "?", limit > 0 ? limit : 500);
	if (cont) {
		buf_adds(&p, "&continue=");
		http_add_query_escaped(&p, cont);
	}
	return buf_detach(&p, NULL);
}

/* Starts fetching a page (in this thread when no thread can be made). */
static void page_start(struct page *pg, struct kube_client *kc, const char *what, char *path)
{
	memset(pg, 0, sizeof(*pg));
	pg->kc = kc;
	pg->what = what;
	pg->path = path;
	buf_init(&pg->body, BUF_NO_LIMIT);
	pg->running = pthread_create(&pg->thread, NULL, page_run, pg) == 0;
	if (!pg->running)
		page_run(pg);
}

static void page_wait(struct page *pg)
{
	if (pg->running)
		pthread_join(pg->thread, NULL);
	pg->running = false;
}

static void page_release(struct page *pg)
{
	page_wait(pg);
	free(pg->path);
	buf_release(&pg->body);
	memset(pg, 0, sizeof(*pg));
}

/* A page's body as a JSON object, skimmed of kc->skim first (kube_get's rules). */
static int page_json(struct kube_client *kc, struct page *pg, json_t **out, struct kube_error *e)
{
	struct buf sk = BUF_INIT;
	json_error_t jerr;
	json_t *j = NULL;

	if (kc->skim && pg->body.len && json_skim(pg->body.data, pg->body.len, kc->skim, &sk) == 0)
		j = json_loadb(sk.data, sk.len, 0, &jerr);
	buf_release(&sk);
	if (!j)
		j = json_loadb(pg->body.data ? pg->body.data : "", pg->body.len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		char *url = kube_url(kc, pg->path);
		if (j)
			set_error(e, 0, "%s: GET %s: the body is not a JSON object", pg->what, url);
		else
			set_error(e, 0, "%s: GET %s: truncated or malformed JSON "
				  "(%zu bytes; line %d, column %d: %s)", pg->what, url,
				  pg->body.len, jerr.line, jerr.column, jerr.text);
		free(url);
		json_decref(j);
		return -EBADMSG;
	}
	*out = j;
	return 0;
}

int kube_list(struct kube_client *kc, const char *what, const char *path, int limit,
	      int (*on_item)(const json_t *item, void *ctx),
	      void (*on_restart)(void *ctx), void *ctx,
	      char *rv, size_t rvlen, struct kube_error *e)
{
	struct page pages[2], *cur = &pages[0], *next = &pages[1], *t;
	char *cont = NULL;
	int restarts = 0, rc = 0;
	bool have_next = false;

	page_start(cur, kc, what, page_path(path, limit, NULL));
	for (;;) {
		struct buf ahead = BUF_INIT;
		json_t *page = NULL;
		const json_t *items, *item, *meta;
		size_t i;

		page_wait(cur);
		rc = cur->rc;
		if (rc < 0 && e)
			*e = cur->e;
		if (rc == -ESTALE && cont && restarts < 3) {
			/* The continue token expired: start the list over. */
			restarts++;
			free(cont);
			cont = NULL;
			if (on_restart)
				on_restart(ctx);
			page_release(cur);
			page_start(cur, kc, what, page_path(path, limit, NULL));
			continue;
		}
		if (rc < 0)
			break;
		/* The next page is asked for before this one is parsed when its
		 * continue token can be read off the top (the API server sends
		 * metadata before items); the parsed page must agree. */
		if (json_skim_member(cur->body.data ? cur->body.data : "", cur->body.len,
				     "metadata", "continue", &ahead) == 0 && ahead.len) {
			page_start(next, kc, what, page_path(path, limit, ahead.data));
			have_next = true;
		}
		json_scope_begin(); /* the page and everything made from it die below */
		rc = page_json(kc, cur, &page, e);
		if (rc < 0) {
			json_scope_end();
			buf_release(&ahead);
			break;
		}
		items = json_object_get(page, "items");
		if (items && !json_is_array(items) && !json_is_null(items)) {
			set_error(e, 0, "%s: GET %s: items is not an array", what, path);
			json_decref(page);
			json_scope_end();
			buf_release(&ahead);
			rc = -EBADMSG;
			break;
		}
		json_array_foreach(items, i, item) {
			/* what the callback makes may outlive the page (jsonarena.h) */
			int depth = json_scope_suspend();
			rc = on_item(item, ctx);
			json_scope_resume(depth);
			if (rc)
				break;
		}
		meta = json_object_get(page, "metadata");
		free(cont);
		cont = NULL;
		if (rc == 0) {
			const json_t *c = json_object_get(meta, "continue");
			const json_t *v = json_object_get(meta, "resourceVersion");
			if (json_is_string(c) && json_string_length(c) > 0)
				cont = xstrdup(json_string_value(c));
			if (rv && json_is_string(v))
				str_copy(rv, json_string_value(v), rvlen);
		}
		json_decref(page);
		json_scope_end();
		page_release(cur);
		if (have_next && (!cont || strcmp(cont, ahead.data))) {
			page_release(next); /* not the page the list goes on with */
			have_next = false;
		}
		buf_release(&ahead);
		if (rc || !cont)
			break;
		if (have_next) {
			t = cur; /* a page being fetched stays where its thread writes */
			cur = next;
			next = t;
			have_next = false;
		} else {
			page_start(cur, kc, what, page_path(path, limit, cont));
		}
	}
	page_release(cur);
	if (have_next)
		page_release(next);
	free(cont);
	return rc;
}

#ifndef KUBE_CLIENT_H
#define KUBE_CLIENT_H
/*
 * A Kubernetes API client: authenticated requests, JSON bodies, paged lists.
 * The client borrows its struct kube_config, which must outlive it; it owns
 * its HTTP connection and the credential an exec plugin gave it. One thread
 * uses a client at a time (a watch gets its own client).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kube/config.h"
#include "net/http.h"

#define KUBE_ERRMSG 640

/* What went wrong with a request: status 0 for a transport or parse error. */
struct kube_error {
	long status;
	char reason[64];        /* the Status reason (e.g. "Forbidden", "Expired") */
	char msg[KUBE_ERRMSG];
};

struct kube_client {
	const struct kube_config *cfg;
	struct http_client http;
	char *token;                    /* the bearer token in use */
	int64_t token_expires_ms;       /* exec credential expiry (0: none) */
	int64_t token_read_ms;          /* when token_file was last read */
	int exec_runs;                  /* times the exec plugin ran (tests) */
	const char *const *skim;        /* keys skimmed off JSON bodies before parsing
					 * (kube/jsonskim.h); NULL: none. Borrowed. */
	/*
	 * When set, every request but a GET first asks it, as late as possible:
	 * false refuses the request without sending it (-EPERM, reason
	 * "NotLeader", why in the message). The leader's check before every
	 * mutation (kube/lease.h); NULL for none.
	 */
	bool (*write_guard)(void *ctx, char *why, size_t whylen);
	void *write_guard_ctx;
};

int kube_client_init(struct kube_client *kc, const struct kube_config *cfg,
		     const struct http_opts *opts, char *err, size_t errlen);
void kube_client_release(struct kube_client *kc);

/*
 * GETs path (beginning with "/", query included) and parses the body as a
 * JSON object into *out (the caller json_decref()s it). what names the
 * request in messages ("list pods"). A non-2xx status, a transport error
 * or a malformed or truncated body fails with a negative errno (-EACCES for
 * 401/403, -ENOENT for 404, -ESTALE for 410, -EBADMSG for a bad body) and
 * a one-line message in e.
 */
int kube_get(struct kube_client *kc, const char *what, const char *path,
	     json_t **out, struct kube_error *e);

/* GET returning the body as text (e.g. the kubelet's /metrics/cadvisor
 * through the node proxy), appended to out; errors as kube_get(). */
int kube_get_text(struct kube_client *kc, const char *what, const char *path,
		  struct buf *out, struct kube_error *e);
/* Sends a request with a JSON body (PATCH, POST, DELETE); *out may be NULL. */
int kube_send(struct kube_client *kc, const char *what, const char *method,
	      const char *path, const char *content_type, const char *body,
	      json_t **out, struct kube_error *e);

/* One GET of a batch: what and path are the caller's; the rest is written. */
struct kube_call {
	const char *what, *path;
	const char *const *skim;        /* keys kube_call_json() skims off first; NULL: none */
	void *user;                     /* the caller's, untouched */
	int rc;                         /* as kube_get_text() returns */
	struct kube_error e;            /* when rc < 0 */
	struct buf body;                /* the 2xx body; the caller releases it */
	int version;                    /* the HTTP version it was answered in (http_response.version) */
};

/*
 * GETs every call's path concurrently, at most parallel at a time (see
 * http_request_many: each with its own retries), and calls done (may be
 * NULL), in this thread, as each one ends, so its body can be parsed while
 * the rest download. Authenticates once; a 401 under an exec plugin asks
 * the plugin again and repeats those calls once. Returns 0.
 */
int kube_get_many(struct kube_client *kc, struct kube_call *calls, size_t n, int parallel,
		  void (*done)(struct kube_call *call, void *ctx), void *ctx);
/* Parses a call's body as a JSON object into *out (skimmed of call->skim
 * first, see kube/jsonskim.h), or fails with -EBADMSG and the message
 * kube_get() would give in call->e (rc set too). */
int kube_call_json(struct kube_call *call, json_t **out);

/*
 * Lists path page by page (limit items a page, following continue). Calls
 * on_item for each item (a borrowed value that dies with its page: keep
 * copies, never a json_incref() of it or of its parts; values on_item makes
 * itself may be kept, kube/jsonarena.h) and, if the continue token
 * expires (410) mid-list, calls on_restart and lists again from the start
 * (at most 3 times). Writes the list's resourceVersion into rv (size
 * rvlen). A callback returning non-zero stops the list with that value.
 */
int kube_list(struct kube_client *kc, const char *what, const char *path, int limit,
	      int (*on_item)(const json_t *item, void *ctx),
	      void (*on_restart)(void *ctx), void *ctx,
	      char *rv, size_t rvlen, struct kube_error *e);

/* Makes sure the credential is current (runs the exec plugin, re-reads a
 * token file); kube_get does this itself. */
int kube_client_auth(struct kube_client *kc, struct kube_error *e);

/* The full URL for path (the caller frees it). */
char *kube_url(const struct kube_client *kc, const char *path);

#endif

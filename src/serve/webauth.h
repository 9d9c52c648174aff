#ifndef SERVE_WEBAUTH_H
#define SERVE_WEBAUTH_H
/*
 * Who may decide from the web: a bearer token (read from --ui-token-file)
 * for scripts, and cookie sessions for the page. A session is created by
 * POST /api/session (with the token when one is configured) and comes with
 * a per-session CSRF token the page sends back in X-CSRF-Token; the cookie
 * is HttpOnly and SameSite=Strict, so another site can neither send nor
 * read it. struct webauth owns its token and its sessions and is safe to
 * use from any thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/httpd.h"

#define WEBAUTH_MAX_SESSIONS 256
#define WEBAUTH_SESSION_MS (12 * 3600 * 1000LL)
#define WEBAUTH_COOKIE "kubemend_session"

struct webauth;

/*
 * token: the bearer token (copied), or NULL for none, in which case a page
 * session is given to whoever asks (the server then listens on loopback
 * only) and no bearer token is accepted. reads_need_auth: GET /api/... too.
 */
struct webauth *webauth_new(const char *token, bool reads_need_auth);
void webauth_free(struct webauth *a);

/*
 * Reads a token file (base/secretfile.h: one line of printable ASCII
 * without spaces); shorter than 16 characters is -EINVAL too. The caller
 * frees *out with secret_free().
 */
int webauth_read_token(const char *path, char **out, char *err, size_t errlen);

bool webauth_has_token(const struct webauth *a);
bool webauth_reads_need_auth(const struct webauth *a);

/* True when the request carries "Authorization: Bearer TOKEN" with the token. */
bool webauth_bearer_ok(const struct webauth *a, const struct httpd_req *r);

/*
 * True when the request may change something: a valid bearer token, or a
 * session cookie together with its X-CSRF-Token (and, when the browser
 * sends one, an Origin naming the host it asked).
 */
bool webauth_write_ok(struct webauth *a, const struct httpd_req *r, int64_t now_ms);
/* True when the request may read /api/...: always unless reads_need_auth. */
bool webauth_read_ok(struct webauth *a, const struct httpd_req *r, int64_t now_ms);

/*
 * POST /api/session: body {"token": "..."} (or {} without a token). On
 * success sets the cookie and answers {"csrf": "..."}; 401 otherwise.
 */
void webauth_login(struct webauth *a, const struct httpd_req *r, struct httpd_resp *resp,
		   int64_t now_ms);

/*
 * Without a token, only requests for a loopback Host (127.x.y.z, localhost,
 * [::1]) are served /api/... and sessions: no DNS rebinding. Always true
 * with a token.
 */
bool webauth_host_ok(const struct webauth *a, const struct httpd_req *r);

/* Constant-time string equality. */
bool webauth_same(const char *a, const char *b);

#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "kube/config.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "conf/ynode.h"
#include "base/banned.h"

#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

int kube_base64_decode(const char *in, char **out, size_t *outlen)
{
	struct buf b = BUF_INIT;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	for (const char *p = in; *p; p++) {
		int v;
		char ch = *p;
		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad)
			goto bad; /* data after padding */
		if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
		else if (ch == '+') v = 62;
		else if (ch == '/') v = 63;
		else goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(&b, (char)((acc >> bits) & 0xff));
		}
	}
	if (pad > 2 || bits >= 6)
		goto bad;
	*out = buf_detach(&b, outlen);
	return 0;
bad:
	buf_release(&b);
	return -EINVAL;
}

/* One kubeconfig file, parsed, and the directory its relative paths use. */
struct kfile {
	char *path, *dir;
	struct ynode *root;
};

struct loader {
	struct kfile files[KUBE_CONFIG_MAX_FILES];
	int n;
	char *err;
	size_t errlen;
};

static int fail(struct loader *l, const struct kfile *f, const struct ynode *n,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct loader *l, const struct kfile *f, const struct ynode *n,
		const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (f && n)
		snprintf(l->err, l->errlen, "%s:%d:%d: %s", f->path, n->line, n->col, what);
	else if (f)
		snprintf(l->err, l->errlen, "%s: %s", f->path, what);
	else
		snprintf(l->err, l->errlen, "kubeconfig: %s", what);
	return -EINVAL;
}

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int add_file(struct loader *l, const char *path)
{
	struct kfile *f;
	char perr[512];
	int rc;

	if (l->n >= KUBE_CONFIG_MAX_FILES) {
		snprintf(l->err, l->errlen, "kubeconfig: more than %d files in KUBECONFIG",
			 KUBE_CONFIG_MAX_FILES);
		return -E2BIG;
	}
	f = &l->files[l->n];
	rc = ynode_parse_file(path, &f->root, perr, sizeof(perr));
	if (rc < 0) {
		if (rc == -ENOENT)
			snprintf(l->err, l->errlen, "%s: no such kubeconfig file", path);
		else
			snprintf(l->err, l->errlen, "%s", perr);
		return rc;
	}
	if (f->root && f->root->kind != YNODE_MAP) {
		fail(l, &(struct kfile){ (char *)path, NULL, NULL }, f->root,
		     "a kubeconfig is a mapping (apiVersion, clusters, contexts, users)");
		ynode_free(f->root);
		f->root = NULL;
		return -EINVAL;
	}
	f->path = xstrdup(path);
	f->dir = dirname_of(path);
	l->n++;
	return 0;
}

static void loader_release(struct loader *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->files[i].path);
		free(l->files[i].dir);
		ynode_free(l->files[i].root);
	}
}

/* Finds the named entry of a list (clusters/users/contexts); first file wins. */
static const struct ynode *find_named(struct loader *l, const char *list,
				      const char *field, const char *name,
				      const struct kfile **where)
{
	for (int i = 0; i < l->n; i++) {
		const struct ynode *seq = ynode_get(l->files[i].root, list);
		if (!seq || seq->kind != YNODE_SEQ)
			continue;
		for (size_t j = 0; j < seq->n; j++) {
			const struct ynode *it = seq->items[j];
			if (str_eq(ynode_str(ynode_get(it, "name")), name)) {
				const struct ynode *v = ynode_get(it, field);
				*where = &l->files[i];
				return v ? v : it;
			}
		}
	}
	return NULL;
}

static char *resolve_path(const struct kfile *f, const char *p)
{
	struct buf b = BUF_INIT;
	if (p[0] == '/' || !f)
		return xstrdup(p);
	buf_addf(&b, "%s/%s", f->dir, p);
	return buf_detach(&b, NULL);
}

static int get_string(struct loader *l, const struct kfile *f, const struct ynode *map,
		      const char *key, char **out)
{
	const struct ynode *n = ynode_get(map, key);
	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_SCALAR)
		return fail(l, f, n, "%s must be a string", key);
	free(*out);
	*out = xstrdup(n->scalar);
	return 0;
}

static int get_data(struct loader *l, const struct kfile *f, const struct ynode *map,
		    const char *key, char **out, size_t *outlen)
{
	const struct ynode *n = ynode_get(map, key);
	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_SCALAR || kube_base64_decode(n->scalar, out, outlen) < 0)
		return fail(l, f, n, "%s is not valid base64", key);
	return 0;
}

static int get_path(struct loader *l, const struct kfile *f, const struct ynode *map,
		    const char *key, char **out)
{
	char *s = NULL;
	int rc = get_string(l, f, map, key, &s);
	if (rc < 0 || !s)
		return rc;
	free(*out);
	*out = s[0] ? resolve_path(f, s) : NULL;
	free(s);
	return 0;
}

static int load_exec(struct loader *l, const struct kfile *f, const struct ynode *ex,
		     struct kube_exec **out)
{
	struct kube_exec *e = xcalloc(1, sizeof(*e));
	const struct ynode *args = ynode_get(ex, "args"), *env = ynode_get(ex, "env");
	int rc;

	*out = e;
	if (ex->kind != YNODE_MAP)
		return fail(l, f, ex, "exec must be a mapping");
	if ((rc = get_string(l, f, ex, "apiVersion", &e->api_version)) < 0 ||
	    (rc = get_string(l, f, ex, "command", &e->command)) < 0)
		return rc;
	if (!e->command || !e->command[0])
		return fail(l, f, ex, "exec has no command");
	if (!e->api_version ||
	    (strcmp(e->api_version, "client.authentication.k8s.io/v1") &&
	     strcmp(e->api_version, "client.authentication.k8s.io/v1beta1")))
		return fail(l, f, ex, "exec apiVersion \"%s\" is not supported "
			    "(client.authentication.k8s.io/v1 or v1beta1)",
			    e->api_version ? e->api_version : "");
	/* A command with a slash but not absolute is relative to the file (kubectl). */
	if (strchr(e->command, '/') && e->command[0] != '/') {
		char *abs = resolve_path(f, e->command);
		free(e->command);
		e->command = abs;
	}
	if (args && !ynode_is_null(args)) {
		if (args->kind != YNODE_SEQ)
			return fail(l, f, args, "exec args must be a list");
		for (size_t i = 0; i < args->n; i++) {
			if (args->items[i]->kind != YNODE_SCALAR)
				return fail(l, f, args->items[i], "exec args must be strings");
			strvec_push(&e->args, args->items[i]->scalar);
		}
	}
	if (env && !ynode_is_null(env)) {
		if (env->kind != YNODE_SEQ)
			return fail(l, f, env, "exec env must be a list of {name, value}");
		for (size_t i = 0; i < env->n; i++) {
			const char *name = ynode_str(ynode_get(env->items[i], "name"));
			const char *value = ynode_str(ynode_get(env->items[i], "value"));
			if (!name || !name[0] || strchr(name, '='))
				return fail(l, f, env->items[i], "exec env entry needs a name");
			strvec_pushf(&e->env, "%s=%s", name, value ? value : "");
		}
	}
	return 0;
}

static int load_user(struct loader *l, struct kube_config *c)
{
	const struct kfile *f = NULL;
	const struct ynode *u = find_named(l, "users", "user", c->user, &f);
	const struct ynode *n;
	int rc;

	if (!u)
		return fail(l, NULL, NULL, "user \"%s\" not found", c->user);
	if (u->kind != YNODE_MAP)
		return 0; /* an empty user: anonymous */
	if ((rc = get_string(l, f, u, "token", &c->token)) < 0 ||
	    (rc = get_path(l, f, u, "tokenFile", &c->token_file)) < 0 ||
	    (rc = get_path(l, f, u, "client-certificate", &c->cert_file)) < 0 ||
	    (rc = get_path(l, f, u, "client-key", &c->key_file)) < 0 ||
	    (rc = get_data(l, f, u, "client-certificate-data", &c->cert_pem, &c->cert_pem_len)) < 0 ||
	    (rc = get_data(l, f, u, "client-key-data", &c->key_pem, &c->key_pem_len)) < 0)
		return rc;
	if ((n = ynode_get(u, "auth-provider")) && !ynode_is_null(n))
		return fail(l, f, n, "auth-provider is not supported; use an exec plugin");
	if ((n = ynode_get(u, "username")) && !ynode_is_null(n))
		return fail(l, f, n, "basic auth (username/password) is not supported");
	if ((n = ynode_get(u, "exec")) && !ynode_is_null(n))
		return load_exec(l, f, n, &c->exec);
	return 0;
}

static int load_cluster(struct loader *l, struct kube_config *c)
{
	const struct kfile *f = NULL;
	const struct ynode *cl = find_named(l, "clusters", "cluster", c->cluster, &f);
	const struct ynode *n;
	int rc;

	if (!cl)
		return fail(l, NULL, NULL, "cluster \"%s\" not found", c->cluster);
	if ((rc = get_string(l, f, cl, "server", &c->server)) < 0 ||
	    (rc = get_path(l, f, cl, "certificate-authority", &c->ca_file)) < 0 ||
	    (rc = get_data(l, f, cl, "certificate-authority-data", &c->ca_pem, &c->ca_pem_len)) < 0)
		return rc;
	if (!c->server || !c->server[0])
		return fail(l, f, cl, "cluster \"%s\" has no server", c->cluster);
	if (!str_starts_with(c->server, "https://") && !str_starts_with(c->server, "http://"))
		return fail(l, f, ynode_get(cl, "server"), "server \"%s\" is not an http(s) URL", c->server);
	n = ynode_get(cl, "insecure-skip-tls-verify");
	if (n && !ynode_is_null(n) && ynode_bool(n, &c->insecure) < 0)
		return fail(l, f, n, "insecure-skip-tls-verify must be true or false");
	return 0;
}

static void trim_server(struct kube_config *c)
{
	size_t len = strlen(c->server);
	while (len > 0 && c->server[len - 1] == '/')
		c->server[--len] = '\0';
}

static int load_context(struct loader *l, struct kube_config *c, const char *want)
{
	const struct kfile *f = NULL;
	const struct ynode *ctx;
	struct buf src = BUF_INIT;
	int rc;

	if (!want) {
		for (int i = 0; i < l->n && !want; i++) {
			const char *cc = ynode_str(ynode_get(l->files[i].root, "current-context"));
			if (cc && cc[0])
				want = cc;
		}
	}
	for (int i = 0; i < l->n; i++)
		buf_addf(&src, "%s%s", i ? ":" : "", l->files[i].path);
	c->source = buf_detach(&src, NULL);
	if (!want) {
		snprintf(l->err, l->errlen, "%s: no current-context is set; pass --context", c->source);
		return -EINVAL;
	}
	ctx = find_named(l, "contexts", "context", want, &f);
	if (!ctx || ctx->kind != YNODE_MAP) {
		snprintf(l->err, l->errlen, "%s: context \"%s\" not found", c->source, want);
		return -EINVAL;
	}
	c->context = xstrdup(want);
	if ((rc = get_string(l, f, ctx, "cluster", &c->cluster)) < 0 ||
	    (rc = get_string(l, f, ctx, "user", &c->user)) < 0 ||
	    (rc = get_string(l, f, ctx, "namespace", &c->namespace)) < 0)
		return rc;
	if (!c->cluster)
		return fail(l, f, ctx, "context \"%s\" names no cluster", want);
	if (!c->user)
		c->user = xstrdup("");
	if (!c->namespace || !c->namespace[0]) {
		free(c->namespace);
		c->namespace = xstrdup("default");
	}
	if ((rc = load_cluster(l, c)) < 0)
		return rc;
	trim_server(c);
	if (c->user[0])
		return load_user(l, c);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int load_in_cluster(struct kube_config *c, const struct kube_config_opts *o,
			   char *err, size_t errlen)
{
	const char *dir = o->sa_dir ? o->sa_dir : DEFAULT_SA_DIR;
	struct buf b = BUF_INIT, ns = BUF_INIT;
	const char *host = o->service_host;

	buf_addf(&b, "%s/token", dir);
	if (!exists(b.data)) {
		snprintf(err, errlen, "in-cluster: %s is missing (no service account token)", b.data);
		buf_release(&b);
		return -ENOENT;
	}
	c->source = xstrdup("in-cluster");
	c->context = xstrdup("in-cluster");
	c->cluster = xstrdup("in-cluster");
	c->user = xstrdup("service-account");
	c->token_file = buf_detach(&b, NULL);
	buf_addf(&b, "%s/ca.crt", dir);
	c->ca_file = buf_detach(&b, NULL);
	/* An IPv6 service address needs brackets in a URL. */
	if (strchr(host, ':'))
		buf_addf(&b, "https://[%s]:%s", host, o->service_port ? o->service_port : "443");
	else
		buf_addf(&b, "https://%s:%s", host, o->service_port ? o->service_port : "443");
	c->server = buf_detach(&b, NULL);
	buf_addf(&b, "%s/namespace", dir);
	if (file_read_all(b.data, 256, &ns) == 0 && ns.len) {
		c->namespace = xstrdup(str_trim(ns.data));
	} else {
		c->namespace = xstrdup("default");
	}
	buf_release(&ns);
	buf_release(&b);
	return 0;
}

int kube_config_load(struct kube_config *out, const struct kube_config_opts *o,
		     char *err, size_t errlen)
{
	struct loader l;
	struct kube_config c;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	memset(&c, 0, sizeof(c));
	l.err = err;
	l.errlen = errlen;
	if (o->kubeconfig && o->kubeconfig[0]) {
		rc = add_file(&l, o->kubeconfig);
	} else if (o->env_kubeconfig && o->env_kubeconfig[0]) {
		struct strvec parts = STRVEC_INIT;
		strvec_split(&parts, o->env_kubeconfig, ':');
		for (size_t i = 0; i < parts.n && rc == 0; i++) {
			if (parts.v[i][0] && exists(parts.v[i]))
				rc = add_file(&l, parts.v[i]);
		}
		strvec_clear(&parts);
		if (rc == 0 && l.n == 0) {
			snprintf(err, errlen, "kubeconfig: none of the files in KUBECONFIG (%s) exists",
				 o->env_kubeconfig);
			rc = -ENOENT;
		}
	} else {
		struct buf p = BUF_INIT;
		if (o->home)
			buf_addf(&p, "%s/.kube/config", o->home);
		if (p.data && exists(p.data)) {
			rc = add_file(&l, p.data);
		} else if (o->service_host && o->service_host[0]) {
			buf_release(&p);
			rc = load_in_cluster(&c, o, err, errlen);
			if (rc == 0)
				*out = c;
			else
				kube_config_release(&c);
			return rc;
		} else {
			snprintf(err, errlen, "no kubeconfig: pass --kubeconfig, set KUBECONFIG, "
				 "create ~/.kube/config, or run in a pod with a service account");
			rc = -ENOENT;
		}
		buf_release(&p);
	}
	if (rc == 0)
		rc = load_context(&l, &c, o->context && o->context[0] ? o->context : NULL);
	loader_release(&l);
	if (rc < 0) {
		kube_config_release(&c);
		return rc;
	}
	c.allow_http_token = o->allow_http_token && !strcmp(o->allow_http_token, "1");
	*out = c;
	return 0;
}

static bool plain_http(const struct kube_config *c)
{
	return c->server && !strncasecmp(c->server, "http://", 7);
}

static bool has_token(const struct kube_config *c)
{
	return c->token || c->token_file || c->exec;
}

bool kube_config_token_allowed(const struct kube_config *c)
{
	return !plain_http(c) || c->allow_http_token;
}

bool kube_config_http_token_notice(const struct kube_config *c, char *out, size_t outlen)
{
	if (!plain_http(c) || !has_token(c))
		return false;
	if (c->allow_http_token)
		snprintf(out, outlen, "sending the bearer token of user \"%s\" over plain HTTP to %s "
			 "(KUBEMEND_ALLOW_HTTP_TOKEN=1): anyone on the path can read it",
			 c->user ? c->user : "", c->server);
	else
		snprintf(out, outlen, "not sending the bearer token of user \"%s\" to %s: plain HTTP "
			 "would expose it (kubectl does not send it either); use https, or set "
			 "KUBEMEND_ALLOW_HTTP_TOKEN=1 to send it anyway", c->user ? c->user : "", c->server);
	return true;
}

static void free_secret(char *s, size_t len)
{
	if (s) {
		memset(s, 0, len);
		free(s);
	}
}

void kube_config_release(struct kube_config *c)
{
	if (!c)
		return;
	free(c->source);
	free(c->context);
	free(c->cluster);
	free(c->user);
	free(c->server);
	free(c->namespace);
	free(c->ca_file);
	free(c->ca_pem);
	free_secret(c->token, c->token ? strlen(c->token) : 0);
	free(c->token_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_pem);
	free_secret(c->key_pem, c->key_pem_len);
	if (c->exec) {
		free(c->exec->api_version);
		free(c->exec->command);
		strvec_clear(&c->exec->args);
		strvec_clear(&c->exec->env);
		free(c->exec);
	}
	memset(c, 0, sizeof(*c));
}

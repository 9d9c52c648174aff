#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sim/api.h"
#include "sim/audit.h"
#include "sim/generic.h"
#include "sim/authz.h"
#include "sim/simctl.h"
#include "sim/pbjson.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define RW_VERBS "[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]"

static const struct resdef resources[] = {
	{ "", "v1", "pods", "pod", K_POD, true, RW_VERBS, "[\"po\"]" },
	{ "", "v1", "nodes", "node", K_NODE, false, RW_VERBS, "[\"no\"]" },
	{ "", "v1", "namespaces", "namespace", K_NAMESPACE, false,
	  "[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]", "[\"ns\"]" },
	{ "", "v1", "events", "event", K_EVENT, true, RW_VERBS, "[\"ev\"]" },
	{ "apps", "v1", "deployments", "deployment", K_DEPLOYMENT, true, RW_VERBS, "[\"deploy\"]" },
	{ "apps", "v1", "replicasets", "replicaset", K_REPLICASET, true, RW_VERBS, "[\"rs\"]" },
	{ "apps", "v1", "daemonsets", "daemonset", K_DAEMONSET, true, RW_VERBS, "[\"ds\"]" },
	{ "policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", K_PDB, true, RW_VERBS, "[\"pdb\"]" },
	{ "coordination.k8s.io", "v1", "leases", "lease", K_LEASE, true, RW_VERBS, NULL },
	{ "events.k8s.io", "v1", "events", "event", K_EVENT, true, RW_VERBS, "[\"ev\"]" },
};
#define NRES (sizeof(resources) / sizeof(resources[0]))

const struct resdef *api_builtin(size_t i)
{
	return i < NRES ? &resources[i] : NULL;
}

void api_status(struct httpd_resp *resp, int code, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp->status = code;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_adds(&resp->body, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
		 "\"message\":");
	buf_add_json_str(&resp->body, msg);
	buf_addf(&resp->body, ",\"reason\":\"%s\",\"code\":%d}", reason, code);
}

void api_not_found(struct apireq *a)
{
	const char *group = a->res->group, *name = a->name ? a->name : "";
	struct buf *b = &a->resp->body;
	char msg[600];

	snprintf(msg, sizeof(msg), "%s%s%s \"%s\" not found", a->res->name, *group ? "." : "", group, name);
	a->resp->status = 404;
	a->resp->content_type = "application/json";
	buf_reset(b);
	buf_adds(b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":");
	buf_add_json_str(b, msg);
	buf_adds(b, ",\"reason\":\"NotFound\",\"details\":{\"name\":");
	buf_add_json_str(b, name);
	if (*group)
		buf_addf(b, ",\"group\":\"%s\"", group);
	buf_addf(b, ",\"kind\":\"%s\"},\"code\":404}", a->res->name);
}

bool api_wants_table(const struct httpd_req *r)
{
	const char *acc = httpd_req_header(r, "Accept");

	return acc && strstr(acc, "as=Table");
}

static void version_doc(struct buf *b)
{
	buf_adds(b, "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-kubemend-sim\","
		 "\"gitCommit\":\"0000000000000000000000000000000000000000\",\"gitTreeState\":\"clean\","
		 "\"buildDate\":\"2026-01-01T00:00:00Z\",\"goVersion\":\"go1.23.4\",\"compiler\":\"gc\","
		 "\"platform\":\"linux/amd64\"}");
}

static const char *const groups[][2] = {
	{ "apps", "v1" }, { "policy", "v1" }, { "coordination.k8s.io", "v1" },
	{ "metrics.k8s.io", "v1beta1" }, { "events.k8s.io", "v1" },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static void group_doc(struct buf *b, size_t i, bool with_kind)
{
	buf_addf(b, "{%s\"name\":\"%s\",\"versions\":[{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}],"
		 "\"preferredVersion\":{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}}",
		 with_kind ? "\"kind\":\"APIGroup\",\"apiVersion\":\"v1\"," : "", groups[i][0], groups[i][0],
		 groups[i][1], groups[i][1], groups[i][0], groups[i][1], groups[i][1]);
}

static void resource_entry(struct buf *b, const struct resdef *d, bool first)
{
	buf_addf(b, "%s{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":%s,\"kind\":\"%s\","
		 "\"verbs\":%s", first ? "" : ",", d->name, d->singular, d->namespaced ? "true" : "false",
		 kind_name(d->kind), d->verbs);
	if (d->shortnames)
		buf_addf(b, ",\"shortNames\":%s", d->shortnames);
	if (d->kind == K_POD || d->kind == K_DEPLOYMENT || d->kind == K_REPLICASET ||
	    d->kind == K_DAEMONSET)
		buf_adds(b, ",\"categories\":[\"all\"]");
	buf_addch(b, '}');
	if (d->kind == K_POD)
		buf_adds(b, ",{\"name\":\"pods/eviction\",\"singularName\":\"\",\"namespaced\":true,"
			 "\"group\":\"policy\",\"version\":\"v1\",\"kind\":\"Eviction\",\"verbs\":[\"create\"]}"
			 ",{\"name\":\"pods/status\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\","
			 "\"verbs\":[\"get\",\"patch\",\"update\"]}");
	if (d->kind == K_NODE)
		buf_adds(b, ",{\"name\":\"nodes/proxy\",\"singularName\":\"\",\"namespaced\":false,"
			 "\"kind\":\"NodeProxyOptions\",\"verbs\":[\"get\"]}");
	if (d->kind == K_DEPLOYMENT || d->kind == K_REPLICASET)
		buf_addf(b, ",{\"name\":\"%s/scale\",\"singularName\":\"\",\"namespaced\":true,"
			 "\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\","
			 "\"verbs\":[\"get\",\"patch\",\"update\"]}", d->name);
}

/* /api/v1 or /apis/GROUP/VERSION. Returns false when unknown. */
static bool resource_list(struct buf *b, const char *group, const char *version)
{
	bool known = !*group && !strcmp(version, "v1");
	bool first = true;

	for (size_t i = 0; i < NGROUPS; i++)
		if (!strcmp(group, groups[i][0]) && !strcmp(version, groups[i][1]))
			known = true;
	if (gen_group_version(group, version))
		known = true;
	if (!known)
		return false;
	buf_addf(b, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"%s%s%s\","
		 "\"resources\":[", group, *group ? "/" : "", version);
	for (size_t i = 0; i < NRES; i++)
		if (!strcmp(resources[i].group, group) && !strcmp(resources[i].version, version)) {
			resource_entry(b, &resources[i], first);
			first = false;
		}
	gen_resources(b, group, version, &first);
	if (!strcmp(group, "metrics.k8s.io"))
		buf_adds(b, "{\"name\":\"nodes\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"NodeMetrics\","
			 "\"verbs\":[\"get\",\"list\"]},{\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,"
			 "\"kind\":\"PodMetrics\",\"verbs\":[\"get\",\"list\"]}");
	buf_adds(b, "]}");
	return true;
}

/* Splits path into at most max segments (pointers into a copy the caller frees). */
static int split_path(const char *path, char **copy, char **seg, int max)
{
	char *p;
	int n = 0;

	*copy = xstrdup(path);
	p = *copy;
	while (*p == '/')
		p++;
	while (*p && n < max) {
		char *slash = strchr(p, '/');

		seg[n++] = p;
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
		if (n == max && *p)
			return -1;
	}
	return n;
}

static const struct resdef *find_res(const char *group, const char *version, const char *name)
{
	for (size_t i = 0; i < NRES; i++)
		if (!strcmp(resources[i].group, group) && !strcmp(resources[i].version, version) &&
		    !strcmp(resources[i].name, name))
			return &resources[i];
	return gen_find(group, version, name);
}

/*
 * A presented bearer token must be ours (a wrong one is 401). Without one,
 * HTTPS wants the client certificate we issued; plain HTTP lets the request
 * through, because kubectl never sends tokens over http.
 */
static bool authorized(struct simstate *s, const struct httpd_req *r, struct sim_identity *who)
{
	const char *auth = httpd_req_header(r, "Authorization");

	memset(who, 0, sizeof(*who));
	if (auth) {
		if (!str_starts_with(auth, "Bearer "))
			return false;
		return authz_token(s, auth + 7, who);   /* ours (admin) or a service account's */
	}
	who->admin = true;
	if (!s->client_cn_ok)
		return true;    /* plain HTTP: kubectl sends no token over http, as the old insecure port took none */
	return r->client_cn != NULL && !strcmp(r->client_cn, s->client_cn_ok);
}

static bool json_body(const struct httpd_req *r)
{
	const char *ct = httpd_req_header(r, "Content-Type");

	return !ct || str_starts_with(ct, "application/json") ||
	       str_starts_with(ct, "application/vnd.kubernetes.protobuf") || !r->body_len;
}

json_t *api_body_json(const struct httpd_req *r, struct httpd_resp *resp)
{
	const char *ct = httpd_req_header(r, "Content-Type");
	json_error_t je;
	json_t *j = NULL;
	char err[200];

	if (ct && str_starts_with(ct, "application/vnd.kubernetes.protobuf")) {
		int rc = pb_to_json(r->body, r->body_len, &j, err, sizeof(err));

		if (rc == -ENOTSUP)
			api_status(resp, 415, "UnsupportedMediaType", "%s", err);
		else if (rc)
			api_status(resp, 400, "BadRequest", "%s", err);
		return rc ? NULL : j;
	}
	j = json_loadb(r->body, r->body_len, 0, &je);
	if (!json_is_object(j)) {
		api_status(resp, 400, "BadRequest", "the request body is not a JSON object%s%s",
			   j ? "" : ": ", j ? "" : je.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* seg[0..n) after "api"/"apis GROUP": "v1", ["namespaces", NS], RES, [NAME, [SUB, REST...]]. */
static void resource_request(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp,
			     const char *group, char **seg, int n, const char *path)
{
	struct apireq a;
	const char *dry = httpd_req_query(r, "dryRun");
	int i = 1;

	memset(&a, 0, sizeof(a));
	a.s = s;
	a.r = r;
	a.resp = resp;
	if (n > 2 && !strcmp(seg[1], "namespaces") && n >= 4) {
		a.ns = seg[2];
		i = 3;
	}
	a.res = find_res(group, seg[0], seg[i]);
	if (!a.res) {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (a.ns && !a.res->namespaced) {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (i + 1 < n)
		a.name = seg[i + 1];
	if (i + 2 < n)
		a.sub = seg[i + 2];
	if (a.sub) {
		/* the rest of the path after the subresource, from the original (node proxy paths) */
		int skip = (*group ? 2 : 1) + i + 3;
		const char *p = path;

		while (*p && skip > 0)
			if (*++p == '/')
				skip--;
		a.rest = p;
	}
	if (dry) {
		if (strcmp(dry, "All")) {
			api_status(resp, 400, "BadRequest", "unsupported dry run value \"%s\" (only All is)", dry);
			return;
		}
		a.dry_run = true;
	}
	if (!strcmp(a.res->group, "events.k8s.io")) {
		if (a.sub)
			api_status(resp, 404, "NotFound", "the server could not find the requested resource");
		else
			events_v1(&a);
		return;
	}
	if (a.sub && !strcmp(a.sub, "proxy") && a.res->kind == K_NODE && !strcmp(r->method, "GET")) {
		if (!strcmp(a.rest, "/stats/summary"))
			metrics_summary(s, resp, a.name);
		else if (!strcmp(a.rest, "/metrics/cadvisor"))
			metrics_cadvisor(s, resp, a.name);
		else
			api_status(resp, 404, "NotFound", "the sim's node proxy serves /stats/summary "
				   "and /metrics/cadvisor only");
		return;
	}
	if (a.sub && !strcmp(a.sub, "scale") && (a.res->kind == K_DEPLOYMENT || a.res->kind == K_REPLICASET)) {
		api_scale(&a);
		return;
	}
	if (a.sub && !strcmp(a.sub, "eviction") && a.res->kind == K_POD) {
		if (strcmp(r->method, "POST"))
			api_status(resp, 405, "MethodNotAllowed", "evictions are created with POST");
		else if (!json_body(r))
			api_status(resp, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
				   "accepted media types include: application/json, application/yaml");
		else
			api_eviction(&a);
		return;
	}
	if (a.sub && !strcmp(a.sub, "status") && !a.res->namespaced == !a.ns && a.res->kind >= K_GEN0 &&
	    strcmp(r->method, "GET") && strcmp(r->method, "PATCH") && strcmp(r->method, "PUT")) {
		api_status(resp, 405, "MethodNotAllowed", "status takes GET, PATCH and PUT");
		return;
	}
	if (a.sub && !strcmp(a.sub, "status") && strcmp(r->method, "GET") && strcmp(r->method, "PATCH") &&
	    strcmp(r->method, "PUT")) {
		api_status(resp, 405, "MethodNotAllowed", "status takes GET, PATCH and PUT");
		return;
	}
	if (a.sub && !strcmp(a.sub, "log") && a.res->kind == K_POD) {
		if (strcmp(r->method, "GET"))
			api_status(resp, 405, "MethodNotAllowed", "logs are read with GET");
		else
			api_pod_log(&a);
		return;
	}
	if (a.sub && strcmp(a.sub, "status")) {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if ((!strcmp(r->method, "POST") || !strcmp(r->method, "PUT")) && !json_body(r)) {
		api_status(resp, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
			   "accepted media types include: application/json, application/yaml");
		return;
	}
	if (!strcmp(r->method, "GET"))
		a.name ? api_get(&a) : api_list(&a);
	else if (!strcmp(r->method, "DELETE") && a.name)
		api_delete(&a);
	else if (!strcmp(r->method, "PATCH") && a.name)
		api_patch(&a);
	else if (!strcmp(r->method, "PUT") && a.name)
		api_update(&a);
	else if (!strcmp(r->method, "POST") && !a.name)
		api_create(&a);
	else
		api_status(resp, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

static int rand_hit(struct simstate *s, double rate)
{
	uint64_t z;

	if (rate <= 0)
		return 0;
	z = (s->fault_rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0 < rate;
}

/* --fault-* flags: added latency, 500s, 429s and truncated bodies on API requests. */
static bool api_faults(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp)
{
	bool e500, e429;

	if (!str_starts_with(r->path, "/api") || httpd_req_query(r, "watch"))
		return false;
	if (s->apif.latency_ms > 0)
		usleep((useconds_t)s->apif.latency_ms * 1000);
	pthread_mutex_lock(&s->mu);
	e500 = rand_hit(s, s->apif.rate_500);
	e429 = !e500 && rand_hit(s, s->apif.rate_429);
	pthread_mutex_unlock(&s->mu);
	if (e500) {
		api_status(resp, 500, "InternalError", "Internal error occurred: injected by --fault-500-rate");
		return true;
	}
	if (e429) {
		api_status(resp, 429, "TooManyRequests", "the server has received too many requests and has asked us to try again later");
		httpd_resp_header(resp, "Retry-After", "1");
		return true;
	}
	return false;
}

/* The sim answers in JSON only: a client that cannot take it gets 406. */
static bool accepts_json(const struct httpd_req *r)
{
	const char *acc = httpd_req_header(r, "Accept");

	return !acc || !*acc || strstr(acc, "json") || strstr(acc, "*/*");
}

/* --fault-truncate-rate: the body (already cut in half) goes out, then the connection drops. */
static int trunc_next(void *ctx, struct buf *out, int wait_ms)
{
	(void)ctx; (void)out; (void)wait_ms;
	return HTTPD_ABORT;
}

static void handle(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp,
		   struct sim_identity *whop)
{
	struct sim_identity who;
	char *copy = NULL, *seg[12];
	int n;

	if (!strcmp(r->path, "/healthz") || !strcmp(r->path, "/livez") || !strcmp(r->path, "/readyz")) {
		resp->content_type = "text/plain";
		buf_adds(&resp->body, "ok");
		return;
	}
	if (!strcmp(r->path, "/metrics")) {
		metrics_prometheus(s, resp);
		return;
	}
	memset(&who, 0, sizeof(who));
	if (!authorized(s, r, &who)) {
		api_status(resp, 401, "Unauthorized", "Unauthorized");
		return;
	}
	*whop = who;
	if (str_starts_with(r->path, "/sim/v1/serviceaccounts/")) {
		authz_mint(s, &who, r, resp);
		return;
	}
	if (str_starts_with(r->path, "/sim/v1/")) {
		simctl_handle(s, r, resp);
		return;
	}
	if (!accepts_json(r)) {
		api_status(resp, 406, "NotAcceptable", "only the following media types are accepted: application/json");
		return;
	}
	if (api_faults(s, r, resp))
		return;
	if (!authz_allow(s, &who, r, resp))
		return;
	n = split_path(r->path, &copy, seg, 12);
	if (n < 0) {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
	} else if (n == 2 && !strcmp(seg[0], "openapi") && !strcmp(seg[1], "v3")) {
		pthread_mutex_lock(&s->mu);
		gen_openapi_root(&resp->body);
		pthread_mutex_unlock(&s->mu);
	} else if (n >= 3 && !strcmp(seg[0], "openapi") && !strcmp(seg[1], "v3")) {
		bool found;

		pthread_mutex_lock(&s->mu);
		found = gen_openapi_gv(&resp->body, r->path + strlen("/openapi/v3/"));
		pthread_mutex_unlock(&s->mu);
		if (!found)
			api_status(resp, 404, "NotFound", "the server could not find the requested resource");
	} else if (n == 1 && !strcmp(seg[0], "version")) {
		version_doc(&resp->body);
	} else if (n == 1 && !strcmp(seg[0], "api")) {
		buf_addf(&resp->body, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
			 "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}");
	} else if (n == 1 && !strcmp(seg[0], "apis")) {
		const char *skip[NGROUPS];
		bool first = NGROUPS == 0;

		buf_adds(&resp->body, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
		for (size_t i = 0; i < NGROUPS; i++) {
			if (i)
				buf_addch(&resp->body, ',');
			group_doc(&resp->body, i, false);
			skip[i] = groups[i][0];
		}
		pthread_mutex_lock(&s->mu);
		gen_groups(&resp->body, skip, NGROUPS, &first);
		pthread_mutex_unlock(&s->mu);
		buf_adds(&resp->body, "]}");
	} else if (n == 2 && !strcmp(seg[0], "api")) {
		if (!resource_list(&resp->body, "", seg[1]))
			api_status(resp, 404, "NotFound", "the server could not find the requested resource");
	} else if (n == 2 && !strcmp(seg[0], "apis")) {
		size_t i;

		for (i = 0; i < NGROUPS && strcmp(groups[i][0], seg[1]); i++)
			;
		if (i < NGROUPS)
			group_doc(&resp->body, i, true);
		else if (!gen_group_doc(&resp->body, seg[1]))
			api_status(resp, 404, "NotFound", "the server could not find the requested resource");
	} else if (n == 3 && !strcmp(seg[0], "apis")) {
		if (!resource_list(&resp->body, seg[1], seg[2]))
			api_status(resp, 404, "NotFound", "the server could not find the requested resource");
	} else if (n >= 3 && !strcmp(seg[0], "apis") && !strcmp(seg[1], "metrics.k8s.io")) {
		metrics_api(s, r, resp, r->path);
	} else if (n >= 3 && !strcmp(seg[0], "api")) {
		resource_request(s, r, resp, "", seg + 1, n - 1, r->path);
	} else if (n >= 4 && !strcmp(seg[0], "apis")) {
		resource_request(s, r, resp, seg[1], seg + 2, n - 2, r->path);
	} else {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
	}
	free(copy);
	if (resp->status == 200 && !resp->stream.next && resp->body.len > 2 && s->apif.rate_truncate > 0) {
		bool cut;

		pthread_mutex_lock(&s->mu);
		cut = rand_hit(s, s->apif.rate_truncate);
		pthread_mutex_unlock(&s->mu);
		if (cut) {
			buf_truncate(&resp->body, resp->body.len / 2);
			resp->stream.next = trunc_next;
		}
	}
}

void sim_api_handle(void *ctx, const struct httpd_req *r, struct httpd_resp *resp)
{
	struct simstate *s = ctx;
	struct sim_identity who;

	memset(&who, 0, sizeof(who));
	handle(s, r, resp, &who);
	sim_audit_request(&s->audit, r, resp, who.user[0] ? who.user :
			  r->client_cn ? r->client_cn : who.admin ? "kubemend-sim-admin" : NULL);
}

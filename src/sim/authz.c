#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <jansson.h>
#include "sim/authz.h"
#include "sim/api.h"
#include "sim/generic.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

#define MAX_TOKENS 64

struct satoken {
	char token[65];
	char ns[64], name[254];
};

/* One table per process (like the generic kinds); guarded by simstate.mu. */
static struct satoken tokens[MAX_TOKENS];
static size_t ntokens;

bool authz_token(struct simstate *s, const char *token, struct sim_identity *who)
{
	bool ok = false;

	memset(who, 0, sizeof(*who));
	if (!strcmp(token, s->token)) {
		who->admin = true;
		snprintf(who->user, sizeof(who->user), "kubemend-admin");
		return true;
	}
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < ntokens && !ok; i++)
		if (!strcmp(tokens[i].token, token)) {
			snprintf(who->sa_ns, sizeof(who->sa_ns), "%s", tokens[i].ns);
			snprintf(who->sa_name, sizeof(who->sa_name), "%s", tokens[i].name);
			snprintf(who->user, sizeof(who->user), "system:serviceaccount:%s:%s", tokens[i].ns, tokens[i].name);
			ok = true;
		}
	pthread_mutex_unlock(&s->mu);
	return ok;
}

void authz_mint(struct simstate *s, const struct sim_identity *who, const struct httpd_req *r,
		struct httpd_resp *resp)
{
	char ns[64], name[254];
	const char *p = r->path + strlen("/sim/v1/serviceaccounts/");
	const char *slash = strchr(p, '/');
	unsigned char rnd[16];
	size_t got = 0;
	struct satoken *t;

	resp->content_type = "application/json";
	if (!who->admin) {
		resp->status = 403;
		buf_adds(&resp->body, "{\"error\":\"only the admin mints tokens\"}");
		return;
	}
	if (strcmp(r->method, "POST") || !slash || !str_ends_with(slash, "/token") ||
	    (size_t)(slash - p) >= sizeof(ns) || strlen(slash + 1) - strlen("/token") >= sizeof(name) ||
	    slash == p || strlen(slash + 1) <= strlen("/token")) {
		resp->status = 404;
		buf_adds(&resp->body, "{\"error\":\"POST /sim/v1/serviceaccounts/NAMESPACE/NAME/token\"}");
		return;
	}
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - p), p);
	snprintf(name, sizeof(name), "%.*s", (int)(strlen(slash + 1) - strlen("/token")), slash + 1);
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	pthread_mutex_lock(&s->mu);
	t = &tokens[ntokens < MAX_TOKENS ? ntokens++ : MAX_TOKENS - 1];
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(t->token + 2 * i, 3, "%02x", rnd[i]);
	snprintf(t->ns, sizeof(t->ns), "%s", ns);
	snprintf(t->name, sizeof(t->name), "%s", name);
	buf_addf(&resp->body, "{\"token\":\"%s\",\"user\":\"system:serviceaccount:%s:%s\"}", t->token, ns, name);
	pthread_mutex_unlock(&s->mu);
}

/* ---- request attributes ---- */

struct attrs {
	bool resource;
	char verb[20];
	char group[128], resource_name[128], sub[64], ns[64], name[254];
};

/* Splits path into at most max segments of copy. */
static int split(char *copy, char **seg, int max)
{
	int n = 0;
	char *p = copy;

	while (*p == '/')
		p++;
	while (*p && n < max) {
		char *slash = strchr(p, '/');

		seg[n++] = p;
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

static void attributes(const struct httpd_req *r, struct attrs *a)
{
	char *copy = xstrdup(r->path), *seg[12];
	int n = split(copy, seg, 12), i;
	const char *w = httpd_req_query(r, "watch");
	bool watch = w && (!strcmp(w, "true") || !strcmp(w, "1"));

	memset(a, 0, sizeof(*a));
	if (n >= 3 && !strcmp(seg[0], "api"))
		i = 2;
	else if (n >= 4 && !strcmp(seg[0], "apis"))
		i = 3;
	else
		goto out;
	if (i == 3)
		snprintf(a->group, sizeof(a->group), "%s", seg[1]);
	if (n > i + 1 && !strcmp(seg[i], "namespaces") && n >= i + 3) {
		snprintf(a->ns, sizeof(a->ns), "%s", seg[i + 1]);
		i += 2;
	}
	a->resource = true;
	snprintf(a->resource_name, sizeof(a->resource_name), "%s", seg[i]);
	if (n > i + 1)
		snprintf(a->name, sizeof(a->name), "%s", seg[i + 1]);
	if (n > i + 2)
		snprintf(a->sub, sizeof(a->sub), "%s", seg[i + 2]);
	/* /api/v1/namespaces/NAME is the namespace itself */
	if (!*a->name && !strcmp(a->resource_name, "namespaces") && *a->ns && i == (*a->group ? 5 : 4)) {
		snprintf(a->name, sizeof(a->name), "%s", a->ns);
		a->ns[0] = '\0';
	}
	if (!strcmp(r->method, "GET"))
		snprintf(a->verb, sizeof(a->verb), "%s", watch ? "watch" : *a->name ? "get" : "list");
	else if (!strcmp(r->method, "POST"))
		snprintf(a->verb, sizeof(a->verb), "create");
	else if (!strcmp(r->method, "PUT"))
		snprintf(a->verb, sizeof(a->verb), "update");
	else if (!strcmp(r->method, "PATCH"))
		snprintf(a->verb, sizeof(a->verb), "patch");
	else if (!strcmp(r->method, "DELETE"))
		snprintf(a->verb, sizeof(a->verb), *a->name ? "delete" : "deletecollection");
	else
		snprintf(a->verb, sizeof(a->verb), "%s", r->method);
out:
	free(copy);
}

/* ---- RBAC over the stored objects ---- */

static bool in_list(json_t *arr, const char *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
		if (json_is_string(x) && (!strcmp(json_string_value(x), "*") || !strcmp(json_string_value(x), v)))
			return true;
	return false;
}

static bool rule_allows(json_t *rule, const struct attrs *a)
{
	char res[200];
	json_t *names = json_object_get(rule, "resourceNames");

	snprintf(res, sizeof(res), "%s%s%s", a->resource_name, *a->sub ? "/" : "", a->sub);
	if (!in_list(json_object_get(rule, "verbs"), a->verb) || !in_list(json_object_get(rule, "apiGroups"), a->group))
		return false;
	if (!in_list(json_object_get(rule, "resources"), res)) {
		char star[80];

		snprintf(star, sizeof(star), "*/%s", a->sub);
		if (!*a->sub || !in_list(json_object_get(rule, "resources"), star))
			return false;
	}
	return !json_array_size(names) || (*a->name && in_list(names, a->name));
}

static json_t *stored(struct simstate *s, const char *plural, const char *ns, const char *name)
{
	const struct resdef *d = gen_find("rbac.authorization.k8s.io", "v1", plural);
	struct meta *m = d ? store_get(s, d->kind, ns, name) : NULL;

	return m ? ((struct gobj *)m)->obj : NULL;
}

static bool subject_is(json_t *subj, const struct sim_identity *who)
{
	const char *kind = json_string_value(json_object_get(subj, "kind"));
	const char *name = json_string_value(json_object_get(subj, "name"));
	const char *ns = json_string_value(json_object_get(subj, "namespace"));
	char g[120];

	if (!kind || !name)
		return false;
	if (!strcmp(kind, "ServiceAccount"))
		return !strcmp(name, who->sa_name) && ns && !strcmp(ns, who->sa_ns);
	if (!strcmp(kind, "User"))
		return !strcmp(name, who->user);
	if (!strcmp(kind, "Group")) {
		snprintf(g, sizeof(g), "system:serviceaccounts:%s", who->sa_ns);
		return !strcmp(name, "system:serviceaccounts") || !strcmp(name, "system:authenticated") || !strcmp(name, g);
	}
	return false;
}

/* Whether a binding (ClusterRoleBinding, or RoleBinding in bns) grants a. */
static bool binding_grants(struct simstate *s, json_t *b, const char *bns, const struct sim_identity *who,
			   const struct attrs *a)
{
	json_t *ref = json_object_get(b, "roleRef"), *subj, *role, *rule;
	const char *rk = json_string_value(json_object_get(ref, "kind"));
	const char *rn = json_string_value(json_object_get(ref, "name"));
	bool mine = false;
	size_t i;

	json_array_foreach(json_object_get(b, "subjects"), i, subj)
		mine = mine || subject_is(subj, who);
	if (!mine || !rk || !rn)
		return false;
	role = !strcmp(rk, "ClusterRole") ? stored(s, "clusterroles", NULL, rn) :
	       bns ? stored(s, "roles", bns, rn) : NULL;
	json_array_foreach(json_object_get(role, "rules"), i, rule)
		if (rule_allows(rule, a))
			return true;
	return false;
}

static bool rbac_allows(struct simstate *s, const struct sim_identity *who, const struct attrs *a)
{
	const struct resdef *crb = gen_find("rbac.authorization.k8s.io", "v1", "clusterrolebindings");
	const struct resdef *rb = gen_find("rbac.authorization.k8s.io", "v1", "rolebindings");
	struct objlist *l;

	if (crb) {
		l = &s->lists[crb->kind];
		for (size_t i = 0; i < l->n; i++)
			if (binding_grants(s, ((struct gobj *)l->v[i])->obj, NULL, who, a))
				return true;
	}
	if (rb && *a->ns) {
		l = &s->lists[rb->kind];
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i]->ns && !strcmp(l->v[i]->ns, a->ns) &&
			    binding_grants(s, ((struct gobj *)l->v[i])->obj, a->ns, who, a))
				return true;
	}
	return false;
}

bool authz_allow(struct simstate *s, const struct sim_identity *who, const struct httpd_req *r,
		 struct httpd_resp *resp)
{
	struct attrs a;
	char res[200], where[200];
	struct buf msg = BUF_INIT;
	bool ok;

	if (who->admin)
		return true;
	attributes(r, &a);
	if (!a.resource)
		return true;    /* discovery, /version, /openapi: system:discovery lets every authenticated user in */
	pthread_mutex_lock(&s->mu);
	ok = rbac_allows(s, who, &a);
	pthread_mutex_unlock(&s->mu);
	if (ok)
		return true;
	snprintf(res, sizeof(res), "%s%s%s", a.resource_name, *a.sub ? "/" : "", a.sub);
	if (*a.ns)
		snprintf(where, sizeof(where), "in the namespace \"%s\"", a.ns);
	else
		snprintf(where, sizeof(where), "at the cluster scope");
	if (*a.name)
		buf_addf(&msg, "%s%s%s \"%s\" is forbidden: User \"%s\" cannot %s resource \"%s\" in API group \"%s\" %s",
			 a.resource_name, *a.group ? "." : "", a.group, a.name, who->user, a.verb, res, a.group, where);
	else
		buf_addf(&msg, "%s%s%s is forbidden: User \"%s\" cannot %s resource \"%s\" in API group \"%s\" %s",
			 a.resource_name, *a.group ? "." : "", a.group, who->user, a.verb, res, a.group, where);
	api_status(resp, 403, "Forbidden", "%s", msg.data);
	buf_release(&msg);
	return false;
}

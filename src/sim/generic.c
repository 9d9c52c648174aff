#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/generic.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define GEN_RW "[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]"

/* A CRD's additionalPrinterColumns entry. */
struct gcol {
	char *name, *type, *path;
};

struct gres {
	struct resdef d;        /* d.kind == K_GEN0 + index */
	const char *kindname;
	bool active;
	bool crd;               /* registered by a CustomResourceDefinition (strings owned) */
	bool has_status;        /* status is a subresource: main writes keep it, /status writes keep the rest */
	char *crd_name;         /* the CRD object's name */
	struct gcol *cols;
	int ncols;
	json_t *schema;         /* the served version's openAPIV3Schema (CRDs), or NULL */
};

static struct gres gres[GEN_MAX];
static bool inited;

static const struct {
	const char *group, *version, *plural, *singular, *kind, *shortnames;
	bool namespaced;
} builtins[] = {
	{ "", "v1", "configmaps", "configmap", "ConfigMap", "[\"cm\"]", true },
	{ "", "v1", "secrets", "secret", "Secret", NULL, true },
	{ "", "v1", "services", "service", "Service", "[\"svc\"]", true },
	{ "", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "[\"sa\"]", true },
	{ "rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", NULL, false },
	{ "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", NULL, false },
	{ "rbac.authorization.k8s.io", "v1", "roles", "role", "Role", NULL, true },
	{ "rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", NULL, true },
	{ "apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
	  "CustomResourceDefinition", "[\"crd\",\"crds\"]", false },
	{ "networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", "[\"netpol\"]", true },
	{ "autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
	  "HorizontalPodAutoscaler", "[\"hpa\"]", true },
};
#define NBUILTIN (sizeof(builtins) / sizeof(builtins[0]))

void gen_init(void)
{
	if (inited)
		return;
	inited = true;
	for (size_t i = 0; i < NBUILTIN; i++) {
		struct gres *g = &gres[i];

		g->d.group = builtins[i].group;
		g->d.version = builtins[i].version;
		g->d.name = builtins[i].plural;
		g->d.singular = builtins[i].singular;
		g->d.kind = (enum kind)(K_GEN0 + (int)i);
		g->d.namespaced = builtins[i].namespaced;
		g->d.verbs = GEN_RW;
		g->d.shortnames = builtins[i].shortnames;
		g->kindname = builtins[i].kind;
		g->active = true;
	}
}

static struct gres *slot(enum kind k)
{
	int i = (int)k - K_GEN0;

	return i >= 0 && i < GEN_MAX ? &gres[i] : NULL;
}

const struct resdef *gen_find(const char *group, const char *version, const char *plural)
{
	gen_init();
	for (int i = 0; i < GEN_MAX; i++)
		if (gres[i].active && !strcmp(gres[i].d.group, group) && !strcmp(gres[i].d.version, version) &&
		    !strcmp(gres[i].d.name, plural))
			return &gres[i].d;
	return NULL;
}

bool gen_group_version(const char *group, const char *version)
{
	gen_init();
	for (int i = 0; i < GEN_MAX; i++)
		if (gres[i].active && !strcmp(gres[i].d.group, group) && !strcmp(gres[i].d.version, version))
			return true;
	return false;
}

static void group_entry(struct buf *b, const char *group, const char *version, bool with_kind)
{
	buf_addf(b, "{%s\"name\":\"%s\",\"versions\":[{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}],"
		 "\"preferredVersion\":{\"groupVersion\":\"%s/%s\",\"version\":\"%s\"}}",
		 with_kind ? "\"kind\":\"APIGroup\",\"apiVersion\":\"v1\"," : "", group, group, version, version,
		 group, version, version);
}

void gen_groups(struct buf *b, const char *const skip[], size_t nskip, bool *first)
{
	gen_init();
	for (int i = 0; i < GEN_MAX; i++) {
		bool seen = false;

		if (!gres[i].active || !*gres[i].d.group)
			continue;
		for (size_t j = 0; j < nskip && !seen; j++)
			seen = !strcmp(skip[j], gres[i].d.group);
		for (int j = 0; j < i && !seen; j++)
			seen = gres[j].active && !strcmp(gres[j].d.group, gres[i].d.group);
		if (seen)
			continue;
		if (!*first)
			buf_addch(b, ',');
		*first = false;
		group_entry(b, gres[i].d.group, gres[i].d.version, false);
	}
}

bool gen_group_doc(struct buf *b, const char *group)
{
	gen_init();
	for (int i = 0; i < GEN_MAX; i++)
		if (gres[i].active && *group && !strcmp(gres[i].d.group, group)) {
			group_entry(b, group, gres[i].d.version, true);
			return true;
		}
	return false;
}

void gen_resources(struct buf *b, const char *group, const char *version, bool *first)
{
	gen_init();
	for (int i = 0; i < GEN_MAX; i++) {
		const struct gres *g = &gres[i];

		if (!g->active || strcmp(g->d.group, group) || strcmp(g->d.version, version))
			continue;
		buf_addf(b, "%s{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":%s,\"kind\":\"%s\","
			 "\"verbs\":%s", *first ? "" : ",", g->d.name, g->d.singular,
			 g->d.namespaced ? "true" : "false", g->kindname, g->d.verbs);
		if (g->d.shortnames)
			buf_addf(b, ",\"shortNames\":%s", g->d.shortnames);
		buf_addch(b, '}');
		if (g->has_status)
			buf_addf(b, ",{\"name\":\"%s/status\",\"singularName\":\"\",\"namespaced\":%s,\"kind\":\"%s\","
				 "\"verbs\":[\"get\",\"patch\",\"update\"]}", g->d.name,
				 g->d.namespaced ? "true" : "false", g->kindname);
		*first = false;
	}
}

const char *gen_kind_name(enum kind k)
{
	struct gres *g = slot(k);

	return g && g->kindname ? g->kindname : "Unknown";
}

const char *gen_api_version(enum kind k)
{
	static __thread char gv[160];
	struct gres *g = slot(k);

	if (!g || !g->d.version)
		return "v1";
	if (!*g->d.group)
		return g->d.version;
	snprintf(gv, sizeof(gv), "%s/%s", g->d.group, g->d.version);
	return gv;
}

static bool is_crd(enum kind k);

void gen_render(struct buf *b, const struct meta *m)
{
	const struct gobj *g = (const struct gobj *)m;
	json_t *md = json_object_get(g->obj, "metadata");
	char uid[37], t[RFC3339_MAX];
	char *txt;

	/* the stored object is ours and we hold the store's lock: refresh its server fields in place */
	json_object_set_new(g->obj, "apiVersion", json_string(gen_api_version(m->kind)));
	json_object_set_new(g->obj, "kind", json_string(gen_kind_name(m->kind)));
	store_uid(m->uid, uid);
	json_object_set_new(md, "name", json_string(m->name));
	if (m->ns)
		json_object_set_new(md, "namespace", json_string(m->ns));
	json_object_set_new(md, "uid", json_string(uid));
	json_object_set_new(md, "resourceVersion", json_sprintf("%llu", (unsigned long long)m->rv));
	if (slot(m->kind) && (slot(m->kind)->crd || is_crd(m->kind)))
		json_object_set_new(md, "generation", json_integer(m->generation));
	time_rfc3339(m->created_ms, t);
	json_object_set_new(md, "creationTimestamp", json_string(t));
	txt = json_dumps(g->obj, JSON_COMPACT);
	buf_adds(b, txt ? txt : "{}");
	free(txt);
}

void gen_table_columns(struct buf *b, enum kind k)
{
	const struct gres *g = slot(k);
	static const char age_desc[] = "CreationTimestamp is a timestamp representing the server time when this "
				       "object was created.";

	buf_adds(b, "[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":"
		 "\"Name must be unique within a namespace.\",\"priority\":0}");
	for (int i = 0; g && i < g->ncols; i++) {
		buf_adds(b, ",{\"name\":");
		buf_add_json_str(b, g->cols[i].name);
		buf_addf(b, ",\"type\":\"%s\",\"format\":\"\",\"description\":\"\",\"priority\":0}",
			 !strcmp(g->cols[i].type, "date") ? "date" : g->cols[i].type);
	}
	if (!g || !g->ncols)
		buf_addf(b, ",{\"name\":\"Age\",\"type\":\"date\",\"format\":\"\",\"description\":\"%s\","
			 "\"priority\":0}", age_desc);
	buf_addch(b, ']');
}

/* A simple JSONPath (".a.b[0].c") into obj, or NULL. */
static json_t *jpath(json_t *obj, const char *path)
{
	char key[128];
	const char *p = path;

	while (*p && obj) {
		size_t n = 0;

		if (*p == '.') {
			p++;
			while (*p && *p != '.' && *p != '[' && n + 1 < sizeof(key))
				key[n++] = *p++;
			key[n] = '\0';
			obj = json_object_get(obj, key);
		} else if (*p == '[') {
			long idx = strtol(p + 1, (char **)&p, 10);

			if (*p != ']')
				return NULL;
			p++;
			obj = json_array_get(obj, (size_t)idx);
		} else {
			return NULL;
		}
	}
	return obj;
}

/* Kubernetes' duration.HumanDuration, short form. */
static void human_age(struct buf *b, int64_t d_ms)
{
	int64_t s = d_ms / 1000, m = s / 60, h = s / 3600;

	if (s < 0)
		s = 0;
	if (s < 120)
		buf_addf(b, "\"%llds\"", (long long)s);
	else if (m < 180)
		buf_addf(b, "\"%lldm\"", (long long)m);
	else if (h < 48)
		buf_addf(b, "\"%lldh\"", (long long)h);
	else
		buf_addf(b, "\"%lldd\"", (long long)(h / 24));
}

void gen_table_cells(struct buf *b, const struct meta *m, int64_t now_ms)
{
	const struct gobj *o = (const struct gobj *)m;
	const struct gres *g = slot(m->kind);

	for (int i = 0; g && i < g->ncols; i++) {
		json_t *v = jpath(o->obj, g->cols[i].path);

		buf_addch(b, ',');
		if (!strcmp(g->cols[i].type, "date") && json_is_string(v)) {
			int64_t t = 0;

			if (time_parse(json_string_value(v), &t) == 0)
				human_age(b, now_ms - t);
			else
				buf_adds(b, "null");
		} else if (v) {
			char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			buf_adds(b, txt ? txt : "null");
			free(txt);
		} else {
			buf_adds(b, "null");
		}
	}
	if (!g || !g->ncols) {
		buf_addch(b, ',');
		human_age(b, now_ms - m->created_ms);
	}
}

void gen_free(struct meta *m)
{
	json_decref(((struct gobj *)m)->obj);
}

static struct labels *labels_of(json_t *obj)
{
	const char *k;
	json_t *v;
	const char **kv;
	int n = 0;
	struct labels *l;

	if (!json_is_object(obj))
		return labels_new(NULL, 0);
	kv = xcalloc(2 * json_object_size(obj) + 1, sizeof(char *));
	json_object_foreach(obj, k, v) {
		if (!json_is_string(v))
			continue;
		kv[2 * n] = k;
		kv[2 * n + 1] = json_string_value(v);
		n++;
	}
	l = labels_new(kv, n);
	free(kv);
	return l;
}

static void sync_labels(struct meta *m, json_t *obj)
{
	json_t *md = json_object_get(obj, "metadata");

	labels_unref(m->labels);
	labels_unref(m->annotations);
	m->labels = labels_of(json_object_get(md, "labels"));
	m->annotations = labels_of(json_object_get(md, "annotations"));
}

static void cols_free(struct gres *g)
{
	for (int i = 0; i < g->ncols; i++) {
		free(g->cols[i].name);
		free(g->cols[i].type);
		free(g->cols[i].path);
	}
	free(g->cols);
	g->cols = NULL;
	g->ncols = 0;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The served version of a CRD that we serve: the storage one, else the first served. */
static json_t *crd_version(json_t *spec)
{
	json_t *vs = json_object_get(spec, "versions"), *v, *pick = NULL;
	size_t i;

	json_array_foreach(vs, i, v) {
		if (json_is_false(json_object_get(v, "served")))
			continue;
		if (!pick || json_is_true(json_object_get(v, "storage")))
			pick = v;
	}
	return pick;
}

/* Checks a CRD body; fills err and returns -EINVAL when it is not one we can serve. */
static int crd_check(json_t *obj, const char *name, char *err, size_t errlen)
{
	json_t *spec = json_object_get(obj, "spec"), *names = json_object_get(spec, "names");
	const char *group = jstr(spec, "group"), *plural = jstr(names, "plural"), *kind = jstr(names, "kind");
	const char *scope = jstr(spec, "scope");
	json_t *v = crd_version(spec);
	char want[300];

	if (!group || !*group || !plural || !*plural || !kind || !*kind) {
		snprintf(err, errlen, "spec.group, spec.names.plural and spec.names.kind: Required value");
		return -EINVAL;
	}
	snprintf(want, sizeof(want), "%s.%s", plural, group);
	if (strcmp(want, name)) {
		snprintf(err, errlen, "metadata.name: Invalid value: \"%s\": must be spec.names.plural+\".\"+spec.group", name);
		return -EINVAL;
	}
	if (!scope || (strcmp(scope, "Namespaced") && strcmp(scope, "Cluster"))) {
		snprintf(err, errlen, "spec.scope: Unsupported value: \"%s\": supported values: \"Cluster\", \"Namespaced\"",
			 scope ? scope : "");
		return -EINVAL;
	}
	if (!v || !jstr(v, "name")) {
		snprintf(err, errlen, "spec.versions: Invalid value: must have exactly one version marked as storage version");
		return -EINVAL;
	}
	return 0;
}

static void set_str(const char **dst, const char *v)
{
	if (!*dst || strcmp(*dst, v))
		*dst = xstrdup(v);
}

/* Registers (or refreshes) the resource a CRD defines; -ENOSPC when every slot is taken. */
static int crd_register(json_t *obj, const char *name)
{
	json_t *spec = json_object_get(obj, "spec"), *names = json_object_get(spec, "names");
	json_t *v = crd_version(spec), *cols, *c, *sn;
	struct gres *g = NULL;
	size_t i;

	for (int j = (int)NBUILTIN; j < GEN_MAX && !g; j++)
		if (gres[j].crd && gres[j].crd_name && !strcmp(gres[j].crd_name, name))
			g = &gres[j];
	for (int j = (int)NBUILTIN; j < GEN_MAX && !g; j++)
		if (!gres[j].active && !gres[j].crd_name)
			g = &gres[j];
	if (!g)
		return -ENOSPC;
	if (!g->crd)
		g->crd_name = xstrdup(name);
	cols_free(g);
	g->crd = true;
	g->d.kind = (enum kind)(K_GEN0 + (int)(g - gres));
	g->d.namespaced = !strcmp(jstr(spec, "scope"), "Namespaced");
	g->d.verbs = GEN_RW;
	/*
	 * Discovery reads these strings without the store's lock, so a changed
	 * one is replaced and the old copy kept (leaked): CRD updates are rare.
	 */
	set_str(&g->d.group, jstr(spec, "group"));
	set_str(&g->d.version, jstr(v, "name"));
	set_str(&g->d.name, jstr(names, "plural"));
	set_str(&g->d.singular, jstr(names, "singular") ? jstr(names, "singular") : "");
	set_str(&g->kindname, jstr(names, "kind"));
	sn = json_object_get(names, "shortNames");
	if (json_array_size(sn)) {
		char *t = json_dumps(sn, JSON_COMPACT);

		set_str(&g->d.shortnames, t);
		free(t);
	}
	g->active = true;
	json_decref(g->schema);
	g->schema = json_deep_copy(json_object_get(json_object_get(v, "schema"), "openAPIV3Schema"));
	g->has_status = json_object_get(json_object_get(v, "subresources"), "status") != NULL;
	cols = json_object_get(v, "additionalPrinterColumns");
	if (json_array_size(cols)) {
		g->cols = xcalloc(json_array_size(cols), sizeof(*g->cols));
		json_array_foreach(cols, i, c) {
			const char *cn = jstr(c, "name"), *ct = jstr(c, "type"), *cp = jstr(c, "jsonPath");

			if (!cn || !ct || !cp)
				continue;
			g->cols[g->ncols].name = xstrdup(cn);
			g->cols[g->ncols].type = xstrdup(ct);
			g->cols[g->ncols].path = xstrdup(cp);
			g->ncols++;
		}
	}
	return 0;
}

/* What the API server reports once a CRD is served. */
static void crd_status(json_t *obj)
{
	json_t *spec = json_object_get(obj, "spec"), *st = json_object(), *conds = json_array(), *sv = json_array();
	json_t *v = crd_version(spec);

	json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s}", "type", "NamesAccepted", "status", "True",
					       "reason", "NoConflicts", "message", "no conflicts found"));
	json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s}", "type", "Established", "status", "True",
					       "reason", "InitialNamesAccepted",
					       "message", "the initial names have been accepted"));
	json_object_set_new(st, "conditions", conds);
	json_object_set(st, "acceptedNames", json_object_get(spec, "names"));
	if (v)
		json_array_append_new(sv, json_string(jstr(v, "name")));
	json_object_set_new(st, "storedVersions", sv);
	json_object_set_new(obj, "status", st);
}

static int gen_invalid(struct apireq *a, const char *name, const char *msg)
{
	api_status(a->resp, 422, "Invalid", "%s \"%s\" is invalid: %s", gen_kind_name(a->res->kind), name, msg);
	return -EINVAL;
}

static bool is_crd(enum kind k)
{
	const struct gres *g = slot(k);

	return g && !g->crd && !strcmp(g->d.name, "customresourcedefinitions");
}

/*
 * The structural checks the API server makes of a custom resource against
 * its CRD's schema: type, required, enum, nested properties and items
 * (x-kubernetes-preserve-unknown-fields and int-or-string accepted as
 * they come). Fills where/what with the first error; 0 or -EINVAL.
 */
static int check_schema(json_t *sch, json_t *v, char *where, size_t wl, size_t at, char *what, size_t whatl)
{
	const char *type = jstr(sch, "type");
	json_t *props = json_object_get(sch, "properties"), *req = json_object_get(sch, "required");
	json_t *en = json_object_get(sch, "enum"), *x;
	size_t i;

	if (!json_is_object(sch) || !v || json_is_null(v))
		return 0;
	if (json_is_true(json_object_get(sch, "x-kubernetes-int-or-string")))
		return json_is_integer(v) || json_is_string(v) ? 0 : (snprintf(what, whatl, "Invalid value: must be an integer or a string"), -EINVAL);
	if (type) {
		bool ok = !strcmp(type, "object") ? json_is_object(v) : !strcmp(type, "array") ? json_is_array(v) :
			  !strcmp(type, "string") ? json_is_string(v) : !strcmp(type, "integer") ? json_is_integer(v) :
			  !strcmp(type, "number") ? json_is_number(v) : !strcmp(type, "boolean") ? json_is_boolean(v) : true;

		if (!ok) {
			snprintf(what, whatl, "Invalid value: \"%s\": must be of type %s",
				 json_is_string(v) ? json_string_value(v) : "...", type);
			return -EINVAL;
		}
	}
	if (json_array_size(en)) {
		bool hit = false;

		json_array_foreach(en, i, x)
			hit = hit || json_equal(x, v);
		if (!hit) {
			snprintf(what, whatl, "Unsupported value: \"%s\"", json_is_string(v) ? json_string_value(v) : "...");
			return -EINVAL;
		}
	}
	json_array_foreach(req, i, x) {
		if (json_is_string(x) && json_is_object(v) && !json_object_get(v, json_string_value(x))) {
			snprintf(where + at, wl - at, "%s%s", at ? "." : "", json_string_value(x));
			snprintf(what, whatl, "Required value");
			return -EINVAL;
		}
	}
	if (json_is_object(v) && json_is_object(props)) {
		const char *k;
		json_t *val;

		json_object_foreach(v, k, val) {
			json_t *ps = json_object_get(props, k);
			size_t n;

			if (!ps || (!at && (!strcmp(k, "metadata") || !strcmp(k, "apiVersion") || !strcmp(k, "kind"))))
				continue;
			n = at + (size_t)snprintf(where + at, wl - at, "%s%s", at ? "." : "", k);
			if (n >= wl)
				n = wl - 1;
			if (check_schema(ps, val, where, wl, n, what, whatl))
				return -EINVAL;
			where[at] = '\0';
		}
	}
	if (json_is_array(v) && json_is_object(json_object_get(sch, "items"))) {
		json_array_foreach(v, i, x) {
			size_t n = at + (size_t)snprintf(where + at, wl - at, "[%zu]", i);

			if (n >= wl)
				n = wl - 1;
			if (check_schema(json_object_get(sch, "items"), x, where, wl, n, what, whatl))
				return -EINVAL;
			where[at] = '\0';
		}
	}
	return 0;
}

/* 0 when obj fits its CRD's schema; otherwise the 422 is in a->resp. */
static int validate(struct apireq *a, json_t *obj, const char *name)
{
	const struct gres *g = slot(a->res->kind);
	char where[256] = "", what[256] = "", msg[600];

	if (!g || !g->crd || !g->schema || !check_schema(g->schema, obj, where, sizeof(where), 0, what, sizeof(what)))
		return 0;
	snprintf(msg, sizeof(msg), "%s%s%s", where, *where ? ": " : "", what);
	api_status(a->resp, 422, "Invalid", "%s.%s \"%s\" is invalid: %s", g->kindname, g->d.group, name, msg);
	return -EINVAL;
}

void gen_create(struct apireq *a, json_t *obj, const char *name)
{
	struct simstate *s = a->s;
	struct gobj *g;
	char err[300];

	if (is_crd(a->res->kind)) {
		if (crd_check(obj, name, err, sizeof(err))) {
			gen_invalid(a, name, err);
			return;
		}
		crd_status(obj);
	}
	if (validate(a, obj, name))
		return;
	if (!strcmp(gen_kind_name(a->res->kind), "Secret") && !(jstr(obj, "type") && *jstr(obj, "type")))
		json_object_set_new(obj, "type", json_string("Opaque"));   /* the API server's default */
	if (!json_is_object(json_object_get(obj, "metadata")))
		json_object_set_new(obj, "metadata", json_object());
	g = xcalloc(1, sizeof(*g));
	g->m.kind = a->res->kind;
	g->m.name = xstrdup(name);
	g->m.ns = a->res->namespaced ? store_intern(a->ns) : NULL;
	g->m.created_ms = s->now_ms;
	g->obj = json_incref(obj);
	json_object_del(json_object_get(obj, "metadata"), "generateName");
	sync_labels(&g->m, obj);
	if (a->dry_run) {
		g->m.rv = s->rv;
		gen_render(&a->resp->body, &g->m);
		obj_free(&g->m);
	} else {
		if (is_crd(a->res->kind) && crd_register(obj, name)) {
			api_status(a->resp, 507, "InsufficientStorage", "the sim serves at most %d custom resources",
				   GEN_MAX - (int)NBUILTIN);
			obj_free(&g->m);
			return;
		}
		store_add(s, &g->m);
		gen_render(&a->resp->body, &g->m);
	}
	a->resp->status = 201;
}

void gen_update(struct apireq *a, struct meta *m, json_t *obj)
{
	struct gobj *g = (struct gobj *)m;
	struct gres *r = slot(m->kind);
	bool status_only = a->sub && !strcmp(a->sub, "status");
	json_t *next;
	char err[300];

	if (!json_is_object(json_object_get(obj, "metadata"))) {
		gen_invalid(a, m->name, "metadata: Required value");
		return;
	}
	if (is_crd(m->kind) && crd_check(obj, m->name, err, sizeof(err))) {
		gen_invalid(a, m->name, err);
		return;
	}
	if (r && r->has_status && status_only) {
		/* /status: only status changes */
		next = json_deep_copy(g->obj);
		json_object_set(next, "status", json_object_get(obj, "status"));
	} else {
		next = json_deep_copy(obj);
		if (r && r->has_status) {
			json_t *st = json_object_get(g->obj, "status");

			if (st)
				json_object_set(next, "status", st);
			else
				json_object_del(next, "status");
		}
		if (!json_equal(json_object_get(g->obj, "spec"), json_object_get(next, "spec")))
			m->generation++;
	}
	if (is_crd(m->kind))
		crd_status(next);
	if (validate(a, next, m->name)) {
		json_decref(next);
		return;
	}
	if (a->dry_run) {
		struct gobj tmp = *g;

		tmp.obj = next;
		gen_render(&a->resp->body, &tmp.m);
		json_decref(next);
		return;
	}
	json_decref(g->obj);
	g->obj = next;
	sync_labels(m, next);
	if (is_crd(m->kind))
		crd_register(next, m->name);
	store_touch(a->s, m);
	gen_render(&a->resp->body, m);
}

void gen_delete(struct simstate *s, struct meta *m)
{
	if (is_crd(m->kind)) {
		for (int j = (int)NBUILTIN; j < GEN_MAX; j++) {
			struct gres *g = &gres[j];
			struct objlist *l;

			if (!g->crd || !g->crd_name || strcmp(g->crd_name, m->name))
				continue;
			l = &s->lists[g->d.kind];
			while (l->n)
				store_remove(s, l->v[l->n - 1]);
			/* the slot keeps its strings (a reader may still hold them) but stops being served */
			g->active = false;
		}
	}
	store_remove(s, m);
}

/* ---- OpenAPI v3: just enough for kubectl's fieldValidation check ---- */

static void gv_path(struct buf *b, const char *group, const char *version)
{
	if (*group)
		buf_addf(b, "apis/%s/%s", group, version);
	else
		buf_addf(b, "api/%s", version);
}

static void each_res(void (*fn)(const struct resdef *, void *), void *ctx)
{
	const struct resdef *d;

	for (size_t i = 0; (d = api_builtin(i)) != NULL; i++)
		fn(d, ctx);
	gen_init();
	for (int i = 0; i < GEN_MAX; i++)
		if (gres[i].active)
			fn(&gres[i].d, ctx);
}

struct rootctx { struct buf *b; struct buf seen; };

static void root_entry(const struct resdef *d, void *ctx)
{
	struct rootctx *r = ctx;
	struct buf p = BUF_INIT;

	gv_path(&p, d->group, d->version);
	buf_addch(&p, '|');
	if (!strstr(r->seen.data ? r->seen.data : "", p.data)) {
		buf_add(&r->seen, p.data, p.len);
		buf_truncate(&p, p.len - 1);
		buf_addf(r->b, "%s\"%s\":{\"serverRelativeURL\":\"/openapi/v3/%s?hash=0\"}", r->seen.len == p.len + 1 ? "" : ",",
			 p.data, p.data);
	}
	buf_release(&p);
}

void gen_openapi_root(struct buf *b)
{
	struct rootctx r = { .b = b, .seen = BUF_INIT };

	buf_adds(b, "{\"paths\":{");
	each_res(root_entry, &r);
	buf_adds(b, "}}");
	buf_release(&r.seen);
}

struct gvctx { struct buf *b; const char *gvpath; bool first, found; };

static void gv_entry(const struct resdef *d, void *ctx)
{
	struct gvctx *g = ctx;
	struct buf p = BUF_INIT;

	gv_path(&p, d->group, d->version);
	if (!strcmp(p.data, g->gvpath)) {
		g->found = true;
		buf_addf(g->b, "%s\"/%s/%s%s/{name}\":{\"patch\":{\"x-kubernetes-group-version-kind\":"
			 "{\"group\":\"%s\",\"version\":\"%s\",\"kind\":\"%s\"},\"parameters\":[{\"name\":"
			 "\"fieldValidation\",\"in\":\"query\",\"schema\":{\"type\":\"string\"}}],"
			 "\"responses\":{\"200\":{\"description\":\"OK\"}}}}", g->first ? "" : ",", p.data,
			 d->namespaced ? "namespaces/{namespace}/" : "", d->name, d->group, d->version,
			 kind_name(d->kind));
		g->first = false;
	}
	buf_release(&p);
}

bool gen_openapi_gv(struct buf *b, const char *gvpath)
{
	struct gvctx g = { .b = b, .gvpath = gvpath, .first = true };

	buf_adds(b, "{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"Kubernetes\",\"version\":\"v1.32.0\"},\"paths\":{");
	each_res(gv_entry, &g);
	buf_adds(b, "}}");
	return g.found;
}

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sim/api.h"
#include "sim/patch.h"
#include "sim/generic.h"
#include "sim/faults.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

/* What an update may change, read from the object's JSON before anything is stored. */
struct update {
	struct labels *labels, *annotations;
	int replicas;           /* deployments, replicasets; -1 unchanged */
	bool has_tpl;
	struct podtemplate tpl;
	int unschedulable;      /* nodes; -1 unchanged */
	/* pdbs */
	bool pdb_set, has_min, percent, always_allow, policy_set;
	int value;
	struct selector *sel;
	char *sel_json;
	/* leases */
	char *holder;
	int duration_s, transitions;
	int64_t acquire_ms, renew_ms;
};

static void update_release(struct update *u)
{
	labels_unref(u->labels);
	labels_unref(u->annotations);
	tpl_release(&u->tpl);
	selector_free(u->sel);
	free(u->sel_json);
	free(u->holder);
}

static int invalid(struct apireq *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int invalid(struct apireq *a, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_status(a->resp, 422, "Invalid", "%s \"%s\" is invalid: %s", kind_name(a->res->kind),
		   a->name ? a->name : "", msg);
	return -EINVAL;
}

static struct labels *labels_from(json_t *obj)
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

static int quantity(json_t *v, double *out)
{
	if (json_is_string(v))
		return str_to_quantity(json_string_value(v), out);
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return *out >= 0 ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static int read_resources(struct apireq *a, json_t *res, struct resources *r)
{
	json_t *lim = json_object_get(res, "limits"), *req = json_object_get(res, "requests");
	const char *k;
	json_t *v;

	memset(r, 0, sizeof(*r));
	json_object_foreach(lim, k, v) {
		double q;

		if (quantity(v, &q))
			return invalid(a, "spec.template.spec.containers[0].resources.limits[%s]: quantities must match the regular expression", k);
		if (!strcmp(k, "cpu"))
			r->cpu_limit = q;
		else if (!strcmp(k, "memory"))
			r->mem_limit = q;
	}
	json_object_foreach(req, k, v) {
		double q;

		if (quantity(v, &q))
			return invalid(a, "spec.template.spec.containers[0].resources.requests[%s]: quantities must match the regular expression", k);
		if (!strcmp(k, "cpu"))
			r->cpu_request = q;
		else if (!strcmp(k, "memory"))
			r->mem_request = q;
	}
	/* As the API server defaults them: a limit without a request sets the request. */
	if (r->cpu_limit && !json_object_get(req, "cpu"))
		r->cpu_request = r->cpu_limit;
	if (r->mem_limit && !json_object_get(req, "memory"))
		r->mem_request = r->mem_limit;
	if (r->cpu_limit && r->cpu_request > r->cpu_limit + 1e-9)
		return invalid(a, "%s: must be less than or equal to cpu limit", "spec.template.spec.containers[0].resources.requests");
	if (r->mem_limit && r->mem_request > r->mem_limit + 0.5)
		return invalid(a, "%s: must be less than or equal to memory limit", "spec.template.spec.containers[0].resources.requests");
	return 0;
}

static int read_template(struct apireq *a, json_t *tpl, struct podtemplate *t, const struct labels *match)
{
	json_t *cs = json_object_get(json_object_get(tpl, "spec"), "containers"), *c;
	const char *name, *image;

	if (json_array_size(cs) != 1)
		return invalid(a, "%s: the sim runs exactly one container per pod", "spec.template.spec.containers");
	c = json_array_get(cs, 0);
	name = json_string_value(json_object_get(c, "name"));
	image = json_string_value(json_object_get(c, "image"));
	if (!name || !*name || !image || !*image)
		return invalid(a, "%s: Required value", "spec.template.spec.containers[0].name/image");
	t->labels = labels_from(json_object_get(json_object_get(tpl, "metadata"), "labels"));
	t->annotations = labels_from(json_object_get(json_object_get(tpl, "metadata"), "annotations"));
	for (int i = 0; match && i < match->n; i++)
		if (!str_eq(labels_get(t->labels, match->kv[2 * i]), match->kv[2 * i + 1]))
			return invalid(a, "%s: Invalid value: selector does not match template labels", "spec.template.metadata.labels");
	t->c.name = xstrdup(name);
	t->c.image = xstrdup(image);
	{
		json_t *vols = json_object_get(json_object_get(tpl, "spec"), "volumes"), *vol;
		size_t i;

		json_array_foreach(vols, i, vol)
			if (json_object_get(vol, "emptyDir"))
				t->emptydir = true;
	}
	return read_resources(a, json_object_get(c, "resources"), &t->c.res);
}

static int read_int_or_percent(json_t *v, int *val, bool *percent)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 1000000) {
		*val = (int)json_integer_value(v);
		*percent = false;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(s);
		char num[16];

		if (n > 1 && n < sizeof(num) && s[n - 1] == '%') {
			memcpy(num, s, n - 1);
			num[n - 1] = '\0';
			if (!str_to_int(num, val) && *val >= 0 && *val <= 100) {
				*percent = true;
				return 0;
			}
		} else if (!str_to_int(s, val) && *val >= 0) {
			*percent = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A LabelSelector ({matchLabels, matchExpressions}) into a selector. */
static int read_selector(json_t *j, struct selector **out)
{
	struct selector *sel = selector_new();
	json_t *ml = json_object_get(j, "matchLabels"), *me = json_object_get(j, "matchExpressions"), *v, *e;
	const char *k;
	size_t i;

	json_object_foreach(ml, k, v) {
		const char *val = json_string_value(v);

		if (!val)
			goto bad;
		selector_add(sel, k, SEL_EQ, &val, 1);
	}
	json_array_foreach(me, i, e) {
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *op = json_string_value(json_object_get(e, "operator"));
		json_t *vals = json_object_get(e, "values"), *x;
		const char *vv[64];
		size_t n = 0, j2;
		enum sel_op o;

		if (!key || !op)
			goto bad;
		if (!strcmp(op, "In"))
			o = SEL_IN;
		else if (!strcmp(op, "NotIn"))
			o = SEL_NOTIN;
		else if (!strcmp(op, "Exists"))
			o = SEL_EXISTS;
		else if (!strcmp(op, "DoesNotExist"))
			o = SEL_NOTEXISTS;
		else
			goto bad;
		json_array_foreach(vals, j2, x)
			if (json_is_string(x) && n < 64)
				vv[n++] = json_string_value(x);
		if ((o == SEL_IN || o == SEL_NOTIN) && !n)
			goto bad;
		selector_add(sel, key, o, vv, n);
	}
	*out = sel;
	return 0;
bad:
	selector_free(sel);
	return -EINVAL;
}

static int read_pdb(struct apireq *a, json_t *spec, struct update *u)
{
	json_t *min = json_object_get(spec, "minAvailable"), *max = json_object_get(spec, "maxUnavailable");
	json_t *sel = json_object_get(spec, "selector");
	json_t *pol = json_object_get(spec, "unhealthyPodEvictionPolicy");

	if ((min && max) || (!min && !max))
		return invalid(a, "%s: exactly one of minAvailable and maxUnavailable must be set", "spec");
	if (read_int_or_percent(min ? min : max, &u->value, &u->percent))
		return invalid(a, "%s: must be a non-negative integer or a percentage", min ? "spec.minAvailable" : "spec.maxUnavailable");
	u->has_min = min != NULL;
	if (pol && !json_is_null(pol)) {
		const char *pv = json_string_value(pol);

		if (!pv || (strcmp(pv, "IfHealthyBudget") && strcmp(pv, "AlwaysAllow")))
			return invalid(a, "%s: Unsupported value: supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
				       "spec.unhealthyPodEvictionPolicy");
		u->always_allow = !strcmp(pv, "AlwaysAllow");
		u->policy_set = true;
	}
	if (!json_is_object(sel) || read_selector(sel, &u->sel))
		return invalid(a, "%s: a valid label selector is required", "spec.selector");
	u->sel_json = json_dumps(sel, JSON_COMPACT | JSON_SORT_KEYS);
	u->pdb_set = true;
	return 0;
}

static int64_t read_micro_time(json_t *v)
{
	int64_t ms = 0;

	if (json_is_string(v))
		time_parse(json_string_value(v), &ms);
	return ms;
}

/* Reads everything an update may change from obj (a whole object) into u. */
static int read_update(struct apireq *a, struct meta *m, json_t *obj, struct update *u)
{
	json_t *md = json_object_get(obj, "metadata"), *spec = json_object_get(obj, "spec");
	const char *name = json_string_value(json_object_get(md, "name"));

	memset(u, 0, sizeof(*u));
	u->replicas = -1;
	u->unschedulable = -1;
	if (!json_is_object(obj) || !json_is_object(md))
		return invalid(a, "%s: Required value", "metadata");
	if (name && m && strcmp(name, m->name)) {
		api_status(a->resp, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)",
			   name, m->name);
		return -EINVAL;
	}
	u->labels = labels_from(json_object_get(md, "labels"));
	u->annotations = labels_from(json_object_get(md, "annotations"));
	switch (a->res->kind) {
	case K_DEPLOYMENT:
	case K_REPLICASET: {
		json_t *r = json_object_get(spec, "replicas");
		const struct labels *match = a->res->kind == K_DEPLOYMENT ? ((struct deployment *)m)->match
									  : ((struct replicaset *)m)->match;

		if (r && (!json_is_integer(r) || json_integer_value(r) < 0 || json_integer_value(r) > 100000))
			return invalid(a, "%s: must be an integer from 0 to 100000", "spec.replicas");
		u->replicas = r ? (int)json_integer_value(r) : 1;
		if (!json_is_object(json_object_get(spec, "template")))
			return invalid(a, "%s: Required value", "spec.template");
		u->has_tpl = true;
		if (read_template(a, json_object_get(spec, "template"), &u->tpl, match))
			return -EINVAL;
		break;
	}
	case K_NODE: {
		json_t *un = json_object_get(spec, "unschedulable");

		if (un && !json_is_boolean(un))
			return invalid(a, "%s: must be a boolean", "spec.unschedulable");
		u->unschedulable = json_is_true(un);
		break;
	}
	case K_PDB:
		return read_pdb(a, spec, u);
	case K_LEASE: {
		const char *h = json_string_value(json_object_get(spec, "holderIdentity"));
		json_t *d = json_object_get(spec, "leaseDurationSeconds");

		u->holder = h ? xstrdup(h) : NULL;
		u->duration_s = json_is_integer(d) ? (int)json_integer_value(d) : 0;
		u->transitions = (int)json_integer_value(json_object_get(spec, "leaseTransitions"));
		u->acquire_ms = read_micro_time(json_object_get(spec, "acquireTime"));
		u->renew_ms = read_micro_time(json_object_get(spec, "renewTime"));
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Stores u into m and runs the controllers that react to it. */
static void commit_update(struct simstate *s, struct meta *m, struct update *u)
{
	struct labels *t;

	t = m->labels; m->labels = u->labels; u->labels = t;
	if (m->kind != K_DEPLOYMENT) {
		t = m->annotations; m->annotations = u->annotations; u->annotations = t;
	} else {
		/* keep the controller's revision annotation */
		const char *rev = labels_get(m->annotations, "deployment.kubernetes.io/revision");
		struct labels *n = labels_with(u->annotations, "deployment.kubernetes.io/revision", rev);

		labels_unref(m->annotations);
		m->annotations = n;
	}
	switch (m->kind) {
	case K_DEPLOYMENT: {
		struct deployment *d = (struct deployment *)m;
		bool tpl_changed = u->has_tpl && !tpl_equal(&u->tpl, &d->tpl);
		bool scaled = d->replicas != u->replicas;

		if (tpl_changed) {
			tpl_release(&d->tpl);
			d->tpl = u->tpl;
			memset(&u->tpl, 0, sizeof(u->tpl));
		}
		d->replicas = u->replicas;
		if (tpl_changed || scaled)
			d->m.generation++;
		store_touch(s, m);
		ctl_reconcile(s);
		faults_deployment_changed(s, d, scaled);
		break;
	}
	case K_REPLICASET:
		((struct replicaset *)m)->replicas = u->replicas;
		store_touch(s, m);
		ctl_reconcile(s);
		break;
	case K_NODE: {
		struct node *n = (struct node *)m;

		if (n->unschedulable != (u->unschedulable == 1))
			store_event(s, m, u->unschedulable == 1 ? "NodeNotSchedulable" : "NodeSchedulable", false,
				    "kubelet", "Node %s status is now: %s", m->name,
				    u->unschedulable == 1 ? "NodeNotSchedulable" : "NodeSchedulable");
		n->unschedulable = u->unschedulable == 1;
		store_touch(s, m);
		ctl_reconcile(s);
		faults_node_changed(s, n);
		break;
	}
	case K_PDB: {
		struct pdb *d = (struct pdb *)m;

		d->has_min = u->has_min;
		d->percent = u->percent;
		d->value = u->value;
		d->always_allow = u->always_allow;
		d->policy_set = u->policy_set;
		selector_free(d->selector);
		d->selector = u->sel;
		u->sel = NULL;
		free(d->selector_json);
		d->selector_json = u->sel_json;
		u->sel_json = NULL;
		d->m.generation++;
		ctl_pdb_status(s, d);
		store_touch(s, m);
		break;
	}
	case K_LEASE: {
		struct lease *l = (struct lease *)m;

		if (!str_eq(l->holder, u->holder) && l->holder && u->holder)
			l->transitions++;
		free(l->holder);
		l->holder = u->holder;
		u->holder = NULL;
		l->duration_s = u->duration_s;
		if (u->transitions > l->transitions)
			l->transitions = u->transitions;
		l->acquire_ms = u->acquire_ms;
		l->renew_ms = u->renew_ms;
		store_touch(s, m);
		break;
	}
	default:
		store_touch(s, m);
		break;
	}
}

static json_t *object_json(struct simstate *s, const struct meta *m)
{
	struct buf b = BUF_INIT;
	json_t *j;

	render_obj(s, &b, m);
	j = json_loadb(b.data, b.len, 0, NULL);
	buf_release(&b);
	return j;
}

/* The precondition an update may carry: metadata.resourceVersion must be current. */
static int check_rv(struct apireq *a, const struct meta *m, json_t *obj)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	char cur[24];

	snprintf(cur, sizeof(cur), "%llu", (unsigned long long)m->rv);
	if (rv && *rv && strcmp(rv, cur)) {
		api_status(a->resp, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the object has been "
			   "modified; please apply your changes to the latest version and try again", a->res->name, m->name);
		return -EINVAL;
	}
	return 0;
}

/* Shared by PATCH and PUT: obj is the whole new object. */
static void apply_object(struct apireq *a, struct meta *m, json_t *obj)
{
	struct update u;

	if (a->res->kind >= K_GEN0) {
		gen_update(a, m, obj);
		return;
	}
	if (a->res->kind == K_NAMESPACE || a->res->kind == K_EVENT || a->res->kind == K_POD ||
	    a->res->kind == K_DAEMONSET || a->res->kind == K_NODE || a->res->kind == K_DEPLOYMENT ||
	    a->res->kind == K_REPLICASET || a->res->kind == K_PDB || a->res->kind == K_LEASE) {
		if (read_update(a, m, obj, &u) == 0) {
			if (a->dry_run) {
				char *txt = json_dumps(obj, JSON_COMPACT);

				buf_adds(&a->resp->body, txt);
				free(txt);
			} else {
				commit_update(a->s, m, &u);
				render_obj(a->s, &a->resp->body, m);
			}
		}
		update_release(&u);
	}
}

void api_patch(struct apireq *a)
{
	enum patch_type pt;
	struct meta *m;
	json_t *obj;
	char err[300];

	if (patch_type_from_content_type(httpd_req_header(a->r, "Content-Type"), &pt)) {
		api_status(a->resp, 415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
			   "accepted media types include: application/json-patch+json, application/merge-patch+json, "
			   "application/strategic-merge-patch+json");
		return;
	}
	pthread_mutex_lock(&a->s->mu);
	m = store_get(a->s, a->res->kind, a->ns, a->name);
	if (!m) {
		api_not_found(a);
		goto out;
	}
	obj = object_json(a->s, m);
	if (patch_apply(&obj, pt, a->r->body, a->r->body_len, err, sizeof(err))) {
		api_status(a->resp, pt == PATCH_JSON ? 422 : 400, pt == PATCH_JSON ? "Invalid" : "BadRequest", "%s", err);
	} else if (check_rv(a, m, obj) == 0) {
		apply_object(a, m, obj);
	}
	json_decref(obj);
out:
	pthread_mutex_unlock(&a->s->mu);
}

void api_update(struct apireq *a)
{
	struct meta *m;
	json_t *obj = api_body_json(a->r, a->resp);

	if (!obj)
		return;
	pthread_mutex_lock(&a->s->mu);
	m = store_get(a->s, a->res->kind, a->ns, a->name);
	if (!m)
		api_not_found(a);
	else if (check_rv(a, m, obj) == 0)
		apply_object(a, m, obj);
	pthread_mutex_unlock(&a->s->mu);
	json_decref(obj);
}

static void delete_cascade(struct simstate *s, struct meta *owner)
{
	struct objlist *pods = &s->lists[K_POD], *rss = &s->lists[K_REPLICASET];

	if (owner->kind == K_DEPLOYMENT) {
		for (size_t i = rss->n; i-- > 0;)
			if (((struct replicaset *)rss->v[i])->owner == (struct deployment *)owner) {
				delete_cascade(s, rss->v[i]);
				if (i > rss->n)
					i = rss->n;
			}
	}
	for (size_t i = pods->n; i-- > 0;) {
		struct pod *p = (struct pod *)pods->v[i];

		if (p->owner == owner) {
			ctl_delete_pod(s, p, "owner_deleted");
			if (i > pods->n)
				i = pods->n;
		}
	}
	if (owner->kind == K_REPLICASET || owner->kind == K_DAEMONSET)
		store_remove(s, owner);
}

void api_delete(struct apireq *a)
{
	struct simstate *s = a->s;
	struct meta *m;

	if (a->res->kind == K_NODE) {
		api_status(a->resp, 405, "MethodNotAllowed", "the sim does not delete %s", a->res->name);
		return;
	}
	pthread_mutex_lock(&s->mu);
	m = store_get(s, a->res->kind, a->ns, a->name);
	if (!m) {
		api_not_found(a);
		goto out;
	}
	if (!api_delete_preconditions(a, m))
		goto out;
	render_obj(s, &a->resp->body, m);
	if (a->dry_run)
		goto out;
	switch (m->kind) {
	case K_POD:
		ctl_delete_pod(s, (struct pod *)m, "restart_pod");
		break;
	case K_DEPLOYMENT:
		faults_deployment_deleted(s, (struct deployment *)m);
		delete_cascade(s, m);
		store_remove(s, m);
		break;
	case K_REPLICASET:
	case K_DAEMONSET:
		delete_cascade(s, m);   /* removes m too */
		break;
	case K_LEASE:
		/* a node's heartbeat lease: the node forgets it (the kubelet would recreate it) */
		for (size_t i = 0; i < s->lists[K_NODE].n; i++)
			if (((struct node *)s->lists[K_NODE].v[i])->lease == (struct lease *)m)
				((struct node *)s->lists[K_NODE].v[i])->lease = NULL;
		store_remove(s, m);
		break;
	case K_NAMESPACE:
		if (store_namespace_busy(s, m->name)) {
			buf_reset(&a->resp->body);
			api_status(a->resp, 409, "Conflict", "the sim deletes only namespaces without pods, "
				   "deployments, replicasets or daemonsets (\"%s\" has some)", m->name);
			goto out;
		}
		store_namespace_purge(s, m->name);
		store_remove(s, m);
		break;
	default:
		if (m->kind >= K_GEN0)
			gen_delete(s, m);
		else
			store_remove(s, m);
		break;
	}
	ctl_reconcile(s);
out:
	pthread_mutex_unlock(&s->mu);
}

static struct meta *new_object(struct simstate *s, enum kind k, const char *ns, const char *name)
{
	size_t size = k == K_PDB ? sizeof(struct pdb) : k == K_LEASE ? sizeof(struct lease) : 0;
	struct meta *m;

	if (!size)
		return NULL;
	m = xcalloc(1, size);
	m->kind = k;
	m->name = xstrdup(name);
	m->ns = store_intern(ns);
	m->created_ms = s->now_ms;
	return m;
}

/* The simulated kinds a POST may create: PDBs and Leases (from the update fields). */
static void create_typed(struct apireq *a, json_t *obj, const char *name)
{
	struct simstate *s = a->s;
	struct meta *m = new_object(s, a->res->kind, a->ns, name);
	struct update u;

	if (read_update(a, m, obj, &u) == 0) {
		struct labels *t = m->labels;

		m->labels = u.labels;
		u.labels = t;
		t = m->annotations;
		m->annotations = u.annotations;
		u.annotations = t;
		if (m->kind == K_PDB) {
			struct pdb *d = (struct pdb *)m;

			d->has_min = u.has_min;
			d->percent = u.percent;
			d->value = u.value;
			d->always_allow = u.always_allow;
			d->policy_set = u.policy_set;
			d->selector = u.sel;
			u.sel = NULL;
			d->selector_json = u.sel_json;
			u.sel_json = NULL;
			ctl_pdb_status(s, d);
		} else {
			struct lease *l = (struct lease *)m;

			l->holder = u.holder;
			u.holder = NULL;
			l->duration_s = u.duration_s;
			l->transitions = u.transitions;
			l->acquire_ms = u.acquire_ms;
			l->renew_ms = u.renew_ms;
		}
		if (a->dry_run) {
			m->rv = s->rv;
			render_obj(s, &a->resp->body, m);
			obj_free(m);
		} else {
			store_add(s, m);
			render_obj(s, &a->resp->body, m);
		}
		a->resp->status = 201;
	} else {
		obj_free(m);
	}
	update_release(&u);
}

static void create_namespace(struct apireq *a, json_t *obj, const char *name)
{
	struct simstate *s = a->s;
	struct namespace_ *n = xcalloc(1, sizeof(*n));
	struct labels *l = labels_from(json_object_get(json_object_get(obj, "metadata"), "labels"));

	n->m.kind = K_NAMESPACE;
	n->m.name = xstrdup(name);
	n->m.created_ms = s->now_ms;
	n->m.labels = labels_with(l, "kubernetes.io/metadata.name", name);
	n->m.annotations = labels_from(json_object_get(json_object_get(obj, "metadata"), "annotations"));
	labels_unref(l);
	if (a->dry_run) {
		n->m.rv = s->rv;
		render_obj(s, &a->resp->body, &n->m);
		obj_free(&n->m);
	} else {
		store_add(s, &n->m);
		render_obj(s, &a->resp->body, &n->m);
	}
	a->resp->status = 201;
}

/*
 * A Deployment from a manifest: matchLabels selector, one container. Its
 * pods run the workload model with a small default usage (the manifest says
 * nothing about how busy the program is).
 */
static void create_deployment(struct apireq *a, json_t *obj, const char *name)
{
	struct simstate *s = a->s;
	json_t *spec = json_object_get(obj, "spec"), *sel = json_object_get(spec, "selector");
	json_t *ml = json_object_get(sel, "matchLabels");
	struct deployment *d;
	struct update u;
	char err[128];

	if (!json_is_object(ml) || !json_object_size(ml) || json_object_get(sel, "matchExpressions")) {
		invalid(a, "%s: the sim takes a selector with matchLabels only", "spec.selector");
		return;
	}
	d = xcalloc(1, sizeof(*d));
	d->m.kind = K_DEPLOYMENT;
	d->m.name = xstrdup(name);
	d->m.ns = store_intern(a->ns);
	d->m.created_ms = s->now_ms;
	d->match = labels_from(ml);
	selector_parse("", false, &d->selector, err, sizeof(err));
	for (int i = 0; i < d->match->n; i++)
		selector_add(d->selector, d->match->kv[2 * i], SEL_EQ, (const char *const *)&d->match->kv[2 * i + 1], 1);
	if (read_update(a, &d->m, obj, &u) == 0) {
		d->m.labels = u.labels;
		u.labels = NULL;
		d->m.annotations = labels_with(u.annotations, "deployment.kubernetes.io/revision", NULL);
		d->replicas = u.replicas;
		d->tpl = u.tpl;
		memset(&u.tpl, 0, sizeof(u.tpl));
		d->usage = (struct usage){ .cpu = 0.02, .mem = 48 * 1048576.0, .rx_bps = 1024, .tx_bps = 1024 };
		if (a->dry_run) {
			d->m.rv = s->rv;
			render_obj(s, &a->resp->body, &d->m);
			obj_free(&d->m);
		} else {
			store_add(s, &d->m);
			ctl_reconcile(s);
			render_obj(s, &a->resp->body, &d->m);
		}
		a->resp->status = 201;
	} else {
		obj_free(&d->m);
	}
	update_release(&u);
}

/* A generateName: the prefix and five random characters, as the API server makes them. */
static char *generated_name(struct simstate *s, const char *prefix)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	char suffix[6];
	uint64_t r = store_rand(s);
	struct buf b = BUF_INIT;

	for (int i = 0; i < 5; i++) {
		suffix[i] = alnum[r % 27];
		r /= 27;
	}
	suffix[5] = '\0';
	buf_addf(&b, "%s%s", prefix, suffix);
	return buf_detach(&b, NULL);
}

void api_create(struct apireq *a)
{
	struct simstate *s = a->s;
	enum kind k = a->res->kind;
	json_t *obj = NULL, *md;
	const char *ns, *gen;
	char *name = NULL;

	if (k == K_EVENT) {
		events_core_create(a);
		return;
	}
	if (k != K_PDB && k != K_LEASE && k != K_NAMESPACE && k != K_DEPLOYMENT && k < K_GEN0) {
		api_status(a->resp, 405, "MethodNotAllowed", "the sim does not create %s (pods come from their "
			   "controllers; evictions are a pods subresource)", a->res->name);
		goto out;
	}
	obj = api_body_json(a->r, a->resp);
	if (!obj)
		goto out;
	md = json_object_get(obj, "metadata");
	ns = json_string_value(json_object_get(md, "namespace"));
	gen = json_string_value(json_object_get(md, "generateName"));
	name = xstrdup(json_string_value(json_object_get(md, "name")) ? json_string_value(json_object_get(md, "name")) : "");
	if (ns && a->ns && strcmp(ns, a->ns)) {
		api_status(a->resp, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
		goto out;
	}
	if (a->res->namespaced && !a->ns) {
		api_status(a->resp, 405, "MethodNotAllowed", "create %s in a namespace", a->res->name);
		goto out;
	}
	pthread_mutex_lock(&s->mu);
	if (!*name && gen && *gen && strlen(gen) < 240) {
		free(name);
		name = generated_name(s, gen);
	}
	a->name = name;
	if (!*name || strlen(name) > 253 || strchr(name, '/')) {
		api_status(a->resp, 422, "Invalid", "%s%s%s \"\" is invalid: metadata.name: Required value: name or generateName is required",
			   a->res->name, *a->res->group ? "." : "", a->res->group);
	} else if (a->res->namespaced && !store_get(s, K_NAMESPACE, NULL, a->ns)) {
		api_status(a->resp, 404, "NotFound", "namespaces \"%s\" not found", a->ns);
	} else if (store_get(s, k, a->res->namespaced ? a->ns : NULL, name)) {
		api_status(a->resp, 409, "AlreadyExists", "%s%s%s \"%s\" already exists", a->res->name,
			   *a->res->group ? "." : "", a->res->group, name);
	} else if (k >= K_GEN0) {
		gen_create(a, obj, name);
	} else if (k == K_NAMESPACE) {
		create_namespace(a, obj, name);
	} else if (k == K_DEPLOYMENT) {
		create_deployment(a, obj, name);
	} else {
		create_typed(a, obj, name);
	}
	pthread_mutex_unlock(&s->mu);
out:
	a->name = NULL;
	free(name);
	json_decref(obj);
}

static void render_scale(struct buf *b, const struct meta *m, int replicas, int status_replicas,
			 const struct labels *match)
{
	char uid[37];

	store_uid(m->uid, uid);
	buf_adds(b, "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":");
	buf_add_json_str(b, m->name);
	buf_adds(b, ",\"namespace\":");
	buf_add_json_str(b, m->ns);
	buf_addf(b, ",\"uid\":\"%s\",\"resourceVersion\":\"%llu\",\"creationTimestamp\":", uid,
		 (unsigned long long)m->rv);
	render_time(b, m->created_ms);
	buf_addf(b, "},\"spec\":{\"replicas\":%d},\"status\":{\"replicas\":%d,\"selector\":\"", replicas,
		 status_replicas);
	for (int i = 0; match && i < match->n; i++)
		buf_addf(b, "%s%s=%s", i ? "," : "", match->kv[2 * i], match->kv[2 * i + 1]);
	buf_adds(b, "\"}}");
}

void api_scale(struct apireq *a)
{
	struct simstate *s = a->s;
	struct meta *m;
	int *replicas, cur, st;
	const struct labels *match;
	json_t *obj = NULL;
	char err[300];

	pthread_mutex_lock(&s->mu);
	m = a->name ? store_get(s, a->res->kind, a->ns, a->name) : NULL;
	if (!m) {
		api_not_found(a);
		goto out;
	}
	if (m->kind == K_DEPLOYMENT) {
		replicas = &((struct deployment *)m)->replicas;
		st = ((struct deployment *)m)->st_replicas;
		match = ((struct deployment *)m)->match;
	} else {
		replicas = &((struct replicaset *)m)->replicas;
		st = ((struct replicaset *)m)->st_replicas;
		match = ((struct replicaset *)m)->match;
	}
	cur = *replicas;
	if (!strcmp(a->r->method, "GET")) {
		render_scale(&a->resp->body, m, cur, st, match);
		goto out;
	}
	if (strcmp(a->r->method, "PATCH") && strcmp(a->r->method, "PUT")) {
		api_status(a->resp, 405, "MethodNotAllowed", "scale takes GET, PATCH and PUT");
		goto out;
	}
	{
		struct buf b = BUF_INIT;
		enum patch_type pt;
		json_t *r;

		render_scale(&b, m, cur, st, match);
		obj = json_loadb(b.data, b.len, 0, NULL);
		buf_release(&b);
		if (!strcmp(a->r->method, "PUT")) {
			json_decref(obj);
			obj = json_loadb(a->r->body, a->r->body_len, 0, NULL);
		} else if (patch_type_from_content_type(httpd_req_header(a->r, "Content-Type"), &pt)) {
			api_status(a->resp, 415, "UnsupportedMediaType", "unsupported patch type");
			goto out;
		} else if (patch_apply(&obj, pt, a->r->body, a->r->body_len, err, sizeof(err))) {
			api_status(a->resp, 400, "BadRequest", "%s", err);
			goto out;
		}
		if (check_rv(a, m, obj))
			goto out;
		r = json_object_get(json_object_get(obj, "spec"), "replicas");
		if (!json_is_integer(r) || json_integer_value(r) < 0 || json_integer_value(r) > 100000) {
			api_status(a->resp, 422, "Invalid", "Scale.autoscaling \"%s\" is invalid: spec.replicas: Invalid value: "
				   "must be an integer from 0 to 100000", m->name);
			goto out;
		}
		if (a->dry_run) {
			render_scale(&a->resp->body, m, (int)json_integer_value(r), st, match);
			goto out;
		}
		*replicas = (int)json_integer_value(r);
		if (*replicas != cur) {
			m->generation++;
			store_touch(s, m);
			ctl_reconcile(s);
			if (m->kind == K_DEPLOYMENT)
				faults_deployment_changed(s, (struct deployment *)m, true);
		}
		render_scale(&a->resp->body, m, *replicas, m->kind == K_DEPLOYMENT ?
			     ((struct deployment *)m)->st_replicas : ((struct replicaset *)m)->st_replicas, match);
	}
out:
	json_decref(obj);
	pthread_mutex_unlock(&s->mu);
}


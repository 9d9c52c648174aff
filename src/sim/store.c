#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/store.h"
#include "sim/generic.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

/* ---- labels ---- */

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((char *const *)a)[0], ((char *const *)b)[0]);
}

struct labels *labels_new(const char *const *kv, int n)
{
	struct labels *l = xmalloc(sizeof(*l) + 2 * (size_t)n * sizeof(char *));

	l->refs = 1;
	l->n = n;
	for (int i = 0; i < 2 * n; i++)
		l->kv[i] = xstrdup(kv[i]);
	qsort(l->kv, (size_t)n, 2 * sizeof(char *), kv_cmp);
	return l;
}

struct labels *labels_ref(struct labels *l)
{
	if (l)
		__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
	return l;
}

void labels_unref(struct labels *l)
{
	if (!l || __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (int i = 0; i < 2 * l->n; i++)
		free(l->kv[i]);
	free(l);
}

const char *labels_get(const struct labels *l, const char *key)
{
	for (int i = 0; l && i < l->n; i++)
		if (!strcmp(l->kv[2 * i], key))
			return l->kv[2 * i + 1];
	return NULL;
}

struct labels *labels_with(const struct labels *l, const char *key, const char *value)
{
	int n = l ? l->n : 0, m = 0;
	const char **kv = xcalloc(2 * (size_t)n + 2, sizeof(char *));
	struct labels *out;

	for (int i = 0; i < n; i++) {
		if (!strcmp(l->kv[2 * i], key))
			continue;
		kv[2 * m] = l->kv[2 * i];
		kv[2 * m + 1] = l->kv[2 * i + 1];
		m++;
	}
	if (value) {
		kv[2 * m] = key;
		kv[2 * m + 1] = value;
		m++;
	}
	out = labels_new(kv, m);
	free(kv);
	return out;
}

bool labels_equal(const struct labels *a, const struct labels *b)
{
	int na = a ? a->n : 0, nb = b ? b->n : 0;

	if (na != nb)
		return false;
	for (int i = 0; i < 2 * na; i++)
		if (strcmp(a->kv[i], b->kv[i]))
			return false;
	return true;
}

/* ---- namespaces are interned: objects point at one shared copy ---- */

static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static char **interned;
static size_t ninterned, capinterned;

const char *store_intern(const char *ns)
{
	const char *r = NULL;

	if (!ns)
		return NULL;
	pthread_mutex_lock(&intern_mu);
	for (size_t i = 0; i < ninterned; i++)
		if (!strcmp(interned[i], ns)) {
			r = interned[i];
			break;
		}
	if (!r && ninterned < 100000) {
		ARRAY_GROW(interned, capinterned, ninterned + 1);
		interned[ninterned] = xstrdup(ns);
		r = interned[ninterned++];
	}
	pthread_mutex_unlock(&intern_mu);
	return r ? r : "default";
}

/* ---- the store ---- */

void store_init(struct simstate *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->seed = seed;
	s->rng = seed ^ 0x9e3779b97f4a7c15ull;
	s->rv = 1000;
	s->next_uid = seed * 1000003u + 1;
	s->speed = 1;
	s->max_events = 10000;
	for (int k = 0; k < K__COUNT; k++) {
		s->rings[k].cap = watchring_cap((enum kind)k);
		s->rings[k].ev = xcalloc(s->rings[k].cap, sizeof(struct wevent));
	}
	s->event_fifo = xcalloc(s->max_events, sizeof(*s->event_fifo));
}

size_t watchring_cap(enum kind k)
{
	switch (k) {
	case K_POD: return 8192;
	case K_EVENT: return 4096;
	default: return k >= K_GEN0 ? 256 : 1024;
	}
}

static void ring_drop(struct wevent *e)
{
	free(e->name);
	free(e->node);
	free(e->json);
	free(e->cells);
	labels_unref(e->labels);
	memset(e, 0, sizeof(*e));
}

void store_release(struct simstate *s)
{
	free(s->by_node.v);
	memset(&s->by_node, 0, sizeof(s->by_node));
	for (int k = 0; k < K__COUNT; k++) {
		for (size_t i = 0; i < s->lists[k].n; i++)
			obj_free(s->lists[k].v[i]);
		free(s->lists[k].v);
	}
	for (int k = 0; k < K__COUNT; k++) {
		struct watchring *w = &s->rings[k];

		for (uint64_t i = w->first; i < w->next; i++)
			ring_drop(&w->ev[i % w->cap]);
		free(w->ev);
	}
	free(s->event_fifo);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
}

uint64_t store_next_rv(struct simstate *s)
{
	return ++s->rv;
}

/* splitmix64: deterministic for a seed. */
uint64_t store_rand(struct simstate *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void store_uid(uint64_t uid, char out[37])
{
	uint64_t a = uid * 0x9e3779b97f4a7c15ull, b = (uid ^ 0x5bd1e995u) * 0xc2b2ae3d27d4eb4full;

	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xfff, (unsigned)(b >> 52) & 0xfff, (unsigned long long)(b & 0xffffffffffffull));
}

char *store_pod_name(struct simstate *s, const char *prefix)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	char suffix[6];
	uint64_t r = store_rand(s);

	for (int i = 0; i < 5; i++) {
		suffix[i] = alnum[r % 27];
		r /= 27;
	}
	suffix[5] = '\0';
	{
		size_t n = strlen(prefix) + 7;
		char *out = xmalloc(n);

		snprintf(out, n, "%s-%s", prefix, suffix);
		return out;
	}
}

static int key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int c = strcmp(ns1 ? ns1 : "", ns2 ? ns2 : "");

	return c ? c : strcmp(n1, n2);
}

size_t store_lower_bound(const struct objlist *l, const char *ns, const char *name, bool after)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(l->v[mid]->ns, l->v[mid]->name, ns, name);

		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct meta *store_get(struct simstate *s, enum kind k, const char *ns, const char *name)
{
	struct objlist *l = &s->lists[k];
	size_t i = store_lower_bound(l, ns, name, false);

	if (i < l->n && !key_cmp(l->v[i]->ns, l->v[i]->name, ns, name))
		return l->v[i];
	return NULL;
}

static int meta_cmp(const void *a, const void *b)
{
	const struct meta *x = *(struct meta *const *)a, *y = *(struct meta *const *)b;

	return key_cmp(x->ns, x->name, y->ns, y->name);
}

void store_sort(struct simstate *s, enum kind k)
{
	if (s->lists[k].n)
		qsort(s->lists[k].v, s->lists[k].n, sizeof(struct meta *), meta_cmp);
}

static void fifo_push_event(struct simstate *s, struct meta *m)
{
	if (s->nevents_fifo == s->max_events) {
		struct meta *old = s->event_fifo[s->event_head];

		s->event_fifo[s->event_head] = NULL;
		s->event_head = (s->event_head + 1) % s->max_events;
		s->nevents_fifo--;
		if (old) {
			s->evicting = old;      /* already out of the FIFO: store_remove need not look */
			store_remove(s, old);
			s->evicting = NULL;
		}
	}
	s->event_fifo[(s->event_head + s->nevents_fifo) % s->max_events] = m;
	s->nevents_fifo++;
}

void store_add(struct simstate *s, struct meta *m)
{
	struct objlist *l = &s->lists[m->kind];
	size_t i;

	m->uid = s->next_uid++;
	m->rv = store_next_rv(s);
	if (!m->generation)
		m->generation = 1;
	ARRAY_GROW(l->v, l->cap, l->n + 1);
	if (s->quiet) {
		l->v[l->n++] = m;       /* the caller sorts after the bulk load */
	} else {
		i = store_lower_bound(l, m->ns, m->name, false);
		memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
		l->v[i] = m;
		l->n++;
	}
	if (m->kind == K_EVENT)
		fifo_push_event(s, m);
	if (!s->quiet)
		store_publish(s, m, 'A');
}

void store_touch(struct simstate *s, struct meta *m)
{
	m->rv = store_next_rv(s);
	if (!s->quiet)
		store_publish(s, m, 'M');
}

void store_remove(struct simstate *s, struct meta *m)
{
	struct objlist *l = &s->lists[m->kind];
	size_t i = store_lower_bound(l, m->ns, m->name, false);

	if (i >= l->n || l->v[i] != m)
		return;
	memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
	l->n--;
	if (m->kind == K_EVENT && m != s->evicting) {
		for (size_t j = 0; j < s->nevents_fifo; j++) {
			size_t at = (s->event_head + j) % s->max_events;

			if (s->event_fifo[at] == m)
				s->event_fifo[at] = NULL;
		}
	}
	m->rv = store_next_rv(s);
	if (!s->quiet)
		store_publish(s, m, 'D');
	obj_free(m);
}

void store_publish(struct simstate *s, struct meta *m, char type)
{
	struct wevent *e;
	struct buf b = BUF_INIT;
	char tmp[32];

	struct watchring *w = &s->rings[m->kind];

	if (w->next - w->first == w->cap) {
		e = &w->ev[w->first % w->cap];
		w->floor_rv = e->rv;
		ring_drop(e);
		w->first++;
	}
	e = &w->ev[w->next % w->cap];
	e->rv = m->rv;
	e->kind = m->kind;
	e->type = type;
	e->ns = m->ns;
	e->name = xstrdup(m->name);
	e->labels = labels_ref(m->labels);
	if (m->kind == K_POD) {
		const char *node = obj_field(m, "spec.nodeName", tmp);

		e->node = node && *node ? xstrdup(node) : NULL;
		e->phase = ((struct pod *)m)->phase;
	}
	render_obj(s, &b, m);
	e->json = buf_detach(&b, NULL);
	table_cells(s, &b, m);
	e->cells = buf_detach(&b, NULL);
	w->next++;
	pthread_cond_broadcast(&s->cond);
}

void store_event(struct simstate *s, struct meta *inv, const char *reason, bool warning,
		 const char *component, const char *fmt, ...)
{
	struct event *e;
	char msg[512], name[300];
	va_list ap;
	int64_t now = s->now_ms;

	if (s->quiet || !inv)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The kubelet aggregates repeats into one Event with a count. */
	for (size_t j = 0; j < s->nevents_fifo && j < 64; j++) {
		size_t at = (s->event_head + s->nevents_fifo - 1 - j) % s->max_events;
		struct event *old = (struct event *)s->event_fifo[at];

		if (old && old->inv_uid == inv->uid && !strcmp(old->reason, reason) &&
		    !strcmp(old->message, msg)) {
			old->count++;
			old->last_ms = now;
			store_touch(s, &old->m);
			return;
		}
	}
	e = xcalloc(1, sizeof(*e));
	e->m.kind = K_EVENT;
	/* As the kubelet names them: the object, then a time-ordered hex suffix. */
	snprintf(name, sizeof(name), "%s.%016llx", inv->name,
		 (unsigned long long)now * 1000000ull + (++s->event_seq % 1000000ull));
	e->m.name = xstrdup(name);
	e->m.ns = inv->ns ? inv->ns : store_intern("default");
	e->m.created_ms = now;
	e->inv_kind = inv->kind;
	e->inv_name = xstrdup(inv->name);
	e->inv_uid = inv->uid;
	e->reason = xstrdup(reason);
	e->message = xstrdup(msg);
	e->warning = warning;
	e->count = 1;
	e->first_ms = e->last_ms = now;
	e->component = component;
	if (inv->kind == K_POD && ((struct pod *)inv)->node)
		e->host = xstrdup(((struct pod *)inv)->node->m.name);
	if (inv->kind == K_POD && !strcmp(component, "kubelet"))
		e->container = xstrdup(((struct pod *)inv)->c.name);
	else if (inv->kind == K_NODE)
		e->host = xstrdup(inv->name);
	store_add(s, &e->m);
}

static bool in_ns(const struct objlist *l, const char *ns)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i]->ns && !strcmp(l->v[i]->ns, ns))
			return true;
	return false;
}

/* A namespace holding simulated workloads stays (their controllers would need a graceful teardown). */
bool store_namespace_busy(struct simstate *s, const char *ns)
{
	return in_ns(&s->lists[K_POD], ns) || in_ns(&s->lists[K_DEPLOYMENT], ns) ||
	       in_ns(&s->lists[K_REPLICASET], ns) || in_ns(&s->lists[K_DAEMONSET], ns);
}

/* Deletes what else lives in the namespace (stored kinds, PDBs, leases, events). */
void store_namespace_purge(struct simstate *s, const char *ns)
{
	for (int k = 0; k < K__COUNT; k++) {
		struct objlist *l = &s->lists[k];

		if (k == K_NODE || k == K_NAMESPACE)
			continue;
		for (size_t i = l->n; i-- > 0;) {
			if (i >= l->n || !l->v[i]->ns || strcmp(l->v[i]->ns, ns))
				continue;
			if (k == K_LEASE)
				for (size_t j = 0; j < s->lists[K_NODE].n; j++)
					if (((struct node *)s->lists[K_NODE].v[j])->lease == (struct lease *)l->v[i])
						((struct node *)s->lists[K_NODE].v[j])->lease = NULL;
			store_remove(s, l->v[i]);
		}
	}
}

int64_t store_clock(const struct simstate *s)
{
	return s->virt_base_ms + (int64_t)((double)(time_mono_ms() - s->mono_base_ms) * s->speed);
}

void tpl_release(struct podtemplate *t)
{
	labels_unref(t->labels);
	labels_unref(t->annotations);
	free(t->c.name);
	free(t->c.image);
	memset(t, 0, sizeof(*t));
}

void obj_free(struct meta *m)
{
	if (!m)
		return;
	switch (m->kind) {
	case K_POD: {
		struct pod *p = (struct pod *)m;

		free(p->c.name);
		free(p->c.image);
		podsim_free(p->sim);
		free(p->sched_msg);
		free(p->fx);
		break;
	}
	case K_DEPLOYMENT:
		selector_free(((struct deployment *)m)->selector);
		labels_unref(((struct deployment *)m)->match);
		tpl_release(&((struct deployment *)m)->tpl);
		break;
	case K_REPLICASET:
		labels_unref(((struct replicaset *)m)->match);
		tpl_release(&((struct replicaset *)m)->tpl);
		break;
	case K_DAEMONSET:
		labels_unref(((struct daemonset *)m)->match);
		tpl_release(&((struct daemonset *)m)->tpl);
		break;
	case K_PDB:
		selector_free(((struct pdb *)m)->selector);
		free(((struct pdb *)m)->selector_json);
		break;
	case K_EVENT: {
		struct event *e = (struct event *)m;

		free(e->inv_name);
		free(e->reason);
		free(e->message);
		free(e->host);
		free(e->container);
		if (e->api) {
			free(e->api->kind);
			free(e->api->api_version);
			free(e->api->uid);
			free(e->api->controller);
			free(e->api->instance);
			free(e->api->action);
			free(e->api);
		}
		break;
	}
	case K_LEASE:
		free(((struct lease *)m)->holder);
		break;
	default:
		if (m->kind >= K_GEN0)
			gen_free(m);
		break;
	}
	labels_unref(m->labels);
	labels_unref(m->annotations);
	free(m->name);
	free(m);
}

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kube/fastparse.h"
#include "kube/jsonskim.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * A reader over JSON text that walks objects member by member. Every
 * helper returns false when the text is not what the typed parsers accept
 * without a question; the caller then declines (-ENOTSUP) and jansson
 * decides. Values are read as the jansson-based parsers read them (see
 * kube/objects.c): null is absent, a number is a JSON number or a quantity
 * string, a later duplicate key replaces an earlier one.
 */
struct rd {
	const char *p, *end;
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

static bool eat(struct rd *r, char c)
{
	ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static bool peek(struct rd *r, char c)
{
	ws(r);
	return r->p < r->end && *r->p == c;
}

/* A string without escapes or control characters: [*s, *s + *n). */
static bool str(struct rd *r, const char **s, size_t *n)
{
	const char *q;

	if (!eat(r, '"'))
		return false;
	/* escapes and non-ASCII (jansson checks UTF-8) are jansson's to read */
	for (q = r->p; q < r->end && *q != '"'; q++)
		if (*q == '\\' || (unsigned char)*q < 0x20 || (unsigned char)*q >= 0x80)
			return false;
	if (q >= r->end)
		return false;
	*s = r->p;
	*n = (size_t)(q - r->p);
	r->p = q + 1;
	return true;
}

static bool skip(struct rd *r)
{
	const char *q = json_skim_value_end(r->p, r->end);
	if (!q)
		return false;
	r->p = q;
	return true;
}

static bool is_null(struct rd *r)
{
	ws(r);
	if (r->end - r->p >= 4 && !memcmp(r->p, "null", 4)) {
		r->p += 4;
		return true;
	}
	return false;
}

/*
 * Object members: call with *first = true at the '{'; each call reads the
 * next key into k/kn and leaves the reader at its value; false at the end
 * of the object (*ok says whether it ended well).
 */
static bool member(struct rd *r, bool *first, const char **k, size_t *kn, bool *ok)
{
	*ok = false;
	if (*first) {
		*first = false;
		if (!eat(r, '{'))
			return false;
		if (eat(r, '}')) {
			*ok = true;
			return false;
		}
	} else if (!eat(r, ',')) {
		*ok = eat(r, '}');
		return false;
	}
	if (!str(r, k, kn) || !eat(r, ':'))
		return false;
	*ok = true;
	return true;
}

#define KEY(k, kn, lit) ((kn) == sizeof(lit) - 1 && !memcmp((k), (lit), sizeof(lit) - 1))

/* A string member's value into *out (replacing it); null leaves it absent. */
static bool get_str(struct rd *r, char **out)
{
	const char *s;
	size_t n;

	free(*out);
	*out = NULL;
	if (is_null(r))
		return true;
	if (!str(r, &s, &n))
		return false;
	*out = xstrndup(s, n);
	return true;
}

/* A number as get_num() reads it: NaN when null. */
static bool get_num(struct rd *r, double *out)
{
	char buf[64];
	const char *s = r->p, *q;
	size_t n;

	*out = NAN;
	if (is_null(r))
		return true;
	ws(r);
	if (peek(r, '"')) {
		if (!str(r, &s, &n) || n >= sizeof(buf))
			return false;
		memcpy(buf, s, n);
		buf[n] = '\0';
		return str_to_quantity(buf, out) == 0;
	}
	s = r->p;
	q = json_skim_value_end(s, r->end);
	if (!q || (*s != '-' && (*s < '0' || *s > '9')))
		return false;
	n = (size_t)(q - s);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strpbrk(buf, ".eE")) {
		/* jansson reads an integer as a long long and refuses a bigger one */
		char *e;
		long long v;
		if (n > (*s == '-' ? 19u : 18u))
			return false;
		v = strtoll(buf, &e, 10);
		if (*e)
			return false;
		*out = (double)v;
	} else {
		char *e;
		*out = strtod(buf, &e);
		if (*e || !isfinite(*out))
			return false;
	}
	r->p = q;
	return true;
}

static bool get_time(struct rd *r, int64_t *out)
{
	char *s = NULL;
	bool ok = get_str(r, &s) && (!s || time_parse(s, out) == 0);

	if (!s)
		*out = 0;
	free(s);
	return ok;
}

/* The members of an object (the reader at its '{') that fn reads; the rest skipped. */
typedef bool (*member_fn)(struct rd *r, const char *k, size_t kn, void *ctx);

static bool object(struct rd *r, member_fn fn, void *ctx)
{
	bool first = true, ok;
	const char *k;
	size_t kn;

	if (!peek(r, '{'))
		return false;
	while (member(r, &first, &k, &kn, &ok))
		if (!fn(r, k, kn, ctx))
			return false;
	return ok;
}

/* An object whose members are all numbers, the wanted one into *out. */
struct numfield {
	const char *key;
	double *out;
};

static bool num_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct numfield *f = ctx;
	if (strlen(f->key) == kn && !memcmp(k, f->key, kn))
		return get_num(r, f->out);
	return skip(r);
}

static bool num_in(struct rd *r, const char *key, double *out)
{
	struct numfield f = { key, out };
	*out = NAN;
	if (is_null(r))
		return true;
	return object(r, num_member, &f);
}

/* ---- kubelet summary ---- */

static bool podref_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct kube_pod_stats *p = ctx;
	if (KEY(k, kn, "name"))
		return get_str(r, &p->name);
	if (KEY(k, kn, "namespace"))
		return get_str(r, &p->namespace);
	return skip(r);
}

static bool network_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct kube_pod_stats *p = ctx;
	if (KEY(k, kn, "time"))
		return get_time(r, &p->net_ts_ms);
	if (KEY(k, kn, "rxBytes"))
		return get_num(r, &p->rx_bytes);
	if (KEY(k, kn, "txBytes"))
		return get_num(r, &p->tx_bytes);
	if (KEY(k, kn, "rxErrors"))
		return get_num(r, &p->rx_errors);
	if (KEY(k, kn, "txErrors"))
		return get_num(r, &p->tx_errors);
	return skip(r);
}

static bool pod_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct kube_pod_stats *p = ctx;

	if (KEY(k, kn, "podRef")) {
		free(p->name);
		free(p->namespace);
		p->name = p->namespace = NULL;
		return is_null(r) || object(r, podref_member, p);
	}
	if (KEY(k, kn, "network")) {
		p->net_ts_ms = 0;
		p->rx_bytes = p->tx_bytes = p->rx_errors = p->tx_errors = NAN;
		return is_null(r) || object(r, network_member, p);
	}
	if (KEY(k, kn, "cpu")) {
		bool ok = num_in(r, "usageNanoCores", &p->cpu_cores);
		p->cpu_cores *= 1e-9;
		return ok;
	}
	if (KEY(k, kn, "memory"))
		return num_in(r, "workingSetBytes", &p->mem_bytes);
	if (KEY(k, kn, "ephemeral-storage"))
		return num_in(r, "usedBytes", &p->fs_used_bytes);
	return skip(r);
}

static void stats_init(struct kube_pod_stats *p)
{
	memset(p, 0, sizeof(*p));
	p->rx_bytes = p->tx_bytes = p->rx_errors = p->tx_errors = NAN;
	p->cpu_cores = p->mem_bytes = p->fs_used_bytes = NAN;
}

static void pods_clear(struct kube_summary *s)
{
	for (size_t i = 0; i < s->npods; i++) {
		free(s->pods[i].namespace);
		free(s->pods[i].name);
	}
	free(s->pods);
	s->pods = NULL;
	s->npods = 0;
}

static bool pods_array(struct rd *r, struct kube_summary *s)
{
	size_t cap = 0;

	pods_clear(s);
	if (is_null(r))
		return true;
	if (!eat(r, '['))
		return false;
	if (eat(r, ']'))
		return true;
	do {
		struct kube_pod_stats *p;
		if (s->npods == cap)
			ARRAY_GROW(s->pods, cap, s->npods + 1);
		p = &s->pods[s->npods++];
		stats_init(p);
		if (!object(r, pod_member, p))
			return false;
		/* required, as need_str() has it */
		if (!p->name || !p->namespace)
			return false;
	} while (eat(r, ','));
	return eat(r, ']');
}

static bool node_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	if (KEY(k, kn, "nodeName"))
		return get_str(r, ctx);
	return skip(r);
}

static bool summary_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct kube_summary *s = ctx;

	if (KEY(k, kn, "node")) {
		free(s->node);
		s->node = NULL;
		return is_null(r) || object(r, node_member, &s->node);
	}
	if (KEY(k, kn, "pods"))
		return pods_array(r, s);
	return skip(r);
}

int kube_summary_parse_text(const char *text, size_t len, struct kube_summary *out)
{
	struct rd r = { text, text + len };
	struct kube_summary s;

	memset(&s, 0, sizeof(s));
	if (!object(&r, summary_member, &s) || (ws(&r), r.p != r.end) || !s.node) {
		kube_summary_release(&s);
		return -ENOTSUP;
	}
	*out = s;
	return 0;
}

/* ---- metrics.k8s.io PodMetricsList ---- */

struct pm {
	struct kube_pod_metrics m;
	double cpu, mem;                /* this container's */
};

static bool meta_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct kube_pod_metrics *m = ctx;
	if (KEY(k, kn, "name"))
		return get_str(r, &m->name);
	if (KEY(k, kn, "namespace"))
		return get_str(r, &m->namespace);
	return skip(r);
}

static bool usage_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct pm *p = ctx;
	if (KEY(k, kn, "cpu"))
		return get_num(r, &p->cpu);
	if (KEY(k, kn, "memory"))
		return get_num(r, &p->mem);
	return skip(r);
}

static bool container_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct pm *p = ctx;
	if (KEY(k, kn, "usage")) {
		p->cpu = p->mem = NAN;
		return is_null(r) || object(r, usage_member, p);
	}
	return skip(r);
}

/* sum_usage(): NaN without containers, else the sum (NaN if one lacks it) */
static bool containers(struct rd *r, struct pm *p)
{
	double cpu = 0, mem = 0;
	size_t n = 0;

	p->m.cpu_cores = p->m.mem_bytes = NAN;
	if (is_null(r))
		return true;
	if (!eat(r, '['))
		return false;
	if (!eat(r, ']')) {
		do {
			p->cpu = p->mem = NAN;
			if (!object(r, container_member, p))
				return false;
			cpu = isnan(p->cpu) || isnan(cpu) ? NAN : cpu + p->cpu;
			mem = isnan(p->mem) || isnan(mem) ? NAN : mem + p->mem;
			n++;
		} while (eat(r, ','));
		if (!eat(r, ']'))
			return false;
	}
	if (n) {
		p->m.cpu_cores = cpu;
		p->m.mem_bytes = mem;
	}
	return true;
}

static bool item_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	struct pm *p = ctx;

	if (KEY(k, kn, "metadata")) {
		free(p->m.name);
		free(p->m.namespace);
		p->m.name = p->m.namespace = NULL;
		return is_null(r) || object(r, meta_member, &p->m);
	}
	if (KEY(k, kn, "timestamp"))
		return get_time(r, &p->m.ts_ms);
	if (KEY(k, kn, "window")) {
		char *s = NULL;
		bool ok = get_str(r, &s) && (!s || str_to_duration_ms(s, &p->m.window_ms) == 0);
		if (!s)
			p->m.window_ms = 0;
		free(s);
		return ok;
	}
	if (KEY(k, kn, "containers"))
		return containers(r, p);
	return skip(r);
}

struct list {
	struct kube_pod_metrics *v;
	size_t n, cap;
	bool seen;                      /* an items member */
};

static void list_clear(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		kube_pod_metrics_release(&l->v[i]);
	l->n = 0;
}

static bool items_array(struct rd *r, struct list *l)
{
	list_clear(l);
	if (is_null(r))
		return true;
	if (!eat(r, '['))
		return false;
	if (eat(r, ']'))
		return true;
	do {
		struct pm p;
		memset(&p, 0, sizeof(p));
		p.m.cpu_cores = p.m.mem_bytes = NAN;
		if (!object(r, item_member, &p) || !p.m.name || !p.m.namespace) {
			kube_pod_metrics_release(&p.m);
			return false;
		}
		if (l->n == l->cap)
			ARRAY_GROW(l->v, l->cap, l->n + 1);
		l->v[l->n++] = p.m;
	} while (eat(r, ','));
	return eat(r, ']');
}

static bool list_member(struct rd *r, const char *k, size_t kn, void *ctx)
{
	if (KEY(k, kn, "items"))
		return items_array(r, ctx);
	return skip(r);
}

int kube_pod_metrics_list_parse_text(const char *text, size_t len,
				     struct kube_pod_metrics **out, size_t *n)
{
	struct rd r = { text, text + len };
	struct list l;

	memset(&l, 0, sizeof(l));
	if (!object(&r, list_member, &l) || (ws(&r), r.p != r.end)) {
		list_clear(&l);
		free(l.v);
		return -ENOTSUP;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/api.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define NODE_OVERHEAD_CPU 0.15                  /* system daemons outside pods */
#define NODE_OVERHEAD_MEM (900.0 * 1048576)

static void pod_metrics(const struct pod *p, struct podsim_metrics *pm)
{
	if (p->sim)
		podsim_metrics(p->sim, pm);
	else
		memset(pm, 0, sizeof(*pm));
}

static void usage_json(struct buf *b, double cpu, double mem)
{
	buf_addf(b, "{\"cpu\":\"%lldn\",\"memory\":\"%lldKi\"}", (long long)llround(cpu * 1e9),
		 (long long)llround(mem / 1024));
}

static void item_meta(struct buf *b, const struct meta *m, int64_t now, const char *kind)
{
	if (kind)
		buf_addf(b, "{\"kind\":\"%s\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{\"name\":", kind);
	else
		buf_adds(b, "{\"metadata\":{\"name\":");
	buf_add_json_str(b, m->name);
	if (m->ns) {
		buf_adds(b, ",\"namespace\":");
		buf_add_json_str(b, m->ns);
	}
	buf_adds(b, ",\"creationTimestamp\":");
	render_time(b, now);
	buf_adds(b, "},\"timestamp\":");
	render_time(b, now);
	buf_adds(b, ",\"window\":\"10s\"");
}

static const char *lbl_get(const void *ctx, const char *key)
{
	return labels_get(ctx, key);
}

/* /apis/metrics.k8s.io/v1beta1/{nodes[/N] | pods | namespaces/NS/pods[/N]} */
void metrics_api(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp, const char *path)
{
	const char *p = path + strlen("/apis/metrics.k8s.io/v1beta1");
	char ns[254] = "", name[254] = "";
	bool nodes = false, single;
	struct selector *sel = NULL;
	char err[200];
	struct buf *b = &resp->body;
	size_t count = 0;

	if (str_starts_with(p, "/nodes")) {
		nodes = true;
		p += strlen("/nodes");
	} else if (str_starts_with(p, "/pods")) {
		p += strlen("/pods");
	} else if (str_starts_with(p, "/namespaces/")) {
		const char *slash = strchr(p + 12, '/');

		if (!slash || !str_starts_with(slash, "/pods") || (size_t)(slash - p - 12) >= sizeof(ns)) {
			api_status(resp, 404, "NotFound", "the server could not find the requested resource");
			return;
		}
		memcpy(ns, p + 12, (size_t)(slash - p - 12));
		ns[slash - p - 12] = '\0';
		p = slash + strlen("/pods");
	} else {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (*p == '/' && p[1] && strlen(p + 1) < sizeof(name) && !strchr(p + 1, '/'))
		str_copy(name, p + 1, sizeof(name));
	else if (*p) {
		api_status(resp, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	single = *name != '\0';
	if (selector_parse(httpd_req_query(r, "labelSelector"), false, &sel, err, sizeof(err))) {
		api_status(resp, 400, "BadRequest", "unable to parse requirement: %s", err);
		return;
	}
	pthread_mutex_lock(&s->mu);
	if (!single)
		buf_addf(b, "{\"kind\":\"%s\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[",
			 nodes ? "NodeMetricsList" : "PodMetricsList");
	if (nodes) {
		struct objlist *l = &s->lists[K_NODE];
		double *cpu = xcalloc(l->n + 1, sizeof(double)), *mem = xcalloc(l->n + 1, sizeof(double));
		struct objlist *pods = &s->lists[K_POD];

		for (size_t i = 0; i < pods->n; i++) {
			const struct pod *pd = (const struct pod *)pods->v[i];
			struct podsim_metrics pm;

			if (!pd->node || (size_t)pd->node->index >= l->n)
				continue;
			pod_metrics(pd, &pm);
			cpu[pd->node->index] += pm.cpu_cores;
			mem[pd->node->index] += pm.mem_bytes;
		}
		for (size_t i = 0; i < l->n; i++) {
			const struct node *n = (const struct node *)l->v[i];

			if ((single && strcmp(n->m.name, name)) || n->not_ready ||
			    !selector_match(sel, lbl_get, n->m.labels))
				continue;
			if (count++)
				buf_addch(b, ',');
			item_meta(b, &n->m, s->now_ms, single ? "NodeMetrics" : NULL);
			buf_adds(b, ",\"usage\":");
			usage_json(b, cpu[n->index] + NODE_OVERHEAD_CPU, mem[n->index] + NODE_OVERHEAD_MEM);
			buf_addch(b, '}');
		}
		free(cpu);
		free(mem);
	} else {
		struct objlist *l = &s->lists[K_POD];
		size_t i = *ns ? store_lower_bound(l, ns, "", false) : 0;

		for (; i < l->n; i++) {
			const struct pod *pd = (const struct pod *)l->v[i];
			struct podsim_metrics pm;

			if (*ns && strcmp(pd->m.ns, ns))
				break;
			if ((single && strcmp(pd->m.name, name)) || !pd->sim || pd->st.state != CS_RUNNING ||
			    pd->node->not_ready || !selector_match(sel, lbl_get, pd->m.labels))
				continue;
			pod_metrics(pd, &pm);
			if (count++)
				buf_addch(b, ',');
			item_meta(b, &pd->m, s->now_ms, single ? "PodMetrics" : NULL);
			buf_adds(b, ",\"containers\":[{\"name\":");
			buf_add_json_str(b, pd->c.name);
			buf_adds(b, ",\"usage\":");
			usage_json(b, pm.cpu_cores, pm.mem_bytes);
			buf_adds(b, "}]}");
		}
	}
	pthread_mutex_unlock(&s->mu);
	selector_free(sel);
	if (single && !count) {
		api_status(resp, 404, "NotFound", "%smetrics.metrics.k8s.io \"%s\" not found", nodes ? "node" : "pod", name);
		return;
	}
	if (!single)
		buf_adds(b, "]}");
}

/*
 * The kubelet pages are most of what a big cluster's collection costs the
 * sim, and printf most of that: integers are written by hand here. The
 * bytes are printf's (%lld, %llu, and %.17g for a whole number below 1e15).
 */
static void add_u64(struct buf *b, unsigned long long u)
{
	char t[24], *p = t + sizeof(t);

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	buf_add(b, p, (size_t)(t + sizeof(t) - p));
}

static void add_i64(struct buf *b, long long v)
{
	if (v < 0) {
		buf_addch(b, '-');
		add_u64(b, 0ULL - (unsigned long long)v);
	} else {
		add_u64(b, (unsigned long long)v);
	}
}

static void add_g17(struct buf *b, double v)
{
	if (v >= 0 && v < 1e15 && v == (double)(long long)v && !(v == 0 && signbit(v)))
		add_u64(b, (unsigned long long)v);
	else
		buf_addf(b, "%.17g", v);
}

/* s, then v */
static void kv_i(struct buf *b, const char *s, long long v)
{
	buf_adds(b, s);
	add_i64(b, v);
}

static void kv_u(struct buf *b, const char *s, unsigned long long v)
{
	buf_adds(b, s);
	add_u64(b, v);
}

static void net_json(struct buf *b, const char *ts, const struct podsim_metrics *pm)
{
	buf_adds(b, "{\"time\":\"");
	buf_adds(b, ts);
	for (int i = 0; i < 2; i++) {
		buf_adds(b, i ? ",\"interfaces\":[{\"name\":\"eth0\"" : "\",\"name\":\"eth0\"");
		kv_u(b, ",\"rxBytes\":", (unsigned long long)pm->rx_bytes);
		kv_u(b, ",\"rxErrors\":", (unsigned long long)pm->rx_errors);
		kv_u(b, ",\"txBytes\":", (unsigned long long)pm->tx_bytes);
		kv_u(b, ",\"txErrors\":", (unsigned long long)pm->tx_errors);
	}
	buf_adds(b, "}]}");
}

static void cpu_mem_json(struct buf *b, const char *ts, const struct podsim_metrics *pm, double limit)
{
	buf_adds(b, "\"cpu\":{\"time\":\"");
	buf_adds(b, ts);
	kv_i(b, "\",\"usageNanoCores\":", llround(pm->cpu_cores * 1e9));
	kv_i(b, ",\"usageCoreNanoSeconds\":", llround(pm->cpu_seconds * 1e9));
	buf_adds(b, "},\"memory\":{\"time\":\"");
	buf_adds(b, ts);
	buf_adds(b, "\",");
	if (limit > 0) {
		kv_i(b, "\"availableBytes\":", llround(fmax(limit - pm->mem_bytes, 0)));
		buf_addch(b, ',');
	}
	kv_i(b, "\"usageBytes\":", llround(pm->mem_bytes * 1.1));
	kv_i(b, ",\"workingSetBytes\":", llround(pm->mem_bytes));
	kv_i(b, ",\"rssBytes\":", llround(pm->mem_bytes * 0.9));
	buf_adds(b, ",\"pageFaults\":0,\"majorPageFaults\":0}");
}

/* The kubelet's /stats/summary for one node. */
struct bynode {
	const struct pod *p;
	size_t pos;
};

static int cmp_bynode(const void *a, const void *b)
{
	const struct bynode *x = a, *y = b;
	uintptr_t nx = (uintptr_t)x->p->node, ny = (uintptr_t)y->p->node;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The pods on node n, in the pod list's order (s->mu held). The list is
 * grouped by node once per store version, so a kubelet request costs its
 * own pods rather than a scan of the cluster's (1,000 nodes x 100,000 pods
 * made every collection cycle quadratic).
 */
static size_t node_pods(struct simstate *s, const struct node *n, const struct pod *const **out)
{
	struct objlist *pods = &s->lists[K_POD];
	const struct pod *const *v;
	size_t lo = 0, hi, start;

	if (!s->by_node.v || s->by_node.rv != s->rv || s->by_node.list != (const void *)pods->v ||
	    s->by_node.n != pods->n) {
		struct bynode *tmp = xmalloc((pods->n ? pods->n : 1) * sizeof(*tmp));
		for (size_t i = 0; i < pods->n; i++) {
			tmp[i].p = (const struct pod *)pods->v[i];
			tmp[i].pos = i;
		}
		qsort(tmp, pods->n, sizeof(*tmp), cmp_bynode);
		free(s->by_node.v);
		s->by_node.v = xmalloc((pods->n ? pods->n : 1) * sizeof(*s->by_node.v));
		for (size_t i = 0; i < pods->n; i++)
			s->by_node.v[i] = tmp[i].p;
		free(tmp);
		s->by_node.n = pods->n;
		s->by_node.rv = s->rv;
		s->by_node.list = (const void *)pods->v;
	}
	v = (const struct pod *const *)s->by_node.v;
	hi = s->by_node.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)v[mid]->node < (uintptr_t)n)
			lo = mid + 1;
		else
			hi = mid;
	}
	start = lo;
	while (lo < s->by_node.n && v[lo]->node == n)
		lo++;
	*out = v + start;
	return lo - start;
}

/*
 * A kubelet page's data, copied under the store's lock so the page renders
 * without it: 1,000 nodes' pages at 100,000 pods took seconds of every
 * collection cycle under the one lock, and every other request waited.
 */
struct kpod {
	size_t name, container;         /* offsets into the arena */
	const char *ns;                 /* interned */
	uint64_t uid;
	int64_t scheduled_ms, started_ms;
	double mem_limit, cpu_limit;
	struct podsim_metrics pm;
};

struct kpage {
	struct kpod *v;
	size_t n;
	struct buf arena;
	size_t node;                    /* the node's name in the arena */
	int64_t now_ms, node_created_ms;
	double node_mem_alloc;
};

static size_t put_str(struct kpage *k, const char *s)
{
	size_t off = k->arena.len;

	buf_add(&k->arena, s, strlen(s) + 1);
	return off;
}

static const char *str_at(const struct kpage *k, size_t off)
{
	return k->arena.data + off;
}

static void kpage_release(struct kpage *k)
{
	free(k->v);
	buf_release(&k->arena);
}

/* The pods with a model on node `name`, in the pod list's order; or an error page and -1. */
static int kpage_take(struct simstate *s, struct httpd_resp *resp, const char *name, struct kpage *k)
{
	const struct pod *const *on;
	struct node *n;
	size_t np;

	memset(k, 0, sizeof(*k));
	buf_init(&k->arena, BUF_NO_LIMIT);
	pthread_mutex_lock(&s->mu);
	n = (struct node *)store_get(s, K_NODE, NULL, name);
	if (!n || n->not_ready) {
		pthread_mutex_unlock(&s->mu);
		if (!n)
			api_status(resp, 404, "NotFound", "nodes \"%s\" not found", name);
		else
			api_status(resp, 503, "ServiceUnavailable", "error trying to reach service: "
				   "dial tcp %s:10250: connect: no route to host", name);
		return -1;
	}
	k->now_ms = s->now_ms;
	k->node_created_ms = n->m.created_ms;
	k->node_mem_alloc = n->mem_alloc;
	k->node = put_str(k, n->m.name);
	np = node_pods(s, n, &on);
	k->v = xmalloc((np ? np : 1) * sizeof(*k->v));
	for (size_t i = 0; i < np; i++) {
		const struct pod *p = on[i];
		struct kpod *q = &k->v[k->n];

		if (p->node != n || !p->sim)
			continue;
		q->name = put_str(k, p->m.name);
		q->container = put_str(k, p->c.name ? p->c.name : "main");
		q->ns = p->m.ns;
		q->uid = p->m.uid;
		q->scheduled_ms = p->scheduled_ms;
		q->started_ms = p->st.started_ms ? p->st.started_ms : p->scheduled_ms;
		q->mem_limit = p->c.res.mem_limit;
		q->cpu_limit = p->c.res.cpu_limit;
		pod_metrics(p, &q->pm);
		k->n++;
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void metrics_summary(struct simstate *s, struct httpd_resp *resp, const char *name)
{
	struct buf *b = &resp->body;
	char ts[RFC3339_MAX], st[RFC3339_MAX], uid[37];
	struct podsim_metrics tot = { 0 };
	struct kpage k;

	if (kpage_take(s, resp, name, &k) < 0)
		return;
	time_rfc3339(k.now_ms, ts);
	time_rfc3339(k.node_created_ms, st);
	buf_adds(b, "{\"pods\":[");
	for (size_t i = 0; i < k.n; i++) {
		const struct kpod *p = &k.v[i];
		const struct podsim_metrics *pm = &p->pm;
		char cst[RFC3339_MAX], pst[RFC3339_MAX];

		tot.cpu_cores += pm->cpu_cores;
		tot.cpu_seconds += pm->cpu_seconds;
		tot.mem_bytes += pm->mem_bytes;
		tot.rx_bytes += pm->rx_bytes;
		tot.tx_bytes += pm->tx_bytes;
		tot.rx_errors += pm->rx_errors;
		tot.tx_errors += pm->tx_errors;
		store_uid(p->uid, uid);
		time_rfc3339(p->scheduled_ms, pst);
		time_rfc3339(p->started_ms, cst);
		if (i)
			buf_addch(b, ',');
		buf_adds(b, "{\"podRef\":{\"name\":");
		buf_add_json_str(b, str_at(&k, p->name));
		buf_adds(b, ",\"namespace\":");
		buf_add_json_str(b, p->ns);
		buf_adds(b, ",\"uid\":\"");
		buf_adds(b, uid);
		buf_adds(b, "\"},\"startTime\":\"");
		buf_adds(b, pst);
		buf_adds(b, "\",\"containers\":[{\"name\":");
		buf_add_json_str(b, str_at(&k, p->container));
		buf_adds(b, ",\"startTime\":\"");
		buf_adds(b, cst);
		buf_adds(b, "\",");
		cpu_mem_json(b, ts, pm, p->mem_limit);
		buf_adds(b, ",\"rootfs\":{\"time\":\"");
		buf_adds(b, ts);
		kv_i(b, "\",\"usedBytes\":", llround(pm->fs_used_bytes));
		buf_adds(b, ",\"inodesUsed\":12},\"logs\":{\"time\":\"");
		buf_adds(b, ts);
		kv_i(b, "\",\"usedBytes\":", llround(pm->fs_used_bytes / 4));
		buf_adds(b, "}}],");
		cpu_mem_json(b, ts, pm, p->mem_limit);
		buf_adds(b, ",\"network\":");
		net_json(b, ts, pm);
		buf_adds(b, ",\"volume\":[],\"ephemeral-storage\":{\"time\":\"");
		buf_adds(b, ts);
		kv_i(b, "\",\"usedBytes\":", llround(pm->fs_used_bytes));
		buf_adds(b, "},\"process_stats\":{\"process_count\":1}}");
	}
	tot.cpu_cores += NODE_OVERHEAD_CPU;
	tot.mem_bytes += NODE_OVERHEAD_MEM;
	buf_adds(b, "],\"node\":{\"nodeName\":");
	buf_add_json_str(b, str_at(&k, k.node));
	buf_addf(b, ",\"systemContainers\":[],\"startTime\":\"%s\",", st);
	cpu_mem_json(b, ts, &tot, k.node_mem_alloc);
	buf_adds(b, ",\"network\":");
	net_json(b, ts, &tot);
	buf_addf(b, ",\"fs\":{\"time\":\"%s\",\"availableBytes\":80000000000,\"capacityBytes\":107374182400,"
		 "\"usedBytes\":27374182400}}}", ts);
	kpage_release(&k);
	/* "pods" first was only for building; kubelet order is node then pods, and JSON does not care. */
}

void metrics_cadvisor(struct simstate *s, struct httpd_resp *resp, const char *name)
{
	static const struct { const char *name, *help; } fams[] = {
		{ "container_network_receive_bytes_total", "Cumulative count of bytes received." },
		{ "container_network_receive_errors_total", "Cumulative count of errors encountered while receiving." },
		{ "container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving." },
		{ "container_network_transmit_bytes_total", "Cumulative count of bytes transmitted." },
		{ "container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting." },
		{ "container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting." },
		{ "container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals." },
		{ "container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals." },
		{ "container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled." },
	};
	struct buf *b = &resp->body;
	struct kpage k;

	if (kpage_take(s, resp, name, &k) < 0)
		return;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		buf_addf(b, "# HELP %s %s\n# TYPE %s counter\n", fams[f].name, fams[f].help, fams[f].name);
		for (size_t i = 0; i < k.n; i++) {
			const struct kpod *p = &k.v[i];
			const struct podsim_metrics *pm = &p->pm;
			double v;

			switch (f) {
			case 0: v = (double)pm->rx_bytes; break;
			case 1: v = (double)pm->rx_errors; break;
			case 2: v = (double)pm->rx_dropped; break;
			case 3: v = (double)pm->tx_bytes; break;
			case 4: v = (double)pm->tx_errors; break;
			case 5: v = (double)pm->tx_dropped; break;
			case 6: v = pm->cfs_periods; break;
			case 7: v = pm->cfs_throttled_periods; break;
			default: v = pm->throttled_seconds; break;
			}
			if (f >= 6) {
				/* per container, and only for one with a CPU quota */
				if (!(p->cpu_limit > 0))
					continue;
				buf_adds(b, fams[f].name);
				buf_adds(b, "{container=\"");
				buf_adds(b, str_at(&k, p->container));
				buf_adds(b, "\",namespace=\"");
			} else {
				buf_adds(b, fams[f].name);
				buf_adds(b, "{container=\"POD\",interface=\"eth0\",namespace=\"");
			}
			buf_adds(b, p->ns);
			buf_adds(b, "\",pod=\"");
			buf_adds(b, str_at(&k, p->name));
			buf_adds(b, "\"} ");
			add_g17(b, v);
			kv_i(b, " ", (long long)k.now_ms);
			buf_addch(b, '\n');
		}
	}
	kpage_release(&k);
}

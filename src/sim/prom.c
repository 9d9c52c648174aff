#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/api.h"
#include "base/mem.h"
#include "base/banned.h"

/*
 * /metrics in Prometheus text format. The pods are copied under the lock
 * (a compact snapshot), then the page is streamed family by family without
 * it, so a 100,000-pod scrape neither holds the store nor builds hundreds
 * of megabytes in memory, and no series appears twice.
 */

struct family { const char *name, *type, *help; };

static const struct family families[] = {
	{ "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds." },
	{ "container_memory_working_set_bytes", "gauge", "Current working set in bytes." },
	{ "container_cpu_cfs_throttled_seconds_total", "counter", "Total time duration the container has been throttled." },
	{ "container_spec_memory_limit_bytes", "gauge", "Memory limit for the container." },
	{ "container_network_receive_bytes_total", "counter", "Cumulative count of bytes received." },
	{ "container_network_receive_errors_total", "counter", "Cumulative count of errors encountered while receiving." },
	{ "container_network_receive_packets_dropped_total", "counter", "Cumulative count of packets dropped while receiving." },
	{ "container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted." },
	{ "container_network_transmit_errors_total", "counter", "Cumulative count of errors encountered while transmitting." },
	{ "container_network_transmit_packets_dropped_total", "counter", "Cumulative count of packets dropped while transmitting." },
	{ "container_fs_usage_bytes", "gauge", "Number of bytes that are consumed by the container on this filesystem." },
	{ "kube_pod_container_status_restarts_total", "counter", "The number of container restarts per container." },
	{ "kube_pod_container_status_ready", "gauge", "Describes whether the containers readiness check succeeded." },
	{ "kube_pod_container_status_waiting_reason", "gauge", "Describes the reason the container is currently in waiting state." },
	{ "kube_pod_container_status_last_terminated_reason", "gauge", "Describes the last reason the container was in terminated state." },
	{ "kube_pod_container_resource_requests", "gauge", "The number of requested request resource by a container." },
	{ "kube_pod_container_resource_limits", "gauge", "The number of requested limit resource by a container." },
	{ "kube_pod_status_phase", "gauge", "The pods current phase." },
	{ "kube_pod_info", "gauge", "Information about pod." },
};
#define NFAM (sizeof(families) / sizeof(families[0]))
#define CADVISOR_FAMILIES 11    /* the first 11 come from the kubelet: none for a dead node */
#define PODS_PER_CHUNK 2000

struct psnap {
	const char *ns;                 /* interned */
	size_t name, container, node;   /* offsets into the arena */
	const char *owner_kind;         /* static */
	const char *waiting, *last;     /* static model strings or NULL */
	enum pod_phase phase;
	int restarts;
	bool ready, reporting;
	struct resources res;
	struct podsim_metrics pm;
};

struct scrape {
	struct psnap *p;
	size_t n;
	struct buf arena;
	char *tail;                     /* node and deployment series, rendered at snapshot time */
	size_t fam, next;
};

static const char *str_at(const struct scrape *sc, size_t off)
{
	return sc->arena.data + off;
}

static size_t put_str(struct scrape *sc, const char *s)
{
	size_t off = sc->arena.len;

	buf_add(&sc->arena, s, strlen(s) + 1);
	return off;
}

static void labels_pc(struct buf *b, const struct scrape *sc, const struct psnap *p, bool container)
{
	buf_addf(b, "{namespace=\"%s\",pod=\"%s\"", p->ns, str_at(sc, p->name));
	if (container)
		buf_addf(b, ",container=\"%s\"", str_at(sc, p->container));
}

static void sample(struct buf *b, const struct scrape *sc, size_t f, const struct psnap *p)
{
	const char *fam = families[f].name;
	const struct podsim_metrics *pm = &p->pm;

	if (f < CADVISOR_FAMILIES) {
		bool net = f >= 4 && f <= 9;
		double v = 0;

		if (!p->reporting)
			return;
		switch (f) {
		case 0: v = pm->cpu_seconds; break;
		case 1: v = pm->mem_bytes; break;
		case 2: v = pm->throttled_seconds; break;
		case 3: v = p->res.mem_limit; break;
		case 4: v = (double)pm->rx_bytes; break;
		case 5: v = (double)pm->rx_errors; break;
		case 6: v = (double)pm->rx_dropped; break;
		case 7: v = (double)pm->tx_bytes; break;
		case 8: v = (double)pm->tx_errors; break;
		case 9: v = (double)pm->tx_dropped; break;
		default: v = pm->fs_used_bytes; break;
		}
		buf_adds(b, fam);
		labels_pc(b, sc, p, !net);
		if (net)
			buf_adds(b, ",interface=\"eth0\"");
		buf_addf(b, ",node=\"%s\"} %.17g\n", str_at(sc, p->node), v);
		return;
	}
	switch (f) {
	case 11: case 12:
		buf_adds(b, fam);
		labels_pc(b, sc, p, true);
		buf_addf(b, "} %d\n", f == 11 ? p->restarts : p->ready);
		break;
	case 13: case 14: {
		const char *r = f == 13 ? p->waiting : p->last;

		if (r) {
			buf_adds(b, fam);
			labels_pc(b, sc, p, true);
			buf_addf(b, ",reason=\"%s\"} 1\n", r);
		}
		break;
	}
	case 15: case 16: {
		double cpu = f == 15 ? p->res.cpu_request : p->res.cpu_limit;
		double mem = f == 15 ? p->res.mem_request : p->res.mem_limit;

		if (cpu) {
			buf_adds(b, fam);
			labels_pc(b, sc, p, true);
			buf_addf(b, ",resource=\"cpu\",unit=\"core\"} %.17g\n", cpu);
		}
		if (mem) {
			buf_adds(b, fam);
			labels_pc(b, sc, p, true);
			buf_addf(b, ",resource=\"memory\",unit=\"byte\"} %.17g\n", mem);
		}
		break;
	}
	case 17:
		for (int ph = 0; ph < 4; ph++) {
			buf_adds(b, fam);
			labels_pc(b, sc, p, false);
			buf_addf(b, ",phase=\"%s\"} %d\n", phase_name((enum pod_phase)ph), (int)p->phase == ph);
		}
		break;
	default:
		buf_adds(b, fam);
		labels_pc(b, sc, p, false);
		buf_addf(b, ",node=\"%s\",created_by_kind=\"%s\"} 1\n", str_at(sc, p->node), p->owner_kind);
		break;
	}
}

static int scrape_next(void *ctx, struct buf *out, int wait_ms)
{
	struct scrape *sc = ctx;
	size_t end;

	(void)wait_ms;
	if (sc->fam == NFAM) {
		if (!sc->tail)
			return HTTPD_END;
		buf_adds(out, sc->tail);
		free(sc->tail);
		sc->tail = NULL;
		return HTTPD_MORE;
	}
	if (sc->next == 0)
		buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", families[sc->fam].name, families[sc->fam].help,
			 families[sc->fam].name, families[sc->fam].type);
	end = sc->next + PODS_PER_CHUNK < sc->n ? sc->next + PODS_PER_CHUNK : sc->n;
	for (; sc->next < end; sc->next++)
		sample(out, sc, sc->fam, &sc->p[sc->next]);
	if (sc->next == sc->n) {
		sc->fam++;
		sc->next = 0;
	}
	return HTTPD_MORE;
}

static void scrape_free(void *ctx)
{
	struct scrape *sc = ctx;

	free(sc->p);
	free(sc->tail);
	buf_release(&sc->arena);
	free(sc);
}

static char *tail_series(struct simstate *s)
{
	struct objlist *nodes = &s->lists[K_NODE], *ds = &s->lists[K_DEPLOYMENT];
	struct buf b = BUF_INIT;
	static const char *const st[] = { "true", "false", "unknown" };

	buf_adds(&b, "# HELP kube_node_status_condition The condition of a cluster node.\n"
		 "# TYPE kube_node_status_condition gauge\n");
	for (size_t i = 0; i < nodes->n; i++) {
		const struct node *n = (const struct node *)nodes->v[i];
		int ready = n->not_ready ? 2 : 0, mp = n->mem_pressure ? 0 : 1;

		for (int j = 0; j < 3; j++)
			buf_addf(&b, "kube_node_status_condition{node=\"%s\",condition=\"Ready\",status=\"%s\"} %d\n",
				 n->m.name, st[j], ready == j);
		for (int j = 0; j < 3; j++)
			buf_addf(&b, "kube_node_status_condition{node=\"%s\",condition=\"MemoryPressure\",status=\"%s\"} %d\n",
				 n->m.name, st[j], mp == j);
	}
	buf_adds(&b, "# HELP kube_node_spec_unschedulable Whether a node can schedule new pods.\n"
		 "# TYPE kube_node_spec_unschedulable gauge\n");
	for (size_t i = 0; i < nodes->n; i++)
		buf_addf(&b, "kube_node_spec_unschedulable{node=\"%s\"} %d\n", nodes->v[i]->name,
			 ((const struct node *)nodes->v[i])->unschedulable);
	buf_adds(&b, "# HELP kube_deployment_spec_replicas Number of desired pods for a deployment.\n"
		 "# TYPE kube_deployment_spec_replicas gauge\n");
	for (size_t i = 0; i < ds->n; i++)
		buf_addf(&b, "kube_deployment_spec_replicas{namespace=\"%s\",deployment=\"%s\"} %d\n", ds->v[i]->ns,
			 ds->v[i]->name, ((const struct deployment *)ds->v[i])->replicas);
	buf_adds(&b, "# HELP kube_deployment_status_replicas_available The number of available replicas per deployment.\n"
		 "# TYPE kube_deployment_status_replicas_available gauge\n");
	for (size_t i = 0; i < ds->n; i++)
		buf_addf(&b, "kube_deployment_status_replicas_available{namespace=\"%s\",deployment=\"%s\"} %d\n",
			 ds->v[i]->ns, ds->v[i]->name, ((const struct deployment *)ds->v[i])->st_ready);
	return buf_detach(&b, NULL);
}

void metrics_prometheus(struct simstate *s, struct httpd_resp *resp)
{
	struct scrape *sc = xcalloc(1, sizeof(*sc));
	struct objlist *pods;

	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	buf_init(&sc->arena, BUF_NO_LIMIT);
	pthread_mutex_lock(&s->mu);
	pods = &s->lists[K_POD];
	sc->n = pods->n;
	sc->p = xcalloc(sc->n + 1, sizeof(*sc->p));
	for (size_t i = 0; i < pods->n; i++) {
		const struct pod *p = (const struct pod *)pods->v[i];
		struct psnap *q = &sc->p[i];

		q->ns = p->m.ns;
		q->name = put_str(sc, p->m.name);
		q->container = put_str(sc, p->c.name);
		q->node = put_str(sc, p->node ? p->node->m.name : "");
		q->owner_kind = p->owner ? kind_name(p->owner->kind) : "<none>";
		q->waiting = p->st.state == CS_WAITING ? p->st.reason : NULL;
		q->last = p->st.last_reason;
		q->phase = p->phase;
		q->restarts = p->st.restarts;
		q->ready = pod_ready(p);
		q->reporting = p->sim && !p->node->not_ready;
		q->res = p->c.res;
		if (p->sim)
			podsim_metrics(p->sim, &q->pm);
	}
	sc->tail = tail_series(s);
	pthread_mutex_unlock(&s->mu);
	resp->stream.next = scrape_next;
	resp->stream.free = scrape_free;
	resp->stream.ctx = sc;
}

#include <stdio.h>
#include <string.h>
#include "sim/store.h"
#include "sim/generic.h"
#include "base/banned.h"

/* Columns as the API server's printers define them: name, type, priority. */
struct col { const char *name, *type; int priority; const char *desc; };

static const struct col pod_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic." },
	{ "Status", "string", 0, "The aggregate status of the containers in this pod." },
	{ "Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted." },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ "IP", "string", 1, "IP address allocated to the pod. Routable at least within the cluster." },
	{ "Node", "string", 1, "NodeName indicates in which node this pod is scheduled." },
	{ "Nominated Node", "string", 1, "nominatedNodeName is set only when this pod preempts other pods on the node." },
	{ "Readiness Gates", "string", 1, "If specified, all readiness gates will be evaluated for pod readiness." },
	{ NULL, NULL, 0, NULL },
};
static const struct col node_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Status", "string", 0, "The status of the node" },
	{ "Roles", "string", 0, "The roles of the node" },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ "Version", "string", 0, "Kubelet Version reported by the node." },
	{ "Internal-IP", "string", 1, "List of addresses reachable to the node. Queried from cloud provider, if available." },
	{ "External-IP", "string", 1, "List of addresses reachable to the node. Queried from cloud provider, if available." },
	{ "OS-Image", "string", 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))." },
	{ "Kernel-Version", "string", 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." },
	{ "Container-Runtime", "string", 1, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)." },
	{ NULL, NULL, 0, NULL },
};
static const struct col ns_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Status", "string", 0, "The status of the namespace" },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ NULL, NULL, 0, NULL },
};
static const struct col event_cols[] = {
	{ "Last Seen", "string", 0, "Time when last Event occurred" },
	{ "Type", "string", 0, "Type of this event (Normal, Warning), new types could be added in the future." },
	{ "Reason", "string", 0, "This should be a short, machine understandable string that gives the reason for this event being generated." },
	{ "Object", "string", 0, "Object this event is about." },
	{ "Subobject", "string", 1, "Subobject this event is about." },
	{ "Source", "string", 1, "The component reporting this event." },
	{ "Message", "string", 0, "A human-readable description of the status of this operation." },
	{ "First Seen", "string", 1, "Time when first Event occurred" },
	{ "Count", "string", 1, "Number of times this event has occurred." },
	{ "Name", "string", 1, "Name must be unique within a namespace." },
	{ NULL, NULL, 0, NULL },
};
static const struct col deploy_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Ready", "string", 0, "Number of the pod with ready state" },
	{ "Up-to-date", "string", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec." },
	{ "Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment." },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ "Containers", "string", 1, "Names of each container in the template." },
	{ "Images", "string", 1, "Images referenced by each container in the template." },
	{ "Selector", "string", 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment." },
	{ NULL, NULL, 0, NULL },
};
static const struct col rs_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Desired", "integer", 0, "Replicas is the number of desired replicas." },
	{ "Current", "integer", 0, "Replicas is the most recently observed number of replicas." },
	{ "Ready", "integer", 0, "The number of ready replicas for this replica set." },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ "Containers", "string", 1, "Names of each container in the template." },
	{ "Images", "string", 1, "Images referenced by each container in the template." },
	{ "Selector", "string", 1, "Selector is a label query over pods that should match the replica count." },
	{ NULL, NULL, 0, NULL },
};
static const struct col ds_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Desired", "integer", 0, "The total number of nodes that should be running the daemon pod." },
	{ "Current", "integer", 0, "The number of nodes that are running at least 1 daemon pod." },
	{ "Ready", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready." },
	{ "Up-to-date", "integer", 0, "The total number of nodes that are running updated daemon pod" },
	{ "Available", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available." },
	{ "Node Selector", "string", 0, "NodeSelector is a selector which must be true for the pod to fit on a node." },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ NULL, NULL, 0, NULL },
};
static const struct col pdb_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Min Available", "string", 0, "The minimum number of pods that must be available simultaneously." },
	{ "Max Unavailable", "string", 0, "The maximum number of pods that may be unavailable simultaneously." },
	{ "Allowed Disruptions", "integer", 0, "Calculated number of pods that may be disrupted at this time." },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ NULL, NULL, 0, NULL },
};
static const struct col lease_cols[] = {
	{ "Name", "string", 0, "Name must be unique within a namespace." },
	{ "Holder", "string", 0, "The holder of the lease." },
	{ "Age", "string", 0, "CreationTimestamp is a timestamp representing the server time when this object was created." },
	{ NULL, NULL, 0, NULL },
};

static const struct col *const cols[K__COUNT] = {
	pod_cols, node_cols, ns_cols, event_cols, deploy_cols, rs_cols, ds_cols, pdb_cols, lease_cols,
};

void table_columns(struct buf *b, enum kind k)
{
	if (k >= K_GEN0) {
		gen_table_columns(b, k);
		return;
	}
	buf_addch(b, '[');
	for (const struct col *c = cols[k]; c->name; c++) {
		buf_addf(b, "%s{\"name\":\"%s\",\"type\":\"%s\",\"format\":\"%s\",\"description\":",
			 c == cols[k] ? "" : ",", c->name, c->type, !strcmp(c->name, "Name") ? "name" : "");
		buf_add_json_str(b, c->desc);
		buf_addf(b, ",\"priority\":%d}", c->priority);
	}
	buf_addch(b, ']');
}

/* Kubernetes' duration.HumanDuration. */
static void age(struct buf *b, int64_t now, int64_t then)
{
	int64_t s = (now - then) / 1000, m = s / 60, h = s / 3600;

	if (!then) {
		buf_adds(b, "\"<unknown>\"");
		return;
	}
	if (now - then < -1000)
		buf_adds(b, "\"<invalid>\"");
	else if (s < 0)
		buf_adds(b, "\"0s\"");
	else if (s < 120)
		buf_addf(b, "\"%llds\"", (long long)s);
	else if (m < 10)
		s % 60 ? buf_addf(b, "\"%lldm%llds\"", (long long)m, (long long)(s % 60))
		       : buf_addf(b, "\"%lldm\"", (long long)m);
	else if (m < 180)
		buf_addf(b, "\"%lldm\"", (long long)m);
	else if (h < 8)
		m % 60 ? buf_addf(b, "\"%lldh%lldm\"", (long long)h, (long long)(m % 60))
		       : buf_addf(b, "\"%lldh\"", (long long)h);
	else if (h < 48)
		buf_addf(b, "\"%lldh\"", (long long)h);
	else if (h < 24 * 8)
		h % 24 ? buf_addf(b, "\"%lldd%lldh\"", (long long)(h / 24), (long long)(h % 24))
		       : buf_addf(b, "\"%lldd\"", (long long)(h / 24));
	else if (h < 24 * 365 * 2)
		buf_addf(b, "\"%lldd\"", (long long)(h / 24));
	else
		buf_addf(b, "\"%lldy\"", (long long)(h / 24 / 365));
}

static void str_cell(struct buf *b, const char *s)
{
	buf_addch(b, ',');
	buf_add_json_str(b, s);
}

static void selector_cell(struct buf *b, const struct labels *l)
{
	struct buf t = BUF_INIT;

	for (int i = 0; l && i < l->n; i++)
		buf_addf(&t, "%s%s=%s", i ? "," : "", l->kv[2 * i], l->kv[2 * i + 1]);
	str_cell(b, t.len ? t.data : "<none>");
	buf_release(&t);
}

static const char *pod_status(const struct pod *p)
{
	if (p->evicted)
		return "Evicted";
	if (!p->node)
		return "Pending";
	if (p->st.state == CS_WAITING)
		return p->st.reason ? p->st.reason : "ContainerCreating";
	if (p->st.state == CS_TERMINATED)
		return p->st.reason ? p->st.reason : "Error";
	if (p->node->not_ready)
		return "Running";
	return phase_name(p->phase);
}

void table_cells(struct simstate *s, struct buf *b, const struct meta *m)
{
	int64_t now = s->now_ms;
	char tmp[64];

	buf_addch(b, '[');
	buf_add_json_str(b, m->kind == K_EVENT ? "" : m->name);
	switch (m->kind) {
	case K_POD: {
		const struct pod *p = (const struct pod *)m;

		snprintf(tmp, sizeof(tmp), "%d/1", p->node && p->st.ready && !p->node->not_ready ? 1 : 0);
		str_cell(b, tmp);
		str_cell(b, pod_status(p));
		if (p->st.restarts && p->st.last_finished_ms) {
			struct buf a = BUF_INIT;

			age(&a, now, p->st.last_finished_ms);
			snprintf(tmp, sizeof(tmp), "%d (%.*s ago)", p->st.restarts, (int)a.len - 2, a.data + 1);
			buf_release(&a);
		} else {
			snprintf(tmp, sizeof(tmp), "%d", p->st.restarts);
		}
		str_cell(b, tmp);
		buf_addch(b, ',');
		age(b, now, m->created_ms);
		obj_field(m, "status.podIP", tmp);
		str_cell(b, p->node ? tmp : "<none>");
		str_cell(b, p->node ? p->node->m.name : "<none>");
		str_cell(b, "<none>");
		str_cell(b, "<none>");
		break;
	}
	case K_NODE: {
		const struct node *n = (const struct node *)m;

		snprintf(tmp, sizeof(tmp), "%s%s", n->not_ready ? "NotReady" : "Ready",
			 n->unschedulable ? ",SchedulingDisabled" : "");
		str_cell(b, tmp);
		str_cell(b, "worker");
		buf_addch(b, ',');
		age(b, now, m->created_ms);
		str_cell(b, "v1.32.0");
		snprintf(tmp, sizeof(tmp), "10.0.%d.%d", n->index / 250, n->index % 250 + 2);
		str_cell(b, tmp);
		str_cell(b, "<none>");
		str_cell(b, "kubemend sim");
		str_cell(b, "6.1.0-sim");
		str_cell(b, "containerd://1.7.24");
		break;
	}
	case K_NAMESPACE:
		str_cell(b, "Active");
		buf_addch(b, ',');
		age(b, now, m->created_ms);
		break;
	case K_EVENT: {
		const struct event *e = (const struct event *)m;
		struct buf t = BUF_INIT;

		buf_truncate(b, b->len - 2);    /* replace the name cell */
		age(b, now, e->last_ms);
		str_cell(b, e->warning ? "Warning" : "Normal");
		str_cell(b, e->reason);
		for (const char *k = e->api ? e->api->kind : kind_name(e->inv_kind); *k; k++)
			buf_addch(&t, (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k));
		buf_addf(&t, "/%s", e->inv_name);
		str_cell(b, t.data);
		buf_release(&t);
		if (e->container) {
			char fp[300];

			snprintf(fp, sizeof(fp), "spec.containers{%s}", e->container);
			str_cell(b, fp);
		} else {
			str_cell(b, "");
		}
		str_cell(b, e->component);
		str_cell(b, e->message);
		buf_addch(b, ',');
		age(b, now, e->first_ms);
		snprintf(tmp, sizeof(tmp), "%d", e->count);
		str_cell(b, tmp);
		str_cell(b, m->name);
		break;
	}
	case K_DEPLOYMENT: {
		const struct deployment *d = (const struct deployment *)m;

		snprintf(tmp, sizeof(tmp), "%d/%d", d->st_ready, d->replicas);
		str_cell(b, tmp);
		snprintf(tmp, sizeof(tmp), "%d", d->st_updated);
		str_cell(b, tmp);
		snprintf(tmp, sizeof(tmp), "%d", d->st_ready);
		str_cell(b, tmp);
		buf_addch(b, ',');
		age(b, now, m->created_ms);
		str_cell(b, d->tpl.c.name);
		str_cell(b, d->tpl.c.image);
		selector_cell(b, d->match);
		break;
	}
	case K_REPLICASET: {
		const struct replicaset *r = (const struct replicaset *)m;

		buf_addf(b, ",%d,%d,%d,", r->replicas, r->st_replicas, r->st_ready);
		age(b, now, m->created_ms);
		str_cell(b, r->tpl.c.name);
		str_cell(b, r->tpl.c.image);
		selector_cell(b, r->match);
		break;
	}
	case K_DAEMONSET: {
		const struct daemonset *d = (const struct daemonset *)m;

		buf_addf(b, ",%d,%d,%d,%d,%d", d->st_desired, d->st_current, d->st_ready, d->st_current,
			 d->st_ready);
		str_cell(b, "<none>");
		buf_addch(b, ',');
		age(b, now, m->created_ms);
		break;
	}
	case K_PDB: {
		const struct pdb *d = (const struct pdb *)m;

		snprintf(tmp, sizeof(tmp), d->percent ? "%d%%" : "%d", d->value);
		str_cell(b, d->has_min ? tmp : "N/A");
		str_cell(b, d->has_min ? "N/A" : tmp);
		buf_addf(b, ",%d,", d->disruptions_allowed);
		age(b, now, m->created_ms);
		break;
	}
	case K_LEASE: {
		const struct lease *l = (const struct lease *)m;

		str_cell(b, l->holder ? l->holder : "");
		buf_addch(b, ',');
		age(b, now, m->created_ms);
		break;
	}
	default:
		if (m->kind >= K_GEN0)
			gen_table_cells(b, m, now);
		break;
	}
	buf_addch(b, ']');
}

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sim/store.h"
#include "sim/generic.h"
#include "base/timeutil.h"
#include "base/banned.h"

static const char *const kinds[K__COUNT] = {
	"Pod", "Node", "Namespace", "Event", "Deployment", "ReplicaSet",
	"DaemonSet", "PodDisruptionBudget", "Lease",
};
static const char *const apiversions[K__COUNT] = {
	"v1", "v1", "v1", "v1", "apps/v1", "apps/v1", "apps/v1", "policy/v1",
	"coordination.k8s.io/v1",
};

const char *kind_name(enum kind k) { return k >= K_GEN0 ? gen_kind_name(k) : kinds[k]; }
const char *kind_api_version(enum kind k) { return k >= K_GEN0 ? gen_api_version(k) : apiversions[k]; }

const char *phase_name(enum pod_phase p)
{
	static const char *const names[] = { "Pending", "Running", "Succeeded", "Failed" };

	return names[p];
}

void render_quantity_cpu(struct buf *b, double cores)
{
	long long milli = llround(cores * 1000);

	if (milli % 1000 == 0)
		buf_addf(b, "\"%lld\"", milli / 1000);
	else
		buf_addf(b, "\"%lldm\"", milli);
}

void render_quantity_mem(struct buf *b, double bytes)
{
	static const char *const suf[] = { "Ki", "Mi", "Gi", "Ti" };
	long long v = llround(bytes);
	int i = -1;

	while (v && v % 1024 == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		buf_addf(b, "\"%lld\"", v);
	else
		buf_addf(b, "\"%lld%s\"", v, suf[i]);
}

void render_time(struct buf *b, int64_t ms)
{
	char t[RFC3339_MAX];

	if (!ms) {
		buf_adds(b, "null");
		return;
	}
	time_rfc3339(ms, t);
	buf_addf(b, "\"%s\"", t);
}

static void render_labels(struct buf *b, const struct labels *l)
{
	buf_addch(b, '{');
	for (int i = 0; l && i < l->n; i++) {
		if (i)
			buf_addch(b, ',');
		buf_add_json_str(b, l->kv[2 * i]);
		buf_addch(b, ':');
		buf_add_json_str(b, l->kv[2 * i + 1]);
	}
	buf_addch(b, '}');
}

static void render_owner(struct buf *b, const struct meta *o)
{
	char uid[37];

	store_uid(o->uid, uid);
	buf_addf(b, ",\"ownerReferences\":[{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"name\":",
		 kind_api_version(o->kind), kind_name(o->kind));
	buf_add_json_str(b, o->name);
	buf_addf(b, ",\"uid\":\"%s\",\"controller\":true,\"blockOwnerDeletion\":true}]", uid);
}

/* Opens an object of the given kind and writes m's metadata up to (not including) its closing brace. */
static void render_meta_as(struct buf *b, const struct meta *m, const char *kind, const char *apiversion)
{
	char uid[37];

	store_uid(m->uid, uid);
	buf_addf(b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"name\":", kind, apiversion);
	buf_add_json_str(b, m->name);
	if (m->ns) {
		buf_adds(b, ",\"namespace\":");
		buf_add_json_str(b, m->ns);
	}
	buf_addf(b, ",\"uid\":\"%s\",\"resourceVersion\":\"%llu\"", uid, (unsigned long long)m->rv);
	if (m->kind == K_DEPLOYMENT || m->kind == K_REPLICASET || m->kind == K_DAEMONSET ||
	    m->kind == K_PDB)
		buf_addf(b, ",\"generation\":%lld", (long long)m->generation);
	buf_adds(b, ",\"creationTimestamp\":");
	render_time(b, m->created_ms);
	if (m->labels && m->labels->n) {
		buf_adds(b, ",\"labels\":");
		render_labels(b, m->labels);
	}
	if (m->annotations && m->annotations->n) {
		buf_adds(b, ",\"annotations\":");
		render_labels(b, m->annotations);
	}
}

/* Opens the object and writes metadata up to (not including) its closing brace. */
static void render_meta_open(struct buf *b, const struct meta *m)
{
	render_meta_as(b, m, kind_name(m->kind), kind_api_version(m->kind));
}

static void render_resources(struct buf *b, const struct resources *r)
{
	bool any = false;

	buf_adds(b, "{");
	if (r->cpu_limit || r->mem_limit) {
		buf_adds(b, "\"limits\":{");
		if (r->cpu_limit) {
			buf_adds(b, "\"cpu\":");
			render_quantity_cpu(b, r->cpu_limit);
		}
		if (r->mem_limit) {
			buf_adds(b, r->cpu_limit ? ",\"memory\":" : "\"memory\":");
			render_quantity_mem(b, r->mem_limit);
		}
		buf_addch(b, '}');
		any = true;
	}
	if (r->cpu_request || r->mem_request) {
		buf_adds(b, any ? ",\"requests\":{" : "\"requests\":{");
		if (r->cpu_request) {
			buf_adds(b, "\"cpu\":");
			render_quantity_cpu(b, r->cpu_request);
		}
		if (r->mem_request) {
			buf_adds(b, r->cpu_request ? ",\"memory\":" : "\"memory\":");
			render_quantity_mem(b, r->mem_request);
		}
		buf_addch(b, '}');
	}
	buf_addch(b, '}');
}

static void render_podspec(struct buf *b, const struct container_spec *c, bool emptydir,
			   const char *node)
{
	buf_adds(b, "{\"containers\":[{\"name\":");
	buf_add_json_str(b, c->name);
	buf_adds(b, ",\"image\":");
	buf_add_json_str(b, c->image);
	buf_adds(b, ",\"resources\":");
	render_resources(b, &c->res);
	if (emptydir)
		buf_adds(b, ",\"volumeMounts\":[{\"name\":\"scratch\",\"mountPath\":\"/scratch\"}]");
	buf_adds(b, ",\"terminationMessagePath\":\"/dev/termination-log\","
		 "\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}]");
	if (emptydir)
		buf_adds(b, ",\"volumes\":[{\"name\":\"scratch\",\"emptyDir\":{}}]");
	buf_adds(b, ",\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,"
		 "\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"default\","
		 "\"serviceAccount\":\"default\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\"");
	if (node) {
		buf_adds(b, ",\"nodeName\":");
		buf_add_json_str(b, node);
	}
	buf_adds(b, ",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\","
		 "\"effect\":\"NoExecute\",\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\","
		 "\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],"
		 "\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"}");
}

static void render_template(struct buf *b, const struct podtemplate *t)
{
	buf_adds(b, "{\"metadata\":{\"creationTimestamp\":null,\"labels\":");
	render_labels(b, t->labels);
	if (t->annotations && t->annotations->n) {
		buf_adds(b, ",\"annotations\":");
		render_labels(b, t->annotations);
	}
	buf_adds(b, "},\"spec\":");
	render_podspec(b, &t->c, t->emptydir, NULL);
	buf_addch(b, '}');
}

static void render_cond(struct buf *b, bool first, const char *type, const char *status,
			int64_t t, const char *reason, const char *msg)
{
	buf_addf(b, "%s{\"type\":\"%s\",\"status\":\"%s\",\"lastProbeTime\":null,\"lastTransitionTime\":",
		 first ? "" : ",", type, status);
	render_time(b, t);
	if (reason)
		buf_addf(b, ",\"reason\":\"%s\"", reason);
	if (msg) {
		buf_adds(b, ",\"message\":");
		buf_add_json_str(b, msg);
	}
	buf_addch(b, '}');
}

static const char *qos_class(const struct resources *r)
{
	if (!r->cpu_request && !r->mem_request && !r->cpu_limit && !r->mem_limit)
		return "BestEffort";
	if (r->cpu_limit && r->mem_limit && (!r->cpu_request || r->cpu_request == r->cpu_limit) &&
	    (!r->mem_request || r->mem_request == r->mem_limit))
		return "Guaranteed";
	return "Burstable";
}

static void pod_ip(const struct pod *p, char out[20])
{
	snprintf(out, 20, "10.%u.%u.%u", 244 + (p->ordinal >> 16) % 8, (p->ordinal >> 8) & 0xff,
		 (p->ordinal & 0xff) ? (p->ordinal & 0xff) : 1);
}

static void node_ip(const struct node *n, char out[20])
{
	snprintf(out, 20, "10.0.%d.%d", n->index / 250, n->index % 250 + 2);
}

static void render_container_status(struct buf *b, const struct pod *p)
{
	const struct podsim_status *st = &p->st;
	char uid[37];

	store_uid(p->m.uid ^ (uint64_t)st->restarts, uid);
	buf_adds(b, ",\"containerStatuses\":[{\"name\":");
	buf_add_json_str(b, p->c.name);
	buf_adds(b, ",\"state\":{");
	if (st->state == CS_RUNNING) {
		buf_adds(b, "\"running\":{\"startedAt\":");
		render_time(b, st->started_ms);
		buf_addch(b, '}');
	} else if (st->state == CS_TERMINATED) {
		buf_addf(b, "\"terminated\":{\"exitCode\":%d,\"reason\":\"%s\",\"finishedAt\":",
			 st->exit_code, st->reason ? st->reason : "Error");
		render_time(b, st->last_finished_ms);
		buf_addch(b, '}');
	} else {
		buf_addf(b, "\"waiting\":{\"reason\":\"%s\"", st->reason ? st->reason : "ContainerCreating");
		if (st->reason && !strcmp(st->reason, "CrashLoopBackOff")) {
			buf_adds(b, ",\"message\":\"back-off restarting failed container\"");
		} else if (st->reason && (!strcmp(st->reason, "ImagePullBackOff") || !strcmp(st->reason, "ErrImagePull"))) {
			char msg[400];

			snprintf(msg, sizeof(msg), "%s \"%s\"", !strcmp(st->reason, "ErrImagePull") ?
				 "failed to pull and unpack image" : "Back-off pulling image", p->c.image);
			buf_adds(b, ",\"message\":");
			buf_add_json_str(b, msg);
		}
		buf_addch(b, '}');
	}
	buf_adds(b, "},\"lastState\":{");
	if (st->last_reason) {
		buf_addf(b, "\"terminated\":{\"exitCode\":%d,\"reason\":\"%s\",\"finishedAt\":",
			 st->exit_code, st->last_reason);
		render_time(b, st->last_finished_ms);
		buf_addch(b, '}');
	}
	buf_addf(b, "},\"ready\":%s,\"restartCount\":%d,\"image\":", st->ready ? "true" : "false",
		 st->restarts);
	buf_add_json_str(b, p->c.image);
	buf_adds(b, ",\"imageID\":\"\"");
	if (st->state != CS_WAITING || st->restarts)
		buf_addf(b, ",\"containerID\":\"containerd://%s\"", uid);
	buf_addf(b, ",\"started\":%s}]", st->state == CS_RUNNING ? "true" : "false");
}

static void render_pod(struct buf *b, const struct pod *p)
{
	char ip[20], hip[20];
	bool ready = p->node && p->st.ready && !p->node->not_ready;

	render_meta_open(b, &p->m);
	if (p->owner)
		render_owner(b, p->owner);
	buf_adds(b, "},\"spec\":");
	render_podspec(b, &p->c, p->emptydir, p->node ? p->node->m.name : NULL);
	buf_addf(b, ",\"status\":{\"phase\":\"%s\",\"conditions\":[", phase_name(p->phase));
	if (!p->node) {
		render_cond(b, true, "PodScheduled", "False", p->m.created_ms, p->sched_msg ? "Unschedulable" : NULL,
			    p->sched_msg);
		buf_adds(b, "]");
	} else {
		render_cond(b, true, "PodReadyToStartContainers", "True", p->scheduled_ms, NULL, NULL);
		render_cond(b, false, "Initialized", "True", p->scheduled_ms, NULL, NULL);
		render_cond(b, false, "Ready", ready ? "True" : "False",
			    p->st.started_ms ? p->st.started_ms : p->scheduled_ms,
			    ready ? NULL : "ContainersNotReady",
			    ready ? NULL : "containers with unready status");
		render_cond(b, false, "ContainersReady", ready ? "True" : "False",
			    p->st.started_ms ? p->st.started_ms : p->scheduled_ms,
			    ready ? NULL : "ContainersNotReady", NULL);
		render_cond(b, false, "PodScheduled", "True", p->scheduled_ms, NULL, NULL);
		pod_ip(p, ip);
		node_ip(p->node, hip);
		buf_addf(b, "],\"hostIP\":\"%s\",\"hostIPs\":[{\"ip\":\"%s\"}],\"podIP\":\"%s\","
			 "\"podIPs\":[{\"ip\":\"%s\"}],\"startTime\":", hip, hip, ip, ip);
		render_time(b, p->scheduled_ms);
		render_container_status(b, p);
	}
	if (p->evicted)
		buf_adds(b, ",\"reason\":\"Evicted\"");
	buf_addf(b, ",\"qosClass\":\"%s\"}}", qos_class(&p->c.res));
}

static void render_node(struct buf *b, const struct node *n)
{
	char ip[20];
	int64_t t0 = n->m.created_ms, tr = n->ready_change_ms ? n->ready_change_ms : t0;
	static const struct { const char *type, *ok_reason, *ok_msg, *bad_reason, *bad_msg; } conds[] = {
		{ "MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available",
		  "KubeletHasInsufficientMemory", "kubelet has insufficient memory available" },
		{ "DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", NULL, NULL },
		{ "PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available", NULL, NULL },
		{ "Ready", "KubeletReady", "kubelet is posting ready status",
		  "NodeStatusUnknown", "Kubelet stopped posting node status." },
	};

	render_meta_open(b, &n->m);
	buf_addf(b, "},\"spec\":{\"podCIDR\":\"10.%d.%d.0/24\"", 244 + n->index / 256, n->index % 256);
	if (n->unschedulable) {
		buf_adds(b, ",\"unschedulable\":true,\"taints\":[{\"key\":\"node.kubernetes.io/unschedulable\","
			 "\"effect\":\"NoSchedule\"}]");
	} else if (n->not_ready) {
		buf_adds(b, ",\"taints\":[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"},"
			 "{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"}]");
	} else if (n->mem_pressure) {
		buf_adds(b, ",\"taints\":[{\"key\":\"node.kubernetes.io/memory-pressure\",\"effect\":\"NoSchedule\"}]");
	}
	buf_adds(b, "},\"status\":{\"capacity\":{\"cpu\":");
	render_quantity_cpu(b, n->cpu_alloc);
	buf_adds(b, ",\"ephemeral-storage\":\"100Gi\",\"memory\":");
	render_quantity_mem(b, n->mem_alloc);
	buf_addf(b, ",\"pods\":\"%d\"},\"allocatable\":{\"cpu\":", n->max_pods);
	render_quantity_cpu(b, n->cpu_alloc);
	buf_adds(b, ",\"ephemeral-storage\":\"100Gi\",\"memory\":");
	render_quantity_mem(b, n->mem_alloc);
	buf_addf(b, ",\"pods\":\"%d\"},\"conditions\":[", n->max_pods);
	for (size_t i = 0; i < 4; i++) {
		bool bad = (i == 0 && n->mem_pressure) || (i == 3 && n->not_ready);
		const char *status = i == 3 ? (n->not_ready ? "Unknown" : "True") : (bad ? "True" : "False");

		buf_addf(b, "%s{\"type\":\"%s\",\"status\":\"%s\",\"lastHeartbeatTime\":", i ? "," : "",
			 conds[i].type, status);
		render_time(b, n->lease ? n->lease->renew_ms : n->m.created_ms);
		buf_adds(b, ",\"lastTransitionTime\":");
		render_time(b, (i == 3 || i == 0) ? tr : t0);
		buf_addf(b, ",\"reason\":\"%s\",\"message\":\"%s\"}", bad ? conds[i].bad_reason : conds[i].ok_reason,
			 bad ? conds[i].bad_msg : conds[i].ok_msg);
	}
	node_ip(n, ip);
	buf_addf(b, "],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"%s\"},{\"type\":\"Hostname\","
		 "\"address\":", ip);
	buf_add_json_str(b, n->m.name);
	buf_adds(b, "}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}},\"nodeInfo\":{"
		 "\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"6.1.0-sim\","
		 "\"osImage\":\"kubemend sim\",\"containerRuntimeVersion\":\"containerd://1.7.24\","
		 "\"kubeletVersion\":\"v1.32.0\",\"kubeProxyVersion\":\"v1.32.0\","
		 "\"operatingSystem\":\"linux\",\"architecture\":\"amd64\"}}}");
}

static void render_selector_labels(struct buf *b, const struct labels *match)
{
	buf_adds(b, "\"selector\":{\"matchLabels\":");
	render_labels(b, match);
	buf_addch(b, '}');
}

static void render_deployment(struct simstate *s, struct buf *b, const struct deployment *d)
{
	int unavailable = d->replicas - d->st_ready;
	const char *avail = d->st_ready >= d->replicas - d->replicas / 4 ? "True" : "False";
	char msg[300];

	(void)s;
	render_meta_open(b, &d->m);
	buf_addf(b, "},\"spec\":{\"replicas\":%d,", d->replicas);
	render_selector_labels(b, d->match);
	buf_adds(b, ",\"template\":");
	render_template(b, &d->tpl);
	buf_addf(b, ",\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%%\","
		 "\"maxSurge\":\"25%%\"}},\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600},"
		 "\"status\":{\"observedGeneration\":%lld,\"replicas\":%d,\"updatedReplicas\":%d,"
		 "\"readyReplicas\":%d,\"availableReplicas\":%d",
		 (long long)d->observed_generation, d->st_replicas, d->st_updated, d->st_ready, d->st_ready);
	if (unavailable > 0)
		buf_addf(b, ",\"unavailableReplicas\":%d", unavailable);
	buf_adds(b, ",\"conditions\":[");
	render_cond(b, true, "Available", avail, d->m.created_ms,
		    avail[0] == 'T' ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
		    avail[0] == 'T' ? "Deployment has minimum availability." :
				      "Deployment does not have minimum availability.");
	{
		char hash[16];

		tpl_hash(&d->tpl, hash);
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s-%s\" has successfully progressed.", d->m.name, hash);
	}
	render_cond(b, false, "Progressing", "True", d->m.created_ms, "NewReplicaSetAvailable", msg);
	buf_adds(b, "]}}");
}

static void render_replicaset(struct buf *b, const struct replicaset *r)
{
	render_meta_open(b, &r->m);
	if (r->owner)
		render_owner(b, &r->owner->m);
	buf_addf(b, "},\"spec\":{\"replicas\":%d,", r->replicas);
	render_selector_labels(b, r->match);
	buf_adds(b, ",\"template\":");
	render_template(b, &r->tpl);
	buf_addf(b, "},\"status\":{\"replicas\":%d,\"fullyLabeledReplicas\":%d,\"readyReplicas\":%d,"
		 "\"availableReplicas\":%d,\"observedGeneration\":%lld}}", r->st_replicas, r->st_replicas,
		 r->st_ready, r->st_ready, (long long)r->m.generation);
}

static void render_daemonset(struct buf *b, const struct daemonset *d)
{
	render_meta_open(b, &d->m);
	buf_adds(b, "},\"spec\":{");
	render_selector_labels(b, d->match);
	buf_adds(b, ",\"template\":");
	render_template(b, &d->tpl);
	buf_addf(b, ",\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":1,"
		 "\"maxSurge\":0}},\"revisionHistoryLimit\":10},\"status\":{\"currentNumberScheduled\":%d,"
		 "\"numberMisscheduled\":0,\"desiredNumberScheduled\":%d,\"numberReady\":%d,"
		 "\"observedGeneration\":%lld,\"updatedNumberScheduled\":%d,\"numberAvailable\":%d",
		 d->st_current, d->st_desired, d->st_ready, (long long)d->m.generation, d->st_current,
		 d->st_ready);
	if (d->st_desired > d->st_ready)
		buf_addf(b, ",\"numberUnavailable\":%d", d->st_desired - d->st_ready);
	buf_adds(b, "}}");
}

static void render_pdb(struct buf *b, const struct pdb *d)
{
	render_meta_open(b, &d->m);
	buf_adds(b, "},\"spec\":{");
	if (d->percent)
		buf_addf(b, "\"%s\":\"%d%%\"", d->has_min ? "minAvailable" : "maxUnavailable", d->value);
	else
		buf_addf(b, "\"%s\":%d", d->has_min ? "minAvailable" : "maxUnavailable", d->value);
	buf_adds(b, ",\"selector\":");
	buf_adds(b, d->selector_json ? d->selector_json : "{}");
	if (d->policy_set)
		buf_addf(b, ",\"unhealthyPodEvictionPolicy\":\"%s\"",
			 d->always_allow ? "AlwaysAllow" : "IfHealthyBudget");
	buf_addf(b, "},\"status\":{\"observedGeneration\":%lld,\"disruptionsAllowed\":%d,"
		 "\"currentHealthy\":%d,\"desiredHealthy\":%d,\"expectedPods\":%d,\"conditions\":[",
		 (long long)d->m.generation, d->disruptions_allowed, d->current_healthy,
		 d->desired_healthy, d->expected);
	buf_addf(b, "{\"type\":\"DisruptionAllowed\",\"status\":\"%s\",\"observedGeneration\":%lld,"
		 "\"lastTransitionTime\":", d->disruptions_allowed > 0 ? "True" : "False",
		 (long long)d->m.generation);
	render_time(b, d->m.created_ms);
	buf_addf(b, ",\"reason\":\"%s\",\"message\":\"\"}]}}",
		 d->disruptions_allowed > 0 ? "SufficientPods" : "InsufficientPods");
}

static void render_event(struct buf *b, const struct event *e)
{
	const struct event_api *x = e->api;
	char uid[37];

	render_meta_open(b, &e->m);
	store_uid(e->inv_uid, uid);
	buf_adds(b, "},\"involvedObject\":{\"kind\":");
	buf_add_json_str(b, x ? x->kind : kind_name(e->inv_kind));
	if (x ? e->m.ns && *e->m.ns && strcmp(x->kind, "Node") : e->inv_kind != K_NODE) {
		buf_adds(b, ",\"namespace\":");
		buf_add_json_str(b, e->m.ns);
	}
	buf_adds(b, ",\"name\":");
	buf_add_json_str(b, e->inv_name);
	buf_adds(b, ",\"uid\":");
	buf_add_json_str(b, x ? x->uid : uid);
	buf_adds(b, ",\"apiVersion\":");
	buf_add_json_str(b, x ? x->api_version : kind_api_version(e->inv_kind));
	if (e->container) {
		buf_adds(b, ",\"fieldPath\":");
		{
			char fp[300];

			snprintf(fp, sizeof(fp), "spec.containers{%s}", e->container);
			buf_add_json_str(b, fp);
		}
	}
	buf_adds(b, "},\"reason\":");
	buf_add_json_str(b, e->reason);
	buf_adds(b, ",\"message\":");
	buf_add_json_str(b, e->message);
	buf_adds(b, ",\"source\":{\"component\":");
	buf_add_json_str(b, x ? x->controller : e->component);
	if (e->host) {
		buf_adds(b, ",\"host\":");
		buf_add_json_str(b, e->host);
	}
	buf_adds(b, "},\"firstTimestamp\":");
	render_time(b, e->first_ms);
	buf_adds(b, ",\"lastTimestamp\":");
	render_time(b, e->last_ms);
	buf_addf(b, ",\"count\":%d,\"type\":\"%s\",\"eventTime\":", e->count, e->warning ? "Warning" : "Normal");
	if (x && x->event_time_ms) {
		char t[RFC3339_MAX];

		time_rfc3339_ms(x->event_time_ms, t);
		buf_addf(b, "\"%.*s000Z\"", (int)strlen(t) - 1, t);
	} else {
		buf_adds(b, "null");
	}
	if (x && x->series_count) {
		char t[RFC3339_MAX];

		time_rfc3339_ms(x->series_last_ms, t);
		buf_addf(b, ",\"series\":{\"count\":%d,\"lastObservedTime\":\"%.*s000Z\"}", x->series_count,
			 (int)strlen(t) - 1, t);
	}
	if (x) {
		buf_adds(b, ",\"action\":");
		buf_add_json_str(b, x->action);
	}
	buf_adds(b, ",\"reportingComponent\":");
	buf_add_json_str(b, x ? x->controller : e->component);
	buf_adds(b, ",\"reportingInstance\":");
	buf_add_json_str(b, x ? x->instance : "");
	buf_addch(b, '}');
}

static void render_lease(struct buf *b, const struct lease *l)
{
	char t[RFC3339_MAX];

	render_meta_open(b, &l->m);
	buf_adds(b, "},\"spec\":{");
	if (l->holder) {
		buf_adds(b, "\"holderIdentity\":");
		buf_add_json_str(b, l->holder);
		buf_addch(b, ',');
	}
	buf_addf(b, "\"leaseDurationSeconds\":%d,\"leaseTransitions\":%d", l->duration_s, l->transitions);
	if (l->acquire_ms) {
		time_rfc3339_ms(l->acquire_ms, t);
		buf_addf(b, ",\"acquireTime\":\"%.23s000Z\"", t);
	}
	if (l->renew_ms) {
		time_rfc3339_ms(l->renew_ms, t);
		buf_addf(b, ",\"renewTime\":\"%.23s000Z\"", t);
	}
	buf_adds(b, "}}");
}

void render_partial_meta(struct buf *b, const struct meta *m)
{
	const struct meta *owner = m->kind == K_POD ? ((const struct pod *)m)->owner :
				   m->kind == K_REPLICASET && ((const struct replicaset *)m)->owner ?
				   &((const struct replicaset *)m)->owner->m : NULL;

	render_meta_as(b, m, "PartialObjectMetadata", "meta.k8s.io/v1");
	if (owner)
		render_owner(b, owner);
	buf_adds(b, "}}");
}

void render_obj(struct simstate *s, struct buf *b, const struct meta *m)
{
	switch (m->kind) {
	case K_POD: render_pod(b, (const struct pod *)m); break;
	case K_NODE: render_node(b, (const struct node *)m); break;
	case K_NAMESPACE:
		render_meta_open(b, m);
		buf_adds(b, "},\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}");
		break;
	case K_EVENT: render_event(b, (const struct event *)m); break;
	case K_DEPLOYMENT: render_deployment(s, b, (const struct deployment *)m); break;
	case K_REPLICASET: render_replicaset(b, (const struct replicaset *)m); break;
	case K_DAEMONSET: render_daemonset(b, (const struct daemonset *)m); break;
	case K_PDB: render_pdb(b, (const struct pdb *)m); break;
	case K_LEASE: render_lease(b, (const struct lease *)m); break;
	default:
		if (m->kind >= K_GEN0)
			gen_render(b, m);
		else
			buf_adds(b, "{}");
		break;
	}
}

bool field_supported(enum kind k, const char *key)
{
	static const char *const common[] = { "metadata.name", "metadata.namespace" };
	static const char *const pod[] = { "spec.nodeName", "status.phase", "spec.restartPolicy",
					   "spec.schedulerName", "spec.serviceAccountName", "status.podIP",
					   "status.nominatedNodeName" };
	static const char *const ev[] = { "involvedObject.kind", "involvedObject.namespace",
					  "involvedObject.name", "involvedObject.uid",
					  "involvedObject.apiVersion", "involvedObject.resourceVersion",
					  "involvedObject.fieldPath", "reason", "reportingComponent",
					  "source", "type" };

	for (size_t i = 0; i < 2; i++)
		if (!strcmp(key, common[i]))
			return true;
	if (k == K_POD)
		for (size_t i = 0; i < sizeof(pod) / sizeof(pod[0]); i++)
			if (!strcmp(key, pod[i]))
				return true;
	if (k == K_EVENT)
		for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
			if (!strcmp(key, ev[i]))
				return true;
	if (k == K_NODE && !strcmp(key, "spec.unschedulable"))
		return true;
	if (k == K_NAMESPACE && !strcmp(key, "status.phase"))
		return true;
	return false;
}

const char *obj_field(const struct meta *m, const char *key, char tmp[32])
{
	if (!strcmp(key, "metadata.name"))
		return m->name;
	if (!strcmp(key, "metadata.namespace"))
		return m->ns ? m->ns : "";
	if (m->kind == K_POD) {
		const struct pod *p = (const struct pod *)m;

		if (!strcmp(key, "spec.nodeName"))
			return p->node ? p->node->m.name : "";
		if (!strcmp(key, "status.phase"))
			return phase_name(p->phase);
		if (!strcmp(key, "spec.restartPolicy"))
			return "Always";
		if (!strcmp(key, "spec.schedulerName"))
			return "default-scheduler";
		if (!strcmp(key, "spec.serviceAccountName"))
			return "default";
		if (!strcmp(key, "status.podIP")) {
			if (!p->node)
				return "";
			pod_ip(p, tmp);
			return tmp;
		}
		return "";
	}
	if (m->kind == K_EVENT) {
		const struct event *e = (const struct event *)m;

		if (e->api && !strcmp(key, "involvedObject.kind"))
			return e->api->kind;
		if (e->api && !strcmp(key, "involvedObject.uid"))
			return e->api->uid;
		if (e->api && !strcmp(key, "involvedObject.apiVersion"))
			return e->api->api_version;
		if (e->api && (!strcmp(key, "reportingComponent") || !strcmp(key, "source")))
			return e->api->controller;
		if (e->api && !strcmp(key, "involvedObject.namespace"))
			return strcmp(e->api->kind, "Node") ? e->m.ns : "";
		if (!strcmp(key, "involvedObject.kind"))
			return kind_name(e->inv_kind);
		if (!strcmp(key, "involvedObject.namespace"))
			return e->inv_kind == K_NODE ? "" : e->m.ns;
		if (!strcmp(key, "involvedObject.name"))
			return e->inv_name;
		if (!strcmp(key, "involvedObject.uid")) {
			static __thread char uid[37];

			store_uid(e->inv_uid, uid);
			return uid;
		}
		if (!strcmp(key, "involvedObject.apiVersion"))
			return kind_api_version(e->inv_kind);
		if (!strcmp(key, "reason"))
			return e->reason;
		if (!strcmp(key, "type"))
			return e->warning ? "Warning" : "Normal";
		if (!strcmp(key, "reportingComponent") || !strcmp(key, "source"))
			return e->component;
		return "";
	}
	if (m->kind == K_NODE && !strcmp(key, "spec.unschedulable"))
		return ((const struct node *)m)->unschedulable ? "true" : "false";
	if (m->kind == K_NAMESPACE && !strcmp(key, "status.phase"))
		return "Active";
	return "";
}

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kube/objects.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * Field access. Each getter takes a dotted path for the error message and
 * fails when the field is present with the wrong type; an absent (or null)
 * field is not an error and leaves the default.
 */
struct ctx {
	const char *kind;
	char *err;
	size_t errlen;
	int rc;
};

static void bad(struct ctx *c, const char *field, const char *want)
{
	if (c->rc == 0)
		snprintf(c->err, c->errlen, "%s: field %s is not %s", c->kind, field, want);
	c->rc = -EINVAL;
}

static const json_t *path_get(const json_t *obj, const char *path)
{
	char key[64];
	const char *p = path;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key) || !json_is_object(obj))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		p += n + (dot ? 1 : 0);
	}
	return json_is_null(obj) ? NULL : obj;
}

static char *get_str(struct ctx *c, const json_t *obj, const char *path)
{
	const json_t *v = path_get(obj, path);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		bad(c, path, "a string");
		return NULL;
	}
	return xstrndup(json_string_value(v), json_string_length(v));
}

static char *need_str(struct ctx *c, const json_t *obj, const char *path)
{
	char *s = get_str(c, obj, path);
	if (!s && c->rc == 0) {
		snprintf(c->err, c->errlen, "%s: field %s is missing", c->kind, path);
		c->rc = -EINVAL;
	}
	return s;
}

static int64_t get_time(struct ctx *c, const json_t *obj, const char *path)
{
	const json_t *v = path_get(obj, path);
	int64_t ms;
	if (!v)
		return 0;
	if (!json_is_string(v) || time_parse(json_string_value(v), &ms) < 0) {
		bad(c, path, "an RFC 3339 time");
		return 0;
	}
	return ms;
}

static int64_t get_int(struct ctx *c, const json_t *obj, const char *path, int64_t dflt)
{
	const json_t *v = path_get(obj, path);
	if (!v)
		return dflt;
	if (!json_is_integer(v)) {
		bad(c, path, "an integer");
		return dflt;
	}
	return json_integer_value(v);
}

/* A number, as JSON number or (for quantities) a string like "100m". */
static double get_num(struct ctx *c, const json_t *obj, const char *path)
{
	const json_t *v = path_get(obj, path);
	double d;
	if (!v)
		return NAN;
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v) && str_to_quantity(json_string_value(v), &d) == 0)
		return d;
	bad(c, path, "a number or quantity");
	return NAN;
}

static const json_t *get_array(struct ctx *c, const json_t *obj, const char *path)
{
	const json_t *v = path_get(obj, path);
	if (v && !json_is_array(v)) {
		bad(c, path, "an array");
		return NULL;
	}
	return v;
}

static int64_t get_duration(struct ctx *c, const json_t *obj, const char *path)
{
	const json_t *v = path_get(obj, path);
	int64_t ms;
	if (!v)
		return 0;
	if (!json_is_string(v) || str_to_duration_ms(json_string_value(v), &ms) < 0) {
		bad(c, path, "a duration");
		return 0;
	}
	return ms;
}

static void ctx_init(struct ctx *c, const char *kind, const json_t *obj,
		     char *err, size_t errlen)
{
	c->kind = kind;
	c->err = err;
	c->errlen = errlen;
	c->rc = 0;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "%s: not a JSON object", kind);
		c->rc = -EINVAL;
	}
}

/* ---- Pod ---- */

/* How telling a container reason is: waiting problems first. */
static int reason_rank(const char *r, bool waiting)
{
	if (!r)
		return 0;
	if (waiting && (!strcmp(r, "ContainerCreating") || !strcmp(r, "PodInitializing")))
		return 1;
	if (!strcmp(r, "Completed"))
		return 1;
	return waiting ? 4 : 3;
}

static void sum_resource(struct ctx *c, const json_t *container, const char *path,
			 double *acc)
{
	double v = get_num(c, container, path);
	if (isnan(v) || isnan(*acc))
		*acc = NAN;
	else
		*acc += v;
}

static void owner_ref(struct ctx *c, const json_t *obj, char **kind, char **name)
{
	const json_t *refs = get_array(c, obj, "metadata.ownerReferences");
	size_t i;
	const json_t *r;

	json_array_foreach(refs, i, r) {
		const json_t *ctl = json_object_get(r, "controller");
		if (json_is_true(ctl) || (!*kind && json_array_size(refs) == 1)) {
			free(*kind);
			free(*name);
			*kind = get_str(c, r, "kind");
			*name = get_str(c, r, "name");
			if (json_is_true(ctl))
				break;
		}
	}
}

int kube_pod_parse(const json_t *obj, struct kube_pod *out, char *err, size_t errlen)
{
	struct kube_pod p;
	struct ctx c;
	const json_t *arr, *it;
	size_t i;
	int best = 0;

	memset(&p, 0, sizeof(p));
	p.last_exit_code = -1;
	ctx_init(&c, "Pod", obj, err, errlen);
	if (c.rc)
		return c.rc;
	p.name = need_str(&c, obj, "metadata.name");
	p.namespace = need_str(&c, obj, "metadata.namespace");
	p.uid = get_str(&c, obj, "metadata.uid");
	p.resource_version = get_str(&c, obj, "metadata.resourceVersion");
	p.created_ms = get_time(&c, obj, "metadata.creationTimestamp");
	p.deleting = path_get(obj, "metadata.deletionTimestamp") != NULL;
	p.node = get_str(&c, obj, "spec.nodeName");
	p.phase = get_str(&c, obj, "status.phase");
	p.reason = get_str(&c, obj, "status.reason");
	p.message = get_str(&c, obj, "status.message");
	p.started_ms = get_time(&c, obj, "status.startTime");
	owner_ref(&c, obj, &p.owner_kind, &p.owner_name);

	arr = get_array(&c, obj, "spec.containers");
	p.cpu_request = p.cpu_limit = p.mem_request = p.mem_limit = json_array_size(arr) ? 0 : NAN;
	json_array_foreach(arr, i, it) {
		sum_resource(&c, it, "resources.requests.cpu", &p.cpu_request);
		sum_resource(&c, it, "resources.limits.cpu", &p.cpu_limit);
		sum_resource(&c, it, "resources.requests.memory", &p.mem_request);
		sum_resource(&c, it, "resources.limits.memory", &p.mem_limit);
	}
	p.containers_total = (int)json_array_size(arr);

	arr = get_array(&c, obj, "status.containerStatuses");
	json_array_foreach(arr, i, it) {
		static const struct { const char *reason, *message; bool waiting; } where[] = {
			{ "state.waiting.reason", "state.waiting.message", true },
			{ "state.terminated.reason", "state.terminated.message", false },
		};
		const json_t *ready = json_object_get(it, "ready");
		if (ready && !json_is_boolean(ready))
			bad(&c, "status.containerStatuses[].ready", "a boolean");
		if (json_is_true(ready))
			p.containers_ready++;
		p.restarts += (int)get_int(&c, it, "restartCount", 0);
		if (!p.last_reason) {
			p.last_reason = get_str(&c, it, "lastState.terminated.reason");
			if (p.last_reason)
				p.last_exit_code = (int)get_int(&c, it, "lastState.terminated.exitCode", -1);
		}
		for (size_t w = 0; w < 2; w++) {
			char *r = get_str(&c, it, where[w].reason);
			int rank = reason_rank(r, where[w].waiting);
			if (rank > best) {
				best = rank;
				free(p.container_reason);
				free(p.container_message);
				p.container_reason = r;
				p.container_message = get_str(&c, it, where[w].message);
			} else {
				free(r);
			}
		}
	}
	if (c.rc) {
		kube_pod_release(&p);
		return c.rc;
	}
	*out = p;
	return 0;
}

void kube_pod_release(struct kube_pod *p)
{
	if (!p)
		return;
	free(p->namespace); free(p->name); free(p->uid); free(p->node);
	free(p->phase); free(p->reason); free(p->message);
	free(p->owner_kind); free(p->owner_name);
	free(p->container_reason); free(p->container_message); free(p->last_reason);
	free(p->resource_version);
	memset(p, 0, sizeof(*p));
}

/* ---- Node ---- */

int kube_node_parse(const json_t *obj, struct kube_node *out, char *err, size_t errlen)
{
	static const struct { const char *type; unsigned bit; } bits[] = {
		{ "MemoryPressure", NODE_MEMORY_PRESSURE }, { "DiskPressure", NODE_DISK_PRESSURE },
		{ "PIDPressure", NODE_PID_PRESSURE }, { "NetworkUnavailable", NODE_NETWORK_UNAVAILABLE },
	};
	struct kube_node n;
	struct ctx c;
	const json_t *arr, *it, *u;
	size_t i;

	memset(&n, 0, sizeof(n));
	ctx_init(&c, "Node", obj, err, errlen);
	if (c.rc)
		return c.rc;
	n.name = need_str(&c, obj, "metadata.name");
	n.ready = -1;
	u = path_get(obj, "spec.unschedulable");
	if (u && !json_is_boolean(u))
		bad(&c, "spec.unschedulable", "a boolean");
	n.unschedulable = json_is_true(u);
	n.cpu_allocatable = get_num(&c, obj, "status.allocatable.cpu");
	n.mem_allocatable = get_num(&c, obj, "status.allocatable.memory");
	arr = get_array(&c, obj, "status.conditions");
	json_array_foreach(arr, i, it) {
		char *type = get_str(&c, it, "type"), *status = get_str(&c, it, "status");
		if (type && status) {
			bool t = !strcmp(status, "True");
			if (!strcmp(type, "Ready"))
				n.ready = t ? 1 : !strcmp(status, "False") ? 0 : -1;
			for (size_t b = 0; b < sizeof(bits) / sizeof(bits[0]); b++)
				if (t && !strcmp(type, bits[b].type))
					n.conditions |= bits[b].bit;
		}
		free(type);
		free(status);
	}
	if (c.rc) {
		kube_node_release(&n);
		return c.rc;
	}
	*out = n;
	return 0;
}

void kube_node_release(struct kube_node *n)
{
	if (!n)
		return;
	free(n->name);
	memset(n, 0, sizeof(*n));
}

/* ---- Event (core/v1, and events.k8s.io/v1 field names) ---- */

int kube_event_parse(const json_t *obj, struct kube_event *out, char *err, size_t errlen)
{
	struct kube_event e;
	struct ctx c;
	const char *ref = path_get(obj, "involvedObject") ? "involvedObject" : "regarding";
	char path[64];
	char *comp, *host;

	memset(&e, 0, sizeof(e));
	ctx_init(&c, "Event", obj, err, errlen);
	if (c.rc)
		return c.rc;
	e.name = need_str(&c, obj, "metadata.name");
	e.namespace = get_str(&c, obj, "metadata.namespace");
	snprintf(path, sizeof(path), "%s.kind", ref);
	e.kind = get_str(&c, obj, path);
	snprintf(path, sizeof(path), "%s.name", ref);
	e.obj_name = get_str(&c, obj, path);
	snprintf(path, sizeof(path), "%s.namespace", ref);
	e.obj_namespace = get_str(&c, obj, path);
	e.type = get_str(&c, obj, "type");
	e.reason = get_str(&c, obj, "reason");
	e.message = get_str(&c, obj, "message");
	if (!e.message)
		e.message = get_str(&c, obj, "note");
	comp = get_str(&c, obj, "source.component");
	if (!comp)
		comp = get_str(&c, obj, "reportingComponent");
	host = get_str(&c, obj, "source.host");
	if (comp && host) {
		size_t n = strlen(comp) + strlen(host) + 3;
		e.source = xmalloc(n);
		snprintf(e.source, n, "%s, %s", comp, host);
		free(comp);
	} else {
		e.source = comp;
	}
	free(host);
	e.count = (int)get_int(&c, obj, "count", 0);
	if (e.count <= 0)
		e.count = (int)get_int(&c, obj, "series.count", 1);
	if (e.count <= 0)
		e.count = 1;
	e.last_ms = get_time(&c, obj, "lastTimestamp");
	if (!e.last_ms)
		e.last_ms = get_time(&c, obj, "series.lastObservedTime");
	if (!e.last_ms)
		e.last_ms = get_time(&c, obj, "eventTime");
	if (!e.last_ms)
		e.last_ms = get_time(&c, obj, "firstTimestamp");
	if (!e.last_ms)
		e.last_ms = get_time(&c, obj, "metadata.creationTimestamp");
	if (c.rc) {
		kube_event_release(&e);
		return c.rc;
	}
	*out = e;
	return 0;
}

void kube_event_release(struct kube_event *e)
{
	if (!e)
		return;
	free(e->namespace); free(e->name); free(e->kind); free(e->obj_namespace);
	free(e->obj_name); free(e->type); free(e->reason); free(e->message); free(e->source);
	memset(e, 0, sizeof(*e));
}

/* ---- owners ---- */

int kube_owner_parse(const json_t *obj, struct kube_owner *out, char *err, size_t errlen)
{
	struct kube_owner o;
	struct ctx c;

	memset(&o, 0, sizeof(o));
	ctx_init(&c, "owner", obj, err, errlen);
	if (c.rc)
		return c.rc;
	o.kind = need_str(&c, obj, "kind");
	o.name = need_str(&c, obj, "metadata.name");
	o.namespace = get_str(&c, obj, "metadata.namespace");
	owner_ref(&c, obj, &o.owner_kind, &o.owner_name);
	if (c.rc) {
		kube_owner_release(&o);
		return c.rc;
	}
	*out = o;
	return 0;
}

void kube_owner_release(struct kube_owner *o)
{
	if (!o)
		return;
	free(o->kind); free(o->namespace); free(o->name); free(o->owner_kind); free(o->owner_name);
	memset(o, 0, sizeof(*o));
}

/* ---- metrics.k8s.io ---- */

static void sum_usage(struct ctx *c, const json_t *obj, double *cpu, double *mem)
{
	const json_t *arr = get_array(c, obj, "containers"), *it;
	size_t i;

	*cpu = *mem = json_array_size(arr) ? 0 : NAN;
	json_array_foreach(arr, i, it) {
		sum_resource(c, it, "usage.cpu", cpu);
		sum_resource(c, it, "usage.memory", mem);
	}
}

int kube_pod_metrics_parse(const json_t *obj, struct kube_pod_metrics *out,
			   char *err, size_t errlen)
{
	struct kube_pod_metrics m;
	struct ctx c;

	memset(&m, 0, sizeof(m));
	ctx_init(&c, "PodMetrics", obj, err, errlen);
	if (c.rc)
		return c.rc;
	m.name = need_str(&c, obj, "metadata.name");
	m.namespace = need_str(&c, obj, "metadata.namespace");
	m.ts_ms = get_time(&c, obj, "timestamp");
	m.window_ms = get_duration(&c, obj, "window");
	sum_usage(&c, obj, &m.cpu_cores, &m.mem_bytes);
	if (c.rc) {
		kube_pod_metrics_release(&m);
		return c.rc;
	}
	*out = m;
	return 0;
}

void kube_pod_metrics_release(struct kube_pod_metrics *m)
{
	if (!m)
		return;
	free(m->namespace);
	free(m->name);
	memset(m, 0, sizeof(*m));
}

int kube_node_metrics_parse(const json_t *obj, struct kube_node_metrics *out,
			    char *err, size_t errlen)
{
	struct kube_node_metrics m;
	struct ctx c;

	memset(&m, 0, sizeof(m));
	ctx_init(&c, "NodeMetrics", obj, err, errlen);
	if (c.rc)
		return c.rc;
	m.name = need_str(&c, obj, "metadata.name");
	m.ts_ms = get_time(&c, obj, "timestamp");
	m.window_ms = get_duration(&c, obj, "window");
	m.cpu_cores = get_num(&c, obj, "usage.cpu");
	m.mem_bytes = get_num(&c, obj, "usage.memory");
	if (c.rc) {
		kube_node_metrics_release(&m);
		return c.rc;
	}
	*out = m;
	return 0;
}

void kube_node_metrics_release(struct kube_node_metrics *m)
{
	if (!m)
		return;
	free(m->name);
	memset(m, 0, sizeof(*m));
}

/* ---- kubelet summary ---- */

/* What kube_summary_parse() never reads (keep in step with it). */
const char *const kube_summary_skim[] = {
	"containers", "volume", "process_stats", "startTime", "interfaces", "systemContainers",
	"fs", "runtime", "rlimit", "swap", "uid", "usageCoreNanoSeconds", "usageBytes",
	"rssBytes", "pageFaults", "majorPageFaults", "availableBytes", "capacityBytes",
	"inodesFree", "inodes", "inodesUsed", NULL,
};

int kube_summary_parse(const json_t *obj, struct kube_summary *out, char *err, size_t errlen)
{
	struct kube_summary s;
	struct ctx c;
	const json_t *arr, *it;
	size_t i;

	memset(&s, 0, sizeof(s));
	ctx_init(&c, "Summary", obj, err, errlen);
	if (c.rc)
		return c.rc;
	s.node = need_str(&c, obj, "node.nodeName");
	arr = get_array(&c, obj, "pods");
	if (json_array_size(arr))
		s.pods = xcalloc(json_array_size(arr), sizeof(*s.pods));
	json_array_foreach(arr, i, it) {
		struct kube_pod_stats *p = &s.pods[s.npods++];
		p->name = need_str(&c, it, "podRef.name");
		p->namespace = need_str(&c, it, "podRef.namespace");
		p->net_ts_ms = get_time(&c, it, "network.time");
		p->rx_bytes = get_num(&c, it, "network.rxBytes");
		p->tx_bytes = get_num(&c, it, "network.txBytes");
		p->rx_errors = get_num(&c, it, "network.rxErrors");
		p->tx_errors = get_num(&c, it, "network.txErrors");
		p->cpu_cores = get_num(&c, it, "cpu.usageNanoCores") * 1e-9;
		p->mem_bytes = get_num(&c, it, "memory.workingSetBytes");
		p->fs_used_bytes = get_num(&c, it, "ephemeral-storage.usedBytes");
		if (c.rc)
			break;
	}
	if (c.rc) {
		kube_summary_release(&s);
		return c.rc;
	}
	*out = s;
	return 0;
}

void kube_summary_release(struct kube_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npods; i++) {
		free(s->pods[i].namespace);
		free(s->pods[i].name);
	}
	free(s->pods);
	free(s->node);
	memset(s, 0, sizeof(*s));
}

void kube_status_message(const json_t *obj, char *msg, size_t msglen,
			 char *reason, size_t reasonlen)
{
	const json_t *kind = json_object_get(obj, "kind");
	const json_t *m = json_object_get(obj, "message");
	const json_t *r = json_object_get(obj, "reason");

	msg[0] = reason[0] = '\0';
	if (!json_is_string(kind) || strcmp(json_string_value(kind), "Status"))
		return;
	if (json_is_string(m))
		str_copy(msg, json_string_value(m), msglen);
	if (json_is_string(r))
		str_copy(reason, json_string_value(r), reasonlen);
}

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "metrics/cadvisor.h"
#include "remedy/target.h"
#include "remedy/verify.h"
#include "base/banned.h"

#define MAX_TRACKED 1000

const char *verdict_name(enum verdict v)
{
	return v == VERDICT_SUCCEEDED ? "succeeded" : v == VERDICT_FAILED ? "failed" : "unverified";
}

/* Restart counts per pod, from the first time each pod was seen in the window. */
struct seen {
	char name[256];
	int first, last;
	bool oom;               /* its last termination was an OOM kill */
	double net_first, net_last;     /* network errors (rx + tx), NaN until read */
	double thr_first, per_first, thr_last, per_last;  /* CFS periods throttled / all, NaN until read */
	char node[128];
};

struct watch {
	struct seen *pods;
	size_t n, cap;
	int observations, errors;
	/* the newest observation */
	int total, ready, matching;     /* matching: pods with the new limit */
	bool old_pod_present, node_unschedulable, rollout_done, deployment_has_limit;
	int node_pods_left, available;
	bool net_read;                  /* some error counter was read */
	double mem_peak;                /* highest working set of one watched pod (metrics.k8s.io), bytes */
	double cpu_per_pod;             /* a scale for a CPU insight: mean use of the pods now, cores (0: unread) */
	double cpu_normal;              /* what one pod uses at most when normal, cores; 0: not judged */
	int hpa_max;                    /* raise_hpa_max: the HPA's spec.maxReplicas now */
	int hpa_wants;                  /* and what its own rule asks for, the maximum aside (0: unknown) */
	/* change_limits: the container changed, and the pods' new limits summed over
	 * their containers (a sidecar's included; 0: as the container's) */
	const char *container;
	double pod_mem_limit, pod_cpu_limit;
	char last_error[KUBE_ERRMSG];
};

static struct seen *track(struct watch *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->pods[i].name, name))
			return &w->pods[i];
	if (w->n >= MAX_TRACKED)
		return NULL;
	ARRAY_GROW(w->pods, w->cap, w->n + 1);
	memset(&w->pods[w->n], 0, sizeof(w->pods[0]));
	str_copy(w->pods[w->n].name, name, sizeof(w->pods[0].name));
	w->pods[w->n].first = -1;
	w->pods[w->n].net_first = w->pods[w->n].net_last = NAN;
	w->pods[w->n].thr_first = w->pods[w->n].per_first = NAN;
	w->pods[w->n].thr_last = w->pods[w->n].per_last = NAN;
	return &w->pods[w->n++];
}

static bool near(double a, double b)
{
	return isfinite(a) && isfinite(b) && fabs(a - b) <= 0.005 * (b > 0 ? b : 1);
}

/* Reads the Deployment's status and its pods. want_mem/cpu (0: any) select
 * the pods that carry the new limits; only their restarts count. */
static int observe_workload(struct kube_client *kc, const char *ns, const char *dep,
			    double want_mem, double want_cpu, const char *want_owner,
			    struct watch *w, struct kube_error *e)
{
	struct workload_pods wp;
	json_t *d = NULL;
	const json_t *st, *spec;
	int rc, replicas;

	rc = target_get(kc, "get deployment", "/apis/apps/v1", ns, "deployments", dep, &d, e);
	if (rc)
		return rc;
	spec = json_object_get(d, "spec");
	st = json_object_get(d, "status");
	replicas = json_is_integer(json_object_get(spec, "replicas")) ?
		   (int)json_integer_value(json_object_get(spec, "replicas")) : 1;
	w->available = (int)json_integer_value(json_object_get(st, "availableReplicas"));
	w->rollout_done =
		json_integer_value(json_object_get(st, "observedGeneration")) >=
		json_integer_value(json_object_get(json_object_get(d, "metadata"), "generation")) &&
		json_integer_value(json_object_get(st, "updatedReplicas")) >= replicas &&
		json_integer_value(json_object_get(st, "replicas")) <= replicas &&
		w->available >= replicas;
	if (want_mem > 0 || want_cpu > 0) {
		struct target_state ts;
		memset(&ts, 0, sizeof(ts));
		ts.mem_limit_v = ts.cpu_limit_v = NAN;
		target_read_deployment(d, w->container, &ts);
		w->deployment_has_limit = (!(want_mem > 0) || near(ts.mem_limit_v, want_mem)) &&
					  (!(want_cpu > 0) || near(ts.cpu_limit_v, want_cpu));
	} else {
		w->deployment_has_limit = true; /* no limit changed (requests only): nothing to hold */
	}
	json_decref(d);
	rc = workload_pods_list(kc, ns, dep, &wp, e);
	if (rc)
		return rc;
	w->total = w->ready = w->matching = 0;
	for (size_t i = 0; i < wp.n; i++) {
		const struct kube_pod *kp = &wp.pods[i];
		double pm = w->pod_mem_limit > 0 ? w->pod_mem_limit : want_mem;
		double pc = w->pod_cpu_limit > 0 ? w->pod_cpu_limit : want_cpu;
		bool match = (!(want_mem > 0) || near(kp->mem_limit, pm)) &&
			     (!(want_cpu > 0) || near(kp->cpu_limit, pc)) &&
			     (!want_owner || str_eq(kp->owner_name, want_owner));
		struct seen *s;

		if (kp->deleting)
			continue;
		w->total++;
		if (str_eq(kp->phase, "Running") && kp->containers_total > 0 &&
		    kp->containers_ready == kp->containers_total)
			w->ready++;
		if (!match)
			continue;
		w->matching++;
		s = track(w, kp->name);
		if (!s)
			continue;
		if (s->first < 0)
			s->first = kp->restarts;
		s->last = kp->restarts;
		s->oom = str_eq(kp->container_reason, "OOMKilled");
		str_copy(s->node, kp->node ? kp->node : "", sizeof(s->node));
	}
	workload_pods_release(&wp);
	return 0;
}

/* Reads the network error counters of the tracked pods from their nodes'
 * kubelet summaries (one request per node). */
static void observe_network(struct kube_client *kc, const char *ns, struct watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct kube_summary sum;
		struct kube_error e = { 0 };
		struct buf p = BUF_INIT;
		char err[KUBE_ERRLEN];
		json_t *j = NULL;
		bool seen_before = false;

		if (!w->pods[i].node[0])
			continue;
		for (size_t k = 0; k < i; k++)
			seen_before |= !strcmp(w->pods[k].node, w->pods[i].node);
		if (seen_before)
			continue;
		buf_adds(&p, "/api/v1/nodes/");
		target_escape(&p, w->pods[i].node);
		buf_adds(&p, "/proxy/stats/summary");
		if (kube_get(kc, "kubelet summary", p.data, &j, &e) == 0 &&
		    kube_summary_parse(j, &sum, err, sizeof(err)) == 0) {
			for (size_t q = 0; q < sum.npods; q++) {
				const struct kube_pod_stats *ps = &sum.pods[q];
				double errs = ps->rx_errors + (isnan(ps->tx_errors) ? 0 : ps->tx_errors);
				if (!str_eq(ps->namespace, ns) || isnan(errs))
					continue;
				for (size_t k = 0; k < w->n; k++) {
					if (strcmp(w->pods[k].name, ps->name))
						continue;
					if (isnan(w->pods[k].net_first))
						w->pods[k].net_first = errs;
					w->net_read = true;
					w->pods[k].net_last = errs;
				}
			}
			kube_summary_release(&sum);
		}
		json_decref(j);
		buf_release(&p);
	}
}

static double network_errors_in_window(const struct watch *w)
{
	double n = 0;

	for (size_t i = 0; i < w->n; i++)
		if (w->pods[i].net_last > w->pods[i].net_first)
			n += w->pods[i].net_last - w->pods[i].net_first;
	return n;
}

static int restarts_in_window(const struct watch *w, bool *oom)
{
	int n = 0;

	*oom = false;
	for (size_t i = 0; i < w->n; i++) {
		int d = w->pods[i].last - w->pods[i].first;
		if (d > 0) {
			n += d;
			*oom |= w->pods[i].oom;
		}
	}
	return n;
}

struct node_ctx {
	int left;
};

static int node_pod(const json_t *item, void *ctx)
{
	struct node_ctx *nc = ctx;
	const json_t *meta = json_object_get(item, "metadata"), *r;
	size_t i;

	if (json_object_get(json_object_get(meta, "annotations"), "kubernetes.io/config.mirror"))
		return 0;
	json_array_foreach(json_object_get(meta, "ownerReferences"), i, r)
		if (str_eq(json_string_value(json_object_get(r, "kind")), "DaemonSet"))
			return 0;
	nc->left++;
	return 0;
}

static int observe_node(struct kube_client *kc, const char *name, bool pods,
			struct watch *w, struct kube_error *e)
{
	json_t *n = NULL;
	int rc = target_get(kc, "get node", "/api/v1", NULL, "nodes", name, &n, e);

	if (rc)
		return rc;
	w->node_unschedulable = json_is_true(json_object_get(json_object_get(n, "spec"),
							     "unschedulable"));
	json_decref(n);
	if (pods) {
		struct buf p = BUF_INIT, sel = BUF_INIT;
		struct node_ctx nc = { 0 };
		buf_addf(&sel, "spec.nodeName=%s", name);
		buf_adds(&p, "/api/v1/pods?fieldSelector=");
		target_escape(&p, sel.data);
		rc = kube_list(kc, "list pods on node", p.data, 500, node_pod, NULL, &nc, NULL, 0, e);
		buf_release(&p);
		buf_release(&sel);
		w->node_pods_left = nc.left;
	}
	return rc;
}

static int observe_target(struct kube_client *kc, const struct proposal *p,
			  const json_t *result, struct watch *w, struct kube_error *e)
{
	const char *op = json_string_value(json_object_get(result, "operation"));
	const char *dep = json_string_value(json_object_get(result, "deployment"));
	int rc;

	switch (p->kind) {
	case ACT_RESTART_POD:
		if (str_eq(op, "delete_pod") || str_eq(op, "evict_pod")) {
			json_t *pod = NULL;
			const char *uid = json_string_value(json_object_get(result, "uid"));
			rc = target_get(kc, "get pod", "/api/v1", p->namespace_, "pods", p->name, &pod, e);
			if (rc && rc != -ENOENT)
				return rc;
			w->old_pod_present = rc == 0 && uid &&
				str_eq(json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid")), uid);
			json_decref(pod);
		}
		return dep ? observe_workload(kc, p->namespace_, dep, 0, 0, NULL, w, e) : 0;
	case ACT_CHANGE_LIMITS:
		return observe_workload(kc, p->namespace_, p->name, p->mem_limit_after,
					p->cpu_limit_after, NULL, w, e);
	case ACT_SCALE_DEPLOYMENT:
		return observe_workload(kc, p->namespace_, p->name, 0, 0, NULL, w, e);
	case ACT_RAISE_HPA_MAX: {
		json_t *h = NULL;

		rc = target_get(kc, "get horizontalpodautoscaler", "/apis/autoscaling/v2", p->namespace_,
				"horizontalpodautoscalers", p->name, &h, e);
		if (rc)
			return rc;
		w->hpa_max = (int)json_integer_value(json_object_get(json_object_get(h, "spec"), "maxReplicas"));
		w->hpa_wants = target_hpa_wants(h);
		json_decref(h);
		return observe_workload(kc, p->namespace_, p->workload ? p->workload : p->name, 0, 0, NULL, w, e);
	}
	case ACT_ROLLOUT_UNDO:
		/* only the pods of the restored revision count: the bad ones go as it rolls out */
		return observe_workload(kc, p->namespace_, p->name, 0, 0,
					json_string_value(json_object_get(json_object_get(result, "restored"),
									  "replicaset")), w, e);
	case ACT_CORDON_NODE:
	case ACT_UNCORDON_NODE:
		return observe_node(kc, p->name, false, w, e);
	case ACT_DRAIN_NODE:
		return observe_node(kc, p->name, true, w, e);
	default:
		return -EINVAL;
	}
}

struct thr_ctx {
	struct watch *w;
	const char *ns;
};

static void on_cadvisor(void *ctx, const struct cadvisor_drops *d)
{
	struct thr_ctx *x = ctx;

	if (strcmp(d->namespace, x->ns) || isnan(d->thr_periods) || isnan(d->periods))
		return;
	for (size_t k = 0; k < x->w->n; k++) {
		struct seen *p = &x->w->pods[k];

		if (strcmp(p->name, d->pod))
			continue;
		if (isnan(p->per_first) || d->periods < p->per_last) {
			p->thr_first = d->thr_periods; /* first reading, or a restart reset it */
			p->per_first = d->periods;
		}
		p->thr_last = d->thr_periods;
		p->per_last = d->periods;
	}
}

/*
 * CPU throttling, the fault's own signal: the kubelet's cAdvisor counters
 * of the watched pods (CFS periods throttled / all), per node.
 */
static void observe_throttling(struct kube_client *kc, const char *ns, struct watch *w)
{
	struct thr_ctx x = { w, ns };

	for (size_t i = 0; i < w->n; i++) {
		struct kube_error e = { 0 };
		struct buf path = BUF_INIT, body = BUF_INIT;
		char err[128];
		bool seen_before = false;

		if (!w->pods[i].node[0])
			continue;
		for (size_t k = 0; k < i; k++)
			seen_before |= !strcmp(w->pods[k].node, w->pods[i].node);
		if (seen_before)
			continue;
		buf_adds(&path, "/api/v1/nodes/");
		target_escape(&path, w->pods[i].node);
		buf_adds(&path, "/proxy/metrics/cadvisor");
		if (kube_get_text(kc, "kubelet cadvisor metrics", path.data, &body, &e) == 0)
			cadvisor_parse_drops(body.data ? body.data : "", body.len, on_cadvisor, &x,
					     err, sizeof(err));
		buf_release(&path);
		buf_release(&body);
	}
}

/* The throttled share of CFS periods over the window, %; NaN when unread. */
static double throttled_pct(const struct watch *w)
{
	double thr = 0, per = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (isnan(w->pods[i].per_first))
			continue;
		thr += w->pods[i].thr_last - w->pods[i].thr_first;
		per += w->pods[i].per_last - w->pods[i].per_first;
	}
	return per > 0 ? 100.0 * thr / per : NAN;
}

/*
 * The working set of the watched pods (metrics.k8s.io), to judge a raised
 * memory limit by its headroom and not only by the absence of OOM kills;
 * and their mean CPU use now, to judge a scale by the load per pod.
 */
static void observe_memory(struct kube_client *kc, const char *ns, struct watch *w)
{
	struct kube_error e = { 0 };
	struct buf path = BUF_INIT;
	json_t *j = NULL, *it, *c;
	double cpu = 0;
	size_t i, k, ncpu = 0;

	buf_adds(&path, "/apis/metrics.k8s.io/v1beta1/namespaces/");
	target_escape(&path, ns);
	buf_adds(&path, "/pods");
	if (kube_get(kc, "pod metrics", path.data, &j, &e) == 0) {
		json_array_foreach(json_object_get(j, "items"), i, it) {
			const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"),
									     "name"));
			double sum = 0, v;
			bool mine = false;

			for (size_t q = 0; name && q < w->n; q++)
				mine |= !strcmp(w->pods[q].name, name);
			if (!mine)
				continue;
			json_array_foreach(json_object_get(it, "containers"), k, c) {
				const json_t *u = json_object_get(c, "usage");
				const char *m = json_string_value(json_object_get(u, "memory"));
				const char *q = json_string_value(json_object_get(u, "cpu"));

				if (m && str_to_quantity(m, &v) == 0)
					sum += v;
				if (q && str_to_quantity(q, &v) == 0)
					cpu += v;
			}
			if (sum > w->mem_peak)
				w->mem_peak = sum;
			ncpu++;
		}
		json_decref(j);
	}
	if (ncpu)
		w->cpu_per_pod = cpu / ncpu;
	buf_release(&path);
}

/* A scale for a CPU insight: judged by the load per pod. */
static bool cpu_scale(const struct proposal *p, const struct verify_opts *o)
{
	return p->kind == ACT_SCALE_DEPLOYMENT && o->anomaly_type && !strncmp(o->anomaly_type, "cpu_", 4);
}

static int observe(struct kube_client *kc, const struct proposal *p, const json_t *result,
		   const struct verify_opts *o, struct watch *w, struct kube_error *e)
{
	int rc = observe_target(kc, p, result, w, e);

	if (rc == 0 && o->anomaly_type && !strcmp(o->anomaly_type, "network") &&
	    !action_is_node(p->kind))
		observe_network(kc, p->namespace_, w);
	if (rc == 0 && ((p->kind == ACT_CHANGE_LIMITS && p->mem_limit_after > 0 && w->rollout_done) ||
			(cpu_scale(p, o) && o->cpu_normal_cores > 0 && w->available >= p->replicas_after)))
		observe_memory(kc, p->namespace_, w);
	if (rc == 0 && ((p->kind == ACT_CHANGE_LIMITS && p->cpu_limit_after > 0 && w->rollout_done) ||
			((p->kind == ACT_SCALE_DEPLOYMENT || p->kind == ACT_RAISE_HPA_MAX) && o->anomaly_type &&
			 !strncmp(o->anomaly_type, "cpu_", 4))))
		observe_throttling(kc, p->namespace_, w);
	return rc;
}

/* The verdict from the newest observation; done: no need to keep watching. */
static enum verdict judge(const struct proposal *p, const json_t *result,
			  const struct watch *w, bool final, bool *done, struct buf *why)
{
	const char *op = json_string_value(json_object_get(result, "operation"));
	bool oom;
	int restarts = restarts_in_window(w, &oom);

	*done = false;
	switch (p->kind) {
	case ACT_CORDON_NODE:
	case ACT_UNCORDON_NODE:
		*done = true;
		if (w->node_unschedulable == (p->kind == ACT_CORDON_NODE)) {
			buf_addf(why, "node %s is %s", p->name, w->node_unschedulable ? "cordoned" : "schedulable");
			return VERDICT_SUCCEEDED;
		}
		buf_addf(why, "node %s is still %s", p->name, w->node_unschedulable ? "cordoned" : "schedulable");
		return VERDICT_FAILED;
	case ACT_DRAIN_NODE:
		if (w->node_unschedulable && w->node_pods_left == 0) {
			*done = true;
			buf_addf(why, "node %s is cordoned and holds no pods but DaemonSet and mirror pods", p->name);
			return VERDICT_SUCCEEDED;
		}
		buf_addf(why, "node %s: %s, %d pod(s) left", p->name,
			 w->node_unschedulable ? "cordoned" : "not cordoned", w->node_pods_left);
		return w->node_unschedulable ? VERDICT_UNVERIFIED : VERDICT_FAILED;
	default:
		break;
	}
	if (p->kind == ACT_RAISE_HPA_MAX && w->hpa_max != p->replicas_after) {
		buf_addf(why, "horizontalpodautoscaler %s/%s has maxReplicas %d, not %d", p->namespace_,
			 p->name, w->hpa_max, p->replicas_after);
		*done = true;
		return VERDICT_FAILED;
	}
	if (restarts > 0) {
		buf_addf(why, "%d restart(s)%s during the window", restarts, oom ? " (OOMKilled)" : "");
		*done = true; /* restarts do not un-happen */
		return VERDICT_FAILED;
	}
	if (network_errors_in_window(w) > 0) {
		buf_addf(why, "network errors continue: %.0f during the window",
			 network_errors_in_window(w));
		*done = true;
		return VERDICT_FAILED;
	}
	if ((str_eq(op, "delete_pod") || str_eq(op, "evict_pod")) && w->old_pod_present) {
		buf_addf(why, "pod %s/%s is still there", p->namespace_, p->name);
		return final ? VERDICT_FAILED : VERDICT_UNVERIFIED;
	}
	if (p->kind == ACT_CHANGE_LIMITS && !w->deployment_has_limit) {
		buf_addf(why, "the deployment's template does not hold the new limit");
		return VERDICT_FAILED;
	}
	if (p->kind == ACT_SCALE_DEPLOYMENT && w->available < p->replicas_after) {
		buf_addf(why, "%d of %d replicas available", w->available, p->replicas_after);
		return VERDICT_UNVERIFIED;
	}
	if ((p->kind == ACT_CHANGE_LIMITS || p->kind == ACT_ROLLOUT_UNDO || str_eq(op, "rollout_restart")) &&
	    !w->rollout_done) {
		buf_addf(why, "rollout not finished: %d of %d pods ready, %d with the new template",
			 w->ready, w->total, w->matching);
		return VERDICT_UNVERIFIED;
	}
	if (w->ready < w->total) {
		buf_addf(why, "%d of %d pods ready", w->ready, w->total);
		return VERDICT_UNVERIFIED;
	}
	/* throttling, judged by its own signal once the window has run */
	if (!isnan(throttled_pct(w)) && throttled_pct(w) > 25) {
		buf_addf(why, "still throttled in %.0f%% of CFS periods over the window",
			 throttled_pct(w));
		return final ? VERDICT_FAILED : VERDICT_UNVERIFIED;
	}
	/* a scale for a CPU insight: the load per pod back within what the
	 * detector calls normal for one of these pods */
	if (w->cpu_per_pod > 0 && w->cpu_normal > 0 && w->cpu_per_pod > w->cpu_normal) {
		buf_addf(why, "the pods use %.0fm of CPU each, above the %.0fm one of them uses when normal",
			 w->cpu_per_pod * 1000, w->cpu_normal * 1000);
		return final ? VERDICT_FAILED : VERDICT_UNVERIFIED;
	}
	/* an HPA's raised maximum: the fault's signal is the HPA's own rule,
	 * which must no longer ask for more than it may have */
	if (p->kind == ACT_RAISE_HPA_MAX && w->hpa_wants > w->hpa_max * 1.1 + 1 && w->ready >= w->hpa_max) {
		buf_addf(why, "horizontalpodautoscaler %s/%s runs %d pods at its new maximum and its own "
			 "rule asks for %d: the load needs more", p->namespace_, p->name, w->ready, w->hpa_wants);
		return final ? VERDICT_FAILED : VERDICT_UNVERIFIED;
	}
	/* a raised memory limit keeps the VPA's 15% safety margin over the working set */
	if (p->kind == ACT_CHANGE_LIMITS && p->mem_limit_after > 0 &&
	    w->mem_peak > (w->pod_mem_limit > 0 ? w->pod_mem_limit : p->mem_limit_after) / 1.15) {
		double lim = w->pod_mem_limit > 0 ? w->pod_mem_limit : p->mem_limit_after;

		buf_addf(why, "memory at %.0f MiB is %.0f%% of the new %.0f MiB limit%s: less than the "
			 "15%% headroom it needs", w->mem_peak / 1048576.0, 100.0 * w->mem_peak / lim,
			 lim / 1048576.0, w->pod_mem_limit > 0 ? " of the pod's containers" : "");
		if (final)
			return VERDICT_FAILED;
		return VERDICT_UNVERIFIED;
	}
	if (p->kind == ACT_RAISE_HPA_MAX)
		buf_addf(why, "maxReplicas %d; the autoscaler runs the deployment with %d of %d pods ready, "
			 "no restarts over the window", w->hpa_max, w->ready, w->total);
	else if (p->kind == ACT_ROLLOUT_UNDO)
		buf_addf(why, "rolled out: %d of %d pods ready, no restarts of the restored revision's "
			 "pods over the window", w->ready, w->total);
	else
		buf_addf(why, "%d of %d pods ready and no restarts%s over the window", w->ready, w->total,
			 w->net_read ? " or network errors" : "");
	return VERDICT_SUCCEEDED;
}

static void sleep_ms(int64_t ms, const volatile int *stop)
{
	for (int64_t t = 0; t < ms && !(stop && *stop); t += 100)
		usleep(100 * 1000);
}

enum verdict remedy_verify(struct kube_client *kc, const struct proposal *p,
			   const json_t *result, const struct verify_opts *o,
			   json_t **verification)
{
	int64_t window = o->window_ms > 0 ? o->window_ms : 120000;
	int64_t poll = o->poll_ms > 0 ? o->poll_ms : 2000;
	int64_t start = time_mono_ms(), end = start + window;
	struct watch w;
	struct buf why = BUF_INIT;
	enum verdict v = VERDICT_UNVERIFIED;
	bool done = false, stopped = false;

	memset(&w, 0, sizeof(w));
	w.container = json_string_value(json_object_get(json_object_get(result, "applied"), "container"));
	w.pod_mem_limit = json_number_value(json_object_get(result, "pod_memory_limit_after"));
	w.pod_cpu_limit = json_number_value(json_object_get(result, "pod_cpu_limit_after"));
	w.cpu_normal = cpu_scale(p, o) && o->cpu_normal_cores > 0 ? o->cpu_normal_cores : 0;
	for (;;) {
		struct kube_error e = { 0 };
		bool final = time_mono_ms() >= end;
		int rc = observe(kc, p, result, o, &w, &e);

		buf_reset(&why);
		if (rc) {
			w.errors++;
			str_copy(w.last_error, e.msg, sizeof(w.last_error));
			v = VERDICT_UNVERIFIED;
			buf_addf(&why, "could not read the target: %s", e.msg);
		} else {
			w.observations++;
			v = judge(p, result, &w, final, &done, &why);
		}
		if (done || final)
			break;
		if (o->stop && *o->stop) {
			stopped = true;
			break;
		}
		sleep_ms(end - time_mono_ms() < poll ? end - time_mono_ms() : poll, o->stop);
	}
	if (stopped && v == VERDICT_SUCCEEDED && p->kind != ACT_CORDON_NODE &&
	    p->kind != ACT_UNCORDON_NODE && p->kind != ACT_DRAIN_NODE) {
		v = VERDICT_UNVERIFIED; /* cut short: restarts may still come */
		buf_adds(&why, " (watch cut short)");
	}
	*verification = json_pack("{s:f, s:f, s:i, s:i, s:i, s:i, s:s, s:s}",
		"window_seconds", window / 1000.0,
		"watched_seconds", (time_mono_ms() - start) / 1000.0,
		"observations", w.observations, "read_errors", w.errors,
		"pods", w.total, "pods_ready", w.ready,
		"verdict", verdict_name(v), "detail", why.data ? why.data : "");
	if (w.mem_peak > 0)
		json_object_set_new(*verification, "memory_peak_bytes", json_real(w.mem_peak));
	{
		bool oom = false;

		if (restarts_in_window(&w, &oom) > 0 && oom)
			json_object_set_new(*verification, "oom_killed", json_true());
	}
	if (!isnan(throttled_pct(&w)))
		json_object_set_new(*verification, "cpu_throttled_pct", json_real(throttled_pct(&w)));
	if (p->kind == ACT_RAISE_HPA_MAX && w.hpa_wants > 0)
		json_object_set_new(*verification, "hpa_wants", json_integer(w.hpa_wants));
	if (w.cpu_per_pod > 0 && w.cpu_normal > 0) {
		json_object_set_new(*verification, "cpu_per_pod_cores", json_real(w.cpu_per_pod));
		json_object_set_new(*verification, "cpu_normal_cores", json_real(w.cpu_normal));
	}
	buf_release(&why);
	free(w.pods);
	return v;
}

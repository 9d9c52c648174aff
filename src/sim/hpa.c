#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/faults.h"
#include "sim/generic.h"
#include "sim/hpa.h"
#include "sim/model.h"
#include "sim/store.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define HPA_SYNC_MS 15000               /* --horizontal-pod-autoscaler-sync-period */
#define HPA_TOLERANCE 0.1               /* --horizontal-pod-autoscaler-tolerance */
#define HPA_DOWN_WINDOW_MS (300 * 1000) /* scale-down stabilization: 5 minutes */

static const struct resdef *hpa_res(void)
{
	gen_init();
	return gen_find("autoscaling", "v2", "horizontalpodautoscalers");
}

void hpa_build(struct simstate *s, const struct workload *w)
{
	const struct resdef *r = hpa_res();
	struct gobj *g;

	if (!r || !w->hpa.on)
		return;
	g = xcalloc(1, sizeof(*g));
	g->m.kind = r->kind;
	g->m.name = xstrdup(w->deployment);
	g->m.ns = store_intern(w->namespace_);
	g->m.created_ms = s->start_ms;
	g->obj = json_pack("{s:{}, s:{s:{s:s, s:s, s:s}, s:i, s:i, s:[{s:s, s:{s:s, s:{s:s, s:i}}}]}, "
			   "s:{s:i, s:i}}",
			   "metadata", "spec", "scaleTargetRef", "apiVersion", "apps/v1", "kind", "Deployment",
			   "name", w->deployment, "minReplicas", w->hpa.min_replicas,
			   "maxReplicas", w->hpa.max_replicas, "metrics", "type", "Resource", "resource",
			   "name", "cpu", "target", "type", "Utilization", "averageUtilization",
			   w->hpa.cpu_utilization, "status", "currentReplicas", w->replicas,
			   "desiredReplicas", w->replicas);
	store_add(s, &g->m);
}

static bool of_deployment(const struct pod *p, const struct deployment *d)
{
	return p->owner && p->owner->kind == K_REPLICASET && ((struct replicaset *)p->owner)->owner == d;
}

/* Average CPU use of the Deployment's running pods, % of their request; NaN when none. */
static double utilization(struct simstate *s, const struct deployment *d, double *avg_cores)
{
	struct objlist *pods = &s->lists[K_POD];
	double use = 0, req = 0;
	int n = 0;

	for (size_t i = 0; i < pods->n; i++) {
		const struct pod *p = (const struct pod *)pods->v[i];
		struct podsim_metrics pm;

		if (!of_deployment(p, d) || !p->sim || !pod_ready(p) || p->node->not_ready)
			continue;
		podsim_metrics(p->sim, &pm);
		use += pm.cpu_cores;
		req += p->c.res.cpu_request;
		n++;
	}
	*avg_cores = n ? use / n : 0;
	return req > 0 ? 100.0 * use / req : NAN;
}

static int get_int(const json_t *o, const char *k, int dflt)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void cond(json_t *a, const char *type, bool status, const char *reason, const char *msg,
		 const char *when)
{
	json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "status",
					   status ? "True" : "False", "lastTransitionTime", when,
					   "reason", reason, "message", msg));
}

static void sync_one(struct simstate *s, struct gobj *g)
{
	json_t *spec = json_object_get(g->obj, "spec"), *st, *conds;
	const json_t *ref = json_object_get(spec, "scaleTargetRef");
	const json_t *res = json_object_get(json_array_get(json_object_get(spec, "metrics"), 0), "resource");
	int min = get_int(spec, "minReplicas", 1), max = get_int(spec, "maxReplicas", 1);
	int target = get_int(json_object_get(res, "target"), "averageUtilization", 80);
	struct deployment *d;
	double util, avg;
	int want, cur;
	bool limited = false;
	char when[RFC3339_MAX], msg[200];
	const char *last;
	int64_t last_ms = 0;

	if (!str_eq(json_string_value(json_object_get(ref, "kind")), "Deployment"))
		return;
	d = (struct deployment *)store_get(s, K_DEPLOYMENT, g->m.ns,
					    json_string_value(json_object_get(ref, "name")));
	if (!d || target <= 0)
		return;
	cur = d->replicas;
	util = utilization(s, d, &avg);
	want = cur;
	if (!isnan(util) && fabs(util / target - 1) > HPA_TOLERANCE)
		want = (int)ceil(cur * util / target);
	if (want > max) {
		want = max;
		limited = true;
	}
	if (want < min)
		want = min;
	st = json_object_get(g->obj, "status");
	if (!json_is_object(st)) {
		st = json_object();
		json_object_set_new(g->obj, "status", st);
	}
	last = json_string_value(json_object_get(st, "lastScaleTime"));
	if (last)
		time_parse(last, &last_ms);
	/* scale down only after the stabilization window since the last scale */
	if (want < cur && last_ms && s->now_ms - last_ms < HPA_DOWN_WINDOW_MS && cur <= max)
		want = cur;
	time_rfc3339(s->now_ms, when);
	if (want != cur) {
		d->replicas = want;
		d->m.generation++;
		store_touch(s, &d->m);
		store_event(s, &g->m, "SuccessfulRescale", false, "horizontal-pod-autoscaler",
			    "New size: %d; reason: cpu resource utilization (percentage of request) %s target",
			    want, want > cur ? "above" : "below");
		s->scaled_by = "hpa";
		faults_deployment_changed(s, d, true);
		s->scaled_by = NULL;
		json_object_set_new(st, "lastScaleTime", json_string(when));
	}
	json_object_set_new(st, "currentReplicas", json_integer(cur));
	json_object_set_new(st, "desiredReplicas", json_integer(want));
	if (!isnan(util)) {
		char v[32];

		snprintf(v, sizeof(v), "%lldm", (long long)llround(avg * 1000));
		json_object_set_new(st, "currentMetrics", json_pack("[{s:s, s:{s:s, s:{s:i, s:s}}}]",
			"type", "Resource", "resource", "name", "cpu", "current", "averageUtilization",
			(int)lround(util), "averageValue", v));
	}
	conds = json_array();
	cond(conds, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size", when);
	cond(conds, "ScalingActive", !isnan(util), isnan(util) ? "FailedGetResourceMetric" : "ValidMetricFound",
	     isnan(util) ? "the HPA was unable to compute the replica count: no running pods" :
	     "the HPA was able to successfully calculate a replica count from cpu resource "
	     "utilization (percentage of request)", when);
	snprintf(msg, sizeof(msg), limited ? "the desired replica count is more than the maximum replica count" :
		 "the desired count is within the acceptable range");
	cond(conds, "ScalingLimited", limited, limited ? "TooManyReplicas" : "DesiredWithinRange", msg, when);
	json_object_set_new(st, "conditions", conds);
	store_touch(s, &g->m);
}

void hpa_reconcile(struct simstate *s)
{
	const struct resdef *r = hpa_res();
	struct objlist *l;

	if (!r || s->now_ms - s->hpa_last_ms < HPA_SYNC_MS)
		return;
	s->hpa_last_ms = s->now_ms;
	l = &s->lists[r->kind];
	for (size_t i = 0; i < l->n; i++)
		sync_one(s, (struct gobj *)l->v[i]);
}

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "base/str.h"
#include "remedy/plan.h"
#include "base/banned.h"

static double num(const json_t *params, const char *key)
{
	const json_t *v = json_object_get(params, key);
	return json_is_number(v) ? json_number_value(v) : 0;
}

size_t plan_insight(const struct insight *in, double threshold,
		    struct plan_item *items, size_t max)
{
	size_t n = 0;

	if (!(in->probability >= threshold) || in->resolved_ms)
		return 0;
	for (size_t i = 0; i < in->nrecs && n < max; i++) {
		const struct recommendation *r = &in->recs[i];
		struct plan_item *it = &items[n];
		struct proposal *p = &it->prop;
		const char *slash;
		enum action_kind k;

		if (action_parse(r->action, &k) || k == ACT_NONE)
			continue;
		memset(it, 0, sizeof(*it));
		it->rec = r;
		p->kind = k;
		slash = strchr(r->target, '/');
		if (action_is_node(k) || !slash) {
			str_copy(it->name, r->target, sizeof(it->name));
		} else {
			size_t nl = (size_t)(slash - r->target);
			if (nl >= sizeof(it->namespace_))
				continue;
			memcpy(it->namespace_, r->target, nl);
			it->namespace_[nl] = '\0';
			str_copy(it->name, slash + 1, sizeof(it->name));
			p->namespace_ = it->namespace_;
		}
		p->name = it->name;
		p->bare_pod = k == ACT_RESTART_POD && !in->owner_name;
		p->replicas_before = (int)num(r->params, "replicas_before");
		p->replicas_after = (int)num(r->params, "replicas_after");
		p->cpu_limit_before = num(r->params, "cpu_limit_before");
		p->cpu_limit_after = num(r->params, "cpu_limit_after");
		p->mem_limit_before = num(r->params, "memory_limit_before");
		p->mem_limit_after = num(r->params, "memory_limit_after");
		p->cpu_request_before = num(r->params, "cpu_request_before");
		p->cpu_request_after = num(r->params, "cpu_request_after");
		p->mem_request_before = num(r->params, "memory_request_before");
		p->mem_request_after = num(r->params, "memory_request_after");
		n++;
	}
	return n;
}

static void bytes(struct buf *out, double v)
{
	if (v <= 0)
		buf_adds(out, "none");
	else if (fmod(v, 1024.0 * 1024 * 1024) == 0)
		buf_addf(out, "%.0fGi", v / (1024.0 * 1024 * 1024));
	else if (fmod(v, 1024.0 * 1024) == 0)
		buf_addf(out, "%.0fMi", v / (1024.0 * 1024));
	else
		buf_addf(out, "%.0f", v);
}

static void cores(struct buf *out, double v)
{
	if (v <= 0)
		buf_adds(out, "none");
	else
		buf_addf(out, "%.0fm", v * 1000);
}

static void change(struct buf *out, const char *what, double before, double after,
		   void (*fmt)(struct buf *, double))
{
	if (after <= 0 || after == before)
		return;
	buf_addf(out, ", %s ", what);
	fmt(out, before);
	buf_adds(out, " → ");
	fmt(out, after);
}

void proposal_describe(const struct proposal *p, struct buf *out)
{
	const char *kind = action_is_node(p->kind) ? "node" :
			   p->kind == ACT_RESTART_POD ? "pod" :
			   p->kind == ACT_RAISE_HPA_MAX ? "horizontalpodautoscaler" : "deployment";
	size_t mark;

	buf_addf(out, "%s %s ", action_name(p->kind), kind);
	if (p->namespace_)
		buf_addf(out, "%s/", p->namespace_);
	buf_adds(out, p->name ? p->name : "?");
	mark = out->len;
	switch (p->kind) {
	case ACT_RESTART_POD:
		buf_adds(out, ": evict the pod (Eviction API: PodDisruptionBudgets apply); its controller starts a new one");
		break;
	case ACT_SCALE_DEPLOYMENT:
		buf_addf(out, ": replicas %d → %d", p->replicas_before, p->replicas_after);
		break;
	case ACT_CHANGE_LIMITS:
		buf_adds(out, ":");
		change(out, "memory limit", p->mem_limit_before, p->mem_limit_after, bytes);
		change(out, "memory request", p->mem_request_before, p->mem_request_after, bytes);
		change(out, "cpu limit", p->cpu_limit_before, p->cpu_limit_after, cores);
		change(out, "cpu request", p->cpu_request_before, p->cpu_request_after, cores);
		/* ":, memory ..." reads badly: drop the first comma */
		if (out->len > mark + 2 && out->data[mark + 1] == ',') {
			memmove(out->data + mark + 1, out->data + mark + 2, out->len - mark - 1);
			out->len--;
		}
		break;
	case ACT_CORDON_NODE:
		buf_adds(out, ": unschedulable false → true");
		break;
	case ACT_UNCORDON_NODE:
		buf_adds(out, ": unschedulable true → false");
		break;
	case ACT_DRAIN_NODE:
		buf_adds(out, ": cordon, then evict every pod but DaemonSet and mirror pods (PodDisruptionBudgets honoured)");
		break;
	case ACT_RAISE_HPA_MAX:
		buf_addf(out, ": maxReplicas %d → %d (it owns the replicas of deployment %s)",
			 p->replicas_before, p->replicas_after, p->workload ? p->workload : "?");
		break;
	case ACT_ROLLOUT_UNDO:
		buf_addf(out, ": roll back from revision %lld to the template of revision %lld", p->revision_before,
			 p->revision_after);
		if (p->replicaset_after && *p->replicaset_after)
			buf_addf(out, " (replicaset %s)", p->replicaset_after);
		if (p->image_before && p->image_after && strcmp(p->image_before, p->image_after))
			buf_addf(out, ", image %s → %s", p->image_before, p->image_after);
		break;
	default:
		break;
	}
}

bool plan_from_llm(const struct plan_item *it)
{
	return it->rec && str_eq(json_string_value(json_object_get(it->rec->params, "source")), "llm");
}

static double live(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

/*
 * One container's new value when the advice computed a pod-level after from
 * a pod-level before: the container gets the pod's change (after - before),
 * the other containers keep theirs. The advice's before is the pod's sum
 * when it made one (else, with no claim, the pod's sum now). Never at or
 * below zero: then the change is for the container alone.
 */
static double one_of_many(double advised_before, double after, double pod_now, double c_now)
{
	double base = advised_before > 0 ? advised_before : pod_now, v;

	if (!(after > 0) || !isfinite(c_now) || !(c_now > 0) || !isfinite(base) || !(base > 0))
		return after;
	v = c_now + (after - base);
	return v > 0 ? v : after;
}

void plan_from_live(struct proposal *p, const struct target_state *st)
{
	if (action_is_node(p->kind))
		p->node_cordoned = st->unschedulable;
	switch (p->kind) {
	case ACT_SCALE_DEPLOYMENT:
		/* the after is the replicas the demand needs: absolute (a recommendation
		 * made from another count is stale: plan_stale) */
		p->replicas_before = st->replicas;
		break;
	case ACT_CHANGE_LIMITS:
		if (st->ncontainers > 1) {
			/* the advice saw the pod (all containers summed) and changes one: the
			 * container takes the pod's change, the others keep theirs */
			p->mem_limit_after = one_of_many(p->mem_limit_before, p->mem_limit_after,
							 st->pod_mem_limit, st->mem_limit_v);
			p->mem_request_after = one_of_many(p->mem_request_before, p->mem_request_after,
							   st->pod_mem_request, st->mem_request_v);
			p->cpu_limit_after = one_of_many(p->cpu_limit_before, p->cpu_limit_after,
							 st->pod_cpu_limit, st->cpu_limit_v);
			p->cpu_request_after = one_of_many(p->cpu_request_before, p->cpu_request_after,
							   st->pod_cpu_request, st->cpu_request_v);
		}
		p->mem_limit_before = live(st->mem_limit_v);
		p->mem_request_before = live(st->mem_request_v);
		p->cpu_limit_before = live(st->cpu_limit_v);
		p->cpu_request_before = live(st->cpu_request_v);
		break;
	case ACT_RAISE_HPA_MAX:
		p->replicas_before = st->hpa_max;
		break;
	case ACT_ROLLOUT_UNDO:
		p->revision_before = st->revision;
		p->revision_after = st->prev_revision;
		p->replicaset_after = st->prev_rs;
		p->image_before = st->image;
		p->image_after = st->prev_image;
		break;
	default:
		break;
	}
}

static bool clamp(double before, double *after, double factor, double unit)
{
	if (!(before > 0) || !(*after > 0) || factor <= 1)
		return false;
	if (*after > before * factor + 1e-9) {
		*after = floor(before * factor / unit) * unit;
		return true;
	}
	if (*after < before / factor - 1e-9) {
		*after = ceil(before / factor / unit) * unit;
		return true;
	}
	return false;
}

bool plan_clamp_scale(struct proposal *p, int max_step, struct proposal *goal)
{
	*goal = *p;
	if ((p->kind != ACT_SCALE_DEPLOYMENT && p->kind != ACT_RAISE_HPA_MAX) || max_step <= 0 ||
	    abs(p->replicas_after - p->replicas_before) <= max_step)
		return false;
	p->replicas_after = p->replicas_before +
			    (p->replicas_after > p->replicas_before ? max_step : -max_step);
	return true;
}

bool plan_clamp_factor(struct proposal *p, double factor, struct proposal *goal)
{
	const double mi = 1024.0 * 1024.0, milli = 0.001;
	bool any = false;

	*goal = *p;
	if (p->kind != ACT_CHANGE_LIMITS)
		return false;
	any |= clamp(p->mem_limit_before, &p->mem_limit_after, factor, mi);
	any |= clamp(p->mem_request_before, &p->mem_request_after, factor, mi);
	any |= clamp(p->cpu_limit_before, &p->cpu_limit_after, factor, milli);
	any |= clamp(p->cpu_request_before, &p->cpu_request_after, factor, milli);
	/* a request never above its limit */
	if (p->mem_limit_after > 0 && p->mem_request_after > p->mem_limit_after)
		p->mem_request_after = p->mem_limit_after;
	if (p->cpu_limit_after > 0 && p->cpu_request_after > p->cpu_limit_after)
		p->cpu_request_after = p->cpu_limit_after;
	return any;
}

static void put(json_t *o, const char *k, double v)
{
	if (v > 0)
		json_object_set_new(o, k, json_real(v));
}

json_t *plan_params(const struct proposal *p, const struct proposal *goal,
		    const struct recommendation *rec)
{
	json_t *o = json_object(), *c;
	struct buf d = BUF_INIT;

	switch (p->kind) {
	case ACT_SCALE_DEPLOYMENT:
	case ACT_RAISE_HPA_MAX:
		json_object_set_new(o, "replicas_before", json_integer(p->replicas_before));
		json_object_set_new(o, "replicas_after", json_integer(p->replicas_after));
		if (goal)
			json_object_set_new(o, "goal", json_pack("{s:i}", "replicas_after",
								 goal->replicas_after));
		if (p->kind == ACT_RAISE_HPA_MAX) {
			/* the numbers are the HPA's maxReplicas, the replicas are its business */
			json_object_set_new(o, "field", json_string("spec.maxReplicas"));
			json_object_set_new(o, "deployment", json_string(p->workload ? p->workload : ""));
		}
		break;
	case ACT_CHANGE_LIMITS:
		put(o, "memory_limit_before", p->mem_limit_before);
		put(o, "memory_limit_after", p->mem_limit_after);
		put(o, "memory_request_before", p->mem_request_before);
		put(o, "memory_request_after", p->mem_request_after);
		put(o, "cpu_limit_before", p->cpu_limit_before);
		put(o, "cpu_limit_after", p->cpu_limit_after);
		put(o, "cpu_request_before", p->cpu_request_before);
		put(o, "cpu_request_after", p->cpu_request_after);
		if (goal) {
			json_t *g = json_object();
			put(g, "memory_limit_after", goal->mem_limit_after);
			put(g, "memory_request_after", goal->mem_request_after);
			put(g, "cpu_limit_after", goal->cpu_limit_after);
			put(g, "cpu_request_after", goal->cpu_request_after);
			json_object_set_new(o, "goal", g);
		}
		break;
	case ACT_ROLLOUT_UNDO:
		json_object_set_new(o, "revision_before", json_integer(p->revision_before));
		json_object_set_new(o, "revision_after", json_integer(p->revision_after));
		json_object_set_new(o, "replicaset_after", json_string(p->replicaset_after ? p->replicaset_after : ""));
		if (p->image_before && p->image_after) {
			json_object_set_new(o, "image_before", json_string(p->image_before));
			json_object_set_new(o, "image_after", json_string(p->image_after));
		}
		break;
	default:
		break;
	}
	if (rec && (c = json_object_get(rec->params, "container")) && json_is_string(c))
		json_object_set(o, "container", c);
	proposal_describe(p, &d);
	json_object_set_new(o, "description", json_string(d.data ? d.data : ""));
	if (rec && rec->rationale[0])
		json_object_set_new(o, "rationale", json_string(rec->rationale));
	buf_release(&d);
	return o;
}

static bool differs(double advised, double now)
{
	if (!(advised > 0))
		return false; /* the advice made no claim */
	return !(now > 0) || fabs(advised - now) > 0.005 * advised;
}

bool plan_stale(const struct proposal *a, const struct target_state *st, char *why, size_t n)
{
	if (a->kind == ACT_SCALE_DEPLOYMENT && a->replicas_before > 0 &&
	    a->replicas_before != st->replicas) {
		snprintf(why, n, "skipped: %s/%s has %d replicas now, not %d as the insight saw; "
			 "the proposal started from a state that is gone", a->namespace_, a->name,
			 st->replicas, a->replicas_before);
		return true;
	}
	if (a->kind == ACT_CHANGE_LIMITS && st->ncontainers > 1 &&
	    (differs(a->mem_limit_before, st->pod_mem_limit) ||
	     differs(a->cpu_limit_before, st->pod_cpu_limit) ||
	     differs(a->mem_request_before, st->pod_mem_request) ||
	     differs(a->cpu_request_before, st->pod_cpu_request))) {
		snprintf(why, n, "skipped: the resources of the pods of %s/%s (all %d containers) are no "
			 "longer what the proposal started from", a->namespace_, a->name, st->ncontainers);
		return true;
	}
	if (a->kind == ACT_CHANGE_LIMITS && st->ncontainers <= 1 &&
	    (differs(a->mem_limit_before, st->mem_limit_v) ||
	     differs(a->cpu_limit_before, st->cpu_limit_v) ||
	     differs(a->mem_request_before, st->mem_request_v) ||
	     differs(a->cpu_request_before, st->cpu_request_v))) {
		snprintf(why, n, "skipped: the resources of %s/%s are no longer what the proposal "
			 "started from (memory limit now %s, cpu limit now %s)", a->namespace_,
			 a->name, st->mem_limit[0] ? st->mem_limit : "unset",
			 st->cpu_limit[0] ? st->cpu_limit : "unset");
		return true;
	}
	return false;
}

/* A change that still raises something over the live object: the next step
 * toward a cut goal, or a new target after the last raise did not cure. */
bool plan_raises(const struct proposal *p)
{
	if (p->kind == ACT_SCALE_DEPLOYMENT || p->kind == ACT_RAISE_HPA_MAX)
		return p->replicas_after > p->replicas_before;
	return p->mem_limit_after > p->mem_limit_before + 1 ||
	       p->cpu_limit_after > p->cpu_limit_before + 1e-4 ||
	       /* or lowers the requests of pods that fit no node, toward what they use */
	       (p->mem_request_after > 0 && p->mem_request_after < p->mem_request_before - 1 &&
		!(p->mem_limit_after > 0)) ||
	       (p->cpu_request_after > 0 && p->cpu_request_after < p->cpu_request_before - 1e-4 &&
		!(p->cpu_limit_after > 0));
}

/*
 * The raise a verification measured too tight (the working set without
 * the 15% margin): the next target applies the same rule to the peak it
 * measured, max(peak x 1.2, peak + 100 MiB), rounded up to a MiB (a target
 * of exactly peak x 1.15 fails again as soon as the working set wanders
 * up); a Guaranteed container's request moves with its limit.
 */
void plan_rebump(struct proposal *p, const json_t *prior)
{
	double peak = json_number_value(json_object_get(json_object_get(prior, "verification"),
							"memory_peak_bytes"));
	double mi = 1024.0 * 1024.0, after;

	if (!(peak > 0) || !(p->mem_limit_before > 0))
		return;
	after = ceil(fmax(peak * 1.2, peak + 100 * mi) / mi) * mi;
	if (after <= p->mem_limit_before)
		return;
	if (p->mem_request_before > 0 && fabs(p->mem_request_before - p->mem_limit_before) < 1)
		p->mem_request_after = after;
	p->mem_limit_after = after;
}

void plan_rescale(struct proposal *p, const json_t *prior)
{
	const json_t *v = json_object_get(prior, "verification");
	double per_pod = json_number_value(json_object_get(v, "cpu_per_pod_cores"));
	double normal = json_number_value(json_object_get(v, "cpu_normal_cores"));
	int want;

	if (p->kind != ACT_SCALE_DEPLOYMENT || !(per_pod > 0) || !(normal > 0) || p->replicas_before <= 0)
		return;
	want = (int)ceil(p->replicas_before * per_pod / normal - 1e-9);
	if (want > p->replicas_after)
		p->replicas_after = want;
}

bool plan_oom_again(struct proposal *p, const json_t *prior, double factor)
{
	const double mi = 1024.0 * 1024.0;
	double after;

	if (p->kind != ACT_CHANGE_LIMITS || !(p->mem_limit_before > 0) || factor <= 1 ||
	    !json_is_true(json_object_get(json_object_get(prior, "verification"), "oom_killed")))
		return false;
	/* a target above the VPA bump of the limit itself comes from a measured
	 * peak (the workload's other pods): that one stands */
	if (p->mem_limit_after > ceil(fmax(p->mem_limit_before + 100 * mi, p->mem_limit_before * 1.2) / mi) * mi + 1)
		return false;
	after = floor(p->mem_limit_before * factor / mi) * mi;
	if (after <= p->mem_limit_after || after <= p->mem_limit_before)
		return false;
	if (p->mem_request_before > 0 && fabs(p->mem_request_before - p->mem_limit_before) < 1)
		p->mem_request_after = after;
	p->mem_limit_after = after;
	return true;
}

void plan_cap_to_goal(struct proposal *p, const json_t *prior)
{
	const json_t *g = json_object_get(json_object_get(prior, "params"), "goal");
	double m = json_number_value(json_object_get(g, "memory_limit_after"));
	double c = json_number_value(json_object_get(g, "cpu_limit_after"));
	json_int_t r = json_integer_value(json_object_get(g, "replicas_after"));

	if (m > 0 && p->mem_limit_after > m)
		p->mem_limit_after = m;
	if (c > 0 && p->cpu_limit_after > c)
		p->cpu_limit_after = c;
	if (r > 0 && p->replicas_after > r)
		p->replicas_after = (int)r;
	if (p->mem_limit_after > 0 && p->mem_request_after > p->mem_limit_after)
		p->mem_request_after = p->mem_limit_after;
	if (p->cpu_limit_after > 0 && p->cpu_request_after > p->cpu_limit_after)
		p->cpu_request_after = p->cpu_limit_after;
}

#include <math.h>
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
			   p->kind == ACT_RESTART_POD ? "pod" : "deployment";
	size_t mark;

	buf_addf(out, "%s %s ", action_name(p->kind), kind);
	if (p->namespace_)
		buf_addf(out, "%s/", p->namespace_);
	buf_adds(out, p->name ? p->name : "?");
	mark = out->len;
	switch (p->kind) {
	case ACT_RESTART_POD:
		buf_adds(out, ": delete the pod; its controller starts a new one");
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
	default:
		break;
	}
}

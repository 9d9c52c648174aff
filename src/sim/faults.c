#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/faults.h"
#include "sim/store.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strvec.h"
#include "base/banned.h"

enum fstate { F_PENDING, F_ACTIVE, F_ENDED };

struct active {
	const struct fault *f;
	enum fstate state;
	size_t truth;
	int64_t started;
	struct deployment *d;   /* deployment faults (NULL once deleted) */
	struct node *n;         /* node faults */
	uint64_t *uids;         /* pod-scoped faults: the pods it hit */
	size_t nuids;
	size_t alive;           /* of those, still existing */
	double saved;           /* oom_limit_too_low: the limit it replaced */
	struct resources res_at_start;
};

struct faultstate {
	struct active *a;
	size_t n;
};

static bool pod_scoped(enum fault_type t)
{
	return t == FAULT_MEMORY_LEAK || t == FAULT_CPU_SPIKE || t == FAULT_CPU_THROTTLING ||
	       t == FAULT_CRASH_LOOP || t == FAULT_NETWORK_ERRORS || t == FAULT_PACKET_DROPS ||
	       t == FAULT_IMAGE_PULL_ERROR;
}

int faults_init(struct simstate *s)
{
	struct faultstate *fs = xcalloc(1, sizeof(*fs));

	fs->n = s->sc.nfaults;
	fs->a = xcalloc(fs->n + 1, sizeof(*fs->a));
	for (size_t i = 0; i < fs->n; i++)
		fs->a[i].f = &s->sc.faults[i];
	s->faults = fs;
	return 0;
}

void faults_release(struct simstate *s)
{
	struct faultstate *fs = s->faults;

	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++)
		free(fs->a[i].uids);
	free(fs->a);
	free(fs);
	s->faults = NULL;
}

static bool hits(const struct active *a, uint64_t uid)
{
	for (size_t i = 0; i < a->nuids; i++)
		if (a->uids[i] == uid)
			return true;
	return false;
}

/* Recomputes a pod's effects from every active fault that hit it. */
static void refresh_fx(struct simstate *s, struct pod *p)
{
	struct faultstate *fs = s->faults;
	struct pod_effects fx = { .cpu_factor = 1 };
	int n = 0;

	for (size_t i = 0; i < fs->n; i++) {
		const struct active *a = &fs->a[i];
		const struct fault *f = a->f;

		if (a->state != F_ACTIVE || !pod_scoped(f->type) || !hits(a, p->m.uid))
			continue;
		n++;
		switch (f->type) {
		case FAULT_MEMORY_LEAK: fx.leak_bps += f->rate; break;
		case FAULT_CPU_SPIKE:
		case FAULT_CPU_THROTTLING: fx.cpu_factor *= f->factor; break;
		case FAULT_CRASH_LOOP: fx.crash = true; break;
		case FAULT_NETWORK_ERRORS: fx.rx_err_ps += f->rate; fx.tx_err_ps += f->rate / 2; break;
		case FAULT_PACKET_DROPS: fx.rx_drop_ps += f->rate; fx.tx_drop_ps += f->rate / 2; break;
		case FAULT_IMAGE_PULL_ERROR: fx.image_pull = true; break;
		default: break;
		}
	}
	p->faults = n;
	if (!n) {
		free(p->fx);
		p->fx = NULL;
		return;
	}
	if (!p->fx)
		p->fx = xmalloc(sizeof(*p->fx));
	*p->fx = fx;
}

static struct pod *pod_by_uid(struct simstate *s, uint64_t uid)
{
	struct objlist *pods = &s->lists[K_POD];

	for (size_t i = 0; i < pods->n; i++)
		if (pods->v[i]->uid == uid)
			return (struct pod *)pods->v[i];
	return NULL;
}

static bool owned_by(const struct pod *p, const struct deployment *d)
{
	return p->owner && p->owner->kind == K_REPLICASET && ((struct replicaset *)p->owner)->owner == d;
}

static void end_fault(struct simstate *s, struct active *a, const char *why)
{
	a->state = F_ENDED;
	truth_end(&s->truth, a->truth, s->now_ms, why);
	truth_write(&s->truth);
	if (a->n) {
		if (a->f->type == FAULT_NODE_NOT_READY) {
			a->n->not_ready = false;
			a->n->ready_change_ms = s->now_ms;
			store_event(s, &a->n->m, "NodeReady", false, "kubelet", "Node %s status is now: NodeReady",
				    a->n->m.name);
		} else {
			a->n->mem_pressure = false;
			store_event(s, &a->n->m, "NodeHasSufficientMemory", false, "kubelet",
				    "Node %s status is now: NodeHasSufficientMemory", a->n->m.name);
		}
		store_touch(s, &a->n->m);
	}
	if (pod_scoped(a->f->type)) {
		for (size_t i = 0; i < a->nuids; i++) {
			struct pod *p = pod_by_uid(s, a->uids[i]);

			if (p)
				refresh_fx(s, p);
		}
	}
	if (a->f->type == FAULT_UNSCHEDULABLE) {
		struct objlist *pods = &s->lists[K_POD];

		for (size_t i = 0; i < pods->n; i++) {
			struct pod *p = (struct pod *)pods->v[i];

			if (a->d && owned_by(p, a->d)) {
				p->unschedulable = false;
				p->sched_reported = false;
			}
		}
	}
	if (a->f->type == FAULT_OOM_LIMIT_TOO_LOW && a->d && !strcmp(why, "duration")) {
		/* The fault's own end puts the old limit back (a rollout). */
		a->d->tpl.c.res.mem_limit = a->saved;
		a->d->m.generation++;
		store_touch(s, &a->d->m);
	}
}

/* Up to f->pods (0: all) pods of d, in name order, that are scheduled. */
static void pick_pods(struct simstate *s, struct active *a, struct strvec *names)
{
	struct objlist *pods = &s->lists[K_POD];
	size_t want = a->f->pods > 0 ? (size_t)a->f->pods : (size_t)-1;

	for (size_t i = 0; i < pods->n && a->nuids < want; i++) {
		struct pod *p = (struct pod *)pods->v[i];

		if (!owned_by(p, a->d) || !p->node)
			continue;
		a->uids = xrealloc(a->uids, (a->nuids + 1) * sizeof(*a->uids));
		a->uids[a->nuids++] = p->m.uid;
		strvec_push(names, p->m.name);
	}
	a->alive = a->nuids;
}

static void start_fault(struct simstate *s, struct active *a)
{
	const struct fault *f = a->f;
	struct strvec names = STRVEC_INIT;

	a->state = F_ACTIVE;
	a->started = s->now_ms;
	if (fault_type_is_node(f->type)) {
		a->n = (struct node *)store_get(s, K_NODE, NULL, f->node);
		if (!a->n) {
			a->state = F_ENDED;
			return;
		}
		if (f->type == FAULT_NODE_NOT_READY) {
			a->n->not_ready = true;
			a->n->ready_change_ms = s->now_ms;
			store_event(s, &a->n->m, "NodeNotReady", true, "node-controller",
				    "Node %s status is now: NodeNotReady", a->n->m.name);
		} else {
			a->n->mem_pressure = true;
			store_event(s, &a->n->m, "NodeHasInsufficientMemory", true, "kubelet",
				    "Node %s status is now: NodeHasInsufficientMemory", a->n->m.name);
		}
		store_touch(s, &a->n->m);
		a->truth = truth_start(&s->truth, f->type, NULL, NULL, NULL, 0, f->node, s->now_ms);
		truth_write(&s->truth);
		return;
	}
	a->d = (struct deployment *)store_get(s, K_DEPLOYMENT, store_intern(f->namespace_), f->deployment);
	if (!a->d) {
		a->state = F_ENDED;
		return;
	}
	a->res_at_start = a->d->tpl.c.res;
	if (f->type == FAULT_OOM_LIMIT_TOO_LOW) {
		a->saved = a->d->tpl.c.res.mem_limit;
		a->d->tpl.c.res.mem_limit = f->limit;
		if (a->d->tpl.c.res.mem_request > f->limit)
			a->d->tpl.c.res.mem_request = f->limit;
		a->res_at_start = a->d->tpl.c.res;
		a->d->m.generation++;
		store_touch(s, &a->d->m);
		ctl_reconcile(s);       /* rolls out pods with the low limit */
		pick_pods(s, a, &names);
		a->nuids = 0;           /* the fault lives in the template, not in these pods */
	} else if (f->type == FAULT_UNSCHEDULABLE) {
		struct objlist *pods = &s->lists[K_POD];
		int n = 0;

		/* The chosen pods go away and their replacements find no node. */
		for (size_t i = pods->n; i-- > 0;) {
			struct pod *p = (struct pod *)pods->v[i];

			if (!owned_by(p, a->d) || (f->pods > 0 && n >= f->pods))
				continue;
			ctl_delete_pod(s, p, "fault");
			n++;
			if (i > pods->n)
				i = pods->n;
		}
		for (size_t i = 0; i < pods->n; i++) {
			struct pod *p = (struct pod *)pods->v[i];

			if (owned_by(p, a->d) && !p->node)
				p->unschedulable = true;
		}
		ctl_reconcile(s);
		for (size_t i = 0; i < pods->n; i++) {
			struct pod *p = (struct pod *)pods->v[i];

			if (owned_by(p, a->d) && !p->node)
				strvec_push(&names, p->m.name);
		}
	} else {
		pick_pods(s, a, &names);
		for (size_t i = 0; i < a->nuids; i++) {
			struct pod *p = pod_by_uid(s, a->uids[i]);

			if (p)
				refresh_fx(s, p);
		}
	}
	a->truth = truth_start(&s->truth, f->type, f->namespace_, f->deployment,
			       (const char *const *)names.v, names.n, NULL, s->now_ms);
	truth_write(&s->truth);
	strvec_clear(&names);
}

void faults_tick(struct simstate *s, int64_t now)
{
	struct faultstate *fs = s->faults;

	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];

		if (a->state == F_PENDING && now >= s->start_ms + a->f->at_ms)
			start_fault(s, a);
		if (a->state == F_ACTIVE && a->f->duration_ms && now >= a->started + a->f->duration_ms)
			end_fault(s, a, "duration");
		if (a->state == F_ACTIVE && a->n && a->n->unschedulable) {
			/* A drained node: the fault no longer touches any workload. */
			struct objlist *pods = &s->lists[K_POD];
			bool busy = false;

			for (size_t j = 0; j < pods->n && !busy; j++) {
				struct pod *p = (struct pod *)pods->v[j];

				busy = p->node == a->n && p->owner && p->owner->kind == K_REPLICASET;
			}
			if (!busy)
				end_fault(s, a, "drain");
		}
	}
}

void faults_pod_created(struct simstate *s, struct pod *p)
{
	struct faultstate *fs = s->faults;

	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];

		if (a->state == F_ACTIVE && a->f->type == FAULT_UNSCHEDULABLE && a->d && owned_by(p, a->d))
			p->unschedulable = true;
	}
}

void faults_pod_deleted(struct simstate *s, struct pod *p, const char *why)
{
	struct faultstate *fs = s->faults;

	if (!fs || !p->faults)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];

		if (a->state != F_ACTIVE || !pod_scoped(a->f->type) || !hits(a, p->m.uid))
			continue;
		if (a->alive && --a->alive == 0) {
			if (!strcmp(why, "rollout") && a->d &&
			    memcmp(&a->d->tpl.c.res, &a->res_at_start, sizeof(a->res_at_start)))
				why = "change_limits";
			end_fault(s, a, why);
		}
	}
}

void faults_deployment_changed(struct simstate *s, struct deployment *d, bool scaled)
{
	struct faultstate *fs = s->faults;

	(void)scaled;
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];
		const struct resources *r = &d->tpl.c.res;

		if (a->state != F_ACTIVE || a->d != d)
			continue;
		if (a->f->type == FAULT_OOM_LIMIT_TOO_LOW && r->mem_limit > a->f->limit)
			end_fault(s, a, "change_limits");
		else if (a->f->type == FAULT_UNSCHEDULABLE &&
			 (r->cpu_request < a->res_at_start.cpu_request ||
			  r->mem_request < a->res_at_start.mem_request))
			end_fault(s, a, "change_limits");
	}
	ctl_reconcile(s);
}

void faults_node_changed(struct simstate *s, struct node *n)
{
	(void)n;
	faults_tick(s, s->now_ms);
}

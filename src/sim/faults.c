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
	struct resources res_at_start;  /* the template's resources once the fault is in */
	struct resources res_before;    /* and before it (restored when a template fault times out) */
	char *image_before, *bad_image; /* image_pull_error */
	int replicas_at_start;
	int inherit;            /* hit pods replaced by their ReplicaSet, whose replacements inherit the fault */
	double factor;          /* cpu_spike/cpu_throttling: the factor now (scaling out divides it) */
};

struct faultstate {
	struct active *a;
	size_t n;
};

/* Faults that live in the pods they hit (the others live in a template or a node). */
static bool pod_scoped(const struct fault *f)
{
	enum fault_type t = f->type;

	return t == FAULT_MEMORY_LEAK || t == FAULT_CPU_SPIKE || t == FAULT_CPU_THROTTLING ||
	       (t == FAULT_CRASH_LOOP && !f->release) || t == FAULT_NETWORK_ERRORS ||
	       t == FAULT_PACKET_DROPS;
}

/* A release whose image is the fault: it cannot be pulled, or it crashes. */
static bool image_fault(const struct fault *f)
{
	return f->type == FAULT_IMAGE_PULL_ERROR || (f->type == FAULT_CRASH_LOOP && f->release);
}

/* Faults a replacement pod inherits (the cause is outside the pod: load, config). */
static bool inherited(enum fault_type t)
{
	return t == FAULT_CPU_SPIKE || t == FAULT_CPU_THROTTLING || t == FAULT_CRASH_LOOP;
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
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->a[i].uids);
		free(fs->a[i].image_before);
		free(fs->a[i].bad_image);
	}
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

		if (a->state == F_ACTIVE && image_fault(f) && a->bad_image &&
		    !strcmp(p->c.image, a->bad_image)) {
			if (f->type == FAULT_IMAGE_PULL_ERROR)
				fx.image_pull = true;
			else
				fx.crash = true;
			n++;
			continue;
		}
		if (a->state != F_ACTIVE || !pod_scoped(f) || !hits(a, p->m.uid))
			continue;
		n++;
		switch (f->type) {
		case FAULT_MEMORY_LEAK: fx.leak_bps += f->rate; break;
		case FAULT_CPU_SPIKE:
		case FAULT_CPU_THROTTLING: fx.cpu_factor *= a->factor; break;
		case FAULT_CRASH_LOOP: fx.crash = true; break;
		case FAULT_NETWORK_ERRORS: fx.rx_err_ps += f->rate; fx.tx_err_ps += f->rate / 2; break;
		case FAULT_PACKET_DROPS: fx.rx_drop_ps += f->rate; fx.tx_drop_ps += f->rate / 2; break;
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

/* Template faults put the template back when they time out (a rollout). */
static void restore_template(struct simstate *s, struct active *a)
{
	struct podtemplate *t;

	if (!a->d)
		return;
	t = &a->d->tpl;
	if (a->f->type == FAULT_OOM_LIMIT_TOO_LOW) {
		t->c.res.mem_limit = a->res_before.mem_limit;
		t->c.res.mem_request = a->res_before.mem_request;
	} else if (a->f->type == FAULT_UNSCHEDULABLE) {
		t->c.res = a->res_before;
	} else if (image_fault(a->f) && a->image_before) {
		free(t->c.image);
		t->c.image = xstrdup(a->image_before);
	} else {
		return;
	}
	a->d->m.generation++;
	store_touch(s, &a->d->m);
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
	if (pod_scoped(a->f) || image_fault(a->f)) {
		struct objlist *pods = &s->lists[K_POD];

		for (size_t i = 0; i < pods->n; i++) {
			struct pod *p = (struct pod *)pods->v[i];

			if (p->faults)
				refresh_fx(s, p);
		}
	}
	if (!strcmp(why, "duration"))
		restore_template(s, a);
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

/* The pods of d's newest ReplicaSet (a template fault's rollout). */
static void new_pods(struct simstate *s, struct deployment *d, struct strvec *names)
{
	struct objlist *pods = &s->lists[K_POD];

	for (size_t i = 0; i < pods->n; i++) {
		struct pod *p = (struct pod *)pods->v[i];

		if (owned_by(p, d) && ((struct replicaset *)p->owner)->revision == d->revision)
			strvec_push(names, p->m.name);
	}
}

static void start_node_fault(struct simstate *s, struct active *a)
{
	const struct fault *f = a->f;

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
}

/* oom_limit_too_low, unschedulable, image_pull_error: a bad template rolls out. */
static void start_template_fault(struct simstate *s, struct active *a)
{
	const struct fault *f = a->f;
	struct resources *r = &a->d->tpl.c.res;

	if (f->type == FAULT_OOM_LIMIT_TOO_LOW) {
		r->mem_limit = f->limit;
		if (r->mem_request > f->limit)
			r->mem_request = f->limit;
	} else if (f->type == FAULT_UNSCHEDULABLE) {
		r->cpu_request *= f->factor;
		r->mem_request *= f->factor;
		if (r->cpu_limit && r->cpu_limit < r->cpu_request)
			r->cpu_limit = r->cpu_request;
		if (r->mem_limit && r->mem_limit < r->mem_request)
			r->mem_limit = r->mem_request;
	} else {
		struct buf b = BUF_INIT;

		a->image_before = xstrdup(a->d->tpl.c.image);
		/* an unpullable tag, or a new release that crashes at start */
		buf_addf(&b, "%s-%s", a->d->tpl.c.image,
			 f->type == FAULT_IMAGE_PULL_ERROR ? "nonexistent" : "next");
		a->bad_image = buf_detach(&b, NULL);
		free(a->d->tpl.c.image);
		a->d->tpl.c.image = xstrdup(a->bad_image);
	}
	a->res_at_start = *r;
	a->d->m.generation++;
	store_touch(s, &a->d->m);
}

static void start_fault(struct simstate *s, struct active *a)
{
	const struct fault *f = a->f;
	struct strvec names = STRVEC_INIT;

	a->state = F_ACTIVE;
	a->started = s->now_ms;
	if (fault_type_is_node(f->type)) {
		start_node_fault(s, a);
		return;
	}
	a->d = (struct deployment *)store_get(s, K_DEPLOYMENT, store_intern(f->namespace_), f->deployment);
	if (!a->d) {
		a->state = F_ENDED;
		return;
	}
	a->res_before = a->d->tpl.c.res;
	a->res_at_start = a->d->tpl.c.res;
	a->replicas_at_start = a->d->replicas;
	a->factor = f->factor;
	if (pod_scoped(f)) {
		pick_pods(s, a, &names);
		/* pods hit now start the fault; record first so refresh sees it active */
		a->truth = truth_start(&s->truth, f->type, f->namespace_, f->deployment,
				       (const char *const *)names.v, names.n, NULL, s->now_ms);
		for (size_t i = 0; i < a->nuids; i++) {
			struct pod *p = pod_by_uid(s, a->uids[i]);

			if (p)
				refresh_fx(s, p);
		}
	} else {
		start_template_fault(s, a);
		ctl_reconcile(s);
		new_pods(s, a->d, &names);
		a->truth = truth_start(&s->truth, f->type, f->namespace_, f->deployment,
				       (const char *const *)names.v, names.n, NULL, s->now_ms);
	}
	truth_write(&s->truth);
	strvec_clear(&names);
}

int64_t faults_next_due(const struct simstate *s)
{
	const struct faultstate *fs = s->faults;
	int64_t due = INT64_MAX;

	for (size_t i = 0; fs && i < fs->n; i++) {
		const struct active *a = &fs->a[i];
		int64_t t = INT64_MAX;

		if (a->state == F_PENDING)
			t = s->start_ms + a->f->at_ms;
		else if (a->state == F_ACTIVE && a->f->duration_ms)
			t = a->started + a->f->duration_ms;
		if (t < due)
			due = t;
	}
	return due;
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
	bool touched = false;

	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];

		if (a->state != F_ACTIVE || !a->d || !owned_by(p, a->d))
			continue;
		if (image_fault(a->f) && a->bad_image && !strcmp(p->c.image, a->bad_image))
			touched = true;
		if (a->inherit > 0 && inherited(a->f->type) &&
		    ((struct replicaset *)p->owner)->revision == a->d->revision) {
			a->uids = xrealloc(a->uids, (a->nuids + 1) * sizeof(*a->uids));
			a->uids[a->nuids++] = p->m.uid;
			a->alive++;
			a->inherit--;
			touched = true;
		}
	}
	if (touched)
		refresh_fx(s, p);
}

/*
 * A rolling update creates new pods before it deletes the old ones: the
 * fault an old pod passes on goes to a pod of the newest ReplicaSet that
 * already runs and is not hit yet.
 */
static void adopt_new_pods(struct simstate *s, struct active *a, const struct pod *gone)
{
	struct objlist *pods = &s->lists[K_POD];

	for (size_t i = 0; i < pods->n && a->inherit > 0 && a->d; i++) {
		struct pod *q = (struct pod *)pods->v[i];

		if (q == gone || !owned_by(q, a->d) || hits(a, q->m.uid) ||
		    ((struct replicaset *)q->owner)->revision != a->d->revision)
			continue;
		a->uids = xrealloc(a->uids, (a->nuids + 1) * sizeof(*a->uids));
		a->uids[a->nuids++] = q->m.uid;
		a->alive++;
		a->inherit--;
		refresh_fx(s, q);
	}
}

void faults_pod_deleted(struct simstate *s, struct pod *p, const char *why)
{
	struct faultstate *fs = s->faults;

	if (!fs || !p->faults)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];

		if (a->state != F_ACTIVE || !pod_scoped(a->f) || !hits(a, p->m.uid))
			continue;
		/*
		 * A replacement inherits load or config faults unless a rollout or
		 * scale-in removed the pod. Throttling is load against the limit: a
		 * rollout whose limit still does not fit the demand passes it on
		 * (one that fits ended it in faults_deployment_changed).
		 */
		if (inherited(a->f->type) && strcmp(why, "scale_deployment") && strcmp(why, "owner_deleted") &&
		    (strcmp(why, "rollout") || a->f->type == FAULT_CPU_THROTTLING)) {
			a->inherit++;
			a->alive--;
			if (!strcmp(why, "rollout"))
				adopt_new_pods(s, a, p);
			continue;
		}
		if (a->alive && --a->alive == 0 && !a->inherit) {
			if (!strcmp(why, "rollout") && a->d) {
				why = memcmp(&a->d->tpl.c.res, &a->res_at_start, sizeof(a->res_at_start)) ?
				      "change_limits" : "rollout_restart";
			}
			end_fault(s, a, why);
		}
	}
}

void faults_deployment_changed(struct simstate *s, struct deployment *d, bool scaled)
{
	struct faultstate *fs = s->faults;

	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		struct active *a = &fs->a[i];
		const struct resources *r = &d->tpl.c.res;

		if (a->state != F_ACTIVE || a->d != d)
			continue;
		switch (a->f->type) {
		case FAULT_OOM_LIMIT_TOO_LOW:
			/* cured only when the pods fit: the usage and its wander (15%) */
			if (!r->mem_limit || r->mem_limit >= d->usage.mem * 1.15)
				end_fault(s, a, "change_limits");
			break;
		case FAULT_UNSCHEDULABLE:
			/* cured when a pod fits a node again (lower requests) */
			if ((r->cpu_request < a->res_at_start.cpu_request ||
			     r->mem_request < a->res_at_start.mem_request) &&
			    r->cpu_request <= s->sc.node_cpu && r->mem_request <= s->sc.node_mem)
				end_fault(s, a, "change_limits");
			break;
		case FAULT_IMAGE_PULL_ERROR:
		case FAULT_CRASH_LOOP:
			/* a release fault ends with another image: set back, or the template rolled back */
			if (image_fault(a->f) && a->bad_image && strcmp(d->tpl.c.image, a->bad_image))
				end_fault(s, a, "set_image");
			break;
		case FAULT_CPU_SPIKE:
		case FAULT_CPU_THROTTLING:
			/* a CPU limit that now fits the demand (or none) ends throttling */
			if (!scaled && a->f->type == FAULT_CPU_THROTTLING &&
			    (!r->cpu_limit || a->factor * d->usage.cpu <= r->cpu_limit)) {
				end_fault(s, a, "change_limits");
				break;
			}
			if (!scaled || d->replicas <= 0)
				break;
			/* The same load over more pods. */
			a->factor = a->f->factor * a->replicas_at_start / d->replicas;
			if (a->factor <= 1 || (a->f->type == FAULT_CPU_THROTTLING && r->cpu_limit &&
			    a->factor * d->usage.cpu <= r->cpu_limit)) {
				end_fault(s, a, s->scaled_by ? s->scaled_by : "scale_deployment");
			} else {
				for (size_t j = 0; j < a->nuids; j++) {
					struct pod *p = pod_by_uid(s, a->uids[j]);

					if (p)
						refresh_fx(s, p);
				}
			}
			break;
		default:
			break;
		}
	}
	ctl_reconcile(s);
}

void faults_deployment_deleted(struct simstate *s, struct deployment *d)
{
	struct faultstate *fs = s->faults;

	for (size_t i = 0; fs && i < fs->n; i++) {
		struct active *a = &fs->a[i];

		if (a->d != d)
			continue;
		if (a->state == F_ACTIVE)
			end_fault(s, a, "deployment_deleted");
		a->d = NULL;
	}
}

void faults_node_changed(struct simstate *s, struct node *n)
{
	(void)n;
	faults_tick(s, s->now_ms);
}

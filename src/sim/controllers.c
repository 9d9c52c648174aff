#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/store.h"
#include "sim/hpa.h"
#include "sim/faults.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

#define NOT_READY_EVICT_MS (300 * 1000)  /* the default NoExecute toleration */

void tpl_copy(struct podtemplate *dst, const struct podtemplate *src)
{
	dst->labels = labels_ref(src->labels);
	dst->annotations = labels_ref(src->annotations);
	dst->c.name = xstrdup(src->c.name);
	dst->c.image = xstrdup(src->c.image);
	dst->c.res = src->c.res;
	dst->emptydir = src->emptydir;
}

/* Quantities as the API writes them: millicores and whole bytes. */
static bool res_equal(const struct resources *a, const struct resources *b)
{
	return llround(a->cpu_request * 1000) == llround(b->cpu_request * 1000) &&
	       llround(a->cpu_limit * 1000) == llround(b->cpu_limit * 1000) &&
	       llround(a->mem_request) == llround(b->mem_request) &&
	       llround(a->mem_limit) == llround(b->mem_limit);
}

bool tpl_equal(const struct podtemplate *a, const struct podtemplate *b)
{
	return labels_equal(a->labels, b->labels) && labels_equal(a->annotations, b->annotations) &&
	       !strcmp(a->c.name, b->c.name) && !strcmp(a->c.image, b->c.image) &&
	       res_equal(&a->c.res, &b->c.res) && a->emptydir == b->emptydir;
}

/* FNV-1a over the template, in the alphabet Kubernetes uses for pod-template-hash. */
void tpl_hash(const struct podtemplate *t, char out[16])
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	uint64_t h = 1469598103934665603ull;
	struct buf b = BUF_INIT;

	for (int i = 0; t->labels && i < 2 * t->labels->n; i++)
		buf_addf(&b, "%s;", t->labels->kv[i]);
	for (int i = 0; t->annotations && i < 2 * t->annotations->n; i++)
		buf_addf(&b, "a%s;", t->annotations->kv[i]);
	buf_addf(&b, "%s;%s;%lld;%lld;%lld;%lld;%d", t->c.name, t->c.image, llround(t->c.res.cpu_request * 1000),
		 llround(t->c.res.cpu_limit * 1000), llround(t->c.res.mem_request), llround(t->c.res.mem_limit),
		 t->emptydir);
	for (size_t i = 0; i < b.len; i++)
		h = (h ^ (unsigned char)b.data[i]) * 1099511628211ull;
	buf_release(&b);
	for (int i = 0; i < 10; i++) {
		out[i] = alnum[h % 27];
		h /= 27;
	}
	out[10] = '\0';
}

bool pod_ready(const struct pod *p)
{
	return p->node && !p->node->not_ready && p->st.ready;
}

static const char *label_lookup(const void *ctx, const char *key)
{
	return labels_get(ctx, key);
}

bool pod_matches_labels(const struct selector *sel, const struct labels *l)
{
	return selector_match(sel, label_lookup, l);
}

struct pod *ctl_create_pod(struct simstate *s, struct meta *owner, const struct podtemplate *tpl,
			   const struct usage *usage, const char *prefix, int64_t created_ms)
{
	struct pod *p = xcalloc(1, sizeof(*p));

	p->m.kind = K_POD;
	p->ordinal = ++s->next_ordinal;
	if (s->quiet) {
		/* Bulk load: the list is unsorted, so names come from the ordinal (unique). */
		static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
		uint64_t r = ((uint64_t)p->ordinal * 7919u) % 14348907u;     /* 27^5 */
		char suffix[6];

		for (int i = 0; i < 5; i++) {
			suffix[i] = alnum[r % 27];
			r /= 27;
		}
		suffix[5] = '\0';
		p->m.name = xmalloc(strlen(prefix) + 7);
		snprintf(p->m.name, strlen(prefix) + 7, "%s-%s", prefix, suffix);
	} else {
		do {
			free(p->m.name);
			p->m.name = store_pod_name(s, prefix);
		} while (store_get(s, K_POD, owner->ns, p->m.name));
	}
	p->m.ns = owner->ns;
	p->m.created_ms = created_ms;
	p->m.labels = labels_ref(tpl->labels);
	p->m.annotations = labels_ref(tpl->annotations);
	p->owner = owner;
	p->c.name = xstrdup(tpl->c.name);
	p->c.image = xstrdup(tpl->c.image);
	p->c.res = tpl->c.res;
	p->usage = *usage;
	p->emptydir = tpl->emptydir;
	p->phase = PH_PENDING;
	p->st.state = CS_WAITING;
	store_add(s, &p->m);
	if (owner->kind == K_REPLICASET)
		faults_pod_created(s, p);
	return p;
}

/*
 * The model runs on its own epoch: a run's model time depends only on the
 * time elapsed since the scenario started, not on the wall clock the run
 * started at, so a seed gives the same usage (daily cycle included) every run.
 */
#define MODEL_EPOCH_MS 1767607200000LL  /* 2026-01-05T10:00:00Z */

static int64_t model_ms(const struct simstate *s, int64_t virt)
{
	return virt - s->start_ms + MODEL_EPOCH_MS;
}

static int64_t virt_ms(const struct simstate *s, int64_t model)
{
	return model ? model - MODEL_EPOCH_MS + s->start_ms : 0;
}

/* The model's status with its times on the virtual clock. */
static void pod_status(const struct simstate *s, struct pod *p)
{
	podsim_status(p->sim, &p->st);
	p->st.started_ms = virt_ms(s, p->st.started_ms);
	p->st.last_finished_ms = virt_ms(s, p->st.last_finished_ms);
}

void pod_bind(struct simstate *s, struct pod *p, struct node *n)
{
	int64_t at = s->quiet ? p->m.created_ms : s->now_ms;

	p->node = n;
	n->cpu_req += p->c.res.cpu_request;
	n->mem_req += p->c.res.mem_request;
	n->npods++;
	p->scheduled_ms = at;
	p->sim = podsim_new(s->seed * 0x100000001b3ull + p->ordinal, &p->usage, &p->c.res, model_ms(s, at));
	pod_status(s, p);
	store_event(s, &p->m, "Scheduled", false, "default-scheduler",
		    "Successfully assigned %s/%s to %s", p->m.ns, p->m.name, n->m.name);
	if (!s->quiet)
		store_touch(s, &p->m);
}

void ctl_delete_pod(struct simstate *s, struct pod *p, const char *why)
{
	if (p->node) {
		p->node->cpu_req -= p->c.res.cpu_request;
		p->node->mem_req -= p->c.res.mem_request;
		p->node->npods--;
		if (p->st.state == CS_RUNNING)
			store_event(s, &p->m, "Killing", false, "kubelet", "Stopping container %s", p->c.name);
	}
	faults_pod_deleted(s, p, why);
	store_remove(s, &p->m);
}

/* Why a node cannot take the pod, in the scheduler's words; NULL when it fits. */
static const char *misfit(const struct node *n, const struct pod *p)
{
	if (n->unschedulable)
		return "node(s) were unschedulable";
	if (n->not_ready)
		return "node(s) had untolerated taint {node.kubernetes.io/unreachable: }";
	if (n->mem_pressure)
		return "node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }";
	if (n->npods >= n->max_pods)
		return "Too many pods";
	if (n->cpu_req + p->c.res.cpu_request > n->cpu_alloc + 1e-9)
		return "Insufficient cpu";
	if (n->mem_req + p->c.res.mem_request > n->mem_alloc + 0.5)
		return "Insufficient memory";
	return NULL;
}

/* Least requested share wins; ties go to the first node. */
static void schedule(struct simstate *s, struct pod *p)
{
	static const char *const reasons[] = {
		"node(s) were unschedulable", "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
		"node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }", "Too many pods",
		"Insufficient cpu", "Insufficient memory",
	};
	struct objlist *nodes = &s->lists[K_NODE];
	struct node *best = NULL;
	double best_score = 0;
	size_t counts[6] = { 0 };
	struct buf msg = BUF_INIT;

	if (p->owner && p->owner->kind == K_DAEMONSET)
		return;
	for (size_t i = 0; i < nodes->n; i++) {
		struct node *n = (struct node *)nodes->v[i];
		const char *why = misfit(n, p);
		double score;

		if (why) {
			for (size_t r = 0; r < 6; r++)
				if (why == reasons[r] || !strcmp(why, reasons[r]))
					counts[r]++;
			continue;
		}
		score = (n->cpu_req + p->c.res.cpu_request) / n->cpu_alloc +
			(n->mem_req + p->c.res.mem_request) / n->mem_alloc;
		if (!best || score < best_score) {
			best = n;
			best_score = score;
		}
	}
	if (best) {
		free(p->sched_msg);
		p->sched_msg = NULL;
		pod_bind(s, p, best);
		return;
	}
	buf_addf(&msg, "0/%zu nodes are available:", nodes->n);
	for (size_t r = 0, first = 1; r < 6; r++)
		if (counts[r]) {
			buf_addf(&msg, "%s %zu %s", first ? "" : ",", counts[r], reasons[r]);
			first = 0;
		}
	buf_addf(&msg, ". preemption: 0/%zu nodes are available: %zu Preemption is not helpful for scheduling.",
		 nodes->n, nodes->n);
	if (!p->sched_msg || strcmp(p->sched_msg, msg.data)) {
		free(p->sched_msg);
		p->sched_msg = buf_detach(&msg, NULL);
		store_event(s, &p->m, "FailedScheduling", true, "default-scheduler", "%s", p->sched_msg);
		store_touch(s, &p->m);
	}
	buf_release(&msg);
}

static void daemonsets(struct simstate *s)
{
	struct objlist *dss = &s->lists[K_DAEMONSET], *nodes = &s->lists[K_NODE], *pods = &s->lists[K_POD];

	for (size_t i = 0; i < dss->n; i++) {
		struct daemonset *d = (struct daemonset *)dss->v[i];
		char *have = xcalloc(nodes->n ? nodes->n : 1, 1);
		int current = 0, ready = 0;

		for (size_t j = 0; j < pods->n; j++) {
			struct pod *p = (struct pod *)pods->v[j];

			if (p->owner != &d->m || !p->node)
				continue;
			have[p->node->index] = 1;
			current++;
			ready += pod_ready(p);
		}
		for (size_t j = 0; j < nodes->n; j++) {
			struct node *n = (struct node *)nodes->v[j];

			if (!have[n->index]) {
				struct pod *p = ctl_create_pod(s, &d->m, &d->tpl, &d->usage, d->m.name,
							       s->now_ms);

				pod_bind(s, p, n);
				current++;
			}
		}
		free(have);
		if (d->st_current != current || d->st_ready != ready || d->st_desired != (int)nodes->n) {
			d->st_current = current;
			d->st_ready = ready;
			d->st_desired = (int)nodes->n;
			store_touch(s, &d->m);
		}
	}
}

static struct replicaset *new_rs(struct simstate *s, struct deployment *d)
{
	struct replicaset *r = xcalloc(1, sizeof(*r));
	struct labels *l;
	char name[300];
	int64_t rev = 0;

	for (size_t i = 0; i < s->lists[K_REPLICASET].n; i++) {
		struct replicaset *o = (struct replicaset *)s->lists[K_REPLICASET].v[i];

		if (o->owner == d && o->revision > rev)
			rev = o->revision;
	}
	r->m.kind = K_REPLICASET;
	tpl_hash(&d->tpl, r->hash);
	snprintf(name, sizeof(name), "%s-%s", d->m.name, r->hash);
	/* a hash collision with a different template: vary the hash, as the collisionCount does */
	for (int c = 1; store_get(s, K_REPLICASET, d->m.ns, name) && c < 100; c++) {
		r->hash[8] = (char)('0' + c / 10);
		r->hash[9] = (char)('0' + c % 10);
		snprintf(name, sizeof(name), "%s-%s", d->m.name, r->hash);
	}
	r->m.name = xstrdup(name);
	r->m.ns = d->m.ns;
	r->m.created_ms = s->now_ms;
	r->owner = d;
	r->revision = rev + 1;
	d->revision = r->revision;
	tpl_copy(&r->tpl, &d->tpl);
	l = labels_with(r->tpl.labels, "pod-template-hash", r->hash);
	labels_unref(r->tpl.labels);
	r->tpl.labels = l;
	r->m.labels = labels_ref(l);
	r->match = labels_with(d->match, "pod-template-hash", r->hash);
	snprintf(name, sizeof(name), "%lld", (long long)r->revision);
	{
		const char *kv[] = { "deployment.kubernetes.io/desired-replicas", "",
				     "deployment.kubernetes.io/max-replicas", "",
				     "deployment.kubernetes.io/revision", name };
		char dr[16], mr[16];

		snprintf(dr, sizeof(dr), "%d", d->replicas);
		snprintf(mr, sizeof(mr), "%d", d->replicas + (d->replicas + 3) / 4);
		kv[1] = dr;
		kv[3] = mr;
		r->m.annotations = labels_new(kv, 3);
	}
	r->usage = d->usage;
	store_add(s, &r->m);
	return r;
}

static void set_rs_replicas(struct simstate *s, struct deployment *d, struct replicaset *r, int want)
{
	if (r->replicas == want)
		return;
	if (!s->quiet)
		store_event(s, &d->m, "ScalingReplicaSet", false, "deployment-controller",
			    "Scaled %s replica set %s from %d to %d", want > r->replicas ? "up" : "down",
			    r->m.name, r->replicas, want);
	r->replicas = want;
	r->m.generation++;
	store_touch(s, &r->m);
}

/*
 * The RollingUpdate strategy with maxSurge and maxUnavailable 25%: the new
 * ReplicaSet grows while the total stays within replicas + surge, and old
 * ones shrink as long as replicas - unavailable pods stay ready (unready old
 * pods go first). Runs on every reconcile, so a rollout advances as new pods
 * become ready and stalls when they never do, as in a real cluster.
 */
static void rollout(struct simstate *s, struct deployment *d, struct replicaset *cur)
{
	struct objlist *rss = &s->lists[K_REPLICASET];
	int want = d->replicas, surge = (want + 3) / 4, unavail = want / 4;
	int old_total = 0, ready = cur->st_ready, can_remove, new_want = cur->replicas;

	if (!surge && !unavail)
		unavail = 1;
	for (size_t j = 0; j < rss->n; j++) {
		struct replicaset *r = (struct replicaset *)rss->v[j];

		if (r->owner == d && r != cur) {
			old_total += r->replicas;
			ready += r->st_ready < r->replicas ? r->st_ready : r->replicas;
		}
	}
	if (new_want < want) {
		int room = want + surge - old_total - cur->replicas;

		if (room > 0)
			new_want = cur->replicas + room < want ? cur->replicas + room : want;
	}
	if (new_want > want || !old_total)
		new_want = want;
	set_rs_replicas(s, d, cur, new_want);
	can_remove = ready - (want - unavail);
	for (size_t j = 0; j < rss->n; j++) {
		struct replicaset *r = (struct replicaset *)rss->v[j];
		int unready, take;

		if (r->owner != d || r == cur || !r->replicas)
			continue;
		unready = r->replicas - (r->st_ready < r->replicas ? r->st_ready : r->replicas);
		take = unready;
		if (can_remove > 0) {
			int more = r->replicas - take < can_remove ? r->replicas - take : can_remove;

			take += more;
			can_remove -= more;
		}
		if (take > 0)
			set_rs_replicas(s, d, r, r->replicas - take);
	}
}

/* A template that matches an older ReplicaSet (a rollback) makes that one the newest revision. */
static void reuse_rs(struct simstate *s, struct deployment *d, struct replicaset *cur)
{
	struct objlist *rss = &s->lists[K_REPLICASET];
	int64_t max = 0;
	char rev[24];
	struct labels *a;

	for (size_t j = 0; j < rss->n; j++) {
		struct replicaset *r = (struct replicaset *)rss->v[j];

		if (r->owner == d && r->revision > max)
			max = r->revision;
	}
	if (cur->revision == max)
		return;
	cur->revision = max + 1;
	snprintf(rev, sizeof(rev), "%lld", (long long)cur->revision);
	a = labels_with(cur->m.annotations, "deployment.kubernetes.io/revision", rev);
	labels_unref(cur->m.annotations);
	cur->m.annotations = a;
	store_touch(s, &cur->m);
}

/* revisionHistoryLimit 10: the oldest empty ReplicaSets beyond ten go. */
static void prune_history(struct simstate *s, struct deployment *d, struct replicaset *cur)
{
	struct objlist *rss = &s->lists[K_REPLICASET];

	for (;;) {
		struct replicaset *oldest = NULL;
		int empty = 0;

		for (size_t j = 0; j < rss->n; j++) {
			struct replicaset *r = (struct replicaset *)rss->v[j];

			if (r->owner != d || r == cur || r->replicas || r->st_replicas)
				continue;
			empty++;
			if (!oldest || r->revision < oldest->revision)
				oldest = r;
		}
		if (empty <= 10)
			return;
		store_remove(s, &oldest->m);
	}
}

static void deployments(struct simstate *s)
{
	struct objlist *ds = &s->lists[K_DEPLOYMENT], *rss = &s->lists[K_REPLICASET];

	for (size_t i = 0; i < ds->n; i++) {
		struct deployment *d = (struct deployment *)ds->v[i];
		struct replicaset *cur = NULL;
		char rev[24];

		for (size_t j = 0; j < rss->n; j++) {
			struct replicaset *r = (struct replicaset *)rss->v[j];
			struct podtemplate t;

			if (r->owner != d)
				continue;
			t = r->tpl;
			t.labels = labels_with(r->tpl.labels, "pod-template-hash", NULL);
			if (tpl_equal(&t, &d->tpl))
				cur = r;
			labels_unref(t.labels);
		}
		if (!cur)
			cur = new_rs(s, d);
		else
			reuse_rs(s, d, cur);
		rollout(s, d, cur);
		prune_history(s, d, cur);
		if (d->revision != cur->revision) {
			d->revision = cur->revision;
		}
		snprintf(rev, sizeof(rev), "%lld", (long long)d->revision);
		if (!str_eq(labels_get(d->m.annotations, "deployment.kubernetes.io/revision"), rev)) {
			struct labels *a = labels_with(d->m.annotations, "deployment.kubernetes.io/revision", rev);

			labels_unref(d->m.annotations);
			d->m.annotations = a;
			store_touch(s, &d->m);
		}
	}
}

/* Recounts the pods of each ReplicaSet and creates or deletes pods to match. */
static void replicasets(struct simstate *s)
{
	struct objlist *rss = &s->lists[K_REPLICASET], *pods = &s->lists[K_POD];

	for (size_t i = 0; i < rss->n; i++) {
		struct replicaset *r = (struct replicaset *)rss->v[i];

		r->st_replicas = 0;
		r->st_ready = 0;
	}
	for (size_t j = 0; j < pods->n; j++) {
		struct pod *p = (struct pod *)pods->v[j];

		if (p->owner && p->owner->kind == K_REPLICASET) {
			struct replicaset *r = (struct replicaset *)p->owner;

			r->st_replicas++;
			r->st_ready += pod_ready(p);
		}
	}
	for (size_t i = 0; i < rss->n; i++) {
		struct replicaset *r = (struct replicaset *)rss->v[i];

		while (r->st_replicas < r->replicas) {
			struct pod *p = ctl_create_pod(s, &r->m, &r->tpl, &r->usage, r->m.name,
						       s->now_ms);

			store_event(s, &r->m, "SuccessfulCreate", false, "replicaset-controller",
				    "Created pod: %s", p->m.name);
			r->st_replicas++;
		}
		if (r->st_replicas > r->replicas) {
			/* Delete the least useful pods first: unscheduled, then unready, then newest. */
			for (int pass = 0; pass < 3 && r->st_replicas > r->replicas; pass++) {
				for (size_t j = pods->n; j-- > 0 && r->st_replicas > r->replicas;) {
					struct pod *p = (struct pod *)pods->v[j];

					if (p->owner != &r->m)
						continue;
					if ((pass == 0 && p->node) || (pass == 1 && pod_ready(p)))
						continue;
					store_event(s, &r->m, "SuccessfulDelete", false, "replicaset-controller",
						    "Deleted pod: %s", p->m.name);
					r->st_ready -= pod_ready(p);
					ctl_delete_pod(s, p, r->owner && r->revision != r->owner->revision ?
						       "rollout" : "scale_deployment");
					r->st_replicas--;
					if (j > pods->n)
						j = pods->n;
				}
			}
		}
	}
}

static void statuses(struct simstate *s)
{
	struct objlist *rss = &s->lists[K_REPLICASET], *ds = &s->lists[K_DEPLOYMENT], *pdbs = &s->lists[K_PDB];

	for (size_t i = 0; i < ds->n; i++) {
		struct deployment *d = (struct deployment *)ds->v[i];
		int replicas = 0, ready = 0, updated = 0;

		for (size_t j = 0; j < rss->n; j++) {
			struct replicaset *r = (struct replicaset *)rss->v[j];

			if (r->owner != d)
				continue;
			replicas += r->st_replicas;
			ready += r->st_ready;
			if (r->revision == d->revision)
				updated = r->st_replicas;
		}
		if (d->st_replicas != replicas || d->st_ready != ready || d->st_updated != updated ||
		    d->observed_generation != d->m.generation) {
			d->st_replicas = replicas;
			d->st_ready = ready;
			d->st_updated = updated;
			d->observed_generation = d->m.generation;
			store_touch(s, &d->m);
		}
	}
	for (size_t i = 0; i < pdbs->n; i++) {
		struct pdb *d = (struct pdb *)pdbs->v[i];
		int before = d->disruptions_allowed, healthy = d->current_healthy, exp = d->expected;

		ctl_pdb_status(s, d);
		if (before != d->disruptions_allowed || healthy != d->current_healthy || exp != d->expected)
			store_touch(s, &d->m);
	}
}

void ctl_pdb_status(struct simstate *s, struct pdb *d)
{
	struct objlist *pods = &s->lists[K_POD];
	int expected = 0, healthy = 0, desired;

	for (size_t j = 0; j < pods->n; j++) {
		struct pod *p = (struct pod *)pods->v[j];

		if (p->m.ns != d->m.ns || !pod_matches_labels(d->selector, p->m.labels))
			continue;
		expected++;
		healthy += pod_ready(p);
	}
	if (d->has_min)
		desired = d->percent ? (int)ceil(expected * d->value / 100.0) : d->value;
	else
		desired = expected - (d->percent ? (int)ceil(expected * d->value / 100.0) : d->value);
	if (desired < 0)
		desired = 0;
	d->expected = expected;
	d->current_healthy = healthy;
	d->desired_healthy = desired;
	d->disruptions_allowed = healthy - desired > 0 ? healthy - desired : 0;
}

/* Pods on a node NotReady for longer than their toleration are evicted (the taint manager). */
static void not_ready_evictions(struct simstate *s)
{
	struct objlist *pods = &s->lists[K_POD];

	for (size_t j = pods->n; j-- > 0;) {
		struct pod *p = (struct pod *)pods->v[j];

		if (!p->node || !p->node->not_ready || (p->owner && p->owner->kind == K_DAEMONSET) ||
		    s->now_ms - p->node->ready_change_ms < NOT_READY_EVICT_MS)
			continue;
		store_event(s, &p->m, "TaintManagerEviction", false, "taint-eviction-controller",
			    "Marking for deletion Pod %s/%s", p->m.ns, p->m.name);
		ctl_delete_pod(s, p, "node_eviction");
		if (j > pods->n)
			j = pods->n;
	}
}

/* Ready kubelets renew their node lease every 10 s; a NotReady node's lease goes stale. */
static void heartbeats(struct simstate *s)
{
	struct objlist *nodes = &s->lists[K_NODE];

	for (size_t i = 0; i < nodes->n; i++) {
		struct node *n = (struct node *)nodes->v[i];

		if (n->lease && !n->not_ready && s->now_ms - n->lease->renew_ms >= 10000) {
			n->lease->renew_ms = s->now_ms;
			store_touch(s, &n->lease->m);
		}
	}
}

void ctl_reconcile(struct simstate *s)
{
	struct objlist *pods = &s->lists[K_POD];

	not_ready_evictions(s);
	heartbeats(s);
	hpa_reconcile(s);
	deployments(s);
	replicasets(s);
	daemonsets(s);
	for (size_t j = 0; j < pods->n; j++) {
		struct pod *p = (struct pod *)pods->v[j];

		if (!p->node)
			schedule(s, p);
	}
	statuses(s);
}

static void model_events(struct simstate *s, struct pod *p, const struct podsim_step *st)
{
	for (int i = 0; i < st->nevents; i++) {
		switch (st->events[i].kind) {
		case PEV_STARTED:
			store_event(s, &p->m, "Pulled", false, "kubelet",
				    "Container image \"%s\" already present on machine", p->c.image);
			store_event(s, &p->m, "Created", false, "kubelet", "Created container %s", p->c.name);
			store_event(s, &p->m, "Started", false, "kubelet", "Started container %s", p->c.name);
			break;
		case PEV_OOM_KILLED:
			store_event(s, &p->m, "OOMKilled", true, "kubelet",
				    "Container %s was OOM-killed: memory use exceeded its limit", p->c.name);
			break;
		case PEV_CRASHED:
			store_event(s, &p->m, "Failed", true, "kubelet",
				    "Container %s exited with an error", p->c.name);
			break;
		case PEV_BACKOFF:
			store_event(s, &p->m, "BackOff", true, "kubelet",
				    "Back-off restarting failed container %s in pod %s_%s", p->c.name,
				    p->m.name, p->m.ns);
			break;
		case PEV_PULL_FAILED:
			store_event(s, &p->m, "Failed", true, "kubelet",
				    "Failed to pull image \"%s\": rpc error: code = NotFound desc = failed to "
				    "pull and unpack image \"%s\": not found", p->c.image, p->c.image);
			break;
		}
	}
}

void ctl_advance(struct simstate *s, int64_t now)
{
	struct objlist *pods = &s->lists[K_POD];
	static const struct pod_effects none = { .cpu_factor = 1 };

	if (now < s->now_ms)
		return;
	s->now_ms = now;
	for (size_t j = 0; j < pods->n; j++) {
		struct pod *p = (struct pod *)pods->v[j];
		struct pod_effects fx = p->fx ? *p->fx : none;
		struct podsim_step step;
		bool was_ready = pod_ready(p);

		if (!p->sim)
			continue;
		fx.node_down = p->node->not_ready;
		podsim_advance(p->sim, model_ms(s, now), &fx, &step);
		model_events(s, p, &step);
		if (step.status_changed || was_ready != pod_ready(p)) {
			pod_status(s, p);
			p->phase = p->st.state == CS_RUNNING || p->st.restarts ? PH_RUNNING : PH_PENDING;
			store_touch(s, &p->m);
		}
	}
}

/* The sim's object store and controllers, without HTTP. */
#include <stdio.h>
#include "testutil.h"
#include "sim/store.h"
#include "sim/simctl.h"
#include "sim/faults.h"
#include "base/mem.h"
#include "base/timeutil.h"

static struct simstate *new_cluster(int nodes, int pods)
{
	struct simstate *s = xcalloc(1, sizeof(*s));

	store_init(s, 3);
	scenario_generate(&s->sc, nodes, pods, 3);
	truth_init(&s->truth, NULL);
	s->speed = 0;
	s->start_ms = 1700000000000;
	s->virt_base_ms = s->start_ms;
	s->mono_base_ms = time_mono_ms();
	sim_build_cluster(s);
	faults_init(s);
	return s;
}

static void free_cluster(struct simstate *s)
{
	faults_release(s);
	truth_release(&s->truth);
	scenario_release(&s->sc);
	store_release(s);
	free(s);
}

static size_t count_owned_by_rs(struct simstate *s, struct node *on)
{
	size_t n = 0;

	for (size_t i = 0; i < s->lists[K_POD].n; i++) {
		struct pod *p = (struct pod *)s->lists[K_POD].v[i];

		if (p->owner && p->owner->kind == K_REPLICASET && (!on || p->node == on))
			n++;
	}
	return n;
}

static void cluster_shape(void **state)
{
	struct simstate *s = new_cluster(3, 12);
	(void)state;
	assert_int_equal(s->lists[K_NODE].n, 3);
	assert_int_equal(count_owned_by_rs(s, NULL), 12);
	/* one DaemonSet pod per node */
	assert_int_equal(s->lists[K_POD].n, 15);
	for (size_t i = 0; i < s->lists[K_POD].n; i++) {
		struct pod *p = (struct pod *)s->lists[K_POD].v[i];

		assert_non_null(p->node);
		assert_true(pod_ready(p));
		if (i)  /* sorted by namespace, then name */
			assert_true(strcmp(s->lists[K_POD].v[i - 1]->ns, p->m.ns) < 0 ||
				    (s->lists[K_POD].v[i - 1]->ns == p->m.ns &&
				     strcmp(s->lists[K_POD].v[i - 1]->name, p->m.name) < 0));
	}
	free_cluster(s);
}

static void deleted_pod_is_replaced(void **state)
{
	struct simstate *s = new_cluster(2, 6);
	struct pod *p = NULL;
	char *name;
	const char *ns;
	uint64_t rv;
	(void)state;
	for (size_t i = 0; i < s->lists[K_POD].n && !p; i++)
		if (((struct pod *)s->lists[K_POD].v[i])->owner->kind == K_REPLICASET)
			p = (struct pod *)s->lists[K_POD].v[i];
	name = xstrdup(p->m.name);
	ns = p->m.ns;
	assert_ptr_equal(store_get(s, K_POD, ns, name), p);
	rv = s->rv;
	ctl_delete_pod(s, p, "restart_pod");
	ctl_reconcile(s);
	assert_int_equal(count_owned_by_rs(s, NULL), 6);
	assert_true(s->rv > rv);
	assert_null(store_get(s, K_POD, ns, name));
	free(name);
	free_cluster(s);
}

static void cordoned_node_takes_no_pods(void **state)
{
	struct simstate *s = new_cluster(2, 8);
	struct node *n0 = (struct node *)s->lists[K_NODE].v[0];
	struct deployment *d = (struct deployment *)s->lists[K_DEPLOYMENT].v[0];
	size_t before = count_owned_by_rs(s, n0);
	(void)state;
	n0->unschedulable = true;
	d->replicas += 4;
	ctl_reconcile(s);
	assert_int_equal(count_owned_by_rs(s, n0), before);
	assert_int_equal(count_owned_by_rs(s, NULL), 12);
	/* all nodes cordoned: new pods stay Pending */
	((struct node *)s->lists[K_NODE].v[1])->unschedulable = true;
	d->replicas += 1;
	ctl_reconcile(s);
	{
		size_t pending = 0;

		for (size_t i = 0; i < s->lists[K_POD].n; i++)
			pending += ((struct pod *)s->lists[K_POD].v[i])->node == NULL;
		assert_int_equal(pending, 1);
	}
	free_cluster(s);
}

static void template_change_rolls_out(void **state)
{
	struct simstate *s = new_cluster(3, 6);
	struct deployment *d = (struct deployment *)s->lists[K_DEPLOYMENT].v[0];
	int64_t rev = d->revision;
	(void)state;
	d->tpl.c.res.mem_limit = 512.0 * 1048576;
	d->m.generation++;
	/* a rollout waits for new pods to become ready: advance the clock between steps */
	for (int i = 0; i < 40; i++) {
		ctl_reconcile(s);
		ctl_advance(s, s->now_ms + 5000);
	}
	ctl_reconcile(s);
	assert_true(d->revision > rev);
	for (size_t i = 0; i < s->lists[K_POD].n; i++) {
		struct pod *p = (struct pod *)s->lists[K_POD].v[i];

		if (p->owner->kind == K_REPLICASET && ((struct replicaset *)p->owner)->owner == d)
			assert_true(p->c.res.mem_limit == 512.0 * 1048576);
	}
	assert_int_equal(d->st_updated, d->replicas);
	free_cluster(s);
}

static void pdb_status(void **state)
{
	struct simstate *s = new_cluster(2, 6);
	struct deployment *d = (struct deployment *)s->lists[K_DEPLOYMENT].v[0];
	struct pdb pdb;
	char err[100];
	(void)state;
	memset(&pdb, 0, sizeof(pdb));
	pdb.m.ns = d->m.ns;
	selector_parse("", false, &pdb.selector, err, sizeof(err));
	selector_add(pdb.selector, "app", SEL_EQ, (const char *const *)&d->match->kv[1], 1);
	pdb.has_min = true;
	pdb.value = d->replicas;
	ctl_pdb_status(s, &pdb);
	assert_int_equal(pdb.expected, d->replicas);
	assert_int_equal(pdb.current_healthy, d->replicas);
	assert_int_equal(pdb.disruptions_allowed, 0);
	pdb.has_min = false;
	pdb.value = 50;
	pdb.percent = true;
	ctl_pdb_status(s, &pdb);
	assert_int_equal(pdb.disruptions_allowed, (d->replicas + 1) / 2);
	selector_free(pdb.selector);
	free_cluster(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cluster_shape),
		cmocka_unit_test(deleted_pod_is_replaced),
		cmocka_unit_test(cordoned_node_takes_no_pods),
		cmocka_unit_test(template_change_rolls_out),
		cmocka_unit_test(pdb_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

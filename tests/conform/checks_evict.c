/* The Eviction API against a PodDisruptionBudget whose status the server
 * computes (the controller-manager's disruption controller, or the sim):
 * 429 while it allows no disruption, 201 once it has headroom, and a dry
 * run that leaves the pod alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "kube/mutate.h"
#include "base/banned.h"

#define PDB "conform-pdb"

struct pdb_want {
	int allowed;
	json_t *last;
};

static bool pdb_is(struct conform *c, void *arg)
{
	struct pdb_want *w = arg;
	struct buf p = BUF_INIT;

	buf_addf(&p, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets/%s", c->ns, PDB);
	json_decref(w->last);
	w->last = get(c->kc, p.data, NULL);
	buf_release(&p);
	return w->last && jpi(w->last, "status.observedGeneration") == jpi(w->last, "metadata.generation") &&
	       jpi(w->last, "status.disruptionsAllowed") == w->allowed &&
	       jpi(w->last, "status.currentHealthy") >= c->replicas;
}

static json_t *get_pod(struct conform *c, const char *name)
{
	struct buf p = BUF_INIT;
	json_t *o;

	buf_addf(&p, "/api/v1/namespaces/%s/pods/%s", c->ns, name);
	o = get(c->kc, p.data, NULL);
	buf_release(&p);
	return o;
}

static bool settled(struct conform *c, void *arg)
{
	(void)arg;
	return ready_pods(c, NULL) >= c->replicas;
}

void checks_evict(struct conform *c)
{
	struct kube_error e = { 0 };
	struct buf p = BUF_INIT;
	struct pdb_want w = { 0, NULL };
	json_t *names = NULL, *pod;
	const char *victim;
	char uid[64];
	bool ok;
	int rc;

	buf_addf(&p, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets", c->ns);
	rc = sendj(c->kc, "POST", p.data, NULL, json_pack("{s:s, s:s, s:{s:s}, s:{s:i, s:{s:O}}}",
		   "apiVersion", "policy/v1", "kind", "PodDisruptionBudget", "metadata", "name", PDB,
		   "spec", "minAvailable", c->replicas, "selector", "matchLabels", c->match_labels),
		   NULL, &e);
	ok = rc == 0 && wait_for(c, 60000, pdb_is, &w);
	result(c, "pdb.status", ok,
	       "PDB minAvailable=%d over %s: expectedPods %lld, currentHealthy %lld, desiredHealthy %lld, "
	       "disruptionsAllowed %lld, observedGeneration %lld/%lld %s", c->replicas, c->selector,
	       jpi(w.last, "status.expectedPods"), jpi(w.last, "status.currentHealthy"),
	       jpi(w.last, "status.desiredHealthy"), jpi(w.last, "status.disruptionsAllowed"),
	       jpi(w.last, "status.observedGeneration"), jpi(w.last, "metadata.generation"),
	       rc ? e.msg : "");

	ready_pods(c, &names);
	victim = json_string_value(json_array_get(names, 0));
	memset(&e, 0, sizeof(e));
	rc = kube_pod_evict(c->kc, c->ns, victim ? victim : "none", false, &e);
	result(c, "evict.pdb-429", rc == -EBUSY && e.status == 429 && !strcmp(e.reason, "TooManyRequests") &&
	       strstr(e.msg, "disruption budget"),
	       "evict %s with disruptionsAllowed 0: rc %d, HTTP %ld %s: %.200s", victim ? victim : "-",
	       rc, e.status, e.reason, e.msg);
	memset(&e, 0, sizeof(e));
	rc = kube_pod_evict(c->kc, c->ns, victim ? victim : "none", true, &e);
	result(c, "dryrun.evict-pdb-429", rc == -EBUSY && e.status == 429,
	       "a dry-run eviction is refused by the budget too: rc %d, HTTP %ld %s", rc, e.status, e.reason);

	/* headroom: one disruption allowed */
	buf_reset(&p);
	buf_addf(&p, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets/%s", c->ns, PDB);
	rc = sendj(c->kc, "PATCH", p.data, "application/merge-patch+json",
		   json_pack("{s:{s:i}}", "spec", "minAvailable", c->replicas - 1), NULL, &e);
	w.allowed = 1;
	ok = rc == 0 && wait_for(c, 60000, pdb_is, &w);
	result(c, "pdb.headroom", ok, "after minAvailable=%d: disruptionsAllowed %lld %s",
	       c->replicas - 1, jpi(w.last, "status.disruptionsAllowed"), rc ? e.msg : "");

	pod = victim ? get_pod(c, victim) : NULL;
	str_copy(uid, jps(pod, "metadata.uid"), sizeof(uid));
	json_decref(pod);
	memset(&e, 0, sizeof(e));
	rc = kube_pod_evict(c->kc, c->ns, victim ? victim : "none", true, &e);
	pod = victim ? get_pod(c, victim) : NULL;
	result(c, "dryrun.evict", rc == 0 && pod && !strcmp(jps(pod, "metadata.uid"), uid) &&
	       !jp(pod, "metadata.deletionTimestamp"),
	       "evict with dryRun=All and headroom: rc %d; the pod %s %s", rc,
	       !pod ? "is gone" : jp(pod, "metadata.deletionTimestamp") ? "is terminating" : "stays",
	       rc ? e.msg : "");
	json_decref(pod);
	w.allowed = 1;
	pdb_is(c, &w);
	result(c, "dryrun.evict-budget-kept", jpi(w.last, "status.disruptionsAllowed") == 1,
	       "after the dry-run eviction the budget still allows %lld",
	       jpi(w.last, "status.disruptionsAllowed"));

	memset(&e, 0, sizeof(e));
	rc = kube_pod_evict(c->kc, c->ns, victim ? victim : "none", false, &e);
	pod = victim ? get_pod(c, victim) : NULL;
	result(c, "evict.allowed", rc == 0 && (!pod || jp(pod, "metadata.deletionTimestamp")),
	       "evict with headroom: rc %d; the pod %s %s", rc,
	       !pod ? "is gone" : jp(pod, "metadata.deletionTimestamp") ? "is terminating" : "stays",
	       rc ? e.msg : "");
	json_decref(pod);

	/* the budget is spent: the next eviction is refused until the pod is replaced */
	{
		json_t *now = NULL;
		const char *second = NULL;
		size_t i;
		json_t *n;

		ready_pods(c, &now);
		json_array_foreach(now, i, n)
			if (strcmp(json_string_value(n), victim ? victim : ""))
				second = json_string_value(n);
		memset(&e, 0, sizeof(e));
		rc = kube_pod_evict(c->kc, c->ns, second ? second : "none", false, &e);
		result(c, "evict.budget-spent-429", rc == -EBUSY && e.status == 429,
		       "a second eviction (%s) right after: rc %d, HTTP %ld %s", second ? second : "-",
		       rc, e.status, e.reason);
		json_decref(now);
	}
	sendj(c->kc, "DELETE", p.data, NULL, NULL, NULL, &e);
	wait_for(c, 90000, settled, NULL);
	json_decref(w.last);
	json_decref(names);
	buf_release(&p);
}

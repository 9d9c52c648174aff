#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "sim/api.h"
#include "base/buf.h"
#include "base/banned.h"

/*
 * pods/NAME/eviction: the Eviction API with the API server's
 * PodDisruptionBudget rules (pkg/registry/core/pod/storage/eviction.go, as
 * the PodDisruptionBudget documentation states them).
 */

static void evict_refused(struct apireq *a, const struct pdb *hit)
{
	api_status(a->resp, 429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.");
	buf_truncate(&a->resp->body, a->resp->body.len - strlen(",\"code\":429}"));
	buf_addf(&a->resp->body, ",\"details\":{\"causes\":[{\"reason\":\"DisruptionBudget\",\"message\":"
		 "\"The disruption budget %s needs %d healthy pods and has %d currently\"}]},\"code\":429}",
		 hit->m.name, hit->desired_healthy, hit->current_healthy);
}

void api_eviction(struct apireq *a)
{
	struct simstate *s = a->s;
	struct objlist *pdbs = &s->lists[K_PDB];
	struct pod *p;
	struct pdb *hit = NULL;
	int nhit = 0;
	json_t *obj = api_body_json(a->r, a->resp), *dry, *v;
	size_t i;

	if (!obj)
		return;
	/* kubectl drain --dry-run=server puts the dry run in the body's DeleteOptions */
	dry = json_object_get(json_object_get(obj, "deleteOptions"), "dryRun");
	json_array_foreach(dry, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), "All"))
			a->dry_run = true;
	json_decref(obj);
	pthread_mutex_lock(&s->mu);
	p = (struct pod *)store_get(s, K_POD, a->ns, a->name);
	if (!p) {
		api_not_found(a);
		goto out;
	}
	for (i = 0; i < pdbs->n; i++) {
		struct pdb *d = (struct pdb *)pdbs->v[i];

		if (d->m.ns == p->m.ns && pod_matches_labels(d->selector, p->m.labels)) {
			hit = d;
			nhit++;
		}
	}
	if (nhit > 1) {
		api_status(a->resp, 500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
		goto out;
	}
	/*
	 * The API server's rules (pkg/registry/core/pod/storage/eviction.go, as
	 * documented for PodDisruptionBudgets): a pod that is not Running
	 * (Pending, finished) goes without looking at the budget; a Running pod
	 * that is not Ready goes if the budget's policy is AlwaysAllow, or
	 * (IfHealthyBudget, the default) if the guarded application is not
	 * disrupted (currentHealthy >= desiredHealthy), costing nothing; a
	 * Ready pod needs disruptionsAllowed > 0.
	 */
	if (hit && p->phase == PH_RUNNING && p->node) {
		ctl_pdb_status(s, hit);
		if (!pod_ready(p)) {
			if (!hit->always_allow && hit->current_healthy < hit->desired_healthy) {
				evict_refused(a, hit);
				goto out;
			}
		} else if (hit->disruptions_allowed <= 0) {
			evict_refused(a, hit);
			goto out;
		}
	}
	a->resp->status = 201;
	buf_adds(&a->resp->body, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"code\":201}");
	if (a->dry_run)
		goto out;
	store_event(s, &p->m, "Evicted", false, "eviction-api", "Evicted pod %s/%s", p->m.ns, p->m.name);
	ctl_delete_pod(s, p, "evict");
	ctl_reconcile(s);
	if (hit) {
		ctl_pdb_status(s, hit);
		store_touch(s, &hit->m);
	}
out:
	pthread_mutex_unlock(&s->mu);
}

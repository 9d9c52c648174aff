/* kubemend's own Lease elector (kube/lease.c), Event recorder
 * (kube/events.c) and Remediation records (kube/remediation.c, on the CRD
 * of deploy/crd-remediation.yaml, which run.sh applies first). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/events.h"
#include "kube/lease.h"
#include "kube/objects.h"
#include "kube/remediation.h"
#include "base/banned.h"

static void elector(struct conform *c)
{
	struct kube_lease a, b;
	struct kube_lease_opts o = { "conform-elect", c->ns, "replica-a", 2000, 1500, 500 };
	struct kube_error e = { 0 };
	struct buf p = BUF_INIT;
	char err[256], holder[128];
	json_t *l;
	int ra, rb, ra2, rb2 = 0;
	int64_t t0;

	if (kube_lease_init(&a, c->kc, &o, err, sizeof(err)) < 0) {
		result(c, "lease.elect-acquire", false, "kube_lease_init: %s", err);
		return;
	}
	o.identity = "replica-b";
	kube_lease_init(&b, c->kc, &o, err, sizeof(err));
	ra = kube_lease_try(&a, &e);
	rb = kube_lease_try(&b, &e);
	kube_lease_holder(&b, holder, sizeof(holder));
	result(c, "lease.elect-acquire", ra == 1 && rb == 0 && !strcmp(holder, "replica-a"),
	       "kube_lease_try: replica-a %d (want 1), then replica-b %d (want 0), b sees holder %s",
	       ra, rb, holder);
	ra2 = kube_lease_try(&a, &e);
	result(c, "lease.elect-renew", ra2 == 1 && kube_lease_leading(&a), "replica-a renews: %d, leading %d",
	       ra2, kube_lease_leading(&a));
	/* replica-a stops renewing: replica-b takes over once the record has
	 * not changed for lease_duration on b's own clock */
	t0 = time_mono_ms();
	while (time_mono_ms() - t0 < 6000) {
		rb2 = kube_lease_try(&b, &e);
		if (rb2 != 0)
			break;
		usleep(250 * 1000);
	}
	buf_addf(&p, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/conform-elect", c->ns);
	l = get(c->kc, p.data, NULL);
	result(c, "lease.elect-takeover", rb2 == 1 && !strcmp(jps(l, "spec.holderIdentity"), "replica-b") &&
	       jpi(l, "spec.leaseTransitions") >= 1 && time_mono_ms() - t0 >= 1500,
	       "replica-b takes over after %lld ms: %d, holder %s, transitions %lld %s",
	       (long long)(time_mono_ms() - t0), rb2, jps(l, "spec.holderIdentity"),
	       jpi(l, "spec.leaseTransitions"), rb2 < 0 ? e.msg : "");
	ra = kube_lease_try(&a, &e);
	result(c, "lease.elect-old-leader-yields", ra == 0 && !kube_lease_leading(&a),
	       "replica-a tries again: %d (want 0), leading %d", ra, kube_lease_leading(&a));
	json_decref(l);
	sendj(c->kc, "DELETE", p.data, NULL, NULL, NULL, &e);
	kube_lease_release(&a);
	kube_lease_release(&b);
	buf_release(&p);
}

struct find {
	const char *reason;
	int found, count;
	char err[256];
	int parse_rc;
	struct kube_event ev;
};

static int find_event(const json_t *item, void *ctx)
{
	struct find *f = ctx;

	if (strcmp(jps(item, "reason"), f->reason))
		return 0;
	f->found++;
	if (f->parse_rc == 0)
		kube_event_release(&f->ev);
	f->parse_rc = kube_event_parse(item, &f->ev, f->err, sizeof(f->err));
	f->count = f->parse_rc == 0 ? f->ev.count : -1;
	return 0;
}

static void recorder(struct conform *c)
{
	struct kube_recorder r;
	struct kube_recorder_opts o = { "kubemend.io/conform", "conform-1", 0, 1, 25, 0 };
	struct kube_event_ref ref = { "apps/v1", "Deployment", c->ns, c->dep, NULL };
	struct kube_error e = { 0 };
	struct buf p = BUF_INIT;
	struct find f = { "ConformProposed", 0, 0, "", -1, { 0 } };
	int rc1, rc2, rc3, frc, lrc;

	kube_recorder_init(&r, c->kc, &o);
	rc1 = kube_event(&r, &ref, false, "ConformProposed", "Propose", "scale_deployment to 4", &e);
	buf_addf(&p, "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s", c->ns, c->dep);
	lrc = kube_list(c->kc, "list events", p.data, 100, find_event, NULL, &f, NULL, 0, &e);
	result(c, "event.record", rc1 == 1 && lrc == 0 && f.found == 1 && f.parse_rc == 0 &&
	       f.ev.kind && !strcmp(f.ev.kind, "Deployment") && f.ev.obj_name && !strcmp(f.ev.obj_name, c->dep),
	       "kube_event (events.k8s.io/v1): %d; seen through core/v1 by involvedObject.name: %d "
	       "found, parse %d, about %s %s %s", rc1, f.found, f.parse_rc, f.ev.kind ? f.ev.kind : "-",
	       f.ev.obj_name ? f.ev.obj_name : "-", rc1 < 0 ? e.msg : "");
	/* the same again: one Event with a series */
	rc2 = kube_event(&r, &ref, false, "ConformProposed", "Propose", "scale_deployment to 4", &e);
	usleep(20 * 1000);
	rc3 = kube_event(&r, &ref, false, "ConformProposed", "Propose", "scale_deployment to 4", &e);
	frc = kube_recorder_flush(&r, &e);
	f.found = 0;
	lrc = kube_list(c->kc, "list events", p.data, 100, find_event, NULL, &f, NULL, 0, &e);
	result(c, "event.series", rc2 >= 0 && rc3 >= 0 && frc >= 0 && lrc == 0 && f.found == 1 && f.count >= 3 &&
	       r.stats.created == 1,
	       "two repeats and a flush: %d %d flush %d; %d Event(s), count %d (want 1 Event, count 3); "
	       "created %llu patched %llu %s", rc2, rc3, frc, f.found, f.count,
	       (unsigned long long)r.stats.created, (unsigned long long)r.stats.patched,
	       frc < 0 || lrc < 0 ? e.msg : "");
	if (f.parse_rc == 0)
		kube_event_release(&f.ev);
	kube_recorder_release(&r);
	buf_release(&p);
}

static bool crd_served(struct conform *c, void *arg)
{
	struct buf *coll = arg;
	json_t *l = get(c->kc, coll->data, NULL);
	json_decref(l);
	return l != NULL;
}

static int count_item(const json_t *item, void *ctx)
{
	(void)item;
	(*(int *)ctx)++;
	return 0;
}

static void records(struct conform *c)
{
	struct kube_error e = { 0 };
	struct buf coll = BUF_INIT;
	json_t *spec, *out = NULL, *st, *labels;
	char rv[64], name[64];
	int rc, n = 0;

	buf_addf(&coll, KUBE_REMEDIATION_API "/namespaces/%s/remediations", c->ns);
	if (!wait_for(c, 30000, crd_served, &coll)) {
		result(c, "crd.remediation-create", false, "%s is not served: deploy/crd-remediation.yaml "
		       "was not applied", coll.data);
		buf_release(&coll);
		return;
	}
	kube_remediation_name("scale_deployment", c->dep, "abcdef0123456789", name);
	spec = json_pack("{s:s, s:s, s:s, s:{s:i}}", "action", "scale_deployment", "target", c->dep,
			 "digest", "abcdef0123456789", "params", "replicas", 4);
	labels = json_pack("{s:s}", "kubemend.io/conform", "yes");
	rc = kube_remediation_create(c->kc, c->ns, name, labels, spec, &out, &e);
	json_decref(spec);
	str_copy(rv, jps(out, "metadata.resourceVersion"), sizeof(rv));
	result(c, "crd.remediation-create", rc == 0 && *rv && jpi(out, "spec.params.replicas") == 4,
	       "kube_remediation_create %s: rc %d, rv %s %s", name, rc, rv, rc ? e.msg : "");
	json_decref(out);
	out = NULL;

	rc = kube_remediation_decide(c->kc, c->ns, name, true, "conform", NULL, "ok", NULL, &e);
	memset(&e, 0, sizeof(e));
	{
		int rc2 = kube_remediation_decide(c->kc, c->ns, name, false, "conform", NULL, NULL, NULL, &e);
		kube_remediation_get(c->kc, c->ns, name, &out, &e);
		result(c, "crd.remediation-decide", rc == 0 && rc2 == -EALREADY &&
		       !strcmp(jps(out, "spec.decision.verdict"), "approved"),
		       "approve: %d; reject after: %d (want -EALREADY); verdict %s %s", rc, rc2,
		       jps(out, "spec.decision.verdict"), rc ? e.msg : "");
		str_copy(rv, jps(out, "metadata.resourceVersion"), sizeof(rv));
		json_decref(out);
		out = NULL;
	}
	st = json_pack("{s:s}", "phase", "Executing");
	rc = kube_remediation_set_status(c->kc, c->ns, name, st, rv, &out, &e);
	result(c, "crd.remediation-claim", rc == 0 && !strcmp(jps(out, "status.phase"), "Executing"),
	       "set_status with the rv read (the executor's claim): rc %d, phase %s %s", rc,
	       jps(out, "status.phase"), rc ? e.msg : "");
	json_decref(out);
	out = NULL;
	memset(&e, 0, sizeof(e));
	rc = kube_remediation_set_status(c->kc, c->ns, name, st, rv, NULL, &e);
	result(c, "crd.remediation-claim-409", rc == -EINVAL && e.status == 409,
	       "a second claim with the same rv: rc %d, HTTP %ld %s", rc, e.status, e.reason);
	json_decref(st);

	rc = kube_remediation_list(c->kc, c->ns, "kubemend.io/conform=yes", count_item, &n, &e);
	result(c, "crd.remediation-list", rc == 0 && n == 1, "list by label: rc %d, %d item(s)", rc, n);

	/* the CRD's schema: spec.digest is required */
	memset(&e, 0, sizeof(e));
	spec = json_pack("{s:s, s:s}", "action", "restart_pod", "target", "x");
	rc = kube_remediation_create(c->kc, c->ns, "conform-no-digest", NULL, spec, NULL, &e);
	result(c, "crd.remediation-schema-422", rc < 0 && e.status == 422 && !strcmp(e.reason, "Invalid"),
	       "create without the required spec.digest: rc %d, HTTP %ld %s: %.200s", rc, e.status,
	       e.reason, e.msg);
	json_decref(spec);
	{
		struct buf one = BUF_INIT;
		buf_addf(&one, "%s/%s", coll.data, name);
		sendj(c->kc, "DELETE", one.data, NULL, NULL, NULL, &e);
		buf_reset(&one);
		buf_addf(&one, "%s/conform-no-digest", coll.data);
		sendj(c->kc, "DELETE", one.data, NULL, NULL, NULL, &e);
		buf_release(&one);
	}
	json_decref(labels);
	buf_release(&coll);
}

void checks_kube(struct conform *c)
{
	elector(c);
	recorder(c);
	records(c);
}

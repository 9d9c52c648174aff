#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "run/incluster.h"
#include "kube/remediation.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define C "incluster"
#define MAP_MAX 4096

struct ic_map {
	char *id;               /* the local record's id */
	char name[64];          /* its resource */
	char status[24];        /* the last status mirrored */
	bool foreign;           /* another replica ran this change: never overwrite its outcome */
	bool handed;            /* its decision went to the loop */
};

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static char *dup_or(const char *v, const char *def)
{
	return xstrdup(v && *v ? v : def);
}

static void on_lease(void *ctx, bool leading, const char *holder, const char *why)
{
	struct incluster *ic = ctx;

	log_kv(leading ? LOG_INFO : LOG_WARN, C, leading ? "leading" : "stopped leading", "identity", ic->identity,
	       "lease", ic->lease_name, "namespace", ic->lease_ns, "holder", holder, "why", why, NULL);
}

int incluster_open(struct incluster *ic, const struct kube_config *cfg, const struct incluster_opts *o,
		   char *err, size_t errlen)
{
	struct http_opts lease_http = { .connect_timeout_ms = 2000, .max_retries = -1 };
	struct http_opts api_http = { .connect_timeout_ms = 3000, .timeout_ms = 10000, .max_retries = 1 };
	char id[300];
	int rc;

	memset(ic, 0, sizeof(*ic));
	ic->o = *o;
	kube_lease_default_identity(id, sizeof(id));
	ic->identity = dup_or(o->identity, id);
	ic->lease_name = dup_or(o->lease_name, "kubemend-leader");
	ic->lease_ns = dup_or(o->lease_namespace, getenv("POD_NAMESPACE") ? getenv("POD_NAMESPACE") : "kubemend");
	ic->records_ns = dup_or(o->records_namespace, ic->lease_ns);
	if (ic->o.min_margin_ms <= 0)
		ic->o.min_margin_ms = 1000;
	if (ic->o.cooldown_ms <= 0)
		ic->o.cooldown_ms = 10 * 60000;
	ic->claim_ok = true;
	pthread_mutex_init(&ic->mu, NULL);
	pthread_cond_init(&ic->cond, NULL);
	if ((rc = kube_client_init(&ic->kc, cfg, &api_http, err, errlen)) < 0)
		goto fail;
	ic->kc_on = true;
	if ((rc = kube_client_init(&ic->poll_kc, cfg, &api_http, err, errlen)) < 0)
		goto fail;
	ic->poll_kc_on = true;
	if (o->leader_elect) {
		struct kube_lease_opts lo = { ic->lease_name, ic->lease_ns, ic->identity, o->lease_duration_ms,
					      o->renew_deadline_ms, o->retry_period_ms };

		/* a renewal that hangs must not outlive the renew deadline */
		lease_http.timeout_ms = (o->renew_deadline_ms ? o->renew_deadline_ms : 10000) / 2;
		if ((rc = kube_client_init(&ic->lease_kc, cfg, &lease_http, err, errlen)) < 0)
			goto fail;
		ic->lease_on = true;
		if ((rc = kube_lease_init(&ic->lease, &ic->lease_kc, &lo, err, errlen)) < 0)
			goto fail;
		if ((rc = kube_lease_start(&ic->lease, on_lease, ic)) < 0) {
			snprintf(err, errlen, "leader election: cannot start its thread");
			goto fail;
		}
	}
	if (o->events) {
		struct kube_recorder_opts ro = { .controller = "kubemend.io/monitor", .instance = ic->identity };

		if (kube_recorder_init(&ic->rec, &ic->kc, &ro) == 0)
			ic->rec_on = true;
	}
	if (o->records) {
		struct kube_error e;
		json_t *doc = NULL;

		if (kube_get(&ic->kc, "discover kubemend.io", KUBE_REMEDIATION_API, &doc, &e) < 0) {
			ic->records_missing = true;
			log_kv(LOG_WARN, C, "Remediation records stay local: the CRD is not served (kubectl apply -f "
			       "deploy/crd-remediation.yaml)", "error", e.msg, NULL);
		}
		json_decref(doc);
	}
	return 0;
fail:
	incluster_close(ic);
	return rc;
}

void incluster_close(struct incluster *ic)
{
	if (!ic->identity)
		return;
	if (ic->polling) {
		pthread_mutex_lock(&ic->mu);
		ic->stop = true;
		pthread_cond_broadcast(&ic->cond);
		pthread_mutex_unlock(&ic->mu);
		pthread_join(ic->poller, NULL);
		ic->polling = false;
	}
	if (ic->rec_on) {
		struct kube_error e;

		kube_recorder_flush(&ic->rec, &e);
		kube_recorder_release(&ic->rec);
	}
	kube_lease_release(&ic->lease);        /* a leader releases the Lease */
	if (ic->lease_on)
		kube_client_release(&ic->lease_kc);
	if (ic->kc_on)
		kube_client_release(&ic->kc);
	if (ic->poll_kc_on)
		kube_client_release(&ic->poll_kc);
	for (size_t i = 0; i < ic->nmap; i++)
		free(ic->map[i].id);
	free(ic->map);
	free(ic->identity);
	free(ic->lease_name);
	free(ic->lease_ns);
	free(ic->records_ns);
	pthread_mutex_destroy(&ic->mu);
	pthread_cond_destroy(&ic->cond);
	memset(ic, 0, sizeof(*ic));
}

bool incluster_leading(struct incluster *ic)
{
	return !ic->o.leader_elect || kube_lease_leading(&ic->lease);
}

/* Leadership with time to spare: the check before every mutation. */
static bool leading_with_margin(struct incluster *ic, char *why, size_t whylen)
{
	char holder[256];
	int64_t left;

	if (!ic->o.leader_elect)
		return true;
	left = kube_lease_margin_ms(&ic->lease);
	if (left >= ic->o.min_margin_ms)
		return true;
	kube_lease_holder(&ic->lease, holder, sizeof(holder));
	if (left > 0)
		snprintf(why, whylen, "leadership ends in %lld ms (renewal overdue): not starting a change",
			 (long long)left);
	else
		snprintf(why, whylen, "not the leader (lease %s/%s held by %s)", ic->lease_ns, ic->lease_name,
			 *holder ? holder : "nobody");
	return false;
}

int incluster_may_act(void *ctx, char *why, size_t whylen)
{
	return leading_with_margin(ctx, why, whylen) ? 1 : 0;
}

/* The newest record in the loop's history with this status, or NULL. */
static const json_t *newest_with(struct incluster *ic, const char *status)
{
	const json_t *arr = ic->records ? *ic->records : NULL;

	for (size_t i = json_array_size(arr); i-- > 0;) {
		const json_t *r = json_array_get(arr, i);

		if (str_eq(jstr(r, "status"), status))
			return r;
	}
	return NULL;
}

bool incluster_write_guard(void *ctx, char *why, size_t whylen)
{
	struct incluster *ic = ctx;
	const json_t *rec;
	bool ok;

	if (!leading_with_margin(ic, why, whylen))
		return false;
	rec = newest_with(ic, "executing");
	if (rec && jstr(rec, "id") && strcmp(ic->claimed, jstr(rec, "id"))) {
		/* the first write of this execution: claim the shared record first */
		snprintf(ic->claimed, sizeof(ic->claimed), "%s", jstr(rec, "id"));
		incluster_on_record(ic, rec);
		if (!leading_with_margin(ic, why, whylen))
			return false;
	}
	pthread_mutex_lock(&ic->mu);
	ok = ic->claim_ok;
	if (!ok)
		snprintf(why, whylen, "%s", ic->claim_why);
	pthread_mutex_unlock(&ic->mu);
	return ok;
}

/* ---- the records as resources ---- */

static struct ic_map *map_get(struct incluster *ic, const char *id, const char *name)
{
	for (size_t i = 0; i < ic->nmap; i++)
		if (!strcmp(ic->map[i].id, id))
			return &ic->map[i];
	if (!name)
		return NULL;
	if (ic->nmap == MAP_MAX) {
		free(ic->map[0].id);
		memmove(ic->map, ic->map + 1, (ic->nmap - 1) * sizeof(*ic->map));
		ic->nmap--;
	}
	ARRAY_GROW(ic->map, ic->capmap, ic->nmap + 1);
	memset(&ic->map[ic->nmap], 0, sizeof(ic->map[0]));
	ic->map[ic->nmap].id = xstrdup(id);
	snprintf(ic->map[ic->nmap].name, sizeof(ic->map[0].name), "%s", name);
	return &ic->map[ic->nmap++];
}

static const char *phase_of(const char *status)
{
	static const char *const m[][2] = {
		{ "proposed", "Proposed" }, { "pending", "Proposed" }, { "refused", "Refused" },
		{ "executing", "Executing" }, { "succeeded", "Done" }, { "failed", "Failed" },
		{ "unverified", "Done" }, { "skipped", "Skipped" }, { "dry_run", "Done" },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (str_eq(status, m[i][0]))
			return m[i][1];
	return "Proposed";
}

static const char *outcome_of(const char *status)
{
	if (str_eq(status, "succeeded"))
		return "success";
	if (str_eq(status, "failed"))
		return "failure";
	if (str_eq(status, "unverified") || str_eq(status, "dry_run") || str_eq(status, "refused") ||
	    str_eq(status, "skipped"))
		return status;
	return NULL;
}

static void target_string(const json_t *rec, char *out, size_t n)
{
	const json_t *t = json_object_get(rec, "target");
	const char *ns = jstr(t, "namespace"), *name = jstr(t, "name");

	snprintf(out, n, "%s%s%s", ns ? ns : "", ns ? "/" : "", name ? name : "?");
}

static json_t *spec_of(struct incluster *ic, const json_t *rec)
{
	const json_t *t = json_object_get(rec, "target");
	char target[300];
	json_t *spec;

	target_string(rec, target, sizeof(target));
	spec = json_pack("{s:s,s:s,s:{s:s?,s:s?,s:s?},s:s,s:s,s:s?}", "action", jstr(rec, "action") ? jstr(rec, "action") : "",
			 "target", target, "targetRef", "kind", jstr(t, "kind"), "namespace", jstr(t, "namespace"),
			 "name", jstr(t, "name"), "digest", jstr(rec, "digest") ? jstr(rec, "digest") : "",
			 "proposedBy", ic->identity, "recordId", jstr(rec, "id"));
	if (json_object_get(rec, "params"))
		json_object_set(spec, "params", json_object_get(rec, "params"));
	if (jstr(rec, "insight_id"))
		json_object_set_new(spec, "insightId", json_string(jstr(rec, "insight_id")));
	return spec;
}

static json_t *status_of(struct incluster *ic, const json_t *rec)
{
	const char *st = jstr(rec, "status");
	const json_t *res = json_object_get(rec, "result"), *ver = json_object_get(rec, "verification");
	json_t *s = json_pack("{s:s}", "phase", phase_of(st));

	if (outcome_of(st))
		json_object_set_new(s, "outcome", json_string(outcome_of(st)));
	if (jstr(res, "message"))
		json_object_set_new(s, "message", json_string(jstr(res, "message")));
	if (jstr(rec, "approval"))
		json_object_set_new(s, "approval", json_string(jstr(rec, "approval")));
	if (str_eq(st, "executing") || jstr(rec, "started")) {
		json_object_set_new(s, "executedBy", json_string(ic->identity));
		json_object_set_new(s, "executedRecord", json_string(jstr(rec, "id") ? jstr(rec, "id") : ""));
		if (jstr(rec, "started"))
			json_object_set_new(s, "executedAt", json_string(jstr(rec, "started")));
	}
	if (jstr(ver, "verdict")) {
		json_object_set_new(s, "verification", json_string(jstr(ver, "verdict")));
		if (jstr(rec, "updated"))
			json_object_set_new(s, "verifiedAt", json_string(jstr(rec, "updated")));
	}
	if (json_object_get(rec, "rollback"))
		json_object_set(s, "rollback", json_object_get(rec, "rollback"));
	return s;
}

static json_t *labels_of(void)
{
	return json_pack("{s:s}", "app.kubernetes.io/managed-by", "kubemend");
}

struct cool { const char *name, *action, *target, *insight; int64_t since_ms; char who[300]; };

static int cool_item(const json_t *it, void *ctx)
{
	struct cool *c = ctx;
	const json_t *spec = json_object_get(it, "spec"), *st = json_object_get(it, "status");
	const char *name = jstr(json_object_get(it, "metadata"), "name"), *at = jstr(st, "executedAt");
	const char *phase = jstr(st, "phase");
	int64_t t = 0;

	if (!name || !strcmp(name, c->name) || !str_eq(jstr(spec, "action"), c->action) ||
	    !str_eq(jstr(spec, "target"), c->target))
		return 0;
	if (!str_eq(phase, "Executing") && !str_eq(phase, "Done") && !str_eq(phase, "Interrupted"))
		return 0;
	/* an earlier rung of the same incident's ladder, done and verified, does not
	 * hold back the next one (one still executing does: one disruption at a time) */
	if (c->insight && str_eq(jstr(spec, "insightId"), c->insight) && str_eq(phase, "Done") &&
	    jstr(st, "verification"))
		return 0;
	if (at && time_parse(at, &t) == 0 && t >= c->since_ms) {
		snprintf(c->who, sizeof(c->who), "%s by %s at %s", name, jstr(st, "executedBy") ? jstr(st, "executedBy") : "?", at);
		return 1;
	}
	return 0;
}

/*
 * The record is about to execute: claim its resource (a write with the
 * resourceVersion read, so of two replicas one wins), unless another replica
 * already ran it or the same change on the same target within the cooldown.
 */
static void claim(struct incluster *ic, struct ic_map *mp, const json_t *rec, json_t *spec, json_t *status)
{
	struct kube_error e;
	json_t *cur = NULL, *out = NULL;
	const char *phase, *rv, *by;
	char why[512] = "";
	struct cool c;
	int rc;

	rc = kube_remediation_get(&ic->kc, ic->records_ns, mp->name, &cur, &e);
	if (rc == -ENOENT) {
		rc = kube_remediation_create(&ic->kc, ic->records_ns, mp->name, NULL, spec, &cur, &e);
		json_decref(cur);
		cur = NULL;
		if (rc == 0)
			rc = kube_remediation_get(&ic->kc, ic->records_ns, mp->name, &cur, &e);
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "the shared record %s/%s cannot be read: %.300s", ic->records_ns, mp->name, e.msg);
		goto out;
	}
	phase = jstr(json_object_get(cur, "status"), "phase");
	by = jstr(json_object_get(cur, "status"), "executedBy");
	/* a change in flight or done elsewhere is not repeated; a failed one may be tried again */
	if ((str_eq(phase, "Executing") || str_eq(phase, "Done") || str_eq(phase, "Interrupted")) &&
	    !(str_eq(by, ic->identity) && str_eq(jstr(json_object_get(cur, "status"), "executedRecord"), jstr(rec, "id")))) {
		snprintf(why, sizeof(why), "already %s by %s (shared record %s/%s)", str_eq(phase, "Executing") ?
			 "being executed" : "executed", by ? by : "another replica", ic->records_ns, mp->name);
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.name = mp->name;
	c.action = jstr(spec, "action");
	c.target = jstr(spec, "target");
	c.insight = jstr(spec, "insightId");
	c.since_ms = time_real_ms() - ic->o.cooldown_ms;
	if (kube_remediation_list(&ic->kc, ic->records_ns, NULL, cool_item, &c, &e) == 1) {
		snprintf(why, sizeof(why), "shared cooldown: %s on %s was executed within %lld s (%s)", c.action, c.target,
			 (long long)(ic->o.cooldown_ms / 1000), c.who);
		goto out;
	}
	rv = jstr(json_object_get(cur, "metadata"), "resourceVersion");
	rc = kube_remediation_set_status(&ic->kc, ic->records_ns, mp->name, status, rv, &out, &e);
	if (rc < 0)
		snprintf(why, sizeof(why), e.status == 409 ? "another replica claimed %s/%s first" :
			 "cannot claim %s/%s", ic->records_ns, mp->name);
out:
	pthread_mutex_lock(&ic->mu);
	ic->claim_ok = !*why;
	snprintf(ic->claim_why, sizeof(ic->claim_why), "%.*s", (int)sizeof(ic->claim_why) - 1, why);
	mp->foreign = *why != '\0';
	pthread_mutex_unlock(&ic->mu);
	if (*why)
		log_kv(LOG_WARN, C, "not executing", "record", jstr(rec, "id"), "why", why, NULL);
	json_decref(cur);
	json_decref(out);
}

/* Mirrors a record; false when the resource tells of another replica's execution (left alone). */
static bool mirror(struct incluster *ic, struct ic_map *mp, json_t *spec, json_t *status, const char *id)
{
	struct kube_error e;
	json_t *labels = labels_of(), *cur = NULL;
	int rc = kube_remediation_create(&ic->kc, ic->records_ns, mp->name, labels, spec, NULL, &e);
	const char *by, *rid;

	if (rc < 0 && e.status == 409 &&
	    kube_remediation_get(&ic->kc, ic->records_ns, mp->name, &cur, &e) == 0) {
		by = jstr(json_object_get(cur, "status"), "executedBy");
		rid = jstr(json_object_get(cur, "status"), "executedRecord");
		if (by && !(str_eq(by, ic->identity) && str_eq(rid, id))) {
			/* another replica ran this change: its outcome stands */
			json_decref(cur);
			json_decref(labels);
			return false;
		}
		json_decref(cur);
	}
	if (rc < 0 && e.status != 409) {
		log_kv(LOG_WARN, C, "cannot write the Remediation record", "name", mp->name, "error", e.msg, NULL);
	} else if (kube_remediation_set_status(&ic->kc, ic->records_ns, mp->name, status, NULL, NULL, &e) < 0) {
		log_kv(LOG_WARN, C, "cannot write the Remediation status", "name", mp->name, "error", e.msg, NULL);
	}
	json_decref(labels);
	return true;
}

/* The Event for a record's new status, on the object it changes. */
static void event_for(struct incluster *ic, const json_t *rec, const char *status, const char *claim_why)
{
	static const struct { const char *status, *reason, *action; bool warning; } ev[] = {
		{ "proposed", "RemediationProposed", "Propose", true },
		{ "pending", "RemediationPending", "Propose", false },
		{ "refused", "RemediationRefused", "Refuse", false },
		{ "executing", "RemediationStarted", "Execute", false },
		{ "succeeded", "RemediationSucceeded", "Verify", false },
		{ "failed", "RemediationFailed", "Execute", true },
		{ "unverified", "RemediationUnverified", "Verify", true },
		{ "skipped", "RemediationSkipped", "Execute", false },
		{ "dry_run", "RemediationDryRun", "Execute", false },
	};
	const json_t *t = json_object_get(rec, "target"), *res = json_object_get(rec, "result");
	const char *kind = jstr(t, "kind");
	struct kube_event_ref ref;
	struct kube_error e;
	struct buf note = BUF_INIT;
	const char *desc;
	char *params;
	size_t i;

	for (i = 0; i < sizeof(ev) / sizeof(ev[0]) && strcmp(ev[i].status, status); i++)
		;
	if (i == sizeof(ev) / sizeof(ev[0]) || !kind || !jstr(t, "name"))
		return;
	memset(&ref, 0, sizeof(ref));
	ref.api_version = !strcmp(kind, "Deployment") ? "apps/v1" : "v1";
	ref.kind = kind;
	ref.namespace_ = jstr(t, "namespace");
	ref.name = jstr(t, "name");
	desc = jstr(json_object_get(rec, "params"), "description");
	params = desc ? NULL : json_dumps(json_object_get(rec, "params"), JSON_COMPACT | JSON_SORT_KEYS);
	if (desc)
		buf_addf(&note, "%s (record %s)", desc, jstr(rec, "id") ? jstr(rec, "id") : "?");
	else
		buf_addf(&note, "%s %s (record %s)", jstr(rec, "action") ? jstr(rec, "action") : "?",
			 params ? params : "{}", jstr(rec, "id") ? jstr(rec, "id") : "?");
	if (claim_why && *claim_why)
		buf_addf(&note, ": not run here: %s", claim_why);
	else if (!strcmp(status, "executing"))
		buf_addf(&note, ": started by %s (approval: %s)", ic->identity,
			 jstr(rec, "approval") ? jstr(rec, "approval") : "?");
	else if (jstr(res, "message"))
		buf_addf(&note, ": %s", jstr(res, "message"));
	if (kube_event(&ic->rec, &ref, ev[i].warning, ev[i].reason, ev[i].action, note.data, &e) < 0)
		log_kv(LOG_WARN, C, "cannot write an Event", "object", ref.name, "reason", ev[i].reason, "error", e.msg, NULL);
	free(params);
	buf_release(&note);
}

/*
 * What names a proposal across replicas: a hash (FNV-1a 64) of its action,
 * target and params without the prose, so the same proposal from either
 * replica names the same resource whether or not its approval digest has
 * been written yet (the digest goes into the spec).
 */
static void proposal_key(const json_t *rec, char out[80])
{
	json_t *k, *params;
	char *txt;
	uint64_t h = 0xcbf29ce484222325ull;

	params = json_deep_copy(json_object_get(rec, "params"));
	json_object_del(params, "rationale");
	json_object_del(params, "description");
	k = json_pack("{s:s?,s:O?,s:o?}", "action", jstr(rec, "action"), "target", json_object_get(rec, "target"),
		      "params", params);
	txt = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS);
	for (const char *c = txt ? txt : ""; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 0x100000001b3ull;
	}
	snprintf(out, 80, "%016llx", (unsigned long long)h);
	free(txt);
	json_decref(k);
}

void incluster_on_record(void *ctx, const json_t *rec)
{
	struct incluster *ic = ctx;
	const char *id = jstr(rec, "id"), *status = jstr(rec, "status");
	const json_t *t = json_object_get(rec, "target");
	char name[64], why[256] = "", key[80];
	struct ic_map *mp, snap;
	json_t *spec, *st;
	bool changed;

	if (!id || !status)
		return;
	if (!strcmp(status, "proposed") && !jstr(rec, "digest"))
		return;         /* its next write carries the digest the decision binds to */
	if (!incluster_leading(ic)) {
		/* followers neither publish nor run anything; their records stay local */
		pthread_mutex_lock(&ic->mu);
		ic->claim_ok = false;
		snprintf(ic->claim_why, sizeof(ic->claim_why), "not the leader");
		pthread_mutex_unlock(&ic->mu);
		return;
	}
	proposal_key(rec, key);
	kube_remediation_name(jstr(rec, "action"), jstr(t, "name"), key, name);
	pthread_mutex_lock(&ic->mu);
	mp = map_get(ic, id, name);
	changed = strcmp(mp->status, status) != 0;
	snprintf(mp->status, sizeof(mp->status), "%s", status);
	if (!str_eq(status, "executing")) {
		ic->claim_ok = true;
		ic->claim_why[0] = '\0';
	}
	snap = *mp;
	pthread_mutex_unlock(&ic->mu);
	spec = spec_of(ic, rec);
	st = status_of(ic, rec);
	if (!ic->o.records || ic->records_missing) {
		/* nothing shared to claim */
	} else if (str_eq(status, "executing")) {
		snprintf(ic->claimed, sizeof(ic->claimed), "%s", id);        /* the guard need not claim it again */
		claim(ic, mp, rec, spec, st);
		pthread_mutex_lock(&ic->mu);
		snprintf(why, sizeof(why), "%s", ic->claim_why);
		snap = *mp;
		pthread_mutex_unlock(&ic->mu);
	} else if (!snap.foreign && !mirror(ic, &snap, spec, st, id)) {
		pthread_mutex_lock(&ic->mu);
		mp->foreign = true;
		pthread_mutex_unlock(&ic->mu);
	}
	if (ic->rec_on && changed)
		event_for(ic, rec, status, why);
	json_decref(spec);
	json_decref(st);
}

int incluster_may_act_rec(void *ctx, const json_t *rec, char *why, size_t whylen)
{
	struct incluster *ic = ctx;

	if (!leading_with_margin(ic, why, whylen))
		return 0;
	(void)rec;      /* the claim on the shared record is made when the record turns "executing" */
	return 1;
}

void incluster_watch_records(struct incluster *ic, json_t *const *records)
{
	ic->records = records;
}

void incluster_sync(struct incluster *ic)
{
	const json_t *arr = ic->records ? *ic->records : NULL;
	size_t n = json_array_size(arr);

	for (size_t i = n > 200 ? n - 200 : 0; i < n; i++) {
		const json_t *r = json_array_get(arr, i);
		const char *id = jstr(r, "id"), *st = jstr(r, "status");
		struct ic_map *mp;
		bool same;

		/* an "executing" record is claimed by the guard before its first write; one left over
		 * from an earlier run was interrupted, and is not a claim */
		if (!id || !st || !strcmp(st, "executing"))
			continue;
		pthread_mutex_lock(&ic->mu);
		mp = map_get(ic, id, NULL);
		same = mp && !strcmp(mp->status, st);
		pthread_mutex_unlock(&ic->mu);
		if (!same)
			incluster_on_record(ic, r);
	}
}

void incluster_anomaly(struct incluster *ic, const char *kind, const char *ns, const char *name,
		       const char *anomaly_type, double probability, const char *summary)
{
	struct kube_event_ref ref = { !strcmp(kind, "Deployment") ? "apps/v1" : "v1", kind,
				      strcmp(kind, "Node") ? ns : NULL, name, NULL };
	struct kube_error e;
	char note[600];

	if (!ic->rec_on || !name || !incluster_leading(ic))
		return;
	snprintf(note, sizeof(note), "%s (probability %.2f): %s", anomaly_type ? anomaly_type : "anomaly",
		 probability, summary ? summary : "");
	if (kube_event(&ic->rec, &ref, true, "AnomalyDetected", "Detect", note, &e) < 0)
		log_kv(LOG_WARN, C, "cannot write an Event", "object", name, "reason", "AnomalyDetected",
		       "error", e.msg, NULL);
}

/* ---- decisions from the resources ---- */

#define STALE_MAX 32

struct pollctx {
	struct incluster *ic;
	size_t nstale;
	char *stale[STALE_MAX][3];      /* name, resourceVersion, executedBy (malloc'd) */
};

/*
 * A record another replica left Executing when it lost the lease (killed,
 * paused, cut off): say so. Its change may or may not have reached the API,
 * so Interrupted counts like Executing for the claim and the cooldown.
 * Called after the list, not inside its callback (kube_list's JSON arena:
 * nothing made inside may be freed with free()).
 */
static void mark_interrupted(struct incluster *ic, const char *name, const char *rv, const char *by)
{
	struct kube_error e;
	char msg[400];
	json_t *patch;

	snprintf(msg, sizeof(msg), "%s lost the lease while executing; the change may or may not have been applied "
		 "(not repeated)", by);
	patch = json_pack("{s:s,s:s,s:s}", "phase", "Interrupted", "outcome", "unknown", "message", msg);
	if (kube_remediation_set_status(&ic->poll_kc, ic->records_ns, name, patch, rv, NULL, &e) == 0)
		log_kv(LOG_WARN, C, "marked a record interrupted", "resource", name, "executor", by, NULL);
	json_decref(patch);
}

static int poll_item(const json_t *it, void *ctx)
{
	struct incluster *ic = ((struct pollctx *)ctx)->ic;
	const json_t *spec = json_object_get(it, "spec"), *dec = json_object_get(spec, "decision");
	const char *name = jstr(json_object_get(it, "metadata"), "name");
	const char *verdict = jstr(dec, "verdict"), *digest = jstr(dec, "digest"), *by = jstr(dec, "by");
	char id[64] = "";
	int rc;

	if (name) {
		const json_t *st = json_object_get(it, "status");
		const char *exby = jstr(st, "executedBy"), *rv = jstr(json_object_get(it, "metadata"), "resourceVersion");
		struct pollctx *pc = ctx;

		if (str_eq(jstr(st, "phase"), "Executing") && exby && !str_eq(exby, ic->identity) && rv &&
		    pc->nstale < STALE_MAX) {
			pc->stale[pc->nstale][0] = xstrdup(name);
			pc->stale[pc->nstale][1] = xstrdup(rv);
			pc->stale[pc->nstale][2] = xstrdup(exby);
			pc->nstale++;
		}
	}
	if (!ic->decide)
		return 0;

	if (!dec || !name || !verdict || !digest)
		return 0;
	pthread_mutex_lock(&ic->mu);
	for (size_t i = 0; i < ic->nmap; i++)
		if (!strcmp(ic->map[i].name, name) && !ic->map[i].handed &&
		    (str_eq(ic->map[i].status, "pending") || str_eq(ic->map[i].status, "proposed"))) {
			snprintf(id, sizeof(id), "%s", ic->map[i].id);
			ic->map[i].handed = true;
		}
	pthread_mutex_unlock(&ic->mu);
	if (!*id)
		return 0;
	rc = ic->decide(ic->decide_ctx, id, digest, !strcmp(verdict, "approved"), by ? by : "kubectl");
	log_kv(rc == 0 ? LOG_INFO : LOG_WARN, C, rc == 0 ? "decision taken from the cluster" :
	       "decision from the cluster not taken", "record", id, "resource", name, "verdict", verdict,
	       "by", by, "error", rc == 0 ? NULL : strerror(-rc), NULL);
	return 0;
}

static void *poller(void *arg)
{
	struct incluster *ic = arg;

	for (;;) {
		struct timespec ts;
		struct kube_error e;
		struct pollctx pc;
		bool stop;

		memset(&pc, 0, sizeof(pc));
		pc.ic = ic;

		pthread_mutex_lock(&ic->mu);
		stop = ic->stop;
		pthread_mutex_unlock(&ic->mu);
		if (stop)
			break;
		if (incluster_leading(ic) && !ic->records_missing)
			kube_remediation_list(&ic->poll_kc, ic->records_ns, NULL, poll_item, &pc, &e);
		for (size_t i = 0; i < pc.nstale; i++) {
			if (incluster_leading(ic))
				mark_interrupted(ic, pc.stale[i][0], pc.stale[i][1], pc.stale[i][2]);
			for (int k = 0; k < 3; k++)
				free(pc.stale[i][k]);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ic->poll_ms / 1000;
		ts.tv_nsec += (long)(ic->poll_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&ic->mu);
		if (!ic->stop)
			pthread_cond_timedwait(&ic->cond, &ic->mu, &ts);
		pthread_mutex_unlock(&ic->mu);
	}
	return NULL;
}

int incluster_poll_decisions(struct incluster *ic, incluster_decide_fn decide, void *ctx, int64_t poll_ms)
{
	int rc;

	if (!ic->o.records || ic->polling)
		return 0;
	ic->decide = decide;
	ic->decide_ctx = ctx;
	ic->poll_ms = poll_ms > 0 ? poll_ms : 2000;
	rc = pthread_create(&ic->poller, NULL, poller, ic);
	if (rc)
		return -rc;
	ic->polling = true;
	return 0;
}

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/log.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "insight/advice.h"
#include "insight/insight_read.h"
#include "remedy/approve.h"
#include "remedy/blast.h"
#include "remedy/execute.h"
#include "remedy/inflight.h"
#include "remedy/ladder.h"
#include "remedy/loop.h"
#include "remedy/loop_priv.h"
#include "remedy/plan.h"
#include "remedy/prompt.h"
#include "remedy/reconcile.h"
#include "remedy/rollout.h"
#include "remedy/target.h"
#include "remedy/verify.h"
#include "base/banned.h"

int loop_proposal_from_record(const json_t *rec, struct proposal *p, char *ns, size_t nslen,
			      char *name, size_t namelen)
{
	const json_t *t = json_object_get(rec, "target");
	const char *s;

	memset(p, 0, sizeof(*p));
	if (action_parse(json_string_value(json_object_get(rec, "action")), &p->kind))
		return -EINVAL;
	s = json_string_value(json_object_get(t, "namespace"));
	if (s) {
		str_copy(ns, s, nslen);
		p->namespace_ = ns;
	}
	str_copy(name, json_string_value(json_object_get(t, "name")) ?
		 json_string_value(json_object_get(t, "name")) : "", namelen);
	p->name = name;
	return 0;
}

int remedy_loop_open(struct remedy_loop *l, const struct remedy_opts *o,
		     struct kube_client *kc, struct policy *pol,
		     const volatile int *stop, char *err, size_t errlen)
{
	json_t *rec;
	size_t i;
	int rc;

	memset(l, 0, sizeof(*l));
	l->o = *o;
	l->kc = kc;
	l->pol = pol;
	l->stop = stop;
	rc = history_open(&l->hist, o->history_file, err, errlen);
	if (rc)
		return rc;
	remedy_reconcile(&l->hist, l->kc);
	if (l->o.box || l->o.view)
		approval_box_publish(l->o.box ? l->o.box : l->o.view, l->hist.records);
	/* Actions of earlier runs still count for the cooldown and the budget. */
	json_array_foreach(l->hist.records, i, rec) {
		struct proposal p;
		char ns[128], name[256];
		int64_t at;

		if (!ladder_acted(json_string_value(json_object_get(rec, "status"))) ||
		    !str_eq(json_string_value(json_object_get(rec, "mode")), "applied") ||
		    loop_proposal_from_record(rec, &p, ns, sizeof(ns), name, sizeof(name)) ||
		    time_parse(json_string_value(json_object_get(rec, "time")) ?
			       json_string_value(json_object_get(rec, "time")) : "", &at))
			continue;
		policy_record(pol, &p, at);
	}
	/* proposals still waiting on the web can be decided after a restart */
	json_array_foreach(l->hist.records, i, rec) {
		const char *exp = json_string_value(json_object_get(rec, "approval_expires"));
		char d[APPROVAL_DIGEST_HEX];
		int64_t until;

		if (l->o.box && str_eq(json_string_value(json_object_get(rec, "status")), "pending") &&
		    exp && time_parse(exp, &until) == 0 && approval_record_digest(rec, d) == 0)
			approval_box_offer(l->o.box, json_string_value(json_object_get(rec, "id")), d, until);
	}
	return 0;
}

void remedy_loop_close(struct remedy_loop *l)
{
	if (!l)
		return;
	history_close(&l->hist);
	strmap_clear(&l->held, NULL);
}

/* The newest record for this insight, or NULL. */
static json_t *record_for(const struct remedy_loop *l, const char *insight_id)
{
	json_t *rec, *found = NULL;
	size_t i;

	json_array_foreach(l->hist.records, i, rec)
		if (inflight_serves(rec, insight_id) &&
		    (l->o.dry_run || !str_eq(json_string_value(json_object_get(rec, "mode")), "dry_run")))
			found = rec;
	return found;
}

static const char *kind_of(enum action_kind k)
{
	return action_is_node(k) ? "Node" : k == ACT_RESTART_POD ? "Pod" :
	       k == ACT_RAISE_HPA_MAX ? "HorizontalPodAutoscaler" : "Deployment";
}

/* A proposal may only touch what its insight is about: never a healthy
 * workload that happens to be named in a recommendation. */
static bool within_insight(const struct insight *in, const struct proposal *p)
{
	if (action_is_node(p->kind))
		return in->node && str_eq(in->node, p->name);
	if (!str_eq(in->namespace_, p->namespace_))
		return false;
	if (p->kind == ACT_RESTART_POD) {
		for (size_t i = 0; i < in->npods; i++)
			if (str_eq(in->pods[i], p->name))
				return true;
		return false;
	}
	if (p->kind == ACT_RAISE_HPA_MAX) /* the HPA kubemend found owning the insight's Deployment */
		return str_eq(in->owner_kind, "Deployment") && str_eq(in->owner_name, p->workload);
	return str_eq(in->owner_kind, "Deployment") && str_eq(in->owner_name, p->name);
}

static int facts_node(const json_t *item, void *ctx)
{
	struct cluster_facts *f = ctx;

	f->nodes++;
	if (!json_is_true(json_object_get(json_object_get(item, "spec"), "unschedulable")))
		f->schedulable_nodes++;
	return 0;
}

static int read_facts(struct remedy_loop *l, struct cluster_facts *f, struct kube_error *e)
{
	memset(f, 0, sizeof(*f));
	return kube_list(l->kc, "list nodes", "/api/v1/nodes", 500, facts_node, NULL, f,
			 NULL, 0, e);
}

static void recorded(struct remedy_loop *l, const char *id)
{
	const json_t *rec = l->o.on_record ? history_get(&l->hist, id) : NULL;

	if (l->o.box || l->o.view)
		approval_box_publish(l->o.box ? l->o.box : l->o.view, l->hist.records); /* the page's view */
	if (rec)
		l->o.on_record(l->o.on_record_ctx, rec);
}

int loop_update(struct remedy_loop *l, const char *id, json_t *fields)
{
	const char *st = json_string_value(json_object_get(fields, "status"));
	int rc;

	/* a record that no longer waits takes no decision */
	if (l->o.box && st && !str_eq(st, "pending"))
		approval_box_withdraw(l->o.box, id);
	rc = history_update(&l->hist, id, time_real_ms(), fields);
	json_decref(fields);
	if (rc)
		log_kv(LOG_ERROR, C, "cannot write the history", "file", l->hist.path,
		       "error", strerror(-rc), NULL);
	else
		recorded(l, id);
	return rc;
}

/* Every record carries the digest of what it proposes (approve.h). */
static int stamp_digest(struct remedy_loop *l, const char *id)
{
	char d[APPROVAL_DIGEST_HEX];

	if (approval_record_digest(history_get(&l->hist, id), d))
		return -ENOMEM;
	return loop_update(l, id, json_pack("{s:s}", "digest", d));
}

void loop_log_step(const char *msg, const char *id, const struct insight *in,
		   const struct proposal *p, const char *k, const char *v)
{
	char target[400];

	snprintf(target, sizeof(target), "%s%s%s", p->namespace_ ? p->namespace_ : "",
		 p->namespace_ ? "/" : "", p->name);
	log_kv(LOG_INFO, C, msg, "record", id, "insight", in ? in->id : NULL,
	       "action", action_name(p->kind), "target", target, k, v, NULL);
}

static int count_active(const struct insight *in)
{
	int n = 0;
	for (size_t i = 0; i < in->npods; i++)
		n += in->pod_active[i];
	return n;
}

/* Asks; returns the approval to record, or NULL when refused/pending (*status set). */
static const char *approve(struct remedy_loop *l, const struct insight *in,
			   const struct plan_item *it, const json_t *record,
			   const char **status, const char **answer)
{
	struct buf q = BUF_INIT;
	enum answer a;

	if (l->o.auto_approve)
		return "auto";
	if (l->o.box)
		return NULL; /* web: the caller decides from the box (web_decision) */
	prompt_question(&q, in, &it->prop, it->rec, record, l->o.dry_run, time_real_ms());
	a = approval_ask(l->o.tty_fd, l->o.tty_out ? l->o.tty_out : stderr, q.data,
			 l->o.approval_timeout_ms > 0 ? l->o.approval_timeout_ms : 60000, l->stop);
	buf_release(&q);
	*answer = answer_name(a);
	if (a == ANSWER_YES)
		return "user";
	*status = a == ANSWER_NO_TERMINAL ? "pending" : "refused";
	return NULL;
}

/* Carries out an approved item; the record says "executing" while it runs. */
static int act(struct remedy_loop *l, const struct insight *in, const struct plan_item *it,
	       const char *id, const char *approval, const struct target_state *st)
{
	const struct proposal *p = &it->prop;
	const char *container = json_string_value(json_object_get(it->rec->params, "container"));
	struct remedy_exec x = {
		.kc = l->kc, .dry_run = l->o.dry_run, .allow_bare_pods = l->o.allow_bare_pods,
		.affected_pods = in ? count_active(in) : 0, .container = container,
		.drain_timeout_ms = l->o.drain_timeout_ms, .drain_retry_ms = l->o.drain_retry_ms,
		.stop = l->stop, .may_act = l->o.may_act, .may_act_ctx = l->o.may_act_ctx,
		.record = history_get(&l->hist, id),
	};
	struct verify_opts vo = { l->o.verify_window_ms, l->o.verify_poll_ms, l->stop,
				  in ? in->anomaly_type : NULL, 0 };
	json_t *result = NULL, *ver = NULL;
	enum exec_outcome out;
	enum verdict v;
	const char *status;
	char ts[RFC3339_MAX];
	int rc;

	for (size_t k = 0; in && k < in->nsignals; k++)
		if (str_eq(in->signals[k].metric, "cpu_mcores") && isfinite(in->signals[k].expected_hi) &&
		    in->signals[k].expected_hi > 0)
			vo.cpu_normal_cores = in->signals[k].expected_hi / 1000; /* "back to normal" */
	if (l->o.may_act && !l->o.dry_run) {
		char why[256] = "";

		if (!l->o.may_act(l->o.may_act_ctx, history_get(&l->hist, id), why, sizeof(why))) {
			loop_log_step("not acting now", id, in, p, "reason", why);
			return loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}", "approval", approval,
				"status", "pending", "result", "answer", "not_now", "message", why));
		}
	}
	/* written before acting: after a crash the record names the action in flight */
	time_rfc3339_ms(time_real_ms(), ts);
	rc = loop_update(l, id, json_pack("{s:s, s:s, s:s}", "approval", approval, "status", "executing",
				     "started", ts));
	if (rc)
		return rc;
	loop_log_step("executing", id, in, p, "approval", approval);
	if (!l->o.dry_run)
		policy_record(l->pol, p, time_real_ms());
	out = remedy_execute(&x, p, st, &result);
	if (out == EXEC_SKIPPED) {
		status = "skipped";
		l->stats.skipped++;
	} else if (out == EXEC_FAILED) {
		status = "failed";
		l->stats.failed++;
	} else if (l->o.dry_run) {
		status = "dry_run";
		l->stats.executed++;
	} else {
		status = "executing";
		l->stats.executed++;
	}
	rc = loop_update(l, id, json_pack("{s:s, s:O}", "status", status, "result", result));
	log_kv(out == EXEC_DONE ? LOG_INFO : LOG_WARN, C, "executed", "record", id,
	       "action", action_name(p->kind), "status", status,
	       "message", json_string_value(json_object_get(result, "message")), NULL);
	if (rc || out != EXEC_DONE || l->o.dry_run) {
		json_decref(result);
		return rc;
	}
	v = remedy_verify(l->kc, p, result, &vo, &ver);
	json_decref(result);
	if (v == VERDICT_SUCCEEDED)
		l->stats.succeeded++;
	else if (v == VERDICT_FAILED)
		l->stats.failed++;
	rc = loop_update(l, id, json_pack("{s:s, s:o}", "status", verdict_name(v), "verification", ver));
	log_kv(v == VERDICT_SUCCEEDED ? LOG_INFO : LOG_WARN, C, "verified", "record", id,
	       "action", action_name(p->kind), "status", verdict_name(v), NULL);
	return rc;
}

static int refuse_record(struct remedy_loop *l, const char *id, const struct insight *in,
			 const struct proposal *p, const char *rule, const char *setting,
			 const char *message, struct buf *why)
{
	l->stats.refused++;
	log_kv(LOG_INFO, C, "refused by policy", "record", id, "insight", in->id,
	       "action", action_name(p->kind), "rule", rule, "message", message, NULL);
	if (why->len)
		buf_adds(why, "; ");
	buf_addf(why, "%s %s: %s (%s)", action_name(p->kind), p->name, message, rule);
	return loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "approval", "refused",
		"status", "refused", "result", "rule", rule, "setting", setting, "message", message));
}

/* Rules a later pass may see differently without anyone changing anything. */
static bool transient(const char *rule)
{
	return str_eq(rule, "cooldown") || str_eq(rule, "hourly_budget") ||
	       str_eq(rule, "pod_disruption_budget") || str_eq(rule, "ready_floor");
}

/*
 * Another record is in flight on this proposal's workload. The same change
 * (the same digest): this insight attaches to it, one action for both;
 * returns 1 when that record waits for a decision this pass may take (its
 * id in id), else 0. Another change: nothing new is proposed until that one
 * is over (logged once; `history --why` tells it); returns 0.
 */
static int share(struct remedy_loop *l, const struct insight *in, const struct proposal *p,
		 const char *digest, json_t *busy, char *id, size_t idlen)
{
	char have[APPROVAL_DIGEST_HEX], key[80];
	const char *st = json_string_value(json_object_get(busy, "status"));
	int added;

	str_copy(id, json_string_value(json_object_get(busy, "id")), idlen);
	if (digest[0] && approval_record_digest(busy, have) == 0 && str_eq(digest, have)) {
		added = inflight_attach(busy, in->id);
		if (added < 0)
			return added;
		if (added) {
			loop_log_step("attached to the same change in flight", id, in, p, "status", st);
			added = loop_update(l, id, json_pack("{s:O}", "insight_ids", json_object_get(busy, "insight_ids")));
			if (added)
				return added;
		}
		return str_eq(st, "pending");
	}
	snprintf(key, sizeof(key), "%s %s", in->id, id);
	if (!strmap_get(&l->held, key)) {
		if (l->held.n > 10000)
			strmap_clear(&l->held, NULL);
		strmap_put(&l->held, key, l);
		loop_log_step("nothing new proposed: another action is in flight on this workload", id, in, p,
			 "status", st);
	}
	return 0;
}

/*
 * Nothing more kubemend may do for this insight: a record in status
 * needs_person says what was tried or refused and why, with the evidence,
 * and an error line goes to the log (the alert).
 */
static int needs_person(struct remedy_loop *l, const struct insight *in, const char *why,
			bool retry)
{
	struct history_target t = { in->node && !in->namespace_ ? "Node" : "Deployment",
				    in->namespace_, in->owner_name ? in->owner_name :
				    in->node ? in->node : "" };
	json_t *params = json_pack("{s:s, s:s}", "description", "needs a person", "summary",
				   in->summary);
	json_t *ev = json_array();
	struct buf msg = BUF_INIT;
	char id[32], ts[RFC3339_MAX];
	int rc;

	buf_adds(&msg, why);
	for (size_t i = 0; i < in->nevidence; i++)
		json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:i}", "kind", in->evidence[i].kind,
			"reason", in->evidence[i].reason, "message", in->evidence[i].message,
			"count", in->evidence[i].count));
	json_object_set_new(params, "evidence", ev);
	/* how the workload's pods fail: reason, exit code, an image's error */
	failure_evidence(l->kc, in, params, &msg);
	/* a crash loop's own words: the previous run's last lines (redacted) */
	if (str_eq(in->anomaly_type, "crash_loop") && in->npods && in->namespace_) {
		struct kube_error e = { 0 };
		json_t *logs = target_previous_logs(l->kc, in->namespace_, in->pods[0], 20, &e);

		if (logs)
			json_object_set_new(params, "previous_logs", logs);
	}
	rc = history_propose(&l->hist, time_real_ms(), in->id, "none", &t, params,
			     l->o.dry_run ? "dry_run" : "applied", id, sizeof(id));
	json_decref(params);
	if (rc) {
		buf_release(&msg);
		return rc;
	}
	recorded(l, id);
	log_kv(LOG_ERROR, C, "needs a person", "record", id, "insight", in->id,
	       "type", in->anomaly_type, "why", msg.data, NULL);
	time_rfc3339_ms(time_real_ms() + (l->pol->cooldown_ms > 0 ? l->pol->cooldown_ms : 60000), ts);
	rc = loop_update(l, id, json_pack("{s:s, s:s, s:{s:s}, s:s?}", "approval", "none",
		"status", "needs_person", "result", "message", msg.data,
		"retry_after", retry ? ts : NULL));
	buf_release(&msg);
	return rc;
}

/*
 * One insight: its candidates, least invasive first. Each is read from the
 * live object (its "before" values), judged by the policy (a change beyond
 * the factor becomes the largest allowed step), recorded, asked for and
 * carried out. ladder: an earlier action did not cure it; candidates already
 * tried are skipped unless a stepped change has not reached its goal.
 */
static int handle(struct remedy_loop *l, const struct insight *in, json_t *pending, bool ladder)
{
	struct cluster_facts facts = { 0, 0 };
	struct plan_item items[INSIGHT_MAX_RECS];
	size_t n = plan_insight(in, l->o.threshold, items, INSIGHT_MAX_RECS);
	const char *mode = l->o.dry_run ? "dry_run" : "applied";
	struct buf why = BUF_INIT;
	bool all_transient = true;
	size_t first = 0;
	int rc = 0;

	if (pending) {
		/* resume at the candidate the pending record is about: the ones
		 * before it were refused by the policy and are recorded as such */
		const char *act_name = json_string_value(json_object_get(pending, "action"));
		const char *tname = json_string_value(json_object_get(json_object_get(pending, "target"), "name"));
		for (first = 0; first < n; first++)
			if (str_eq(action_name(items[first].prop.kind), act_name) &&
			    str_eq(items[first].prop.name, tname))
				break;
		if (first == n) {
			first = 0;
			pending = NULL; /* the insight changed: propose afresh */
		}
	}
	for (size_t i = first; i < n && !(l->stop && *l->stop); i++) {
		struct plan_item *it = &items[i];
		struct proposal *p = &it->prop, goal;
		struct history_target t = { kind_of(p->kind), p->namespace_, p->name };
		struct target_state st;
		struct kube_error e = { 0 };
		struct policy_refusal pr;
		const char *status = NULL, *answer = NULL, *approval, *container;
		const json_t *prior;
		bool stepped = false, observed, oom_again = false, via_hpa = false;
		json_t *params, *busy, *shared = NULL;
		char id[32], stale[1024], workload[400], digest[APPROVAL_DIGEST_HEX], named[256];
		int64_t now;

		if (!action_is_node(p->kind) && in->owner_name && str_eq(in->owner_kind, "Deployment"))
			p->workload = in->owner_name;
		if (p->kind == ACT_RAISE_HPA_MAX && p->workload) {
			/* a recommendation (an LLM's) naming raise_hpa_max: the HPA is the one
			 * the cluster says owns the insight's Deployment, its numbers come
			 * from that HPA, never from the recommendation */
			str_copy(named, p->name, sizeof(named));
			str_copy(it->name, p->workload, sizeof(it->name));
			p->kind = ACT_SCALE_DEPLOYMENT;
			p->replicas_before = p->replicas_after = 0;
			via_hpa = true;
		}
		prior = ladder ? ladder_tried(l->hist.records, in->id, action_name(p->kind), p->name, NULL) : NULL;
		container = json_string_value(json_object_get(it->rec->params, "container"));
		rc = target_observe(l->kc, p, container, &st, &e);
		observed = rc == 0;
		if (via_hpa && observed && (!st.hpa[0] || !(str_eq(named, p->name) || str_eq(named, st.hpa)))) {
			if (!st.hpa[0])
				snprintf(stale, sizeof(stale), "raise_hpa_max %s: no horizontalpodautoscaler owns "
					 "deployment %s/%s, so there is no maximum to raise", named,
					 p->namespace_ ? p->namespace_ : "", p->name);
			else
				snprintf(stale, sizeof(stale), "raise_hpa_max %s: the horizontalpodautoscaler "
					 "that owns deployment %s is %s", named, p->name, st.hpa);
			if (why.len)
				buf_adds(&why, "; ");
			buf_adds(&why, stale);
			all_transient = false;
			continue;
		}
		if (observed && p->kind == ACT_SCALE_DEPLOYMENT && st.hpa[0]) {
			/* an HPA owns the replicas: never fight it */
			int want = p->replicas_after;

			if (st.replicas < st.hpa_max) {
				snprintf(stale, sizeof(stale), "%s %s: horizontalpodautoscaler %s "
					 "owns its replicas (%d..%d, now %d) and has room to scale it; kubemend "
					 "does not fight it", via_hpa ? "raise_hpa_max" : "scale_deployment",
					 p->name, st.hpa, st.hpa_min, st.hpa_max, st.replicas);
				if (why.len)
					buf_adds(&why, "; ");
				buf_adds(&why, stale);
				all_transient = false;
				continue;
			}
			/* at its maxReplicas: the proposal is a higher maximum */
			str_copy(it->name, st.hpa, sizeof(it->name));
			p->kind = ACT_RAISE_HPA_MAX;
			t.kind = kind_of(p->kind);
			rc = target_observe(l->kc, p, container, &st, &e);
			observed = rc == 0;
			/* the replicas the demand needs, or what the HPA's own rule asks for, if more */
			if (st.hpa_wants > want)
				want = st.hpa_wants;
			p->replicas_after = want > st.hpa_max ? want : st.hpa_max + 1;
			prior = ladder ? ladder_tried(l->hist.records, in->id, action_name(p->kind), p->name, NULL) : NULL;
		}
		if (observed && !prior && plan_stale(p, &st, stale, sizeof(stale))) {
			/* act only on what is still true: the insight saw another state;
			 * once recorded, wait quietly until the advice sees the live object */
			const json_t *last = record_for(l, in->id);

			if (last && str_eq(json_string_value(json_object_get(last, "status")), "skipped")) {
				buf_release(&why);
				return 0;
			}
			params = plan_params(p, NULL, it->rec);
			rc = history_propose(&l->hist, time_real_ms(), in->id, action_name(p->kind),
					     &t, params, mode, id, sizeof(id));
			json_decref(params);
			if (rc == 0) {
				recorded(l, id);
				l->stats.skipped++;
				loop_log_step("skipped: stale", id, in, p, "message", stale);
				rc = loop_update(l, id, json_pack("{s:s, s:{s:s, s:b}}", "status", "skipped",
					"result", "message", stale, "skipped", 1));
			}
			buf_release(&why);
			return rc;
		}
		if (observed) {
			plan_from_live(p, &st);
			if (prior && str_eq(json_string_value(json_object_get(prior, "status")), "succeeded"))
				plan_cap_to_goal(p, prior); /* a verified step: on to its own goal, no further */
			else if (prior && plan_oom_again(p, prior, l->pol->max_limit_factor))
				oom_again = true; /* killed again at the new limit: as far as the policy allows */
			else if (prior && p->kind == ACT_CHANGE_LIMITS && !plan_raises(p))
				plan_rebump(p, prior);
			else if (prior && p->kind == ACT_SCALE_DEPLOYMENT)
				plan_rescale(p, prior); /* the load per pod measured after the last scale */
			if (prior && !((p->kind == ACT_CHANGE_LIMITS || p->kind == ACT_SCALE_DEPLOYMENT ||
					p->kind == ACT_RAISE_HPA_MAX) && plan_raises(p)))
				continue; /* tried: the next rung */
			p->follow_up = prior != NULL;
			if (ladder && p->kind == ACT_DRAIN_NODE && ladder_tried(l->hist.records, in->id, "cordon_node", p->name, "succeeded"))
				p->follow_up = true; /* cordon, then drain: one plan */
			if (p->kind == ACT_ROLLOUT_UNDO && !rollout_is_bad(l->kc, in, &st, stale, sizeof(stale))) {
				/* nothing to propose: the escalation says why, with the evidence */
				if (why.len)
					buf_adds(&why, "; ");
				buf_adds(&why, stale);
				all_transient = false;
				continue;
			}
		} else if (prior) {
			continue;
		}
		params = plan_params(p, NULL, it->rec);
		if (observed && policy_judge(l->pol, p, &facts, time_real_ms(), &pr) &&
		    ((str_eq(pr.rule, "max_limit_factor") && plan_clamp_factor(p, l->pol->max_limit_factor, &goal)) ||
		     (str_eq(pr.rule, "max_scale_step") && plan_clamp_scale(p, l->pol->max_scale_step, &goal)))) {
			/* the largest step the policy allows, verified before the next */
			json_decref(params);
			params = plan_params(p, &goal, it->rec);
			stepped = true;
		}
		if (oom_again) {
			char was[32], to[32], text[300];

			quantity_bytes(p->mem_limit_before, was, sizeof(was));
			quantity_bytes(p->mem_limit_after, to, sizeof(to));
			snprintf(text, sizeof(text), "OOM-killed again at %s: the need is above it and unmeasured, "
				 "so this rung goes as far as max_limit_factor (%.3g) allows: %s",
				 was, l->pol->max_limit_factor, to);
			json_object_set_new(params, "ladder", json_string(text));
		}
		inflight_proposal_workload(p, workload, sizeof(workload));
		now = time_real_ms();
		if (approval_digest(action_name(p->kind), t.kind, t.namespace_, t.name, params, digest))
			digest[0] = '\0';
		if (pending) {
			/* asked before without a terminal: decided now if nothing changed since */
			const char *was = json_string_value(json_object_get(json_object_get(pending, "params"),
									   "description"));
			if (!str_eq(was, json_string_value(json_object_get(params, "description")))) {
				loop_update(l, json_string_value(json_object_get(pending, "id")),
				       json_pack("{s:s, s:{s:s, s:O}}", "status", "superseded", "result",
						 "message", "the target changed since it was proposed; proposed afresh",
						 "now", json_object_get(params, "description")));
				/* the insights it served are served by the new proposal */
				shared = json_incref(json_object_get(pending, "insight_ids"));
				pending = NULL;
			}
		}
		if (pending) {
			str_copy(id, json_string_value(json_object_get(pending, "id")), sizeof(id));
			/* this run decides it: its mode is this run's (written with the decision) */
			json_object_set_new(pending, "mode", json_string(mode));
			pending = NULL;
		} else if (workload[0] &&
			   ((busy = inflight_on(l->hist.records, workload, digest, l->open, l->o.dry_run, now)) ||
			    (busy = inflight_on(l->hist.records, workload, NULL, l->open, l->o.dry_run, now)))) {
			/* one action in flight per workload: the same change is shared,
			 * another waits until it is over */
			rc = share(l, in, p, digest, busy, id, sizeof(id));
			json_decref(shared);
			shared = NULL;
			if (rc != 1) {
				json_decref(params);
				buf_release(&why);
				return rc;
			}
			/* it waits for a decision (proposed before a restart, or for
			 * another insight, or as another action): decided here */
			json_object_set_new(busy, "mode", json_string(mode));
			rc = 0;
		} else {
			rc = history_propose(&l->hist, time_real_ms(), in->id, action_name(p->kind),
					     &t, params, mode, id, sizeof(id));
			if (rc) {
				json_decref(params);
				log_kv(LOG_ERROR, C, "cannot write the history", "file", l->hist.path,
				       "error", strerror(-rc), NULL);
				buf_release(&why);
				return rc;
			}
			l->stats.proposed++;
			if (workload[0] && !action_is_node(p->kind))
				json_object_set_new(json_object_get(history_get(&l->hist, id), "target"), "workload",
						    json_string(strchr(workload, '/') + 1));
			if (shared)
				json_object_set(history_get(&l->hist, id), "insight_ids", shared);
			json_decref(shared);
			shared = NULL;
			recorded(l, id);
			loop_log_step(stepped ? "proposed (a step toward the goal the policy allows)" : "proposed",
				 id, in, p, "probability", NULL);
			if ((rc = stamp_digest(l, id))) {
				json_decref(params);
				buf_release(&why);
				return rc;
			}
			if (l->o.box)
				loop_web_supersede(l, action_name(p->kind), &t, id);
		}
		if (!observed) {
			json_decref(params);
			l->stats.failed++;
			loop_log_step("cannot read the target", id, in, p, "error", e.msg);
			rc = loop_update(l, id, json_pack("{s:s, s:{s:i, s:s}}", "status", "failed",
				"result", "http_status", (int)e.status, "message", e.msg));
			buf_release(&why);
			return rc;
		}
		if (action_is_node(p->kind)) {
			/* node rules count cordoned nodes: read them now, not at the pass's start */
			rc = read_facts(l, &facts, &e);
			if (rc) {
				json_decref(params);
				l->stats.failed++;
				loop_log_step("cannot list nodes", id, in, p, "error", e.msg);
				buf_release(&why);
				return loop_update(l, id, json_pack("{s:s, s:{s:i, s:s}}", "status", "failed",
					"result", "http_status", (int)e.status, "message", e.msg));
			}
		}
		if (!within_insight(in, p)) {
			rc = refuse_record(l, id, in, p, "target_outside_insight", "",
					   "the recommendation names a target this insight is not about", &why);
			all_transient = false;
		} else if (plan_from_llm(it) && (p->kind == ACT_SCALE_DEPLOYMENT ||
						 p->kind == ACT_CHANGE_LIMITS)) {
			rc = refuse_record(l, id, in, p, "llm_parameters", "",
					   "an LLM suggested this action; kubemend takes parameters only from "
					   "measurements and has none for it", &why);
			all_transient = false;
		} else if (policy_judge(l->pol, p, &facts, time_real_ms(), &pr)) {
			rc = refuse_record(l, id, in, p, pr.rule, pr.setting, pr.message, &why);
			all_transient &= transient(pr.rule);
		} else {
			goto allowed;
		}
		json_decref(params);
		if (rc) {
			buf_release(&why);
			return rc;
		}
		continue; /* the next, more invasive candidate may be allowed */
allowed:
		buf_release(&why);
		/* what the person deciding is shown: reach, guard, rules passed */
		json_object_set_new(history_get(&l->hist, id), "blast_radius", blast_radius(l->kc, p, &st));
		json_object_set_new(history_get(&l->hist, id), "policy_checks", policy_checks_passed(l->pol, p));
		approval = approve(l, in, it, history_get(&l->hist, id), &status, &answer);
		if (!approval && l->o.box && !l->o.auto_approve) {
			char who[64] = "";

			approval = loop_web_decision(l, params, id, &status, &answer, who, sizeof(who));
			if (approval) {
				json_object_set_new(history_get(&l->hist, id), "decided_by", json_string(who));
			} else if (str_eq(status, "superseded")) {
				json_decref(params);
				l->stats.refused++;
				loop_log_step("approved proposal changed: proposing again", id, in, p, "answer", answer);
				rc = loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}", "approval", "refused",
					"status", "refused", "result", "answer", answer, "message",
					"approved, but the proposal changed before it ran: proposed again"));
				if (rc)
					return rc;
				i--; /* the same candidate again, as a new record (wraps to 0 at 0) */
				continue;
			} else if (str_eq(status, "refused")) {
				json_decref(params);
				l->stats.refused++;
				loop_log_step(str_eq(answer, "rejected") ? "rejected on the web" : "approval expired",
					 id, in, p, "answer", answer);
				return loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "approval", "refused",
					"status", "refused", "result", "answer", answer, "decided_by",
					who[0] ? who : "nobody", "message", str_eq(answer, "rejected") ?
					"rejected: nothing was done" : "nobody decided in time: nothing was done"));
			} else {
				json_decref(params);
				if (!str_eq(json_string_value(json_object_get(history_get(&l->hist, id), "status")), "pending")) {
					l->stats.pending++;
					loop_log_step("pending: waiting for a decision on the web", id, in, p, "answer", answer);
				}
				return loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}", "approval", "pending",
					"status", "pending", "result", "answer", answer, "message",
					"waiting for a decision on the page or the API: nothing was done yet"));
			}
		}
		json_decref(params);
		if (!approval) {
			if (str_eq(status, "pending"))
				l->stats.pending++;
			else
				l->stats.refused++;
			loop_log_step(str_eq(status, "pending") ? "pending: no terminal to ask" :
				 "refused by the user", id, in, p, "answer", answer);
			return loop_update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}",
				"approval", str_eq(status, "pending") ? "pending" : "refused",
				"status", status, "result", "answer", answer, "message",
				str_eq(status, "pending") ?
				"no terminal to ask and no --auto-approve: nothing was done" :
				"not approved: nothing was done"));
		}
		return act(l, in, it, id, approval, &st);
	}
	if (!(l->stop && *l->stop) && !why.len && n == 0) {
		/* the advice's own words when it says a person must act */
		for (size_t k = 0; k < in->nrecs; k++)
			if (str_eq(in->recs[k].action, "none") && in->recs[k].rationale[0]) {
				buf_addf(&why, "no automatic action: %s", in->recs[k].rationale);
				break;
			}
		all_transient = false;
	}
	if (!(l->stop && *l->stop) && (why.len || ladder || n == 0))
		rc = needs_person(l, in, why.len ? why.data : n == 0 ?
				  "no automatic action is known for this fault" :
				  "every action kubemend may take was tried and the fault remains",
				  why.len && all_transient);
	buf_release(&why);
	return rc;
}

/* An insight written without recommendations (by another producer, or an
 * agent that could not see the workload) is advised here, from what the API
 * says about its Deployment now. */
static void advise_missing(struct remedy_loop *l, struct insight *in)
{
	struct workload_facts wf = { 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };

	if (str_eq(in->owner_kind, "Deployment") && in->owner_name && in->namespace_) {
		struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = in->namespace_,
				      .name = in->owner_name };
		struct target_state st;
		struct kube_error e = { 0 };

		if (target_observe(l->kc, &p, NULL, &st, &e) == 0) {
			wf.replicas = st.replicas;
			wf.cpu_request = st.cpu_request_v;
			wf.cpu_limit = st.cpu_limit_v;
			wf.mem_request = st.mem_request_v;
			wf.mem_limit = st.mem_limit_v;
		}
	}
	insight_advise(in, &wf);
	log_kv(LOG_INFO, C, "advised an insight that came without recommendations",
	       "insight", in->id, "type", in->anomaly_type, NULL);
}

int remedy_loop_handle(struct remedy_loop *l, const struct insight_store *s,
		       char *err, size_t errlen)
{
	int rc = 0;

	if (l->o.box)
		loop_web_expire(l);
	l->open = s;
	for (size_t i = 0; i < s->n && !(l->stop && *l->stop); i++) {
		const struct insight *in = s->items[i];
		json_t *prev = record_for(l, in->id);
		const char *st = prev ? json_string_value(json_object_get(prev, "status")) : NULL;
		bool pending = str_eq(st, "pending");
		bool ladder = false;

		if (in->resolved_ms || !(in->probability >= l->o.threshold))
			continue;
		if (l->o.still_open && !l->o.still_open(l->o.still_open_ctx, in->id)) {
			log_kv(LOG_INFO, C, "not handled: the insight closed since this pass began",
			       "insight", in->id, NULL);
			continue; /* act only on what is still true */
		}
		if (str_eq(st, "failed") && ladder_no_cure(prev) && ladder_rungs(l->hist.records, in->id) >= REMEDY_MAX_RUNGS) {
			/* the ladder is climbed: nothing ends silently */
			struct buf why = BUF_INIT;

			ladder_story(l->hist.records, in->id, l->pol, REMEDY_MAX_RUNGS, &why);
			rc = needs_person(l, in, why.data, false);
			buf_release(&why);
			if (rc) {
				snprintf(err, errlen, "%s: %s", l->hist.path, strerror(-rc));
				break;
			}
			continue;
		} else if (str_eq(st, "failed") && ladder_no_cure(prev)) {
			ladder = true; /* no cure: the next rung */
		} else if (str_eq(st, "succeeded") && json_object_get(json_object_get(prev, "params"), "goal") &&
			   !ladder_signal_normal(prev) && ladder_rungs(l->hist.records, in->id) < REMEDY_MAX_RUNGS) {
			/* a verified step short of its goal, the insight still open, and the
			 * fault's own signal not measured normal: the next step */
			ladder = true;
		} else if (str_eq(st, "succeeded") && str_eq(json_string_value(json_object_get(prev, "action")),
							  "cordon_node") &&
			   ladder_rungs(l->hist.records, in->id) < REMEDY_MAX_RUNGS) {
			/* cordon, then drain: a cordoned node still holds the pods it hurts
			 * while the insight stays open */
			ladder = true;
		} else if (str_eq(st, "skipped")) {
			/* stale advice (the target changed under it, e.g. another replica
			 * acted): handled again once the advice sees the live object */
		} else if (str_eq(st, "needs_person")) {
			const char *ra = json_string_value(json_object_get(prev, "retry_after"));
			int64_t at;

			/* only refusals that time can lift (cooldown, budget) are tried again */
			if (!ra || time_parse(ra, &at) || time_real_ms() < at)
				continue;
			ladder = ladder_rungs(l->hist.records, in->id) > 0;
		} else if (prev && !pending) {
			continue; /* handled: not again while it stays open */
		}
		if (pending && !l->o.auto_approve && !l->o.box && !isatty(l->o.tty_fd))
			continue; /* still nobody to ask */
		if (pending && !l->o.auto_approve && l->o.box && loop_web_waiting(l, prev))
			continue; /* offered on the web, not decided yet */
		if (in->nrecs == 0)
			advise_missing(l, s->items[i]);
		rc = handle(l, in, pending ? prev : NULL, ladder);
		if (rc) {
			snprintf(err, errlen, "%s: %s", l->hist.path, strerror(-rc));
			break;
		}
	}
	l->open = NULL;
	return rc;
}

int remedy_loop_pass(struct remedy_loop *l, char *err, size_t errlen)
{
	struct insight_store s;
	int rc;

	insight_store_init(&s, l->o.threshold);
	rc = insight_store_read(&s, l->o.insights_file, err, errlen);
	if (rc == 0)
		rc = remedy_loop_handle(l, &s, err, errlen);
	insight_store_release(&s);
	return rc;
}

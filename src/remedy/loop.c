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
#include "remedy/execute.h"
#include "remedy/loop.h"
#include "remedy/plan.h"
#include "remedy/target.h"
#include "remedy/verify.h"
#include "base/banned.h"

#define C "remediate"

/* Statuses after which an action counts for the cooldown and the budget. */
static bool acted(const char *status)
{
	return str_eq(status, "executing") || str_eq(status, "succeeded") ||
	       str_eq(status, "failed") || str_eq(status, "unverified");
}

static int proposal_from_record(const json_t *rec, struct proposal *p, char *ns, size_t nslen,
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
	/* Actions of earlier runs still count for the cooldown and the budget. */
	json_array_foreach(l->hist.records, i, rec) {
		struct proposal p;
		char ns[128], name[256];
		int64_t at;

		if (!acted(json_string_value(json_object_get(rec, "status"))) ||
		    !str_eq(json_string_value(json_object_get(rec, "mode")), "applied") ||
		    proposal_from_record(rec, &p, ns, sizeof(ns), name, sizeof(name)) ||
		    time_parse(json_string_value(json_object_get(rec, "time")) ?
			       json_string_value(json_object_get(rec, "time")) : "", &at))
			continue;
		policy_record(pol, &p, at);
	}
	return 0;
}

void remedy_loop_close(struct remedy_loop *l)
{
	if (l)
		history_close(&l->hist);
}

/* The newest record for this insight, or NULL. */
static json_t *record_for(const struct remedy_loop *l, const char *insight_id)
{
	json_t *rec, *found = NULL;
	size_t i;

	json_array_foreach(l->hist.records, i, rec)
		if (str_eq(json_string_value(json_object_get(rec, "insight_id")), insight_id))
			found = rec;
	return found;
}

static const char *kind_of(enum action_kind k)
{
	return action_is_node(k) ? "Node" : k == ACT_RESTART_POD ? "Pod" : "Deployment";
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

	if (rec)
		l->o.on_record(l->o.on_record_ctx, rec);
}

static int update(struct remedy_loop *l, const char *id, json_t *fields)
{
	int rc = history_update(&l->hist, id, time_real_ms(), fields);
	json_decref(fields);
	if (rc)
		log_kv(LOG_ERROR, C, "cannot write the history", "file", l->hist.path,
		       "error", strerror(-rc), NULL);
	else
		recorded(l, id);
	return rc;
}

static void log_step(const char *msg, const char *id, const struct insight *in,
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
			   const struct plan_item *it, const char **status, const char **answer)
{
	struct buf q = BUF_INIT;
	enum answer a;

	if (l->o.auto_approve)
		return "auto";
	buf_addf(&q, "\nkubemend proposes%s, for insight %s (%s, probability %.2f):\n  ",
		 l->o.dry_run ? " (dry run: nothing will change)" : "", in->id,
		 in->anomaly_type, in->probability);
	proposal_describe(&it->prop, &q);
	if (it->rec->rationale[0])
		buf_addf(&q, "\n  why: %s", it->rec->rationale);
	buf_addf(&q, "\n  risk: %s\nApprove? [y/N] ", it->rec->risk[0] ? it->rec->risk : "unknown");
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
	};
	struct verify_opts vo = { l->o.verify_window_ms, l->o.verify_poll_ms, l->stop,
				  in ? in->anomaly_type : NULL };
	json_t *result = NULL, *ver = NULL;
	enum exec_outcome out;
	enum verdict v;
	const char *status;
	char ts[RFC3339_MAX];
	int rc;

	if (l->o.may_act && !l->o.dry_run) {
		char why[256] = "";

		if (!l->o.may_act(l->o.may_act_ctx, why, sizeof(why))) {
			log_step("not acting now", id, in, p, "reason", why);
			return update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}", "approval", approval,
				"status", "pending", "result", "answer", "not_now", "message", why));
		}
	}
	/* written before acting: after a crash the record names the action in flight */
	time_rfc3339_ms(time_real_ms(), ts);
	rc = update(l, id, json_pack("{s:s, s:s, s:s}", "approval", approval, "status", "executing",
				     "started", ts));
	if (rc)
		return rc;
	log_step("executing", id, in, p, "approval", approval);
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
	rc = update(l, id, json_pack("{s:s, s:O}", "status", status, "result", result));
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
	rc = update(l, id, json_pack("{s:s, s:o}", "status", verdict_name(v), "verification", ver));
	log_kv(v == VERDICT_SUCCEEDED ? LOG_INFO : LOG_WARN, C, "verified", "record", id,
	       "action", action_name(p->kind), "status", verdict_name(v), NULL);
	return rc;
}

static json_t *params_of(const struct plan_item *it, const struct insight *in)
{
	json_t *params = json_is_object(it->rec->params) ? json_deep_copy(it->rec->params) : json_object();
	struct buf d = BUF_INIT;

	proposal_describe(&it->prop, &d);
	json_object_set_new(params, "description", json_string(d.data ? d.data : ""));
	if (it->rec->rationale[0])
		json_object_set_new(params, "rationale", json_string(it->rec->rationale));
	if (it->prop.kind == ACT_RESTART_POD)
		json_object_set_new(params, "affected_pods", json_integer(count_active(in)));
	buf_release(&d);
	return params;
}

static int handle(struct remedy_loop *l, const struct insight *in, json_t *pending)
{
	struct cluster_facts facts = { 0, 0 };
	struct plan_item items[INSIGHT_MAX_RECS];
	size_t n = plan_insight(in, l->o.threshold, items, INSIGHT_MAX_RECS);
	const char *mode = l->o.dry_run ? "dry_run" : "applied";
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
		const struct plan_item *it = &items[i];
		const struct proposal *p = &it->prop;
		struct history_target t = { kind_of(p->kind), p->namespace_, p->name };
		struct target_state st;
		struct kube_error e = { 0 };
		const char *rule = NULL, *status = NULL, *answer = NULL, *approval;
		char id[32];

		if (pending) {
			/* asked before without a terminal: the same record is decided now */
			str_copy(id, json_string_value(json_object_get(pending, "id")), sizeof(id));
			/* this run decides it: its mode is this run's (written with the decision) */
			json_object_set_new(pending, "mode", json_string(mode));
			pending = NULL;
		} else {
			json_t *params = params_of(it, in);
			rc = history_propose(&l->hist, time_real_ms(), in->id, action_name(p->kind),
					     &t, params, mode, id, sizeof(id));
			json_decref(params);
			if (rc) {
				log_kv(LOG_ERROR, C, "cannot write the history", "file", l->hist.path,
				       "error", strerror(-rc), NULL);
				return rc;
			}
			l->stats.proposed++;
			recorded(l, id);
			log_step("proposed", id, in, p, "probability", NULL);
		}
		if (action_is_node(p->kind)) {
			/* node rules count cordoned nodes: read them now, not at the pass's start */
			rc = read_facts(l, &facts, &e);
			if (rc) {
				l->stats.failed++;
				log_step("cannot list nodes", id, in, p, "error", e.msg);
				return update(l, id, json_pack("{s:s, s:{s:i, s:s}}", "status", "failed",
					"result", "http_status", (int)e.status, "message", e.msg));
			}
		}
		if (!within_insight(in, p))
			rule = "target_outside_insight";
		else if (policy_check(l->pol, p, &facts, time_real_ms(), &rule) == 0)
			rule = NULL;
		if (rule) {
			l->stats.refused++;
			log_step("refused by policy", id, in, p, "rule", rule);
			rc = update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}", "approval", "refused",
				"status", "refused", "result", "rule", rule, "message",
				"the policy refused this action"));
			if (rc)
				return rc;
			continue; /* the next, more invasive candidate may be allowed */
		}
		rc = target_observe(l->kc, p, json_string_value(json_object_get(it->rec->params,
			"container")), &st, &e);
		if (rc) {
			l->stats.failed++;
			log_step("cannot read the target", id, in, p, "error", e.msg);
			return update(l, id, json_pack("{s:s, s:{s:i, s:s}}", "status", "failed",
				"result", "http_status", (int)e.status, "message", e.msg));
		}
		approval = approve(l, in, it, &status, &answer);
		if (!approval) {
			if (str_eq(status, "pending"))
				l->stats.pending++;
			else
				l->stats.refused++;
			log_step(str_eq(status, "pending") ? "pending: no terminal to ask" :
				 "refused by the user", id, in, p, "answer", answer);
			return update(l, id, json_pack("{s:s, s:s, s:{s:s, s:s}}",
				"approval", str_eq(status, "pending") ? "pending" : "refused",
				"status", status, "result", "answer", answer, "message",
				str_eq(status, "pending") ?
				"no terminal to ask and no --auto-approve: nothing was done" :
				"not approved: nothing was done"));
		}
		return act(l, in, it, id, approval, &st);
	}
	return rc;
}

/* An insight written without recommendations (by another producer, or an
 * agent that could not see the workload) is advised here, from what the API
 * says about its Deployment now. */
static void advise_missing(struct remedy_loop *l, struct insight *in)
{
	struct workload_facts wf = { 0, NAN, NAN, NAN, NAN, NAN, NAN };

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

	for (size_t i = 0; i < s->n && !(l->stop && *l->stop); i++) {
		const struct insight *in = s->items[i];
		json_t *prev = record_for(l, in->id);
		bool pending = prev && str_eq(json_string_value(json_object_get(prev, "status")), "pending");

		if (in->resolved_ms || !(in->probability >= l->o.threshold))
			continue;
		if (prev && !pending)
			continue; /* handled once: not again while it stays open */
		if (pending && !l->o.auto_approve && !isatty(l->o.tty_fd))
			continue; /* still nobody to ask */
		if (in->nrecs == 0)
			advise_missing(l, s->items[i]);
		rc = handle(l, in, pending ? prev : NULL);
		if (rc) {
			snprintf(err, errlen, "%s: %s", l->hist.path, strerror(-rc));
			break;
		}
	}
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

int remedy_loop_rollback(struct remedy_loop *l, const char *id, char *err, size_t errlen)
{
	json_t *rec = history_get(&l->hist, id), *prev, *result = NULL, *ver = NULL, *params;
	struct proposal p;
	struct history_target t;
	char ns[128], name[256], nid[32];
	const char *status;
	struct remedy_exec x = { .kc = l->kc, .dry_run = l->o.dry_run, .stop = l->stop };
	struct verify_opts vo = { l->o.verify_window_ms, l->o.verify_poll_ms, l->stop, NULL };
	enum exec_outcome out;
	double v;
	int rc;

	if (!rec) {
		snprintf(err, errlen, "%s: no record %s", l->hist.path, id);
		return -ENOENT;
	}
	prev = json_object_get(json_object_get(rec, "result"), "previous");
	if (proposal_from_record(rec, &p, ns, sizeof(ns), name, sizeof(name)) ||
	    p.kind != ACT_CHANGE_LIMITS || !str_eq(json_string_value(json_object_get(rec, "mode")), "applied") ||
	    !json_is_object(prev)) {
		snprintf(err, errlen, "record %s is not an applied change_limits with previous "
			 "values: nothing to roll back", id);
		return -EINVAL;
	}
	/* the restored values are the new "after", so verification checks them */
	if (str_to_quantity(json_string_value(json_object_get(json_object_get(prev, "limits"), "memory")) ?
			    json_string_value(json_object_get(json_object_get(prev, "limits"), "memory")) : "", &v) == 0)
		p.mem_limit_after = v;
	if (str_to_quantity(json_string_value(json_object_get(json_object_get(prev, "limits"), "cpu")) ?
			    json_string_value(json_object_get(json_object_get(prev, "limits"), "cpu")) : "", &v) == 0)
		p.cpu_limit_after = v;
	t.kind = "Deployment";
	t.namespace_ = p.namespace_;
	t.name = p.name;
	params = json_pack("{s:s, s:O}", "rollback_of", id, "restore", prev);
	rc = history_propose(&l->hist, time_real_ms(), json_string_value(json_object_get(rec, "insight_id")),
			     "change_limits", &t, params, l->o.dry_run ? "dry_run" : "applied",
			     nid, sizeof(nid));
	json_decref(params);
	if (rc) {
		snprintf(err, errlen, "%s: %s", l->hist.path, strerror(-rc));
		return rc;
	}
	/* typing --rollback ID is the user's approval */
	update(l, nid, json_pack("{s:s, s:s}", "approval", "user", "status", "executing"));
	log_step("rollback", nid, NULL, &p, "rollback_of", id);
	out = remedy_restore_limits(&x, p.namespace_, p.name, prev, &result);
	status = out == EXEC_DONE ? (l->o.dry_run ? "dry_run" : "executing") : "failed";
	update(l, nid, json_pack("{s:s, s:O}", "status", status, "result", result));
	if (out != EXEC_DONE) {
		snprintf(err, errlen, "%s", json_string_value(json_object_get(result, "message")));
		json_decref(result);
		return -EIO;
	}
	if (!l->o.dry_run) {
		enum verdict vd = remedy_verify(l->kc, &p, result, &vo, &ver);
		update(l, nid, json_pack("{s:s, s:o}", "status", verdict_name(vd), "verification", ver));
	}
	json_decref(result);
	snprintf(err, errlen, "%s", nid);
	return 0;
}

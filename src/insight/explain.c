#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/secretfile.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "conf/config.h"
#include "net/http.h"
#include "insight/explain.h"
#include "metrics/sample.h"
#include "base/banned.h"

#define QUEUE_MAX 16
#define KEY_MAX 4096
#define MAX_TEXT 8192

/* Kinds of reasons for the log latch: each is reported once until a success. */
enum why { WHY_OFF, WHY_BUDGET, WHY_QUEUE, WHY_CALL, WHY_ANSWER };

enum entry_state { E_PENDING, E_OK, E_FAILED };

struct entry {
	uint64_t fp;
	enum entry_state state;
	enum why kind;
	int err;
	char reason[600];
	int64_t done_ms, used_ms;
	struct llm_answer answer;
	bool reported;          /* the answer's dropped actions were handed out */
};

/* One queued call: the request as it will leave, and what checks its answer. */
struct job {
	struct job *next;
	uint64_t fp;
	char *body;
	size_t len;
	struct redactor r;      /* the names behind this request's placeholders */
	struct insight snap;    /* the incident's own targets, for the answer check */
};

struct explainer {
	char off[320];          /* non-empty: disabled, and why */
	char *url, *model, *key;
	struct explainer_opts o;
	struct http_client http;
	bool has_http, has_worker;
	pthread_t worker;
	/* the caller's thread only */
	int64_t *calls;         /* ring of the last calls_per_minute call times */
	int ncalls, calls_head;
	unsigned logged;        /* the latch: a bit per enum why */
	/* shared with the worker, under mu */
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;
	volatile int stop;
	struct job *head, *tail;
	size_t queued;
	bool busy;
	struct entry *cache;
	size_t ncache;
	struct explainer_stats stats;
	struct redact_known *known;     /* every name seen, hidden in every request (thread-safe) */
};

static struct explainer *alloc_explainer(void)
{
	struct explainer *ex = xcalloc(1, sizeof(*ex));
	pthread_condattr_t ca;

	pthread_mutex_init(&ex->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ex->wake, &ca);
	pthread_cond_init(&ex->idle, &ca);
	pthread_condattr_destroy(&ca);
	ex->known = redact_known_new();
	return ex;
}

static struct explainer *disabled(const char *why)
{
	struct explainer *ex = alloc_explainer();

	str_copy(ex->off, why, sizeof(ex->off));
	return ex;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static void snap_release(struct insight *s)
{
	free(s->namespace_);
	free(s->node);
	free(s->owner_kind);
	free(s->owner_name);
	for (size_t i = 0; i < s->npods; i++)
		free(s->pods[i]);
	memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The fields llm_parse_answer() checks targets against. */
static void snap_take(struct insight *s, const struct insight *in)
{
	memset(s, 0, sizeof(*s));
	str_copy(s->id, in->id, sizeof(s->id));
	s->namespace_ = dup_or_null(in->namespace_);
	s->node = dup_or_null(in->node);
	s->owner_kind = dup_or_null(in->owner_kind);
	s->owner_name = dup_or_null(in->owner_name);
	for (size_t i = 0; i < in->npods && i < INSIGHT_MAX_PODS; i++)
		s->pods[s->npods++] = xstrdup(in->pods[i]);
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->body);
	redactor_release(&j->r);
	snap_release(&j->snap);
	free(j);
}

/* Whether a base URL is one we may send the key to. */
static int check_url(const char *url, char *err, size_t errlen)
{
	const char *p, *slash, *at;

	if (!url || !*url) {
		snprintf(err, errlen, "agent.llm.base_url is empty");
		return -EINVAL;
	}
	if (str_starts_with(url, "https://"))
		p = url + 8;
	else if (str_starts_with(url, "http://"))
		p = url + 7;
	else {
		snprintf(err, errlen, "agent.llm.base_url must start with http:// or https://");
		return -EINVAL;
	}
	slash = strchr(p, '/');
	at = strchr(p, '@');
	if (at && (!slash || at < slash)) {
		snprintf(err, errlen, "agent.llm.base_url must not hold credentials "
			 "(the key comes from OPENAI_API_KEY or agent.llm.key_file)");
		return -EINVAL;
	}
	return 0;
}

static bool key_ok(const char *k)
{
	for (; *k; k++)
		if ((unsigned char)*k < 0x21 || (unsigned char)*k > 0x7e)
			return false;
	return true;
}

static void *work(void *arg);

int explainer_new(struct explainer **out, const struct explainer_opts *o,
		  char *err, size_t errlen)
{
	struct explainer *ex;
	struct http_opts ho;
	struct buf url = BUF_INIT;
	size_t n;
	int rc;

	if ((rc = check_url(o->base_url, err, errlen)) < 0)
		return rc;
	if (!o->model || !*o->model) {
		snprintf(err, errlen, "agent.llm.model is empty");
		return -EINVAL;
	}
	if (!o->api_key || !*o->api_key) {
		*out = disabled("no API key: set OPENAI_API_KEY or agent.llm.key_file");
		return 0;
	}
	if (!key_ok(o->api_key) || strlen(o->api_key) > KEY_MAX) {
		snprintf(err, errlen, "the API key holds characters that cannot go in a header");
		return -EINVAL;
	}
	ex = alloc_explainer();
	ex->o = *o;
	ex->o.base_url = ex->o.model = ex->o.api_key = NULL;
	if (ex->o.timeout_ms <= 0)
		ex->o.timeout_ms = 30000;
	if (ex->o.calls_per_minute < 0)
		ex->o.calls_per_minute = 0;
	if (ex->o.cache_max < 2 * QUEUE_MAX)
		ex->o.cache_max = ex->o.cache_max ? 2 * QUEUE_MAX : 256;
	if (!ex->o.max_response)
		ex->o.max_response = 1u << 20;
	if (ex->o.retry_failed_ms <= 0)
		ex->o.retry_failed_ms = 5 * 60000;
	if (ex->o.backoff_base_ms <= 0)
		ex->o.backoff_base_ms = 500;
	n = strlen(o->base_url);
	while (n && o->base_url[n - 1] == '/')
		n--;
	buf_add(&url, o->base_url, n);
	buf_adds(&url, "/chat/completions");
	ex->url = buf_detach(&url, NULL);
	ex->model = xstrdup(o->model);
	ex->key = xstrdup(o->api_key);
	ex->calls = xcalloc(ex->o.calls_per_minute ? (size_t)ex->o.calls_per_minute : 1,
			    sizeof(*ex->calls));
	ex->cache = xcalloc(ex->o.cache_max, sizeof(*ex->cache));

	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = ex->o.timeout_ms;
	ho.deadline_ms = ex->o.timeout_ms;
	ho.connect_timeout_ms = ex->o.timeout_ms < 5000 ? ex->o.timeout_ms : 5000;
	ho.max_retries = 3;
	ho.retry_unsafe = true; /* a repeated question costs tokens, nothing else */
	ho.backoff_base_ms = ex->o.backoff_base_ms;
	ho.backoff_max_ms = ex->o.timeout_ms;
	ho.max_body = ex->o.max_response;
	ho.cancel = &ex->stop;
	if ((rc = http_client_init(&ex->http, &ho, NULL)) < 0) {
		snprintf(err, errlen, "cannot set up the HTTP client");
		explainer_free(ex);
		return rc;
	}
	ex->has_http = true;
	http_client_set_bearer(&ex->http, ex->key);
	if (pthread_create(&ex->worker, NULL, work, ex) != 0) {
		snprintf(err, errlen, "cannot start the LLM worker thread");
		explainer_free(ex);
		return -EAGAIN;
	}
	ex->has_worker = true;
	*out = ex;
	return 0;
}

/* The key from key_file when set, else OPENAI_API_KEY; NULL with why. */
static char *read_key(const char *key_file, char *why, size_t whylen)
{
	char err[256];
	const char *env;
	char *k;

	if (!key_file) {
		env = getenv("OPENAI_API_KEY");
		if (!env || !*env) {
			snprintf(why, whylen, "no API key: set OPENAI_API_KEY or agent.llm.key_file");
			return NULL;
		}
		return xstrdup(env);
	}
	/* one printable line: a newline in the key would add a header to every call */
	if (secret_read_file(key_file, &k, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "cannot use the API key file %s", err);
		return NULL;
	}
	return k;
}

struct explainer *explainer_new_from_config(const struct config *c)
{
	struct explainer_opts o;
	struct explainer *ex;
	char why[320];
	char *key;

	if (!config_bool(c, "agent.llm.enabled"))
		return disabled("the LLM is off (--enable-llm or agent.llm.enabled turns it on)");
	key = read_key(config_str(c, "agent.llm.key_file"), why, sizeof(why));
	if (!key)
		return disabled(why);
	memset(&o, 0, sizeof(o));
	o.base_url = config_str(c, "agent.llm.base_url");
	o.model = config_str(c, "agent.llm.model");
	o.api_key = key;
	o.timeout_ms = config_duration_ms(c, "agent.llm.timeout");
	o.calls_per_minute = (int)config_int(c, "agent.llm.calls_per_minute");
	if (explainer_new(&ex, &o, why, sizeof(why)) < 0)
		ex = disabled(why);
	wipe_free(key);
	return ex;
}

void explainer_learn_rows(struct explainer *ex, const struct sample *rows, size_t n)
{
	if (!ex || ex->off[0])
		return;
	for (size_t i = 0; i < n; i++) {
		redact_known_add(ex->known, RK_NAMESPACE, rows[i].namespace);
		redact_known_add(ex->known, RK_POD, rows[i].pod);
		redact_known_add(ex->known, RK_NODE, rows[i].node);
		redact_known_add(ex->known, RK_WORKLOAD, rows[i].owner_name);
	}
}

void explainer_learn_name(struct explainer *ex, enum redact_kind kind, const char *name)
{
	if (ex && !ex->off[0])
		redact_known_add(ex->known, kind, name);
}

void explainer_free(struct explainer *ex)
{
	struct job *j;

	if (!ex)
		return;
	if (ex->has_worker) {
		pthread_mutex_lock(&ex->mu);
		ex->stop = 1;
		pthread_cond_broadcast(&ex->wake);
		pthread_mutex_unlock(&ex->mu);
		pthread_join(ex->worker, NULL);
	}
	while ((j = ex->head)) {
		ex->head = j->next;
		job_free(j);
	}
	for (size_t i = 0; i < ex->ncache; i++)
		llm_answer_release(&ex->cache[i].answer);
	free(ex->cache);
	free(ex->calls);
	if (ex->has_http)
		http_client_release(&ex->http);
	free(ex->url);
	free(ex->model);
	wipe_free(ex->key);
	redact_known_free(ex->known);
	pthread_cond_destroy(&ex->wake);
	pthread_cond_destroy(&ex->idle);
	pthread_mutex_destroy(&ex->mu);
	free(ex);
}

bool explainer_enabled(const struct explainer *ex)
{
	return ex && !ex->off[0];
}

/* What an operator should check for a status (the body is not shown: it may echo the key). */
static const char *hint(long status)
{
	if (status == 401 || status == 403)
		return ": check the API key";
	if (status == 404)
		return ": check agent.llm.base_url and agent.llm.model";
	if (status == 400 || status == 422)
		return ": the server rejected the request (does it support response_format json_object?)";
	return "";
}

/* Asks the server; fills e's outcome (state, reason, answer). Worker thread. */
static void ask(struct explainer *ex, struct job *j, struct entry *e)
{
	struct http_response resp;
	char err[HTTP_ERRLEN], perr[256];
	int rc;

	http_response_init(&resp);
	rc = http_request(&ex->http, "POST", ex->url, j->body, j->len, "application/json",
			  &resp, err, sizeof(err));
	e->state = E_FAILED;
	if (rc < 0) {
		e->kind = WHY_CALL;
		e->err = rc;
		snprintf(e->reason, sizeof(e->reason), "LLM call failed: %s", err);
	} else if (resp.status != 200) {
		e->kind = WHY_CALL;
		e->err = resp.status == 429 ? -EBUSY : -EIO;
		snprintf(e->reason, sizeof(e->reason), "LLM server answered HTTP %ld (%d attempt%s)%s",
			 resp.status, resp.attempts, resp.attempts == 1 ? "" : "s",
			 hint(resp.status));
	} else if ((rc = llm_parse_answer(resp.body.data ? resp.body.data : "", resp.body.len,
					  &j->snap, &j->r, &e->answer, perr, sizeof(perr))) < 0) {
		e->kind = WHY_ANSWER;
		e->err = rc;
		snprintf(e->reason, sizeof(e->reason), "LLM answer refused: %s", perr);
	} else {
		e->state = E_OK;
		e->err = 0;
	}
	http_response_release(&resp);
}

static struct entry *find(struct explainer *ex, uint64_t fp)
{
	for (size_t i = 0; i < ex->ncache; i++)
		if (ex->cache[i].fp == fp)
			return &ex->cache[i];
	return NULL;
}

static void *work(void *arg)
{
	struct explainer *ex = arg;

	pthread_mutex_lock(&ex->mu);
	for (;;) {
		struct entry out, *e;
		struct job *j;

		while (!ex->head && !ex->stop)
			pthread_cond_wait(&ex->wake, &ex->mu);
		if (ex->stop)
			break;
		j = ex->head;
		ex->head = j->next;
		if (!ex->head)
			ex->tail = NULL;
		ex->queued--;
		ex->busy = true;
		pthread_mutex_unlock(&ex->mu);

		memset(&out, 0, sizeof(out));
		ask(ex, j, &out);

		pthread_mutex_lock(&ex->mu);
		if (out.state == E_OK)
			ex->stats.answered++;
		else
			ex->stats.failed++;
		e = find(ex, j->fp);
		if (e && e->state == E_PENDING) {
			e->state = out.state;
			e->kind = out.kind;
			e->err = out.err;
			memcpy(e->reason, out.reason, sizeof(e->reason));
			e->answer = out.answer;
			e->done_ms = time_mono_ms();
		} else {
			llm_answer_release(&out.answer);
		}
		ex->busy = false;
		job_free(j);
		if (!ex->head)
			pthread_cond_broadcast(&ex->idle);
	}
	ex->busy = false;
	pthread_cond_broadcast(&ex->idle);
	pthread_mutex_unlock(&ex->mu);
	return NULL;
}

static int report(struct explainer *ex, struct explain_result *res, enum why kind,
		  int err, const char *reason)
{
	res->status = err;
	str_copy(res->reason, reason, sizeof(res->reason));
	res->log_reason = !(ex->logged & (1u << kind));
	ex->logged |= 1u << kind;
	return err;
}

/* Takes one call from the per-minute budget, or says it is spent. */
static bool budget_take(struct explainer *ex, int64_t now)
{
	int cap = ex->o.calls_per_minute;

	if (cap <= 0)
		return false;
	if (ex->ncalls < cap) {
		ex->calls[(ex->calls_head + ex->ncalls++) % cap] = now;
		return true;
	}
	if (now - ex->calls[ex->calls_head] < 60000)
		return false;
	ex->calls[ex->calls_head] = now;
	ex->calls_head = (ex->calls_head + 1) % cap;
	return true;
}

/* A free cache slot: a new one, else the least recently used settled one. */
static struct entry *slot(struct explainer *ex)
{
	struct entry *lru = NULL;

	if (ex->ncache < ex->o.cache_max)
		return &ex->cache[ex->ncache++];
	for (size_t i = 0; i < ex->ncache; i++)
		if (ex->cache[i].state != E_PENDING &&
		    (!lru || ex->cache[i].used_ms < lru->used_ms))
			lru = &ex->cache[i];
	if (lru)
		llm_answer_release(&lru->answer);
	return lru;
}

static void forget(struct explainer *ex, struct entry *e)
{
	llm_answer_release(&e->answer);
	*e = ex->cache[--ex->ncache];
	memset(&ex->cache[ex->ncache], 0, sizeof(ex->cache[0]));
}

/* Applies a cached answer to in and hands out its actions. Under mu. */
static void apply(struct explainer *ex, struct entry *e, struct insight *in,
		  struct explain_result *res)
{
	const struct llm_answer *a = &e->answer;
	struct buf text;
	size_t n = strlen(a->root_cause);

	buf_init(&text, MAX_TEXT);
	buf_adds(&text, a->root_cause);
	if (n && a->root_cause[n - 1] != '.')
		buf_addch(&text, '.');
	if (n)
		buf_addch(&text, ' ');
	buf_adds(&text, a->explanation);
	insight_set_explanation(in, text.data, "llm", ex->model);
	buf_release(&text);
	for (size_t i = 0; i < a->nactions; i++) {
		res->actions[i] = a->actions[i];
		res->actions[i].params = json_deep_copy(a->actions[i].params);
	}
	res->nactions = a->nactions;
	if (!e->reported) {
		res->fresh = true;
		res->dropped = a->dropped;
		str_copy(res->dropped_why, a->dropped_why, sizeof(res->dropped_why));
		ex->stats.actions_dropped += a->dropped;
		e->reported = true;
	} else {
		ex->stats.cache_hits++;
	}
	res->status = 0;
}

int explainer_explain(struct explainer *ex, struct insight *in,
		      const struct insight *const *history, size_t nhistory,
		      struct explain_result *res)
{
	struct entry *e, settled;
	struct job *j;
	json_t *req;
	int64_t now = time_mono_ms();
	uint64_t fp;
	bool full;

	memset(res, 0, sizeof(*res));
	if (ex->off[0])
		return report(ex, res, WHY_OFF, -ENOTSUP, ex->off);
	fp = llm_fingerprint(in);

	pthread_mutex_lock(&ex->mu);
	e = find(ex, fp);
	if (e && e->state == E_FAILED && now - e->done_ms >= ex->o.retry_failed_ms) {
		forget(ex, e);
		e = NULL;
	}
	if (e) {
		e->used_ms = now;
		if (e->state == E_OK) {
			apply(ex, e, in, res);
			pthread_mutex_unlock(&ex->mu);
			ex->logged &= 1u << WHY_OFF; /* a success re-arms the latch */
			return 0;
		}
		settled = *e;
		pthread_mutex_unlock(&ex->mu);
		if (settled.state == E_PENDING) {
			res->status = -EINPROGRESS;
			return res->status;
		}
		return report(ex, res, settled.kind, settled.err, settled.reason);
	}
	full = ex->queued >= QUEUE_MAX;
	pthread_mutex_unlock(&ex->mu);
	if (full)
		return report(ex, res, WHY_QUEUE, -EAGAIN, "too many LLM calls queued");
	if (!budget_take(ex, now)) {
		char why[96];
		pthread_mutex_lock(&ex->mu);
		ex->stats.over_budget++;
		pthread_mutex_unlock(&ex->mu);
		snprintf(why, sizeof(why), "the budget of %d LLM calls per minute is spent",
			 ex->o.calls_per_minute);
		return report(ex, res, WHY_BUDGET, -EBUSY, why);
	}

	j = xcalloc(1, sizeof(*j));
	j->fp = fp;
	redactor_init(&j->r);
	j->r.known = ex->known;
	req = llm_request(in, history, nhistory, ex->model, &j->r);
	j->body = req ? json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
	json_decref(req);
	if (!j->body) {
		job_free(j);
		return report(ex, res, WHY_CALL, -ENOMEM, "cannot build the LLM request");
	}
	j->len = strlen(j->body);
	snap_take(&j->snap, in);

	pthread_mutex_lock(&ex->mu);
	e = slot(ex);
	if (!e) {
		pthread_mutex_unlock(&ex->mu);
		job_free(j);
		return report(ex, res, WHY_QUEUE, -EAGAIN, "too many LLM calls queued");
	}
	memset(e, 0, sizeof(*e));
	e->fp = fp;
	e->state = E_PENDING;
	e->used_ms = now;
	if (ex->tail)
		ex->tail->next = j;
	else
		ex->head = j;
	ex->tail = j;
	ex->queued++;
	ex->stats.calls++;
	pthread_cond_signal(&ex->wake);
	pthread_mutex_unlock(&ex->mu);
	res->status = -EINPROGRESS;
	return res->status;
}

static const char *kind_of(const char *action)
{
	if (!strcmp(action, "restart_pod"))
		return "Pod";
	/* raise_hpa_max names the Deployment: the HPA that owns it is found in the cluster */
	if (!strcmp(action, "scale_deployment") || !strcmp(action, "change_limits") ||
	    !strcmp(action, "rollout_undo") || !strcmp(action, "raise_hpa_max"))
		return "Deployment";
	if (str_ends_with(action, "_node"))
		return "Node";
	return NULL;
}

static const char *risk_of(const char *action)
{
	if (!strcmp(action, "drain_node"))
		return "high";
	if (!strcmp(action, "change_limits") || !strcmp(action, "cordon_node") ||
	    !strcmp(action, "rollout_undo"))
		return "medium";
	return "low";
}

int explain_result_recommend(const struct explain_result *res, struct insight *in)
{
	int added = 0;

	for (size_t i = 0; i < res->nactions; i++) {
		const struct llm_action *a = &res->actions[i];
		const char *kind = kind_of(a->action);
		char target[256];
		bool dup = false;

		if (!kind)
			continue; /* "none" */
		if (strcmp(kind, "Node") && !strchr(a->target, '/'))
			snprintf(target, sizeof(target), "%s/%s",
				 in->namespace_ ? in->namespace_ : "", a->target);
		else
			str_copy(target, a->target, sizeof(target));
		for (size_t k = 0; k < in->nrecs; k++)
			dup |= !strcmp(in->recs[k].action, a->action) &&
			       !strcmp(in->recs[k].target, target);
		if (dup)
			continue;
		/* an LLM names an action and a target, never its parameters: the
		 * numbers come from measurements (docs/remediation.md) */
		if (insight_add_recommendation(in, a->action, kind, target,
					       json_pack("{s:s}", "source", "llm"),
					       "suggested by the LLM explanation",
					       risk_of(a->action)) == 0)
			added++;
	}
	return added;
}

void explain_result_release(struct explain_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nactions; i++)
		json_decref(res->actions[i].params);
	memset(res, 0, sizeof(*res));
}

int explainer_wait(struct explainer *ex, int64_t max_ms)
{
	struct timespec until;
	int rc = 0;

	if (!ex->has_worker)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(max_ms / 1000);
	until.tv_nsec += (long)(max_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ex->mu);
	while ((ex->head || ex->busy) && rc == 0)
		rc = pthread_cond_timedwait(&ex->idle, &ex->mu, &until);
	rc = ex->head || ex->busy ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&ex->mu);
	return rc;
}

void explainer_get_stats(struct explainer *ex, struct explainer_stats *out)
{
	pthread_mutex_lock(&ex->mu);
	*out = ex->stats;
	pthread_mutex_unlock(&ex->mu);
}

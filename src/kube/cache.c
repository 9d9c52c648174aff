#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kube/cache.h"
#include "kube/jsonarena.h"
#include "kube/jsonskim.h"
#include "kube/objects.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define WATCH_MAX_LINE (16u << 20)

static int parse_pod(const json_t *o, void *out, char *e, size_t n) { return kube_pod_parse(o, out, e, n); }
static void release_pod(void *p) { kube_pod_release(p); }
static int parse_node(const json_t *o, void *out, char *e, size_t n) { return kube_node_parse(o, out, e, n); }
static void release_node(void *p) { kube_node_release(p); }
static int parse_event(const json_t *o, void *out, char *e, size_t n) { return kube_event_parse(o, out, e, n); }
static void release_event(void *p) { kube_event_release(p); }

/* What kube_pod_parse() never reads (keep in step with it): most of a pod. */
static const char *const pod_skim[] = {
	"managedFields", "annotations", "labels", "finalizers", "generateName",
	"tolerations", "conditions", "volumes", "volumeMounts", "env", "envFrom", "ports",
	"securityContext", "affinity", "nodeSelector", "hostIPs", "podIPs", "hostIP", "podIP",
	"image", "imageID", "containerID", "terminationMessagePath", "terminationMessagePolicy",
	"imagePullPolicy", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
	"command", "args", "workingDir", "dnsConfig", "dnsPolicy", "readinessGates",
	"topologySpreadConstraints", "initContainers", "initContainerStatuses",
	"ephemeralContainers", "ephemeralContainerStatuses", "imagePullSecrets",
	"schedulingGates", "resourceClaims", "hostAliases", "allocatedResources",
	"volumeDevices", "resizePolicy", "user", "qosClass",
	"apiVersion", "generation", "blockOwnerDeletion", "restartPolicy",
	"terminationGracePeriodSeconds", "activeDeadlineSeconds", "serviceAccountName",
	"serviceAccount", "automountServiceAccountToken", "schedulerName", "priority",
	"priorityClassName", "preemptionPolicy", "enableServiceLinks", "runtimeClassName",
	"overhead", "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "hostname",
	"subdomain", "setHostnameAsFQDN", "os", "stdin", "stdinOnce", "tty",
	"nominatedNodeName", "observedGeneration", "resize", "started", "running", "startedAt",
	"finishedAt", "signal", NULL,
};

const struct kube_cache_type kube_cache_pods = {
	"pods", sizeof(struct kube_pod), parse_pod, release_pod, pod_skim };
const struct kube_cache_type kube_cache_nodes = {
	"nodes", sizeof(struct kube_node), parse_node, release_node, NULL };
const struct kube_cache_type kube_cache_events = {
	"events", sizeof(struct kube_event), parse_event, release_event, NULL };

/* "namespace/name" of a raw object (names are what the map is keyed by). */
static int object_key(const json_t *obj, struct buf *key)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const json_t *ns = json_object_get(meta, "namespace");
	const json_t *name = json_object_get(meta, "name");

	if (!json_is_string(name))
		return -EINVAL;
	buf_reset(key);
	return buf_addf(key, "%s/%s", json_is_string(ns) ? json_string_value(ns) : "",
			json_string_value(name));
}

static void free_obj(const struct kube_cache_type *t, void *obj)
{
	if (obj) {
		t->release(obj);
		free(obj);
	}
}

/* Parses obj and stores it in m under its key, replacing an older one;
 * a new key beyond max objects is refused (-E2BIG). */
static int store(const struct kube_cache_type *t, struct strmap *m, const json_t *obj,
		 size_t max, char *err, size_t errlen)
{
	struct buf key = BUF_INIT;
	void *typed;
	int rc = object_key(obj, &key);

	if (rc == 0 && m->n >= max && !strmap_get(m, key.data)) {
		snprintf(err, errlen, "%s: more than %zu objects", t->resource, max);
		buf_release(&key);
		return -E2BIG;
	}
	typed = xcalloc(1, t->size);
	if (rc == 0)
		rc = t->parse(obj, typed, err, errlen);
	else
		snprintf(err, errlen, "%s: an object without metadata.name", t->resource);
	if (rc == 0)
		free_obj(t, strmap_put(m, key.data, typed));
	else
		free(typed);
	buf_release(&key);
	return rc;
}

static void map_clear(const struct kube_cache_type *t, struct strmap *m)
{
	size_t it;
	for (struct strmap_entry *e = strmap_first(m, &it); e; e = strmap_next(m, e, &it)) {
		free_obj(t, e->value);
		e->value = NULL;
	}
	strmap_clear(m, NULL);
}

static int apply(struct kube_cache *c, const char *line, size_t len);

int kube_cache_apply(struct kube_cache *c, const char *line, size_t len)
{
	int rc;
	json_scope_begin();
	rc = apply(c, line, len);
	json_scope_end();
	return rc;
}

static int apply(struct kube_cache *c, const char *line, size_t len)
{
	struct buf sk = BUF_INIT;
	json_t *ev;

	if (c->type->skim && json_skim(line, len, c->type->skim, &sk) == 0) {
		line = sk.data;
		len = sk.len;
	}
	ev = json_loadb(line, len, 0, NULL);
	buf_release(&sk);
	const json_t *type, *obj, *meta, *rv;
	const char *t;
	char err[KUBE_ERRLEN];
	int rc = 0;

	type = json_object_get(ev, "type");
	obj = json_object_get(ev, "object");
	if (!json_is_string(type) || !json_is_object(obj)) {
		json_decref(ev);
		c->bad_events++;
		return -EINVAL;
	}
	t = json_string_value(type);
	meta = json_object_get(obj, "metadata");
	rv = json_object_get(meta, "resourceVersion");
	if (!strcmp(t, "ERROR")) {
		const json_t *code = json_object_get(obj, "code");
		rc = json_is_integer(code) && json_integer_value(code) == 410 ? 1 : -EIO;
		json_decref(ev);
		return rc;
	}
	pthread_mutex_lock(&c->mu);
	if (!strcmp(t, "ADDED") || !strcmp(t, "MODIFIED")) {
		rc = store(c->type, &c->objs, obj, c->max_objects ? c->max_objects :
			   KUBE_CACHE_MAX_OBJECTS, err, sizeof(err));
		if (rc == -E2BIG) {
			c->dropped++;
			rc = 0;
		}
	} else if (!strcmp(t, "DELETED")) {
		struct buf key = BUF_INIT;
		rc = object_key(obj, &key);
		if (rc == 0)
			free_obj(c->type, strmap_remove(&c->objs, key.data));
		buf_release(&key);
	} else if (strcmp(t, "BOOKMARK")) {
		rc = -EINVAL;
	}
	/* The resourceVersion moves only past events that were applied, so a
	 * reconnect after a bad line asks for it again. */
	if (rc == 0 && json_is_string(rv)) {
		str_copy(c->rv, json_string_value(rv), sizeof(c->rv));
		pthread_cond_broadcast(&c->cond); /* kube_cache_wait_rv */
	}
	if (rc == 0)
		c->events++;
	else
		c->bad_events++;
	pthread_mutex_unlock(&c->mu);
	json_decref(ev);
	return rc < 0 ? -EINVAL : 0;
}

struct list_ctx {
	struct kube_cache *c;
	struct strmap fresh;
	char err[KUBE_ERRLEN];
	int bad;
};

static int on_item(const json_t *item, void *vctx)
{
	struct list_ctx *l = vctx;
	int rc = store(l->c->type, &l->fresh, item, l->c->max_objects ? l->c->max_objects :
		       KUBE_CACHE_MAX_OBJECTS, l->err, sizeof(l->err));
	if (rc == -E2BIG)
		l->c->dropped++;
	else if (rc < 0)
		l->bad++; /* skipped: one odd object does not hide the rest */
	return 0;
}

static void on_restart(void *vctx)
{
	struct list_ctx *l = vctx;
	map_clear(l->c->type, &l->fresh);
}

static int relist(struct kube_cache *c)
{
	struct list_ctx l;
	struct kube_error e;
	char rv[64] = "";
	char what[64];
	int rc;

	memset(&l, 0, sizeof(l));
	l.c = c;
	snprintf(what, sizeof(what), "list %s", c->type->resource);
	rc = kube_list(&c->client, what, c->path, 500, on_item, on_restart, &l,
		       rv, sizeof(rv), &e);
	pthread_mutex_lock(&c->mu);
	c->lists++;
	if (rc == 0) {
		map_clear(c->type, &c->objs);
		c->objs = l.fresh;
		str_copy(c->rv, rv, sizeof(c->rv));
		c->synced = true;
		c->last_rc = 0;
	} else {
		map_clear(c->type, &l.fresh);
		c->last_rc = rc;
		c->last_err = e;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

struct watch_ctx {
	struct kube_cache *c;
	bool gone;
};

static int on_line(const char *line, size_t len, void *vctx)
{
	struct watch_ctx *w = vctx;
	int rc = kube_cache_apply(w->c, line, len);
	if (rc == 1) {
		w->gone = true;
		return 1;
	}
	return 0;
}

/* Watches until the stream ends. Returns 1 when a relist is needed. */
static int watch_once(struct kube_cache *c)
{
	struct buf url = BUF_INIT, errbody = BUF_INIT;
	struct watch_ctx w = { c, false };
	struct kube_error e;
	char herr[HTTP_ERRLEN];
	char *full;
	long status = 0;
	int rc;

	if (kube_client_auth(&c->client, &e) < 0)
		return -EACCES;
	pthread_mutex_lock(&c->mu);
	buf_addf(&url, "%s%swatch=1&allowWatchBookmarks=true&timeoutSeconds=%lld&resourceVersion=",
		 c->path, strchr(c->path, '?') ? "&" : "?", (long long)c->watch_timeout_s);
	http_add_query_escaped(&url, c->rv);
	c->watches++;
	c->events_at_watch = c->events;
	pthread_mutex_unlock(&c->mu);
	full = kube_url(&c->client, url.data);
	rc = http_stream(&c->client.http, full, WATCH_MAX_LINE, on_line, &w, &c->stop,
			 &status, &errbody, herr, sizeof(herr));
	free(full);
	buf_release(&url);
	if (status == 410 || w.gone)
		rc = 1;
	else if (status == 401 || status == 403)
		rc = 1; /* a list will ask for a fresh credential, or report the refusal */
	else if (rc == 0 && (status < 200 || status > 299))
		rc = -EIO;
	buf_release(&errbody);
	return rc;
}

static void nap(struct kube_cache *c, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	while (!c->stop && time_mono_ms() < end) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Whether the last watch applied anything (then a cut is no outage). */
static bool w_events_moved(struct kube_cache *c)
{
	bool moved;
	pthread_mutex_lock(&c->mu);
	moved = c->events != c->events_at_watch;
	pthread_mutex_unlock(&c->mu);
	return moved;
}

static void *run(void *arg)
{
	struct kube_cache *c = arg;
	int64_t backoff = 0;
	bool need_list = true;
	int failures = 0;

	while (!c->stop) {
		int rc;
		if (need_list) {
			rc = relist(c);
			if (rc < 0) {
				backoff = backoff ? (backoff * 2 > 10000 ? 10000 : backoff * 2) : 500;
				nap(c, backoff);
				continue;
			}
			need_list = false;
		}
		int64_t began = time_mono_ms();
		rc = watch_once(c);
		if (c->stop)
			break;
		if (rc == 1) {
			need_list = true;
			backoff = 0;
		} else if (rc < 0) {
			/* Connection trouble: back off, then resume from our
			 * resourceVersion. After three failures in a row, list again:
			 * that either heals the cache or reports why it cannot
			 * (readers see the error instead of stale objects). */
			if (time_mono_ms() - began >= 5000 || w_events_moved(c)) {
				failures = 0; /* it worked for a while: a cut, not an outage */
				backoff = 0;
			}
			backoff = backoff ? (backoff * 2 > 10000 ? 10000 : backoff * 2) : 200;
			nap(c, backoff);
			if (++failures >= 3) {
				need_list = true;
				failures = 0;
			}
			continue;
		} else {
			/* The server closed a healthy stream: resume, but never in a hot
			 * loop against a server that closes at once. */
			backoff = 0;
			if (time_mono_ms() - began < 1000)
				nap(c, 1000);
		}
		failures = 0;
	}
	return NULL;
}

int kube_cache_start(struct kube_cache *c, const struct kube_cache_type *type,
		     const struct kube_config *cfg, const char *path,
		     const struct http_opts *opts, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->type = type;
	c->path = xstrdup(path);
	c->watch_timeout_s = 300;
	rc = kube_client_init(&c->client, cfg, opts, err, errlen);
	if (rc < 0) {
		free(c->path);
		memset(c, 0, sizeof(*c));
		return rc;
	}
	c->client.skim = type->skim;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
	rc = pthread_create(&c->thread, NULL, run, c);
	if (rc) {
		snprintf(err, errlen, "cannot start the %s watch: %s", type->resource, strerror(rc));
		kube_client_release(&c->client);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cond);
		free(c->path);
		memset(c, 0, sizeof(*c));
		return -rc;
	}
	c->running = true;
	return 0;
}

static struct timespec deadline(int64_t timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(timeout_ms / 1000);
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int kube_cache_wait_synced(struct kube_cache *c, int64_t timeout_ms, struct kube_error *e)
{
	struct timespec ts = deadline(timeout_ms);
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	while (!c->synced && c->last_rc == 0 && rc == 0)
		rc = pthread_cond_timedwait(&c->cond, &c->mu, &ts);
	if (c->last_rc) {
		rc = c->last_rc;
		if (e)
			*e = c->last_err;
	} else if (c->synced) {
		rc = 0;
	} else {
		rc = -ETIMEDOUT;
		if (e) {
			e->status = 0;
			snprintf(e->msg, sizeof(e->msg), "list %s: no answer within %lld ms",
				 c->type->resource, (long long)timeout_ms);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int kube_cache_wait_rv(struct kube_cache *c, uint64_t rv, int64_t timeout_ms)
{
	struct timespec ts = deadline(timeout_ms);
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	while (rc == 0 && strtoull(c->rv, NULL, 10) < rv)
		rc = pthread_cond_timedwait(&c->cond, &c->mu, &ts);
	rc = strtoull(c->rv, NULL, 10) >= rv ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void kube_cache_foreach(struct kube_cache *c, void (*fn)(void *obj, void *ctx), void *ctx)
{
	size_t it;
	pthread_mutex_lock(&c->mu);
	for (struct strmap_entry *e = strmap_first(&c->objs, &it); e;
	     e = strmap_next(&c->objs, e, &it))
		fn(e->value, ctx);
	pthread_mutex_unlock(&c->mu);
}

size_t kube_cache_size(struct kube_cache *c)
{
	size_t n;
	pthread_mutex_lock(&c->mu);
	n = c->objs.n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void kube_cache_signal(struct kube_cache *c)
{
	if (!c || !c->type)
		return;
	c->stop = 1;
	if (c->running)
		http_client_wake(&c->client.http);
}

void kube_cache_stop(struct kube_cache *c)
{
	if (!c || !c->type)
		return;
	kube_cache_signal(c);
	if (c->running)
		pthread_join(c->thread, NULL);
	map_clear(c->type, &c->objs);
	kube_client_release(&c->client);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cond);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

/* Lists with limit/continue, watches from a resourceVersion, bookmarks,
 * 410 Gone and the informer (kube/cache.c) recovering from it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/cache.h"
#include "kube/jsonskim.h"
#include "kube/mutate.h"
#include "base/banned.h"

static int count_item(const json_t *item, void *ctx)
{
	(void)item;
	(*(int *)ctx)++;
	return 0;
}

static void list_paging(struct conform *c)
{
	struct kube_error e;
	json_t *all, *page;
	char rv[64] = "";
	int n = 0, total, rc;

	all = get(c->kc, "/api/v1/pods", &e);
	total = (int)json_array_size(json_object_get(all, "items"));
	json_decref(all);
	page = get(c->kc, "/api/v1/pods?limit=2", &e);
	result(c, "list.limit", page && json_array_size(json_object_get(page, "items")) == 2 &&
	       *jps(page, "metadata.continue") && jp(page, "metadata.remainingItemCount") &&
	       jpi(page, "metadata.remainingItemCount") == total - 2,
	       "limit=2 of %d pods: %zu items, continue %s, remainingItemCount %lld", total,
	       json_array_size(json_object_get(page, "items")),
	       *jps(page, "metadata.continue") ? "set" : "missing",
	       jpi(page, "metadata.remainingItemCount"));
	json_decref(page);
	{
		/* kube_list reads the continue token off the top of a page to ask
		 * for the next one before parsing: the metadata comes first. */
		struct buf text = BUF_INIT, tok = BUF_INIT;
		const char *m, *i;
		bool ahead;

		rc = kube_get_text(c->kc, "list pods", "/api/v1/pods?limit=2", &text, &e);
		buf_addch(&text, '\0');
		m = strstr(text.data, "\"metadata\"");
		i = strstr(text.data, "\"items\"");
		ahead = json_skim_member(text.data, text.len - 1, "metadata", "continue", &tok) == 0 &&
			tok.len > 0;
		result(c, "list.metadata-first", rc == 0 && m && i && m < i && ahead,
		       "a page's metadata %s its items, continue token %s",
		       m && i && m < i ? "before" : "after", ahead ? "read ahead" : "not read ahead");
		buf_release(&text);
		buf_release(&tok);
	}
	rc = kube_list(c->kc, "list pods", "/api/v1/pods", 2, count_item, NULL, &n, rv, sizeof(rv), &e);
	result(c, "list.continue", rc == 0 && n == total && *rv,
	       "kube_list in pages of 2: %d items of %d, resourceVersion %s (%s)", n, total,
	       *rv ? "set" : "missing", rc ? e.msg : "ok");
	memset(&e, 0, sizeof(e));
	page = get(c->kc, "/api/v1/pods?limit=2&continue=bm90LWEtdG9rZW4", &e);
	result(c, "list.bad-continue", !page && e.status == 400 && !strcmp(e.reason, "BadRequest"),
	       "a malformed continue token: HTTP %ld %s", e.status, e.reason);
	json_decref(page);
}

/* A raw watch: the lines the server sent, until it ended the stream. */
struct lines {
	json_t *events;
};

static int on_line(const char *line, size_t len, void *ctx)
{
	struct lines *l = ctx;
	json_t *j = json_loadb(line, len, 0, NULL);

	if (j)
		json_array_append_new(l->events, j);
	return json_array_size(l->events) > 1000;
}

static int raw_watch(struct conform *c, const char *query, struct lines *l, long *status,
		     struct buf *errbody)
{
	struct buf p = BUF_INIT;
	struct kube_error e;
	char herr[256];
	char *url;
	int rc;

	kube_client_auth(c->kc, &e);
	buf_addf(&p, "/api/v1/namespaces/%s/pods?watch=1&%s", c->ns, query);
	url = kube_url(c->kc, p.data);
	l->events = json_array();
	*status = 0;
	rc = http_stream(&c->kc->http, url, 1u << 20, on_line, l, NULL, status, errbody,
			 herr, sizeof(herr));
	free(url);
	buf_release(&p);
	return rc;
}

static const char *list_rv(struct conform *c, char *rv, size_t n)
{
	struct buf p = BUF_INIT;
	json_t *l;

	buf_addf(&p, "/api/v1/namespaces/%s/pods", c->ns);
	l = get(c->kc, p.data, NULL);
	str_copy(rv, jps(l, "metadata.resourceVersion"), n);
	json_decref(l);
	buf_release(&p);
	return rv;
}

/* A change made while a watch runs (its own client: one thread a client). */
struct toucher {
	struct conform *c;
	const char *pod;
	char rv[64];
};

static void *touch(void *arg)
{
	struct toucher *t = arg;
	struct kube_client k;
	struct kube_error e;
	struct buf p = BUF_INIT;
	json_t *out = NULL;
	char err[256];

	usleep(500 * 1000);
	if (kube_client_init(&k, t->c->cfg, NULL, err, sizeof(err)) < 0)
		return NULL;
	buf_addf(&p, "/api/v1/namespaces/%s/pods/%s", t->c->ns, t->pod);
	sendj(&k, "PATCH", p.data, "application/merge-patch+json",
	      json_pack("{s:{s:{s:s}}}", "metadata", "labels", "conform-touched", "twice"), &out, &e);
	str_copy(t->rv, jps(out, "metadata.resourceVersion"), sizeof(t->rv));
	json_decref(out);
	buf_release(&p);
	kube_client_release(&k);
	return NULL;
}

/*
 * A bookmark carries a version the client has not seen: here a change,
 * made while the watch runs, that the watch's selector filters out. (An API
 * server sends none when nothing happened since the watch began.)
 */
static void watch_bookmark(struct conform *c)
{
	struct lines l;
	struct buf q = BUF_INIT, eb = BUF_INIT;
	struct kube_cache cache;
	struct toucher t = { c, NULL, "" };
	pthread_t th;
	char rv[64];
	long status;
	json_t *ev, *bm = NULL, *pods = NULL;
	size_t i;
	int64_t t0;
	int others = 0;

	list_rv(c, rv, sizeof(rv));
	ready_pods(c, &pods);
	t.pod = json_string_value(json_array_get(pods, 0));
	buf_addf(&q, "labelSelector=conform-none%%3Dnone&allowWatchBookmarks=true&timeoutSeconds=4"
		 "&resourceVersion=%s", rv);
	t0 = time_mono_ms();
	pthread_create(&th, NULL, touch, &t);
	raw_watch(c, q.data, &l, &status, &eb);
	pthread_join(th, NULL);
	json_array_foreach(l.events, i, ev) {
		if (!strcmp(jps(ev, "type"), "BOOKMARK"))
			bm = ev;
		else
			others++;
	}
	result(c, "watch.bookmark", status == 200 && bm && others == 0 && *t.rv &&
	       !strcmp(jps(bm, "object.kind"), "Pod") &&
	       strtoull(jps(bm, "object.metadata.resourceVersion"), NULL, 10) >= strtoull(t.rv, NULL, 10),
	       "watch from rv %s selecting nothing, allowWatchBookmarks, timeoutSeconds=4, a change at "
	       "rv %s during it: HTTP %ld, %d other events, bookmark %s (kind %s, rv %s), stream ended "
	       "after %lld ms", rv, t.rv, status, others, bm ? "yes" : "none", jps(bm, "object.kind"),
	       jps(bm, "object.metadata.resourceVersion"), (long long)(time_mono_ms() - t0));
	/* The informer takes a bookmark's resourceVersion as where to resume. */
	if (bm) {
		char *line = json_dumps(bm, JSON_COMPACT);
		int rc;

		memset(&cache, 0, sizeof(cache));
		cache.type = &kube_cache_pods;
		pthread_mutex_init(&cache.mu, NULL);
		rc = kube_cache_apply(&cache, line, strlen(line));
		result(c, "watch.bookmark-resume", rc == 0 &&
		       !strcmp(cache.rv, jps(bm, "object.metadata.resourceVersion")),
		       "kube_cache_apply(bookmark): rc %d, resume from %s", rc, cache.rv);
		pthread_mutex_destroy(&cache.mu);
		strmap_clear(&cache.objs, NULL);
		free(line);
	} else {
		result(c, "watch.bookmark-resume", false, "no bookmark to resume from");
	}
	json_decref(l.events);
	json_decref(pods);
	buf_release(&q);
	buf_release(&eb);
}

/* Nothing of the kind changed since the watch's version: no bookmark. */
static void watch_no_bookmark(struct conform *c)
{
	struct lines l;
	struct buf q = BUF_INIT, eb = BUF_INIT, url = BUF_INIT;
	struct kube_error e;
	char rv[64], herr[256];
	char *full;
	long status = 0;

	/* PodDisruptionBudgets: nothing writes them before the eviction checks */
	buf_addf(&q, "/apis/policy/v1/namespaces/%s/poddisruptionbudgets", c->ns);
	{
		json_t *lst = get(c->kc, q.data, NULL);
		str_copy(rv, jps(lst, "metadata.resourceVersion"), sizeof(rv));
		json_decref(lst);
	}
	buf_addf(&url, "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=%s",
		 q.data, rv);
	kube_client_auth(c->kc, &e);
	full = kube_url(c->kc, url.data);
	l.events = json_array();
	http_stream(&c->kc->http, full, 1u << 20, on_line, &l, NULL, &status, &eb, herr, sizeof(herr));
	free(full);
	result(c, "watch.bookmark-none-when-idle", status == 200 && json_array_size(l.events) == 0,
	       "PDB watch from the latest rv %s with bookmarks, timeoutSeconds=3, nothing changing: "
	       "%zu events (first %s)", rv, json_array_size(l.events),
	       jps(json_array_get(l.events, 0), "type"));
	json_decref(l.events);
	buf_release(&q);
	buf_release(&url);
	buf_release(&eb);
}

static void watch_gone(struct conform *c)
{
	struct lines l;
	struct buf eb = BUF_INIT;
	long status;
	const json_t *first;
	struct kube_cache cache;
	int rc;

	raw_watch(c, "resourceVersion=1&timeoutSeconds=5", &l, &status, &eb);
	first = json_array_get(l.events, 0);
	result(c, "watch.410", status == 200 && json_array_size(l.events) == 1 &&
	       !strcmp(jps(first, "type"), "ERROR") && jpi(first, "object.code") == 410 &&
	       !strcmp(jps(first, "object.reason"), "Expired"),
	       "watch from resourceVersion=1: HTTP %ld, %zu events, first %s code %lld reason %s",
	       status, json_array_size(l.events), jps(first, "type"), jpi(first, "object.code"),
	       jps(first, "object.reason"));
	if (first) {
		char *line = json_dumps(first, JSON_COMPACT);
		memset(&cache, 0, sizeof(cache));
		cache.type = &kube_cache_pods;
		pthread_mutex_init(&cache.mu, NULL);
		
		rc = kube_cache_apply(&cache, line, strlen(line));
		result(c, "watch.410-relist", rc == 1, "kube_cache_apply(the ERROR event): %d (1: relist)", rc);
		pthread_mutex_destroy(&cache.mu);
		strmap_clear(&cache.objs, NULL);
		free(line);
	} else {
		result(c, "watch.410-relist", false, "no ERROR event to apply");
	}
	json_decref(l.events);
	buf_release(&eb);
}

/* A watch from a list's resourceVersion sees exactly what changed after it. */
static void watch_from_rv(struct conform *c)
{
	struct lines l;
	struct buf q = BUF_INIT, eb = BUF_INIT, p = BUF_INIT;
	struct kube_error e;
	char rv[64];
	long status;
	json_t *ev, *pods = NULL;
	size_t i;
	int added = 0, other = 0;
	const char *victim;

	list_rv(c, rv, sizeof(rv));
	ready_pods(c, &pods);
	victim = json_string_value(json_array_get(pods, 0));
	/* a change after rv: a label on one pod */
	buf_addf(&p, "/api/v1/namespaces/%s/pods/%s", c->ns, victim ? victim : "none");
	sendj(c->kc, "PATCH", p.data, "application/merge-patch+json",
	      json_pack("{s:{s:{s:s}}}", "metadata", "labels", "conform-touched", "yes"), NULL, &e);
	buf_addf(&q, "timeoutSeconds=2&resourceVersion=%s", rv);
	raw_watch(c, q.data, &l, &status, &eb);
	json_array_foreach(l.events, i, ev) {
		if (!strcmp(jps(ev, "type"), "ADDED"))
			added++;
		else if (!strcmp(jps(ev, "type"), "MODIFIED") &&
			 !strcmp(jps(ev, "object.metadata.name"), victim ? victim : "") &&
			 !strcmp(jps(ev, "object.metadata.labels.conform-touched"), "yes"))
			other++;
	}
	result(c, "watch.from-rv", status == 200 && added == 0 && other == 1,
	       "watch from the list's rv %s after labelling pod %s: HTTP %ld, %d ADDED (want 0), "
	       "%d MODIFIED with the label (want 1), %zu events", rv, victim ? victim : "-", status,
	       added, other, json_array_size(l.events));
	json_decref(l.events);
	json_decref(pods);
	buf_release(&q);
	buf_release(&p);
	buf_release(&eb);
}

struct size_want {
	struct kube_cache *cache;
	size_t want;
};

static bool cache_has(struct conform *c, void *arg)
{
	struct size_want *w = arg;
	(void)c;
	return kube_cache_size(w->cache) == w->want;
}

/* The informer: list, then watch; a new pod arrives through the watch. */
static void informer(struct conform *c)
{
	struct kube_cache cache;
	struct kube_error e;
	struct buf p = BUF_INIT;
	struct size_want w;
	char err[256];
	size_t n0;
	unsigned long lists;
	int rc;

	buf_addf(&p, "/api/v1/namespaces/%s/pods", c->ns);
	rc = kube_cache_start(&cache, &kube_cache_pods, c->cfg, p.data, NULL, err, sizeof(err));
	if (rc < 0) {
		result(c, "watch.informer", false, "kube_cache_start: %s", err);
		buf_release(&p);
		return;
	}
	rc = kube_cache_wait_synced(&cache, 30000, &e);
	n0 = kube_cache_size(&cache);
	rc = rc ? rc : kube_deployment_scale(c->kc, c->ns, c->dep, c->replicas + 1, NULL, false, NULL, &e);
	w.cache = &cache;
	w.want = n0 + 1;
	bool ok = rc == 0 && wait_for(c, 60000, cache_has, &w);
	pthread_mutex_lock(&cache.mu);
	lists = cache.lists;
	pthread_mutex_unlock(&cache.mu);
	result(c, "watch.informer", ok && lists == 1,
	       "kube_cache synced with %zu pods; scaled %s to %d; the cache holds %zu (want %zu) "
	       "after %lu list(s) %s", n0, c->dep, c->replicas + 1, kube_cache_size(&cache), n0 + 1,
	       lists, rc ? e.msg : "");
	kube_deployment_scale(c->kc, c->ns, c->dep, c->replicas, NULL, false, NULL, &e);
	kube_cache_stop(&cache);
	buf_release(&p);
}

static bool back_to_replicas(struct conform *c, void *arg)
{
	(void)arg;
	return ready_pods(c, NULL) == c->replicas;
}

void checks_list_watch(struct conform *c)
{
	list_paging(c);
	watch_from_rv(c);
	watch_bookmark(c);
	watch_no_bookmark(c);
	watch_gone(c);
	informer(c);
	wait_for(c, 60000, back_to_replicas, NULL);
}

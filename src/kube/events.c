#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "kube/events.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define MAX_ENTRIES 4096
#define MAX_BUCKETS 4096
#define NOTE_MAX 1024           /* the API server's limit */
#define UID_TTL_MS 60000

/* One Event we created, for its series. */
struct rec_entry {
	char *key;              /* object, type, reason, action, note */
	char *ns, *name;        /* the Event's */
	int count;              /* occurrences so far */
	int sent_count;         /* what the API has */
	int64_t first_ms, last_ms;      /* wall clock */
	int64_t last_mono, sent_mono;
};

/* A token bucket per object, and the object's uid as last looked up. */
struct rec_bucket {
	char *obj;              /* apiVersion/kind/ns/name */
	double tokens;
	int64_t mono;
	char *uid;
	int64_t uid_mono;
};

int kube_recorder_init(struct kube_recorder *r, struct kube_client *kc, const struct kube_recorder_opts *o)
{
	memset(r, 0, sizeof(*r));
	if (!o->controller || !*o->controller || !o->instance || !*o->instance)
		return -EINVAL;
	r->kc = kc;
	r->controller = xstrdup(o->controller);
	r->instance = xstrdup(o->instance);
	r->window_ms = o->series_window_ms > 0 ? o->series_window_ms : 6 * 60000;
	r->flush_ms = o->series_flush_ms > 0 ? o->series_flush_ms : 30000;
	r->burst = o->burst > 0 ? o->burst : 25;
	r->refill_ms = o->refill_ms > 0 ? o->refill_ms : 5 * 60000;
	r->entries = xcalloc(MAX_ENTRIES, sizeof(*r->entries));
	r->buckets = xcalloc(MAX_BUCKETS, sizeof(*r->buckets));
	pthread_mutex_init(&r->mu, NULL);
	return 0;
}

static void entry_free(struct rec_entry *x)
{
	free(x->key);
	free(x->ns);
	free(x->name);
	memset(x, 0, sizeof(*x));
}

void kube_recorder_release(struct kube_recorder *r)
{
	if (!r || !r->controller)
		return;
	for (size_t i = 0; i < r->nentries; i++)
		entry_free(&r->entries[i]);
	for (size_t i = 0; i < r->nbuckets; i++) {
		free(r->buckets[i].obj);
		free(r->buckets[i].uid);
	}
	free(r->entries);
	free(r->buckets);
	free(r->controller);
	free(r->instance);
	pthread_mutex_destroy(&r->mu);
	memset(r, 0, sizeof(*r));
}

static json_t *micro_time(int64_t unix_ms)
{
	char t[RFC3339_MAX], out[RFC3339_MAX + 4];

	time_rfc3339_ms(unix_ms, t);
	snprintf(out, sizeof(out), "%.*s000Z", (int)strlen(t) - 1, t);
	return json_string(out);
}

static struct rec_bucket *bucket(struct kube_recorder *r, const char *obj, int64_t mono)
{
	struct rec_bucket *b = NULL;

	for (size_t i = 0; i < r->nbuckets; i++)
		if (!strcmp(r->buckets[i].obj, obj))
			return &r->buckets[i];
	if (r->nbuckets == MAX_BUCKETS) {
		/* forget the bucket that has been quiet longest: it has refilled anyway */
		size_t old = 0;

		for (size_t i = 1; i < r->nbuckets; i++)
			if (r->buckets[i].mono < r->buckets[old].mono)
				old = i;
		b = &r->buckets[old];
		free(b->obj);
		free(b->uid);
	} else {
		b = &r->buckets[r->nbuckets++];
	}
	memset(b, 0, sizeof(*b));
	b->obj = xstrdup(obj);
	b->tokens = r->burst;
	b->mono = mono;
	return b;
}

static bool take_token(struct kube_recorder *r, struct rec_bucket *b, int64_t mono)
{
	b->tokens += (double)(mono - b->mono) / (double)r->refill_ms;
	if (b->tokens > r->burst)
		b->tokens = r->burst;
	b->mono = mono;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

/* The object's path for a GET (uid lookup): core "v1" or "group/version". */
static void object_path(struct buf *p, const struct kube_event_ref *ref)
{
	char plural[128];
	size_t n = 0;

	for (const char *k = ref->kind; *k && n + 3 < sizeof(plural); k++)
		plural[n++] = (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
	plural[n] = '\0';
	/* English plurals of the kinds we write about: Pod(s), Node(s), Deployment(s), Remediation(s), Policy -> policies */
	if (n && plural[n - 1] == 'y') {
		plural[n - 1] = '\0';
		str_copy(plural + n - 1, "ies", sizeof(plural) - n + 1);
	} else if (n && plural[n - 1] == 's') {
		str_copy(plural + n, "es", sizeof(plural) - n);
	} else {
		str_copy(plural + n, "s", sizeof(plural) - n);
	}
	buf_addf(p, "/%s%s", strchr(ref->api_version, '/') ? "apis/" : "api/", ref->api_version);
	if (ref->namespace_ && *ref->namespace_)
		buf_addf(p, "/namespaces/%s", ref->namespace_);
	buf_addf(p, "/%s/%s", plural, ref->name);
}

static int lookup_uid(struct kube_recorder *r, const struct kube_event_ref *ref, struct rec_bucket *b,
		      int64_t mono, char **uid, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *obj = NULL;
	const char *u;
	int rc;

	if (ref->uid && *ref->uid) {
		*uid = xstrdup(ref->uid);
		return 0;
	}
	if (b->uid && mono - b->uid_mono < UID_TTL_MS) {
		*uid = xstrdup(b->uid);
		return 0;
	}
	object_path(&p, ref);
	rc = kube_get(r->kc, "get the object of an event", p.data, &obj, e);
	buf_release(&p);
	if (rc < 0)
		return rc;
	u = json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
	*uid = xstrdup(u ? u : "");
	free(b->uid);
	b->uid = xstrdup(*uid);
	b->uid_mono = mono;
	json_decref(obj);
	return 0;
}

static int patch_series(struct kube_recorder *r, struct rec_entry *x, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *body = json_pack("{s:{s:i,s:o}}", "series", "count", x->count, "lastObservedTime",
				 micro_time(x->last_ms));
	char *txt = json_dumps(body, JSON_COMPACT);
	int rc;

	buf_addf(&p, "/apis/events.k8s.io/v1/namespaces/%s/events/%s", x->ns, x->name);
	rc = kube_send(r->kc, "update event series", "PATCH", p.data, "application/merge-patch+json", txt, NULL, e);
	if (rc == 0) {
		x->sent_count = x->count;
		x->sent_mono = time_mono_ms();
		r->stats.patched++;
	} else {
		r->stats.errors++;
	}
	free(txt);
	json_decref(body);
	buf_release(&p);
	return rc;
}

static int create_event(struct kube_recorder *r, const struct kube_event_ref *ref, const char *uid, bool warning,
			const char *reason, const char *action, const char *note, int64_t now,
			struct rec_entry *x, struct kube_error *e)
{
	const char *ns = ref->namespace_ && *ref->namespace_ ? ref->namespace_ : "default";
	struct buf p = BUF_INIT, name = BUF_INIT;
	json_t *reg, *body, *out = NULL;
	char *txt;
	int rc;

	/* as client-go names them: the object, then the time in hex nanoseconds */
	buf_addf(&name, "%s.%llx", ref->name, (unsigned long long)(time_mono_ns() ^ ((uint64_t)now * 1000000ull)));
	reg = json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", ref->api_version, "kind", ref->kind, "name", ref->name,
			"uid", uid);
	if (ref->namespace_ && *ref->namespace_)
		json_object_set_new(reg, "namespace", json_string(ref->namespace_));
	body = json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:s,s:s,s:s,s:o}", "apiVersion", "events.k8s.io/v1",
			 "kind", "Event", "metadata", "name", name.data, "namespace", ns, "eventTime", micro_time(now),
			 "reportingController", r->controller, "reportingInstance", r->instance, "action", action,
			 "reason", reason, "type", warning ? "Warning" : "Normal", "regarding", reg);
	json_object_set_new(body, "note", json_stringn(note, strnlen(note, NOTE_MAX)));
	txt = json_dumps(body, JSON_COMPACT);
	buf_addf(&p, "/apis/events.k8s.io/v1/namespaces/%s/events", ns);
	rc = kube_send(r->kc, "create event", "POST", p.data, "application/json", txt, &out, e);
	if (rc == 0) {
		x->ns = xstrdup(ns);
		x->name = xstrdup(name.data);
		r->stats.created++;
	} else {
		r->stats.errors++;
	}
	json_decref(out);
	json_decref(body);
	free(txt);
	buf_release(&p);
	buf_release(&name);
	return rc;
}

int kube_event(struct kube_recorder *r, const struct kube_event_ref *ref, bool warning,
	       const char *reason, const char *action, const char *note, struct kube_error *e)
{
	int64_t now = time_real_ms(), mono = time_mono_ms();
	struct buf obj = BUF_INIT, key = BUF_INIT;
	struct rec_entry *x = NULL, fresh;
	struct rec_bucket *b;
	char *uid = NULL;
	int rc = 0;

	if (!ref->kind || !ref->name || !ref->api_version || !reason || !action)
		return -EINVAL;
	note = note ? note : "";
	buf_addf(&obj, "%s/%s/%s/%s", ref->api_version, ref->kind, ref->namespace_ ? ref->namespace_ : "", ref->name);
	buf_addf(&key, "%s|%c|%s|%s|%s", obj.data, warning ? 'W' : 'N', reason, action, note);
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->nentries; i++)
		if (!strcmp(r->entries[i].key, key.data) && mono - r->entries[i].last_mono < r->window_ms) {
			x = &r->entries[i];
			break;
		}
	if (x) {
		/* a repeat: one Event, its series counts; sent now only if the last update is old enough */
		x->count++;
		x->last_ms = now;
		x->last_mono = mono;
		r->stats.deduplicated++;
		if (mono - x->sent_mono >= r->flush_ms) {
			rc = patch_series(r, x, e);
			if (rc == 0)
				rc = 1;
		}
		goto out;
	}
	b = bucket(r, obj.data, mono);
	if (!take_token(r, b, mono)) {
		r->stats.dropped++;
		goto out;
	}
	rc = lookup_uid(r, ref, b, mono, &uid, e);
	if (rc < 0) {
		r->stats.errors++;
		goto out;
	}
	memset(&fresh, 0, sizeof(fresh));
	rc = create_event(r, ref, uid, warning, reason, action, note, now, &fresh, e);
	if (rc < 0)
		goto out;
	fresh.key = xstrdup(key.data);
	fresh.count = fresh.sent_count = 1;
	fresh.first_ms = fresh.last_ms = now;
	fresh.last_mono = fresh.sent_mono = mono;
	if (r->nentries == MAX_ENTRIES) {
		entry_free(&r->entries[r->nentries - 1]);
		r->nentries--;
	}
	memmove(r->entries + 1, r->entries, r->nentries * sizeof(*r->entries));
	r->entries[0] = fresh;
	r->nentries++;
	rc = 1;
out:
	pthread_mutex_unlock(&r->mu);
	free(uid);
	buf_release(&obj);
	buf_release(&key);
	return rc;
}

int kube_recorder_flush(struct kube_recorder *r, struct kube_error *e)
{
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->nentries; i++) {
		struct rec_entry *x = &r->entries[i];

		if (x->count != x->sent_count) {
			int one = patch_series(r, x, e);

			if (one < 0)
				rc = one;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

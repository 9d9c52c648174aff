#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "kube/lease.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define NAME_MAX_LEN 253

static bool dns_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
			return false;
	return s[0] != '-' && s[n - 1] != '-';
}

void kube_lease_default_identity(char *out, size_t outlen)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, outlen, "%s_%ld", host, (long)getpid());
}

int kube_lease_init(struct kube_lease *l, struct kube_client *kc, const struct kube_lease_opts *o,
		    char *err, size_t errlen)
{
	int64_t dur = o->lease_duration_ms ? o->lease_duration_ms : 15000;
	int64_t dl = o->renew_deadline_ms ? o->renew_deadline_ms : 10000;
	int64_t rp = o->retry_period_ms ? o->retry_period_ms : 2000;

	memset(l, 0, sizeof(*l));
	if (!dns_name(o->name) || !dns_name(o->namespace_)) {
		snprintf(err, errlen, "leader election: the lease name and namespace must be DNS names (got '%s' in '%s')",
			 o->name ? o->name : "", o->namespace_ ? o->namespace_ : "");
		return -EINVAL;
	}
	if (!o->identity || !*o->identity || strlen(o->identity) > 253) {
		snprintf(err, errlen, "leader election: the identity must be 1 to 253 characters");
		return -EINVAL;
	}
	/* client-go's checks: the holder stops acting before anyone may take over */
	if (dur < 1000 || dur % 1000 || dl <= 0 || rp <= 0 || dur <= dl || dl * 10 <= rp * 12) {
		snprintf(err, errlen, "leader election: want lease duration (whole seconds) > renew deadline > "
			 "1.2 x retry period > 0 (got %lld ms, %lld ms, %lld ms)", (long long)dur, (long long)dl,
			 (long long)rp);
		return -EINVAL;
	}
	l->kc = kc;
	l->name = xstrdup(o->name);
	l->namespace_ = xstrdup(o->namespace_);
	l->identity = xstrdup(o->identity);
	l->duration_ms = dur;
	l->deadline_ms = dl;
	l->retry_ms = rp;
	l->holder = xstrdup("");
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cond, NULL);
	return 0;
}

void kube_lease_release(struct kube_lease *l)
{
	if (!l || !l->name)
		return;
	kube_lease_stop(l);
	free(l->name);
	free(l->namespace_);
	free(l->identity);
	free(l->holder);
	free(l->observed_json);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cond);
	memset(l, 0, sizeof(*l));
}

/* A MicroTime: RFC 3339 with six fractional digits, as the API server writes them. */
static json_t *micro_time(int64_t unix_ms)
{
	char t[RFC3339_MAX], out[RFC3339_MAX + 4];
	size_t n;

	time_rfc3339_ms(unix_ms, t);
	n = strlen(t);
	snprintf(out, sizeof(out), "%.*s000Z", (int)(n - 1), t);
	return json_string(out);
}

static void lease_path(const struct kube_lease *l, struct buf *p, bool item)
{
	buf_addf(p, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->namespace_);
	if (item)
		buf_addf(p, "/%s", l->name);
}

/* Records a successful write of our spec: we lead from t0 (the attempt's start: conservative). */
static void took(struct kube_lease *l, json_t *spec, int64_t t0)
{
	char *txt = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);

	pthread_mutex_lock(&l->mu);
	free(l->observed_json);
	l->observed_json = txt;
	l->observed_mono_ms = t0;
	free(l->holder);
	l->holder = xstrdup(l->identity);
	l->leading = true;
	l->renewed_mono_ms = t0;
	pthread_mutex_unlock(&l->mu);
}

int kube_lease_try(struct kube_lease *l, struct kube_error *e)
{
	struct buf p = BUF_INIT;
	json_t *obj = NULL, *spec, *nspec;
	int64_t t0 = time_mono_ms(), now = time_real_ms();
	const char *holder;
	char *txt, *body;
	bool other_holds, ours, had_holder;
	int rc, transitions;

	lease_path(l, &p, true);
	rc = kube_get(l->kc, "get lease", p.data, &obj, e);
	if (rc == -ENOENT) {
		buf_reset(&p);
		lease_path(l, &p, false);
		nspec = json_pack("{s:s,s:I,s:o,s:o,s:i}", "holderIdentity", l->identity,
				  "leaseDurationSeconds", (json_int_t)(l->duration_ms / 1000),
				  "acquireTime", micro_time(now), "renewTime", micro_time(now), "leaseTransitions", 0);
		obj = json_pack("{s:s,s:s,s:{s:s,s:s},s:O}", "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
				"metadata", "name", l->name, "namespace", l->namespace_, "spec", nspec);
		body = json_dumps(obj, JSON_COMPACT);
		rc = kube_send(l->kc, "create lease", "POST", p.data, "application/json", body, NULL, e);
		free(body);
		if (rc == 0)
			took(l, nspec, t0);
		json_decref(nspec);
		json_decref(obj);
		buf_release(&p);
		return rc < 0 ? rc : 1;
	}
	if (rc < 0) {
		buf_release(&p);
		return rc;
	}
	spec = json_object_get(obj, "spec");
	if (!json_is_object(spec)) {
		spec = json_object();
		json_object_set_new(obj, "spec", spec);
	}
	holder = json_string_value(json_object_get(spec, "holderIdentity"));
	if (!holder)
		holder = "";
	txt = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	pthread_mutex_lock(&l->mu);
	if (!l->observed_json || strcmp(l->observed_json, txt)) {
		/* the record changed: its age counts from now, on our clock */
		free(l->observed_json);
		l->observed_json = txt;
		txt = NULL;
		l->observed_mono_ms = t0;
		free(l->holder);
		l->holder = xstrdup(holder);
	}
	ours = !strcmp(holder, l->identity);
	other_holds = *holder && !ours && l->observed_mono_ms + l->duration_ms > t0;
	if (other_holds)
		l->leading = false;
	pthread_mutex_unlock(&l->mu);
	free(txt);
	if (other_holds) {
		json_decref(obj);
		buf_release(&p);
		return 0;
	}
	/* ours to renew, or free, or expired: write it with the resourceVersion we read */
	transitions = (int)json_integer_value(json_object_get(spec, "leaseTransitions"));
	had_holder = *holder;   /* holder points into spec: read it before spec changes */
	json_object_set_new(spec, "holderIdentity", json_string(l->identity));
	json_object_set_new(spec, "leaseDurationSeconds", json_integer(l->duration_ms / 1000));
	json_object_set_new(spec, "renewTime", micro_time(now));
	if (!ours) {
		json_object_set_new(spec, "acquireTime", micro_time(now));
		json_object_set_new(spec, "leaseTransitions", json_integer(had_holder || transitions ? transitions + 1 : 0));
	}
	body = json_dumps(obj, JSON_COMPACT);
	rc = kube_send(l->kc, ours ? "renew lease" : "acquire lease", "PUT", p.data, "application/json", body, NULL, e);
	free(body);
	if (rc == 0)
		took(l, spec, t0);
	json_decref(obj);
	buf_release(&p);
	return rc < 0 ? rc : 1;
}

bool kube_lease_leading(struct kube_lease *l)
{
	return kube_lease_margin_ms(l) > 0;
}

int64_t kube_lease_margin_ms(struct kube_lease *l)
{
	int64_t left = 0;

	pthread_mutex_lock(&l->mu);
	if (l->leading)
		left = l->renewed_mono_ms + l->deadline_ms - time_mono_ms();
	pthread_mutex_unlock(&l->mu);
	return left > 0 ? left : 0;
}

void kube_lease_holder(struct kube_lease *l, char *out, size_t outlen)
{
	pthread_mutex_lock(&l->mu);
	snprintf(out, outlen, "%s", l->holder ? l->holder : "");
	pthread_mutex_unlock(&l->mu);
}

static void wait_ms(struct kube_lease *l, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->mu);
	if (!l->stop)
		pthread_cond_timedwait(&l->cond, &l->mu, &ts);
	pthread_mutex_unlock(&l->mu);
}

static void *elector(void *arg)
{
	struct kube_lease *l = arg;
	uint64_t rng = (uint64_t)time_mono_ns() ^ (uint64_t)getpid();

	for (;;) {
		struct kube_error e;
		bool was, now_leading, stop;
		char why[KUBE_ERRMSG + 64] = "", holder[256];
		int rc;
		int64_t next;

		memset(&e, 0, sizeof(e));
		pthread_mutex_lock(&l->mu);
		stop = l->stop;
		was = l->leading;
		pthread_mutex_unlock(&l->mu);
		if (stop)
			break;
		rc = kube_lease_try(l, &e);
		pthread_mutex_lock(&l->mu);
		if (rc < 0) {
			l->last_error = e;
			/* a holder keeps trying until the renew deadline, then gives up */
			if (l->leading && time_mono_ms() - l->renewed_mono_ms >= l->deadline_ms) {
				l->leading = false;
				snprintf(why, sizeof(why), "could not renew within the renew deadline: %s", e.msg);
			}
		} else if (rc == 0 && was) {
			snprintf(why, sizeof(why), "another replica holds the lease");
		}
		now_leading = l->leading;
		if (was != now_leading && now_leading) {
			l->transitions++;
			snprintf(why, sizeof(why), "acquired");
		}
		snprintf(holder, sizeof(holder), "%s", l->holder ? l->holder : "");
		pthread_mutex_unlock(&l->mu);
		if (was != now_leading && l->cb)
			l->cb(l->cb_ctx, now_leading, holder, why);
		/* candidates jitter their retries (client-go: JitterUntil), so two do not collide forever */
		next = l->retry_ms;
		if (!now_leading) {
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			next += (int64_t)((rng >> 33) % (uint64_t)(l->retry_ms / 5 + 1));
		}
		wait_ms(l, next);
	}
	return NULL;
}

int kube_lease_start(struct kube_lease *l, kube_lease_cb cb, void *ctx)
{
	int rc;

	l->cb = cb;
	l->cb_ctx = ctx;
	l->stop = false;
	rc = pthread_create(&l->thread, NULL, elector, l);
	if (rc)
		return -rc;
	l->running = true;
	return 0;
}

void kube_lease_stop(struct kube_lease *l)
{
	struct kube_error e;
	bool leading;

	if (!l->running)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	l->running = false;
	leading = kube_lease_leading(l);
	pthread_mutex_lock(&l->mu);
	l->leading = false;
	pthread_mutex_unlock(&l->mu);
	if (leading) {
		/* client-go's ReleaseOnCancel: clear the holder so a follower need not wait out the lease */
		struct buf p = BUF_INIT;
		json_t *obj = NULL, *spec;

		lease_path(l, &p, true);
		if (kube_get(l->kc, "get lease", p.data, &obj, &e) == 0 &&
		    (spec = json_object_get(obj, "spec")) != NULL &&
		    str_eq(json_string_value(json_object_get(spec, "holderIdentity")), l->identity)) {
			char *body;

			json_object_set_new(spec, "holderIdentity", json_string(""));
			json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
			json_object_set_new(spec, "renewTime", micro_time(time_real_ms()));
			body = json_dumps(obj, JSON_COMPACT);
			kube_send(l->kc, "release lease", "PUT", p.data, "application/json", body, NULL, &e);
			free(body);
		}
		json_decref(obj);
		buf_release(&p);
	}
}

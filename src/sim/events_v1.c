/*
 * events.k8s.io/v1 Events: the same objects as core/v1 Events (one store,
 * as in the API server), converted on the way in and out. create, get,
 * list (by namespace), patch, update, delete; watch is served on core/v1
 * only. The API server's required fields are checked (422).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sim/api.h"
#include "sim/patch.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define NOTE_MAX 1024

static json_t *core_json(struct simstate *s, const struct meta *m)
{
	struct buf b = BUF_INIT;
	json_t *j;

	render_obj(s, &b, m);
	j = json_loadb(b.data, b.len, 0, NULL);
	buf_release(&b);
	return j;
}

/* The core/v1 rendering as an events.k8s.io/v1 Event. */
static json_t *to_v1(struct simstate *s, const struct meta *m)
{
	json_t *c = core_json(s, m), *v = json_object();

	json_object_set_new(v, "kind", json_string("Event"));
	json_object_set_new(v, "apiVersion", json_string("events.k8s.io/v1"));
	json_object_set(v, "metadata", json_object_get(c, "metadata"));
	json_object_set(v, "eventTime", json_object_get(c, "eventTime"));
	if (json_object_get(c, "series"))
		json_object_set(v, "series", json_object_get(c, "series"));
	json_object_set(v, "reportingController", json_object_get(c, "reportingComponent"));
	json_object_set(v, "reportingInstance", json_object_get(c, "reportingInstance"));
	if (json_object_get(c, "action"))
		json_object_set(v, "action", json_object_get(c, "action"));
	json_object_set(v, "reason", json_object_get(c, "reason"));
	json_object_set(v, "regarding", json_object_get(c, "involvedObject"));
	json_object_set(v, "note", json_object_get(c, "message"));
	json_object_set(v, "type", json_object_get(c, "type"));
	json_object_set(v, "deprecatedSource", json_object_get(c, "source"));
	json_object_set(v, "deprecatedFirstTimestamp", json_object_get(c, "firstTimestamp"));
	json_object_set(v, "deprecatedLastTimestamp", json_object_get(c, "lastTimestamp"));
	json_object_set(v, "deprecatedCount", json_object_get(c, "count"));
	json_decref(c);
	return v;
}

static void reply(struct apireq *a, json_t *v)
{
	char *txt = json_dumps(v, JSON_COMPACT);

	buf_adds(&a->resp->body, txt ? txt : "{}");
	free(txt);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t micro(json_t *v)
{
	int64_t ms = 0;

	if (json_is_string(v))
		time_parse(json_string_value(v), &ms);
	return ms;
}

static int bad(struct apireq *a, const char *name, const char *what)
{
	api_status(a->resp, 422, "Invalid", "Event.events.k8s.io \"%s\" is invalid: %s", name, what);
	return -EINVAL;
}

/* The API server's validation of a new or changed Event. */
static int check(struct apireq *a, json_t *v, const char *name, bool core)
{
	json_t *reg = json_object_get(v, "regarding");
	const char *type = jstr(v, "type"), *note = jstr(v, "note");

	/* core/v1 Events keep the old rules: no reporting fields, action or eventTime required */
	if (!core && (!jstr(v, "reportingController") || !*jstr(v, "reportingController")))
		return bad(a, name, "reportingController: Required value");
	if (!core && (!jstr(v, "reportingInstance") || !*jstr(v, "reportingInstance")))
		return bad(a, name, "reportingInstance: Required value");
	if (!core && (!jstr(v, "action") || !*jstr(v, "action")))
		return bad(a, name, "action: Required value");
	if (!jstr(v, "reason") || !*jstr(v, "reason"))
		return bad(a, name, "reason: Required value");
	if (!core && !micro(json_object_get(v, "eventTime")))
		return bad(a, name, "eventTime: Required value");
	if (!type || (strcmp(type, "Normal") && strcmp(type, "Warning")))
		return bad(a, name, "type: Unsupported value: supported values: \"Normal\", \"Warning\"");
	if (note && strlen(note) > NOTE_MAX)
		return bad(a, name, "note: Too long: may not be more than 1024 bytes");
	if (!jstr(reg, "kind") || !jstr(reg, "name"))
		return bad(a, name, "regarding: kind and name: Required value");
	if (jstr(reg, "namespace") && *jstr(reg, "namespace") && strcmp(jstr(reg, "namespace"), a->ns))
		return bad(a, name, "regarding.namespace: Invalid value: does not match event.namespace");
	return 0;
}

/* Writes the changeable fields of v into e (series, note, times, labels). */
static void absorb(struct event *e, json_t *v)
{
	json_t *series = json_object_get(v, "series");
	const char *note = jstr(v, "note");

	free(e->message);
	e->message = xstrdup(note ? note : "");
	e->warning = str_eq(jstr(v, "type"), "Warning");
	e->api->event_time_ms = micro(json_object_get(v, "eventTime"));
	if (json_is_object(series)) {
		e->api->series_count = (int)json_integer_value(json_object_get(series, "count"));
		e->api->series_last_ms = micro(json_object_get(series, "lastObservedTime"));
	}
	e->count = e->api->series_count > 0 ? e->api->series_count : 1;
	e->last_ms = e->api->series_count ? e->api->series_last_ms : e->api->event_time_ms;
}

/* A core/v1 Event body in events.k8s.io/v1 terms (the fields the sim keeps). */
static json_t *from_core(json_t *c, int64_t now_ms)
{
	json_t *v = json_object(), *src = json_object_get(c, "source");
	int64_t t = micro(json_object_get(c, "eventTime"));
	const char *ctl = jstr(c, "reportingComponent");
	int count = (int)json_integer_value(json_object_get(c, "count"));
	char ts[RFC3339_MAX];

	if (!t)
		t = micro(json_object_get(c, "lastTimestamp"));
	if (!t)
		t = micro(json_object_get(c, "firstTimestamp"));
	if (!t)
		t = now_ms;
	time_rfc3339_ms(t, ts);
	json_object_set(v, "metadata", json_object_get(c, "metadata"));
	json_object_set_new(v, "eventTime", json_string(ts));
	json_object_set_new(v, "reportingController", json_string(ctl && *ctl ? ctl : jstr(src, "component") ?
								    jstr(src, "component") : ""));
	json_object_set_new(v, "reportingInstance", json_string(jstr(c, "reportingInstance") ?
								  jstr(c, "reportingInstance") : jstr(src, "host") ? jstr(src, "host") : ""));
	json_object_set_new(v, "action", json_string(jstr(c, "action") ? jstr(c, "action") : ""));
	json_object_set(v, "reason", json_object_get(c, "reason"));
	json_object_set(v, "regarding", json_object_get(c, "involvedObject"));
	json_object_set_new(v, "note", json_string(jstr(c, "message") ? jstr(c, "message") : ""));
	json_object_set_new(v, "type", json_string(jstr(c, "type") ? jstr(c, "type") : "Normal"));
	if (count > 1)
		json_object_set_new(v, "series", json_pack("{s:i,s:s}", "count", count, "lastObservedTime", ts));
	return v;
}

static void create(struct apireq *a, bool core)
{
	struct simstate *s = a->s;
	json_t *v = api_body_json(a->r, a->resp), *reg;
	const char *name, *gen;
	char *owned = NULL;
	struct event *e;

	if (!v)
		return;
	if (core) {
		json_t *c = v;

		v = from_core(c, s->now_ms);
		json_decref(c);
	}
	if (!a->ns) {
		api_status(a->resp, 405, "MethodNotAllowed", "create events in a namespace");
		goto out;
	}
	name = jstr(json_object_get(v, "metadata"), "name");
	gen = jstr(json_object_get(v, "metadata"), "generateName");
	pthread_mutex_lock(&s->mu);
	if ((!name || !*name) && gen && *gen && strlen(gen) < 200) {
		char *n = store_pod_name(s, gen);     /* "<gen>-xxxxx": drop the dash the helper adds */
		size_t gl = strlen(gen);

		owned = xstrdup(n);
		memmove(owned + gl, n + gl + 1, strlen(n + gl + 1) + 1);
		free(n);
		name = owned;
	}
	if (!name || !*name || strlen(name) > 253) {
		api_status(a->resp, 422, "Invalid", "Event.events.k8s.io \"\" is invalid: metadata.name: Required value");
	} else if (check(a, v, name, core) == 0) {
		if (!store_get(s, K_NAMESPACE, NULL, a->ns)) {
			api_status(a->resp, 404, "NotFound", "namespaces \"%s\" not found", a->ns);
		} else if (store_get(s, K_EVENT, a->ns, name)) {
			api_status(a->resp, 409, "AlreadyExists", "events.events.k8s.io \"%s\" already exists", name);
		} else {
			reg = json_object_get(v, "regarding");
			e = xcalloc(1, sizeof(*e));
			e->api = xcalloc(1, sizeof(*e->api));
			e->m.kind = K_EVENT;
			e->m.name = xstrdup(name);
			e->m.ns = store_intern(a->ns);
			e->m.created_ms = s->now_ms;
			e->inv_kind = K_POD;    /* unused: e->api names the kind */
			e->inv_name = xstrdup(jstr(reg, "name"));
			e->api->kind = xstrdup(jstr(reg, "kind"));
			e->api->api_version = xstrdup(jstr(reg, "apiVersion") ? jstr(reg, "apiVersion") : "");
			e->api->uid = xstrdup(jstr(reg, "uid") ? jstr(reg, "uid") : "");
			e->api->controller = xstrdup(jstr(v, "reportingController"));
			e->api->instance = xstrdup(jstr(v, "reportingInstance"));
			e->api->action = xstrdup(jstr(v, "action"));
			e->component = e->api->controller;
			e->reason = xstrdup(jstr(v, "reason"));
			absorb(e, v);
			e->first_ms = e->api->event_time_ms;
			if (!a->dry_run)
				store_add(s, &e->m);
			if (core) {
				render_obj(s, &a->resp->body, &e->m);
			} else {
				json_t *out = to_v1(s, &e->m);

				reply(a, out);
				json_decref(out);
			}
			if (a->dry_run)
				obj_free(&e->m);
			a->resp->status = 201;
		}
	}
	pthread_mutex_unlock(&s->mu);
out:
	free(owned);
	json_decref(v);
}

/* PATCH or PUT: v is the whole new object. */
static void change(struct apireq *a, struct meta *m, json_t *v)
{
	struct event *e = (struct event *)m;
	const char *rv = jstr(json_object_get(v, "metadata"), "resourceVersion");
	char cur[24];
	json_t *out;

	snprintf(cur, sizeof(cur), "%llu", (unsigned long long)m->rv);
	if (rv && *rv && strcmp(rv, cur)) {
		api_status(a->resp, 409, "Conflict", "Operation cannot be fulfilled on events.events.k8s.io \"%s\": the object "
			   "has been modified; please apply your changes to the latest version and try again", m->name);
		return;
	}
	if (!e->api) {
		api_status(a->resp, 422, "Invalid", "Event.events.k8s.io \"%s\" is invalid: the sim changes only Events "
			   "written through events.k8s.io", m->name);
		return;
	}
	if (check(a, v, m->name, false))
		return;
	if (!a->dry_run) {
		absorb(e, v);
		store_touch(a->s, m);
	}
	out = to_v1(a->s, m);
	reply(a, out);
	json_decref(out);
}

void events_core_create(struct apireq *a)
{
	create(a, true);
}

void events_v1(struct apireq *a)
{
	struct simstate *s = a->s;
	const char *method = a->r->method;
	struct meta *m;

	if (!strcmp(method, "POST") && !a->name) {
		create(a, false);
		return;
	}
	if (!strcmp(method, "GET") && !a->name) {
		const char *w = httpd_req_query(a->r, "watch");
		struct objlist *l = &s->lists[K_EVENT];
		bool first = true;

		if (w && (!strcmp(w, "true") || !strcmp(w, "1"))) {
			api_status(a->resp, 405, "MethodNotAllowed", "the sim serves watches of Events on core/v1 only");
			return;
		}
		pthread_mutex_lock(&s->mu);
		buf_adds(&a->resp->body, "{\"kind\":\"EventList\",\"apiVersion\":\"events.k8s.io/v1\",\"items\":[");
		for (size_t i = 0; i < l->n; i++) {
			json_t *v;
			char *txt;

			if (a->ns && strcmp(l->v[i]->ns ? l->v[i]->ns : "", a->ns))
				continue;
			v = to_v1(s, l->v[i]);
			txt = json_dumps(v, JSON_COMPACT);
			buf_addf(&a->resp->body, "%s%s", first ? "" : ",", txt);
			free(txt);
			json_decref(v);
			first = false;
		}
		buf_addf(&a->resp->body, "],\"metadata\":{\"resourceVersion\":\"%llu\"}}", (unsigned long long)s->rv);
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (!a->name) {
		api_status(a->resp, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
		return;
	}
	pthread_mutex_lock(&s->mu);
	m = store_get(s, K_EVENT, a->ns, a->name);
	if (!m) {
		api_not_found(a);
	} else if (!strcmp(method, "GET")) {
		json_t *v = to_v1(s, m);

		reply(a, v);
		json_decref(v);
	} else if (!strcmp(method, "DELETE")) {
		json_t *v = to_v1(s, m);

		reply(a, v);
		json_decref(v);
		if (!a->dry_run)
			store_remove(s, m);
	} else if (!strcmp(method, "PATCH")) {
		enum patch_type pt;
		json_t *v = to_v1(s, m);
		char err[300];

		if (patch_type_from_content_type(httpd_req_header(a->r, "Content-Type"), &pt))
			api_status(a->resp, 415, "UnsupportedMediaType", "unsupported patch type");
		else if (patch_apply(&v, pt, a->r->body, a->r->body_len, err, sizeof(err)))
			api_status(a->resp, 400, "BadRequest", "%s", err);
		else
			change(a, m, v);
		json_decref(v);
	} else if (!strcmp(method, "PUT")) {
		json_t *v = api_body_json(a->r, a->resp);

		if (v)
			change(a, m, v);
		json_decref(v);
	} else {
		api_status(a->resp, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
	}
	pthread_mutex_unlock(&s->mu);
}

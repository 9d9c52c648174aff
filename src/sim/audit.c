#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "sim/audit.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define MAX_SEGS 12

int sim_audit_open(struct sim_audit *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->mu, NULL);
	if (!path)
		return 0;
	a->f = fopen(path, "a");
	if (!a->f)
		return -errno;
	return 0;
}

void sim_audit_close(struct sim_audit *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
}

/* Splits path (after the leading '/') into at most MAX_SEGS segments of buf. */
static int split(const char *path, char *buf, size_t buflen, char **seg)
{
	int n = 0;
	char *p;

	str_copy(buf, path + (*path == '/'), buflen);
	p = buf;
	while (*p && n < MAX_SEGS) {
		char *slash = strchr(p, '/');

		seg[n++] = p;
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

/*
 * The request's verb as the API server names it: get/list/watch for reads
 * (a collection is listed), create, update, patch, delete and
 * deletecollection for writes.
 */
static const char *verb_of(const struct httpd_req *r, bool named)
{
	const char *w = httpd_req_query(r, "watch");

	if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) {
		if (w && (!strcmp(w, "true") || !strcmp(w, "1")))
			return "watch";
		return named ? "get" : "list";
	}
	if (!strcmp(r->method, "POST"))
		return "create";
	if (!strcmp(r->method, "PUT"))
		return "update";
	if (!strcmp(r->method, "PATCH"))
		return "patch";
	if (!strcmp(r->method, "DELETE"))
		return named ? "delete" : "deletecollection";
	return r->method;
}

static json_t *object_ref(char **seg, int n, bool *named)
{
	const char *group = "", *version;
	const char *ns = NULL, *res, *name = NULL, *sub = NULL;
	int i;
	json_t *o;

	*named = false;
	if (n >= 2 && !strcmp(seg[0], "api")) {
		version = seg[1];
		i = 2;
	} else if (n >= 3 && !strcmp(seg[0], "apis")) {
		group = seg[1];
		version = seg[2];
		i = 3;
	} else {
		return NULL;
	}
	if (i >= n)
		return NULL; /* discovery */
	if (!strcmp(seg[i], "namespaces") && i + 2 < n) {
		ns = seg[i + 1];
		i += 2;
	}
	res = seg[i];
	if (i + 1 < n)
		name = seg[i + 1];
	if (i + 2 < n)
		sub = seg[i + 2];
	*named = name != NULL;
	o = json_pack("{s:s}", "resource", res);
	if (ns)
		json_object_set_new(o, "namespace", json_string(ns));
	if (name)
		json_object_set_new(o, "name", json_string(name));
	if (sub)
		json_object_set_new(o, "subresource", json_string(sub));
	json_object_set_new(o, "apiGroup", json_string(group));
	json_object_set_new(o, "apiVersion", json_string(version));
	return o;
}

void sim_audit_request(struct sim_audit *a, const struct httpd_req *r,
		       const struct httpd_resp *resp, const char *user)
{
	char buf[2048], id[40], ts[RFC3339_MAX], *seg[MAX_SEGS], *line;
	const char *ua;
	json_t *ev, *ref;
	bool named = false;
	uint64_t seq;
	int n;

	if (!a->f || !str_starts_with(r->path, "/api"))
		return;
	n = split(r->path, buf, sizeof(buf), seg);
	ref = object_ref(seg, n, &named);
	ua = httpd_req_header(r, "User-Agent");
	pthread_mutex_lock(&a->mu);
	seq = ++a->seq;
	pthread_mutex_unlock(&a->mu);
	snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012llx", (unsigned long long)seq);
	time_rfc3339_ms(time_real_ms(), ts);
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}, s:s, s:{s:i}, s:s, s:s}",
		       "kind", "Event", "apiVersion", "audit.k8s.io/v1", "level", "Metadata",
		       "auditID", id, "stage", "ResponseComplete",
		       "requestURI", r->path,
		       "verb", verb_of(r, named),
		       "user", "username", user ? user : "system:anonymous",
		       "groups", "system:authenticated",
		       "userAgent", ua ? ua : "",
		       "responseStatus", "code", resp->status ? resp->status : 200,
		       "requestReceivedTimestamp", ts, "stageTimestamp", ts);
	if (!ev)
		return;
	if (ref)
		json_object_set_new(ev, "objectRef", ref);
	if (httpd_req_query(r, "dryRun"))
		json_object_set_new(ev, "annotations", json_pack("{s:s}", "kubemend.io/dry-run", "true"));
	line = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!line)
		return;
	pthread_mutex_lock(&a->mu);
	fputs(line, a->f);
	fputc('\n', a->f);
	fflush(a->f);
	pthread_mutex_unlock(&a->mu);
	free(line);
}

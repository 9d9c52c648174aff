#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/collect_check.h"
#include "metrics/prom.h"
#include "kube/client.h"
#include "kube/objects.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

struct checker {
	void (*report)(const struct check_result *r, void *ctx);
	void *ctx;
	int failed;
};

static void say(struct checker *k, bool ok, bool required, const char *name,
		const char *detail, const char *fix)
{
	struct check_result r = { ok, required, name, detail, fix };
	if (!ok && required)
		k->failed++;
	k->report(&r, k->ctx);
}

static const char *fix_for(const struct kube_error *e, const char *verb, const char *resource)
{
	static char fix[256];
	if (e->status == 401)
		return "the server refused the credentials: check the user's token, "
		       "certificate or exec plugin in the kubeconfig";
	if (e->status == 403) {
		snprintf(fix, sizeof(fix), "grant \"%s\" on \"%s\" to this user (see deploy/rbac.yaml)",
			 verb, resource);
		return fix;
	}
	if (e->status == 404)
		return "the server does not serve this API";
	if (e->status == 0)
		return "check that the server in the kubeconfig is reachable from here";
	return "see the message";
}

struct watch_probe {
	int lines;
};

static int first_line(const char *line, size_t len, void *ctx)
{
	(void)line;
	(void)len;
	((struct watch_probe *)ctx)->lines++;
	return 1;
}

static void check_watch(struct checker *k, struct kube_client *kc, const char *path,
			const char *resource, bool required)
{
	struct buf url = BUF_INIT, errbody = BUF_INIT;
	struct watch_probe p = { 0 };
	struct kube_error e;
	char herr[HTTP_ERRLEN], name[64], detail[KUBE_ERRMSG];
	long status = 0;
	char *full;
	int rc;

	snprintf(name, sizeof(name), "watch %s", resource);
	buf_addf(&url, "%s?watch=1&timeoutSeconds=1", path);
	full = kube_url(kc, url.data);
	rc = kube_client_auth(kc, &e);
	if (rc == 0)
		rc = http_stream(&kc->http, full, 16u << 20, first_line, &p, NULL, &status,
				 &errbody, herr, sizeof(herr));
	if (rc == 0 && status >= 200 && status <= 299) {
		say(k, true, required, name, "allowed", NULL);
	} else {
		memset(&e, 0, sizeof(e));
		e.status = status;
		if (rc < 0)
			snprintf(detail, sizeof(detail), "%s", herr);
		else {
			char msg[400] = "", reason[64] = "";
			json_t *j = errbody.len ? json_loadb(errbody.data, errbody.len, 0, NULL) : NULL;
			if (j)
				kube_status_message(j, msg, sizeof(msg), reason, sizeof(reason));
			json_decref(j);
			snprintf(detail, sizeof(detail), "%s: HTTP %ld %s%s%s", name, status,
				 reason[0] ? reason : "", msg[0] ? ": " : "", msg);
		}
		say(k, false, required, name, detail, fix_for(&e, "watch", resource));
	}
	free(full);
	buf_release(&url);
	buf_release(&errbody);
}

static bool check_list(struct checker *k, struct kube_client *kc, const char *path,
		       const char *resource, bool required, json_t **keep)
{
	struct buf p = BUF_INIT;
	struct kube_error e;
	char name[64], detail[128];
	json_t *j = NULL;
	int rc;

	snprintf(name, sizeof(name), "list %s", resource);
	buf_addf(&p, "%s?limit=1", path);
	rc = kube_get(kc, name, p.data, &j, &e);
	buf_release(&p);
	if (rc < 0) {
		say(k, false, required, name, e.msg, fix_for(&e, "list", resource));
		return false;
	}
	snprintf(detail, sizeof(detail), "allowed");
	say(k, true, required, name, detail, NULL);
	if (keep)
		*keep = j;
	else
		json_decref(j);
	return true;
}

int collect_check(const struct kube_config *cfg, const char *ns, const char *prom_url,
		  void (*report)(const struct check_result *r, void *ctx), void *ctx)
{
	struct checker k = { report, ctx, 0 };
	struct kube_client kc;
	struct kube_error e;
	struct http_opts o;
	struct buf b = BUF_INIT;
	char err[KUBE_ERRMSG];
	json_t *j = NULL, *nodes = NULL;
	char *pods_path, *events_path, *metrics_path;

	memset(&o, 0, sizeof(o));
	o.max_retries = 1;
	o.timeout_ms = 15000;
	buf_addf(&b, "context \"%s\", server %s, user \"%s\", from %s", cfg->context,
		 cfg->server, cfg->user, cfg->source);
	say(&k, true, true, "config", b.data, NULL);
	buf_release(&b);
	if (kube_client_init(&kc, cfg, &o, err, sizeof(err)) < 0) {
		say(&k, false, true, "client", err, "see the message");
		return k.failed;
	}
	/* /version answers anyone who can connect (and authenticate, on most clusters). */
	if (kube_get(&kc, "connect", "/version", &j, &e) < 0) {
			if (e.status == 0) {
			say(&k, false, true, "connection", e.msg, fix_for(&e, "get", "version"));
			kube_client_release(&kc);
			return k.failed;
		}
		buf_addf(&b, "the server answers (HTTP %ld)", e.status);
		say(&k, true, true, "connection", b.data, NULL);
		buf_release(&b);
		if (e.status == 401) {
			/* Nothing else can pass: say so once. */
			say(&k, false, true, "authentication", e.msg, fix_for(&e, "get", "/version"));
			kube_client_release(&kc);
			return k.failed;
		}
		if (e.status == 403)
			say(&k, true, true, "authentication", "accepted (GET /version is forbidden)", NULL);
		else
			say(&k, false, true, "connection", e.msg, "see the message");
	} else {
		const json_t *v = json_object_get(j, "gitVersion");
		buf_addf(&b, "server version %s", json_is_string(v) ? json_string_value(v) : "(unknown)");
		say(&k, true, true, "connection", b.data, NULL);
		buf_release(&b);
		say(&k, true, true, "authentication", "accepted", NULL);
	}
	json_decref(j);
	j = NULL;
	if (ns) {
		buf_addf(&b, "/api/v1/namespaces/%s/pods", ns);
		pods_path = buf_detach(&b, NULL);
		buf_addf(&b, "/api/v1/namespaces/%s/events", ns);
		events_path = buf_detach(&b, NULL);
		buf_addf(&b, "/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods", ns);
		metrics_path = buf_detach(&b, NULL);
	} else {
		pods_path = xstrdup("/api/v1/pods");
		events_path = xstrdup("/api/v1/events");
		metrics_path = xstrdup("/apis/metrics.k8s.io/v1beta1/pods");
	}
	check_list(&k, &kc, pods_path, "pods", true, NULL);
	check_watch(&k, &kc, pods_path, "pods", true);
	check_list(&k, &kc, "/api/v1/nodes", "nodes", true, &nodes);
	check_watch(&k, &kc, "/api/v1/nodes", "nodes", true);
	check_list(&k, &kc, events_path, "events", true, NULL);
	check_watch(&k, &kc, events_path, "events", true);
	if (kube_get(&kc, "metrics API", metrics_path, &j, &e) < 0)
		say(&k, false, false, "metrics API", e.msg, e.status == 404 ?
		    "install metrics-server; until then cpu and memory columns stay empty" :
		    fix_for(&e, "list", "pods.metrics.k8s.io"));
	else
		say(&k, true, false, "metrics API", "metrics.k8s.io/v1beta1 answers", NULL);
	json_decref(j);
	j = NULL;
	{
		const json_t *items = json_object_get(nodes, "items");
		const json_t *name = json_object_get(json_object_get(json_array_get(items, 0), "metadata"), "name");
		if (!json_is_string(name)) {
			say(&k, false, false, "node proxy", "no node to ask (cannot list nodes, or none)",
			    "grant list on nodes");
		} else {
			buf_addf(&b, "/api/v1/nodes/%s/proxy/stats/summary", json_string_value(name));
			if (kube_get(&kc, "node proxy", b.data, &j, &e) < 0)
				say(&k, false, false, "node proxy", e.msg,
				    e.status == 403 ? "grant get on nodes/proxy (network columns need it)" :
				    fix_for(&e, "get", "nodes/proxy"));
			else
				say(&k, true, false, "node proxy", "kubelet summary answers", NULL);
			buf_release(&b);
			json_decref(j);
		}
	}
	json_decref(nodes);
	if (prom_url) {
		struct prom_client pc;
		struct prom_result r;
		if (prom_client_init(&pc, prom_url, 10000, err, sizeof(err)) < 0) {
			say(&k, false, true, "prometheus", err, "fix --prometheus-url");
		} else {
			if (prom_query(&pc, "up", &r, err, sizeof(err)) < 0) {
				say(&k, false, true, "prometheus", err,
				    "start Prometheus or fix --prometheus-url / config/prometheus.yaml");
			} else {
				say(&k, true, true, "prometheus", prom_url, NULL);
				prom_result_release(&r);
			}
			prom_client_release(&pc);
		}
	}
	free(pods_path);
	free(events_path);
	free(metrics_path);
	kube_client_release(&kc);
	return k.failed;
}

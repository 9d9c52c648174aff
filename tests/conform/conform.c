/*
 * conform: kubemend's client against an API server, sim or real.
 *
 *   conform --target sim|real --kubeconfig FILE [--admin-kubeconfig FILE]
 *           [--nobody-kubeconfig FILE] [--only GROUP] [--rbac allowed|denied]
 *
 * GROUP: list-watch, writes, evict, kinds, kube, forbidden (default: all). With
 * --rbac the remediation actions run through remedy_execute() with the
 * kubeconfig's (ServiceAccount) credentials against objects the admin
 * made; see tests/apiserver/run.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "conform.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "kube/config.h"
#include "base/banned.h"

void result(struct conform *c, const char *check, bool pass, const char *fmt, ...)
{
	char detail[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	for (char *p = detail; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	printf("RESULT\t%s\t%s\t%s\n", check, pass ? "pass" : "fail", detail);
	fflush(stdout);
	if (!pass)
		c->failures++;
}

const json_t *jp(const json_t *o, const char *path)
{
	char seg[128];
	const char *p = path;

	while (o && *p) {
		size_t n = strcspn(p, ".");
		char *end;
		long idx;

		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		p += n + (p[n] == '.');
		if (json_is_array(o)) {
			idx = strtol(seg, &end, 10);
			o = *end ? NULL : json_array_get(o, (size_t)idx);
		} else {
			o = json_object_get(o, seg);
		}
	}
	return o;
}

const char *jps(const json_t *o, const char *path)
{
	const char *s = json_string_value(jp(o, path));
	return s ? s : "";
}

long long jpi(const json_t *o, const char *path)
{
	const json_t *v = jp(o, path);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

json_t *get(struct kube_client *kc, const char *path, struct kube_error *e)
{
	json_t *out = NULL;
	struct kube_error dummy;

	if (kube_get(kc, "get", path, &out, e ? e : &dummy) < 0)
		return NULL;
	return out;
}

int sendj(struct kube_client *kc, const char *method, const char *path, const char *ctype,
	  json_t *body, json_t **out, struct kube_error *e)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct kube_error dummy;
	int rc;

	json_decref(body);
	rc = kube_send(kc, method, method, path, ctype ? ctype : "application/json", text, out,
		       e ? e : &dummy);
	free(text);
	return rc;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("conform: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void now_rfc3339(char *out, size_t n)
{
	char b[RFC3339_MAX];
	time_rfc3339(time_real_ms(), b);
	str_copy(out, b, n);
}

/* The stand-in kubelet: what a node agent would do to the test's pods. */
void kubelet_tick(struct conform *c)
{
	struct buf p = BUF_INIT;
	static unsigned turn;          /* round robin over the two nodes, across ticks */
	json_t *list, *item;
	size_t i;

	if (!c->real)
		return;
	buf_addf(&p, "/api/v1/namespaces/%s/pods", c->ns);
	list = get(c->admin, p.data, NULL);
	json_array_foreach(json_object_get(list, "items"), i, item) {
		const char *name = jps(item, "metadata.name");
		const char *phase = jps(item, "status.phase");
		struct buf q = BUF_INIT;
		char ts[RFC3339_MAX];

		if (jp(item, "metadata.deletionTimestamp")) {
			buf_addf(&q, "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", c->ns, name);
			sendj(c->admin, "DELETE", q.data, NULL, NULL, NULL, NULL);
		} else if (!*jps(item, "spec.nodeName")) {
			buf_addf(&q, "/api/v1/namespaces/%s/pods/%s/binding", c->ns, name);
			sendj(c->admin, "POST", q.data, NULL, json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}}",
			      "apiVersion", "v1", "kind", "Binding", "metadata", "name", name,
			      "target", "apiVersion", "v1", "kind", "Node",
			      "name", turn++ % 2 ? c->node2 : c->node), NULL, NULL);
		} else if (strcmp(phase, "Running") || !jp(item, "status.containerStatuses")) {
			json_t *cs = json_array(), *ctr;
			size_t k;

			now_rfc3339(ts, sizeof(ts));
			json_array_foreach(jp(item, "spec.containers"), k, ctr)
				json_array_append_new(cs, json_pack("{s:s, s:s, s:s, s:b, s:b, s:i, s:{s:{s:s}}}",
					"name", jps(ctr, "name"), "image", jps(ctr, "image"), "imageID", "",
					"ready", 1, "started", 1, "restartCount", 0,
					"state", "running", "startedAt", ts));
			buf_addf(&q, "/api/v1/namespaces/%s/pods/%s/status", c->ns, name);
			sendj(c->admin, "PATCH", q.data, "application/merge-patch+json",
			      json_pack("{s:{s:s, s:s, s:s, s:o, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}}",
					"status", "phase", "Running", "startTime", ts, "podIP", "10.1.0.9",
					"containerStatuses", cs,
					"conditions", "type", "PodScheduled", "status", "True",
					"type", "Ready", "status", "True",
					"type", "ContainersReady", "status", "True"), NULL, NULL);
		}
		buf_release(&q);
	}
	json_decref(list);
	buf_release(&p);
}

bool wait_for(struct conform *c, int timeout_ms, bool (*cond)(struct conform *c, void *arg), void *arg)
{
	int64_t end = time_mono_ms() + timeout_ms;

	for (;;) {
		kubelet_tick(c);
		if (cond(c, arg))
			return true;
		if (time_mono_ms() >= end)
			return false;
		usleep(200 * 1000);
	}
}

int ready_pods(struct conform *c, json_t **names)
{
	struct buf p = BUF_INIT;
	json_t *list, *item;
	size_t i;
	int n = 0;

	buf_addf(&p, "/api/v1/namespaces/%s/pods?labelSelector=", c->ns);
	http_add_query_escaped(&p, c->selector);
	list = get(c->admin, p.data, NULL);
	buf_release(&p);
	if (names)
		*names = json_array();
	json_array_foreach(json_object_get(list, "items"), i, item) {
		const json_t *cond, *conds = jp(item, "status.conditions");
		bool ready = false;
		size_t k;

		json_array_foreach(conds, k, cond)
			if (!strcmp(jps(cond, "type"), "Ready") && !strcmp(jps(cond, "status"), "True"))
				ready = true;
		if (!ready || strcmp(jps(item, "status.phase"), "Running") ||
		    jp(item, "metadata.deletionTimestamp"))
			continue;
		n++;
		if (names)
			json_array_append_new(*names, json_string(jps(item, "metadata.name")));
	}
	json_decref(list);
	return n;
}

static bool all_ready(struct conform *c, void *arg)
{
	(void)arg;
	return ready_pods(c, NULL) >= c->replicas;
}

static bool sa_exists(struct conform *c, void *arg)
{
	struct buf p = BUF_INIT;
	json_t *o;

	(void)arg;
	buf_addf(&p, "/api/v1/namespaces/%s/serviceaccounts/default", c->ns);
	o = get(c->admin, p.data, NULL);
	buf_release(&p);
	json_decref(o);
	return o != NULL;
}

static void must(int rc, const struct kube_error *e, const char *what)
{
	if (rc < 0 && !(e->status == 409 && strstr(e->reason, "AlreadyExists")))
		die("setup: %s: %s", what, e->msg);
}

/* Reads the test Deployment's selector, replicas and first container. */
static void read_deployment(struct conform *c)
{
	struct buf p = BUF_INIT;
	struct kube_error e;
	json_t *d, *ml;
	const char *k;
	json_t *v;

	buf_addf(&p, "/apis/apps/v1/namespaces/%s/deployments/%s", c->ns, c->dep);
	d = get(c->admin, p.data, &e);
	if (!d)
		die("setup: %s", e.msg);
	ml = (json_t *)jp(d, "spec.selector.matchLabels");
	json_decref(c->match_labels);
	c->match_labels = json_deep_copy(ml);
	c->selector[0] = '\0';
	json_object_foreach(ml, k, v) {
		size_t n = strlen(c->selector);
		snprintf(c->selector + n, sizeof(c->selector) - n, "%s%s=%s", n ? "," : "", k,
			 json_string_value(v));
	}
	c->replicas = (int)jpi(d, "spec.replicas");
	str_copy(c->container, jps(d, "spec.template.spec.containers.0.name"), sizeof(c->container));
	json_decref(d);
	buf_release(&p);
}

void setup_real(struct conform *c)
{
	struct kube_error e;
	const char *nodes[2] = { "conform-node-a", "conform-node-b" };
	int rc;

	str_copy(c->ns, "conform", sizeof(c->ns));
	str_copy(c->dep, "web", sizeof(c->dep));
	str_copy(c->node, nodes[0], sizeof(c->node));
	str_copy(c->node2, nodes[1], sizeof(c->node2));
	rc = sendj(c->admin, "POST", "/api/v1/namespaces", NULL, json_pack("{s:s, s:s, s:{s:s}}",
		   "apiVersion", "v1", "kind", "Namespace", "metadata", "name", c->ns), NULL, &e);
	must(rc, &e, "create namespace");
	for (int i = 0; i < 2; i++) {
		struct buf p = BUF_INIT;
		json_t *res = json_pack("{s:s, s:s, s:s}", "cpu", "4", "memory", "8Gi", "pods", "110");
		rc = sendj(c->admin, "POST", "/api/v1/nodes", NULL,
			   json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "Node",
				     "metadata", "name", nodes[i], "labels", "kubernetes.io/hostname", nodes[i]),
			   NULL, &e);
		must(rc, &e, "create node");
		buf_addf(&p, "/api/v1/nodes/%s/status", nodes[i]);
		rc = sendj(c->admin, "PATCH", p.data, "application/merge-patch+json",
			   json_pack("{s:{s:O, s:o, s:[{s:s, s:s, s:s, s:s}]}}", "status", "capacity", res,
				     "allocatable", res, "conditions", "type", "Ready", "status", "True",
				     "reason", "KubeletReady", "message", "the conformance suite stands in"),
			   NULL, &e);
		must(rc, &e, "set node status");
		buf_release(&p);
	}
	if (!wait_for(c, 60000, sa_exists, NULL))
		die("setup: the controller-manager made no default ServiceAccount in %s", c->ns);
	rc = sendj(c->admin, "POST", "/apis/apps/v1/namespaces/conform/deployments", NULL, json_pack(
		"{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:i, s:{s:{s:s}}, s:{s:{s:{s:s}},"
		" s:{s:[{s:s, s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}}, {s:s, s:s}]}}}}",
		"apiVersion", "apps/v1", "kind", "Deployment",
		"metadata", "name", c->dep, "labels", "app", c->dep,
		"spec", "replicas", 3, "selector", "matchLabels", "app", c->dep,
		"template", "metadata", "labels", "app", c->dep,
		"spec", "containers", "name", "app", "image", "registry.invalid/web:1",
		"resources", "requests", "cpu", "100m", "memory", "64Mi",
		"limits", "cpu", "200m", "memory", "128Mi",
		"name", "sidecar", "image", "registry.invalid/sidecar:1"), NULL, &e);
	must(rc, &e, "create deployment");
	read_deployment(c);
	if (!wait_for(c, 90000, all_ready, NULL))
		die("setup: the deployment's pods did not become Ready (%d of %d)",
		    ready_pods(c, NULL), c->replicas);
}

/* The sim brings its own workload: take the first Deployment whose pods are
 * all Ready, and a node that runs pods. */
void setup_sim(struct conform *c)
{
	struct kube_error e;
	json_t *deps = get(c->admin, "/apis/apps/v1/deployments", &e), *d;
	json_t *nodes;
	size_t i;

	if (!deps)
		die("setup: %s", e.msg);
	json_array_foreach(json_object_get(deps, "items"), i, d) {
		if (jpi(d, "spec.replicas") < 3 || !strcmp(jps(d, "metadata.namespace"), "kube-system"))
			continue;
		str_copy(c->ns, jps(d, "metadata.namespace"), sizeof(c->ns));
		str_copy(c->dep, jps(d, "metadata.name"), sizeof(c->dep));
		read_deployment(c);
		if (ready_pods(c, NULL) >= c->replicas)
			break;
		c->dep[0] = '\0';
	}
	json_decref(deps);
	if (!c->dep[0])
		die("setup: the sim has no Deployment of 3 or more Ready pods");
	nodes = get(c->admin, "/api/v1/nodes", &e);
	if (json_array_size(json_object_get(nodes, "items")) < 2)
		die("setup: the sim needs two nodes");
	str_copy(c->node, jps(nodes, "items.0.metadata.name"), sizeof(c->node));
	str_copy(c->node2, jps(nodes, "items.1.metadata.name"), sizeof(c->node2));
	json_decref(nodes);
}

static int load(const char *file, struct kube_config *cfg, struct kube_client *kc)
{
	struct kube_config_opts o;
	struct http_opts ho;
	char err[512];

	memset(&o, 0, sizeof(o));
	memset(&ho, 0, sizeof(ho));
	o.kubeconfig = file;
	o.allow_http_token = "1";      /* the sim is plain HTTP on loopback; its users are tokens */
	ho.timeout_ms = 30000;
	ho.max_retries = -1;    /* a check sees each answer as the server gave it */
	if (kube_config_load(cfg, &o, err, sizeof(err)) < 0 ||
	    kube_client_init(kc, cfg, &ho, err, sizeof(err)) < 0)
		die("%s", err);
	return 0;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *kcf = NULL, *adminf = NULL, *nobodyf = NULL, *only = NULL;
	const char *rbac = NULL;
	struct kube_config cfg, acfg, ncfg;
	struct kube_client kc, admin, nobody;
	struct conform c;

	memset(&c, 0, sizeof(c));
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--target")) target = argv[i + 1];
		else if (!strcmp(argv[i], "--kubeconfig")) kcf = argv[i + 1];
		else if (!strcmp(argv[i], "--admin-kubeconfig")) adminf = argv[i + 1];
		else if (!strcmp(argv[i], "--nobody-kubeconfig")) nobodyf = argv[i + 1];
		else if (!strcmp(argv[i], "--only")) only = argv[i + 1];
		else if (!strcmp(argv[i], "--rbac")) rbac = argv[i + 1];
		else die("unknown flag %s", argv[i]);
	}
	if (!target || !kcf || (strcmp(target, "sim") && strcmp(target, "real")))
		die("usage: conform --target sim|real --kubeconfig FILE [--admin-kubeconfig FILE] "
		    "[--nobody-kubeconfig FILE] [--only GROUP] [--rbac allowed|denied]");
	c.real = !strcmp(target, "real");
	load(kcf, &cfg, &kc);
	c.kc = &kc;
	c.cfg = &cfg;
	c.admin = &kc;
	if (adminf) {
		load(adminf, &acfg, &admin);
		c.admin = &admin;
	}
	if (nobodyf) {
		load(nobodyf, &ncfg, &nobody);
		c.nobody = &nobody;
	}
	if (c.real)
		setup_real(&c);
	else
		setup_sim(&c);
	fprintf(stderr, "conform: %s: namespace %s, deployment %s (%d replicas, selector %s), "
		"nodes %s %s\n", target, c.ns, c.dep, c.replicas, c.selector, c.node, c.node2);
	if (rbac) {
		checks_rbac(&c, !strcmp(rbac, "allowed"));
	} else {
		if (!only || !strcmp(only, "list-watch"))
			checks_list_watch(&c);
		if (!only || !strcmp(only, "evict"))
			checks_evict(&c);
		if (!only || !strcmp(only, "writes"))
			checks_writes(&c);
		if (!only || !strcmp(only, "kinds"))
			checks_kinds(&c);
		if (!only || !strcmp(only, "kube"))
			checks_kube(&c);
		if (!only || !strcmp(only, "forbidden"))
			checks_forbidden(&c);
		if (!only || !strcmp(only, "protocol"))
			checks_protocol(&c);
	}
	json_decref(c.match_labels);
	if (c.nobody) {
		kube_client_release(&nobody);
		kube_config_release(&ncfg);
	}
	if (c.admin != &kc) {
		kube_client_release(&admin);
		kube_config_release(&acfg);
	}
	kube_client_release(&kc);
	kube_config_release(&cfg);
	return c.failures ? 1 : 0;
}

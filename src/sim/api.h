#ifndef SIM_API_H
#define SIM_API_H
/*
 * The simulated API server's request handling, split by concern: api.c
 * (routing, auth, discovery, Status errors), api_list.c (get, list, watch,
 * Table), api_write.c (delete, patch, update, create, eviction, scale),
 * metrics.c (metrics.k8s.io, kubelet summary, Prometheus). Handlers borrow
 * the request; everything they allocate goes into the response or is freed.
 * Internal to src/sim/.
 */
#include <stdbool.h>
#include <jansson.h>
#include "net/httpd.h"
#include "sim/store.h"

struct resdef {
	const char *group;      /* "" for the core group */
	const char *version;
	const char *name;       /* plural, as in the URL */
	const char *singular;
	enum kind kind;
	bool namespaced;
	const char *verbs;      /* JSON array text */
	const char *shortnames; /* JSON array text or NULL */
};

struct apireq {
	struct simstate *s;
	const struct httpd_req *r;
	struct httpd_resp *resp;
	const struct resdef *res;
	const char *ns;         /* from the path, or NULL */
	const char *name;       /* object name, or NULL for a collection */
	const char *sub;        /* subresource ("scale", "eviction", "proxy"...) or NULL */
	const char *rest;       /* the path after the subresource (node proxy), or NULL */
	bool dry_run;
};

/* The i-th built-in (simulated) resource, NULL past the end. */
const struct resdef *api_builtin(size_t i);

/* Checks DELETE's DeleteOptions.preconditions (uid, resourceVersion) against
 * m, answering 409 and returning false when they fail; takes its dryRun. */
bool api_delete_preconditions(struct apireq *a, const struct meta *m);

/* A Status error body with code and reason. */
void api_status(struct httpd_resp *resp, int code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void api_not_found(struct apireq *a);
bool api_wants_table(const struct httpd_req *r);
/* The request body as a JSON object (JSON or Kubernetes protobuf), or NULL with an error response set. */
json_t *api_body_json(const struct httpd_req *r, struct httpd_resp *resp);

void api_get(struct apireq *a);
void api_list(struct apireq *a);
void api_delete(struct apireq *a);
void api_patch(struct apireq *a);
void api_update(struct apireq *a);
void api_create(struct apireq *a);
void api_scale(struct apireq *a);
void api_eviction(struct apireq *a);
/* pods/NAME/log (podlog.c): the container's made-up log, previous=true, tailLines */
void api_pod_log(struct apireq *a);
/* events_v1.c: events.k8s.io/v1, the same store as core/v1 Events */
void events_v1(struct apireq *a);
/* POST of a core/v1 Event (the same store) */
void events_core_create(struct apireq *a);

/* metrics.c */
void metrics_api(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp,
		 const char *path);
void metrics_summary(struct simstate *s, struct httpd_resp *resp, const char *node);
void metrics_prometheus(struct simstate *s, struct httpd_resp *resp);
/* The kubelet's cAdvisor metrics of one node (its pods' network counters,
 * with the virtual clock's timestamps), as the node proxy serves them. */
void metrics_cadvisor(struct simstate *s, struct httpd_resp *resp, const char *node);

/* paging: continue tokens */
char *cont_encode(uint64_t rv, const char *ns, const char *name);
/* 0 or -EINVAL; *ns and *name are malloc'd (ns may be empty). */
int cont_decode(const char *tok, uint64_t *rv, char **ns, char **name);

#endif

#ifndef CONFORM_H
#define CONFORM_H
/*
 * The client conformance suite: the same checks of kubemend's own client
 * (src/kube/, src/remedy/) against `kubemend sim` and against a real
 * kube-apiserver. Every check prints one line "RESULT<TAB>name<TAB>pass|fail
 * <TAB>detail"; tests/apiserver/run.sh puts the two runs side by side.
 * Everything here is test code: it exits on setup failures.
 */
#include <stdbool.h>
#include <jansson.h>
#include "kube/client.h"

struct conform {
	bool real;                      /* a real API server: act as kubelet, make the objects */
	struct kube_client *kc;         /* the client under test */
	struct kube_client *admin;      /* setup and the stand-in kubelet (may be kc) */
	struct kube_client *nobody;     /* an authenticated user with no rights (or NULL) */
	const struct kube_config *cfg;
	char ns[128], dep[128], node[128], node2[128];
	char container[128];
	char selector[256];             /* the Deployment's matchLabels as a labelSelector */
	json_t *match_labels;           /* owned */
	int replicas;
	int failures;
};

/* Reports one check. */
void result(struct conform *c, const char *check, bool pass, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* JSON at a dotted path ("spec.template.spec.containers.0.name"), or NULL. */
const json_t *jp(const json_t *o, const char *path);
const char *jps(const json_t *o, const char *path);   /* the string there, or "" */
long long jpi(const json_t *o, const char *path);     /* the integer there, or -1 */

/* GET into a new object (NULL on error, with e filled). */
json_t *get(struct kube_client *kc, const char *path, struct kube_error *e);
/* A request with a JSON body built by json_pack; the body is stolen. */
int sendj(struct kube_client *kc, const char *method, const char *path, const char *ctype,
	  json_t *body, json_t **out, struct kube_error *e);

/* The stand-in kubelet (real servers only): binds unscheduled pods, makes
 * bound ones Running and Ready, finishes graceful deletions. */
void kubelet_tick(struct conform *c);
/* Polls cond every 200 ms (running the kubelet) until true or timeout_ms. */
bool wait_for(struct conform *c, int timeout_ms, bool (*cond)(struct conform *c, void *arg), void *arg);

/* The pods of the test Deployment that are Running, Ready and not deleting. */
int ready_pods(struct conform *c, json_t **names);

void setup_real(struct conform *c);
void setup_sim(struct conform *c);

void checks_list_watch(struct conform *c);
void checks_writes(struct conform *c);
void checks_evict(struct conform *c);
void checks_kinds(struct conform *c);
void checks_forbidden(struct conform *c);
void checks_kube(struct conform *c);
/* The HTTP version negotiated and the connections a concurrent batch used. */
void checks_protocol(struct conform *c);
/* The remediation actions through remedy_execute(), as kubemend runs them:
 * expect "done" (remediate role) or 403s naming the permission (observe). */
void checks_rbac(struct conform *c, bool allowed);

#endif

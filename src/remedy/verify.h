#ifndef REMEDY_VERIFY_H
#define REMEDY_VERIFY_H
/*
 * Watching an action's target for a while after it ran, to say whether it
 * worked: the pod was replaced and the replacement is ready, restarts
 * stopped, the new limit is in place without new OOM kills, the replicas
 * are available, the node is cordoned or drained. Owns nothing but the
 * verification object handed back.
 */
#include <stdint.h>
#include <jansson.h>
#include "kube/client.h"
#include "remedy/action.h"

enum verdict { VERDICT_SUCCEEDED, VERDICT_FAILED, VERDICT_UNVERIFIED };

/* "succeeded", "failed", "unverified": the history's statuses. */
const char *verdict_name(enum verdict v);

struct verify_opts {
	int64_t window_ms;              /* how long to watch (default 2 min) */
	int64_t poll_ms;                /* between reads (default 2 s) */
	const volatile int *stop;       /* ends the watch early: unverified */
	const char *anomaly_type;       /* the insight's ("network": its error counters must stand still), or NULL */
	/* a scale for a CPU insight: the most one pod uses when normal (the
	 * detector's expected range of cpu_mcores), cores; 0: unknown, not judged */
	double cpu_normal_cores;
};

/*
 * Watches p's target. result is what remedy_execute() recorded (it names
 * the operation, the replaced pod's uid, the Deployment). *verification
 * gets a new object saying what was watched and seen.
 */
enum verdict remedy_verify(struct kube_client *kc, const struct proposal *p,
			   const json_t *result, const struct verify_opts *o,
			   json_t **verification);

#endif

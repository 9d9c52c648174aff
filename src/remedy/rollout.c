#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/str.h"
#include "base/timeutil.h"
#include "remedy/rollout.h"
#include "base/banned.h"

bool rollout_is_bad(struct kube_client *kc, const struct insight *in,
		    const struct target_state *st, char *why, size_t n)
{
	struct revision_health h;
	struct kube_error e = { 0 };
	bool ours = false;
	size_t len = strlen(st->cur_rs);

	if (!st->prev_revision || !st->prev_rs[0]) {
		snprintf(why, n, "no rollback: deployment %s/%s has no revision before %lld to go back to",
			 in->namespace_, in->owner_name, st->revision);
		return false;
	}
	for (size_t i = 0; len && i < in->npods; i++)
		ours |= !strncmp(in->pods[i], st->cur_rs, len) && in->pods[i][len] == '-';
	if (!ours) {
		snprintf(why, n, "no rollback: the failing pods are not of the newest revision %lld "
			 "(replicaset %s) of %s/%s", st->revision, st->cur_rs[0] ? st->cur_rs : "?",
			 in->namespace_, in->owner_name);
		return false;
	}
	if (target_revision_health(kc, in->namespace_, in->owner_name, st->cur_rs, &h, &e)) {
		snprintf(why, n, "no rollback: the pods of revision %lld cannot be read: %s", st->revision, e.msg);
		return false;
	}
	if (!h.failing || (h.oldest_ok_ms && h.last_failure_ms &&
			   h.last_failure_ms - h.oldest_ok_ms >= RELEASE_RUNS_MS)) {
		snprintf(why, n, "no rollback: %d of %d pods of the newest revision %lld (replicaset %s) "
			 "fail and another has run without failing for %lld min or more: the release itself "
			 "runs", h.failing, h.pods, st->revision, st->cur_rs, RELEASE_RUNS_MS / 60000);
		return false;
	}
	if (!st->old_replicas && (!h.last_failure_ms || !st->cur_rs_created_ms ||
				  h.last_failure_ms - st->cur_rs_created_ms > ROLLBACK_WINDOW_MS)) {
		snprintf(why, n, "no rollback: revision %lld (replicaset %s) rolled out completely more "
			 "than %lld min before its pods' latest failure: the release is not the likely cause",
			 st->revision, st->cur_rs, ROLLBACK_WINDOW_MS / 60000);
		return false;
	}
	return true;
}

struct cap_ctx {
	double cpu, mem;        /* the largest allocatable of a schedulable node */
	int nodes;
};

static int on_node(const json_t *item, void *ctx)
{
	struct cap_ctx *c = ctx;
	const json_t *a = json_object_get(json_object_get(item, "status"), "allocatable");
	const char *cpu = json_string_value(json_object_get(a, "cpu"));
	const char *mem = json_string_value(json_object_get(a, "memory"));
	double v;

	if (json_is_true(json_object_get(json_object_get(item, "spec"), "unschedulable")))
		return 0;
	c->nodes++;
	if (cpu && str_to_quantity(cpu, &v) == 0 && v > c->cpu)
		c->cpu = v;
	if (mem && str_to_quantity(mem, &v) == 0 && v > c->mem)
		c->mem = v;
	return 0;
}

/*
 * The capacity an unschedulable workload misses: its pods' requests against
 * the largest schedulable node's allocatable resources (what no request
 * lowering within the policy could fix, a person can: add or grow nodes).
 */
static void capacity_missing(struct kube_client *kc, const struct insight *in, json_t *params,
			     struct buf *msg)
{
	struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = in->namespace_,
			      .name = in->owner_name };
	struct target_state st;
	struct cap_ctx c = { 0, 0, 0 };
	struct kube_error e = { 0 };
	char a[32], b[32];

	if (target_observe(kc, &p, NULL, &st, &e) ||
	    kube_list(kc, "list nodes", "/api/v1/nodes", 500, on_node, NULL, &c, NULL, 0, &e) || !c.nodes)
		return;
	json_object_set_new(params, "capacity", json_pack("{s:f, s:f, s:f, s:f, s:i}",
		"pod_cpu_request", isfinite(st.cpu_request_v) ? st.cpu_request_v : 0,
		"pod_memory_request", isfinite(st.mem_request_v) ? st.mem_request_v : 0,
		"largest_node_cpu", c.cpu, "largest_node_memory", c.mem, "schedulable_nodes", c.nodes));
	quantity_cores(c.cpu, a, sizeof(a));
	quantity_bytes(c.mem, b, sizeof(b));
	buf_addf(msg, ". Capacity: each pod requests %s cpu and %s memory; the largest of %d schedulable "
		 "nodes allocates %s cpu and %s memory", st.cpu_request[0] ? st.cpu_request : "no",
		 st.mem_request[0] ? st.mem_request : "no", c.nodes, a, b);
	if (isfinite(st.cpu_request_v) && st.cpu_request_v > c.cpu) {
		quantity_cores(st.cpu_request_v - c.cpu, a, sizeof(a));
		buf_addf(msg, ": %s cpu per node is missing", a);
	}
	if (isfinite(st.mem_request_v) && st.mem_request_v > c.mem) {
		quantity_bytes(ceil((st.mem_request_v - c.mem) / 1048576.0) * 1048576.0, b, sizeof(b));
		buf_addf(msg, "%s %s memory per node is missing",
			 isfinite(st.cpu_request_v) && st.cpu_request_v > c.cpu ? " and" : ":", b);
	}
}

void failure_evidence(struct kube_client *kc, const struct insight *in, json_t *params,
		      struct buf *msg)
{
	struct revision_health h;
	struct kube_error e = { 0 };
	char when[RFC3339_MAX] = "";
	json_t *t;

	if (!in->namespace_ || !str_eq(in->owner_kind, "Deployment") || !in->owner_name ||
	    !(str_eq(in->anomaly_type, "crash_loop") || str_eq(in->anomaly_type, "image_pull") ||
	      str_eq(in->anomaly_type, "oom") || str_eq(in->anomaly_type, "scheduling")))
		return;
	if (target_revision_health(kc, in->namespace_, in->owner_name, NULL, &h, &e) || !h.failing)
		return;
	if (h.last_failure_ms)
		time_rfc3339_ms(h.last_failure_ms, when);
	t = json_pack("{s:i, s:i, s:s, s:s?, s:s}", "pods", h.pods, "failing", h.failing,
		      "reason", h.reason, "message", h.message[0] ? h.message : NULL, "pod", h.pod);
	if (h.exit_code >= 0)
		json_object_set_new(t, "exit_code", json_integer(h.exit_code));
	if (when[0])
		json_object_set_new(t, "finished_at", json_string(when));
	json_object_set_new(params, "termination", t);
	/* the evidence in the sentence a person reads first */
	buf_addf(msg, ". Evidence: %d of %d pods fail", h.failing, h.pods);
	if (h.reason[0])
		buf_addf(msg, ", %s", h.reason);
	if (h.exit_code >= 0)
		buf_addf(msg, " with exit code %d", h.exit_code);
	if (when[0])
		buf_addf(msg, " (last at %s)", when);
	if (h.message[0])
		buf_addf(msg, ": %s", h.message);
	if (str_eq(in->anomaly_type, "scheduling"))
		capacity_missing(kc, in, params, msg);
}

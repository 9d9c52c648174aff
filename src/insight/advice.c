#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/str.h"
#include "insight/advice.h"
#include "base/banned.h"

#define MI (1024.0 * 1024.0)

static bool known(double v)
{
	return isfinite(v) && v > 0;
}

static void target_workload(const struct insight *in, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", in->namespace_ ? in->namespace_ : "",
		 in->owner_name ? in->owner_name : "");
}

static void target_pod(const struct insight *in, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", in->namespace_ ? in->namespace_ : "",
		 in->npods ? in->pods[0] : "");
}

static bool is_deployment(const struct insight *in)
{
	return in->owner_kind && !strcmp(in->owner_kind, "Deployment") && in->owner_name;
}

/*
 * Memory limit after a step, rounded up to 16 MiB. After an OOM kill the
 * real demand is unknown (the kernel kills before it shows), so the step is
 * the policy's default factor, 2x. Otherwise: enough for the peak with 25%
 * headroom, at least 1.5x, at most 2x.
 */
static double next_mem_limit(const struct workload_facts *wf, bool oom)
{
	double want = known(wf->mem_peak) ? wf->mem_peak * 1.25 : 0;
	double lim = wf->mem_limit * 1.5;

	if (oom || (known(wf->mem_peak) && wf->mem_peak >= wf->mem_limit * 0.9))
		want = wf->mem_limit * 2;
	if (want > lim)
		lim = want;
	if (lim > wf->mem_limit * 2)
		lim = wf->mem_limit * 2;
	return ceil(lim / (16 * MI)) * 16 * MI;
}

static void add_restart(struct insight *in, const char *why, const char *risk)
{
	char t[256];

	target_pod(in, t, sizeof(t));
	insight_add_recommendation(in, "restart_pod", "Pod", t, NULL, why, risk);
}

static double ceil_mi(double v)
{
	return ceil(v / MI) * MI;
}

/*
 * After an OOM kill: the memory a container needs, by the rule Kubernetes'
 * Vertical Pod Autoscaler applies to an OOM (the demand is at least what it
 * had when killed: its limit; +20% or +100 MiB, whichever is more), from the
 * peak = max(highest working set seen, the request, the limit it was killed
 * at), rounded up to a MiB.
 */
static double oom_target(const struct workload_facts *wf)
{
	double peak = 0;

	if (known(wf->mem_peak))
		peak = wf->mem_peak;
	if (known(wf->mem_request) && wf->mem_request > peak)
		peak = wf->mem_request;
	if (known(wf->mem_limit) && wf->mem_limit > peak)
		peak = wf->mem_limit;
	return ceil_mi(fmax(peak + 100 * MI, peak * 1.2));
}

static void add_mem_limits(struct insight *in, const struct workload_facts *wf,
			   bool oom, const char *why)
{
	double after = oom ? oom_target(wf) : next_mem_limit(wf, false);
	char t[256];
	json_t *params;

	if (!is_deployment(in) || !known(wf->mem_limit))
		return;
	target_workload(in, t, sizeof(t));
	params = json_pack("{s:f, s:f}", "memory_limit_before", wf->mem_limit,
			   "memory_limit_after", after);
	/*
	 * Requests move with the limit where they must: a Guaranteed pod
	 * (request = limit) stays Guaranteed; after an OOM kill a Burstable
	 * request below the limit it was killed at is raised to that limit (the
	 * least it uses), so the scheduler places what the pod really needs. The
	 * value depends on the template only, not on a working set that moves
	 * every cycle, so a proposal waiting for approval stays the same.
	 */
	if (known(wf->mem_request)) {
		double req = wf->mem_request;

		if (fabs(wf->mem_request - wf->mem_limit) < 1)
			req = after;
		else if (oom && wf->mem_limit > req)
			req = fmin(wf->mem_limit, after);
		if (req != wf->mem_request) {
			json_object_set_new(params, "memory_request_before", json_real(wf->mem_request));
			json_object_set_new(params, "memory_request_after", json_real(req));
		}
	}
	insight_add_recommendation(in, "change_limits", "Deployment", t, params, why, "medium");
}

/*
 * Scale out by the replicas the demand needs, not by one: the pods' total
 * demand (peak use + throttled demand, per pod, times replicas) spread so
 * that each pod runs at 80% of its request (or of its limit without a
 * request); +50% (at least +1) when neither is known.
 */
/* A pod's CPU demand, cores: use plus unmet demand of one sample when
 * measured together, else the two highest values (an overestimate); 0 unknown. */
static double cpu_demand(const struct workload_facts *wf)
{
	if (known(wf->cpu_demand))
		return wf->cpu_demand;
	return known(wf->cpu_peak) ? wf->cpu_peak + (known(wf->cpu_throttled) ? wf->cpu_throttled : 0) : 0;
}

static void add_scale(struct insight *in, const struct workload_facts *wf, const char *why)
{
	double per_pod = known(wf->cpu_request) ? wf->cpu_request : wf->cpu_limit;
	double demand = cpu_demand(wf);
	char t[256];
	int want;

	if (!is_deployment(in) || wf->replicas <= 0)
		return;
	if (known(per_pod) && demand > 0)
		want = (int)ceil(wf->replicas * demand / (0.8 * per_pod));
	else
		want = wf->replicas + (wf->replicas / 2 > 1 ? wf->replicas / 2 : 1);
	if (want <= wf->replicas)
		want = wf->replicas + 1;
	target_workload(in, t, sizeof(t));
	insight_add_recommendation(in, "scale_deployment", "Deployment", t,
		json_pack("{s:i, s:i}", "replicas_before", wf->replicas,
			  "replicas_after", want), why, "low");
}

/*
 * Throttling: the CPU limit to the observed demand x 1.2 (peak use plus
 * the throttled time per second), rounded up to 10 millicores; a
 * Guaranteed container's request moves with it. Without a throttling
 * measurement: x 1.5.
 */
static void add_cpu_limits(struct insight *in, const struct workload_facts *wf,
			   const char *why)
{
	double after;
	char t[256];
	json_t *params;

	if (!is_deployment(in) || !known(wf->cpu_limit))
		return;
	if (known(wf->cpu_throttled) && cpu_demand(wf) > 0)
		after = ceil(cpu_demand(wf) * 1.2 * 100) / 100;
	else
		after = wf->cpu_limit * 1.5;
	if (after <= wf->cpu_limit)
		return;
	target_workload(in, t, sizeof(t));
	params = json_pack("{s:f, s:f}", "cpu_limit_before", wf->cpu_limit, "cpu_limit_after", after);
	if (known(wf->cpu_request) && fabs(wf->cpu_request - wf->cpu_limit) < 1e-6) {
		json_object_set_new(params, "cpu_request_before", json_real(wf->cpu_request));
		json_object_set_new(params, "cpu_request_after", json_real(after));
	}
	insight_add_recommendation(in, "change_limits", "Deployment", t, params, why, "medium");
}

/*
 * A rollback to the previous ReplicaSet's template. Whether the fault came
 * with the newest rollout is for remediation to check on the live
 * Deployment and its ReplicaSets (remedy/loop.c); it proposes nothing when
 * it did not.
 */
static void add_rollback(struct insight *in, const char *why)
{
	char t[256];

	if (!is_deployment(in))
		return;
	target_workload(in, t, sizeof(t));
	insight_add_recommendation(in, "rollout_undo", "Deployment", t, NULL, why, "medium");
}

/*
 * An unschedulable pod: its requests lowered to what the workload's running
 * pods used (peak x 1.15, the VPA's safety margin; CPU rounded up to 10
 * millicores, memory to a MiB), never raised, limits left as they are.
 * Nothing when no usage was measured or the requests are already below it.
 */
static void add_lower_requests(struct insight *in, const struct workload_facts *wf, const char *why)
{
	double cpu = known(wf->cpu_peak) ? ceil(wf->cpu_peak * 1.15 * 100) / 100 : 0;
	double mem = known(wf->mem_peak) ? ceil_mi(wf->mem_peak * 1.15) : 0;
	json_t *params = json_object();
	char t[256];

	if (!is_deployment(in)) {
		json_decref(params);
		return;
	}
	if (known(wf->cpu_request) && cpu > 0 && cpu < wf->cpu_request) {
		json_object_set_new(params, "cpu_request_before", json_real(wf->cpu_request));
		json_object_set_new(params, "cpu_request_after", json_real(cpu));
	}
	if (known(wf->mem_request) && mem > 0 && mem < wf->mem_request) {
		json_object_set_new(params, "memory_request_before", json_real(wf->mem_request));
		json_object_set_new(params, "memory_request_after", json_real(mem));
	}
	if (!json_object_size(params)) {
		json_decref(params);
		return;
	}
	target_workload(in, t, sizeof(t));
	insight_add_recommendation(in, "change_limits", "Deployment", t, params, why, "medium");
}

static void add_node(struct insight *in, const char *action, const char *why,
		     const char *risk)
{
	if (in->node)
		insight_add_recommendation(in, action, "Node", in->node, NULL, why, risk);
}

static void add_none(struct insight *in, const char *why)
{
	insight_add_recommendation(in, "none", "", "", NULL, why, "low");
}

void insight_advise(struct insight *in, const struct workload_facts *wf)
{
	static const struct workload_facts none_known;
	const char *t = in->anomaly_type ? in->anomaly_type : "";
	char text[640];

	if (!wf)
		wf = &none_known;
	for (size_t i = 0; i < in->nrecs; i++)
		json_decref(in->recs[i].params);
	in->nrecs = 0;

	if (!strcmp(t, "oom")) {
		if (known(wf->mem_limit))
			snprintf(text, sizeof(text), "The container is killed by the kernel "
				 "when its memory reaches the %.0f MiB limit; it restarts and "
				 "is killed again. The limit is too low for this workload.",
				 wf->mem_limit / MI);
		else
			snprintf(text, sizeof(text), "The container is killed for using more "
				 "memory than its limit allows; it restarts and is killed again.");
		add_mem_limits(in, wf, true, "memory use reaches the limit and the kernel kills "
			       "the container: limit = max(peak + 100 MiB, peak x 1.2), as the VPA does "
			       "after an OOM kill");
	} else if (!strcmp(t, "memory_leak")) {
		snprintf(text, sizeof(text), "Memory grows steadily while CPU and traffic "
			 "stay normal, which is how a leak looks; left alone the pod will be "
			 "OOM-killed when it reaches its limit.");
		add_restart(in, "a new pod starts with fresh memory; the leak lives in the pod", "low");
		add_mem_limits(in, wf, false, "more headroom delays the OOM kill but does not fix the leak");
	} else if (!strcmp(t, "crash_loop")) {
		snprintf(text, sizeof(text), "The container exits with an error soon after "
			 "each start and the kubelet backs off restarting it "
			 "(CrashLoopBackOff). The cause is in the application or its "
			 "configuration: its logs say why.");
		add_rollback(in, "the crash loop came with the newest rollout: its previous template ran");
		add_none(in, "a restart does not cure a crash loop: the exit code, the reason and the "
			 "previous container's logs say why");
	} else if (!strcmp(t, "cpu_saturation") || !strcmp(t, "cpu_throttling")) {
		bool throttled = known(wf->cpu_throttled) && known(wf->cpu_limit) &&
				 wf->cpu_throttled >= 0.05 * wf->cpu_limit;

		if (throttled) {
			snprintf(text, sizeof(text), "The pods want %.2f cores but their limit is "
				 "%.2f: the kernel throttles them (%.2f cores of demand unmet), so "
				 "they slow down. More replicas would leave each one throttled.",
				 cpu_demand(wf), wf->cpu_limit, wf->cpu_throttled);
			add_cpu_limits(in, wf, "the CPU limit to the demand x 1.2 ends the throttling");
			add_scale(in, wf, "more replicas share the load");
		} else {
			snprintf(text, sizeof(text), "CPU use is far above normal, so the pods slow "
				 "down; the load needs more replicas.");
			add_scale(in, wf, "scale out by the replicas the demand needs");
			add_cpu_limits(in, wf, "a higher CPU limit gives each pod more room");
		}
	} else if (!strcmp(t, "network")) {
		snprintf(text, sizeof(text), "The pod's network interface reports errors or "
			 "dropped packets well above normal; traffic to and from it is failing.");
		add_restart(in, "a new pod gets a new network interface, likely on another node", "low");
	} else if (!strcmp(t, "partial_failure")) {
		snprintf(text, sizeof(text), "Some containers of the pod are not ready while "
			 "it keeps running, so it receives no traffic.");
		add_restart(in, "a restart often clears a stuck readiness check", "low");
	} else if (!strcmp(t, "node")) {
		snprintf(text, sizeof(text), "The node %s reports a problem (not ready or under "
			 "resource pressure) and the pods on it suffer.", in->node ? in->node : "");
		add_node(in, "cordon_node", "no new pods are placed on the failing node", "low");
		add_node(in, "drain_node", "its pods move to healthy nodes (PodDisruptionBudgets are honoured)", "high");
	} else if (!strcmp(t, "scheduling")) {
		snprintf(text, sizeof(text), "The pod cannot be scheduled: no node has room "
			 "for its requests, or none matches its constraints.");
		add_rollback(in, "the pods that fit no node came with the newest rollout: its previous template was scheduled");
		add_lower_requests(in, wf, "the requests to what the workload's running pods used, with a "
				   "15% margin (the VPA's): the scheduler can place the pods");
		add_none(in, "lower the requests, add capacity, or relax the constraints");
	} else if (!strcmp(t, "image_pull")) {
		snprintf(text, sizeof(text), "The container image cannot be pulled "
			 "(ErrImagePull / ImagePullBackOff): the image name or tag is wrong, or "
			 "the registry refuses access.");
		add_rollback(in, "the unpullable image came with the newest rollout: its previous template ran");
		add_none(in, "fix the image reference or the pull secret; a restart will not help");
	} else if (!strcmp(t, "io")) {
		snprintf(text, sizeof(text), "Disk use or I/O of the pod is far above normal.");
		add_none(in, "find what writes; a restart loses the evidence");
	} else {
		snprintf(text, sizeof(text), "The pod behaves unlike its own history.");
		add_none(in, "no safe automatic action is known for this");
	}
	insight_set_explanation(in, text, "rules", NULL);
}

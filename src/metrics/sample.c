#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/sample.h"
#include "base/mem.h"
#include "base/banned.h"

#define COL(name, type, field, doc) { name, type, offsetof(struct sample, field), doc }

const struct sample_col sample_native_cols[] = {
	COL("timestamp", SCOL_TIME, ts_ms, "collection time, RFC 3339 UTC"),
	COL("namespace", SCOL_STR, namespace, "pod namespace"),
	COL("pod", SCOL_STR, pod, "pod name"),
	COL("node", SCOL_STR, node, "node the pod is scheduled on"),
	COL("owner_kind", SCOL_STR, owner_kind, "Deployment, DaemonSet, StatefulSet, Job, CronJob, ReplicaSet or Node"),
	COL("owner_name", SCOL_STR, owner_name, "name of that owner (a ReplicaSet is followed to its Deployment)"),
	COL("phase", SCOL_STR, phase, "Pending, Running, Succeeded, Failed, Unknown"),
	COL("reason", SCOL_STR, reason, "pod reason, else the most telling container reason (CrashLoopBackOff, OOMKilled, ImagePullBackOff, ...)"),
	COL("restarts", SCOL_INT, restarts, "container restarts, summed over containers"),
	COL("containers_ready", SCOL_INT, containers_ready, "ready containers"),
	COL("containers_total", SCOL_INT, containers_total, "containers in the pod spec"),
	COL("cpu_mcores", SCOL_NUM, cpu_mcores, "CPU usage (metrics.k8s.io), millicores"),
	COL("cpu_request_mcores", SCOL_NUM, cpu_request_mcores, "sum of CPU requests; empty unless every container sets one"),
	COL("cpu_limit_mcores", SCOL_NUM, cpu_limit_mcores, "sum of CPU limits; empty unless every container sets one"),
	COL("cpu_pct", SCOL_NUM, cpu_pct, "cpu_mcores / cpu_limit_mcores x 100 (of the request when there is no limit)"),
	COL("mem_bytes", SCOL_NUM, mem_bytes, "memory working set (metrics.k8s.io), bytes"),
	COL("mem_request_bytes", SCOL_NUM, mem_request_bytes, "sum of memory requests, bytes"),
	COL("mem_limit_bytes", SCOL_NUM, mem_limit_bytes, "sum of memory limits, bytes"),
	COL("mem_pct", SCOL_NUM, mem_pct, "mem_bytes / mem_limit_bytes x 100 (of the request when there is no limit)"),
	COL("net_rx_bps", SCOL_NUM, net_rx_bps, "received bytes per second (kubelet summary counters)"),
	COL("net_tx_bps", SCOL_NUM, net_tx_bps, "transmitted bytes per second"),
	COL("net_rx_errors_ps", SCOL_NUM, net_rx_errors_ps, "receive errors per second"),
	COL("net_tx_errors_ps", SCOL_NUM, net_tx_errors_ps, "transmit errors per second"),
	COL("net_rx_dropped_ps", SCOL_NUM, net_rx_dropped_ps, "received packets dropped per second (Prometheus, cAdvisor)"),
	COL("net_tx_dropped_ps", SCOL_NUM, net_tx_dropped_ps, "transmitted packets dropped per second (Prometheus, cAdvisor)"),
	COL("warning_events", SCOL_INT, warning_events, "Warning event occurrences about the pod since the previous cycle"),
	COL("last_event_reason", SCOL_STR, last_event_reason, "reason of the pod's latest event"),
	COL("last_event_message", SCOL_STR, last_event_message, "message of the pod's latest event"),
	COL("last_event_type", SCOL_STR, last_event_type, "Normal or Warning"),
	COL("last_event_source", SCOL_STR, last_event_source, "component (and host) that reported it"),
	COL("last_event_age_s", SCOL_NUM, last_event_age_s, "seconds between that event and this row"),
	COL("pod_age_s", SCOL_NUM, pod_age_s, "seconds since the pod was created"),
	COL("fs_used_bytes", SCOL_NUM, fs_used_bytes, "ephemeral storage used (kubelet summary), bytes"),
	COL("error_message", SCOL_STR, error_message, "the container's waiting or terminated message"),
	COL("node_ready", SCOL_INT, node_ready, "1 when the node is Ready, 0 when not, empty when unknown"),
	COL("node_conditions", SCOL_STR, node_conditions, "node pressure conditions that are True, ';'-separated"),
	COL("node_event_reason", SCOL_STR, node_event_reason, "reason of the node's latest event"),
	COL("node_event_message", SCOL_STR, node_event_message, "its message"),
	COL("node_event_source", SCOL_STR, node_event_source, "its source"),
	COL("node_event_age_s", SCOL_NUM, node_event_age_s, "its age in seconds"),
	COL("last_termination_reason", SCOL_STR, last_termination_reason, "why a container's previous run ended (lastState.terminated.reason: OOMKilled, Error, ...)"),
	COL("last_exit_code", SCOL_INT, last_exit_code, "that run's exit code (lastState.terminated.exitCode: 137 after an OOM kill, 1 after an error)"),
	COL("cpu_throttled_pct", SCOL_NUM, cpu_throttled_pct, "share of CFS periods throttled since the previous cycle, % (cAdvisor container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total)"),
	COL("cpu_throttled_mcores", SCOL_NUM, cpu_throttled_mcores, "throttled time per second since the previous cycle (container_cpu_cfs_throttled_seconds_total): CPU the pod wanted and did not get, millicores"),
	COL("hpa_name", SCOL_STR, hpa_name, "the HorizontalPodAutoscaler whose scaleTargetRef is the pod's owner (autoscaling/v2); empty when none"),
};
const size_t sample_native_ncols = sizeof(sample_native_cols) / sizeof(sample_native_cols[0]);

const char *const sample_seed_cols[SAMPLE_SEED_NCOLS] = {
	"Timestamp", "Pod Name", "Pod Age", "CPU Usage (%)", "Memory Usage (%)",
	"Network Traffic (B/s)", "Network Receive (B/s)", "Network Transmit (B/s)",
	"Network Receive Errors", "Network Transmit Errors", "Last Log Entry",
	"Pod Status", "Pod Reason", "Pod Restarts", "Ready Containers",
	"Total Containers", "Error Message", "Latest Event Reason", "Pod Event Type",
	"Pod Event Reason", "Pod Event Age", "Pod Event Source", "Pod Event Message",
	"Node Name", "Event Reason", "Event Age", "Event Source", "Event Message",
};

void sample_init(struct sample *s, size_t ncustom)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sample_native_ncols; i++) {
		const struct sample_col *c = &sample_native_cols[i];
		if (c->type == SCOL_NUM || c->type == SCOL_INT)
			*(double *)((char *)s + c->off) = NAN;
	}
	s->ncustom = ncustom;
	if (ncustom) {
		s->custom = xmalloc(ncustom * sizeof(double));
		for (size_t i = 0; i < ncustom; i++)
			s->custom[i] = NAN;
	}
}

void sample_release(struct sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < sample_native_ncols; i++) {
		const struct sample_col *c = &sample_native_cols[i];
		if (c->type == SCOL_STR)
			free(*(char **)((char *)s + c->off));
	}
	free(s->custom);
	memset(s, 0, sizeof(*s));
}

void sample_set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

void sample_format_num(double v, char *out, size_t outlen)
{
	size_t n;

	if (!isfinite(v)) {
		out[0] = '\0';
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		/* what "%.0f" prints, without printf's multi-precision path (a
		 * CSV row at 100k pods a cycle is mostly whole numbers) */
		char digits[24];
		unsigned long long u = (unsigned long long)fabs(v);
		size_t k = 0, i = 0;

		do
			digits[k++] = (char)('0' + u % 10);
		while ((u /= 10) && k < sizeof(digits));
		if (outlen < k + 2) {
			snprintf(out, outlen, "%.0f", v);
			return;
		}
		if (signbit(v))
			out[i++] = '-';
		while (k)
			out[i++] = digits[--k];
		out[i] = '\0';
		return;
	}
	if (fabs(v) < 0.001)
		snprintf(out, outlen, "%.3g", v);
	else
		snprintf(out, outlen, "%.3f", v);
	if (!strchr(out, '.') || strchr(out, 'e'))
		return;
	n = strlen(out);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	if (!strcmp(out, "-0"))
		snprintf(out, outlen, "0");
}

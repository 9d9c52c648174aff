#ifndef SIM_MODEL_H
#define SIM_MODEL_H
/*
 * The workload model of one simulated pod: usage over virtual time, the
 * counters cAdvisor would report, and the kubelet's container life cycle
 * (OOM kills, restarts, CrashLoopBackOff back-off, image pull failures). It
 * is pure computation: no HTTP, no object store, no wall clock. The object
 * store owns one struct podsim per pod (podsim_new/podsim_free) and calls
 * podsim_advance() as the virtual clock moves; what happened comes back in
 * struct podsim_step so the store can update pod status and emit Events.
 * Everything is deterministic for a given seed and sequence of calls.
 */
#include <stdint.h>
#include <stdbool.h>
#include "sim/scenario.h"

/*
 * What the active faults do to one pod now (the store fills it in). A zeroed
 * struct means no effects (a cpu_factor of 0 is taken as 1).
 */
struct pod_effects {
	double leak_bps;        /* memory grows this many bytes/s while running; reset by a restart */
	double cpu_factor;      /* usage multiplier (1 = none); capped by the CPU limit (throttling) */
	double rx_err_ps, tx_err_ps;    /* network errors per second */
	double rx_drop_ps, tx_drop_ps;  /* packets dropped per second */
	bool crash;             /* the container exits with an error shortly after each start */
	bool image_pull;        /* the image cannot be pulled: ErrImagePull / ImagePullBackOff */
	bool node_down;         /* the node is NotReady: no usage is reported, counters stand still */
};

enum container_state { CS_WAITING, CS_RUNNING, CS_TERMINATED };

/* The container's state as the pod status shows it. */
struct podsim_status {
	enum container_state state;
	const char *reason;     /* static string: waiting "ContainerCreating", "CrashLoopBackOff",
	                           "ErrImagePull", "ImagePullBackOff"; terminated "OOMKilled", "Error"; or NULL */
	const char *last_reason;/* lastState.terminated.reason of the previous run, or NULL */
	int exit_code;          /* of the last termination */
	int restarts;
	bool ready;
	int64_t started_ms;     /* virtual time the current run started (0 when not running) */
	int64_t last_finished_ms;
};

/* Current usage and cumulative counters, as metrics-server and cAdvisor show them. */
struct podsim_metrics {
	double cpu_cores;       /* usage rate now */
	double mem_bytes;       /* working set now */
	double cpu_seconds;     /* container_cpu_usage_seconds_total (resets on restart) */
	uint64_t rx_bytes, tx_bytes;        /* pod network counters (do not reset: pod sandbox) */
	uint64_t rx_errors, tx_errors;
	uint64_t rx_dropped, tx_dropped;
	double fs_used_bytes;
	double throttled_seconds;           /* container_cpu_cfs_throttled_seconds_total */
	double cfs_periods;                 /* container_cpu_cfs_periods_total (0 without a CPU limit) */
	double cfs_throttled_periods;       /* container_cpu_cfs_throttled_periods_total */
};

/* Events from one podsim_advance(), in order. */
enum podsim_event_kind {
	PEV_STARTED,            /* container started (reason "Started") */
	PEV_OOM_KILLED,         /* killed for exceeding its memory limit */
	PEV_CRASHED,            /* exited with an error */
	PEV_BACKOFF,            /* "Back-off restarting failed container" */
	PEV_PULL_FAILED,        /* "Failed to pull image" */
};

struct podsim_event {
	enum podsim_event_kind kind;
	int64_t at_ms;
};

#define PODSIM_MAX_EVENTS 16

struct podsim_step {
	struct podsim_event events[PODSIM_MAX_EVENTS];
	int nevents;            /* events beyond the cap are dropped (counted in dropped) */
	int dropped;
	bool status_changed;    /* the pod status differs from before the call */
};

struct podsim;

/*
 * A new pod created at virtual time now_ms. seed should differ per pod
 * (e.g. scenario seed mixed with the pod's ordinal) so pods of one workload
 * vary; res are the pod's container resources.
 */
struct podsim *podsim_new(uint64_t seed, const struct usage *usage,
			  const struct resources *res, int64_t now_ms);
/*
 * The same pod, but already running and warmed up at now_ms: for the pods a
 * cluster starts with (a scenario's workloads start healthy), so they are
 * Ready at once even while the clock is frozen (--speed 0).
 */
struct podsim *podsim_new_running(uint64_t seed, const struct usage *usage,
				  const struct resources *res, int64_t now_ms);
void podsim_free(struct podsim *p);

/*
 * Moves the pod to virtual time now_ms (never backwards: an earlier time is a
 * no-op) under the given effects, integrating counters over the interval in
 * steps small enough that OOM kills and restarts land at their times.
 */
void podsim_advance(struct podsim *p, int64_t now_ms, const struct pod_effects *fx,
		    struct podsim_step *step);

void podsim_status(const struct podsim *p, struct podsim_status *out);
void podsim_metrics(const struct podsim *p, struct podsim_metrics *out);

/* Bytes of memory one podsim uses (for the 100,000-pod budget). */
size_t podsim_size(void);

#endif

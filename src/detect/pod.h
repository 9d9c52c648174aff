#ifndef DETECT_POD_H
#define DETECT_POD_H
/*
 * The pod detector, the one every command uses (monitor, detect, agent,
 * demo, score-pods, eval). Per pod and sample it combines three kinds of
 * component, each with a score in [0,1]:
 * - "rule": states that need no learning (CrashLoopBackOff, OOMKilled,
 *   image pulls, unschedulable, readiness lost, restarts rising, node
 *   trouble, CPU throttled (cAdvisor), network errors and drops);
 * - "stats": robust online statistics (median/MAD baselines of CPU and
 *   memory learned from the pod's own normal samples, level shifts, a
 *   memory trend towards the limit with the time left, and memory against
 *   the baseline the pod's workload shares);
 * - "lstm": the LSTM's surprise at the sample (its forecast error over the
 *   model's features) relative to the usual surprise of the pod's workload
 *   (pods of one Deployment share it, so a new pod of a rollout or a scale
 *   event is judged against its siblings once its window has filled).
 * The strongest finding sets the anomaly type and the evidence score; the
 * LSTM's agreement raises it. The probability is that score through the
 * model's calibration (a monotone map fitted on labelled sim runs, stored in
 * the model file); without a model, or a model without calibration, the
 * probability is the raw score.
 *
 * struct pod_detector owns the per-pod states (fixed size, at most 4 KiB
 * each, a bounded number of pods) and the per-workload baselines; it borrows
 * the model, which must outlive it; samples passed in are borrowed and
 * never kept.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/strmap.h"
#include "metrics/sample.h"
#include "detect/lstm.h"
#include "detect/lstm_fast.h"

enum pod_anomaly {
	AT_NONE,
	AT_CRASH_LOOP, AT_OOM, AT_MEMORY_LEAK, AT_CPU_SATURATION, AT_NETWORK,
	AT_PARTIAL_FAILURE, AT_NODE, AT_SCHEDULING, AT_IMAGE_PULL, AT_IO,
	AT_CPU_THROTTLING,
	AT_COUNT
};

/* "crash_loop", "oom", ...; "none" for AT_NONE. */
const char *pod_anomaly_name(enum pod_anomaly t);

#define POD_VERDICT_MAX_SIGNALS 4
#define POD_VERDICT_MAX_COMPONENTS 6

enum pod_component_kind { PC_RULE, PC_STATS, PC_LSTM };

/* "rule", "stats", "lstm". */
const char *pod_component_name(enum pod_component_kind k);

/* One component that fired: its kind, the metric it looked at, its score. */
struct pod_component {
	uint8_t detector;               /* enum pod_component_kind */
	char metric[32];
	double score;                   /* [0,1] */
};

/* What drove a verdict: a metric, its value and the range expected of it
 * (NaN where a side is unknown). */
struct pod_signal {
	char metric[40];
	double value;
	double expected_lo, expected_hi;
};

struct pod_verdict {
	double probability;             /* [0,1], calibrated; >= the alert threshold is an anomaly */
	double score;                   /* the evidence score before calibration, [0,1] */
	enum pod_anomaly type;         /* AT_NONE when nothing stands out */
	bool skip;                      /* the sample says nothing about the pod itself
					 * (its node is down): neither normal nor anomalous */
	char reason[64];                /* the state or rule behind it ("CrashLoopBackOff") */
	struct pod_signal signals[POD_VERDICT_MAX_SIGNALS];
	size_t nsignals;
	struct pod_component comps[POD_VERDICT_MAX_COMPONENTS];
	size_t ncomps;
};

/* Per-pod state; its size is checked against POD_STATE_MAX in a unit test. */
#define POD_STATE_MAX 4096
#define POD_RING 32
#define POD_TREND 10
#define POD_RESTARTS 8
#define POD_WMAX 32                     /* the longest model window a state holds */
#define POD_NF 8                        /* model features (features.h FEAT_MODEL_COUNT) */

struct pod_ring {
	float v[POD_RING];
	uint8_t n, head;
};

struct pod_state {
	int64_t first_ms, last_ms;      /* timestamps of the first and latest samples taken */
	int64_t gap_ms;                 /* from the previous sample to the latest */
	uint32_t nsamples;
	double last_restarts;           /* NaN until known */
	int64_t restart_ms[POD_RESTARTS]; /* when restarts were seen (newest at restart_head-1) */
	uint8_t restart_head, nrestart;
	float last_mem_frac;            /* memory / limit at the previous sample, NaN unknown */
	float mem_slope;                /* bytes/s of the latest steady rise, 0 when none */
	uint8_t oom_hint;               /* the last restart looked like an OOM kill */
	uint8_t leak_hint;              /* memory grew steadily before the last restart */
	uint8_t thr_seen;               /* the pod has reported cpu_throttled_pct */
	struct pod_ring cpu, mem;       /* values judged normal: the pod's own baseline */
	uint16_t cpu_high_run, mem_high_run;  /* anomalous samples in a row (adaptation) */
	uint8_t mem_thin;               /* normal memory samples since the last one the ring took */
	float trend_t[POD_TREND];       /* memory since the container started: seconds since first_ms */
	float trend_v[POD_TREND];       /* and bytes */
	uint8_t trend_n;
	int64_t cpu_high_since, cpu_limit_since, net_since, drop_since, unready_since, pending_since;
	int64_t wl_high_since;          /* memory far above the workload's baseline since */
	float last_prob;                /* the latest verdict's probability, for /metrics */
	uint8_t last_type;
	uint64_t owner_hash;            /* the workload ("ns/kind/owner") this pod belongs to */
	float surprise;                 /* EW mean of this pod's LSTM surprise */
	uint16_t nsur, wlen, wpos;
	float win[POD_WMAX][POD_NF];    /* the latest model inputs, normalised, a ring */
};

/*
 * What pods of one workload share: the usual LSTM surprise, and a memory
 * baseline (the median over the workload's running pods of each cycle,
 * kept in a ring like a pod's own; pods of one Deployment share a baseline).
 */
struct pod_workload {
	int64_t last_ms;
	float surprise;
	uint32_t nsur;
	struct pod_ring mem;
	uint8_t mem_thin;
};

struct pod_detector {
	struct strmap pods;             /* "ns/pod" -> struct pod_state */
	struct strmap workloads;        /* "ns/kind/owner" -> struct pod_workload */
	size_t max_pods;                /* states beyond this are not created (verdicts from rules only) */
	int64_t stale_ms;               /* a gap longer than this restarts the persistence clocks */
	const struct lstm *model;       /* borrowed; NULL: no LSTM component, no calibration */
	struct lstm_fast fast;
	bool lstm_on;                   /* the LSTM component is used (a model is set and not disabled) */
};

/* max_pods 0: 200000. */
void pod_detector_init(struct pod_detector *d, size_t max_pods);
void pod_detector_release(struct pod_detector *d);
/*
 * Uses model m (borrowed) for the LSTM component and the calibration. Its
 * inputs must be the model features of features.h in order and its window
 * at most POD_WMAX: otherwise -EINVAL with a one-line reason in err.
 * use_lstm false keeps the calibration but leaves the LSTM component out
 * (to measure what it adds).
 */
int pod_detector_set_model(struct pod_detector *d, const struct lstm *m, bool use_lstm,
			   char *err, size_t errlen);
/* The model's calibration applied to an evidence score (the score itself without one). */
double pod_detector_calibrate(const struct pod_detector *d, double score);

/*
 * Judges one sample of one pod (keyed by its namespace and pod name; the
 * timestamp is s->ts_ms on the cluster's clock) and learns from it. Missing
 * values (NaN), infinities, gaps and samples older than the pod's latest
 * are handled: an out-of-order or duplicate sample is judged by the rules
 * alone and does not change the state. Returns 0, or -EINVAL for a sample
 * without namespace or pod.
 */
int pod_detector_observe(struct pod_detector *d, const struct sample *s, struct pod_verdict *out);
/*
 * The same for the rows of one collection cycle, in order (out[i] for
 * rows[i]); the LSTM runs once for the whole batch. A row without namespace
 * or pod gets a verdict with skip set.
 */
void pod_detector_observe_batch(struct pod_detector *d, const struct sample *rows, size_t n,
				struct pod_verdict *out);

/*
 * Judges a node from the rows of one collection cycle (all rows with the
 * same timestamp, any order): NotReady, Ready unknown while other nodes
 * report theirs, and pressure conditions. Fills one verdict per node named
 * in rows, up to max, with names pointing into rows; returns the count.
 */
struct pod_node_verdict {
	const char *node;
	struct pod_verdict v;
};
size_t pod_detector_nodes(const struct pod_detector *d, const struct sample *rows, size_t n,
			  struct pod_node_verdict *out, size_t max);

/* Forgets pods not seen since before cutoff_ms (deleted pods); returns how many. */
size_t pod_detector_forget(struct pod_detector *d, int64_t cutoff_ms);
size_t pod_detector_npods(const struct pod_detector *d);
const struct pod_state *pod_detector_get(const struct pod_detector *d, const char *ns, const char *pod);

#endif

#ifndef DETECT_DETECTOR_H
#define DETECT_DETECTOR_H
/*
 * The per-pod detector the monitor calls for every sample: online
 * statistics per feature, the LSTM's surprise (when a model is given) and
 * rules for states that need no learning, combined into one probability in
 * [0,1], an anomaly type and the signals behind it. The detector owns its
 * per-pod state (at most DETECTOR_POD_STATE_MAX bytes each, at most max_pods
 * pods; the least recently seen pod is dropped beyond that); it borrows the
 * model, which must outlive it.
 */
#include <stddef.h>
#include <stdint.h>
#include "detect/features.h"
#include "detect/lstm.h"

#define DETECTOR_POD_STATE_MAX 4096
#define DETECTOR_DEFAULT_THRESHOLD 0.7
#define DETECTOR_MAX_SIGNALS 4
#define DETECTOR_KEY_MAX 320    /* namespace (63) + '/' + pod name (253) */

enum anomaly_type {
	ANOM_NONE,
	ANOM_CRASH_LOOP,
	ANOM_OOM,
	ANOM_MEMORY_LEAK,
	ANOM_CPU_SATURATION,
	ANOM_NETWORK,
	ANOM_PARTIAL_FAILURE,
	ANOM_NODE,
	ANOM_SCHEDULING,
	ANOM_IMAGE_PULL,
	ANOM_IO,
	ANOM_COUNT
};

extern const char *const anomaly_type_name[ANOM_COUNT];

/* One piece of evidence: a metric, its value and the range expected. */
struct signal {
	char metric[32];
	double value;
	double lo, hi;          /* expected range; NaN when there is none */
};

struct verdict {
	double probability;     /* in [0,1] */
	int alert;              /* probability >= the alert threshold */
	enum anomaly_type type; /* ANOM_NONE when nothing stands out */
	double stat, model, rule; /* the parts, each in [0,1] */
	int nsig;
	struct signal sig[DETECTOR_MAX_SIGNALS];
};

struct detector_opts {
	double alert_threshold;         /* default DETECTOR_DEFAULT_THRESHOLD */
	const struct lstm *model;       /* NULL: statistics and rules only */
	size_t max_pods;                /* default 100000 */
};

struct detector;

/*
 * -EINVAL when the model's features are not the model features of
 * features.h in order (a model for other inputs).
 */
int detector_new(const struct detector_opts *o, struct detector **out);
void detector_free(struct detector *d);
/*
 * Scores one sample of one pod ("namespace/name"). NaN features are missing;
 * infinities are treated as missing; a sample older than the pod's last one
 * is scored by the rules only and teaches nothing. Never fails for bad
 * numbers; -EINVAL only for an empty or over-long key.
 */
int detector_observe(struct detector *d, const char *pod_key,
		     const struct features *f, int64_t ts_ms, struct verdict *out);
/* Pods currently tracked. */
size_t detector_pods(const struct detector *d);
/* Bytes of state one pod takes (<= DETECTOR_POD_STATE_MAX). */
size_t detector_pod_state_bytes(void);

/*
 * The alert threshold by precedence: flag (when not NULL) > ANOMALY_THRESHOLD
 * > THRESHOLD > 0.7. -EINVAL (and err naming the source) for a value that
 * is not a number in [0,1].
 */
int detector_threshold(const char *flag, double *out, char *err, size_t errlen);

#endif

#ifndef DETECT_FEATURES_H
#define DETECT_FEATURES_H
/*
 * The detector's input for one pod at one sample: plain named numbers with
 * NaN for "not measured", so a CSV row (native or seed format) or a live
 * sample maps onto it field by field. Names are the native CSV column names
 * (docs/csv.md). Plain values; nothing is owned.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum feat {
	/* model inputs, in model order */
	FEAT_CPU_MCORES,
	FEAT_CPU_PCT,
	FEAT_MEM_BYTES,
	FEAT_MEM_PCT,
	FEAT_NET_RX_BPS,
	FEAT_NET_TX_BPS,
	FEAT_NET_ERRORS_PS,     /* receive + transmit errors per second */
	FEAT_NET_DROPPED_PS,    /* receive + transmit drops per second */
	FEAT_MODEL_COUNT,
	/* used by the rules only */
	FEAT_RESTARTS = FEAT_MODEL_COUNT, /* cumulative container restarts */
	FEAT_CONTAINERS_READY,
	FEAT_CONTAINERS_TOTAL,
	FEAT_CPU_LIMIT_MCORES,
	FEAT_MEM_LIMIT_BYTES,
	FEAT_WARNING_EVENTS,
	FEAT_FS_USED_BYTES,
	FEAT_NODE_READY,        /* 1, 0 */
	FEAT_COUNT
};

#define FEAT_STR_MAX 64

struct features {
	double v[FEAT_COUNT];           /* NaN = missing */
	char phase[FEAT_STR_MAX];       /* "" = unknown */
	char reason[FEAT_STR_MAX];      /* pod or container reason */
	char node_conditions[FEAT_STR_MAX]; /* "MemoryPressure;DiskPressure" */
};

extern const char *const feat_names[FEAT_COUNT];

struct sample;
/*
 * The features of one sample row (metrics/sample.h): every number it has,
 * NaN for the rest; network errors and drops are receive + transmit.
 */
void features_from_sample(const struct sample *s, struct features *f);

/* Every number missing, every string empty. */
void features_clear(struct features *f);
/* Index of a feature by its name, or -1. */
int feat_index(const char *name);
/*
 * The value the model sees before normalisation: byte rates and byte
 * counts are log-scaled (log1p of the non-negative value), others as they
 * are. NaN stays NaN.
 */
double feat_model_value(int idx, double raw);

/*
 * A small deterministic generator of normal pod behaviour, for training the
 * default model until recorded normal data exist: npods pods, nsteps
 * samples each (60 s apart), diurnal load with noise, memory with garbage
 * collection, traffic following load, no errors. rows receives
 * npods * nsteps features, pod after pod.
 */
void features_simulate_normal(struct features *rows, size_t npods,
			      size_t nsteps, uint64_t seed);

#endif

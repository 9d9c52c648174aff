#ifndef METRICS_SAMPLE_H
#define METRICS_SAMPLE_H
/*
 * The sample row: what kubemend knows about one pod at one collection
 * cycle. A sample owns its strings and its custom values; sample_release()
 * frees them. Missing values: a number that could not be measured is NaN
 * (sample_missing(), written as an empty CSV field and never as "nan"); a
 * string that is unknown is NULL (also empty in the CSV).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

struct sample {
	int64_t ts_ms;                  /* collection time, Unix ms UTC */
	char *namespace, *pod, *node;
	char *owner_kind, *owner_name;  /* Deployment/DaemonSet/StatefulSet/... */
	char *phase, *reason;
	double restarts, containers_ready, containers_total;
	double cpu_mcores, cpu_request_mcores, cpu_limit_mcores, cpu_pct;
	double mem_bytes, mem_request_bytes, mem_limit_bytes, mem_pct;
	double net_rx_bps, net_tx_bps;
	double net_rx_errors_ps, net_tx_errors_ps;
	double net_rx_dropped_ps, net_tx_dropped_ps;
	double warning_events;          /* Warning occurrences since the previous cycle */
	char *last_event_reason, *last_event_message;
	/* beyond the required columns (also what the seed format needs) */
	char *last_event_type, *last_event_source;
	double last_event_age_s;
	double pod_age_s;
	double fs_used_bytes;
	char *error_message;            /* the container's waiting/terminated message */
	char *last_termination_reason;  /* why the container's previous run ended ("OOMKilled") */
	double last_exit_code;          /* that run's exit code (137, 1), NaN when none */
	double cpu_throttled_pct;       /* CFS periods throttled since the previous cycle, % (cAdvisor) */
	double cpu_throttled_mcores;    /* throttled time per second since the previous cycle: unmet demand, millicores */
	char *hpa_name;                 /* the HorizontalPodAutoscaler that scales the pod's owner, NULL when none */
	double node_ready;              /* 1, 0, or NaN */
	char *node_conditions;          /* "MemoryPressure;DiskPressure", "" when none */
	char *node_event_reason, *node_event_message, *node_event_source;
	double node_event_age_s;
	/* custom Prometheus columns, in the order of the schema's names */
	double *custom;
	size_t ncustom;
};

static inline double sample_missing(void) { return NAN; }
static inline bool sample_is_missing(double v) { return isnan(v); }

/* Zeroes s and sets every number to missing; ncustom custom values, all missing. */
void sample_init(struct sample *s, size_t ncustom);
void sample_release(struct sample *s);
/* Replaces *field with a copy of value (NULL allowed). */
void sample_set_str(char **field, const char *value);

enum sample_col_type { SCOL_TIME, SCOL_STR, SCOL_NUM, SCOL_INT };

/* The native CSV columns, in order (a static registry). */
struct sample_col {
	const char *name;
	enum sample_col_type type;
	size_t off;                     /* offsetof(struct sample, field) */
	const char *doc;                /* one line for docs/csv.md */
};

extern const struct sample_col sample_native_cols[];
extern const size_t sample_native_ncols;

/* The seed prototype's 28 column names, in its order. */
extern const char *const sample_seed_cols[];
#define SAMPLE_SEED_NCOLS 28

/* Formats a number as the CSV writes it (integers without a point, others
 * with up to 3 decimals; missing gives ""). */
void sample_format_num(double v, char *out, size_t outlen);

#endif

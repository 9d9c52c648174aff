#ifndef RUN_PIPELINE_H
#define RUN_PIPELINE_H
/*
 * The monitoring pipeline after collection: sample rows -> pod and node
 * detector -> insights with rule-based advice -> pod_insights.json, and the
 * state the HTTP endpoints and the alert sender read (through
 * pipeline_source(), a read-only view). struct pipeline owns its detector,
 * its insight store and its counters; rows passed in are borrowed. All
 * access from other threads (HTTP handlers) goes through
 * pipeline_lock()/pipeline_unlock() or the functions below, which lock.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/buf.h"
#include "base/strmap.h"
#include "conf/config.h"
#include "detect/pod.h"
#include "insight/insight.h"
#include "metrics/sample.h"
#include "serve/source.h"

enum pipeline_event { PIPE_OPENED, PIPE_UPDATED, PIPE_RESOLVED };

/*
 * Called under the pipeline's lock for each insight that opened or resolved
 * in a feed (and PIPE_UPDATED for open insights that a feed changed). This
 * is the seam for what acts on insights: printing (demo), remediation
 * (--remediate: plan, approve, act) and LLM explanations (--enable-llm),
 * which may change the insight in place (insight_set_explanation).
 */
typedef void (*pipeline_hook)(void *ctx, enum pipeline_event ev, struct insight *in);

#define PIPELINE_MAX_HOOKS 4

/* A cycle's stages, as /metrics names them. */
enum pipe_stage { PIPE_COLLECT, PIPE_CSV, PIPE_DETECT, PIPE_NSTAGES };
/* The cycle duration histogram's bounds, in seconds. */
#define PIPE_NBUCKETS 12
extern const double pipeline_cycle_bounds[PIPE_NBUCKETS];

struct pipeline_stats {
	uint64_t cycles, rows, skipped_rows;
	uint64_t collect_errors;        /* failed collection cycles (API errors) */
	uint64_t write_errors;          /* failed writes of the insights file */
	uint64_t opened, resolved;      /* insights, since start */
	double last_cycle_s;            /* duration of the latest collect+detect cycle */
	int64_t last_feed_ms;           /* cluster time of the latest batch */
	int64_t last_ok_wall_ms;        /* wall clock of the latest successful cycle */
	int64_t period_ms;              /* the loop's cycle period (0: unknown), for "overdue" */
	/* the monitor's cycles, for /metrics (pipeline_cycle_stages) */
	double stage_s[PIPE_NSTAGES];           /* latest cycle, per stage */
	double stage_total_s[PIPE_NSTAGES];     /* since start */
	uint64_t cycle_bucket[PIPE_NBUCKETS];   /* cycles at or under each bound (cumulative) */
	uint64_t cycle_count;
	double cycle_sum_s;
	uint64_t csv_bytes, csv_rotated_bytes;  /* written since start; rotated files kept */
};


struct pipeline {
	pthread_mutex_t mu;
	struct pod_detector det;
	struct insight_store store;
	struct lstm model;              /* owned once pipeline_load_model() loaded it */
	int have_model;
	char *insights_path;            /* NULL: no file */
	struct pipeline_stats stats;
	bool ready;                     /* a batch went through */
	struct strmap announced;        /* insight id -> 1 open announced, 2 resolved announced */
	struct strmap peaks;            /* insight id -> double[4]: memory, CPU, throttled, demand peaks while anomalous */
	struct strmap wpeaks;           /* "ns/owner" -> struct wpeak: the workload's memory peak of the last hour or two */
	struct {
		pipeline_hook fn;
		void *ctx;
	} hooks[PIPELINE_MAX_HOOKS];
	int nhooks;
};

/* threshold: probability that opens an insight; insights_path may be NULL. */
void pipeline_init(struct pipeline *p, double threshold, const char *insights_path,
		   size_t max_pods);
void pipeline_release(struct pipeline *p);
/* Adds a hook (up to PIPELINE_MAX_HOOKS); 0 or -ENOSPC. */
int pipeline_add_hook(struct pipeline *p, pipeline_hook fn, void *ctx);
void pipeline_set_threshold(struct pipeline *p, double threshold);
/*
 * The detector's model (borrowed; must outlive the pipeline) named name in
 * the insights; use_lstm false keeps only its calibration. 0, or -EINVAL
 * with a reason in err for a model the detector cannot use.
 */
int pipeline_set_model(struct pipeline *p, const struct lstm *m, const char *name, bool use_lstm,
		       char *err, size_t errlen);
/*
 * Loads the model the config names (model.path / MODEL_PATH, else
 * models/default.kmm when present; detect/podmodel.h) into the pipeline,
 * which then owns it, with model.lstm. desc gets one line on the model in
 * use. 0, or -1 with a one-line reason in err.
 */
int pipeline_load_model(struct pipeline *p, const struct config *c, char *desc, size_t desclen,
			char *err, size_t errlen);

/*
 * One batch: the rows of one collection cycle (same timestamp). Detects,
 * updates insights, advises, calls the hooks and writes the insights file
 * atomically. Returns 0, or a negative errno when the file could not be
 * written ("FILE: what" in err); the state is updated either way.
 */
int pipeline_feed(struct pipeline *p, const struct sample *rows, size_t n,
		  char *err, size_t errlen);
/* Writes the insights file now (e.g. at shutdown); 0 or a negative errno. */
int pipeline_flush(struct pipeline *p, char *err, size_t errlen);
/* Records a failed collection cycle (for /metrics and /readyz). */
void pipeline_collect_failed(struct pipeline *p);
/* Records how long a whole cycle took. */
void pipeline_cycle_time(struct pipeline *p, double seconds);
/*
 * The loop's period. A cycle is overdue, and /readyz answers 503, when no
 * cycle has succeeded for pipeline_overdue_ms(): twice the period plus ten
 * seconds (ten minutes while the period is unknown).
 */
void pipeline_set_period(struct pipeline *p, int64_t period_ms);
int64_t pipeline_overdue_ms(int64_t period_ms);
/* Records a cycle's time per stage (seconds; a stage that did not run is 0)
 * and the CSV writer's byte counts, for /metrics. */
void pipeline_cycle_stages(struct pipeline *p, const double stage_s[PIPE_NSTAGES],
			   double total_s, uint64_t csv_bytes, uint64_t csv_rotated_bytes);

void pipeline_lock(struct pipeline *p);
void pipeline_unlock(struct pipeline *p);

/* The Prometheus exposition of kubemend's health and per-pod probability. */
void pipeline_metrics(struct pipeline *p, struct buf *out);
/* The insights document, as in the file (new reference). */
json_t *pipeline_insights_json(struct pipeline *p);
size_t pipeline_open_insights(const struct insight_store *s);
/*
 * Fills src with p's read-only view for serve/ (endpoints, alert sender);
 * p must outlive every use of src.
 */
void pipeline_source(struct pipeline *p, struct serve_source *src);

#endif

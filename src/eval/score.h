#ifndef EVAL_SCORE_H
#define EVAL_SCORE_H
/*
 * Scoring insights against the ground truth of injected faults (the sim's
 * --truth-out file): a fault is found when an insight names one of its pods
 * (or its node, or for faults that live in the pod template its workload)
 * within a window of its start; an insight that matches no fault is a false
 * alarm. Works on parsed JSON the caller owns; struct score_result owns its
 * per-fault rows.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct score_fault {
	char type[32];
	char target[160];               /* "ns/deployment" or "node NAME" */
	int64_t start_ms, end_ms;       /* end 0 while open */
	bool found;
	int64_t detect_ms;              /* time to detect (ms after start; 0 if already open) */
	char insight_id[24];
};

/* One insight: what the detector said and whether a fault was behind it. */
struct score_insight {
	char id[24];
	char type[32];
	double probability, score;      /* score: the evidence score (NaN when absent) */
	bool matched;                   /* about a fault, detected between its start and end */
};

struct score_result {
	struct score_insight *ins;      /* insights entries, in file order */
	struct score_fault *faults;
	size_t nfaults, found;
	size_t insights, false_alarms;
	double recall, precision;       /* precision: insights matching a fault / insights */
	int64_t mean_detect_ms;
};

/*
 * truth: the JSON array of the truth file; insights: the pod_insights.json
 * document (or its "insights" array). window_ms: how soon after a fault's
 * start an insight must appear (5 minutes for the checks). Returns 0, or
 * -EINVAL with a message for malformed input.
 */
int score_insights(const json_t *truth, const json_t *insights, int64_t window_ms,
		   struct score_result *out, char *err, size_t errlen);
void score_result_release(struct score_result *r);

/*
 * The reliability of the insights' probabilities: for each tenth of [0,1]
 * (bucket 9 holds 0.9 to 1.0), how many insights fell in it and how many of
 * those were real faults.
 */
void score_reliability(const struct score_result *r, size_t count[10], size_t real[10]);

/*
 * Pod-hours observed in a metrics CSV: for each pod, its last sample minus
 * its first. Rows that do not parse are skipped; 0 when the file cannot be read.
 */
double score_pod_hours(const char *path);

#endif

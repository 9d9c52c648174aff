#ifndef SIM_TRUTH_H
#define SIM_TRUTH_H
/*
 * The ground-truth record of injected faults (--truth-out), kept up to date
 * atomically as faults start and end. struct truth owns its records;
 * truth_release() frees them.
 */
#include <stddef.h>
#include <stdint.h>
#include "sim/scenario.h"

struct truth_record {
	enum fault_type type;
	char *namespace_;       /* NULL for node faults */
	char *deployment;       /* NULL for node faults */
	char **pods;            /* names of the pods it hit, as they were when it hit */
	size_t npods;
	char *node;             /* node faults; else NULL */
	int64_t start_ms;       /* Unix ms on the virtual clock */
	int64_t end_ms;         /* 0 while it lasts */
	char *ended_by;         /* "duration", or the remediation that cured it ("change_limits"...) */
};

struct truth {
	char *path;             /* NULL: records kept in memory only */
	struct truth_record *recs;
	size_t n, cap;
};

void truth_init(struct truth *t, const char *path);
void truth_release(struct truth *t);
/* Adds a record (copies the strings) and returns its index. */
size_t truth_start(struct truth *t, enum fault_type type, const char *ns,
		   const char *deployment, const char *const *pods, size_t npods,
		   const char *node, int64_t start_ms);
void truth_end(struct truth *t, size_t idx, int64_t end_ms, const char *ended_by);
/* Writes the JSON array atomically to t->path; 0 or a negative errno. */
int truth_write(const struct truth *t);
/* The JSON text (caller frees). */
char *truth_json(const struct truth *t);

#endif

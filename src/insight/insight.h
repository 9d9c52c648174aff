#ifndef INSIGHT_INSIGHT_H
#define INSIGHT_INSIGHT_H
/*
 * Insights: one per ongoing incident (docs/insights.md). A struct
 * insight_store owns its insights and everything in them; findings passed in
 * are borrowed and copied. Repeated findings for the same incident update
 * one insight; pods of one workload (or one node) with the same cause are
 * grouped; an insight resolves when all its pods are back to normal, and
 * resolved insights age out so the file stays bounded.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define INSIGHT_MAX_SIGNALS 8
#define INSIGHT_MAX_EVIDENCE 8
#define INSIGHT_MAX_RECS 4
#define INSIGHT_MAX_PODS 64
#define INSIGHT_MAX_COMPONENTS 8

/* A detector component that fired: "lstm", "stats" or "rule", its metric, its score. */
struct component {
	char detector[8];
	char metric[32];
	double score;           /* [0,1] */
};

struct signal {
	char metric[40];
	double value;
	double expected_lo, expected_hi;   /* NaN when unknown */
};

struct evidence {
	char kind[16];          /* "event", "container_state", "node_condition" */
	char reason[64];
	char message[256];
	int count;
};

struct recommendation {
	char action[24];        /* restart_pod, scale_deployment, change_limits, ... , none */
	char target_kind[16];   /* Pod, Deployment, Node */
	char target[256];       /* "ns/name" or the node name */
	json_t *params;         /* owned; an object */
	char rationale[256];
	char risk[16];          /* low, medium, high */
};

/* One detection for one pod at one sample: the input to the store. */
struct finding {
	const char *namespace_, *pod, *node;
	const char *owner_kind, *owner_name;
	const char *anomaly_type;       /* crash_loop, oom, memory_leak, ... */
	double probability;             /* [0,1], calibrated */
	double score;                   /* [0,1], the evidence score before calibration */
	int64_t sample_ms;              /* the sample's timestamp (cluster clock) */
	const struct signal *signals;
	size_t nsignals;
	const struct evidence *evidence;
	size_t nevidence;
	const struct component *components;
	size_t ncomponents;
};

struct insight {
	char id[24];
	char *namespace_, *node, *owner_kind, *owner_name;
	char *anomaly_type;
	char *pods[INSIGHT_MAX_PODS];   /* pods in this incident; pods[0] is the first */
	bool pod_active[INSIGHT_MAX_PODS];
	size_t npods;
	int64_t detected_ms, updated_ms, resolved_ms; /* resolved 0 while open */
	double probability;
	double score;                   /* the evidence score behind probability */
	char severity[12];              /* info, warning, critical */
	struct signal signals[INSIGHT_MAX_SIGNALS];
	size_t nsignals;
	struct evidence evidence[INSIGHT_MAX_EVIDENCE];
	size_t nevidence;
	struct component comps[INSIGHT_MAX_COMPONENTS]; /* every component that fired, highest score */
	size_t ncomps;
	char summary[320];
	struct recommendation recs[INSIGHT_MAX_RECS];
	size_t nrecs;
	char *explanation;
	char explanation_source[8];     /* "rules" or "llm" */
	char *explanation_model;        /* the LLM's model name, or NULL */
	int normal_streak;              /* samples in a row with every pod normal */
};

struct insight_store {
	struct insight **items;
	size_t n, cap;
	double threshold;               /* findings below it do not open insights */
	int resolve_after;              /* normal samples before an insight resolves (default 3) */
	int64_t retain_resolved_ms;     /* resolved insights kept this long (default 1 h) */
	size_t max_insights;            /* hard cap (default 1000): oldest resolved go first */
	char model_name[64], model_version[32];
};

void insight_store_init(struct insight_store *s, double threshold);
void insight_store_release(struct insight_store *s);

/*
 * Feeds a finding. Below the threshold it counts as the pod being normal.
 * Returns the insight it opened or updated (owned by the store), or NULL.
 */
struct insight *insight_store_observe(struct insight_store *s, const struct finding *f);
/* The pod looked normal in a sample at now_ms: may resolve its insights. */
void insight_store_normal(struct insight_store *s, const char *ns, const char *pod,
			  int64_t now_ms);
/* The node looked normal in a sample at now_ms: may resolve its node insights. */
void insight_store_node_normal(struct insight_store *s, const char *node, int64_t now_ms);
/* Drops resolved insights past their retention and enforces the cap. */
void insight_store_expire(struct insight_store *s, int64_t now_ms);

/*
 * Earlier incidents of in's workload (its namespace and owner; its first pod
 * when it has no owner; its node for node incidents), of any type, open or
 * resolved, detected before in: the most recent first, at most max, into out
 * (borrowed from the store). Returns how many. For patterns across incidents.
 */
size_t insight_store_history(const struct insight_store *s, const struct insight *in,
			     const struct insight **out, size_t max);

/* The whole file's JSON: {"generated_at": ..., "insights": [...]} (new reference). */
json_t *insight_store_json(const struct insight_store *s, int64_t now_ms);
/* Writes it atomically; 0 or a negative errno. */
int insight_store_write(const struct insight_store *s, const char *path, int64_t now_ms);

/* One insight's JSON (new reference). */
json_t *insight_json(const struct insight *in, const struct insight_store *s);

/* Sets the explanation (copied) and its source ("rules"/"llm") and model (may be NULL). */
void insight_set_explanation(struct insight *in, const char *text, const char *source,
			     const char *model);
/* Adds a recommendation; params is stolen (may be NULL). -ENOSPC when full. */
int insight_add_recommendation(struct insight *in, const char *action,
			       const char *target_kind, const char *target,
			       json_t *params, const char *rationale, const char *risk);

#endif

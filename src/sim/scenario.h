#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H
/*
 * A simulated cluster's definition: nodes, workloads and scheduled faults,
 * read from a scenario file (docs/scenarios.md) or generated from
 * --nodes/--pods. struct scenario owns all its strings and arrays;
 * scenario_release() frees them.
 */
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Per-pod resource figures in base units: cores and bytes; 0 means unset. */
struct resources {
	double cpu_request, cpu_limit;
	double mem_request, mem_limit;
};

/* A pod's normal usage: cores, bytes, and bytes per second. */
struct usage {
	double cpu, mem, rx_bps, tx_bps;
};

struct workload {
	char *namespace_;       /* "namespace" is not a C keyword, but C++ readers thank us */
	char *deployment;
	int replicas;
	char *image;            /* default "registry.local/<deployment>:1.0" */
	struct resources res;
	struct usage usage;
	struct {
		bool on;
		int min_replicas, max_replicas;
		int cpu_utilization;    /* target average CPU use, % of the request */
	} hpa;                  /* a HorizontalPodAutoscaler on the Deployment (autoscaling/v2) */
	int line;               /* where it was defined (0 when generated) */
};

enum fault_type {
	FAULT_MEMORY_LEAK,
	FAULT_OOM_LIMIT_TOO_LOW,
	FAULT_CPU_SPIKE,
	FAULT_CPU_THROTTLING,
	FAULT_CRASH_LOOP,
	FAULT_NETWORK_ERRORS,
	FAULT_PACKET_DROPS,
	FAULT_NODE_NOT_READY,
	FAULT_NODE_MEMORY_PRESSURE,
	FAULT_IMAGE_PULL_ERROR,
	FAULT_UNSCHEDULABLE,
	FAULT__COUNT
};

/* "memory_leak" etc., and back; fault_type_parse returns 0 or -EINVAL. */
const char *fault_type_name(enum fault_type t);
int fault_type_parse(const char *s, enum fault_type *out);
/* Node faults target a node; the others target a deployment. */
bool fault_type_is_node(enum fault_type t);

struct fault {
	enum fault_type type;
	int64_t at_ms;          /* virtual time after start */
	int64_t duration_ms;    /* 0: until remediated */
	char *namespace_;       /* deployment faults: target namespace/deployment */
	char *deployment;
	int pods;               /* how many of the deployment's pods; 0 = all */
	char *node;             /* node faults */
	/*
	 * Parameters, every one with a default (docs/scenarios.md):
	 * rate: bytes/s (memory_leak), errors/s (network_errors), drops/s
	 * (packet_drops); factor: cpu multiplier (cpu_spike, cpu_throttling),
	 * request multiplier (unschedulable); limit: the too-low memory limit
	 * in bytes (oom_limit_too_low). Unused ones are 0 (factor 1). Defaults
	 * that depend on the target are resolved by the reader.
	 */
	double rate, factor, limit;
	bool release;           /* crash_loop: a bad release (a new image tag) crashes, not the pods */
	int line;               /* where it was defined (0 when generated) */
};

struct scenario {
	uint64_t seed;
	int nodes;
	double node_cpu;        /* allocatable cores per node (default 8) */
	double node_mem;        /* allocatable bytes per node (default 32Gi) */
	struct workload *workloads;
	size_t nworkloads;
	struct fault *faults;
	size_t nfaults;
};

/* Hard limits on what a scenario may ask for. */
#define SCENARIO_MAX_NODES 10000
#define SCENARIO_MAX_WORKLOADS 20000
#define SCENARIO_MAX_REPLICAS 10000
#define SCENARIO_MAX_PODS 1000000
#define SCENARIO_MAX_FAULTS 1000
#define SCENARIO_MAX_BYTES (4u << 20)

/*
 * Reads and validates a scenario file. On error returns -EINVAL (or a file
 * errno) and writes one line "FILE:LINE:COL: what is wrong" into err.
 * *sc is written only on success.
 */
int scenario_load(struct scenario *sc, const char *path, char *err, size_t errlen);
/* The same for text in memory; name stands for FILE in error messages. */
int scenario_parse(struct scenario *sc, const char *text, size_t len,
		   const char *name, char *err, size_t errlen);
/* Looks up a workload by namespace and deployment name, or NULL. */
const struct workload *scenario_find(const struct scenario *sc, const char *ns,
				     const char *deployment);
/* Sum of the workloads' replicas. */
long scenario_pods(const struct scenario *sc);
/*
 * The default cluster for --nodes/--pods: `pods` Deployment pods spread over
 * several namespaces and deployments, deterministic for a seed. No faults.
 */
void scenario_generate(struct scenario *sc, int nodes, int pods, uint64_t seed);
void scenario_release(struct scenario *sc);

#endif

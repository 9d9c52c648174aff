#ifndef SIM_SIM_H
#define SIM_SIM_H
/*
 * The simulated cluster as a running server (`kubemend sim`, `kubemend
 * demo`). struct sim is opaque and owns everything it starts: the HTTP(S)
 * server, the clock thread and the object store; sim_stop() ends and frees it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct sim_options {
	const char *listen;             /* "127.0.0.1:PORT" (port 0: any free port) */
	const char *kubeconfig_out;     /* written atomically once serving; NULL: none */
	bool tls;
	int nodes, pods;                /* generated cluster (ignored with scenario) */
	uint64_t seed;
	bool seed_set;                  /* --seed given: overrides the scenario's */
	double speed;                   /* virtual seconds per real second; 0 freezes */
	const char *scenario;           /* scenario file or NULL */
	const char *truth_out;          /* ground-truth file or NULL */
	int64_t start_ms;               /* virtual start (Unix ms); 0: now */
	const char *audit_log;          /* audit.k8s.io/v1 Event JSON lines, appended; NULL: none */
	/* API fault injection for client tests */
	int fault_latency_ms;
	double fault_500_rate, fault_429_rate, fault_truncate_rate;
	int fault_watch_cut_s;
};

struct sim;

/* Loads or generates the cluster, starts serving and writes the kubeconfig.
 * On failure returns a negative errno with one line in err. */
int sim_start(struct sim **out, const struct sim_options *opt, char *err, size_t errlen);
void sim_stop(struct sim *sim);
int sim_port(const struct sim *sim);
/* "https://127.0.0.1:PORT" or "http://..." */
const char *sim_url(const struct sim *sim);
/* The bearer token clients must send. */
const char *sim_token(const struct sim *sim);
/* Moves the virtual clock on by ms (as POST /sim/v1/advance does). */
void sim_advance(struct sim *sim, int64_t ms);
/* The resourceVersion of the newest watch event of pods, nodes and events
 * (0: none yet): a client whose watch caches have reached these has seen
 * every change so far (sim-record waits for that before it collects). */
void sim_last_rvs(struct sim *sim, uint64_t *pods, uint64_t *nodes, uint64_t *events);

#endif

#ifndef RUN_MONITOR_H
#define RUN_MONITOR_H
/*
 * The monitor's process loop, shared by `monitor`, `agent`, `detect --watch`,
 * `remediate --metrics-file` and `demo`: which stages run, wired from the
 * effective configuration and the options below (filled by cli/).
 * The caller owns everything it passes in; monitor_run() owns what it
 * starts (collector, CSV writer, pipeline, HTTP server, alert sender) and
 * stops it all before returning.
 */
#include <stdbool.h>
#include <stdint.h>
#include "base/strvec.h"
#include "conf/config.h"
#include "insight/explain.h"
#include "run/pipeline.h"

struct incluster_opts;

/* monitor_run()'s exit code for a usage error (as the commands' own). */
#define MONITOR_EXIT_USAGE 2

/*
 * Loads the configuration afresh into *out (the files, the environment and
 * the command line's settings, as at start): 0, or -1 after printing why.
 * Called on SIGHUP; on failure the current configuration stays.
 */
typedef int (*monitor_load_fn)(void *ctx, struct config *out);

struct monitor_run {
	const char *name;               /* "monitor", "agent": messages and log component */
	struct config *cfg;             /* effective settings (reloaded on SIGHUP) */
	monitor_load_fn load_config;    /* SIGHUP's reload; NULL: SIGHUP keeps cfg */
	void *load_ctx;
	bool collect;                   /* read the cluster */
	bool write_csv;                 /* append rows to agent.output_file */
	bool analyse;                   /* detect and keep insights */
	bool tail_csv;                  /* analyse rows read from agent.output_file as it grows */
	bool follow;                    /* keep tailing (else stop at the end of the file) */
	bool serve;                     /* HTTP endpoints on agent.listen ("" or "off": none) */
	bool alerts;                    /* Alertmanager when agent.alertmanager_url is set */
	bool remediate;                 /* plan, approve, act on and record (src/remedy/) */
	bool dry_run, auto_approve;     /* remediation: --dry-run, --auto-approve as typed */
	int tty_fd;                     /* remediation: answers come from here; -1: nobody to ask (pending) */
	bool enable_llm;                /* explain insights with an LLM (src/insight/explain) */
	long cycles;                    /* stop after this many cycles (0: no limit) */
	int64_t duration_ms;            /* stop after this long (0: no limit) */
	const struct strvec *metrics;   /* --metric-name specs */
	const char *csv_format;         /* "native" or "seed" (NULL: native) */
	size_t max_pods;
	const char *main_log;           /* log file name under agent.log_dir (NULL: none) */
	bool log_collect_apart;         /* collect's lines go to dataset_generator_agent.log */
	bool quiet;                     /* no log lines on stderr */
	pipeline_hook hook;             /* an extra hook (demo's printer), may be NULL */
	void *hook_ctx;
	const volatile int *stop;       /* an extra stop flag (demo), may be NULL */
	const char *watch_config_dir;   /* reload (as on SIGHUP) when its files change (a mounted ConfigMap); NULL: no */
	const struct incluster_opts *incluster; /* with remediate: leader election, shared records, Events (NULL: none) */
	struct pipeline *out_pipeline;  /* set while running, for an embedding caller */
	int bound_port;                 /* the HTTP port once serving */
	long cycles_done;               /* cycles finished so far (read with __atomic_load_n: demo) */
};

/* Runs until done, a signal or *stop; returns the process exit code. */
int monitor_run(struct monitor_run *m);

/*
 * One explanation step for in (history: earlier insights of its workload):
 * never waits on the network, logs a reason the first time it shows and the
 * actions it refused, and adds the answer's actions to in's
 * recommendations. Returns explainer_explain()'s status.
 */
int monitor_explain(struct explainer *ex, struct insight *in,
		    const struct insight *const *history, size_t nhistory);

#endif

#ifndef CLI_MONRUN_H
#define CLI_MONRUN_H
/*
 * The monitor's process loop, shared by `monitor`, `agent`, `detect --watch`
 * and `demo`: which stages run, wired from the effective configuration.
 * The caller owns everything it passes in; monitor_run() owns what it
 * starts (collector, CSV writer, pipeline, HTTP server, alert sender) and
 * stops it all before returning.
 */
#include <stdbool.h>
#include <stdint.h>
#include "base/strvec.h"
#include "conf/config.h"
#include "serve/pipeline.h"

/* One flag as given, re-applied over the files and environment on SIGHUP. */
struct flag_value {
	const char *key, *flag, *value;
};

struct monitor_run {
	const char *name;               /* "monitor", "agent": messages and log component */
	const char *config_dir;         /* NULL: $KUBEMEND_CONFIG_DIR or config */
	struct config *cfg;             /* effective settings (reloaded on SIGHUP) */
	const struct flag_value *flags; /* the command line's settings */
	size_t nflags;
	bool collect;                   /* read the cluster */
	bool write_csv;                 /* append rows to agent.output_file */
	bool analyse;                   /* detect and keep insights */
	bool tail_csv;                  /* analyse rows read from agent.output_file as it grows */
	bool follow;                    /* keep tailing (else stop at the end of the file) */
	bool serve;                     /* HTTP endpoints on agent.listen ("" or "off": none) */
	bool alerts;                    /* Alertmanager when agent.alertmanager_url is set */
	bool remediate, enable_llm;     /* hooks the coordinator wires (see monrun.c) */
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
	struct pipeline *out_pipeline;  /* set while running, for an embedding caller */
	int bound_port;                 /* the HTTP port once serving */
};

/* Runs until done, a signal or *stop; returns the process exit code. */
int monitor_run(struct monitor_run *m);

/* Loads config files + environment, then the flags; prints errors; 0 or -1. */
int monitor_load_config(struct config *c, const char *dir, const struct flag_value *flags,
			size_t nflags, const char *who);

#endif

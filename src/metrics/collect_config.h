#ifndef METRICS_COLLECT_CONFIG_H
#define METRICS_COLLECT_CONFIG_H
/*
 * config/prometheus.yaml: Prometheus settings, custom PromQL columns and
 * collection defaults. Values here sit under flags and the environment and
 * over the built-in defaults (the caller applies that order). The struct
 * owns its strings; collect_config_release() frees them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "metrics/collector.h"

#define COLLECT_MAX_CUSTOM 64

struct collect_config {
	bool prom_enabled;
	char *prom_url;                 /* NULL: not set */
	int64_t prom_timeout_ms;        /* 0: not set */
	char *rx_dropped_query, *tx_dropped_query;
	struct prom_column *custom;
	size_t ncustom;
	/* collect: section; NULL / 0 when not set */
	char *output_file, *namespace, *csv_format;
	int64_t interval_ms;
	uint64_t rotate_bytes;          /* max_file_size (or rotate_size) */
	int64_t max_age_ms, retention_ms;
	uint64_t retention_bytes;
	bool retention_bytes_set;
};

/* Loads path; -ENOENT when it does not exist (not an error for the default
 * path), -EINVAL with "FILE:L:C: what" for a bad file. */
int collect_config_load(struct collect_config *c, const char *path, char *err, size_t errlen);
/*
 * Adds a custom column from "NAME" (queries sum by (namespace, pod) of the
 * metric NAME) or "NAME=PROMQL". NAME must be a CSV-safe identifier
 * ([A-Za-z_][A-Za-z0-9_:]*) not already a column. 0 or -EINVAL.
 */
int collect_config_add_metric(struct collect_config *c, const char *spec, char *err, size_t errlen);
void collect_config_release(struct collect_config *c);

#endif

#ifndef INSIGHT_INSIGHT_READ_H
#define INSIGHT_INSIGHT_READ_H
/*
 * Reading pod_insights.json back (docs/insights.md), for `kubemend
 * remediate`, which meets the agent at the file. What is read becomes
 * insights owned by the store it is added to. A document with a mistake is
 * refused whole, with the file name and the JSON position or the path of
 * the bad field ("pod_insights.json: insights[2].probability: ...").
 */
#include <stddef.h>
#include <jansson.h>
#include "insight/insight.h"

#define INSIGHT_FILE_MAX_BYTES (64u << 20)
#define INSIGHT_FILE_MAX_ITEMS 100000

/*
 * Adds one insight (as insight_json() writes it) to s. Only id,
 * anomaly_type and probability are required; strings longer than the
 * struct's fields are an error, not truncated.
 */
int insight_from_json(struct insight_store *s, const json_t *obj, char *err, size_t errlen);

/* Parses a whole file's text ({"generated_at", "insights": [...]}) into s. */
int insight_store_parse(struct insight_store *s, const char *name, const char *text,
			size_t len, char *err, size_t errlen);
/* Reads path (at most INSIGHT_FILE_MAX_BYTES) into s. */
int insight_store_read(struct insight_store *s, const char *path, char *err, size_t errlen);

#endif

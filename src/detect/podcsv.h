#ifndef DETECT_PODCSV_H
#define DETECT_PODCSV_H
/*
 * Reading pod sample CSVs (kubemend's native columns or the seed
 * prototype's) into per-pod sequences of struct features, for training and
 * offline detection. struct podcsv owns everything; podcsv_release frees it.
 */
#include <stddef.h>
#include <stdint.h>
#include "detect/features.h"

#define PODCSV_MAX_BYTES (1024u << 20)
#define PODCSV_MAX_ROWS 10000000
#define PODCSV_MAX_FIELDS 512
#define PODCSV_MAX_FIELD (64u << 10)

struct podcsv {
	size_t npods;
	char **pod;             /* "namespace/pod" (or the seed's pod name) */
	size_t *start;          /* npods + 1: rows of pod i are [start[i], start[i+1]) */
	size_t nrows;
	struct features *rows;  /* grouped by pod, each pod in time order */
	int64_t *ts_ms;
};

/* err gets "line L: what" (the line where the bad record starts). */
int podcsv_parse(const char *text, size_t len, struct podcsv *out, char *err,
		 size_t errlen);
int podcsv_read_file(const char *path, struct podcsv *out, char *err,
		     size_t errlen);
void podcsv_release(struct podcsv *p);

#endif

#ifndef CLI_PODROWS_H
#define CLI_PODROWS_H
/*
 * Every row of a pod samples CSV (kubemend's native columns or the seed's),
 * read by metrics/csv_read.c and put in order for offline detection and
 * training: by pod ("namespace/pod"), each pod's rows in time order. struct
 * podrows owns the rows; podrows_release frees them.
 */
#include <stddef.h>
#include "metrics/sample.h"

#define PODROWS_MAX 10000000

struct podrows {
	struct sample *rows;
	size_t n, cap;
	size_t npods;
	size_t *start;          /* npods + 1: rows of pod i are [start[i], start[i+1]) */
};

/* 0, or a negative errno with "FILE:LINE: what" (or "FILE: what") in err. */
int podrows_read(const char *path, struct podrows *out, char *err, size_t errlen);
/* The indices of all rows in time order (ties in file order); the caller frees. */
size_t *podrows_time_order(const struct podrows *p);
void podrows_release(struct podrows *p);

#endif

#ifndef EVAL_PLOT_H
#define EVAL_PLOT_H
/*
 * SVG plots and HTML indexes written by `kubemend eval`. Every argument is
 * borrowed from the caller.
 */
#include <stddef.h>
#include "detect/series.h"
#include "eval/nab.h"

/*
 * Writes OUTDIR/<name>.svg for each file (series, score, windows, detections
 * at theta) and OUTDIR/index.html linking them. 0 or a negative errno.
 */
int evalplot_nab(const char *outdir, const char *const *names,
		 const struct series *s, const struct nab_file *f, size_t n,
		 double theta);

/* OUTDIR/<machine>.svg: both scores over the test split with the labels. */
int evalplot_multi(const char *outdir, const char *machine, const double *lstm,
		   const double *pca, const double *label, size_t n);
/* OUTDIR/index.html: the summary text and every machine's plot. */
int evalplot_multi_index(const char *outdir, const char *const *machines, size_t n,
			 const char *summary);

#endif

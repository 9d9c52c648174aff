#ifndef CLI_EVAL_H
#define CLI_EVAL_H
/*
 * Pieces of `kubemend eval` shared between its files. Every argument is
 * borrowed from the caller.
 */
#include <stddef.h>
#include "detect/nab.h"
#include "detect/series.h"

/* `eval multi`: argv[0] is "multi". */
int eval_multi(int argc, char **argv);

/*
 * Writes OUTDIR/<name>.svg for each file (series, score, windows, detections
 * at theta) and OUTDIR/index.html linking them. 0 or a negative errno.
 */
int evalplot_nab(const char *outdir, const char *const *names,
		 const struct series *s, const struct nab_file *f, size_t n,
		 double theta);

#endif

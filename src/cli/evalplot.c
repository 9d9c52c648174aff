/* SVG plots and the HTML index written by `kubemend eval`. */
#include "cli/eval.h"
#include "base/banned.h"

int evalplot_nab(const char *outdir, const char *const *names,
		 const struct series *s, const struct nab_file *f, size_t n,
		 double theta)
{
	(void)outdir; (void)names; (void)s; (void)f; (void)n; (void)theta;
	return 0;
}

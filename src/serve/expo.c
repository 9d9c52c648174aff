#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "serve/expo.h"
#include "base/banned.h"

void expo_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_addf(out, "# HELP %s ", name);
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			buf_adds(out, "\\\\");
		else if (*p == '\n')
			buf_adds(out, "\\n");
		else
			buf_addch(out, *p);
	}
	buf_addf(out, "\n# TYPE %s %s\n", name, type);
}

static void label_value(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_adds(out, "\\\\");
		else if (*v == '"')
			buf_adds(out, "\\\"");
		else if (*v == '\n')
			buf_adds(out, "\\n");
		else
			buf_addch(out, *v);
	}
}

void expo_sample(struct buf *out, const char *name, const char *const *labels, double value)
{
	buf_adds(out, name);
	if (labels && labels[0]) {
		buf_addch(out, '{');
		for (int i = 0; labels[i] && labels[i + 1]; i += 2) {
			buf_addf(out, "%s%s=\"", i ? "," : "", labels[i]);
			label_value(out, labels[i + 1]);
			buf_addch(out, '"');
		}
		buf_addch(out, '}');
	}
	if (isnan(value))
		buf_adds(out, " NaN\n");
	else if (isinf(value))
		buf_adds(out, value > 0 ? " +Inf\n" : " -Inf\n");
	else {
		/* the shortest text that reads back as the same double */
		char num[40];
		snprintf(num, sizeof(num), "%.15g", value);
		if (strtod(num, NULL) != value)
			snprintf(num, sizeof(num), "%.17g", value);
		buf_addf(out, " %s\n", num);
	}
}

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "detect/podmodel.h"
#include "detect/lstm_io.h"
#include "detect/pod.h"
#include "base/banned.h"

int pod_model_load(const struct config *c, const char *flag, struct lstm *m, const char **path,
		   char *err, size_t errlen)
{
	const char *p = flag;
	bool named = true;
	struct pod_detector probe;
	int rc;

	if (!p && c && config_str(c, "model.path")) {
		const struct conf_value *v = config_value(c, "model.path");
		p = config_str(c, "model.path");
		named = v && v->source != CS_DEFAULT;
	}
	if (!p) {
		p = POD_DEFAULT_MODEL;
		named = false;
	}
	*path = p;
	if (!named && access(p, F_OK) != 0)
		return 0;
	if (lstm_load(p, m, err, errlen) < 0)
		return -1;
	/* the detector's own check: its features, its window */
	pod_detector_init(&probe, 1);
	{
		char e[256];
		rc = pod_detector_set_model(&probe, m, true, e, sizeof(e));
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", p, e);
	}
	pod_detector_release(&probe);
	if (rc < 0) {
		lstm_release(m);
		return -1;
	}
	return 1;
}

void pod_model_describe(const struct lstm *m, int loaded, const char *path, char *out, size_t n)
{
	if (loaded <= 0) {
		snprintf(out, n, "none (%s not found): statistics and rules, probability uncalibrated", path);
		return;
	}
	snprintf(out, n, "%s: LSTM %d features, %d layer(s) of %d, window %d; %s (%d knots)", path,
		 m->sh.nin, m->sh.nlayers, m->sh.nhid, m->sh.window,
		 m->ncal ? "calibrated" : "not calibrated (probability = evidence score)", m->ncal);
}

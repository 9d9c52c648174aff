#ifndef DETECT_PODMODEL_H
#define DETECT_PODMODEL_H
/*
 * Which model the pod detector uses, the same way for every command: a
 * --model flag, else the config's model.path (MODEL_PATH in the
 * environment sets it), else models/default.kmm. The default may be absent (the detector then runs on
 * statistics and rules, uncalibrated); a model that was named must load.
 * The caller owns the struct lstm it passes (lstm_release).
 */
#include <stdbool.h>
#include <stddef.h>
#include "conf/config.h"
#include "detect/lstm.h"

#define POD_DEFAULT_MODEL "models/default.kmm"

/*
 * 1 with *m loaded and *path set (borrowed from flag or c), 0 when the default model is absent (*path names it), or -1 with a
 * one-line reason in err (a named model missing, corrupt or unusable).
 * c may be NULL.
 */
int pod_model_load(const struct config *c, const char *flag, struct lstm *m, const char **path,
		   char *err, size_t errlen);
/* One line on the model in use: its file, shape, features, calibration. */
void pod_model_describe(const struct lstm *m, int loaded, const char *path, char *out, size_t n);

#endif

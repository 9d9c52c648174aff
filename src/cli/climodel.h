#ifndef CLI_CLIMODEL_H
#define CLI_CLIMODEL_H
/*
 * Which model the pod detector uses, the same way for every command: a
 * --model flag, else MODEL_PATH, else the config's model.path, else
 * models/default.kmm. The default may be absent (the detector then runs on
 * statistics and rules, uncalibrated); a model that was named must load.
 * The caller owns the struct lstm it passes (lstm_release).
 */
#include <stdbool.h>
#include <stddef.h>
#include "conf/config.h"
#include "detect/lstm.h"

#define CLI_DEFAULT_MODEL "models/default.kmm"

/*
 * 1 with *m loaded and *path set (borrowed from flag, the environment or
 * c), 0 when the default model is absent (*path names it), or -1 with a
 * one-line reason in err (a named model missing, corrupt or unusable).
 * c may be NULL.
 */
int cli_model_load(const struct config *c, const char *flag, struct lstm *m, const char **path,
		   char *err, size_t errlen);
/* One line on the model in use: its file, shape, features, calibration. */
void cli_model_describe(const struct lstm *m, int loaded, const char *path, char *out, size_t n);

#endif

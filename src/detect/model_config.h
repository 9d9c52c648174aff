#ifndef DETECT_MODEL_CONFIG_H
#define DETECT_MODEL_CONFIG_H
/*
 * config/model_config.yaml: the LSTM's shape, its input features and the
 * training settings. A plain value; nothing is owned.
 */
#include "detect/features.h"
#include "detect/lstm.h"
#include "detect/lstm_train.h"

struct model_config {
	struct lstm_shape shape;        /* nin = nout = number of features */
	int feat[FEAT_COUNT];           /* feature indices, in model order */
	struct lstm_train_opts train;
};

/* The built-in defaults (the same as the shipped config file). */
void model_config_defaults(struct model_config *c);
/*
 * Reads path over the defaults (keys not given keep their defaults). On
 * failure returns -EINVAL with "FILE:L:C: what" in err.
 */
int model_config_load(const char *path, struct model_config *c, char *err,
		      size_t errlen);

#endif

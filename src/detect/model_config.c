#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/str.h"
#include "conf/ynode.h"
#include "detect/model_config.h"
#include "base/banned.h"

void model_config_defaults(struct model_config *c)
{
	memset(c, 0, sizeof(*c));
	c->shape.window = 16;
	c->shape.nhid = 32;
	c->shape.nlayers = 1;
	c->shape.nin = c->shape.nout = FEAT_MODEL_COUNT;
	for (int i = 0; i < FEAT_MODEL_COUNT; i++)
		c->feat[i] = i;
	lstm_train_defaults(&c->train);
	c->train.stride = 4;
}

static int get_int(const char *path, const struct ynode *map, const char *key,
		   int lo, int hi, int *out, char *err, size_t errlen)
{
	const struct ynode *n = ynode_get(map, key);
	int v;

	if (!n)
		return 0;
	if (!ynode_str(n) || str_to_int(ynode_str(n), &v) < 0 || v < lo || v > hi) {
		snprintf(err, errlen, "%s:%d:%d: %s must be an integer in [%d, %d]", path,
			 n->line, n->col, key, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int get_num(const char *path, const struct ynode *map, const char *key,
		   double lo, double hi, double *out, char *err, size_t errlen)
{
	const struct ynode *n = ynode_get(map, key);
	double v;

	if (!n)
		return 0;
	if (!ynode_str(n) || str_to_double(ynode_str(n), &v) < 0 || v < lo || v > hi) {
		snprintf(err, errlen, "%s:%d:%d: %s must be a number in [%g, %g]", path,
			 n->line, n->col, key, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int model_config_load(const char *path, struct model_config *out, char *err,
		      size_t errlen)
{
	struct model_config c = *out;
	struct ynode *root = NULL;
	const struct ynode *m, *f, *t;
	int rc = ynode_parse_file(path, &root, err, errlen);

	if (rc < 0)
		return rc;
	rc = -EINVAL;
	if (root && root->kind != YNODE_MAP) {
		snprintf(err, errlen, "%s:%d:%d: expected a mapping", path, root->line, root->col);
		goto out;
	}
	if ((m = ynode_get(root, "model")) != NULL) {
		if (get_int(path, m, "window", 1, LSTM_MAX_WINDOW, &c.shape.window, err, errlen) ||
		    get_int(path, m, "hidden", 1, LSTM_MAX_HID, &c.shape.nhid, err, errlen) ||
		    get_int(path, m, "layers", 1, LSTM_MAX_LAYERS, &c.shape.nlayers, err, errlen))
			goto out;
	}
	if ((f = ynode_get(root, "features")) != NULL) {
		if (f->kind != YNODE_SEQ || f->n == 0 || f->n > FEAT_COUNT) {
			snprintf(err, errlen, "%s:%d:%d: features must be a list of 1 to %d names",
				 path, f->line, f->col, FEAT_COUNT);
			goto out;
		}
		for (size_t i = 0; i < f->n; i++) {
			const char *name = ynode_str(f->items[i]);
			int idx = name ? feat_index(name) : -1;
			if (idx < 0) {
				snprintf(err, errlen, "%s:%d:%d: unknown feature '%s'", path,
					 f->items[i]->line, f->items[i]->col, name ? name : "");
				goto out;
			}
			for (size_t k = 0; k < i; k++)
				if (c.feat[k] == idx) {
					snprintf(err, errlen, "%s:%d:%d: feature '%s' listed twice", path,
						 f->items[i]->line, f->items[i]->col, name);
					goto out;
				}
			c.feat[i] = idx;
		}
		c.shape.nin = c.shape.nout = (int)f->n;
	}
	if ((t = ynode_get(root, "training")) != NULL) {
		double seed = (double)c.train.seed, stride = (double)c.train.stride;
		if (get_int(path, t, "epochs", 1, 100000, &c.train.epochs, err, errlen) ||
		    get_int(path, t, "batch", 1, 65536, &c.train.batch, err, errlen) ||
		    get_int(path, t, "patience", 1, 100000, &c.train.patience, err, errlen) ||
		    get_num(path, t, "learning_rate", 1e-9, 10, &c.train.lr, err, errlen) ||
		    get_num(path, t, "clip_norm", 0, 1e9, &c.train.clip, err, errlen) ||
		    get_num(path, t, "validation_fraction", 0, 0.9, &c.train.val_frac, err, errlen) ||
		    get_num(path, t, "seed", 0, 4294967295.0, &seed, err, errlen) ||
		    get_num(path, t, "stride", 1, 1e6, &stride, err, errlen))
			goto out;
		c.train.seed = (uint64_t)seed;
		c.train.stride = (size_t)stride;
	}
	*out = c;
	rc = 0;
out:
	ynode_free(root);
	return rc;
}

#ifndef EVAL_NABCV_H
#define EVAL_NABCV_H
/*
 * Leave-one-corpus-out cross-validation of NAB scores. The caller scores
 * every file under each candidate configuration and says which fold (NAB
 * corpus) each file belongs to; for each fold, the configuration and the
 * threshold are chosen on the other folds' files only (NAB's threshold sweep,
 * the highest raw score; ties go to the lower configuration index), then the
 * held-out fold is scored with them. Everything is borrowed from the caller.
 */
#include <stddef.h>
#include "detect/uni.h"
#include "eval/nab.h"

struct nabcv_fold {
	size_t config;          /* chosen on the other folds */
	double theta;           /* chosen on the other folds */
	struct nab_result r;    /* the held-out fold at (config, theta) */
	size_t files;
};

/*
 * files[c] is the array of nfiles scored files under configuration c (c <
 * nconf; the windows are the same for every c). fold[f] < nfolds. Fills
 * out[0..nfolds-1]. A fold left with no other fold to train on gets
 * config 0 and threshold 1.1 (never detect).
 */
void nabcv_run(const struct nab_file *const *files, size_t nconf, size_t nfiles,
	       const size_t *fold, size_t nfolds, enum nab_profile p,
	       struct nabcv_fold *out);

/* The pooled cross-validated score: the held-out raw scores summed and
 * normalised by all their windows. */
double nabcv_pooled(const struct nabcv_fold *folds, size_t nfolds, enum nab_profile p);

/* In-sample, NAB's rule: the configuration and threshold with the highest
 * raw score on all files. */
void nabcv_insample(const struct nab_file *const *files, size_t nconf, size_t nfiles,
		    enum nab_profile p, size_t *config, double *theta,
		    struct nab_result *out);

/* What the cross-validated procedure picks with nothing held out (the
 * plateau rule on all files): the configuration and threshold to ship. */
void nabcv_choose(const struct nab_file *const *files, size_t nconf, size_t nfiles,
		  enum nab_profile p, size_t *config, double *theta,
		  struct nab_result *out);

/*
 * The candidate configurations of the univariate detector searched inside
 * each fold: entry 0 is uni_params_default(), then every combination of a
 * shorter or no refractory period, no smoothing, no range break and no
 * seasonal part. Writes at most max entries and returns how many.
 */
size_t nabcv_uni_grid(struct uni_params *out, size_t max);
/* One line describing p ("hold=1000x5m smooth=10 range=0.05 season=1"). */
void nabcv_uni_describe(const struct uni_params *p, char *buf, size_t len);

#endif

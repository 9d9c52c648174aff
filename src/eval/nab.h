#ifndef EVAL_NAB_H
#define EVAL_NAB_H
/*
 * The NAB scoring rules (shared/data/nab/SCORING.md): per-row values,
 * per-file scores at a threshold, the corpus threshold sweep and the
 * normalised score. Files borrow their score and window arrays from the
 * caller; struct nab_labels owns everything it holds.
 */
#include <stddef.h>
#include <stdint.h>

enum nab_profile { NAB_STANDARD, NAB_LOW_FP, NAB_LOW_FN, NAB_NPROFILES };

struct nab_weights { double tp, fp, fn; };

extern const char *const nab_profile_name[NAB_NPROFILES];
extern const struct nab_weights nab_profile_weights[NAB_NPROFILES];

/* One window as row indices, both ends inclusive. */
struct nab_window { size_t l, r; };

struct nab_file {
	size_t n;                       /* rows */
	const double *score;            /* n anomaly scores in [0,1] */
	const struct nab_window *win;   /* sorted, disjoint */
	size_t nwin;
};

/* Result of scoring a file or a corpus at one threshold. */
struct nab_result {
	double raw;         /* sum of window and false-positive values */
	size_t windows;     /* windows counted (the normalisation's N_win) */
	size_t tp;          /* windows with a detection */
	size_t fp;          /* detections outside every window */
};

/* Rows before this index are not scored: min(floor(0.15 n), 750). */
size_t nab_probation(size_t n);
/* Scaled sigmoid 2/(1+exp(5y)) - 1, and -1 for y > 3. */
double nab_sigmoid(double y);

/* Scores one file: rows with score >= theta and index >= probation detect. */
void nab_score_file(const struct nab_file *f, enum nab_profile p, double theta,
		    struct nab_result *out);
/* The corpus at one threshold (sums the files). */
void nab_score_corpus(const struct nab_file *files, size_t nfiles,
		      enum nab_profile p, double theta, struct nab_result *out);
/*
 * NAB's threshold optimisation: the threshold among the distinct scores of
 * scorable rows (and 1.1, "never detect") that maximises the corpus raw
 * score, the highest on ties. Writes the threshold and its result.
 */
void nab_optimise(const struct nab_file *files, size_t nfiles,
		  enum nab_profile p, double *theta, struct nab_result *out);
/* 100 * (raw - null) / (perfect - null) for nwin windows. */
double nab_normalise(double raw, size_t nwin, enum nab_profile p);

/* The label file: file name -> windows as [start, end] timestamps. */
struct nab_labels {
	size_t n;
	char **name;            /* "category/file.csv" */
	size_t *nwin;
	int64_t (**ts)[2];      /* ts[i][k][0..1]: Unix ms */
};

#define NAB_MAX_LABEL_FILES 100000
#define NAB_MAX_WINDOWS     100000

/* Reads combined_windows.json; err gets "FILE:L:C: what". */
int nab_labels_load(const char *path, struct nab_labels *out, char *err,
		    size_t errlen);
void nab_labels_release(struct nab_labels *l);
/* Index of name in l, or -1. */
long nab_labels_find(const struct nab_labels *l, const char *name);
/*
 * Turns entry idx's timestamps into row indices of a series with timestamps
 * ts (n rows) by exact match. *out is malloc'd (NULL when there are none).
 * -ENOENT (and err) when a timestamp is not a row.
 */
int nab_labels_windows(const struct nab_labels *l, size_t idx,
		       const int64_t *ts, size_t n, struct nab_window **out,
		       size_t *nout, char *err, size_t errlen);

#endif

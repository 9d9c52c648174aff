#ifndef EVAL_PKL_H
#define EVAL_PKL_H
/*
 * Reading a NumPy array stored as a pickle (protocol 3, as pickle.dump
 * writes it; protocol 2 goes through _codecs.encode and is refused) WITHOUT
 * unpickling: the opcodes
 * are checked one by one against the small set an ndarray needs (globals
 * numpy.core.multiarray._reconstruct, numpy.ndarray and numpy.dtype only;
 * anything else is rejected), and the raw little-endian payload is
 * converted to doubles. struct pkl_array owns its data.
 */
#include <stddef.h>

#define PKL_MAX_BYTES (1024u << 20)

struct pkl_array {
	int ndim;               /* 1 or 2 */
	size_t rows, cols;      /* cols = 1 when ndim == 1 */
	double *data;           /* rows x cols, row-major */
};

/* err gets "byte N: what". */
int pkl_parse(const void *data, size_t len, struct pkl_array *out, char *err,
	      size_t errlen);
int pkl_read_file(const char *path, struct pkl_array *out, char *err,
		  size_t errlen);
void pkl_release(struct pkl_array *a);

#endif

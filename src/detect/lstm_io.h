#ifndef DETECT_LSTM_IO_H
#define DETECT_LSTM_IO_H
/*
 * The model file (docs/model.md): a versioned little-endian header with the
 * shapes, the feature names, the normalisation, the error scales, the
 * parameters as IEEE-754 doubles and a CRC-32 of everything before it. The
 * caller owns the struct lstm it passes or receives.
 */
#include <stddef.h>
#include "base/buf.h"
#include "detect/lstm.h"

#define LSTM_FILE_MAGIC "KMLSTM\r\n"
#define LSTM_FILE_VERSION 2  /* 1 (no calibration) is still read */
#define LSTM_FILE_MAX (256u << 20)

/* Serialises m into out (appending). */
int lstm_encode(const struct lstm *m, struct buf *out);
/*
 * Parses a model from bytes. On failure returns -EINVAL and writes a
 * one-line reason with the byte offset into err; *m is untouched.
 */
int lstm_decode(const void *data, size_t len, struct lstm *m, char *err,
		size_t errlen);
/* Writes atomically. */
int lstm_save(const struct lstm *m, const char *path);
/* Reads and decodes; err names the file. */
int lstm_load(const char *path, struct lstm *m, char *err, size_t errlen);
/*
 * -EINVAL (and err) unless the model's features are exactly names[0..n-1]
 * in that order: a model trained on other inputs must not be used.
 */
int lstm_check_features(const struct lstm *m, const char *const *names,
			int n, char *err, size_t errlen);

#endif

#ifndef SERVE_EXPO_H
#define SERVE_EXPO_H
/*
 * Writing the Prometheus text exposition format (version 0.0.4). Appends to
 * a caller's buffer; owns nothing. Each family is announced once with
 * expo_family() before its samples.
 */
#include "base/buf.h"

void expo_family(struct buf *out, const char *name, const char *type, const char *help);
/*
 * One sample. labels is NULL or an array of name, value pairs ended by NULL;
 * values are escaped. NaN and infinities are written as Prometheus spells them.
 */
void expo_sample(struct buf *out, const char *name, const char *const *labels, double value);

#endif

#ifndef KUBE_JSONSKIM_H
#define KUBE_JSONSKIM_H
/*
 * Skimming JSON before it is parsed: copies a JSON text without the object
 * members whose key is in a list (at any depth) and without insignificant
 * whitespace, so that jansson builds (and hashes) only what the typed
 * parsers read. A pod as the API server sends it is mostly fields kubemend
 * never looks at (labels, annotations, managedFields, conditions, probes,
 * volumes); a list of 10,000 is 23 MB. Owns nothing; the caller's buffer
 * gets the text.
 */
#include <stddef.h>
#include "base/buf.h"

/*
 * Appends the skimmed text of in[0..len) to out. drop: NULL-terminated key
 * names. Returns 0, or -EINVAL when the text is not well-formed JSON as far
 * as the skim can tell (strings, nesting, literals): the caller then parses
 * the original, whose parser reports the error with its line and column.
 */
int json_skim(const char *in, size_t len, const char *const *drop, struct buf *out);

/*
 * Finds the string member key of the object member obj of the top-level
 * object in[0..len) (e.g. "metadata", "continue" of a list) without
 * parsing the rest: the members after it are not read, so a list whose
 * metadata comes before its items costs a few bytes. Appends the string to
 * out and returns 0; -ENOENT when there is none (or it is not a string),
 * -EINVAL when the text up to it is not well-formed, and -ENOTSUP for a
 * string with escapes (the caller parses the text instead).
 */
int json_skim_member(const char *in, size_t len, const char *obj, const char *key,
		     struct buf *out);

/*
 * Skips one JSON value (and the whitespace before it) at p, checking it as
 * json_skim() does: returns where it ends, or NULL when it is not
 * well-formed before end.
 */
const char *json_skim_value_end(const char *p, const char *end);

#endif

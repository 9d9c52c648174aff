#ifndef SIM_PATCH_H
#define SIM_PATCH_H
/*
 * Patches applied to a JSON document (jansson): JSON merge patch (RFC 7386),
 * Kubernetes strategic merge patch (for the fields kubectl sends) and JSON
 * patch (RFC 6902). Each modifies *doc in place (possibly replacing it; the
 * caller keeps owning *doc) and returns 0, or -EINVAL with a reason in err.
 */
#include <stddef.h>
#include <jansson.h>

enum patch_type { PATCH_MERGE, PATCH_STRATEGIC, PATCH_JSON };

#define PATCH_MAX_BYTES (1u << 20)
#define PATCH_MAX_DEPTH 32

/* From a Content-Type; -EINVAL for one we do not take (the API answers 415). */
int patch_type_from_content_type(const char *ct, enum patch_type *out);

/* Parses body (len bytes) and applies it. */
int patch_apply(json_t **doc, enum patch_type type, const char *body, size_t len,
		char *err, size_t errlen);

#endif

#ifndef SIM_GENERIC_H
#define SIM_GENERIC_H
/*
 * Kinds the sim stores but does not simulate: ConfigMaps, Secrets,
 * Services, ServiceAccounts, RBAC, CustomResourceDefinitions and the
 * resources of every CRD created through the API. Each object is kept as
 * the JSON it was written with (struct gobj owns it); the server fields of
 * its metadata (uid, resourceVersion, creationTimestamp, generation) are
 * set on every render. The resource table is process-wide and changed only
 * under simstate.mu. Internal to src/sim/.
 */
#include <stdbool.h>
#include <jansson.h>
#include "sim/api.h"

struct gobj {
	struct meta m;
	json_t *obj;            /* owned */
};

/* Registers the built-in kinds (idempotent). */
void gen_init(void);
/* The resource for a URL's group, version and plural, or NULL. */
const struct resdef *gen_find(const char *group, const char *version, const char *plural);
/* Whether a generic resource lives in group/version. */
bool gen_group_version(const char *group, const char *version);
/*
 * Appends to an /apis APIGroupList the groups of generic resources whose
 * names are not in skip[0..nskip). *first tracks the comma.
 */
void gen_groups(struct buf *b, const char *const skip[], size_t nskip, bool *first);
/* The APIGroup document of a generic group; false when none. */
bool gen_group_doc(struct buf *b, const char *group);
/* Appends the resource entries of group/version to an APIResourceList. */
void gen_resources(struct buf *b, const char *group, const char *version, bool *first);

const char *gen_kind_name(enum kind k);
const char *gen_api_version(enum kind k);
void gen_render(struct buf *b, const struct meta *m);
void gen_table_columns(struct buf *b, enum kind k);
/* The cells after the Name cell. */
void gen_table_cells(struct buf *b, const struct meta *m, int64_t now_ms);
void gen_free(struct meta *m);

/* Under simstate.mu: stores a new object (name checked by the caller), answers 201. */
void gen_create(struct apireq *a, json_t *obj, const char *name);
/* Under simstate.mu: replaces m with obj (preconditions checked by the caller). */
void gen_update(struct apireq *a, struct meta *m, json_t *obj);
/* Under simstate.mu: deletes m (a CRD takes its resources with it). */
void gen_delete(struct simstate *s, struct meta *m);
/* The OpenAPI v3 root and per-group-version documents kubectl asks for before apply. */
void gen_openapi_root(struct buf *b);
bool gen_openapi_gv(struct buf *b, const char *gvpath);

#endif

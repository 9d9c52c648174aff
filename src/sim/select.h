#ifndef SIM_SELECT_H
#define SIM_SELECT_H
/*
 * Kubernetes label and field selectors: parsed once into a struct selector
 * that owns its strings (selector_free() frees it), then matched against
 * objects through a lookup callback.
 */
#include <stdbool.h>
#include <stddef.h>

enum sel_op { SEL_EQ, SEL_NEQ, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

struct sel_req {
	char *key;
	enum sel_op op;
	char **vals;
	size_t nvals;
};

struct selector {
	struct sel_req *reqs;
	size_t n;
};

#define SELECTOR_MAX_REQS 64
#define SELECTOR_MAX_LEN 4096

/*
 * Label selector syntax: "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j".
 * Field selector syntax (field=true): "k=v,k==v,k!=v" only. An empty or
 * NULL string is the selector that matches everything. Returns 0, or
 * -EINVAL with a reason in err.
 */
int selector_parse(const char *s, bool field, struct selector **out, char *err, size_t errlen);
/* Adds a requirement (copies the strings); used to build selectors from JSON. */
void selector_add(struct selector *sel, const char *key, enum sel_op op,
		  const char *const *vals, size_t nvals);
struct selector *selector_new(void);
void selector_free(struct selector *sel);

/* lookup(ctx, key) returns the object's value for key, or NULL when absent. */
typedef const char *(*selector_lookup)(const void *ctx, const char *key);
bool selector_match(const struct selector *sel, selector_lookup lookup, const void *ctx);
bool selector_empty(const struct selector *sel);
/* "a=b,c in (x,y)": canonical text (caller frees). */
char *selector_string(const struct selector *sel);

#endif

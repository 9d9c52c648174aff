#ifndef CONF_YNODE_H
#define CONF_YNODE_H
/*
 * A YAML (and so JSON) document as a small tree with source positions, read
 * with libyaml. One ynode_free() on the root frees the whole tree; pointers
 * into it live as long as the root. Aliases and multiple documents are
 * rejected; depth, node count and input size are capped.
 */
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_kind kind;
	int line, col;          /* 1-based position in the source */
	char *scalar;           /* YNODE_SCALAR: the text */
	bool plain;             /* YNODE_SCALAR: unquoted (so null/true/123 may apply) */
	size_t n;               /* YNODE_MAP: pairs; YNODE_SEQ: items */
	struct ynode **keys;    /* YNODE_MAP: scalar keys */
	struct ynode **items;   /* YNODE_MAP: values; YNODE_SEQ: items */
};

#define YNODE_MAX_DEPTH 64
#define YNODE_MAX_NODES 1000000
#define YNODE_MAX_BYTES (64u << 20)

/*
 * Parses text; on failure returns -EINVAL and writes "line L, column C: what"
 * into err (size errlen). An empty document gives a NULL *out and 0.
 */
int ynode_parse(const char *text, size_t len, struct ynode **out,
		char *err, size_t errlen);
/* Reads and parses a file; err names the file too ("FILE:L:C: what"). */
int ynode_parse_file(const char *path, struct ynode **out, char *err,
		     size_t errlen);
void ynode_free(struct ynode *n);

/* The value for key in a map, or NULL (also when n is not a map). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* A plain scalar of "null", "~" or empty, or NULL itself. */
bool ynode_is_null(const struct ynode *n);
/* The scalar text, or NULL when n is not a scalar or is null. */
const char *ynode_str(const struct ynode *n);
/* YAML 1.2 core booleans (true/false, any case); 0 or -EINVAL. */
int ynode_bool(const struct ynode *n, bool *out);

#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "conf/ynode.h"
#include "base/banned.h"

struct parse {
	yaml_parser_t p;
	char *err;
	size_t errlen;
	size_t nodes;
};

static int fail(struct parse *ps, int line, int col, const char *what)
{
	snprintf(ps->err, ps->errlen, "line %d, column %d: %s", line, col, what);
	return -EINVAL;
}

static int next_event(struct parse *ps, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ps->p, ev)) {
		const char *what = ps->p.problem ? ps->p.problem : "malformed YAML";
		return fail(ps, (int)ps->p.problem_mark.line + 1,
			    (int)ps->p.problem_mark.column + 1, what);
	}
	return 0;
}

static struct ynode *new_node(enum ynode_kind k, const yaml_event_t *ev)
{
	struct ynode *n = xcalloc(1, sizeof(*n));
	n->kind = k;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	return n;
}

static int parse_node(struct parse *ps, yaml_event_t *ev, int depth,
		      struct ynode **out);

static int parse_children(struct parse *ps, struct ynode *n, int depth)
{
	size_t cap_items = 0, cap_keys = 0;
	yaml_event_t ev;
	int err;

	for (;;) {
		struct ynode *child;
		if ((err = next_event(ps, &ev)) != 0)
			return err;
		if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->kind == YNODE_MAP) {
			if (ev.type != YAML_SCALAR_EVENT) {
				err = fail(ps, (int)ev.start_mark.line + 1,
					   (int)ev.start_mark.column + 1,
					   "mapping keys must be scalars");
				yaml_event_delete(&ev);
				return err;
			}
			err = parse_node(ps, &ev, depth + 1, &child);
			if (err)
				return err;
			for (size_t i = 0; i < n->n; i++) {
				if (strcmp(n->keys[i]->scalar, child->scalar) == 0) {
					err = fail(ps, child->line, child->col,
						   "duplicate key");
					ynode_free(child);
					return err;
				}
			}
			ARRAY_GROW(n->keys, cap_keys, n->n + 1);
			n->keys[n->n] = child;
			if ((err = next_event(ps, &ev)) != 0) {
				/* keep the key counted so it is freed */
				ARRAY_GROW(n->items, cap_items, n->n + 1);
				n->items[n->n++] = NULL;
				return err;
			}
			err = parse_node(ps, &ev, depth + 1, &child);
			ARRAY_GROW(n->items, cap_items, n->n + 1);
			n->items[n->n++] = err ? NULL : child;
			if (err)
				return err;
		} else {
			err = parse_node(ps, &ev, depth + 1, &child);
			if (err)
				return err;
			ARRAY_GROW(n->items, cap_items, n->n + 1);
			n->items[n->n++] = child;
		}
	}
}

/* Takes ownership of *ev (deletes it). */
static int parse_node(struct parse *ps, yaml_event_t *ev, int depth,
		      struct ynode **out)
{
	struct ynode *n = NULL;
	int err = 0;

	if (depth > YNODE_MAX_DEPTH) {
		err = fail(ps, (int)ev->start_mark.line + 1,
			   (int)ev->start_mark.column + 1, "nesting too deep");
		yaml_event_delete(ev);
		return err;
	}
	if (++ps->nodes > YNODE_MAX_NODES) {
		err = fail(ps, (int)ev->start_mark.line + 1,
			   (int)ev->start_mark.column + 1, "too many nodes");
		yaml_event_delete(ev);
		return err;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = new_node(YNODE_SCALAR, ev);
		n->scalar = xstrndup((const char *)ev->data.scalar.value,
				     ev->data.scalar.length);
		if (strlen(n->scalar) != ev->data.scalar.length) {
			err = fail(ps, n->line, n->col, "NUL byte in scalar");
			break;
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		n = new_node(ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP
								  : YNODE_SEQ, ev);
		err = parse_children(ps, n, depth);
		break;
	case YAML_ALIAS_EVENT:
		err = fail(ps, (int)ev->start_mark.line + 1,
			   (int)ev->start_mark.column + 1,
			   "YAML aliases are not supported");
		break;
	default:
		err = fail(ps, (int)ev->start_mark.line + 1,
			   (int)ev->start_mark.column + 1, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	if (err) {
		ynode_free(n);
		return err;
	}
	*out = n;
	return 0;
}

int ynode_parse(const char *text, size_t len, struct ynode **out,
		char *err, size_t errlen)
{
	struct parse ps = { .err = err, .errlen = errlen };
	struct ynode *root = NULL;
	yaml_event_t ev;
	int rc;

	if (len > YNODE_MAX_BYTES) {
		snprintf(err, errlen, "line 1, column 1: document too large");
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&ps.p))
		return -ENOMEM;
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	/* stream start */
	if ((rc = next_event(&ps, &ev)) != 0)
		goto out;
	yaml_event_delete(&ev);
	if ((rc = next_event(&ps, &ev)) != 0)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		goto done;
	}
	yaml_event_delete(&ev); /* document start */
	if ((rc = next_event(&ps, &ev)) != 0)
		goto out;
	if ((rc = parse_node(&ps, &ev, 0, &root)) != 0)
		goto out;
	if ((rc = next_event(&ps, &ev)) != 0) /* document end */
		goto out;
	yaml_event_delete(&ev);
	if ((rc = next_event(&ps, &ev)) != 0)
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT) {
		rc = fail(&ps, (int)ev.start_mark.line + 1,
			  (int)ev.start_mark.column + 1,
			  "more than one YAML document");
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);
done:
	yaml_parser_delete(&ps.p);
	*out = root;
	return 0;
out:
	yaml_parser_delete(&ps.p);
	ynode_free(root);
	return rc;
}

int ynode_parse_file(const char *path, struct ynode **out, char *err,
		     size_t errlen)
{
	struct buf b = BUF_INIT;
	char inner[256];
	int rc = file_read_all(path, YNODE_MAX_BYTES, &b);

	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -E2BIG ? "file too large" : strerror(-rc));
		return rc;
	}
	rc = ynode_parse(b.data, b.len, out, inner, sizeof(inner));
	if (rc) {
		int line = 0, col = 0;
		const char *what = inner;
		if (sscanf(inner, "line %d, column %d: ", &line, &col) == 2) {
			what = strstr(inner, ": ");
			what = what ? what + 2 : inner;
		}
		snprintf(err, errlen, "%s:%d:%d: %s", path, line, col, what);
	}
	buf_release(&b);
	return rc;
}

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			ynode_free(n->keys[i]);
		if (n->items)
			ynode_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->scalar);
	free(n);
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return map->items[i];
	return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->kind != YNODE_SCALAR || !n->plain)
		return false;
	return !*n->scalar || strcmp(n->scalar, "~") == 0 ||
	       strcasecmp(n->scalar, "null") == 0;
}

const char *ynode_str(const struct ynode *n)
{
	if (!n || n->kind != YNODE_SCALAR || ynode_is_null(n))
		return NULL;
	return n->scalar;
}

int ynode_bool(const struct ynode *n, bool *out)
{
	if (!n || n->kind != YNODE_SCALAR)
		return -EINVAL;
	if (strcasecmp(n->scalar, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcasecmp(n->scalar, "false") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

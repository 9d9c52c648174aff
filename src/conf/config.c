#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strvec.h"
#include "conf/config.h"
#include "conf/ynode.h"
#include "base/banned.h"

static int find(const struct config *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->table[i].key, key) == 0)
			return (int)i;
	return -1;
}

static int must_find(const struct config *c, const char *key)
{
	int i = find(c, key);

	if (i < 0) {
		fprintf(stderr, "kubemend: internal error: no setting '%s'\n", key);
		abort();
	}
	return i;
}

static void set(struct config *c, int i, const char *text, enum conf_source src,
		const char *origin)
{
	struct conf_value *v = &c->vals[i];

	free(v->text);
	free(v->origin);
	v->text = text ? xstrdup(text) : NULL;
	v->source = src;
	v->origin = origin ? xstrdup(origin) : NULL;
}

void config_init(struct config *c)
{
	c->table = conf_settings;
	c->n = conf_nsettings;
	c->vals = xcalloc(c->n, sizeof(*c->vals));
	for (size_t i = 0; i < c->n; i++)
		set(c, (int)i, c->table[i].def, CS_DEFAULT, NULL);
}

void config_release(struct config *c)
{
	if (!c || !c->vals)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->vals[i].text);
		free(c->vals[i].origin);
	}
	free(c->vals);
	c->vals = NULL;
}

/* Checks text against the setting's type and range; a reason in why. */
static int validate(const struct setting *s, const char *text, const char **why)
{
	int64_t iv;
	double dv;
	bool bv;

	switch (s->type) {
	case CT_INT:
		if (str_to_i64(text, &iv)) {
			*why = "not an integer";
			return -EINVAL;
		}
		dv = (double)iv;
		break;
	case CT_NUM:
		if (str_to_quantity(text, &dv)) {
			*why = "not a number";
			return -EINVAL;
		}
		break;
	case CT_DURATION:
		if (str_to_duration_ms(text, &iv)) {
			*why = "not a duration (like 30s, 5m, 1h)";
			return -EINVAL;
		}
		return 0;
	case CT_BOOL:
		if (strcasecmp(text, "true") && strcasecmp(text, "false") &&
		    strcmp(text, "1") && strcmp(text, "0")) {
			*why = "not true or false";
			return -EINVAL;
		}
		(void)bv;
		return 0;
	default:
		return 0;
	}
	if (s->min <= s->max && (dv < s->min || dv > s->max)) {
		*why = "out of range";
		return -ERANGE;
	}
	return 0;
}

static int range_msg(const struct setting *s, char *out, size_t n)
{
	if (s->min <= s->max)
		return snprintf(out, n, " (allowed: %g to %g)", s->min, s->max);
	out[0] = '\0';
	return 0;
}

static int yerr(char *err, size_t errlen, const char *path, const struct ynode *n,
		const char *key, const char *what)
{
	snprintf(err, errlen, "%s:%d:%d: %s: %s", path, n->line, n->col, key, what);
	return -EINVAL;
}

static bool has_children(const struct config *c, const char *prefix)
{
	size_t len = strlen(prefix);

	for (size_t i = 0; i < c->n; i++)
		if (!strncmp(c->table[i].key, prefix, len) && c->table[i].key[len] == '.')
			return true;
	return false;
}

static int load_value(struct config *c, int i, const struct ynode *v,
		      const char *path, char *err, size_t errlen)
{
	const struct setting *s = &c->table[i];
	struct buf text = BUF_INIT, origin = BUF_INIT;
	const char *why;
	int rc = 0;

	buf_addf(&origin, "%s:%d", path, v->line);
	if (s->type == CT_LIST) {
		if (v->kind != YNODE_SEQ && !ynode_is_null(v)) {
			rc = yerr(err, errlen, path, v, s->key, "expected a list");
			goto out;
		}
		for (size_t k = 0; v->kind == YNODE_SEQ && k < v->n; k++) {
			const char *item = ynode_str(v->items[k]);
			if (!item || strchr(item, ',')) {
				rc = yerr(err, errlen, path, v->items[k], s->key,
					  "list items must be plain strings without commas");
				goto out;
			}
			buf_addf(&text, "%s%s", k ? "," : "", item);
		}
	} else if (s->type == CT_QUERIES) {
		if (v->kind != YNODE_SEQ && !ynode_is_null(v)) {
			rc = yerr(err, errlen, path, v, s->key, "expected a list of {name, query}");
			goto out;
		}
		for (size_t k = 0; v->kind == YNODE_SEQ && k < v->n; k++) {
			const struct ynode *m = v->items[k];
			const char *name = ynode_str(ynode_get(m, "name"));
			const char *query = ynode_str(ynode_get(m, "query"));
			if (m->kind != YNODE_MAP || !name || !query || m->n != 2 ||
			    strpbrk(name, "\t\n,\" ") || strpbrk(query, "\t\n")) {
				rc = yerr(err, errlen, path, m, s->key,
					  "each item needs exactly a name (no spaces or commas) and a one-line query");
				goto out;
			}
			buf_addf(&text, "%s\t%s\n", name, query);
		}
	} else {
		const char *sv = ynode_str(v);
		if (v->kind != YNODE_SCALAR) {
			rc = yerr(err, errlen, path, v, s->key, "expected a single value");
			goto out;
		}
		if (sv && validate(s, sv, &why)) {
			char r[64];
			range_msg(s, r, sizeof(r));
			snprintf(err, errlen, "%s:%d:%d: %s: %s: '%s'%s", path, v->line,
				 v->col, s->key, why, sv, r);
			rc = -EINVAL;
			goto out;
		}
		if (sv)
			buf_adds(&text, sv);
	}
	/* null leaves the setting unset; an empty list is an empty list */
	set(c, i, ynode_is_null(v) ? NULL : text.data ? text.data : "", CS_FILE,
	    origin.data);
out:
	buf_release(&text);
	buf_release(&origin);
	return rc;
}

/*
 * At the top of a file (top) a mapping named after the file's prefix is
 * also accepted ("prometheus: {url: ...}" in prometheus.yaml), the layout
 * `collect` has always read.
 */
static int walk(struct config *c, const struct ynode *map, const char *prefix, bool top,
		const char *path, char *err, size_t errlen)
{
	if (map->kind != YNODE_MAP)
		return yerr(err, errlen, path, map, prefix, "expected a mapping");
	for (size_t k = 0; k < map->n; k++) {
		struct buf key = BUF_INIT;
		int i, rc = 0;

		buf_addf(&key, "%s.%s", prefix, map->keys[k]->scalar);
		i = find(c, key.data);
		if (i < 0 && top && !strcmp(map->keys[k]->scalar, prefix))
			rc = walk(c, map->items[k], prefix, false, path, err, errlen);
		else if (i >= 0)
			rc = load_value(c, i, map->items[k], path, err, errlen);
		else if (has_children(c, key.data))
			rc = walk(c, map->items[k], key.data, false, path, err, errlen);
		else
			rc = yerr(err, errlen, path, map->keys[k], key.data, "unknown setting");
		buf_release(&key);
		if (rc)
			return rc;
	}
	return 0;
}

int config_load_file(struct config *c, const char *path, const char *prefix,
		     char *err, size_t errlen)
{
	struct ynode *root = NULL;
	int rc = ynode_parse_file(path, &root, err, errlen);

	if (rc)
		return rc;
	if (root)
		rc = walk(c, root, prefix, true, path, err, errlen);
	ynode_free(root);
	return rc;
}

int config_load_dir(struct config *c, const char *dir, char *err, size_t errlen)
{
	static const struct { const char *file, *prefix; } files[] = {
		{ "prometheus.yaml", "prometheus" },
		{ "agent_config.yaml", "agent" },
		{ "model_config.yaml", "model" },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct buf path = BUF_INIT;
		int rc;

		buf_addf(&path, "%s/%s", dir, files[i].file);
		rc = config_load_file(c, path.data, files[i].prefix, err, errlen);
		buf_release(&path);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
	}
	return 0;
}

static int set_text(struct config *c, int i, const char *value, enum conf_source src,
		    const char *origin, char *err, size_t errlen)
{
	const struct setting *s = &c->table[i];
	const char *why;

	if (s->type == CT_QUERIES) {
		/* NAME=QUERY from the environment or a flag */
		const char *eq = strchr(value, '=');
		struct buf t = BUF_INIT;
		if (!eq || eq == value || strpbrk(value, "\t\n")) {
			snprintf(err, errlen, "%s: %s: expected NAME=QUERY", origin, s->key);
			return -EINVAL;
		}
		if (c->vals[i].source == src && c->vals[i].text)
			buf_adds(&t, c->vals[i].text); /* repeated flags add up */
		buf_add(&t, value, (size_t)(eq - value));
		buf_addf(&t, "\t%s\n", eq + 1);
		set(c, i, t.data, src, origin);
		buf_release(&t);
		return 0;
	}
	if (validate(s, value, &why)) {
		char r[64];
		range_msg(s, r, sizeof(r));
		snprintf(err, errlen, "%s: %s: %s: '%s'%s", origin, s->key, why, value, r);
		return -EINVAL;
	}
	set(c, i, value, src, origin);
	return 0;
}

int config_load_env(struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		struct strvec names = STRVEC_INIT;
		int rc = 0;

		if (!c->table[i].env)
			continue;
		strvec_split(&names, c->table[i].env, ',');
		for (size_t k = 0; k < names.n; k++) {
			const char *v = getenv(names.v[k]);
			struct buf origin = BUF_INIT;
			if (!v || !*v)
				continue;
			buf_addf(&origin, "env %s", names.v[k]);
			rc = set_text(c, (int)i, v, CS_ENV, origin.data, err, errlen);
			buf_release(&origin);
			break;
		}
		strvec_clear(&names);
		if (rc)
			return rc;
	}
	return 0;
}

int config_set_flag(struct config *c, const char *key, const char *flag,
		    const char *value, char *err, size_t errlen)
{
	struct buf origin = BUF_INIT;
	int rc;

	buf_addf(&origin, "flag %s", flag);
	rc = set_text(c, must_find(c, key), value, CS_FLAG, origin.data, err, errlen);
	buf_release(&origin);
	return rc;
}

const struct conf_value *config_value(const struct config *c, const char *key)
{
	return &c->vals[must_find(c, key)];
}

const char *config_str(const struct config *c, const char *key)
{
	return config_value(c, key)->text;
}

int64_t config_int(const struct config *c, const char *key)
{
	int64_t v = 0;
	const char *t = config_str(c, key);

	if (t)
		str_to_i64(t, &v);
	return v;
}

double config_num(const struct config *c, const char *key)
{
	double v = 0;
	const char *t = config_str(c, key);

	if (t)
		str_to_quantity(t, &v);
	return v;
}

bool config_bool(const struct config *c, const char *key)
{
	const char *t = config_str(c, key);

	return t && (!strcasecmp(t, "true") || !strcmp(t, "1"));
}

int64_t config_duration_ms(const struct config *c, const char *key)
{
	int64_t v = 0;
	const char *t = config_str(c, key);

	if (t)
		str_to_duration_ms(t, &v);
	return v;
}

void config_show(const struct config *c, void (*line)(void *ctx, const char *text),
		 void *ctx)
{
	static const char *const src[] = { "default", "file", "env", "flag" };

	for (size_t i = 0; i < c->n; i++) {
		const struct conf_value *v = &c->vals[i];
		struct buf b = BUF_INIT;
		const char *t = v->text;

		buf_addf(&b, "%-34s = ", c->table[i].key);
		if (!t) {
			buf_adds(&b, "(unset)");
		} else if (c->table[i].type == CT_QUERIES) {
			for (const char *p = t; *p; p++)
				buf_adds(&b, *p == '\t' ? "=" : *p == '\n' ? (p[1] ? "; " : "") :
					 (char[2]){ *p, 0 });
		} else {
			buf_adds(&b, t);
		}
		buf_addf(&b, "  # %s", v->origin ? v->origin : src[v->source]);
		line(ctx, b.data);
		buf_release(&b);
	}
}

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/collect_config.h"
#include "metrics/sample.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "conf/ynode.h"
#include "base/banned.h"

static bool valid_name(const char *s)
{
	if (!s[0] || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return false;
	return strlen(s) <= 128;
}

static int add_column(struct collect_config *c, const char *name, const char *query,
		      char *err, size_t errlen)
{
	if (!valid_name(name)) {
		snprintf(err, errlen, "metric column name \"%s\" must match [A-Za-z_][A-Za-z0-9_:]*", name);
		return -EINVAL;
	}
	for (size_t i = 0; i < sample_native_ncols; i++)
		if (!strcmp(sample_native_cols[i].name, name)) {
			snprintf(err, errlen, "metric column \"%s\" is already a native column", name);
			return -EINVAL;
		}
	for (size_t i = 0; i < c->ncustom; i++)
		if (!strcmp(c->custom[i].name, name)) {
			snprintf(err, errlen, "metric column \"%s\" is given twice", name);
			return -EINVAL;
		}
	if (c->ncustom >= COLLECT_MAX_CUSTOM) {
		snprintf(err, errlen, "more than %d custom metric columns", COLLECT_MAX_CUSTOM);
		return -E2BIG;
	}
	c->custom = xrealloc(c->custom, (c->ncustom + 1) * sizeof(*c->custom));
	c->custom[c->ncustom].name = xstrdup(name);
	if (query && query[0]) {
		c->custom[c->ncustom].query = xstrdup(query);
	} else {
		struct buf q = BUF_INIT;
		/* %s becomes the namespace selector (see collector.c). */
		buf_addf(&q, "sum by (namespace, pod) (%s{%%s})", name);
		c->custom[c->ncustom].query = buf_detach(&q, NULL);
	}
	c->ncustom++;
	return 0;
}

int collect_config_add_metric(struct collect_config *c, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	char *name;
	int rc;

	if (!eq)
		return add_column(c, spec, NULL, err, errlen);
	name = xstrndup(spec, (size_t)(eq - spec));
	rc = add_column(c, name, eq + 1, err, errlen);
	free(name);
	return rc;
}

static int at(char *err, size_t errlen, const char *path, const struct ynode *n, const char *what)
{
	snprintf(err, errlen, "%s:%d:%d: %s", path, n ? n->line : 0, n ? n->col : 0, what);
	return -EINVAL;
}

static int str_field(const struct ynode *map, const char *key, char **out,
		     const char *path, char *err, size_t errlen)
{
	const struct ynode *n = ynode_get(map, key);
	char what[96];

	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_SCALAR) {
		snprintf(what, sizeof(what), "%s must be a string", key);
		return at(err, errlen, path, n, what);
	}
	free(*out);
	*out = xstrdup(n->scalar);
	return 0;
}

static int duration_field(const struct ynode *map, const char *key, int64_t *out,
			  const char *path, char *err, size_t errlen)
{
	const struct ynode *n = ynode_get(map, key);
	char what[96];

	if (!n || ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_SCALAR || str_to_duration_ms(n->scalar, out) < 0 || *out <= 0) {
		snprintf(what, sizeof(what), "%s must be a duration like 30s or 5m", key);
		return at(err, errlen, path, n, what);
	}
	return 0;
}

static int load_prometheus(struct collect_config *c, const struct ynode *p,
			   const char *path, char *err, size_t errlen)
{
	const struct ynode *n, *q, *cm;
	int rc;

	if (p->kind != YNODE_MAP)
		return at(err, errlen, path, p, "prometheus must be a mapping");
	n = ynode_get(p, "enabled");
	if (n && !ynode_is_null(n) && ynode_bool(n, &c->prom_enabled) < 0)
		return at(err, errlen, path, n, "enabled must be true or false");
	if ((rc = str_field(p, "url", &c->prom_url, path, err, errlen)) < 0 ||
	    (rc = duration_field(p, "timeout", &c->prom_timeout_ms, path, err, errlen)) < 0)
		return rc;
	q = ynode_get(p, "queries");
	if (q && !ynode_is_null(q)) {
		if (q->kind != YNODE_MAP)
			return at(err, errlen, path, q, "queries must be a mapping");
		if ((rc = str_field(q, "net_rx_dropped_ps", &c->rx_dropped_query, path, err, errlen)) < 0 ||
		    (rc = str_field(q, "net_tx_dropped_ps", &c->tx_dropped_query, path, err, errlen)) < 0)
			return rc;
	}
	cm = ynode_get(p, "custom_metrics");
	if (cm && !ynode_is_null(cm)) {
		if (cm->kind != YNODE_SEQ)
			return at(err, errlen, path, cm, "custom_metrics must be a list of {name, query}");
		for (size_t i = 0; i < cm->n; i++) {
			const char *name = ynode_str(ynode_get(cm->items[i], "name"));
			const char *query = ynode_str(ynode_get(cm->items[i], "query"));
			char what[256];
			if (!name)
				return at(err, errlen, path, cm->items[i], "a custom metric needs a name");
			if (add_column(c, name, query, what, sizeof(what)) < 0)
				return at(err, errlen, path, cm->items[i], what);
		}
	}
	return 0;
}

static int load_collect(struct collect_config *c, const struct ynode *m,
			const char *path, char *err, size_t errlen)
{
	const struct ynode *n;
	int rc;

	if (m->kind != YNODE_MAP)
		return at(err, errlen, path, m, "collect must be a mapping");
	if ((rc = str_field(m, "output_file", &c->output_file, path, err, errlen)) < 0 ||
	    (rc = str_field(m, "namespace", &c->namespace, path, err, errlen)) < 0 ||
	    (rc = str_field(m, "csv_format", &c->csv_format, path, err, errlen)) < 0 ||
	    (rc = duration_field(m, "interval", &c->interval_ms, path, err, errlen)) < 0)
		return rc;
	if ((rc = duration_field(m, "max_file_age", &c->max_age_ms, path, err, errlen)) < 0 ||
	    (rc = duration_field(m, "retention", &c->retention_ms, path, err, errlen)) < 0)
		return rc;
	n = ynode_get(m, "rotate_size");
	if (n && !ynode_is_null(n) &&
	    (n->kind != YNODE_SCALAR || str_to_bytes(n->scalar, &c->rotate_bytes) < 0))
		return at(err, errlen, path, n, "rotate_size must be a size like 100Mi");
	n = ynode_get(m, "max_file_size");
	if (n && !ynode_is_null(n) &&
	    (n->kind != YNODE_SCALAR || str_to_bytes(n->scalar, &c->rotate_bytes) < 0))
		return at(err, errlen, path, n, "max_file_size must be a size like 100Mi");
	n = ynode_get(m, "retention_size");
	if (n && !ynode_is_null(n)) {
		if (n->kind != YNODE_SCALAR || str_to_bytes(n->scalar, &c->retention_bytes) < 0)
			return at(err, errlen, path, n, "retention_size must be a size like 640Mi");
		c->retention_bytes_set = true;
	}
	return 0;
}

int collect_config_load(struct collect_config *c, const char *path, char *err, size_t errlen)
{
	struct ynode *root = NULL;
	const struct ynode *n;
	int rc = ynode_parse_file(path, &root, err, errlen);

	if (rc < 0)
		return rc;
	if (root && root->kind != YNODE_MAP) {
		rc = at(err, errlen, path, root, "the file must be a mapping");
		goto out;
	}
	n = ynode_get(root, "prometheus");
	if (n && !ynode_is_null(n) && (rc = load_prometheus(c, n, path, err, errlen)) < 0)
		goto out;
	n = ynode_get(root, "collect");
	if (n && !ynode_is_null(n) && (rc = load_collect(c, n, path, err, errlen)) < 0)
		goto out;
out:
	ynode_free(root);
	return rc;
}

void collect_config_release(struct collect_config *c)
{
	if (!c)
		return;
	free(c->prom_url);
	free(c->rx_dropped_query);
	free(c->tx_dropped_query);
	for (size_t i = 0; i < c->ncustom; i++) {
		free(c->custom[i].name);
		free(c->custom[i].query);
	}
	free(c->custom);
	free(c->output_file);
	free(c->namespace);
	free(c->csv_format);
	memset(c, 0, sizeof(*c));
}

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/patch.h"
#include "base/str.h"
#include "base/mem.h"
#include "base/banned.h"

int patch_type_from_content_type(const char *ct, enum patch_type *out)
{
	if (!ct)
		return -EINVAL;
	if (str_starts_with(ct, "application/merge-patch+json"))
		*out = PATCH_MERGE;
	else if (str_starts_with(ct, "application/strategic-merge-patch+json"))
		*out = PATCH_STRATEGIC;
	else if (str_starts_with(ct, "application/json-patch+json"))
		*out = PATCH_JSON;
	else
		return -EINVAL;
	return 0;
}

static int fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -EINVAL;
}

/* RFC 7386. */
static json_t *merge(json_t *target, json_t *patch, int depth)
{
	const char *k;
	json_t *v;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	if (depth > PATCH_MAX_DEPTH)
		return target;
	json_object_foreach(patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(target, k);
		} else {
			json_t *cur = json_object_get(target, k);

			json_incref(cur);
			json_object_set_new(target, k, merge(cur, v, depth + 1));
		}
	}
	return target;
}

/* The merge key of a list field, as the Kubernetes API types declare it. */
static const char *merge_key(const char *field)
{
	static const struct { const char *field, *key; } keys[] = {
		{ "containers", "name" }, { "initContainers", "name" },
		{ "ephemeralContainers", "name" }, { "volumes", "name" },
		{ "env", "name" }, { "volumeMounts", "mountPath" },
		{ "volumeDevices", "devicePath" }, { "ports", "containerPort" },
		{ "imagePullSecrets", "name" }, { "conditions", "type" },
		{ "hostAliases", "ip" }, { "ownerReferences", "uid" },
		{ "topologySpreadConstraints", "topologyKey" },
		{ "resourceClaims", "name" }, { "taints", "key" },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(field, keys[i].field))
			return keys[i].key;
	return NULL;
}

static json_t *smerge(json_t *target, json_t *patch, int depth, int *bad);

static bool json_eq_key(json_t *a, json_t *b)
{
	return a && b && json_equal(a, b);
}

static json_t *merge_list(json_t *target, json_t *patch, const char *key, int depth, int *bad)
{
	size_t i;
	json_t *item;

	if (!json_is_array(target)) {
		json_decref(target);
		target = json_array();
	}
	/* {"$patch": "replace"} anywhere in the list replaces the list. */
	json_array_foreach(patch, i, item) {
		const char *d = json_string_value(json_object_get(item, "$patch"));

		if (d && !strcmp(d, "replace")) {
			json_t *out = json_array();
			size_t j;
			json_t *it;

			json_array_foreach(patch, j, it)
				if (j != i)
					json_array_append(out, it);
			json_decref(target);
			return out;
		}
	}
	json_array_foreach(patch, i, item) {
		json_t *kv = json_is_object(item) ? json_object_get(item, key) : NULL;
		const char *d = json_string_value(json_object_get(item, "$patch"));
		size_t j, found = (size_t)-1;
		json_t *t;

		if (!kv) {
			*bad = 1;
			return target;
		}
		json_array_foreach(target, j, t)
			if (json_eq_key(json_object_get(t, key), kv)) {
				found = j;
				break;
			}
		if (d && !strcmp(d, "delete")) {
			if (found != (size_t)-1)
				json_array_remove(target, found);
			continue;
		}
		if (found != (size_t)-1) {
			json_t *cur = json_incref(json_array_get(target, found));

			json_array_set_new(target, found, smerge(cur, item, depth + 1, bad));
		} else {
			json_array_append_new(target, smerge(NULL, item, depth + 1, bad));
		}
	}
	return target;
}

static json_t *smerge(json_t *target, json_t *patch, int depth, int *bad)
{
	const char *k, *d;
	json_t *v, *retain;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (depth > PATCH_MAX_DEPTH) {
		*bad = 1;
		return target;
	}
	d = json_string_value(json_object_get(patch, "$patch"));
	if (d && !strcmp(d, "replace")) {
		json_t *out = json_deep_copy(patch);

		json_object_del(out, "$patch");
		json_decref(target);
		return out;
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_foreach(patch, k, v) {
		json_t *cur = json_object_get(target, k);
		const char *mk;

		if (k[0] == '$') {
			if (str_starts_with(k, "$deleteFromPrimitiveList/") && json_is_array(v)) {
				json_t *list = json_object_get(target, k + strlen("$deleteFromPrimitiveList/"));
				size_t i, j;
				json_t *x, *y;

				json_array_foreach(v, i, x)
					json_array_foreach(list, j, y)
						if (json_equal(x, y)) {
							json_array_remove(list, j);
							break;
						}
			}
			continue;       /* $patch, $retainKeys, $setElementOrder/...: not data */
		}
		if (json_is_null(v)) {
			json_object_del(target, k);
			continue;
		}
		if (json_is_object(v)) {
			d = json_string_value(json_object_get(v, "$patch"));
			if (d && !strcmp(d, "delete")) {
				json_object_del(target, k);
				continue;
			}
		}
		json_incref(cur);
		mk = merge_key(k);
		if (json_is_array(v) && mk)
			json_object_set_new(target, k, merge_list(cur, v, mk, depth + 1, bad));
		else if (json_is_array(v)) {
			json_decref(cur);
			json_object_set_new(target, k, json_deep_copy(v));
		} else
			json_object_set_new(target, k, smerge(cur, v, depth + 1, bad));
	}
	retain = json_object_get(patch, "$retainKeys");
	if (json_is_array(retain)) {
		void *it = json_object_iter(target);

		while (it) {
			const char *key = json_object_iter_key(it);
			bool keep = false;
			size_t i;
			json_t *x;

			json_array_foreach(retain, i, x)
				if (json_is_string(x) && !strcmp(json_string_value(x), key))
					keep = true;
			if (keep) {
				it = json_object_iter_next(target, it);
			} else {
				json_object_del(target, key);
				it = json_object_iter(target);
			}
		}
	}
	return target;
}

/* RFC 6901: resolves all but the last token; *last is a malloc'd token. */
static json_t *pointer_parent(json_t *doc, const char *ptr, char **last)
{
	json_t *cur = doc;
	const char *p = ptr;

	if (*p != '/')
		return NULL;
	for (;;) {
		const char *end = strchr(p + 1, '/');
		size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *tok = xmalloc(n + 1), *w = tok;

		for (size_t i = 0; i < n; i++) {
			char c = p[1 + i];

			if (c == '~' && i + 1 < n && (p[2 + i] == '0' || p[2 + i] == '1')) {
				c = p[2 + i] == '0' ? '~' : '/';
				i++;
			}
			*w++ = c;
		}
		*w = '\0';
		if (!end) {
			*last = tok;
			return cur;
		}
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			int64_t idx;

			cur = str_to_i64(tok, &idx) || idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
		} else {
			cur = NULL;
		}
		free(tok);
		if (!cur)
			return NULL;
		p = end;
	}
}

static int array_index(json_t *arr, const char *tok, bool for_add, size_t *out)
{
	int64_t idx;

	if (for_add && !strcmp(tok, "-")) {
		*out = json_array_size(arr);
		return 0;
	}
	if (str_to_i64(tok, &idx) || idx < 0 || (size_t)idx > json_array_size(arr) ||
	    (!for_add && (size_t)idx == json_array_size(arr)))
		return -EINVAL;
	*out = (size_t)idx;
	return 0;
}

static json_t *pointer_get(json_t *doc, const char *ptr)
{
	char *last = NULL;
	json_t *parent, *v = NULL;
	size_t idx;

	if (!*ptr)
		return doc;
	parent = pointer_parent(doc, ptr, &last);
	if (parent && json_is_object(parent))
		v = json_object_get(parent, last);
	else if (parent && json_is_array(parent) && !array_index(parent, last, false, &idx))
		v = json_array_get(parent, idx);
	free(last);
	return v;
}

/* Removes and returns (a new reference) the value at ptr. */
static json_t *pointer_take(json_t *doc, const char *ptr)
{
	char *last = NULL;
	json_t *parent = pointer_parent(doc, ptr, &last), *v = NULL;
	size_t idx;

	if (parent && json_is_object(parent)) {
		v = json_incref(json_object_get(parent, last));
		if (v)
			json_object_del(parent, last);
	} else if (parent && json_is_array(parent) && !array_index(parent, last, false, &idx)) {
		v = json_incref(json_array_get(parent, idx));
		json_array_remove(parent, idx);
	}
	free(last);
	return v;
}

/* Adds value (reference stolen) at ptr. */
static int pointer_add(json_t **doc, const char *ptr, json_t *value, bool replace)
{
	char *last = NULL;
	json_t *parent;
	size_t idx;
	int rc = -EINVAL;

	if (!*ptr) {
		json_decref(*doc);
		*doc = value;
		return 0;
	}
	parent = pointer_parent(*doc, ptr, &last);
	if (parent && json_is_object(parent)) {
		if (!replace || json_object_get(parent, last))
			rc = json_object_set_new(parent, last, value) ? -EINVAL : 0;
		else
			json_decref(value);
		value = NULL;
	} else if (parent && json_is_array(parent) && !array_index(parent, last, !replace, &idx)) {
		rc = (replace ? json_array_set_new(parent, idx, value)
			      : json_array_insert_new(parent, idx, value)) ? -EINVAL : 0;
		value = NULL;
	}
	json_decref(value);
	free(last);
	return rc;
}

static int json_patch(json_t **doc, json_t *ops, char *err, size_t errlen)
{
	size_t i;
	json_t *op;

	if (!json_is_array(ops))
		return fail(err, errlen, "a JSON patch must be an array of operations");
	json_array_foreach(ops, i, op) {
		const char *name = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *from = json_string_value(json_object_get(op, "from"));
		json_t *value = json_object_get(op, "value"), *v;
		int rc = -EINVAL;

		if (!name || !path)
			return fail(err, errlen, "a JSON patch operation needs op and path");
		if (!strcmp(name, "add") || !strcmp(name, "replace")) {
			if (!value)
				return fail(err, errlen, "a JSON patch add/replace needs a value");
			rc = pointer_add(doc, path, json_deep_copy(value), name[0] == 'r');
		} else if (!strcmp(name, "remove")) {
			v = pointer_take(*doc, path);
			rc = v ? 0 : -EINVAL;
			json_decref(v);
		} else if (!strcmp(name, "move") || !strcmp(name, "copy")) {
			if (!from)
				return fail(err, errlen, "a JSON patch move/copy needs from");
			if (name[0] == 'm' && str_starts_with(path, from) && strcmp(path, from))
				return fail(err, errlen, "a JSON patch cannot move a value into itself");
			v = name[0] == 'm' ? pointer_take(*doc, from) : json_deep_copy(pointer_get(*doc, from));
			rc = v ? pointer_add(doc, path, v, false) : -EINVAL;
		} else if (!strcmp(name, "test")) {
			v = pointer_get(*doc, path);
			rc = v && value && json_equal(v, value) ? 0 : -EINVAL;
		} else {
			return fail(err, errlen, "unknown JSON patch operation");
		}
		if (rc) {
			snprintf(err, errlen, "JSON patch operation %zu (%s %.100s) failed", i, name, path);
			return -EINVAL;
		}
	}
	return 0;
}

int patch_apply(json_t **doc, enum patch_type type, const char *body, size_t len,
		char *err, size_t errlen)
{
	json_error_t je;
	json_t *p;
	int rc = 0, bad = 0;

	if (len > PATCH_MAX_BYTES)
		return fail(err, errlen, "patch too large");
	p = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!p) {
		snprintf(err, errlen, "invalid JSON in patch: line %d column %d: %s", je.line, je.column, je.text);
		return -EINVAL;
	}
	switch (type) {
	case PATCH_MERGE:
		*doc = merge(*doc, p, 0);
		break;
	case PATCH_STRATEGIC:
		if (!json_is_object(p)) {
			rc = fail(err, errlen, "a strategic merge patch must be a JSON object");
			break;
		}
		*doc = smerge(*doc, p, 0, &bad);
		if (bad)
			rc = fail(err, errlen, "strategic merge patch: a list item lacks its merge key or nests too deep");
		break;
	case PATCH_JSON:
		rc = json_patch(doc, p, err, errlen);
		break;
	}
	json_decref(p);
	return rc;
}

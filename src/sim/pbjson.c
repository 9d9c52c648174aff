#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "sim/pbjson.h"
#include "sim/b64.h"
#include "base/banned.h"

/*
 * Kubernetes protobuf encoding (api-concepts "Protobuf encoding"): the bytes
 * "k8s\0", then a runtime.Unknown message {1: typeMeta {1: apiVersion,
 * 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}; raw is the object's
 * generated.proto message. Only the messages kubectl sends to the sim have a
 * schema here; unknown fields are skipped.
 */

enum pbtype { T_STR, T_INT, T_BOOL, T_MSG, T_MAP, T_MAPB, T_INTORSTR, T_TIME };   /* T_MAPB: map<string, bytes>, base64 in JSON */

struct pbfield {
	int num;
	const char *name;
	enum pbtype type;
	const struct pbmsg *msg;
	int repeated;
};

struct pbmsg {
	const struct pbfield *f;
	size_t n;
};

#define MSG(arr) { arr, sizeof(arr) / sizeof(arr[0]) }

static const struct pbfield typemeta_f[] = {
	{ 1, "apiVersion", T_STR, NULL, 0 }, { 2, "kind", T_STR, NULL, 0 },
};
static const struct pbmsg typemeta = MSG(typemeta_f);
static const struct pbfield unknown_f[] = {
	{ 1, "typeMeta", T_MSG, &typemeta, 0 }, { 2, "raw", T_STR, NULL, 0 },
	{ 3, "contentEncoding", T_STR, NULL, 0 }, { 4, "contentType", T_STR, NULL, 0 },
};
static const struct pbmsg unknown = MSG(unknown_f);

static const struct pbfield objectmeta_f[] = {
	{ 1, "name", T_STR, NULL, 0 }, { 2, "generateName", T_STR, NULL, 0 },
	{ 3, "namespace", T_STR, NULL, 0 }, { 5, "uid", T_STR, NULL, 0 },
	{ 6, "resourceVersion", T_STR, NULL, 0 }, { 11, "labels", T_MAP, NULL, 0 },
	{ 12, "annotations", T_MAP, NULL, 0 },
};
static const struct pbmsg objectmeta = MSG(objectmeta_f);

static const struct pbfield lsreq_f[] = {
	{ 1, "key", T_STR, NULL, 0 }, { 2, "operator", T_STR, NULL, 0 }, { 3, "values", T_STR, NULL, 1 },
};
static const struct pbmsg lsreq = MSG(lsreq_f);
static const struct pbfield labelselector_f[] = {
	{ 1, "matchLabels", T_MAP, NULL, 0 }, { 2, "matchExpressions", T_MSG, &lsreq, 1 },
};
static const struct pbmsg labelselector = MSG(labelselector_f);

static const struct pbfield intorstr_f[] = {
	{ 1, "type", T_INT, NULL, 0 }, { 2, "intVal", T_INT, NULL, 0 }, { 3, "strVal", T_STR, NULL, 0 },
};
static const struct pbmsg intorstr = MSG(intorstr_f);

static const struct pbfield pdbspec_f[] = {
	{ 1, "minAvailable", T_INTORSTR, &intorstr, 0 }, { 2, "selector", T_MSG, &labelselector, 0 },
	{ 3, "maxUnavailable", T_INTORSTR, &intorstr, 0 }, { 4, "unhealthyPodEvictionPolicy", T_STR, NULL, 0 },
};
static const struct pbmsg pdbspec = MSG(pdbspec_f);
static const struct pbfield pdb_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 }, { 2, "spec", T_MSG, &pdbspec, 0 },
};
static const struct pbmsg pdb = MSG(pdb_f);

static const struct pbfield preconditions_f[] = {
	{ 1, "uid", T_STR, NULL, 0 }, { 2, "resourceVersion", T_STR, NULL, 0 },
};
static const struct pbmsg preconditions = MSG(preconditions_f);
static const struct pbfield deleteoptions_f[] = {
	{ 1, "gracePeriodSeconds", T_INT, NULL, 0 }, { 2, "preconditions", T_MSG, &preconditions, 0 },
	{ 3, "orphanDependents", T_BOOL, NULL, 0 }, { 4, "propagationPolicy", T_STR, NULL, 0 },
	{ 5, "dryRun", T_STR, NULL, 1 },
};
static const struct pbmsg deleteoptions = MSG(deleteoptions_f);
static const struct pbfield eviction_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 }, { 2, "deleteOptions", T_MSG, &deleteoptions, 0 },
};
static const struct pbmsg eviction = MSG(eviction_f);

static const struct pbfield leasespec_f[] = {
	{ 1, "holderIdentity", T_STR, NULL, 0 }, { 2, "leaseDurationSeconds", T_INT, NULL, 0 },
	{ 3, "acquireTime", T_TIME, NULL, 0 }, { 4, "renewTime", T_TIME, NULL, 0 },
	{ 5, "leaseTransitions", T_INT, NULL, 0 },
};
static const struct pbmsg leasespec = MSG(leasespec_f);
static const struct pbfield lease_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 }, { 2, "spec", T_MSG, &leasespec, 0 },
};
static const struct pbmsg lease = MSG(lease_f);

/* Objects kubectl create sends as protobuf whose other fields the sim does not keep. */
static const struct pbfield metaonly_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 },
};
static const struct pbmsg metaonly = MSG(metaonly_f);
static const struct pbfield serviceaccount_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 }, { 4, "automountServiceAccountToken", T_BOOL, NULL, 0 },
};
static const struct pbmsg serviceaccount = MSG(serviceaccount_f);
static const struct pbfield configmap_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 }, { 2, "data", T_MAP, NULL, 0 }, { 4, "immutable", T_BOOL, NULL, 0 },
};
static const struct pbmsg configmap = MSG(configmap_f);
static const struct pbfield secret_f[] = {
	{ 1, "metadata", T_MSG, &objectmeta, 0 }, { 2, "data", T_MAPB, NULL, 0 }, { 3, "type", T_STR, NULL, 0 },
	{ 4, "stringData", T_MAP, NULL, 0 }, { 5, "immutable", T_BOOL, NULL, 0 },
};
static const struct pbmsg secret = MSG(secret_f);

struct rd {
	const unsigned char *p, *end;
};

static int varint(struct rd *r, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -EINVAL;
		v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}

static int lenbytes(struct rd *r, struct rd *sub)
{
	uint64_t n;

	if (varint(r, &n) || n > (uint64_t)(r->end - r->p))
		return -EINVAL;
	sub->p = r->p;
	sub->end = r->p + n;
	r->p += n;
	return 0;
}

static int skip(struct rd *r, unsigned wt)
{
	uint64_t v;
	struct rd sub;

	switch (wt) {
	case 0: return varint(r, &v);
	case 1: if (r->end - r->p < 8) return -EINVAL; r->p += 8; return 0;
	case 2: return lenbytes(r, &sub);
	case 5: if (r->end - r->p < 4) return -EINVAL; r->p += 4; return 0;
	default: return -EINVAL;
	}
}

static int decode(struct rd *r, const struct pbmsg *m, json_t *obj, int depth);

static int map_entry(struct rd *r, json_t *obj, bool bytes)
{
	char key[256] = "", val[4096] = "";
	size_t vlen = 0;

	while (r->p < r->end) {
		uint64_t tag;
		struct rd s;
		char *dst;
		size_t cap;

		if (varint(r, &tag))
			return -EINVAL;
		if ((tag & 7) != 2 || ((tag >> 3) != 1 && (tag >> 3) != 2)) {
			if (skip(r, (unsigned)(tag & 7)))
				return -EINVAL;
			continue;
		}
		if (lenbytes(r, &s))
			return -EINVAL;
		dst = (tag >> 3) == 1 ? key : val;
		cap = (tag >> 3) == 1 ? sizeof(key) : sizeof(val);
		if ((size_t)(s.end - s.p) >= cap)
			return -E2BIG;
		memcpy(dst, s.p, (size_t)(s.end - s.p));
		dst[s.end - s.p] = '\0';
		if (dst == val)
			vlen = (size_t)(s.end - s.p);
	}
	if (bytes) {
		char *b = b64_encode(val, vlen);

		json_object_set_new(obj, key, json_string(b));
		free(b);
	} else {
		json_object_set_new(obj, key, json_string(val));
	}
	return 0;
}

static void put(json_t *obj, const struct pbfield *f, json_t *v)
{
	if (f->repeated) {
		json_t *arr = json_object_get(obj, f->name);

		if (!arr) {
			arr = json_array();
			json_object_set_new(obj, f->name, arr);
		}
		json_array_append_new(arr, v);
	} else {
		json_object_set_new(obj, f->name, v);
	}
}

static int field(struct rd *r, const struct pbfield *f, unsigned wt, json_t *obj, int depth)
{
	uint64_t v;
	struct rd s;
	json_t *sub;

	switch (f->type) {
	case T_INT:
	case T_BOOL:
		if (wt != 0 || varint(r, &v))
			return -EINVAL;
		put(obj, f, f->type == T_BOOL ? json_boolean(v) : json_integer((json_int_t)v));
		return 0;
	case T_STR:
		if (wt != 2 || lenbytes(r, &s))
			return -EINVAL;
		sub = json_stringn_nocheck((const char *)s.p, (size_t)(s.end - s.p));
		if (!sub || !json_string_value(sub))
			return -EINVAL;
		put(obj, f, sub);
		return 0;
	case T_MAP:
	case T_MAPB: {
		json_t *m = json_object_get(obj, f->name);

		if (wt != 2 || lenbytes(r, &s))
			return -EINVAL;
		if (!m) {
			m = json_object();
			json_object_set_new(obj, f->name, m);
		}
		return map_entry(&s, m, f->type == T_MAPB);
	}
	case T_TIME: {
		/* metav1.MicroTime {1: seconds, 2: nanos}: kept as seconds */
		json_t *t = json_object();
		int rc;

		if (wt != 2 || lenbytes(r, &s)) {
			json_decref(t);
			return -EINVAL;
		}
		rc = 0;
		while (s.p < s.end && !rc) {
			uint64_t tag;

			rc = varint(&s, &tag);
			if (!rc && (tag >> 3) == 1 && (tag & 7) == 0 && !(rc = varint(&s, &v)))
				json_object_set_new(t, "seconds", json_integer((json_int_t)v));
			else if (!rc)
				rc = skip(&s, (unsigned)(tag & 7));
		}
		put(obj, f, t);
		return rc;
	}
	case T_MSG:
	case T_INTORSTR:
		if (wt != 2 || lenbytes(r, &s) || depth > 16)
			return -EINVAL;
		sub = json_object();
		if (decode(&s, f->msg, sub, depth + 1)) {
			json_decref(sub);
			return -EINVAL;
		}
		if (f->type == T_INTORSTR) {
			json_t *iv = json_integer_value(json_object_get(sub, "type")) == 1 ?
				     json_incref(json_object_get(sub, "strVal")) :
				     json_integer(json_integer_value(json_object_get(sub, "intVal")));

			json_decref(sub);
			sub = iv ? iv : json_string("");
		}
		put(obj, f, sub);
		return 0;
	}
	return -EINVAL;
}

static int decode(struct rd *r, const struct pbmsg *m, json_t *obj, int depth)
{
	while (r->p < r->end) {
		uint64_t tag;
		const struct pbfield *f = NULL;

		if (varint(r, &tag) || (tag >> 3) == 0)
			return -EINVAL;
		for (size_t i = 0; i < m->n; i++)
			if (m->f[i].num == (int)(tag >> 3))
				f = &m->f[i];
		if (!f) {
			if (skip(r, (unsigned)(tag & 7)))
				return -EINVAL;
			continue;
		}
		if (field(r, f, (unsigned)(tag & 7), obj, depth))
			return -EINVAL;
	}
	return 0;
}

int pb_to_json(const void *data, size_t len, json_t **out, char *err, size_t errlen)
{
	struct rd r = { data, (const unsigned char *)data + len }, raw;
	json_t *env, *obj = NULL;
	const char *kind, *apiv, *rawstr;
	const struct pbmsg *schema;
	size_t rawlen;

	if (len < 4 || memcmp(data, "k8s\0", 4)) {
		snprintf(err, errlen, "not a Kubernetes protobuf message (no k8s magic)");
		return -EINVAL;
	}
	r.p += 4;
	env = json_object();
	if (decode(&r, &unknown, env, 0)) {
		json_decref(env);
		snprintf(err, errlen, "malformed protobuf envelope");
		return -EINVAL;
	}
	kind = json_string_value(json_object_get(json_object_get(env, "typeMeta"), "kind"));
	apiv = json_string_value(json_object_get(json_object_get(env, "typeMeta"), "apiVersion"));
	rawstr = json_string_value(json_object_get(env, "raw"));
	rawlen = json_string_length(json_object_get(env, "raw"));
	if (!kind || !apiv || !rawstr) {
		json_decref(env);
		snprintf(err, errlen, "protobuf envelope without kind, apiVersion or raw");
		return -EINVAL;
	}
	if (!strcmp(kind, "PodDisruptionBudget"))
		schema = &pdb;
	else if (!strcmp(kind, "Eviction"))
		schema = &eviction;
	else if (!strcmp(kind, "Lease"))
		schema = &lease;
	else if (!strcmp(kind, "DeleteOptions"))
		schema = &deleteoptions;
	else if (!strcmp(kind, "Namespace"))
		schema = &metaonly;
	else if (!strcmp(kind, "ServiceAccount"))
		schema = &serviceaccount;
	else if (!strcmp(kind, "ConfigMap"))
		schema = &configmap;
	else if (!strcmp(kind, "Secret"))
		schema = &secret;
	else {
		snprintf(err, errlen, "the sim does not decode protobuf %s objects (send JSON)", kind);
		json_decref(env);
		return -ENOTSUP;
	}
	obj = json_object();
	json_object_set_new(obj, "apiVersion", json_string(apiv));
	json_object_set_new(obj, "kind", json_string(kind));
	raw.p = (const unsigned char *)rawstr;
	raw.end = raw.p + rawlen;
	if (decode(&raw, schema, obj, 0)) {
		snprintf(err, errlen, "malformed protobuf %s", kind);
		json_decref(obj);
		json_decref(env);
		return -EINVAL;
	}
	json_decref(env);
	*out = obj;
	return 0;
}

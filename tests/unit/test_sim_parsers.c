/* The sim's parsers: label/field selectors, patches, continue tokens, protobuf bodies. */
#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include "testutil.h"
#include "sim/select.h"
#include "sim/patch.h"
#include "sim/b64.h"
#include "sim/pbjson.h"
#include "sim/api.h"

static const char *kv_lookup(const void *ctx, const char *key)
{
	const char *const *kv = ctx;

	for (; *kv; kv += 2)
		if (!strcmp(kv[0], key))
			return kv[1];
	return NULL;
}

static bool sel_match(const char *s, bool field, const char *const *kv)
{
	struct selector *sel = NULL;
	char err[200];
	bool m;

	if (selector_parse(s, field, &sel, err, sizeof(err)))
		fail_msg("parse '%s': %s", s, err);
	m = selector_match(sel, kv_lookup, kv);
	selector_free(sel);
	return m;
}

static void label_selectors(void **state)
{
	const char *kv[] = { "app", "web", "tier", "front", "env", "prod", NULL };
	(void)state;
	assert_true(sel_match("", false, kv));
	assert_true(sel_match("app=web", false, kv));
	assert_true(sel_match("app==web,tier=front", false, kv));
	assert_false(sel_match("app=web,tier=back", false, kv));
	assert_true(sel_match("app!=db", false, kv));
	assert_false(sel_match("app!=web", false, kv));
	assert_true(sel_match("env in (prod, staging)", false, kv));
	assert_false(sel_match("env notin (prod)", false, kv));
	assert_true(sel_match("env,!missing", false, kv));
	assert_false(sel_match("missing", false, kv));
	assert_true(sel_match("missing notin (x)", false, kv));
	assert_true(sel_match("missing!=x", false, kv));
}

static void selector_errors(void **state)
{
	static const char *const bad[] = { "app in web", "app in (a", "=x", "a=b,", "a b", "!", "a!b" };
	struct selector *sel = (struct selector *)1;
	char err[200];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(selector_parse(bad[i], false, &sel, err, sizeof(err)), -EINVAL);
		assert_ptr_equal(sel, (struct selector *)1);
		assert_true(strlen(err) > 0);
	}
	/* set-based syntax is not for field selectors */
	assert_int_equal(selector_parse("status.phase in (Running)", true, &sel, err, sizeof(err)), -EINVAL);
}

static void field_selectors(void **state)
{
	const char *kv[] = { "spec.nodeName", "node-1", "status.phase", "Running", NULL };
	(void)state;
	assert_true(sel_match("spec.nodeName=node-1", true, kv));
	assert_true(sel_match("spec.nodeName=node-1,status.phase!=Pending", true, kv));
	assert_false(sel_match("status.phase=Pending", true, kv));
}

static char *patched(const char *doc, enum patch_type t, const char *patch)
{
	json_t *j = json_loads(doc, 0, NULL);
	char err[300], *out;

	if (patch_apply(&j, t, patch, strlen(patch), err, sizeof(err)))
		fail_msg("patch failed: %s", err);
	out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return out;
}

static void merge_patch(void **state)
{
	char *s;
	(void)state;
	s = patched("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"l\":[1,2]}", PATCH_MERGE,
		    "{\"b\":{\"c\":null,\"e\":4},\"l\":[3],\"n\":\"x\"}");
	assert_string_equal(s, "{\"a\":1,\"b\":{\"d\":3,\"e\":4},\"l\":[3],\"n\":\"x\"}");
	free(s);
}

static void strategic_patch(void **state)
{
	const char *dep = "{\"spec\":{\"template\":{\"spec\":{\"containers\":["
			  "{\"name\":\"a\",\"image\":\"i\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}},"
			  "{\"name\":\"b\",\"image\":\"j\"}]}}}}";
	char *s;
	(void)state;
	/* what `kubectl set resources` sends: containers merge by name */
	s = patched(dep, PATCH_STRATEGIC,
		    "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
		    "\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"512Mi\"}}}]}}}}");
	assert_string_equal(s, "{\"spec\":{\"template\":{\"spec\":{\"containers\":["
			    "{\"image\":\"i\",\"name\":\"a\",\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}}},"
			    "{\"image\":\"j\",\"name\":\"b\"}]}}}}");
	free(s);
	/* $patch: delete on a list item, and a new item appended */
	s = patched(dep, PATCH_STRATEGIC,
		    "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"$patch\":\"delete\"},"
		    "{\"name\":\"c\",\"image\":\"k\"}]}}}}");
	assert_non_null(strstr(s, "\"name\":\"c\""));
	assert_null(strstr(s, "\"name\":\"b\""));
	free(s);
	/* lists without a merge key are replaced; null deletes */
	s = patched("{\"args\":[\"x\"],\"spec\":{\"unschedulable\":true}}", PATCH_STRATEGIC,
		    "{\"args\":[\"y\"],\"spec\":{\"unschedulable\":null}}");
	assert_string_equal(s, "{\"args\":[\"y\"],\"spec\":{}}");
	free(s);
}

static void strategic_errors(void **state)
{
	json_t *j = json_loads("{\"containers\":[]}", 0, NULL);
	char err[300];
	(void)state;
	assert_int_equal(patch_apply(&j, PATCH_STRATEGIC, "{\"containers\":[{\"image\":\"x\"}]}", 31, err, sizeof(err)), -EINVAL);
	assert_int_equal(patch_apply(&j, PATCH_STRATEGIC, "[1]", 3, err, sizeof(err)), -EINVAL);
	assert_int_equal(patch_apply(&j, PATCH_MERGE, "{", 1, err, sizeof(err)), -EINVAL);
	json_decref(j);
}

static void json_patch(void **state)
{
	char *s;
	json_t *j;
	char err[300];
	const char *bad = "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]";
	(void)state;
	s = patched("{\"a\":1,\"l\":[1,2]}", PATCH_JSON,
		    "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":5},{\"op\":\"add\",\"path\":\"/l/-\",\"value\":3},"
		    "{\"op\":\"remove\",\"path\":\"/l/0\"},{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b~1c\"},"
		    "{\"op\":\"test\",\"path\":\"/a\",\"value\":5}]");
	assert_string_equal(s, "{\"a\":5,\"b/c\":5,\"l\":[2,3]}");
	free(s);
	j = json_loads("{\"a\":1}", 0, NULL);
	assert_int_equal(patch_apply(&j, PATCH_JSON, bad, strlen(bad), err, sizeof(err)), -EINVAL);
	json_decref(j);
}

static void continue_tokens(void **state)
{
	char *tok = cont_encode(1234, "shop", "web-abc");
	uint64_t rv = 0;
	char *ns = NULL, *name = NULL;
	struct buf b = BUF_INIT;
	(void)state;
	assert_int_equal(cont_decode(tok, &rv, &ns, &name), 0);
	assert_int_equal(rv, 1234);
	assert_string_equal(ns, "shop");
	assert_string_equal(name, "web-abc");
	free(ns); free(name); free(tok);
	tok = cont_encode(7, NULL, "node-3");
	assert_int_equal(cont_decode(tok, &rv, &ns, &name), 0);
	assert_string_equal(ns, "");
	assert_string_equal(name, "node-3");
	free(ns); free(name); free(tok);
	assert_int_equal(cont_decode("!!!", &rv, &ns, &name), -EINVAL);
	assert_int_equal(cont_decode("e30=", &rv, &ns, &name), -EINVAL);  /* {} */
	assert_int_equal(b64_decode("aGVsbG8=", &b), 0);
	assert_string_equal(b.data, "hello");
	buf_release(&b);
}

/* A hand-built protobuf PodDisruptionBudget, as kubectl create pdb sends it. */
static void protobuf_pdb(void **state)
{
	static const unsigned char raw[] = {
		0x0a, 0x0b, 0x0a, 0x03, 'p', 'd', 'b', 0x1a, 0x04, 's', 'h', 'o', 'p',  /* metadata */
		0x12, 0x13,                                                         /* spec */
		0x0a, 0x04, 0x08, 0x00, 0x10, 0x02,                                 /* minAvailable: 2 */
		0x12, 0x0b, 0x0a, 0x09, 0x0a, 0x03, 'a', 'p', 'p', 0x12, 0x02, 'w', 'b', /* matchLabels app=wb */
	};
	unsigned char msg[128];
	size_t n = 0;
	json_t *j = NULL;
	char err[200], *s;
	(void)state;
	memcpy(msg, "k8s\0", 4);
	n = 4;
	msg[n++] = 0x0a; msg[n++] = 2 + 9 + 2 + 19;    /* typeMeta */
	msg[n++] = 0x0a; msg[n++] = 9; memcpy(msg + n, "policy/v1", 9); n += 9;
	msg[n++] = 0x12; msg[n++] = 19; memcpy(msg + n, "PodDisruptionBudget", 19); n += 19;
	msg[n++] = 0x12; msg[n++] = sizeof(raw); memcpy(msg + n, raw, sizeof(raw)); n += sizeof(raw);
	assert_int_equal(pb_to_json(msg, n, &j, err, sizeof(err)), 0);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":"
			    "{\"name\":\"pdb\",\"namespace\":\"shop\"},\"spec\":{\"minAvailable\":2,\"selector\":"
			    "{\"matchLabels\":{\"app\":\"wb\"}}}}");
	free(s);
	json_decref(j);
	assert_int_equal(pb_to_json("k8s\0\x0a\xff", 6, &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(pb_to_json("{}", 2, &j, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(label_selectors),
		cmocka_unit_test(selector_errors),
		cmocka_unit_test(field_selectors),
		cmocka_unit_test(merge_patch),
		cmocka_unit_test(strategic_patch),
		cmocka_unit_test(strategic_errors),
		cmocka_unit_test(json_patch),
		cmocka_unit_test(continue_tokens),
		cmocka_unit_test(protobuf_pdb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

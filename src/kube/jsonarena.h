#ifndef KUBE_JSONARENA_H
#define KUBE_JSONARENA_H
/*
 * A bump allocator for jansson, per thread. Inside a scope
 * (json_scope_begin/end, nestable) every jansson value is carved from the
 * thread's arena and freeing it costs nothing; the whole arena is dropped
 * when the outermost scope ends. Outside a scope jansson uses malloc as
 * usual. Rule: a JSON value made inside a scope must be dead (decref'd) by
 * the end of that scope, and no json_dumps() result made inside a scope
 * may be passed to free(). Parsing an API body allocates hundreds of
 * thousands of small values; this is where the collector's time went.
 */

/*
 * Installs the allocator: once, at program start, before any JSON value
 * exists (main() does it). Without it the scopes change nothing, so
 * library users and tests that do not install it get plain malloc.
 */
void json_arena_install(void);
void json_scope_begin(void);
void json_scope_end(void);
/*
 * Code called from inside a scope that makes values meant to outlive it
 * (kube_list's per-item callbacks) runs between suspend and resume: what
 * it makes comes from malloc. The scope's own values still die with it, so
 * such code copies them (json_integer(json_integer_value(v)), a C string),
 * never json_incref()s them. suspend returns what resume wants back.
 */
int json_scope_suspend(void);
void json_scope_resume(int depth);

#endif

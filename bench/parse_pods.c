/*
 * Parsing a page of pods as the cache does (json_loadb in a jansson arena
 * scope, then kube_pod_parse per item), the whole text against the text
 * skimmed first (json_skim without the fields the pod parser never reads),
 * in the same run, and a check that both give the same pods. The page is a
 * file: e.g. curl "$SERVER/api/v1/pods?limit=500" > page.json from a sim.
 * Under valgrind --tool=callgrind the instruction counts are repeatable on
 * a busy machine: bench/parse_pods PAGE [ROUNDS] [plain|skim].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "kube/cache.h"
#include "kube/jsonarena.h"
#include "kube/jsonskim.h"
#include "kube/objects.h"

static size_t parse(const char *text, size_t len, bool skim, struct kube_pod *pods, size_t max)
{
	struct buf sk = BUF_INIT;
	json_t *j, *it;
	size_t i, n = 0;
	char err[256];

	json_scope_begin();
	if (skim && json_skim(text, len, kube_cache_pods.skim, &sk) == 0) {
		text = sk.data;
		len = sk.len;
	}
	j = json_loadb(text, len, 0, NULL);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		if (n < max && kube_pod_parse(it, &pods[n], err, sizeof(err)) == 0)
			n++;
	}
	json_decref(j);
	json_scope_end();
	buf_release(&sk);
	return n;
}

static int same(const struct kube_pod *a, const struct kube_pod *b)
{
#define S(f) ((a->f == NULL) == (b->f == NULL) && (!a->f || !strcmp(a->f, b->f)))
#define N(f) (a->f == b->f || (a->f != a->f && b->f != b->f))
	return S(name) && S(namespace) && S(uid) && S(node) && S(phase) && S(reason) &&
	       S(message) && S(owner_kind) && S(owner_name) && S(container_reason) &&
	       S(container_message) && S(last_reason) && S(resource_version) &&
	       N(cpu_request) && N(cpu_limit) && N(mem_request) && N(mem_limit) &&
	       a->restarts == b->restarts && a->containers_ready == b->containers_ready &&
	       a->containers_total == b->containers_total && a->created_ms == b->created_ms &&
	       a->started_ms == b->started_ms && a->deleting == b->deleting;
#undef S
#undef N
}

int main(int argc, char **argv)
{
	struct buf text = BUF_INIT;
	int rounds = argc > 2 ? atoi(argv[2]) : 20;
	const char *only = argc > 3 ? argv[3] : NULL;
	static struct kube_pod a[5000], b[5000];
	int64_t t_plain = 0, t_skim = 0;
	size_t na = 0, nb = 0;

	if (argc < 2 || file_read_all(argv[1], 1u << 30, &text) < 0) {
		fprintf(stderr, "usage: parse_pods PAGE.json [ROUNDS] [plain|skim]\n");
		return 2;
	}
	json_arena_install();
	for (int r = 0; r < rounds; r++) {
		int64_t t0 = time_mono_ns();
		if (!only || !strcmp(only, "plain")) {
			for (size_t i = 0; i < na; i++)
				kube_pod_release(&a[i]);
			na = parse(text.data, text.len, false, a, 5000);
		}
		t_plain += time_mono_ns() - t0;
		t0 = time_mono_ns();
		if (!only || !strcmp(only, "skim")) {
			for (size_t i = 0; i < nb; i++)
				kube_pod_release(&b[i]);
			nb = parse(text.data, text.len, true, b, 5000);
		}
		t_skim += time_mono_ns() - t0;
	}
	if (!only) {
		struct buf sk = BUF_INIT;
		json_skim(text.data, text.len, kube_cache_pods.skim, &sk);
		if (na != nb) {
			fprintf(stderr, "FAIL: %zu pods whole, %zu skimmed\n", na, nb);
			return 1;
		}
		for (size_t i = 0; i < na; i++)
			if (!same(&a[i], &b[i])) {
				fprintf(stderr, "FAIL: pod %zu (%s) differs when skimmed\n", i, a[i].name);
				return 1;
			}
		printf("pods a page:      %zu, the same whole or skimmed\n", na);
		printf("page:             %zu bytes, skimmed %zu (%.0f%%)\n", text.len, sk.len,
		       100.0 * (double)sk.len / (double)text.len);
		printf("whole:            %.2f ms a page\n", (double)t_plain / rounds / 1e6);
		printf("skimmed:          %.2f ms a page\n", (double)t_skim / rounds / 1e6);
		printf("ratio:            %.2fx\n", (double)t_plain / (double)t_skim);
		buf_release(&sk);
	}
	buf_release(&text);
	return 0;
}

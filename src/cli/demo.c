#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include "cli/cli.h"
#include "sim/sim.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/banned.h"

/*
 * `kubemend demo`: a small simulated cluster started in-process on a free
 * loopback port, read back through its own API as any client would, with a
 * few seconds of metrics. Later issues grow this into the whole pipeline.
 */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	return buf_add(ud, p, size * n) ? 0 : size * n;
}

static json_t *get_json(const struct sim *sim, const char *path)
{
	CURL *c = curl_easy_init();
	struct buf b;
	char url[512], auth[128];
	struct curl_slist *h = NULL;
	json_t *j = NULL;

	if (!c)
		return NULL;
	buf_init(&b, 64u << 20);
	snprintf(url, sizeof(url), "%s%s", sim_url(sim), path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", sim_token(sim));
	h = curl_slist_append(h, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	buf_release(&b);
	return j;
}

static double qty(json_t *v)
{
	double d = 0;

	if (json_is_string(v) && str_to_quantity(json_string_value(v), &d))
		d = 0;
	return d;
}

static void show_nodes(const struct sim *sim)
{
	json_t *j = get_json(sim, "/api/v1/nodes"), *it;
	size_t i;

	printf("%-10s %-8s %6s %10s\n", "NODE", "STATUS", "CPU", "MEMORY");
	json_array_foreach(json_object_get(j, "items"), i, it) {
		json_t *conds = json_object_get(json_object_get(it, "status"), "conditions"), *c;
		json_t *alloc = json_object_get(json_object_get(it, "status"), "allocatable");
		const char *ready = "?";
		size_t k;

		json_array_foreach(conds, k, c)
			if (!strcmp(json_string_value(json_object_get(c, "type")), "Ready"))
				ready = !strcmp(json_string_value(json_object_get(c, "status")), "True") ? "Ready" : "NotReady";
		printf("%-10s %-8s %6.0f %8.0fGi\n", json_string_value(json_object_get(json_object_get(it, "metadata"), "name")),
		       ready, qty(json_object_get(alloc, "cpu")), qty(json_object_get(alloc, "memory")) / (1 << 30));
	}
	json_decref(j);
}

static void show_pods(const struct sim *sim)
{
	json_t *j = get_json(sim, "/api/v1/pods"), *it, *counts = json_object();
	const char *ns;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(j, "items"), i, it) {
		const char *n = json_string_value(json_object_get(json_object_get(it, "metadata"), "namespace"));
		const char *ph = json_string_value(json_object_get(json_object_get(it, "status"), "phase"));
		json_t *c = json_object_get(counts, n);

		if (!c) {
			c = json_object();
			json_object_set_new(counts, n, c);
		}
		json_object_set_new(c, ph, json_integer(json_integer_value(json_object_get(c, ph)) + 1));
	}
	printf("\n%-16s %s\n", "NAMESPACE", "PODS");
	json_object_foreach(counts, ns, v) {
		const char *ph;
		json_t *n;

		printf("%-16s", ns);
		json_object_foreach(v, ph, n)
			printf(" %lld %s", (long long)json_integer_value(n), ph);
		printf("\n");
	}
	json_decref(counts);
	json_decref(j);
}

static void show_metrics(const struct sim *sim)
{
	json_t *j = get_json(sim, "/apis/metrics.k8s.io/v1beta1/pods"), *it, *clock = get_json(sim, "/sim/v1/clock");
	double cpu = 0, mem = 0;
	size_t i, n = 0;

	json_array_foreach(json_object_get(j, "items"), i, it) {
		json_t *u = json_object_get(json_array_get(json_object_get(it, "containers"), 0), "usage");

		cpu += qty(json_object_get(u, "cpu"));
		mem += qty(json_object_get(u, "memory"));
		n++;
	}
	printf("%-24s %3zu pods  cpu %6.0fm  memory %7.1fMi\n", json_string_value(json_object_get(clock, "now")),
	       n, cpu * 1000, mem / 1048576);
	json_decref(j);
	json_decref(clock);
}

int cmd_demo(int argc, char **argv)
{
	struct sim_options o = { .listen = "127.0.0.1:0", .nodes = 3, .pods = 12, .seed = 1, .speed = 60 };
	struct sim *sim;
	char err[512];

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: kubemend demo\n\nStarts a small simulated cluster (3 nodes, 12 pods, 60x speed) on a free\n"
		       "loopback port, shows its nodes, pods and a few seconds of metrics, and exits.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "kubemend demo: %s: unknown argument (see --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sim_start(&sim, &o, err, sizeof(err))) {
		fprintf(stderr, "kubemend demo: %s\n", err);
		curl_global_cleanup();
		return 1;
	}
	printf("simulated cluster at %s (60 virtual seconds per second)\n\n", sim_url(sim));
	show_nodes(sim);
	show_pods(sim);
	printf("\npod metrics (metrics.k8s.io), one line per second:\n");
	for (int i = 0; i < 4; i++) {
		show_metrics(sim);
		if (i < 3)
			sleep(1);
	}
	sim_stop(sim);
	curl_global_cleanup();
	return 0;
}

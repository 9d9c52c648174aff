/* Fuzz target for the text parsers of kube/fastparse.c: never a crash, and
 * whatever they accept, jansson and the typed parsers accept too, with the
 * same pods, names and numbers (they may decline what jansson accepts). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <jansson.h>
#include "kube/fastparse.h"
#include "kube/objects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_num(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_summary(const char *text, size_t size)
{
	struct kube_summary fast, slow;
	char err[512];
	json_t *j;

	if (kube_summary_parse_text(text, size, &fast) != 0)
		return;
	j = json_loadb(text, size, 0, NULL);
	if (!j || !json_is_object(j) || kube_summary_parse(j, &slow, err, sizeof(err)) != 0)
		abort();
	if (!same_str(fast.node, slow.node) || fast.npods != slow.npods)
		abort();
	for (size_t i = 0; i < fast.npods; i++) {
		const struct kube_pod_stats *a = &fast.pods[i], *b = &slow.pods[i];
		if (!same_str(a->name, b->name) || !same_str(a->namespace, b->namespace) ||
		    a->net_ts_ms != b->net_ts_ms || !same_num(a->rx_bytes, b->rx_bytes) ||
		    !same_num(a->tx_bytes, b->tx_bytes) || !same_num(a->rx_errors, b->rx_errors) ||
		    !same_num(a->tx_errors, b->tx_errors) || !same_num(a->cpu_cores, b->cpu_cores) ||
		    !same_num(a->mem_bytes, b->mem_bytes) || !same_num(a->fs_used_bytes, b->fs_used_bytes))
			abort();
	}
	kube_summary_release(&fast);
	kube_summary_release(&slow);
	json_decref(j);
}

static void check_metrics(const char *text, size_t size)
{
	struct kube_pod_metrics *v;
	const json_t *items, *it;
	size_t n, i;
	json_t *j;

	if (kube_pod_metrics_list_parse_text(text, size, &v, &n) != 0)
		return;
	j = json_loadb(text, size, 0, NULL);
	if (!j || !json_is_object(j))
		abort();
	items = json_object_get(j, "items");
	if (json_array_size(items) != n)
		abort();
	json_array_foreach(items, i, it) {
		struct kube_pod_metrics m;
		char err[512];
		if (kube_pod_metrics_parse(it, &m, err, sizeof(err)) != 0)
			abort();
		if (!same_str(m.name, v[i].name) || !same_str(m.namespace, v[i].namespace) ||
		    m.ts_ms != v[i].ts_ms || m.window_ms != v[i].window_ms ||
		    !same_num(m.cpu_cores, v[i].cpu_cores) || !same_num(m.mem_bytes, v[i].mem_bytes))
			abort();
		kube_pod_metrics_release(&m);
	}
	for (i = 0; i < n; i++)
		kube_pod_metrics_release(&v[i]);
	free(v);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_summary((const char *)data, size);
	check_metrics((const char *)data, size);
	return 0;
}

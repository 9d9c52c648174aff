#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "metrics/collector_priv.h"
#include "base/banned.h"

/*
 * HorizontalPodAutoscaler ownership (the hpa_name column): which HPA's
 * scaleTargetRef names a pod's owner. HPAs come and go rarely, so they are
 * listed at most every HPA_REFRESH_MS (one request, not one a cycle); a
 * list that fails leaves the column empty (unknown, as "none") with a
 * notice, never the names of an older list.
 */
#define HPA_REFRESH_MS 30000

static const char *field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Copies what it keeps: the item lives in the list's arena. */
static int on_hpa(const json_t *item, void *ctx)
{
	struct strmap *m = ctx;
	const json_t *md = json_object_get(item, "metadata");
	const json_t *ref = json_object_get(json_object_get(item, "spec"), "scaleTargetRef");
	const char *ns = field(md, "namespace"), *name = field(md, "name");
	const char *kind = field(ref, "kind"), *target = field(ref, "name");
	struct buf key = BUF_INIT;

	if (!ns || !name || !kind || !target)
		return 0;
	buf_addf(&key, "%s/%s/%s", ns, kind, target);
	if (!strmap_get(m, key.data)) /* two HPAs on one target: the API's order decides, as kubectl shows */
		strmap_put(m, key.data, xstrdup(name));
	buf_release(&key);
	return 0;
}

static void free_value(void *v)
{
	free(v);
}

static void restart(void *ctx)
{
	strmap_clear(ctx, free_value);
}

static void list_hpas(struct collector *c)
{
	char *path = collector_path(c, "/apis/autoscaling/v2", "horizontalpodautoscalers", true);
	struct strmap fresh = STRMAP_INIT;
	struct kube_error e;

	strmap_clear(&c->hpas, free_value);
	if (kube_list(&c->okc, "list horizontalpodautoscalers", path, 500, on_hpa, restart, &fresh,
		      NULL, 0, &e) < 0) {
		collector_note(c, NOTE_HPA, "hpa_name column empty: %s", e.msg);
		strmap_clear(&fresh, free_value);
	} else {
		collector_recovered(c, NOTE_HPA, "the HorizontalPodAutoscaler list");
		c->hpas = fresh;
	}
	free(path);
}

void collector_hpas(struct collector *c, struct sample *rows, size_t n)
{
	int64_t now = time_mono_ms();
	struct buf key = BUF_INIT;

	if (!c->hpas_listed_ms || now - c->hpas_listed_ms >= HPA_REFRESH_MS) {
		list_hpas(c);
		c->hpas_listed_ms = now ? now : 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *hpa;

		if (!rows[i].namespace || !rows[i].owner_kind || !rows[i].owner_name)
			continue;
		buf_reset(&key);
		buf_addf(&key, "%s/%s/%s", rows[i].namespace, rows[i].owner_kind, rows[i].owner_name);
		hpa = strmap_get(&c->hpas, key.data);
		if (hpa)
			sample_set_str(&rows[i].hpa_name, hpa);
	}
	buf_release(&key);
}

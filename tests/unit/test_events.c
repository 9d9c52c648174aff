/*
 * The event recorder (kube/events.c) against the simulated API server: an
 * Event lands on the object (its uid looked up) and is found the way
 * `kubectl describe` finds it; repeats become one Event with a series whose
 * count the API ends up with; the per-object rate limit drops the excess
 * and counts it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "kube/client.h"
#include "kube/events.h"
#include "sim/sim.h"

struct world {
	struct sim *sim;
	struct kube_config cfg;
	struct kube_client kc;
	char ns[64], dep[64], uid[64];
};

static int setup(void **state)
{
	static struct world w;
	struct sim_options o = { .listen = "127.0.0.1:0", .nodes = 1, .pods = 2, .seed = 5, .speed = 0 };
	struct kube_error e;
	json_t *list = NULL, *it, *md;
	char err[256];

	memset(&w, 0, sizeof(w));
	assert_int_equal(sim_start(&w.sim, &o, err, sizeof(err)), 0);
	w.cfg.server = strdup(sim_url(w.sim));
	/* no token: over plain HTTP the sim lets a request without one through (kubemend sends none there) */
	w.cfg.user = strdup("tester");
	w.cfg.context = strdup("sim");
	assert_int_equal(kube_client_init(&w.kc, &w.cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(kube_get(&w.kc, "list", "/apis/apps/v1/deployments", &list, &e), 0);
	it = json_array_get(json_object_get(list, "items"), 0);
	md = json_object_get(it, "metadata");
	snprintf(w.ns, sizeof(w.ns), "%s", json_string_value(json_object_get(md, "namespace")));
	snprintf(w.dep, sizeof(w.dep), "%s", json_string_value(json_object_get(md, "name")));
	snprintf(w.uid, sizeof(w.uid), "%s", json_string_value(json_object_get(md, "uid")));
	json_decref(list);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	kube_client_release(&w->kc);
	kube_config_release(&w->cfg);
	sim_stop(w->sim);
	return 0;
}

/* The core/v1 Events kubectl describe would show for the deployment. */
static json_t *described(struct world *w)
{
	char path[512];
	struct kube_error e;
	json_t *list = NULL;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s,"
		 "involvedObject.namespace%%3D%s,involvedObject.kind%%3DDeployment,involvedObject.uid%%3D%s",
		 w->ns, w->dep, w->ns, w->uid);
	assert_int_equal(kube_get(&w->kc, "events", path, &list, &e), 0);
	return list;
}

static json_t *find_reason(json_t *list, const char *reason)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(list, "items"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "reason")), reason))
			return it;
	return NULL;
}

static void lands_on_the_object(void **state)
{
	struct world *w = *state;
	struct kube_recorder r;
	struct kube_recorder_opts o = { .controller = "kubemend.io/monitor", .instance = "pod-a" };
	struct kube_event_ref ref = { "apps/v1", "Deployment", w->ns, w->dep, NULL };
	struct kube_error e;
	json_t *list, *ev;

	assert_int_equal(kube_recorder_init(&r, &w->kc, &o), 0);
	assert_int_equal(kube_event(&r, &ref, true, "RemediationProposed", "Propose",
				    "change_limits: memory 128Mi -> 256Mi", &e), 1);
	list = described(w);
	ev = find_reason(list, "RemediationProposed");
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "Warning");
	assert_string_equal(json_string_value(json_object_get(ev, "message")), "change_limits: memory 128Mi -> 256Mi");
	assert_string_equal(json_string_value(json_object_get(ev, "reportingComponent")), "kubemend.io/monitor");
	assert_string_equal(json_string_value(json_object_get(ev, "reportingInstance")), "pod-a");
	json_decref(list);
	assert_int_equal(r.stats.created, 1);
	kube_recorder_release(&r);
}

static void repeats_become_a_series(void **state)
{
	struct world *w = *state;
	struct kube_recorder r;
	struct kube_recorder_opts o = { .controller = "kubemend.io/monitor", .instance = "pod-a",
					.series_flush_ms = 3600000 };
	struct kube_event_ref ref = { "apps/v1", "Deployment", w->ns, w->dep, w->uid };
	struct kube_error e;
	json_t *list, *ev;

	assert_int_equal(kube_recorder_init(&r, &w->kc, &o), 0);
	assert_int_equal(kube_event(&r, &ref, false, "AnomalyDetected", "Detect", "memory near its limit", &e), 1);
	for (int i = 0; i < 4; i++)     /* within the flush interval: counted, not sent */
		assert_int_equal(kube_event(&r, &ref, false, "AnomalyDetected", "Detect", "memory near its limit", &e), 0);
	assert_int_equal(r.stats.created, 1);
	assert_int_equal(r.stats.deduplicated, 4);
	assert_int_equal(r.stats.patched, 0);
	list = described(w);
	ev = find_reason(list, "AnomalyDetected");
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 1);
	json_decref(list);
	assert_int_equal(kube_recorder_flush(&r, &e), 0);
	list = described(w);
	ev = find_reason(list, "AnomalyDetected");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "series"), "count")), 5);
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 5);
	json_decref(list);
	/* a different note is a different Event */
	assert_int_equal(kube_event(&r, &ref, false, "AnomalyDetected", "Detect", "cpu throttled", &e), 1);
	assert_int_equal(r.stats.created, 2);
	kube_recorder_release(&r);
}

static void rate_limited(void **state)
{
	struct world *w = *state;
	struct kube_recorder r;
	struct kube_recorder_opts o = { .controller = "kubemend.io/monitor", .instance = "pod-a", .burst = 2,
					.refill_ms = 3600000 };
	struct kube_event_ref ref = { "apps/v1", "Deployment", w->ns, w->dep, w->uid };
	struct kube_event_ref gone = { "v1", "Pod", w->ns, "no-such-pod", NULL };
	struct kube_error e;
	char note[32];

	assert_int_equal(kube_recorder_init(&r, &w->kc, &o), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(note, sizeof(note), "distinct %d", i);
		assert_int_equal(kube_event(&r, &ref, false, "Spam", "Detect", note, &e), i < 2 ? 1 : 0);
	}
	assert_int_equal(r.stats.created, 2);
	assert_int_equal(r.stats.dropped, 3);
	/* an object that does not exist: the uid lookup fails and says so */
	assert_int_equal(kube_event(&r, &gone, false, "X", "Detect", "y", &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no-such-pod"));
	kube_recorder_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lands_on_the_object),
		cmocka_unit_test(repeats_become_a_series),
		cmocka_unit_test(rate_limited),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

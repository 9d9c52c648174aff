#include "testutil.h"
#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <jansson.h>
#include "run/pipeline.h"
#include "eval/score.h"
#include "base/buf.h"
#include "base/file.h"

#define T0 1700000000000LL
#define MIN 60000LL

static void row(struct sample *s, const char *pod, const char *node, int64_t ts)
{
	sample_init(s, 0);
	s->ts_ms = ts;
	sample_set_str(&s->namespace, "shop");
	sample_set_str(&s->pod, pod);
	sample_set_str(&s->node, node);
	sample_set_str(&s->owner_kind, "Deployment");
	sample_set_str(&s->owner_name, "web");
	sample_set_str(&s->phase, "Running");
	s->restarts = 0;
	s->containers_ready = s->containers_total = 1;
	s->cpu_mcores = 100;
	s->cpu_limit_mcores = 500;
	s->mem_bytes = 100e6;
	s->mem_limit_bytes = 256e6;
	s->pod_age_s = 3600;
	s->node_ready = 1;
	sample_set_str(&s->node_conditions, "");
}

struct events {
	int opened, resolved;
	char last_type[32];
};

static void hook(void *ctx, enum pipeline_event ev, struct insight *in)
{
	struct events *e = ctx;

	if (ev == PIPE_OPENED)
		e->opened++;
	if (ev == PIPE_RESOLVED)
		e->resolved++;
	snprintf(e->last_type, sizeof(e->last_type), "%s", in->anomaly_type);
}

/* Minute i: pod a is fine, pod b crash-loops from minute 5 to 8, node-1
 * is under memory pressure from minute 10 to 12. */
static void feed_minute(struct pipeline *p, int i)
{
	struct sample rows[2];
	char err[256];

	row(&rows[0], "web-a", "node-0", T0 + i * MIN);
	row(&rows[1], "web-b", "node-1", T0 + i * MIN);
	if (i >= 5 && i <= 8) {
		sample_set_str(&rows[1].reason, "CrashLoopBackOff");
		rows[1].restarts = i - 4;
		rows[1].containers_ready = 0;
	} else if (i > 8) {
		rows[1].restarts = 4;
	}
	if (i >= 10 && i <= 12)
		sample_set_str(&rows[1].node_conditions, "MemoryPressure");
	assert_int_equal(pipeline_feed(p, rows, 2, err, sizeof(err)), 0);
	sample_release(&rows[0]);
	sample_release(&rows[1]);
}

static void pipeline_opens_advises_writes_and_resolves(void **state)
{
	char *dir = test_tmpdir(), path[256];
	struct pipeline p;
	struct events ev = { 0 };
	struct buf b = BUF_INIT;
	json_t *doc, *ins;
	(void)state;

	snprintf(path, sizeof(path), "%s/pod_insights.json", dir);
	pipeline_init(&p, 0.7, path, 0);
	assert_int_equal(pipeline_add_hook(&p, hook, &ev), 0);
	for (int i = 0; i < 7; i++)
		feed_minute(&p, i);
	assert_int_equal(ev.opened, 1);
	assert_string_equal(ev.last_type, "crash_loop");
	/* the file is there, valid and names the pod with advice */
	buf_init(&b, 1 << 20);
	assert_int_equal(file_read_all(path, 1 << 20, &b), 0);
	doc = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(doc);
	ins = json_array_get(json_object_get(doc, "insights"), 0);
	assert_string_equal(json_string_value(json_object_get(ins, "pod")), "web-b");
	assert_string_equal(json_string_value(json_object_get(ins, "anomaly_type")), "crash_loop");
	assert_true(json_is_null(json_object_get(ins, "resolved_at")));
	assert_true(json_array_size(json_object_get(ins, "recommendations")) > 0);
	json_decref(doc);
	/* the node's pressure is its own insight, without pods */
	for (int i = 7; i < 40; i++)
		feed_minute(&p, i);
	assert_int_equal(ev.opened, 2);
	assert_int_equal(ev.resolved, 2);
	assert_int_equal(pipeline_open_insights(&p.store), 0);
	/* /metrics: health and the per-pod gauge */
	buf_reset(&b);
	pipeline_metrics(&p, &b);
	assert_non_null(strstr(b.data, "kubemend_cycles_total 40"));
	assert_non_null(strstr(b.data, "kubemend_insights_opened_total 2"));
	assert_non_null(strstr(b.data, "kubemend_pod_anomaly_probability{namespace=\"shop\",pod=\"web-a\"} 0"));
	assert_non_null(strstr(b.data, "# TYPE kubemend_pods_tracked gauge"));
	/* the monitor's cost: a histogram of cycle times, time per stage, bytes */
	{
		double a[PIPE_NSTAGES] = { 0.2, 0.01, 0.05 }, c[PIPE_NSTAGES] = { 3.0, 0.5, 1.0 };
		pipeline_cycle_stages(&p, a, 0.3, 1000, 0);
		pipeline_cycle_stages(&p, c, 4.5, 2500, 400);
		buf_reset(&b);
		pipeline_metrics(&p, &b);
		assert_non_null(strstr(b.data, "# TYPE kubemend_cycle_duration_seconds histogram"));
		assert_non_null(strstr(b.data, "kubemend_cycle_duration_seconds_bucket{le=\"0.25\"} 0\n"));
		assert_non_null(strstr(b.data, "kubemend_cycle_duration_seconds_bucket{le=\"0.5\"} 1\n"));
		assert_non_null(strstr(b.data, "kubemend_cycle_duration_seconds_bucket{le=\"5\"} 2\n"));
		assert_non_null(strstr(b.data, "kubemend_cycle_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
		assert_non_null(strstr(b.data, "kubemend_cycle_duration_seconds_sum 4.8\n"));
		assert_non_null(strstr(b.data, "kubemend_cycle_duration_seconds_count 2\n"));
		assert_non_null(strstr(b.data, "kubemend_stage_duration_seconds{stage=\"collect\"} 3\n"));
		assert_non_null(strstr(b.data, "kubemend_stage_seconds_total{stage=\"collect\"} 3.2\n"));
		assert_non_null(strstr(b.data, "kubemend_csv_bytes_written_total 2500\n"));
		assert_non_null(strstr(b.data, "kubemend_csv_rotated_bytes 400\n"));
		assert_non_null(strstr(b.data, "# TYPE kubemend_api_requests_in_flight gauge"));
		assert_non_null(strstr(b.data, "kubemend_api_requests_queued 0\n"));
	}
	buf_release(&b);
	pipeline_release(&p);
	remove(path);
	rmdir(dir);
	free(dir);
}

static void pods_on_a_down_node_are_the_node_insight(void **state)
{
	struct pipeline p;
	struct events ev = { 0 };
	char err[256];
	(void)state;

	pipeline_init(&p, 0.7, NULL, 0);
	pipeline_add_hook(&p, hook, &ev);
	for (int i = 0; i < 6; i++) {
		struct sample rows[2];
		row(&rows[0], "web-a", "node-0", T0 + i * MIN);
		row(&rows[1], "web-b", "node-1", T0 + i * MIN);
		if (i >= 3) {   /* node-1's kubelet stops: Ready unknown, no metrics */
			rows[1].node_ready = NAN;
			rows[1].cpu_mcores = rows[1].mem_bytes = NAN;
			rows[1].containers_ready = 0;
		}
		assert_int_equal(pipeline_feed(&p, rows, 2, err, sizeof(err)), 0);
		sample_release(&rows[0]);
		sample_release(&rows[1]);
	}
	assert_int_equal(ev.opened, 1);
	assert_string_equal(ev.last_type, "node");
	assert_int_equal(p.store.items[0]->npods, 0);
	assert_string_equal(p.store.items[0]->node, "node-1");
	pipeline_release(&p);
}

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static void score_matches_pods_nodes_and_workloads(void **state)
{
	json_t *truth = parse("["
		"{\"type\":\"crash_loop\",\"namespace\":\"shop\",\"deployment\":\"web\",\"pods\":[\"web-b\"],"
		" \"node\":null,\"start\":\"2026-01-01T00:10:00Z\",\"end\":null},"
		"{\"type\":\"node_not_ready\",\"namespace\":null,\"deployment\":null,\"pods\":[],"
		" \"node\":\"node-1\",\"start\":\"2026-01-01T00:20:00Z\",\"end\":\"2026-01-01T00:30:00Z\"},"
		"{\"type\":\"image_pull_error\",\"namespace\":\"shop\",\"deployment\":\"api\",\"pods\":[\"api-x\"],"
		" \"node\":null,\"start\":\"2026-01-01T00:40:00Z\",\"end\":null},"
		"{\"type\":\"cpu_spike\",\"namespace\":\"shop\",\"deployment\":\"cart\",\"pods\":[\"cart-a\"],"
		" \"node\":null,\"start\":\"2026-01-01T00:50:00Z\",\"end\":null}]");
	json_t *ins = parse("{\"generated_at\":\"2026-01-01T01:00:00Z\",\"insights\":["
		"{\"id\":\"i1\",\"namespace\":\"shop\",\"node\":\"node-0\",\"owner\":{\"kind\":\"Deployment\",\"name\":\"web\"},"
		" \"pods\":[\"web-b\"],\"anomaly_type\":\"crash_loop\",\"detected_at\":\"2026-01-01T00:11:00Z\","
		" \"updated_at\":\"2026-01-01T00:12:00Z\",\"resolved_at\":null},"
		"{\"id\":\"i2\",\"namespace\":null,\"node\":\"node-1\",\"owner\":{\"kind\":null,\"name\":null},"
		" \"pods\":[],\"anomaly_type\":\"node\",\"detected_at\":\"2026-01-01T00:20:30Z\","
		" \"updated_at\":\"2026-01-01T00:25:00Z\",\"resolved_at\":\"2026-01-01T00:31:00Z\"},"
		"{\"id\":\"i3\",\"namespace\":\"shop\",\"node\":\"node-2\",\"owner\":{\"kind\":\"Deployment\",\"name\":\"api\"},"
		" \"pods\":[\"api-y\"],\"anomaly_type\":\"image_pull\",\"detected_at\":\"2026-01-01T00:41:00Z\","
		" \"updated_at\":\"2026-01-01T00:41:00Z\",\"resolved_at\":null},"
		"{\"id\":\"i4\",\"namespace\":\"shop\",\"node\":\"node-2\",\"owner\":{\"kind\":\"Deployment\",\"name\":\"cart\"},"
		" \"pods\":[\"cart-a\"],\"anomaly_type\":\"cpu_saturation\",\"detected_at\":\"2026-01-01T00:56:00Z\","
		" \"updated_at\":\"2026-01-01T00:56:00Z\",\"resolved_at\":null},"
		"{\"id\":\"i5\",\"namespace\":\"shop\",\"node\":\"node-2\",\"owner\":{\"kind\":\"Deployment\",\"name\":\"db\"},"
		" \"pods\":[\"db-0\"],\"anomaly_type\":\"oom\",\"detected_at\":\"2026-01-01T00:05:00Z\","
		" \"updated_at\":\"2026-01-01T00:05:00Z\",\"resolved_at\":null}]}");
	struct score_result r;
	char err[256];
	(void)state;

	assert_int_equal(score_insights(truth, ins, 5 * MIN, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nfaults, 4);
	assert_true(r.faults[0].found);
	assert_int_equal(r.faults[0].detect_ms, MIN);
	assert_true(r.faults[1].found);         /* the node */
	assert_true(r.faults[2].found);         /* the template fault: its workload */
	assert_false(r.faults[3].found);        /* six minutes late */
	assert_int_equal(r.found, 3);
	assert_int_equal(r.insights, 5);
	assert_int_equal(r.false_alarms, 1);    /* db-0: no fault */
	assert_true(fabs(r.recall - 0.75) < 1e-9);
	assert_true(fabs(r.precision - 0.8) < 1e-9);
	score_result_release(&r);
	json_decref(ins);
	ins = parse("{\"insights\":[{\"id\":\"x\"}]}");
	assert_int_equal(score_insights(truth, ins, 5 * MIN, &r, err, sizeof(err)), -EINVAL);
	json_decref(ins);
	json_decref(truth);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipeline_opens_advises_writes_and_resolves),
		cmocka_unit_test(pods_on_a_down_node_are_the_node_insight),
		cmocka_unit_test(score_matches_pods_nodes_and_workloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

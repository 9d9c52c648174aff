#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "sim/scenario.h"

#define FIX "tests/fixtures/scenarios/"

static void load_ok(const char *path, struct scenario *sc)
{
	char err[512] = "";
	int rc = scenario_load(sc, path, err, sizeof(err));
	if (rc)
		fail_msg("%s: unexpected error: %s", path, err);
}

static void minimal_file(void **state)
{
	struct scenario sc;
	const struct workload *w;
	(void)state;
	load_ok(FIX "ok-minimal.yaml", &sc);
	assert_int_equal(sc.seed, 42);
	assert_int_equal(sc.nodes, 4);
	assert_true(sc.node_cpu == 8.0);
	assert_true(sc.node_mem == 32.0 * 1073741824.0);
	assert_int_equal(sc.nworkloads, 1);
	assert_int_equal(sc.nfaults, 0);
	w = scenario_find(&sc, "shop", "web");
	assert_non_null(w);
	assert_null(scenario_find(&sc, "shop", "cart"));
	assert_int_equal(w->replicas, 3);
	assert_int_equal(w->line, 4);
	assert_string_equal(w->image, "registry.local/web:1.0");
	assert_true(fabs(w->res.cpu_request - 0.1) < 1e-12);
	assert_true(fabs(w->res.cpu_limit - 0.5) < 1e-12);
	assert_true(w->res.mem_request == 128.0 * 1048576);
	assert_true(w->res.mem_limit == 256.0 * 1048576);
	assert_true(fabs(w->usage.cpu - 0.12) < 1e-12);
	assert_true(w->usage.mem == 100.0 * 1048576);
	assert_true(w->usage.rx_bps == 200.0 * 1024);
	assert_true(w->usage.tx_bps == 150.0 * 1024);
	assert_int_equal(scenario_pods(&sc), 3);
	scenario_release(&sc);
}

static void faults_and_defaults(void **state)
{
	struct scenario sc;
	const struct fault *f;
	(void)state;
	load_ok(FIX "ok-faults.yaml", &sc);
	assert_int_equal(sc.nfaults, 5);
	f = &sc.faults[0];
	assert_int_equal(f->type, FAULT_MEMORY_LEAK);
	assert_int_equal(f->at_ms, 120000);
	assert_int_equal(f->duration_ms, 1800000);
	assert_string_equal(f->namespace_, "shop");
	assert_string_equal(f->deployment, "web");
	assert_int_equal(f->pods, 1);
	assert_null(f->node);
	assert_true(f->rate == 512.0 * 1024);
	assert_int_equal(f->line, 11);
	f = &sc.faults[1];
	assert_int_equal(f->type, FAULT_NODE_MEMORY_PRESSURE);
	assert_string_equal(f->node, "node-3");
	assert_null(f->namespace_);
	assert_int_equal(f->at_ms, 0);
	assert_int_equal(f->duration_ms, 0);
	assert_true(f->factor == 1 && f->rate == 0 && f->limit == 0);
	/* Defaults that depend on the target (docs/scenarios.md). */
	f = &sc.faults[2];
	assert_int_equal(f->type, FAULT_OOM_LIMIT_TOO_LOW);
	assert_int_equal(f->pods, 0);
	assert_true(f->limit == 75.0 * 1048576);
	f = &sc.faults[3];
	assert_int_equal(f->type, FAULT_UNSCHEDULABLE);
	assert_true(f->factor * 0.1 > sc.node_cpu);
	f = &sc.faults[4];
	assert_int_equal(f->type, FAULT_CPU_THROTTLING);
	assert_true(f->factor * 0.12 >= 2 * 0.5 - 1e-9);
	scenario_release(&sc);
}

static void shipped_scenarios_load(void **state)
{
	static const char *const files[] = {
		"config/scenarios/demo.yaml", "config/scenarios/node-failure.yaml",
		"config/scenarios/healthy.yaml",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct scenario sc;
		load_ok(files[i], &sc);
		assert_true(sc.nworkloads > 0);
		scenario_release(&sc);
	}
}

static void fault_type_names(void **state)
{
	enum fault_type t;
	(void)state;
	for (int i = 0; i < FAULT__COUNT; i++) {
		assert_int_equal(fault_type_parse(fault_type_name((enum fault_type)i), &t), 0);
		assert_int_equal(t, i);
	}
	assert_string_equal(fault_type_name(FAULT_CRASH_LOOP), "crash_loop");
	assert_int_equal(fault_type_parse("memleak", &t), -EINVAL);
	assert_int_equal(fault_type_parse(NULL, &t), -EINVAL);
	assert_true(fault_type_is_node(FAULT_NODE_NOT_READY));
	assert_true(fault_type_is_node(FAULT_NODE_MEMORY_PRESSURE));
	assert_false(fault_type_is_node(FAULT_MEMORY_LEAK));
	assert_false(fault_type_is_node(FAULT_UNSCHEDULABLE));
}

/* Each kind of mistake, where it is reported and what is said. */
static void errors_have_positions(void **state)
{
	static const struct { const char *file, *pos, *what; } cases[] = {
		{ "unknown-top-key", "3:1", "unknown key 'colour' in the scenario (known: seed, nodes" },
		{ "nodes-not-number", "2:8", "nodes must be a whole number, not 'four'" },
		{ "nodes-zero", "2:8", "nodes 0 is out of range (1 to 10000)" },
		{ "nodes-list", "2:8", "nodes must be a value (got a list)" },
		{ "seed-negative", "1:7", "seed must be a whole number" },
		{ "no-workloads", "1:1", "the scenario has no workloads" },
		{ "bad-quantity", "7:18", "usage cpu: '120x' is not a quantity" },
		{ "unknown-usage-key", "7:39", "unknown key 'disk' in usage (known: cpu, memory, rx, tx)" },
		{ "cpu-limit-below-request", "8:19", "cpu limit 50m is below the request 100m" },
		{ "mem-limit-below-request", "8:33", "memory limit 256Mi is below the request 512Mi" },
		{ "usage-over-limit", "8:32", "usage memory 300Mi is not below the memory limit 256Mi" },
		{ "replicas-too-many", "6:15", "replicas 100001 is out of range (0 to 10000)" },
		{ "replicas-negative", "6:15", "replicas -1 is out of range" },
		{ "bad-namespace", "4:16", "namespace 'Shop' must be lowercase" },
		{ "no-deployment", "4:5", "workload has no deployment" },
		{ "usage-no-cpu", "6:12", "usage has no cpu" },
		{ "duplicate-deployment", "8:17", "deployment shop/web is defined twice (first on line 4)" },
		{ "over-capacity", "4:3", "the workloads request 20 cores" },
		{ "unknown-fault-type", "11:11", "unknown fault type 'memleak' (known: memory_leak, oom_limit_too_low," },
		{ "bad-duration", "12:9", "at: '10 minutes' is not a duration" },
		{ "zero-duration", "12:15", "duration must be longer than zero" },
		{ "unknown-target", "12:13", "target 'shop/cart': no such deployment" },
		{ "target-no-namespace", "12:13", "target 'web' must be NAMESPACE/DEPLOYMENT" },
		{ "too-many-pods", "13:11", "pods 4 is out of range (1 to 3)" },
		{ "node-out-of-range", "12:11", "no node 'node-4' (the scenario has node-0 to node-3)" },
		{ "node-fault-with-target", "12:5", "node_not_ready targets a node" },
		{ "pod-fault-with-node", "12:5", "crash_loop targets a deployment" },
		{ "unknown-param", "13:27", "unknown key 'speed' in params of memory_leak (known: rate)" },
		{ "bad-param", "13:20", "rate: 'fast' is not a quantity" },
		{ "params-not-taken", "13:14", "image_pull_error takes no params" },
		{ "oom-limit-not-low", "13:21", "limit 512Mi is not below the workload's memory usage 100Mi" },
		{ "factor-below-one", "13:22", "factor must be greater than 1" },
		{ "fault-no-type", "11:5", "fault has no type" },
		{ "duplicate-key", "14:5", "duplicate key" },
		{ "malformed", "4:1", "" },
		{ "throttle-no-limit", "9:11", "cpu_throttling needs a target with a cpu limit" },
	};
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256], want[300], err[512] = "";
		struct scenario sc;
		int rc;

		memset(&sc, 0x5a, sizeof(sc));
		snprintf(path, sizeof(path), FIX "%s.yaml", cases[i].file);
		rc = scenario_load(&sc, path, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("%s: expected -EINVAL, got %d (%s)", path, rc, err);
		snprintf(want, sizeof(want), "%s:%s: %s", path, cases[i].pos, cases[i].what);
		if (strncmp(err, want, strlen(want)) != 0) {
			print_error("%s:\n  got  '%s'\n  want '%s...'\n", cases[i].file, err, want);
			bad++;
		}
		assert_null(strchr(err, '\n'));
		/* Output written only on success. */
		assert_int_equal(sc.nodes, 0x5a5a5a5a);
	}
	assert_int_equal(bad, 0);
}

static void missing_file(void **state)
{
	char err[256];
	struct scenario sc;
	(void)state;
	assert_int_equal(scenario_load(&sc, FIX "no-such-file.yaml", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, FIX "no-such-file.yaml: No such file or directory");
}

static void empty_text(void **state)
{
	char err[256];
	struct scenario sc;
	(void)state;
	assert_int_equal(scenario_parse(&sc, "", 0, "x.yaml", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:1:1: the scenario is empty");
	assert_int_equal(scenario_parse(&sc, "- 1\n", 4, "x.yaml", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:1:1: the scenario must be a mapping");
}

static void generate_exact_and_varied(void **state)
{
	static const int sizes[] = { 0, 1, 7, 100, 1000, 100000 };
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct scenario sc;
		int nodes = sizes[i] > 1000 ? 1000 : 3;
		double cpu = 0, mem = 0;
		char seen[16][32];
		size_t nseen = 0;
		bool nolimit = false, varied = false;

		scenario_generate(&sc, nodes, sizes[i], 42);
		assert_int_equal(scenario_pods(&sc), sizes[i]);
		assert_int_equal(sc.nodes, nodes);
		assert_int_equal(sc.nfaults, 0);
		for (size_t j = 0; j < sc.nworkloads; j++) {
			const struct workload *w = &sc.workloads[j];
			bool dup = false;
			assert_true(w->replicas >= 1);
			assert_true(w->res.cpu_request > 0 && w->res.mem_request > 0);
			assert_true(w->res.mem_limit >= w->res.mem_request);
			assert_true(w->res.cpu_limit == 0 || w->res.cpu_limit >= w->res.cpu_request);
			assert_true(w->usage.cpu > 0 && w->usage.cpu < w->res.cpu_request);
			assert_true(w->usage.mem > 0 && w->usage.mem <= 0.8 * w->res.mem_limit);
			assert_true(w->usage.rx_bps > 0 && w->usage.tx_bps > 0);
			assert_non_null(strstr(w->image, w->namespace_));
			nolimit |= w->res.cpu_limit == 0;
			varied |= w->replicas != sc.workloads[0].replicas;
			cpu += w->res.cpu_request * w->replicas;
			mem += w->res.mem_request * w->replicas;
			for (size_t k = 0; k < nseen; k++)
				dup |= strcmp(seen[k], w->namespace_) == 0;
			if (!dup && nseen < 16)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", w->namespace_);
			/* names are unique */
			for (size_t k = 0; k < j && sizes[i] <= 1000; k++)
				assert_false(strcmp(w->namespace_, sc.workloads[k].namespace_) == 0 &&
					     strcmp(w->deployment, sc.workloads[k].deployment) == 0);
		}
		assert_true(cpu <= sc.node_cpu * sc.nodes);
		assert_true(mem <= sc.node_mem * sc.nodes);
		if (sizes[i] >= 100) {
			assert_true(nseen >= 5);
			assert_true(nolimit);
			assert_true(varied);
		}
		scenario_release(&sc);
	}
}

static void generate_deterministic(void **state)
{
	struct scenario a, b, c;
	bool differs = false;
	(void)state;
	scenario_generate(&a, 10, 500, 7);
	scenario_generate(&b, 10, 500, 7);
	scenario_generate(&c, 10, 500, 8);
	assert_int_equal(a.nworkloads, b.nworkloads);
	for (size_t i = 0; i < a.nworkloads; i++) {
		assert_string_equal(a.workloads[i].namespace_, b.workloads[i].namespace_);
		assert_string_equal(a.workloads[i].deployment, b.workloads[i].deployment);
		assert_int_equal(a.workloads[i].replicas, b.workloads[i].replicas);
		assert_memory_equal(&a.workloads[i].usage, &b.workloads[i].usage, sizeof(struct usage));
		assert_memory_equal(&a.workloads[i].res, &b.workloads[i].res, sizeof(struct resources));
	}
	for (size_t i = 0; i < a.nworkloads && i < c.nworkloads; i++)
		differs |= a.workloads[i].replicas != c.workloads[i].replicas ||
			   a.workloads[i].usage.cpu != c.workloads[i].usage.cpu;
	assert_true(differs || a.nworkloads != c.nworkloads);
	scenario_release(&a);
	scenario_release(&b);
	scenario_release(&c);
	scenario_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal_file),
		cmocka_unit_test(faults_and_defaults),
		cmocka_unit_test(shipped_scenarios_load),
		cmocka_unit_test(fault_type_names),
		cmocka_unit_test(errors_have_positions),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(empty_text),
		cmocka_unit_test(generate_exact_and_varied),
		cmocka_unit_test(generate_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

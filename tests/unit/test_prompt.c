#include <string.h>
#include "testutil.h"
#include "insight/advice.h"
#include "remedy/prompt.h"

#define MI (1024.0 * 1024.0)

static void qos_classes(void **state)
{
	(void)state;
	assert_string_equal(prompt_qos(0, 0, 0, 0), "BestEffort");
	assert_string_equal(prompt_qos(0.5, 0.5, 128 * MI, 128 * MI), "Guaranteed");
	assert_string_equal(prompt_qos(0.1, 0.5, 128 * MI, 128 * MI), "Burstable");
	assert_string_equal(prompt_qos(0, 0.5, 0, 128 * MI), "Guaranteed"); /* requests default to limits */
	assert_string_equal(prompt_qos(0.1, 0, 0, 0), "Burstable");
}

/* The question names the evidence, the change, the QoS before/after, the reach and the checks. */
static void question_shows_what_a_person_needs(void **state)
{
	static const struct signal sig[] = { { "mem_bytes", 120 * MI, 60 * MI, 80 * MI } };
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-2", .owner_kind = "Deployment",
		.owner_name = "web", .anomaly_type = "oom", .probability = 0.9, .sample_ms = 1000,
		.signals = sig, .nsignals = 1,
	};
	struct proposal p = { .kind = ACT_CHANGE_LIMITS, .namespace_ = "shop", .name = "web",
			      .mem_limit_before = 90 * MI, .mem_limit_after = 190 * MI,
			      .mem_request_before = 64 * MI, .mem_request_after = 90 * MI,
			      .cpu_limit_before = 0.5 };
	json_t *rec = json_pack("{s:{s:s, s:n}, s:[s, s]}", "blast_radius", "pods_detail",
				"a rolling update replaces all 2 pods", "pdb", "policy_checks",
				"namespace shop is not denied", "each value changes by at most x2");
	struct insight_store s;
	struct insight *in;
	struct buf q = BUF_INIT;
	(void)state;
	insight_store_init(&s, 0.5);
	in = insight_store_observe(&s, &f);
	prompt_question(&q, in, &p, NULL, rec, false, 0);
	assert_non_null(strstr(q.data, "evidence: Pod shop/web-1 shows oom: mem_bytes is 120 MiB, normally 60 MiB to 80 MiB."));
	assert_non_null(strstr(q.data, "memory limit 90Mi → 190Mi, memory request 64Mi → 90Mi"));
	assert_non_null(strstr(q.data, "QoS: Burstable → Burstable"));
	assert_non_null(strstr(q.data, "reach: a rolling update replaces all 2 pods; no PodDisruptionBudget selects the pods"));
	assert_non_null(strstr(q.data, "checks: namespace shop is not denied"));
	assert_non_null(strstr(q.data, "Approve? [y/N] "));
	buf_release(&q);
	json_decref(rec);
	insight_store_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qos_classes),
		cmocka_unit_test(question_shows_what_a_person_needs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

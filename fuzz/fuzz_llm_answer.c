/* Fuzz target for checking LLM answers (insight/llm.c). */
#include <stdint.h>
#include <stddef.h>
#include "insight/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct insight_store s;
	struct insight *in;
	struct redactor r;
	struct llm_answer a;
	char err[256];
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-1",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = "oom",
		.probability = 0.9, .sample_ms = 1,
	};

	insight_store_init(&s, 0.5);
	in = insight_store_observe(&s, &f);
	redactor_init(&r);
	json_decref(llm_request(in, NULL, 0, "m", &r));
	if (llm_parse_answer((const char *)data, size, in, &r, &a, err, sizeof(err)) == 0)
		llm_answer_release(&a);
	redactor_release(&r);
	insight_store_release(&s);
	return 0;
}

/* Fuzz target for building LLM requests from telemetry text (insight/llm.c):
 * the input is an event message, with its container names and secrets. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "insight/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct insight_store s;
	struct insight *in;
	struct redactor r;
	struct evidence ev[1];
	struct finding f = {
		.namespace_ = "shop", .pod = "web-1", .node = "node-1",
		.owner_kind = "Deployment", .owner_name = "web", .anomaly_type = "oom",
		.probability = 0.9, .sample_ms = 1, .evidence = ev, .nevidence = 1,
	};
	size_t n = size < sizeof(ev[0].message) - 1 ? size : sizeof(ev[0].message) - 1;
	json_t *req;
	char *text;

	memset(ev, 0, sizeof(ev));
	memcpy(ev[0].kind, "event", 6);
	memcpy(ev[0].message, data, n);
	ev[0].message[n] = '\0';
	insight_store_init(&s, 0.5);
	in = insight_store_observe(&s, &f);
	redactor_init(&r);
	req = llm_request(in, NULL, 0, "m", &r);
	text = json_dumps(req, 0);
	free(text);
	json_decref(req);
	redactor_release(&r);
	insight_store_release(&s);
	return 0;
}

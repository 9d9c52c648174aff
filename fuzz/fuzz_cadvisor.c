/* Fuzz target for the kubelet's cAdvisor text (metrics/cadvisor.c). */
#include <stdint.h>
#include <stddef.h>
#include "metrics/cadvisor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_pod(void *ctx, const struct cadvisor_drops *d)
{
	(void)d;
	++*(int *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	int n = 0;

	cadvisor_parse_drops((const char *)data, size, on_pod, &n, err, sizeof(err));
	return 0;
}

/* Fuzz target for config files (conf/config.c on top of conf/ynode.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct config c;
	char err[512];
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/kubemend-fuzz-config.%d.yaml", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	config_init(&c);
	config_load_file(&c, path, "agent", err, sizeof(err));
	config_release(&c);
	unlink(path);
	return 0;
}

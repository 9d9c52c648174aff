/* Fuzz target for the kubeconfig loader (kube/config.c), through a memfd. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kube/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_config_opts o;
	struct kube_config c;
	char path[64], err[512];
	int fd = memfd_create("kubeconfig", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&o, 0, sizeof(o));
	o.kubeconfig = path;
	if (kube_config_load(&c, &o, err, sizeof(err)) == 0)
		kube_config_release(&c);
	o.context = "dev";
	if (kube_config_load(&c, &o, err, sizeof(err)) == 0)
		kube_config_release(&c);
	close(fd);
	return 0;
}

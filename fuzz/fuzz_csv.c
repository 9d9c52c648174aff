/* Fuzz target for the CSV reader (metrics/csv_read.c): the input is a
 * pod_metrics.csv, read through a memfd as the tailing reader reads it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "metrics/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	struct strvec f = STRVEC_INIT;
	char path[64], err[512];
	int fd = memfd_create("csv", 0);

	csv_split((const char *)data, size, &f);
	strvec_clear(&f);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	csv_reader_open(&r, path);
	for (int i = 0; i < 100000; i++) {
		struct sample s;
		int rc = csv_reader_next(&r, &s, err, sizeof(err));
		if (rc == 1)
			sample_release(&s);
		else if (rc == 0 || rc != -EINVAL)
			break;
	}
	csv_reader_close(&r);
	close(fd);
	return 0;
}

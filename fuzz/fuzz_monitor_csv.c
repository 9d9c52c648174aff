/* Fuzz target for the path from a metrics CSV to insights: the CSV reader
 * (native or seed format) feeding the pod detector and the pipeline
 * (detect/pod.c, run/pipeline.c), as `detect` and `agent --agent-only` do. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "metrics/csv.h"
#include "run/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kubemend-fuzz-csv.XXXXXX";
	int fd = mkstemp(path);
	struct csv_reader r;
	struct pipeline p;
	struct sample s;
	struct buf out = BUF_INIT;
	char err[512];
	int rc, budget = 10000;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	pipeline_init(&p, 0.7, NULL, 1000);
	csv_reader_open(&r, path);
	while (budget-- > 0 && (rc = csv_reader_next(&r, &s, err, sizeof(err))) != 0) {
		if (rc == 1) {
			pipeline_feed(&p, &s, 1, err, sizeof(err));
			sample_release(&s);
		} else if (rc != -EINVAL) {
			break;
		}
	}
	pipeline_metrics(&p, &out);
	json_decref(pipeline_insights_json(&p));
	buf_release(&out);
	csv_reader_close(&r);
	pipeline_release(&p);
	unlink(path);
	return 0;
}

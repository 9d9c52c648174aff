/*
 * The remediation history's cost per change at 100,000 records: an update
 * now (one appended JSON line, fsync included) against a whole-file rewrite
 * (history_flush: what every change cost before JSON lines, and what a
 * compaction costs now), measured in the same run. Also: the file size,
 * and the time to open (read) it.
 *
 *   make bench-history        (build/bench/history_bench [RECORDS])
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/timeutil.h"
#include "remedy/history.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	char path[] = "/tmp/kubemend-histbench.XXXXXX", file[64], err[256], id[32];
	struct history h;
	struct stat st;
	int64_t t0, append_ns = 0, rewrite_ns, open_ns;
	const int updates = 200;

	if (!mkdtemp(path))
		return 1;
	snprintf(file, sizeof(file), "%s/h.json", path);
	{
		/* n records as the monitor leaves them (proposed, then decided and
		 * done), written in one go: building them through the API would
		 * time n fsyncs. */
		FILE *f = fopen(file, "w");
		if (!f)
			return 1;
		for (long i = 0; i < n; i++)
			fprintf(f, "{\"id\":\"r-%06ld\",\"time\":\"2026-11-24T04:28:01.000Z\","
				"\"insight_id\":\"i-%ld\",\"action\":\"change_limits\",\"target\":"
				"{\"kind\":\"Deployment\",\"namespace\":\"shop\",\"name\":\"web\"},"
				"\"params\":{\"memory_limit_before\":\"256Mi\",\"memory_limit_after\":"
				"\"512Mi\"},\"mode\":\"applied\",\"approval\":\"auto\",\"status\":"
				"\"succeeded\",\"result\":{\"operation\":\"patch_resources\","
				"\"http_status\":200},\"verification\":null,"
				"\"updated\":\"2026-11-24T04:28:02.000Z\"}\n", i + 1, i);
		fclose(f);
	}
	t0 = time_mono_ns();
	if (history_open(&h, file, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	open_ns = time_mono_ns() - t0;
	for (int i = 0; i < updates; i++) {
		json_t *f = json_pack("{s:i}", "step", i);
		snprintf(id, sizeof(id), "r-%06ld", 1 + (long)i * (n / updates));
		t0 = time_mono_ns();
		if (history_update(&h, id, 1795494483000LL, f) < 0)
			return 1;
		append_ns += time_mono_ns() - t0;
		json_decref(f);
	}
	t0 = time_mono_ns();
	history_flush(&h);
	rewrite_ns = time_mono_ns() - t0;
	stat(file, &st);
	printf("records:                 %zu (file %.1f MiB)\n", json_array_size(h.records),
	       (double)st.st_size / (1 << 20));
	printf("open (read) the file:    %.0f ms\n", (double)open_ns / 1e6);
	printf("one change, appended:    %.3f ms (mean of %d, fsync included)\n",
	       (double)append_ns / updates / 1e6, updates);
	printf("one change, rewritten:   %.0f ms (the whole file, as before JSON lines)\n",
	       (double)rewrite_ns / 1e6);
	printf("ratio rewrite/append:    %.0fx\n", (double)rewrite_ns / ((double)append_ns / updates));
	history_close(&h);
	unlink(file);
	rmdir(path);
	return 0;
}

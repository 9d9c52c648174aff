#include <dirent.h>
#include <errno.h>
#include <zlib.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "metrics/csv.h"
#include "metrics/sample.h"
#include "base/file.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = test_tmpdir();
	return dir ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	free(dir);
	return system(cmd);
}

static void path_of(const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* The rotated files of path (names starting "base."), sorted. */
static size_t rotated_files(const char *path, char names[][320], size_t max)
{
	const char *base = strrchr(path, '/') + 1;
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) && n < max)
		if (!strncmp(de->d_name, base, strlen(base)) && de->d_name[strlen(base)] == '.')
			snprintf(names[n++], 320, "%s/%s", dir, de->d_name);
	closedir(d);
	qsort(names, n, 320, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* A gzip file's text (the caller frees it). */
static char *gunzip(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	int n;
	gzFile gz = gzopen(path, "rb");

	assert_non_null(gz);
	while ((n = gzread(gz, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	assert_int_equal(n, 0);
	gzclose(gz);
	buf_addch(&b, '\0');
	return buf_detach(&b, NULL);
}

static void make_row(struct sample *s, const char *pod, size_t ncustom)
{
	sample_init(s, ncustom);
	s->ts_ms = 1795492800000LL;
	sample_set_str(&s->namespace, "shop");
	sample_set_str(&s->pod, pod);
	sample_set_str(&s->node, "node-1");
	sample_set_str(&s->phase, "Running");
	s->restarts = 2;
	s->containers_ready = 1;
	s->containers_total = 2;
	s->cpu_mcores = 125.345678;
	s->mem_bytes = 125829120;
	s->cpu_pct = 12.5;
	sample_set_str(&s->last_event_reason, "BackOff");
	sample_set_str(&s->last_event_message, "said \"no\", then\nstopped");
	if (ncustom)
		s->custom[0] = 3.25;
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	assert_int_equal(file_read_all(path, 1 << 20, &b), 0);
	return buf_detach(&b, NULL);
}

static void native_round_trip(void **state)
{
	struct csv_writer w;
	struct csv_reader r;
	struct sample rows[2], got;
	struct strvec custom = STRVEC_INIT;
	char path[256], err[512];
	char *text;
	(void)state;

	path_of("native.csv", path, sizeof(path));
	strvec_push(&custom, "queue_depth");
	make_row(&rows[0], "web-1", 1);
	make_row(&rows[1], "web-2", 1);
	rows[1].cpu_mcores = NAN;
	sample_set_str(&rows[0].hpa_name, "web-hpa");
	assert_int_equal(csv_writer_open(&w, path, CSV_NATIVE, &custom, 0, err, sizeof(err)), 0);
	assert_int_equal(csv_writer_append(&w, rows, 2, err, sizeof(err)), 0);
	csv_writer_close(&w);
	text = slurp(path);
	assert_true(strncmp(text, "timestamp,namespace,pod,node,owner_kind,owner_name,phase,reason,"
			    "restarts,containers_ready,containers_total,cpu_mcores,", 100) == 0);
	assert_non_null(strstr(text, ",cpu_throttled_mcores,hpa_name,queue_depth\n"));
	assert_non_null(strstr(text, ",web-hpa,3.25\n"));
	assert_non_null(strstr(text, "2026-11-24T04:00:00Z,shop,web-1,node-1,,,Running,,2,1,2,125.346,"));
	assert_non_null(strstr(text, "\"said \"\"no\"\", then stopped\""));
	assert_null(strstr(text, "nan"));
	free(text);

	csv_reader_open(&r, path);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_string_equal(got.pod, "web-1");
	assert_int_equal(got.ts_ms, 1795492800000LL);
	assert_true(got.cpu_mcores == 125.346);
	assert_true(got.restarts == 2);
	assert_null(got.owner_kind);
	assert_true(isnan(got.mem_pct));
	assert_string_equal(got.last_event_message, "said \"no\", then stopped");
	assert_string_equal(got.hpa_name, "web-hpa");
	assert_int_equal(got.ncustom, 1);
	assert_true(got.custom[0] == 3.25);
	assert_string_equal(r.custom.v[0], "queue_depth");
	sample_release(&got);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_true(isnan(got.cpu_mcores)); /* missing stays missing */
	assert_null(got.hpa_name);          /* no HPA: empty, read back as none */
	sample_release(&got);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 0);
	csv_reader_close(&r);
	sample_release(&rows[0]);
	sample_release(&rows[1]);
	strvec_clear(&custom);
}

static void seed_format_header_and_values(void **state)
{
	struct csv_writer w;
	struct csv_reader r;
	struct sample row, got;
	char path[256], err[512];
	char *text;
	(void)state;

	path_of("seed.csv", path, sizeof(path));
	make_row(&row, "web-1", 0);
	row.net_rx_bps = 100;
	row.net_tx_bps = 50.5;
	row.pod_age_s = 3 * 3600 + 25 * 60;
	assert_int_equal(csv_writer_open(&w, path, CSV_SEED, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(csv_writer_append(&w, &row, 1, err, sizeof(err)), 0);
	csv_writer_close(&w);
	text = slurp(path);
	assert_true(strncmp(text, "Timestamp,Pod Name,Pod Age,CPU Usage (%),Memory Usage (%),"
			    "Network Traffic (B/s),Network Receive (B/s),Network Transmit (B/s),"
			    "Network Receive Errors,Network Transmit Errors,Last Log Entry,Pod Status,"
			    "Pod Reason,Pod Restarts,Ready Containers,Total Containers,Error Message,"
			    "Latest Event Reason,Pod Event Type,Pod Event Reason,Pod Event Age,"
			    "Pod Event Source,Pod Event Message,Node Name,Event Reason,Event Age,"
			    "Event Source,Event Message\n", 431) == 0);
	assert_non_null(strstr(text, "\n2026-11-24 04:00:00,web-1,3h25m,12.5,,150.5,100,50.5,"));
	free(text);
	csv_reader_open(&r, path);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_int_equal(r.format, CSV_SEED);
	assert_int_equal(got.ts_ms, 1795492800000LL);
	assert_string_equal(got.pod, "web-1");
	assert_null(got.namespace);
	assert_true(got.pod_age_s == 3 * 3600 + 25 * 60);
	assert_true(got.net_tx_bps == 50.5);
	assert_string_equal(got.node, "node-1");
	assert_string_equal(got.last_event_reason, "BackOff");
	sample_release(&got);
	csv_reader_close(&r);
	sample_release(&row);
}

static void header_once_and_crash_repair(void **state)
{
	struct csv_writer w;
	struct sample row;
	char path[256], err[512];
	char *text, *p;
	int fd, headers = 0;
	(void)state;

	path_of("append.csv", path, sizeof(path));
	make_row(&row, "a", 0);
	assert_int_equal(csv_writer_open(&w, path, CSV_NATIVE, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(csv_writer_append(&w, &row, 1, err, sizeof(err)), 0);
	csv_writer_close(&w);
	/* A crash mid-row: half a row at the end. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "2026-11-24T04:00:00Z,shop,half", 30), 30);
	close(fd);
	assert_int_equal(csv_writer_open(&w, path, CSV_NATIVE, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(csv_writer_append(&w, &row, 1, err, sizeof(err)), 0);
	csv_writer_close(&w);
	text = slurp(path);
	for (p = text; (p = strstr(p, "timestamp,")); p++)
		headers++;
	assert_int_equal(headers, 1);
	assert_null(strstr(text, "half"));
	assert_non_null(strstr(text, "\n2026-11-24T04:00:00Z,shop,a,"));
	free(text);
	/* Another format on the same path: the old file is rotated away. */
	assert_int_equal(csv_writer_open(&w, path, CSV_SEED, NULL, 0, err, sizeof(err)), 0);
	csv_writer_close(&w);
	{
		char names[4][320];
		assert_int_equal(rotated_files(path, names, 4), 1);
		text = gunzip(names[0]);
		assert_non_null(strstr(text, "\n2026-11-24T04:00:00Z,shop,a,"));
		free(text);
		text = slurp(path);
		assert_true(strncmp(text, "Timestamp,", 10) == 0);
		free(text);
	}
	sample_release(&row);
}

/* Counts rows of a CSV text after checking it is whole: the header first,
 * a newline last. Each row's pod name ("p<i>") is marked in seen. */
static int whole_csv_rows(const char *text, bool *seen, int nseen)
{
	struct buf hdr = BUF_INIT;
	const char *p;
	int rows = 0;

	csv_header(&hdr, CSV_NATIVE, NULL);
	assert_true(!strncmp(text, hdr.data, hdr.len));
	assert_true(text[strlen(text) - 1] == '\n');
	for (p = text + hdr.len; *p; p = strchr(p, '\n') + 1) {
		const char *pod = strstr(p, ",shop,p");
		int i;
		assert_non_null(pod);
		i = atoi(pod + 7);
		assert_true(i >= 0 && i < nseen);
		assert_false(seen[i]);
		seen[i] = true;
		rows++;
	}
	buf_release(&hdr);
	return rows;
}

static void append_pods(struct csv_writer *w, int from, int to)
{
	char err[512], name[32];
	for (int i = from; i < to; i++) {
		struct sample row;
		snprintf(name, sizeof(name), "p%d", i);
		make_row(&row, name, 0);
		assert_int_equal(csv_writer_append(w, &row, 1, err, sizeof(err)), 0);
		sample_release(&row);
	}
}

static void rotation_at_the_size_limit(void **state)
{
	struct csv_writer w;
	char path[256], err[512], names[64][320];
	bool seen[40] = { false };
	struct stat st;
	size_t n;
	int rows;
	char *text;
	(void)state;

	path_of("rot.csv", path, sizeof(path));
	assert_int_equal(csv_writer_open(&w, path, CSV_NATIVE, NULL, 2000, err, sizeof(err)), 0);
	append_pods(&w, 0, 40);
	assert_true(w.rotations > 1);     /* several within one second: distinct names */
	csv_writer_close(&w);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 2000);
	text = slurp(path);
	rows = whole_csv_rows(text, seen, 40);
	free(text);
	/* every rotated file is compressed, whole, and nothing was lost */
	n = rotated_files(path, names, 64);
	assert_true(n > 1);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(strstr(names[i], ".gz"));
		assert_null(strstr(names[i], ".tmp"));
		text = gunzip(names[i]);
		rows += whole_csv_rows(text, seen, 40);
		free(text);
	}
	assert_int_equal(rows, 40);
}

static void retention_drops_the_oldest_first(void **state)
{
	struct csv_writer w;
	struct csv_rotation rot;
	char path[256], err[512], names[64][320];
	bool seen[200] = { false };
	uint64_t total = 0;
	struct stat st;
	size_t n;
	int first = -1;
	char *text;
	(void)state;

	path_of("ret.csv", path, sizeof(path));
	csv_rotation_defaults(&rot, 2000);
	rot.retention_bytes = 1500;
	assert_int_equal(csv_writer_open_with(&w, path, CSV_NATIVE, NULL, &rot, err, sizeof(err)), 0);
	append_pods(&w, 0, 200);
	csv_writer_close(&w);
	n = rotated_files(path, names, 64);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(stat(names[i], &st), 0);
		total += (uint64_t)st.st_size;
		text = gunzip(names[i]);
		whole_csv_rows(text, seen, 200);
		free(text);
	}
	assert_true(total <= 1500);
	text = slurp(path);
	whole_csv_rows(text, seen, 200);
	free(text);
	/* what is left is the newest rows, without a gap */
	for (int i = 0; i < 200; i++) {
		if (seen[i] && first < 0)
			first = i;
		if (first >= 0)
			assert_true(seen[i]);
	}
	assert_true(first > 0);
	assert_true(seen[199]);
}

static void rotation_by_age_and_leftovers(void **state)
{
	struct csv_writer w;
	struct csv_rotation rot;
	char path[256], err[512], old[320], plain[320], gz[330];
	struct timespec t[2] = { { 1577836800, 0 }, { 1577836800, 0 } }; /* 2020-01-01 */
	struct stat st;
	FILE *f;
	char *text;
	(void)state;

	path_of("age.csv", path, sizeof(path));
	/* an expired rotated file, and one a crash left uncompressed */
	snprintf(old, sizeof(old), "%s.20200101T000000Z.gz", path);
	snprintf(plain, sizeof(plain), "%s.20200102T000000Z", path);
	snprintf(gz, sizeof(gz), "%s.gz", plain);
	f = fopen(old, "w");
	fputs("x", f);
	fclose(f);
	assert_int_equal(utimensat(AT_FDCWD, old, t, 0), 0);
	f = fopen(plain, "w");
	fputs("timestamp,x\n", f);
	fclose(f);
	csv_rotation_defaults(&rot, 0);
	rot.max_age_ms = 1;
	rot.retention_ms = 24LL * 3600 * 1000;
	assert_int_equal(csv_writer_open_with(&w, path, CSV_NATIVE, NULL, &rot, err, sizeof(err)), 0);
	append_pods(&w, 0, 1);
	usleep(5000);
	append_pods(&w, 1, 2);
	assert_int_equal(w.rotations, 1);
	csv_writer_close(&w);
	assert_int_equal(stat(old, &st), -1);   /* past the retention age */
	assert_int_equal(stat(plain, &st), -1); /* compressed */
	text = gunzip(gz);
	assert_string_equal(text, "timestamp,x\n");
	free(text);
}

static void tail_waits_for_whole_rows(void **state)
{
	struct csv_reader r;
	struct sample got;
	char path[256], err[512];
	int fd;
	(void)state;

	path_of("tail.csv", path, sizeof(path));
	csv_reader_open(&r, path);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 0); /* no file yet */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_int_equal(write(fd, "timestamp,namespace,pod,cpu_mcores\n", 35), 35);
	assert_int_equal(write(fd, "2026-11-24T04:00:00Z,ns,p1,10\n2026-11-24T04:00:00Z,ns,p2,2", 58), 58);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_string_equal(got.pod, "p1");
	assert_true(got.cpu_mcores == 10);
	assert_true(isnan(got.mem_bytes)); /* a column the file does not have */
	sample_release(&got);
	/* "p2,2" has no newline yet: not a row. */
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 0);
	assert_int_equal(write(fd, "5\n", 2), 2);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_true(got.cpu_mcores == 25);
	sample_release(&got);
	/* A broken row is an error with file and line, then reading goes on. */
	{
		const char *more = "2026-11-24T04:00:00Z,ns,p3\n"
				   "2026-11-24T04:00:00Z,ns,p4,abc\n"
				   "2026-11-24T04:00:00Z,ns,\"p\"5,1\n"
				   "2026-11-24T04:00:00Z,ns,\"p,6\",6\n";
		assert_int_equal(write(fd, more, strlen(more)), (ssize_t)strlen(more));
	}
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tail.csv:4: 3 fields, but the header has 4"));
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tail.csv:5: column cpu_mcores: \"abc\""));
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tail.csv:6: malformed quoting"));
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_string_equal(got.pod, "p,6");
	sample_release(&got);
	close(fd);
	/* Rotation: a new file at the path is read from its start. */
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	assert_int_equal(write(fd, "timestamp,namespace,pod\n2026-11-24T05:00:00Z,ns,new\n", 52), 52);
	close(fd);
	assert_int_equal(csv_reader_next(&r, &got, err, sizeof(err)), 1);
	assert_string_equal(got.pod, "new");
	sample_release(&got);
	csv_reader_close(&r);
}

static void split_follows_rfc4180(void **state)
{
	struct strvec f = STRVEC_INIT;
	const char *rec = "a,\"b,c\",\"d\"\"e\",,\"multi\nline\"";
	(void)state;
	assert_int_equal(csv_split(rec, strlen(rec), &f), 0);
	assert_int_equal(f.n, 5);
	assert_string_equal(f.v[1], "b,c");
	assert_string_equal(f.v[2], "d\"e");
	assert_string_equal(f.v[3], "");
	assert_string_equal(f.v[4], "multi\nline");
	strvec_clear(&f);
	assert_int_equal(csv_split("\"open", 5, &f), -EINVAL);
	strvec_clear(&f);
}

static void numbers_format_without_nan(void **state)
{
	char out[64];
	(void)state;
	sample_format_num(NAN, out, sizeof(out));
	assert_string_equal(out, "");
	sample_format_num(268435456, out, sizeof(out));
	assert_string_equal(out, "268435456");
	sample_format_num(12.5, out, sizeof(out));
	assert_string_equal(out, "12.5");
	sample_format_num(0.0001234, out, sizeof(out));
	assert_string_equal(out, "0.000123");
	sample_format_num(-0.0001, out, sizeof(out));
	assert_string_equal(out, "-0.0001");
}

static void docs_list_every_column(void **state)
{
	struct buf doc = BUF_INIT;
	(void)state;
	assert_int_equal(file_read_all("docs/csv.md", 1 << 20, &doc), 0);
	for (size_t i = 0; i < sample_native_ncols; i++) {
		char want[80];
		snprintf(want, sizeof(want), "| `%s` |", sample_native_cols[i].name);
		if (!strstr(doc.data, want))
			fail_msg("docs/csv.md does not describe column %s", sample_native_cols[i].name);
	}
	buf_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_round_trip),
		cmocka_unit_test(seed_format_header_and_values),
		cmocka_unit_test(header_once_and_crash_repair),
		cmocka_unit_test(rotation_at_the_size_limit),
		cmocka_unit_test(retention_drops_the_oldest_first),
		cmocka_unit_test(rotation_by_age_and_leftovers),
		cmocka_unit_test(tail_waits_for_whole_rows),
		cmocka_unit_test(split_follows_rfc4180),
		cmocka_unit_test(numbers_format_without_nan),
		cmocka_unit_test(docs_list_every_column),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * Replays a fuzz target's corpus without libFuzzer, so `make test` (and the
 * sanitizer run) exercises every saved input: replay_fuzz_X DIR feeds each
 * file in DIR to LLVMFuzzerTestOneInput. A crash fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "%s: cannot open corpus\n", argv[1]);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		struct buf path = BUF_INIT, data = BUF_INIT;
		if (e->d_name[0] == '.')
			continue;
		buf_addf(&path, "%s/%s", argv[1], e->d_name);
		if (file_read_all(path.data, 16u << 20, &data) == 0) {
			/* a private copy, so reads past size are caught */
			uint8_t *copy = malloc(data.len ? data.len : 1);
			memcpy(copy, data.data, data.len);
			LLVMFuzzerTestOneInput(copy, data.len);
			free(copy);
			n++;
		}
		buf_release(&path);
		buf_release(&data);
	}
	closedir(d);
	printf("%d inputs replayed from %s\n", n, argv[1]);
	return n > 0 ? 0 : 1;
}

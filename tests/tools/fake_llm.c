/*
 * The fake OpenAI-compatible server (tests/unit/fakellm.h) as a process, for
 * end-to-end tests: listens on 127.0.0.1 (a free port, written to
 * --port-file) until SIGTERM or SIGINT.
 *
 *   fake_llm --mode MODE --port-file F [--capture F] [--auth-file F]
 *            [--retry-after S] [--delay-ms N]
 */
#include <signal.h>
#include "fakellm.h"

int main(int argc, char **argv)
{
	struct fakellm f;
	const char *port_file = NULL;
	sigset_t set;
	FILE *out;
	int sig;

	memset(&f, 0, sizeof(f));
	f.mode = "ok";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mode"))
			f.mode = argv[i + 1];
		else if (!strcmp(argv[i], "--port-file"))
			port_file = argv[i + 1];
		else if (!strcmp(argv[i], "--capture"))
			f.capture_path = argv[i + 1];
		else if (!strcmp(argv[i], "--auth-file"))
			f.auth_path = argv[i + 1];
		else if (!strcmp(argv[i], "--retry-after"))
			f.retry_after = argv[i + 1];
		else if (!strcmp(argv[i], "--delay-ms"))
			f.delay_ms = strtol(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "fake_llm: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!port_file) {
		fprintf(stderr, "fake_llm: --port-file is required\n");
		return 2;
	}
	/* the server's threads inherit the mask; this thread waits for the signal */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (fakellm_start(&f) < 0)
		return 1;
	out = fopen(port_file, "w");
	if (!out)
		return 1;
	fprintf(out, "%d\n", f.port);
	fclose(out);
	sigwait(&set, &sig);
	fakellm_stop(&f);
	return 0;
}

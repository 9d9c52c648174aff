/*
 * Fuzz target for the sim's request routing and query strings (sim/api*.c,
 * behind net/httpd.c): each input is one request sent over loopback to a sim
 * started once in this process. Input: a first byte choosing the credentials
 * (none, the admin token, a wrong one) and the content type, then
 * "METHOD TARGET" up to the first newline, then the body. Watches and log
 * follows (endless streams) and the clock controls (/sim/v1/advance, speed:
 * minutes of work by design) are skipped. The sim is restarted every 500
 * inputs, so the store does not grow without bound.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "base/buf.h"
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sim *sim;
static unsigned served;

static void stop_sim(void)
{
	sim_stop(sim);
	sim = NULL;
}

static void start_sim(void)
{
	struct sim_options o;
	char err[256];

	memset(&o, 0, sizeof(o));
	o.listen = "127.0.0.1:0";
	o.nodes = 2;
	o.pods = 6;
	o.seed = 7;
	o.seed_set = true;
	o.speed = 0;
	if (sim_start(&sim, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_sim_api: %s\n", err);
		abort();
	}
}

/* Sends req and reads the answer until the server closes (5 s at most). */
static void exchange(const struct buf *req)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { 5, 0 };
	char tmp[4096];
	size_t off = 0;
	ssize_t got;
	bool first = true;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		abort();
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)sim_port(sim));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();        /* the server is gone */
	while (off < req->len) {
		ssize_t n = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while ((got = recv(fd, tmp, sizeof(tmp) - 1, 0)) > 0) {
		/* FUZZ_SIM_API_VERBOSE=1: each answer's status line, to see what the inputs reach */
		if (first && getenv("FUZZ_SIM_API_VERBOSE")) {
			tmp[got] = '\0';
			fprintf(stderr, "%.*s\n", (int)strcspn(tmp, "\r\n"), tmp);
		}
		first = false;
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		"application/json", "application/merge-patch+json",
		"application/strategic-merge-patch+json", "application/apply-patch+yaml",
	};
	const char *nl, *body, *target;
	struct buf req = BUF_INIT, line = BUF_INIT;
	size_t blen;
	uint8_t mode;

	if (size < 2)
		return 0;
	mode = data[0];
	nl = memchr(data + 1, '\n', size - 1);
	if (!nl)
		return 0;
	buf_add(&line, data + 1, (size_t)(nl - (const char *)(data + 1)));
	for (size_t i = 0; i < line.len; i++)
		if (line.data[i] == '\r' || line.data[i] == '\0')
			line.data[i] = '_';
	body = nl + 1;
	blen = size - (size_t)(body - (const char *)data);
	target = strchr(line.data ? line.data : "", ' ');
	if (!line.len || !target || strcasestr(line.data, "watch") || strcasestr(line.data, "follow") ||
	    strstr(line.data, "/sim/v1/advance") || strstr(line.data, "/sim/v1/speed")) {
		buf_release(&line);
		return 0;
	}
	if (!sim)
		start_sim();
	buf_addf(&req, "%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAccept: application/json\r\n"
		 "Content-Type: %s\r\nContent-Length: %zu\r\n", line.data, types[(mode >> 2) & 3], blen);
	if ((mode & 3) == 1)
		buf_addf(&req, "Authorization: Bearer %s\r\n", sim_token(sim));
	else if ((mode & 3) == 2)
		buf_adds(&req, "Authorization: Bearer not-the-token\r\n");
	buf_adds(&req, "\r\n");
	buf_add(&req, body, blen);
	exchange(&req);
	buf_release(&req);
	buf_release(&line);
	if (++served % 500 == 0)
		stop_sim();
	return 0;
}

/* The replay (make test) runs each input once: stop the sim at exit, for the leak checks. */
__attribute__((destructor)) static void at_exit_stop(void)
{
	if (sim)
		stop_sim();
}

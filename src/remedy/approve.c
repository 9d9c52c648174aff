#include <errno.h>
#include <poll.h>
#include <termios.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "base/str.h"
#include "base/timeutil.h"
#include "remedy/approve.h"
#include "base/banned.h"

const char *answer_name(enum answer a)
{
	switch (a) {
	case ANSWER_YES: return "yes";
	case ANSWER_NO: return "no";
	case ANSWER_TIMEOUT: return "timeout";
	default: return "no_terminal";
	}
}

enum answer approval_ask(int in_fd, FILE *out, const char *question,
			 int64_t timeout_ms, const volatile int *stop)
{
	char line[64];
	size_t len = 0;
	int64_t end;

	if (!isatty(in_fd))
		return ANSWER_NO_TERMINAL;
	/* an answer typed before the question was asked is not an answer */
	tcflush(in_fd, TCIFLUSH);
	fputs(question, out);
	fflush(out);
	end = time_mono_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = in_fd, .events = POLLIN };
		int64_t left = end - time_mono_ms();
		ssize_t n;
		char c;

		if (stop && *stop)
			return ANSWER_NO;
		if (left <= 0) {
			fputs("\n(no answer: refused)\n", out);
			return ANSWER_TIMEOUT;
		}
		if (poll(&p, 1, left > 200 ? 200 : (int)left) <= 0)
			continue;
		n = read(in_fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ANSWER_NO; /* end of input */
		if (c == '\n' || c == '\r')
			break;
		if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	line[len] = '\0';
	str_trim(line);
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes") ? ANSWER_YES : ANSWER_NO;
}

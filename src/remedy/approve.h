#ifndef REMEDY_APPROVE_H
#define REMEDY_APPROVE_H
/*
 * Asking a person on the terminal. Nothing is owned. Anything but "y" or
 * "yes" is a refusal, and so is no answer within the timeout; without a
 * terminal nobody can be asked, and the caller records the proposal as
 * pending.
 */
#include <stdint.h>
#include <stdio.h>

enum answer { ANSWER_YES, ANSWER_NO, ANSWER_TIMEOUT, ANSWER_NO_TERMINAL };

/* "yes", "no", "timeout", "no_terminal". */
const char *answer_name(enum answer a);

/*
 * Writes question (which should end with "[y/N] ") to out and reads one line
 * from in_fd, which must be a terminal. stop, when set, ends the wait early
 * as a refusal (for SIGINT/SIGTERM).
 */
enum answer approval_ask(int in_fd, FILE *out, const char *question,
			 int64_t timeout_ms, const volatile int *stop);

#endif

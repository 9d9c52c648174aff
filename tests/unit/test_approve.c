#include <pty.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include "testutil.h"
#include "remedy/approve.h"

struct term { int master, slave; FILE *out; };

static void open_term(struct term *t)
{
	assert_int_equal(openpty(&t->master, &t->slave, NULL, NULL, NULL), 0);
	t->out = tmpfile();
}

static void close_term(struct term *t)
{
	close(t->master);
	close(t->slave);
	fclose(t->out);
}

static enum answer ask_with(const char *typed, int64_t timeout)
{
	struct term t;
	enum answer a;
	pid_t pid;

	open_term(&t);
	/* the answer arrives after the question, from another process */
	pid = fork();
	if (pid == 0) {
		usleep(100 * 1000);
		if (typed && write(t.master, typed, strlen(typed)) < 0)
			_exit(1);
		usleep(500 * 1000);
		_exit(0);
	}
	a = approval_ask(t.slave, t.out, "restart shop/web-1? [y/N] ", timeout, NULL);
	waitpid(pid, NULL, 0);
	close_term(&t);
	return a;
}

static void answers(void **state)
{
	(void)state;
	assert_int_equal(ask_with("y\n", 5000), ANSWER_YES);
	assert_int_equal(ask_with("YES\n", 5000), ANSWER_YES);
	assert_int_equal(ask_with(" yes \n", 5000), ANSWER_YES);
	assert_int_equal(ask_with("n\n", 5000), ANSWER_NO);
	assert_int_equal(ask_with("\n", 5000), ANSWER_NO);
	assert_int_equal(ask_with("yep\n", 5000), ANSWER_NO);
	assert_int_equal(ask_with("sure why not\n", 5000), ANSWER_NO);
	assert_int_equal(ask_with(NULL, 300), ANSWER_TIMEOUT);
	/* half a line is no answer */
	assert_int_equal(ask_with("y", 700), ANSWER_TIMEOUT);
}

static void question_is_shown(void **state)
{
	struct term t;
	char buf[128] = "";
	(void)state;
	open_term(&t);
	assert_int_equal(approval_ask(t.slave, t.out, "drain node-3? [y/N] ", 50, NULL), ANSWER_TIMEOUT);
	rewind(t.out);
	assert_non_null(fgets(buf, sizeof(buf), t.out));
	assert_string_equal(buf, "drain node-3? [y/N] \n");
	close_term(&t);
}

static void no_terminal_no_question(void **state)
{
	int p[2];
	FILE *out = tmpfile();
	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "y\n", 2), 2);
	assert_int_equal(approval_ask(p[0], out, "x? ", 1000, NULL), ANSWER_NO_TERMINAL);
	assert_int_equal(ftell(out), 0);
	close(p[0]);
	close(p[1]);
	fclose(out);
	assert_string_equal(answer_name(ANSWER_NO_TERMINAL), "no_terminal");
}

static void stop_refuses(void **state)
{
	struct term t;
	volatile int stop = 1;
	(void)state;
	open_term(&t);
	assert_int_equal(approval_ask(t.slave, t.out, "x? ", 10000, &stop), ANSWER_NO);
	close_term(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers),
		cmocka_unit_test(question_is_shown),
		cmocka_unit_test(no_terminal_no_question),
		cmocka_unit_test(stop_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

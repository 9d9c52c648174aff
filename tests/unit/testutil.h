#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H
/* Shared by the cmocka unit tests: includes in the order cmocka needs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* A fresh scratch directory under /tmp, removed by the caller with rm -rf. */
#include <stdlib.h>
#include <string.h>
static inline char *test_tmpdir(void)
{
	char *t = strdup("/tmp/kubemend-unit.XXXXXX");
	return mkdtemp(t);
}
#endif

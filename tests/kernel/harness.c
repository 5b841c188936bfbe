// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
/*
 * harness.c - runs the registered kernel tests and prints one line per test
 * and a closing "ktest[KERNEL]: N passed, N failed" line.
 *
 *   lg-ktest [-v] [PREFIX]   run the tests whose name starts with PREFIX
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "fixture.h"
#include "harness.h"

#define MAX_TESTS 128

static const struct ktest *tests[MAX_TESTS];
static int ntests;
static int checks_run, checks_failed;

void ktest_register(const struct ktest *t)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "ktest: more than %d tests: raise MAX_TESTS\n", MAX_TESTS);
		exit(2);
	}
	tests[ntests++] = t;
}

bool ktest_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	checks_run++;
	if (ok)
		return true;
	checks_failed++;
	fprintf(stdout, "    FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return false;
}

const char *ktest_errname(int err)
{
	if (err == 0)
		return "ok";
	if (err >= 1000)
		return "exit status";
	return strerrorname_np(err) ? strerrorname_np(err) : "?";
}

static int by_name(const void *a, const void *b)
{
	const struct ktest *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int passed = 0, failed = 0;
	struct utsname u;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			fixture_verbose = true;
		else
			filter = argv[i];
	}
	uname(&u);
	setvbuf(stdout, NULL, _IOLBF, 0);
	qsort(tests, ntests, sizeof(tests[0]), by_name);

	if (fixture_setup()) {
		printf("ktest[%s]: setup failed: %s\n", u.release, fixture_error);
		printf("ktest[%s]: 0 passed, 1 failed\n", u.release);
		return 1;
	}
	for (int i = 0; i < ntests; i++) {
		int before_run = checks_run, before_failed = checks_failed;

		if (filter && strncmp(tests[i]->name, filter, strlen(filter)))
			continue;
		fixture_before_test();
		tests[i]->fn();
		fixture_after_test();
		if (checks_failed == before_failed && checks_run > before_run) {
			passed++;
			printf("ok   %s (%d checks)\n", tests[i]->name, checks_run - before_run);
		} else {
			failed++;
			if (checks_run == before_run)
				printf("    FAIL: no check ran\n");
			fixture_explain_failure();
			printf("FAIL %s\n", tests[i]->name);
		}
	}
	fixture_teardown();
	printf("ktest[%s]: %d passed, %d failed\n", u.release, passed, failed);
	return failed ? 1 : 0;
}

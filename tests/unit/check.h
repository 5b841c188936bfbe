/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - minimal host unit-test harness. RUN(fn) runs one test function;
 * it passes when every CHECK in it held and at least one ran. Each binary
 * ends with "unit[NAME]: N passed, N failed", counting test functions.
 */
#ifndef LG_UNIT_CHECK_H
#define LG_UNIT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int checks_run, checks_failed, tests_passed, tests_failed;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		checks_run++;                                           \
		if (!(cond)) {                                          \
			checks_failed++;                                \
			printf("    FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                            \
			printf("\n");                                   \
		}                                                       \
	} while (0)

#define RUN(fn)                                                                  \
	do {                                                                     \
		int run0 = checks_run, failed0 = checks_failed;                  \
		fn();                                                            \
		if (checks_failed == failed0 && checks_run > run0) {             \
			tests_passed++;                                          \
			printf("ok   %s (%d checks)\n", #fn, checks_run - run0); \
		} else {                                                         \
			tests_failed++;                                          \
			printf("FAIL %s\n", #fn);                                \
		}                                                                \
	} while (0)

static inline int check_summary(const char *name)
{
	printf("unit[%s]: %d passed, %d failed\n", name, tests_passed, tests_failed);
	return tests_failed || !tests_passed ? 1 : 0;
}

/* Remove the directory tree a test made (mkdtemp). */
static inline void check_rm_tree(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif /* LG_UNIT_CHECK_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - the kernel test harness: tests register themselves, run in
 * order, and each CHECK records a pass or a failure with its location.
 * A test passes only if every CHECK in it held and at least one ran.
 */
#ifndef LG_KTEST_HARNESS_H
#define LG_KTEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>

struct ktest {
	const char *name;
	void (*fn)(void);
};

void ktest_register(const struct ktest *t);
/* Record one check; returns @ok so callers can stop early. */
bool ktest_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define KTEST(name_)                                                    \
	static void name_(void);                                        \
	__attribute__((constructor)) static void register_##name_(void) \
	{                                                               \
		static const struct ktest t = { #name_, name_ };        \
		ktest_register(&t);                                     \
	}                                                               \
	static void name_(void)

#define CHECK(cond, ...) ktest_check((cond), __FILE__, __LINE__, __VA_ARGS__)
/* An errno-style result: 0 for success or a positive errno. @got runs once. */
#define CHECK_ERR(got, want, what)                                                              \
	({                                                                                      \
		int got_ = (got), want_ = (want);                                               \
		ktest_check(got_ == want_, __FILE__, __LINE__, "%s: got %d (%s), want %d (%s)", \
			    (what), got_, ktest_errname(got_), want_, ktest_errname(want_));    \
	})
/* Setup that must work for the rest of the test to mean anything. */
#define REQUIRE(cond, ...)                     \
	do {                                   \
		if (!CHECK(cond, __VA_ARGS__)) \
			return;                \
	} while (0)

const char *ktest_errname(int err);

#endif /* LG_KTEST_HARNESS_H */

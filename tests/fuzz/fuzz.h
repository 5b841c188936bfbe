/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * Each harness is one LLVMFuzzerTestOneInput() over one parser. It must
 * free everything it was given (LeakSanitizer runs at the end of each
 * input) and touches no file: inputs come from memory, output goes to
 * memory or nowhere.
 */
#ifndef LG_FUZZ_H
#define LG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A NUL-terminated copy of the input, for parsers that take C strings:
 * exactly @size + 1 bytes, so that ASan sees any read past the NUL.
 */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/*
 * Touch every byte of the string @s so that a dangling or unterminated
 * result shows up here, in the harness, under ASan.
 */
static inline size_t fuzz_touch(const char *s)
{
	return s ? strlen(s) : 0;
}

/* A harness invariant that does not hold: a bug, reported as a crash. */
#define FUZZ_ASSERT(cond)        \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#endif /* LG_FUZZ_H */

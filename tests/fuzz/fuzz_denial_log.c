// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_denial_log.c - the denial log as `livegrant denials` reads it
 * (userspace/cli/denial_reader.c): a file, plain or gzip-compressed, taken
 * line by line, each record judged by the filters, kept in the ring of the
 * last N and printed as a table row. The log is livegrantd's, but a crash
 * tears it and agents choose much of what it says (comm, paths).
 *
 * The input is the file's bytes, put in a memfd so that zlib reads it as
 * it reads a file: no file is written anywhere. The rows go to memory.
 */
#define _GNU_SOURCE /* memfd_create, open_memstream */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "denial_reader.h"
#include "fuzz.h"

/* Unfiltered and all kept; then every filter at once, the last three kept. */
static const struct lgc_denial_filter filters[] = {
	{ 0 },
	{ .agent = "codegen-7", .reason = "not_allowed", .since = 1790000000, .limit = 3 },
	{ .reason = "rate_limited", .limit = 1, .json = true },
};

static gzFile open_input(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-denials", MFD_CLOEXEC);
	gzFile gz;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET))
		abort();
	gz = gzdopen(fd, "rb");
	if (!gz)
		abort();
	return gz;
}

static void read_with(const struct lgc_denial_filter *f, const uint8_t *data, size_t size,
		      FILE *out)
{
	struct lgc_denial_ring r = { .cap = f->limit };
	unsigned long unreadable = 0;
	gzFile gz = open_input(data, size);

	if (r.cap && !(r.v = calloc(r.cap, sizeof(char *))))
		abort();
	lgc_denials_read(gz, f, &r, &unreadable);
	gzclose(gz);
	FUZZ_ASSERT(!r.cap || r.n <= r.cap);
	lgc_denial_print_header(f, out);
	for (size_t i = 0; i < r.n; i++)
		lgc_denial_print(f, lgc_denial_ring_at(&r, i), out);
	lgc_denial_ring_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		abort();
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		read_with(&filters[i], data, size, out);
	fclose(out);
	free(text);
	return 0;
}

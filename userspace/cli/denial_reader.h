/* SPDX-License-Identifier: GPL-2.0 */
/*
 * denial_reader.h - the records of livegrantd's denial log as `livegrant
 * denials` reads them: each line taken from a (possibly gzip-compressed)
 * file, judged against the filter, kept, and printed. No file names and no
 * state of the command: its fuzzer (tests/fuzz/fuzz_denial_log.c) drives
 * exactly what the command does with what it reads.
 */
#ifndef LGC_DENIAL_READER_H
#define LGC_DENIAL_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <zlib.h>

#include <livegrant/limits.h>

struct lgc_denial_filter {
	const char *agent; /* token sub, agent cgroup path or its last component */
	const char *reason;
	int64_t since; /* epoch seconds, 0: all */
	long limit; /* last N, 0: all */
	bool json; /* print the lines as they are */
};

/* The last @cap matching lines (@cap 0: all of them), in order. */
struct lgc_denial_ring {
	char **v;
	size_t cap, n, head;
};

/* The @i-th kept line, oldest first (@i < r->n). */
char *lgc_denial_ring_at(const struct lgc_denial_ring *r, size_t i);
/* Free every kept line and the ring's array. */
void lgc_denial_ring_free(struct lgc_denial_ring *r);

/* Does the record @o pass @f? */
bool lgc_denial_matches(const struct lgc_denial_filter *f, json_t *o);

/*
 * Keep in @r every line of @gz whose record passes @f; lines that are not
 * JSON add to *unreadable. Returns the offset read up to (gztell()), where
 * --follow goes on.
 */
long lgc_denials_read(gzFile gz, const struct lgc_denial_filter *f, struct lgc_denial_ring *r,
		      unsigned long *unreadable);

void lgc_denial_print_header(const struct lgc_denial_filter *f, FILE *out);
/* One line of the log as the table's row (or as is, with --json). */
void lgc_denial_print(const struct lgc_denial_filter *f, const char *line, FILE *out);

/* The longest line taken whole; a longer one is read as several, none JSON. */
#define LGC_DENIAL_LINE_MAX (LG_PATH_MAX + 4096)

#endif /* LGC_DENIAL_READER_H */

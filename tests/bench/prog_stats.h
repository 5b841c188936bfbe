/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prog_stats.h - the kernel's own statistics of BPF programs: run count and
 * run time (kernel.bpf_stats_enabled), read per program before and after a
 * workload, so that only what the workload made them do is counted.
 */
#ifndef LG_BENCH_PROG_STATS_H
#define LG_BENCH_PROG_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_object;

/* The programs of one BPF object, in object order, with what was read last. */
struct prog_set {
	int n;
	int fd[256];
	int hook[256]; /* enum lg_hook of the program, -1 if none */
	char name[256][64];
	uint32_t verified_insns[256];
	uint64_t run_cnt[256];
	uint64_t run_ns[256];
};

/*
 * One program's work between two reads. Signed: after prog_set_skip_read()
 * a program the workload never ran can come out a little below zero.
 */
struct prog_delta {
	int64_t cnt;
	int64_t ns;
};

/*
 * Fill @s with the loaded programs of @obj; @prefix is stripped from each
 * name before it is looked up in the hook registry. 0 or negative errno.
 */
int prog_set_init(struct prog_set *s, struct bpf_object *obj, const char *prefix);
/* Read every program's counters now. 0 or negative errno. */
int prog_set_read(struct prog_set *s);
/* What program @i did since @before was read (@after read later), at least 0. */
struct prog_delta prog_set_delta(const struct prog_set *before, const struct prog_set *after,
				 int i);
/*
 * Make @b, read just after @a, stand for the moment after the next read:
 * @b += (@b - @a). A read of the statistics makes programs run (bpf(),
 * capable()); a workload's delta taken from the corrected @b to a read
 * after it no longer counts the reads themselves.
 */
void prog_set_skip_read(struct prog_set *b, const struct prog_set *a);
/* The index of the program of @hook in @s, or -1. */
int prog_set_find(const struct prog_set *s, int hook);
/*
 * Turn the statistics on (or off again: they slow every program down, so
 * wall-clock figures are taken without them). 0 or negative errno.
 */
int prog_stats_enable(bool on);

#endif /* LG_BENCH_PROG_STATS_H */

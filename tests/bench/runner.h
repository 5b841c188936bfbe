/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runner.h - run one round of a workload in a fresh child process placed
 * in a cgroup (an agent's, or a non-agent's) and, for the Landlock column,
 * confined by Landlock; the BPF statistics of the given program sets are
 * read just before the child's timed loop starts and just after it ends.
 */
#ifndef LG_BENCH_RUNNER_H
#define LG_BENCH_RUNNER_H

#include <stdbool.h>

#include "prog_stats.h"
#include "workloads.h"

struct run_req {
	const char *cgroup; /* cgroup v2 directory the child joins */
	bool landlock; /* confine the child with landlock_confine() */
	const char *noop; /* the exec workload's program */
	enum wl_id wl;
	bool denied;
	const char *path; /* the file instead of the workload's own (NULL: its own) */
	long iters;
	struct prog_set *sets[2]; /* read before (@before) and after; may be NULL */
	struct prog_set before[2]; /* corrected by prog_set_skip_read() */
};

struct run_res {
	double ns_per_op; /* wall clock of the timed loop, per iteration */
	long errors; /* iterations whose result was not the expected one */
};

/* 0, or -1 with a message on stderr (the child could not be set up). */
int run_round(struct run_req *rq, struct run_res *res);

#endif /* LG_BENCH_RUNNER_H */

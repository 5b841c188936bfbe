// SPDX-License-Identifier: GPL-2.0
/* runner.c - one round of a workload in a child process (runner.h). */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "landlock.h"
#include "runner.h"

/* Warm-up before the timed loop: 2% of it, at least 5 iterations. */
#define WARMUP_MIN 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int join_cgroup(const char *cgroup)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/* The child: set up, say ready, wait for go, run the loop, report. */
static void child(const struct run_req *rq, int ready, int go, int result)
{
	const struct workload *w = &workloads[rq->wl];
	struct wl_target t = wl_target(rq->wl, rq->denied, rq->noop);
	struct run_res res = { 0 };
	int fd = -1;
	double t0;
	char c;

	if (rq->path)
		t.path = rq->path;

	if (join_cgroup(rq->cgroup)) {
		fprintf(stderr, "lg-bench: joining %s: %s\n", rq->cgroup, strerror(errno));
		_exit(1);
	}
	if (rq->landlock && landlock_confine(rq->noop)) {
		fprintf(stderr, "lg-bench: landlock: %s\n", strerror(errno));
		_exit(1);
	}
	if (w->open && w->open(&t, &fd)) {
		fprintf(stderr, "lg-bench: %s: set-up: %s\n", w->name, strerror(errno));
		_exit(1);
	}
	for (long i = 0; i < WARMUP_MIN || i < rq->iters / 50; i++)
		w->op(&t, &fd);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		_exit(1);
	t0 = now_ns();
	for (long i = 0; i < rq->iters; i++)
		if (w->op(&t, &fd))
			res.errors++;
	res.ns_per_op = (now_ns() - t0) / rq->iters;
	if (write(result, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

static int read_sets(struct prog_set *const sets[2], struct prog_set *copy)
{
	for (int i = 0; i < 2; i++) {
		if (!sets[i])
			continue;
		if (prog_set_read(sets[i]))
			return -1;
		if (copy)
			copy[i] = *sets[i];
	}
	return 0;
}

/*
 * The "before" of a round: two reads back to back, the second corrected
 * by what the first cost, so the reads do not count as the workload's.
 */
static int read_before(struct run_req *rq)
{
	struct prog_set first[2];

	if (read_sets(rq->sets, first) || read_sets(rq->sets, rq->before))
		return -1;
	for (int i = 0; i < 2; i++)
		if (rq->sets[i])
			prog_set_skip_read(&rq->before[i], &first[i]);
	return 0;
}

int run_round(struct run_req *rq, struct run_res *res)
{
	int ready[2], go[2], result[2], status, err = -1;
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(result, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(rq, ready[1], go[0], result[1]);
	close(ready[1]);
	close(go[0]);
	close(result[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "lg-bench: %s: the child did not start\n", workloads[rq->wl].name);
		goto out;
	}
	if (read_before(rq) || write(go[1], "g", 1) != 1)
		goto out;
	if (read(result[0], res, sizeof(*res)) != sizeof(*res)) {
		fprintf(stderr, "lg-bench: %s: the child gave no result\n", workloads[rq->wl].name);
		goto out;
	}
	if (read_sets(rq->sets, NULL))
		goto out;
	err = 0;
out:
	close(ready[0]);
	close(go[1]);
	close(result[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		err = -1;
	return err;
}

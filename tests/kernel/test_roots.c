// SPDX-License-Identifier: GPL-2.0
/*
 * test_roots.c - agent roots at every level the kernel can be told about.
 *
 * The kernel learns where roots sit from lg_state.root_levels, one bit per
 * level (LG_ROOT_LEVELS). Every set bit must be checked: a root the kernel
 * skipped would turn its agents into non-agents, which are never denied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "enforcer.h"
#include "fixture.h"
#include "harness.h"
#include "worker.h"

/* FX_OTHER is at level 1; every "/d" below it adds one. */
#define OTHER_LEVEL 1

/*
 * Make the cgroups @base/@name/@name/... down to cgroup level @level (the
 * first @name is at OTHER_LEVEL + 1); the deepest path in @out.
 */
static int make_chain(const char *name, int level, char *out, size_t size)
{
	size_t len = strlen(FX_OTHER), nlen = strlen(name);

	if (len + (size_t)(level - OTHER_LEVEL) * (nlen + 1) + 1 > size)
		return -1;
	memcpy(out, FX_OTHER, len + 1);
	for (int l = OTHER_LEVEL + 1; l <= level; l++) {
		out[len++] = '/';
		memcpy(out + len, name, nlen + 1);
		len += nlen;
		if (mkdir(out, 0755) && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* Remove the chain make_chain() made for @name (best effort). */
static void remove_chain(const char *name, int level)
{
	char path[1024];

	while (level > OTHER_LEVEL) {
		if (make_chain(name, level, path, sizeof(path)))
			return;
		rmdir(path);
		level--;
	}
}

/*
 * A root registered straight into the maps (the library's low-level path,
 * as a buggy or older writer could) at @level: a process below it must be an
 * agent and, being without a grant, denied; a process as deep beside it and
 * one shallower stay non-agents.
 */
static void deep_root_in_the_map(int level)
{
	char root[512], below[1024], other[512];
	struct lg_root r = { .level = level };
	const struct lg_event *ev;
	struct worker w;
	uint64_t id, levels;

	REQUIRE(make_chain("d", level, root, sizeof(root)) == 0, "make cgroups to level %d", level);
	snprintf(below, sizeof(below), "%s/agent", root);
	REQUIRE(mkdir(below, 0755) == 0 || errno == EEXIST, "mkdir %s", below);
	/* Just as deep, but not below that root. */
	REQUIRE(make_chain("e", level + 1, other, sizeof(other)) == 0, "make sibling cgroups");
	REQUIRE(lg_cgroup_id(root, &id, NULL) == 0, "cgroup id: %s", lg_errmsg());

	levels = __atomic_load_n(&fx->state->root_levels, __ATOMIC_SEQ_CST);
	REQUIRE(bpf_map_update_elem(fx->fds[LG_MAP_ROOTS], &id, &r, BPF_ANY) == 0,
		"write the root into lg_roots: %s", strerror(errno));
	__atomic_or_fetch(&fx->state->root_levels, 1ULL << level, __ATOMIC_SEQ_CST);

	if (CHECK(worker_start(&w, below, "lg-deeproot") == 0, "start worker below the root")) {
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES,
			  "below a root at a deep level: an agent without grant, denied");
		ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000);
		if (CHECK(ev != NULL, "no_grant event"))
			CHECK(ev->agent_cgroup_id == id, "event names the deep root");
		worker_stop(&w);
	}
	if (CHECK(worker_start(&w, other, "lg-deepother") == 0, "start worker beside the root")) {
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0,
			  "as deep but below no root: a non-agent, allowed");
		worker_stop(&w);
	}
	if (CHECK(worker_start(&w, FX_OTHER, "lg-shallow") == 0, "start shallow worker")) {
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0,
			  "shallower than the root: a non-agent, allowed");
		worker_stop(&w);
	}

	bpf_map_delete_elem(fx->fds[LG_MAP_ROOTS], &id);
	__atomic_store_n(&fx->state->root_levels, levels, __ATOMIC_SEQ_CST);
	rmdir(below);
	remove_chain("d", level);
	remove_chain("e", level + 1);
}

/*
 * Level 40: a search that stopped at 32 levels (LG_MAX_CGROUP_DEPTH, the old
 * bound) took the process below for a non-agent and allowed it.
 */
KTEST(root_deep_level_in_the_map_is_enforced)
{
	deep_root_in_the_map(40);
}

/* The last bit of root_levels (LG_ROOT_LEVELS - 1) is searched too. */
KTEST(root_last_bit_in_the_map_is_enforced)
{
	deep_root_in_the_map(LG_ROOT_LEVELS - 1);
}

/*
 * The library registers a root just above LG_MAX_ROOT_LEVEL and enforces
 * it; at LG_MAX_ROOT_LEVEL it refuses.
 */
KTEST(root_add_level_bound)
{
	const int level = LG_MAX_ROOT_LEVEL - 1;
	char root[512], below[1024];
	const struct lg_event *ev;
	struct worker w;
	uint64_t id;
	int err;

	REQUIRE(make_chain("d", level, root, sizeof(root)) == 0, "make cgroups to level %d", level);
	snprintf(below, sizeof(below), "%s/d", root);
	REQUIRE(mkdir(below, 0755) == 0 || errno == EEXIST, "mkdir %s", below);
	REQUIRE(lg_cgroup_id(root, &id, NULL) == 0, "cgroup id: %s", lg_errmsg());

	err = lg_root_add(fx, below);
	CHECK(err == -E2BIG, "a root at level %d (LG_MAX_ROOT_LEVEL) is refused: %d %s",
	      LG_MAX_ROOT_LEVEL, err, lg_errmsg());
	CHECK(strstr(lg_errmsg(), "LG_MAX_ROOT_LEVEL") != NULL, "message names the limit: %s",
	      lg_errmsg());

	REQUIRE(lg_root_add(fx, root) == 0, "root at level %d: %s", level, lg_errmsg());
	CHECK(__atomic_load_n(&fx->state->root_levels, __ATOMIC_SEQ_CST) & (1ULL << level),
	      "bit %d of root_levels set", level);
	if (CHECK(worker_start(&w, below, "lg-lastlevel") == 0, "start worker below the root")) {
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES,
			  "below the deepest root lg_root_add() accepts: denied");
		ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000);
		if (CHECK(ev != NULL, "no_grant event"))
			CHECK(ev->agent_cgroup_id == id, "event names the root");
		worker_stop(&w);
	}
	CHECK(lg_root_remove(fx, root) == 0, "remove the root: %s", lg_errmsg());
	CHECK(!(__atomic_load_n(&fx->state->root_levels, __ATOMIC_SEQ_CST) & (1ULL << level)),
	      "bit %d cleared again", level);
	if (CHECK(worker_start(&w, below, "lg-noroot") == 0, "start worker, root removed")) {
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0,
			  "the root removed: a non-agent again");
		worker_stop(&w);
	}
	rmdir(below);
	remove_chain("d", level);
}

/* In a worker: fork; the child opens @r->path and exits with the errno (0: opened). */
static int child_open(const struct worker_req *r)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		fd = open(r->path, O_RDONLY);
		_exit(fd < 0 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return EIO;
	return WEXITSTATUS(status);
}

/* In a worker: signal 0 to pid @r->arg. */
static int signal_pid(const struct worker_req *r)
{
	return kill(r->arg, 0) ? errno : 0;
}

/*
 * An agent pod's root (LG_ROOT_F_FROM_EXEC): a process the host brings in
 * after the registration (the container runtime) is not judged until its
 * exec, which is judged; a process there before the registration is, and
 * so are the children it forks after it; the runtime's processes are out
 * of an agent's reach. The pod holds no grant: judged means denied.
 */
KTEST(root_pod_judged_from_exec)
{
	char pod[512], old_cg[600], rt_cg[600];
	struct worker old, rt;
	const struct lg_event *ev;
	uint64_t id;

	snprintf(pod, sizeof(pod), "%s/pod", FX_OTHER);
	snprintf(old_cg, sizeof(old_cg), "%s/old", pod);
	snprintf(rt_cg, sizeof(rt_cg), "%s/rt", pod);
	REQUIRE((mkdir(pod, 0755) == 0 || errno == EEXIST) &&
			(mkdir(old_cg, 0755) == 0 || errno == EEXIST) &&
			(mkdir(rt_cg, 0755) == 0 || errno == EEXIST),
		"mkdir the pod's cgroups");
	REQUIRE(worker_start(&old, old_cg, "lg-podold") == 0,
		"a process in the pod before it is one");
	REQUIRE(lg_root_add_flags(fx, pod, LG_ROOT_F_FROM_EXEC) == 0, "register the pod: %s",
		lg_errmsg());
	/* The pod is the agent (livegrantd registers it so): its scope is the pod. */
	REQUIRE(lg_agent_add(fx, pod, &id) == 0, "register the pod as the agent: %s", lg_errmsg());
	CHECK(__atomic_load_n(&fx->state->exec_root_levels, __ATOMIC_SEQ_CST) & (1ULL << 2),
	      "exec_root_levels marks the pod's level");

	CHECK_ERR(w_open(&old, FX_DIR "/ws/a", O_RDONLY), EACCES,
		  "a process there before the registration is judged: denied");
	ev = fx_wait_event(old.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000);
	if (CHECK(ev != NULL, "its no_grant event"))
		CHECK(ev->agent_cgroup_id == id, "the event names the pod");
	CHECK_ERR(w_call(&old, child_open, 0, 0, FX_DIR "/ws/a"), EACCES,
		  "its child, forked after the registration, is judged too (marked at birth)");

	if (CHECK(worker_start(&rt, rt_cg, "lg-podrt") == 0, "a process brought in after")) {
		CHECK_ERR(
			w_open(&rt, FX_DIR "/ws/a", O_RDONLY), 0,
			"brought in from outside, before its exec: not judged (the runtime's setup)");
		CHECK_ERR(w_call(&rt, child_open, 0, 0, FX_DIR "/ws/a"), 0,
			  "nor its children before they exec");
		CHECK_ERR(w_call(&old, signal_pid, 0, old.pid, NULL), 0,
			  "an agent may signal a process of its pod that is judged (itself)");
		CHECK_ERR(w_call(&old, signal_pid, 0, rt.pid, NULL), EACCES,
			  "but not the runtime's process not judged yet");
		CHECK_ERR(w_exec(&rt, "/bin/true", NULL), EACCES,
			  "its exec is judged: no grant, denied");
		ev = fx_wait_event(0, LG_HOOK_EXEC, LG_REASON_NO_GRANT, 2000);
		CHECK(ev != NULL && ev->agent_cgroup_id == id,
		      "the exec's no_grant event names the pod");
		CHECK_ERR(w_open(&rt, FX_DIR "/ws/a", O_RDONLY), 0,
			  "the runtime's process itself, which did not exec, still is not judged");
		worker_stop(&rt);
	}
	worker_stop(&old);
	lg_agent_remove(fx, id);
	CHECK(lg_root_remove(fx, pod) == 0, "remove the pod root: %s", lg_errmsg());
	CHECK(!(__atomic_load_n(&fx->state->exec_root_levels, __ATOMIC_SEQ_CST) & (1ULL << 2)),
	      "exec_root_levels cleared with it");
	rmdir(old_cg);
	rmdir(rt_cg);
	rmdir(pod);
}

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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

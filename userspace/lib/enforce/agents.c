// SPDX-License-Identifier: GPL-2.0
/*
 * agents.c - registering agent roots and agent cgroups, and the control
 * socket every agent may reach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <bpf/bpf.h>

#include "enforcer.h"
#include "pins.h"

/* One bit per level where a root may sit, as the kernel's root search checks. */
_Static_assert(sizeof(((struct lg_state *)0)->root_levels) * 8 == LG_ROOT_LEVELS,
	       "lg_state.root_levels must have one bit per level of LG_ROOT_LEVELS");

/*
 * Recompute lg_state's root index (root_at and root_levels) from lg_roots:
 * root_at names a level's root when it is the only one there, 0 otherwise
 * (the programs then look in lg_roots). Each level's root_at entry is
 * stored before its bit, and a level's bit is cleared only after the level
 * lost its last root: at no moment can a task below a root that stays
 * registered be taken for a non-agent.
 */
static void sync_root_index(struct lg_enforcer *e)
{
	uint64_t at[LG_ROOT_LEVELS] = { 0 };
	unsigned int count[LG_ROOT_LEVELS] = { 0 };
	uint64_t key, next, mask = 0, exec_mask = 0;
	uint64_t *prev = NULL;
	struct lg_root r;

	while (!bpf_map_get_next_key(e->fds[LG_MAP_ROOTS], prev, &next)) {
		/* A level no bit can mark was never written by lg_root_add(). */
		if (!bpf_map_lookup_elem(e->fds[LG_MAP_ROOTS], &next, &r) &&
		    r.level < LG_ROOT_LEVELS) {
			mask |= 1ULL << r.level;
			if (r.flags & LG_ROOT_F_FROM_EXEC)
				exec_mask |= 1ULL << r.level;
			at[r.level] = ++count[r.level] == 1 ? next : 0;
		}
		key = next;
		prev = &key;
	}
	for (int l = 0; l < LG_ROOT_LEVELS; l++)
		if (mask & (1ULL << l))
			__atomic_store_n(&e->state->root_at[l], at[l], __ATOMIC_SEQ_CST);
	/*
	 * The agent pods' levels before the roots' own: a level's bit in
	 * exec_root_levels without the flag on its root, or the other way
	 * round, only makes the programs judge a task (bpf/lib/agent.h).
	 */
	__atomic_store_n(&e->state->exec_root_levels, exec_mask, __ATOMIC_SEQ_CST);
	__atomic_store_n(&e->state->root_levels, mask, __ATOMIC_SEQ_CST);
	/* Levels left without a root: their bits are clear now. */
	for (int l = 0; l < LG_ROOT_LEVELS; l++)
		if (!(mask & (1ULL << l)))
			__atomic_store_n(&e->state->root_at[l], 0, __ATOMIC_SEQ_CST);
}

/* Can @path be an agent root? Its id and level into *id and *level. */
static int root_check(const char *path, uint64_t *id, uint32_t *level)
{
	int err = lg_cgroup_id(path, id, level);

	if (err)
		return err;
	/* Within the configured bound (limits.h), below LG_ROOT_LEVELS. */
	if (*level >= LG_MAX_ROOT_LEVEL)
		return lg_err(
			-E2BIG,
			"agent root %s is at cgroup level %u; roots must be above level %d (LG_MAX_ROOT_LEVEL)",
			path, *level, LG_MAX_ROOT_LEVEL);
	/* The root cgroup holds every process, livegrantd included. */
	if (*level == 0)
		return lg_err(
			-EINVAL,
			"agent root %s is the root cgroup: that would make every process an agent; use a child cgroup such as /sys/fs/cgroup/agents",
			path);
	return 0;
}

int lg_root_check(const char *path)
{
	uint64_t id;
	uint32_t level;

	return root_check(path, &id, &level);
}

int lg_root_add_flags(struct lg_enforcer *e, const char *path, uint32_t flags)
{
	struct lg_root r = { .flags = flags }, old;
	uint64_t id;
	bool kept;
	int err = root_check(path, &id, &r.level);

	if (err)
		return err;
	/*
	 * Registered already (livegrantd restarted): its time stays, so that
	 * a container runtime at work in the pod is not cut off mid-setup.
	 */
	kept = !bpf_map_lookup_elem(e->fds[LG_MAP_ROOTS], &id, &old) && old.flags == flags &&
	       old.since_ns;

	r.since_ns = kept ? old.since_ns : lg_boottime_ns();
	if (bpf_map_update_elem(e->fds[LG_MAP_ROOTS], &id, &r, BPF_ANY))
		return lg_err(-errno, "registering agent root %s failed: %s%s", path,
			      strerror(errno),
			      errno == E2BIG ? " (at most LG_MAX_ROOTS roots)" : "");
	/* The root is in the map before its level's entry and bit make programs look. */
	sync_root_index(e);
	/*
	 * A new root's time, once the programs see it: a task of the cgroup
	 * forked while it was being added saw no root at its task_alloc (no
	 * mark), and started before this time, so it is judged.
	 */
	if (!kept) {
		r.since_ns = lg_boottime_ns();
		if (bpf_map_update_elem(e->fds[LG_MAP_ROOTS], &id, &r, BPF_EXIST))
			return lg_err(-errno, "agent root %s: %s", path, strerror(errno));
	}
	return 0;
}

int lg_root_add(struct lg_enforcer *e, const char *path)
{
	return lg_root_add_flags(e, path, 0);
}

int lg_root_restamp(struct lg_enforcer *e, uint64_t id)
{
	struct lg_root r;

	if (bpf_map_lookup_elem(e->fds[LG_MAP_ROOTS], &id, &r))
		return lg_err(-errno, "agent root %llu is not registered", (unsigned long long)id);
	r.since_ns = lg_boottime_ns();
	if (bpf_map_update_elem(e->fds[LG_MAP_ROOTS], &id, &r, BPF_EXIST))
		return lg_err(-errno, "agent root %llu: %s", (unsigned long long)id,
			      strerror(errno));
	return 0;
}

int lg_root_add_id(struct lg_enforcer *e, uint64_t id, uint32_t level)
{
	struct lg_root r = { .level = level };

	if (!level || level >= LG_MAX_ROOT_LEVEL)
		return lg_err(-EINVAL, "agent root %llu at level %u", (unsigned long long)id,
			      level);
	if (bpf_map_update_elem(e->fds[LG_MAP_ROOTS], &id, &r, BPF_NOEXIST) && errno != EEXIST)
		return lg_err(-errno, "registering agent root %llu failed: %s",
			      (unsigned long long)id, strerror(errno));
	sync_root_index(e);
	return 0;
}

int lg_prev_root_level(struct lg_enforcer *e, uint64_t id, uint32_t *level)
{
	int fd = e->have_prev ? lg_pins_map_get(&e->prev, "lg_roots") : -1;
	/* Every ABI's lg_root begins with the level: read that much of any. */
	uint64_t v[4] = { 0 };
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err = 0;

	if (fd < 0)
		return -ENOENT;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.value_size > sizeof(v) ||
	    info.key_size != sizeof(id))
		err = -EINVAL;
	else if (bpf_map_lookup_elem(fd, &id, v))
		err = -errno;
	close(fd);
	*level = (uint32_t)v[0];
	return err;
}

int lg_root_remove_id(struct lg_enforcer *e, uint64_t id)
{
	if (bpf_map_delete_elem(e->fds[LG_MAP_ROOTS], &id))
		return lg_err(-errno, "agent root %llu is not registered", (unsigned long long)id);
	sync_root_index(e);
	return 0;
}

int lg_root_remove(struct lg_enforcer *e, const char *path)
{
	uint64_t id;
	int err = lg_cgroup_id(path, &id, NULL);

	if (err)
		return err;
	if (lg_root_remove_id(e, id))
		return lg_err(-ENOENT, "agent root %s is not registered", path);
	return 0;
}

struct root_search {
	struct lg_enforcer *e;
	bool found;
};

/*
 * A root as the programs see it (lg_find_root()): in lg_roots, and its
 * level's bit set in lg_state. lg_root_add() writes the map before the bit,
 * so a root between the two is not one yet for the programs, nor here.
 */
static void find_root(void *ctx, uint64_t id)
{
	struct root_search *rs = ctx;
	uint64_t levels = __atomic_load_n(&rs->e->state->root_levels, __ATOMIC_SEQ_CST);
	struct lg_root r;

	if (!rs->found && !bpf_map_lookup_elem(rs->e->fds[LG_MAP_ROOTS], &id, &r) &&
	    r.level < LG_ROOT_LEVELS && (levels & (1ULL << r.level)))
		rs->found = true;
}

/* One walk up @path: its id, and whether it is at or below a root. */
static int root_search(struct lg_enforcer *e, const char *path, uint64_t *id, bool *found)
{
	struct root_search rs = { .e = e };
	int err = lg_cgroup_walk(path, id, NULL, find_root, &rs);

	if (err)
		return err;
	*found = rs.found;
	return 0;
}

int lg_cgroup_governed(struct lg_enforcer *e, const char *path, bool *governed)
{
	uint64_t id;

	return root_search(e, path, &id, governed);
}

int lg_agent_add(struct lg_enforcer *e, const char *path, uint64_t *out)
{
	struct lg_agent a = {};
	uint64_t id;
	bool found;
	int err = root_search(e, path, &id, &found);

	if (err)
		return err;
	if (!found)
		return lg_err(
			-EINVAL,
			"cgroup %s is not at or below a registered agent root: add its root first",
			path);
	a.cgroup_id = id;
	if (bpf_map_update_elem(e->fds[LG_MAP_AGENTS], &id, &a, BPF_NOEXIST) && errno != EEXIST)
		return lg_err(-errno, "registering agent cgroup %s failed: %s%s", path,
			      strerror(errno),
			      errno == E2BIG ? " (at most LG_MAX_AGENTS agents)" : "");
	if (out)
		*out = id;
	return 0;
}

int lg_set_control_socket(struct lg_enforcer *e, const char *path)
{
	struct lg_unix_key key = {}, next, cur;
	struct lg_unix_key *prev = NULL;
	size_t n = path ? strlen(path) : 0;
	/* The exception is a stream connect and its sends (net.bpf.c). */
	uint8_t rights = LG_NET_CONNECT_RIGHTS;

	if (!n || path[0] != '/' || n > LG_UNIX_PATH_MAX)
		return lg_err(-EINVAL,
			      "control socket path \"%s\" must be absolute and at most %d bytes",
			      path ? path : "", LG_UNIX_PATH_MAX);
	/*
	 * The new entry first, then any other global entry (cgroup 0) goes: a
	 * restart that keeps the path never leaves agents without it.
	 */
	memcpy(key.path, path, n);
	key.len = n;
	if (bpf_map_update_elem(e->fds[LG_MAP_UNIX_RULES], &key, &rights, BPF_ANY))
		return lg_err(-errno, "setting the control socket failed: %s", strerror(errno));
	while (!bpf_map_get_next_key(e->fds[LG_MAP_UNIX_RULES], prev, &next)) {
		cur = next;
		prev = &cur;
		if (next.cgroup_id == 0 && next.generation == 0 && memcmp(&next, &key, sizeof(key)))
			bpf_map_delete_elem(e->fds[LG_MAP_UNIX_RULES], &next);
	}
	return 0;
}

int lg_set_control_listener(struct lg_enforcer *e, int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) || len != sizeof(cookie))
		return lg_err(-errno, "reading the control socket's cookie failed: %s",
			      strerror(errno));
	if (!cookie)
		return lg_err(-EINVAL, "the control socket has no cookie");
	__atomic_store_n(&e->state->control_cookie, cookie, __ATOMIC_RELEASE);
	return 0;
}

/* Append the u64 keys of map @fd to *@v (*@cnt of them, room for *@cap). */
static int map_keys(int fd, uint64_t **v, size_t *cnt, size_t *cap)
{
	uint64_t key, next;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (*cnt == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			uint64_t *t = realloc(*v, c * sizeof(**v));

			if (!t)
				return lg_err(-ENOMEM, "out of memory");
			*v = t;
			*cap = c;
		}
		(*v)[(*cnt)++] = next;
	}
	return 0;
}

int lg_agent_ids(struct lg_enforcer *e, uint64_t **ids, size_t *n)
{
	size_t cap = 0;
	int err;

	*ids = NULL;
	*n = 0;
	err = map_keys(e->fds[LG_MAP_AGENTS], ids, n, &cap);
	if (err) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return err;
}

int lg_root_ids(struct lg_enforcer *e, uint64_t **ids, size_t *n)
{
	size_t cap = 0;
	int err, fd = -1;

	*ids = NULL;
	*n = 0;
	err = map_keys(e->fds[LG_MAP_ROOTS], ids, n, &cap);
	/*
	 * Replacing another ABI's set: its roots are in its own map, and
	 * this build's is new. Same key (a cgroup id) in every ABI so far.
	 */
	if (!err && e->have_prev && e->start == LG_START_REPLACED) {
		fd = lg_pins_map_get(&e->prev, "lg_roots");
		if (fd >= 0)
			err = map_keys(fd, ids, n, &cap);
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return err;
}

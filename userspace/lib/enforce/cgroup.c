// SPDX-License-Identifier: GPL-2.0
/* cgroup.c - cgroup v2 ids and levels, as the BPF helpers see them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "livegrant.h"

/* The root cgroup of the v2 hierarchy has kernfs id, and inode, 1. */
#define LG_CGROUP_ROOT_ID 1

/*
 * The cgroup id the kernel reports (bpf_get_current_cgroup_id()) is the
 * cgroup directory's inode number on cgroup2 (kernfs ids), which is also its
 * file handle; the level is the number of path components below the mount.
 */
int lg_cgroup_walk(const char *path, uint64_t *id, uint32_t *level, lg_cgroup_visit_fn visit,
		   void *ctx)
{
	char real[PATH_MAX], cur[PATH_MAX];
	struct statfs sfs;
	struct stat st, top;
	uint32_t lvl = 0;

	if (!realpath(path, real))
		return lg_err(-errno, "cgroup %s: %s", path, strerror(errno));
	if (statfs(real, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
		return lg_err(
			-EINVAL,
			"%s is not a cgroup v2 directory: agent cgroups must be on the unified hierarchy (mount -t cgroup2)",
			path);
	if (stat(real, &st))
		return lg_err(-errno, "cgroup %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return lg_err(-ENOTDIR, "cgroup %s is not a directory", path);
	if (visit)
		visit(ctx, st.st_ino);

	/* Climb while the parent is still on the same cgroup2 mount. */
	top = st;
	strcpy(cur, real);
	for (;;) {
		char *slash = strrchr(cur, '/');
		struct stat pst;

		if (!slash || slash == cur)
			break;
		*slash = 0;
		if (statfs(cur, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC || stat(cur, &pst) ||
		    pst.st_dev != st.st_dev)
			break;
		if (visit)
			visit(ctx, pst.st_ino);
		top = pst;
		lvl++;
	}
	/*
	 * The BPF programs count levels from the hierarchy's real root. A
	 * mount made inside a cgroup namespace starts deeper: levels counted
	 * from it would be wrong and agents would pass as non-agents.
	 */
	if (top.st_ino != LG_CGROUP_ROOT_ID)
		return lg_err(
			-EOPNOTSUPP,
			"the cgroup2 mount holding %s is not the hierarchy's root (inside a cgroup namespace?): livegrant needs the host's cgroup2 root, mounted from the initial cgroup namespace",
			path);
	*id = st.st_ino;
	if (level)
		*level = lvl;
	return 0;
}

int lg_cgroup_id(const char *path, uint64_t *id, uint32_t *level)
{
	return lg_cgroup_walk(path, id, level, NULL, NULL);
}

bool lg_cgroup_is(const char *path, uint64_t id)
{
	struct statfs sfs;
	struct stat st;

	/*
	 * Kernfs ids are not reused while the system runs: a cgroup2
	 * directory at @path whose inode is @id is that cgroup, and a new
	 * cgroup made under the old name has another id. The level cannot
	 * change: a cgroup can be renamed, never moved to another parent.
	 */
	return !statfs(path, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC && !stat(path, &st) &&
	       S_ISDIR(st.st_mode) && st.st_ino == id;
}

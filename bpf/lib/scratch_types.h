/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LG_BPF_SCRATCH_TYPES_H
#define LG_BPF_SCRATCH_TYPES_H

#include "common.h"

/* One name of a path being built by lg_path_build() (path_walk.h). */
struct lg_walk_name {
	__u64 name; /* kernel address of the dentry's name bytes */
	__u32 len;
	__u32 pad;
};

/*
 * The state of a path walk (path_walk.h). It lives in the map value, not on
 * the stack: the verifier tracks stack values exactly, and newer verifiers
 * (6.12) walk a bpf_loop() callback again for each distinct state, so exact
 * counters on the stack make it visit every iteration of a 160-step walk and
 * give up; a value loaded from a map is an unknown it converges on.
 */
struct lg_walk_state {
	__u64 dentry; /* struct dentry * being visited */
	__u64 mnt; /* struct mount * it is in */
	__u64 root_dentry; /* the task's fs root */
	__u64 root_mnt; /* struct vfsmount * */
	__u32 n; /* names recorded */
	__u32 total; /* bytes of the path so far, one '/' per name */
	__u32 mounts; /* mount crossings */
	__u32 leaf_new; /* the leaf is being created: may be unhashed */
	__u32 leaf_len; /* length of the first name recorded */
	__u32 off; /* bytes written (second pass) */
	__u32 reason; /* LG_REASON_NONE once the root is reached */
	__u32 done; /* first pass: root reached; second: a copy failed */
	__u32 deleted; /* the leaf is unlinked: " (deleted)" follows, as d_path() */
	__u32 pad;
};

/*
 * The search of lg_mounts_of() (path_ops.h) for the mounts that hold a
 * dentry, in the map value for the reason lg_walk_state is.
 */
struct lg_mount_scan {
	__u64 next; /* list kernels: the list_head to visit; chain kernels: the mount */
	__u64 head; /* list kernels: &sb->s_mounts, where the list ends */
	__u64 ns; /* the caller's mount namespace */
	__u64 dentry; /* the file */
	__u64 cur; /* the ancestor walk: the dentry visited */
	__u64 root; /* the ancestor walk: the mount root sought */
	__u32 n; /* mounts recorded in lg_scratch.mounts */
	__u32 done; /* the whole list was visited */
	__u32 found; /* the ancestor walk met the mount root (or ran out) */
	__u32 full; /* more mounts held the file than LG_ATTR_MAX_PATHS */
	__u32 reason; /* the verdict of the path checks (lg_check_dentry()) */
	__u32 pad;
};

/**
 * struct lg_scratch - per-CPU working memory of one hook invocation: the
 * event being built, whose @ev.target doubles as the path buffer, and the
 * AF_UNIX rule key.
 * @busy:  1 while an invocation owns the slot (see scratch.h).
 * @slack: never written; it only lets the verifier prove that a name of up
 *         to LG_NAME_BUF bytes copied at any offset below LG_PATH_MAX of
 *         @ev.target stays inside the map value (path_walk.h checks the real
 *         bound, total length < LG_PATH_MAX, before each copy).
 * @names: the names of the path being walked, leaf first (path_walk.h).
 * @walk:  the state of that walk.
 * @subject, @need: a hook's subject (struct lg_subject) and the rights it
 *         asks, copied here by path_ops.h (see lg_launder() there).
 * @mscan, @mounts: the search of the mounts a dentry is reachable through,
 *         and the struct vfsmount * found (path_ops.h, lg_mounts_of()).
 */
struct lg_scratch {
	__u32 busy;
	__u32 pad;
	struct lg_event ev;
	char slack[LG_NAME_BUF];
	struct lg_unix_key ukey; /* AF_UNIX lookup key: too big for the stack */
	struct lg_walk_name names[LG_PATH_MAX_COMPONENTS];
	struct lg_walk_state walk;
	__u64 subject[8]; /* struct lg_subject, asserted in path_ops.h */
	__u32 need[4];
	struct lg_mount_scan mscan;
	__u64 mounts[LG_ATTR_MAX_PATHS];
};

#endif /* LG_BPF_SCRATCH_TYPES_H */

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
 */
struct lg_scratch {
	__u32 busy;
	__u32 pad;
	struct lg_event ev;
	char slack[LG_NAME_BUF];
	struct lg_unix_key ukey; /* AF_UNIX lookup key: too big for the stack */
	struct lg_walk_name names[LG_PATH_MAX_COMPONENTS];
};

#endif /* LG_BPF_SCRATCH_TYPES_H */

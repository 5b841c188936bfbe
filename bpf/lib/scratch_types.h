/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LG_BPF_SCRATCH_TYPES_H
#define LG_BPF_SCRATCH_TYPES_H

#include "common.h"

/**
 * struct lg_scratch - per-CPU working memory of one hook invocation: the
 * event being built, whose @ev.target doubles as the path buffer, and the
 * AF_UNIX rule key.
 * @busy: 1 while an invocation owns the slot (see scratch.h).
 */
struct lg_scratch {
	__u32 busy;
	__u32 pad;
	struct lg_event ev;
	struct lg_unix_key ukey; /* AF_UNIX lookup key: too big for the stack */
};

#endif /* LG_BPF_SCRATCH_TYPES_H */

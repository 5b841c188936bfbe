/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/scratch.h - claiming per-CPU scratch memory safely.
 *
 * A path buffer (LG_PATH_MAX) is too large for the BPF stack, so it lives in
 * a per-CPU array. Per-CPU alone is not private: on a preemptible kernel a
 * program can be preempted and another task on the same CPU can run the same
 * hook, which would overwrite a path in the middle of its check. So each CPU
 * has LG_SCRATCH_SLOTS slots, claimed with an atomic compare-and-swap and
 * released at the end. Running out of slots is a denial (LG_REASON_INTERNAL),
 * never a check against somebody else's path.
 */
#ifndef LG_BPF_SCRATCH_H
#define LG_BPF_SCRATCH_H

#include "maps.h"

/* Returns NULL (the caller denies, LG_REASON_INTERNAL) when no slot is free. */
static __always_inline struct lg_scratch *lg_scratch_claim(void)
{
	for (__u32 i = 0; i < LG_SCRATCH_SLOTS; i++) {
		__u32 key = i;
		struct lg_scratch *s = bpf_map_lookup_elem(&lg_scratch, &key);

		if (!s)
			return NULL;
		if (__sync_val_compare_and_swap(&s->busy, 0, 1) == 0)
			return s;
	}
	return NULL;
}

static __always_inline void lg_scratch_release(struct lg_scratch *s)
{
	__sync_val_compare_and_swap(&s->busy, 1, 0);
}

#endif /* LG_BPF_SCRATCH_H */

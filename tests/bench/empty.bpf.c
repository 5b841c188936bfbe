// SPDX-License-Identifier: GPL-2.0
/*
 * tests/bench/empty.bpf.c - the floor: one empty LSM program per program of
 * livegrant's hook registry, attached to the same LSM hook. Its run time in
 * the kernel's BPF statistics is what any BPF LSM program costs there (the
 * trampoline's accounting around a program that does nothing), so
 * livegrant's figure is read beside it (tests/bench/bench.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <livegrant/hooks.h>

#define LG_BENCH_EMPTY(id, name, prog, lsm, class, flags) \
	SEC("lsm/" #lsm)                                  \
	int empty_##prog(void *ctx)                       \
	{                                                 \
		return 0;                                 \
	}
LG_HOOK_TABLE(LG_BENCH_EMPTY)
#undef LG_BENCH_EMPTY

char LICENSE[] SEC("license") = "GPL";

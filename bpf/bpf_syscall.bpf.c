// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/bpf_syscall.bpf.c - an agent may not use bpf() at all.
 *
 * With bpf() a root agent could open livegrant's pinned maps (BPF_OBJ_GET,
 * which needs no capability, only the pin's file mode), find its links and
 * maps by id, or use a map descriptor it was handed or inherited: a map or
 * program descriptor does nothing except through bpf() (and mmap of an
 * mmap-able map, see docs/threat-model.md). Every command is refused.
 *
 * The hook's arguments differ between kernels (7.x adds "kernel"), so the
 * program names none: only the command, which is the first everywhere.
 */
#include "lib/confine.h"

SEC("lsm/bpf")
int BPF_PROG(lg_bpf, int cmd)
{
	return lg_confine(LG_HOOK_BPF, LG_SYS_BPF, cmd);
}

char LICENSE[] SEC("license") = "GPL";

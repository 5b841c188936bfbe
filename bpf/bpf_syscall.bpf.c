// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/bpf_syscall.bpf.c - an agent may not use bpf() at all.
 *
 * With bpf() a root agent could open livegrant's pinned maps (BPF_OBJ_GET,
 * which needs no capability, only the pin's file mode), find its links and
 * maps by id, or use a map descriptor it was handed or inherited: a map or
 * program descriptor does nothing except through bpf(), and mmap of an
 * mmap-able map (lg_state is one). Every command is refused, and so is
 * every mmap of a map.
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

/* The kernel's file operations of a map descriptor (typeless: no BTF needed). */
extern const void bpf_map_fops __ksym;

SEC("lsm/mmap_file")
int BPF_PROG(lg_bpf_map_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	__u64 fptr = 0;
	const void *fops = NULL;
	struct lg_subject s;

	if (ret)
		return ret;
	/* Every mmap of every process passes here: the agent test comes first. */
	if (!lg_subject_get(&s))
		return 0;
	/*
	 * The file is NULL for anonymous memory. Verifiers disagree about
	 * the argument (6.1 lets it be used unchecked, 6.8+ drop a NULL test
	 * of it, 7.x demand one): read it, and its f_op, as numbers.
	 */
	if (!bpf_probe_read_kernel(&fptr, sizeof(fptr), &ctx[0]) && !fptr)
		return 0;
	/* A read that fails leaves fops NULL: decided as a map (an agent's is denied). */
	if (fptr)
		bpf_probe_read_kernel(&fops, sizeof(fops),
				      (void *)(fptr + bpf_core_field_offset(struct file, f_op)));
	if (fops && fops != &bpf_map_fops)
		return 0;
	/* A map mapped read-only could be made writable by mprotect: none at all. */
	return lg_confine_decide(&s, LG_HOOK_BPF_MAP_MMAP, LG_SYS_BPF, LG_REASON_CONFINED,
				 LG_TARGET_OP, prot);
}

char LICENSE[] SEC("license") = "GPL";

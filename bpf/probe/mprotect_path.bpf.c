// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/probe/mprotect_path.bpf.c - can this kernel resolve the path of a
 * mapping's file on file_mprotect? Loaded (never attached) once at start:
 * the verifier accepts it only where bpf_d_path() is allowed on that hook
 * (6.1 refuses it). The answer picks what bpf/exec_map.bpf.c does there
 * (lg_mprotect_resolves). The path is reached the same way as there.
 */
#include "lib/common.h"

SEC("lsm/file_mprotect")
int BPF_PROG(lg_probe_mprotect_path, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file = vma->vm_file;
	char buf[16];

	if (file)
		bpf_d_path(&file->f_path, buf, sizeof(buf));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

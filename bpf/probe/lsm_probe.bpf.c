// SPDX-License-Identifier: GPL-2.0
/*
 * lsm_probe.bpf.c - the second step of the kernel check
 * (userspace/lib/enforce/kernel_check.c): a BPF LSM program that refuses
 * the opening of one inode, the checker's own memfd, and nothing else. A
 * kernel that lists bpf among its LSMs may still refuse to load it, or run
 * it without honouring its verdict; only seeing the open refused shows that
 * BPF LSM programs decide on this kernel. Loaded, attached and destroyed
 * within one check: it is never pinned.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

/* The memfd's inode: number and device, as the kernel writes s_dev. Set before load. */
const volatile __u64 target_ino = 0;
const volatile __u32 target_dev = 0;

/* Opens of the target this program refused. */
__u64 refused = 0;

SEC("lsm/file_open")
int BPF_PROG(lg_probe_file_open, struct file *file)
{
	struct inode *inode = file->f_inode;

	/* Anything but the checker's own memfd is none of this program's business. */
	if (!target_ino || inode->i_ino != target_ino || inode->i_sb->s_dev != target_dev)
		return 0;
	__sync_fetch_and_add(&refused, 1);
	return -EPERM;
}

char LICENSE[] SEC("license") = "GPL";

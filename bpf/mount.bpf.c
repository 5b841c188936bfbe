// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/mount.bpf.c - an agent may not change what paths mean: no mount,
 * umount, move_mount, pivot_root or chroot.
 *
 * Each needs CAP_SYS_ADMIN or CAP_SYS_CHROOT, which the capable hook
 * denies already; these hooks are the second wall, so that a capability
 * kept by mistake or a kernel path that skips the capability check still
 * ends here. The agent's path rules only mean anything while "/" is the
 * host's "/".
 */
#include "lib/confine.h"

SEC("lsm/sb_mount")
int BPF_PROG(lg_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SB_MOUNT, LG_SYS_MOUNT, (__u32)flags);
}

SEC("lsm/sb_umount")
int BPF_PROG(lg_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SB_UMOUNT, LG_SYS_MOUNT, flags);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(lg_sb_pivotroot, const struct path *old_path, const struct path *new_path, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SB_PIVOTROOT, LG_SYS_MOUNT, 0);
}

SEC("lsm/path_chroot")
int BPF_PROG(lg_path_chroot, const struct path *path, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_PATH_CHROOT, LG_SYS_MOUNT, 0);
}

SEC("lsm/move_mount")
int BPF_PROG(lg_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_MOVE_MOUNT, LG_SYS_MOUNT, 0);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/file.bpf.c - the file decision: may this agent open this file for
 * what it asks (read, write)?
 */
#include "lib/path_match.h"

/* The magic of the filesystem @file lives on; 0 if unknown. */
static __always_inline unsigned long lg_file_fs_magic(const struct file *file)
{
	struct inode *inode = file->f_inode;
	struct super_block *sb;

	if (!inode)
		return 0;
	sb = inode->i_sb;
	return sb ? sb->s_magic : 0;
}

SEC("lsm/file_open")
int BPF_PROG(lg_file_open, struct file *file, int ret)
{
	struct lg_subject s;
	__u32 fmode, flags;
	__u32 need = 0;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;

	/*
	 * Handles to kernel objects the agent already holds (pidfds, pipes and
	 * sockets reopened through /proc, anonymous inodes) have no path, so
	 * no rule could name them; they are not the file boundary. Namespace
	 * files (nsfs) are not on this list: they stay denied.
	 */
	switch (lg_file_fs_magic(file)) {
	case ANON_INODE_FS_MAGIC:
	case PIPEFS_MAGIC:
	case SOCKFS_MAGIC:
	case PIDFS_MAGIC:
		return lg_decide(&s, LG_HOOK_FILE_OPEN, LG_FILE_READ_FILE, LG_REASON_NONE, NULL);
	}

	fmode = file->f_mode;
	flags = file->f_flags;
	if (fmode & FMODE_READ)
		need |= LG_FILE_READ_FILE;
	/*
	 * O_TRUNC empties the file even when opened read-only. It asks
	 * WRITE_FILE, not TRUNCATE: that is what it asked before the rights
	 * were split, and a write rule grants both.
	 */
	if ((fmode & FMODE_WRITE) || (flags & O_TRUNC))
		need |= LG_FILE_WRITE_FILE;
	/* An open for neither (O_ACCMODE 3, ioctl only) still needs read. */
	if (!need)
		need = LG_FILE_READ_FILE;
	return lg_check_path(&s, LG_HOOK_FILE_OPEN, &file->f_path, need,
			     (fmode & FMODE_EXEC) || (flags & __FMODE_EXEC));
}

char LICENSE[] SEC("license") = "GPL";

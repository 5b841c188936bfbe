// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/file.bpf.c - the file decision: may this agent open this file for
 * what it asks (read, write)?
 */
#include "lib/path_match.h"

SEC("lsm/file_open")
int BPF_PROG(lg_file_open, struct file *file, int ret)
{
	struct lg_subject s;
	__u32 fmode, flags;
	__u8 need = 0;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;

	fmode = file->f_mode;
	flags = file->f_flags;
	if (fmode & FMODE_READ)
		need |= LG_ACCESS_READ;
	/* O_TRUNC empties the file even when opened read-only. */
	if ((fmode & FMODE_WRITE) || (flags & O_TRUNC))
		need |= LG_ACCESS_WRITE;
	/* An open for neither (O_ACCMODE 3, ioctl only) still needs read. */
	if (!need)
		need = LG_ACCESS_READ;
	return lg_check_path(&s, LG_HOOK_FILE_OPEN, &file->f_path, need,
			     (fmode & FMODE_EXEC) || (flags & __FMODE_EXEC));
}

char LICENSE[] SEC("license") = "GPL";

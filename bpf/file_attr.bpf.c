// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/file_attr.bpf.c - the decisions that change a file's attributes:
 * truncate(2) by path (TRUNCATE) and chmod/chown (CHANGE_ATTR), asked at
 * the file itself. Paths come from lib/path_walk.h: these hooks may not
 * call bpf_d_path().
 *
 * ftruncate(2) and open(O_TRUNC) need a descriptor open for writing, which
 * file_open already decided (WRITE_FILE; every rule kind that grants it
 * grants TRUNCATE too). utimes and extended attributes reach only
 * dentry-based hooks and are not mediated yet (docs/rules.md).
 */
#include "lib/path_ops.h"

static __always_inline int lg_attr(enum lg_hook hook, const struct path *path, __u32 need)
{
	struct lg_subject s;

	if (!lg_subject_get(&s))
		return 0;
	return lg_check_entry(&s, hook, path->mnt, path->dentry, false, 0, need);
}

/*
 * On 6.1 ftruncate(2) passes here too (6.2+ call file_truncate instead, and
 * leave it to file_open's write decision). A file on a kernel-internal
 * mount (a memfd, the shmem file behind shared anonymous memory) has no
 * path any rule could name, like the pipes and anonymous inodes file_open
 * lets through: truncating it changes no file of the tree, so it is not
 * the file boundary, on every kernel alike.
 */
SEC("lsm/path_truncate")
int BPF_PROG(lg_path_truncate, const struct path *path, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	if (BPF_CORE_READ(path, mnt, mnt_flags) & MNT_INTERNAL)
		return lg_decide(&s, LG_HOOK_PATH_TRUNCATE, LG_FILE_TRUNCATE, LG_REASON_NONE, NULL);
	return lg_check_entry(&s, LG_HOOK_PATH_TRUNCATE, path->mnt, path->dentry, false, 0,
			      LG_FILE_TRUNCATE);
}

SEC("lsm/path_chmod")
int BPF_PROG(lg_path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return lg_attr(LG_HOOK_PATH_CHMOD, path, LG_FILE_CHANGE_ATTR);
}

/* kuid_t and kgid_t are one-word structs, passed as words: read as such. */
SEC("lsm/path_chown")
int BPF_PROG(lg_path_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	if (ret)
		return ret;
	return lg_attr(LG_HOOK_PATH_CHOWN, path, LG_FILE_CHANGE_ATTR);
}

char LICENSE[] SEC("license") = "GPL";

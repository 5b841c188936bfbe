// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/file.bpf.c - the file decision: may this agent open this file for
 * what it asks (read, write)?
 */
#include "lib/path_walk.h"
#include "lib/verdict_cache.h"

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

/*
 * Self-test of the path walk (lib/path_walk.h) against bpf_d_path(), which
 * this hook may call: on every denial of a resolved path (so allowed opens
 * pay nothing), walk the same path, compare length and hash, and say in the
 * event whether they agreed. Then put bpf_d_path()'s path back for the
 * event. The kernel tests open many kinds of paths and require "equal".
 */
static __always_inline void lg_walk_self_test(struct lg_scratch *sc, const struct path *path)
{
	__u64 want = lg_target_sum(sc);
	__u32 want_len = sc->ev.target_len, plen;
	__u16 check = LG_WALK_CHECK_FAILED;

	if (lg_path_build(sc, path->mnt, path->dentry, false, &plen) == LG_REASON_NONE)
		check = sc->ev.target_len == want_len && lg_target_sum(sc) == want ?
				LG_WALK_CHECK_EQUAL :
				LG_WALK_CHECK_DIFFER;
	lg_path_resolve(sc, path);
	sc->ev.walk_check = check;
}

/*
 * lg_check_path() with the walk's self-test on denials. *@why: the reason
 * decided (LG_REASON_NONE: the grant allows; the return value alone cannot
 * tell, as audit mode allows denials too).
 */
static __always_inline int lg_check_open(const struct lg_subject *s, const struct path *path,
					 __u32 need, bool exec_open, __u8 *why)
{
	struct lg_scratch *sc = lg_scratch_claim();
	__u8 reason, res;
	int ret;

	*why = LG_REASON_INTERNAL;
	if (!sc)
		return lg_decide(s, LG_HOOK_FILE_OPEN, need, LG_REASON_INTERNAL, NULL);
	reason = s->reason;
	res = lg_path_resolve(sc, path);
	sc->ev.walk_check = LG_WALK_CHECK_NONE;
	if (reason == LG_REASON_NONE)
		reason = res;
	if (reason == LG_REASON_NONE)
		reason = lg_path_match(s, sc, need, exec_open);
	if (reason != LG_REASON_NONE && res == LG_REASON_NONE)
		lg_walk_self_test(sc, path);
	ret = lg_decide(s, LG_HOOK_FILE_OPEN, need, reason, &sc->ev);
	lg_scratch_release(sc);
	*why = reason;
	return ret;
}

/*
 * An open by execve() (binary or interpreter) is decided in full: it asks
 * execute as read, which the cache does not tell apart. Every other open
 * asks the verdict cache first and, allowed in full, fills it.
 */
static __always_inline int lg_open_decide(const struct lg_subject *s, struct file *file, __u32 need,
					  bool exec_open)
{
	struct lg_verdict_key k;
	bool cacheable = !exec_open && lg_verdict_key(s, file, &k);
	__u8 why;
	int ret;

	if (cacheable && lg_verdict_hit(file, &k, need)) {
		lg_count(LG_HOOK_FILE_OPEN, LG_CTR_CACHED);
		return lg_decide_quiet(s, LG_HOOK_FILE_OPEN, LG_REASON_NONE);
	}
	ret = lg_check_open(s, &file->f_path, need, exec_open, &why);
	if (cacheable && why == LG_REASON_NONE)
		lg_verdict_store(file, &k, need);
	return ret;
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
	return lg_open_decide(&s, file, need, (fmode & FMODE_EXEC) || (flags & __FMODE_EXEC));
}

char LICENSE[] SEC("license") = "GPL";

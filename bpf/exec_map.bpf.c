// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/exec_map.bpf.c - mapping a file executable is executing it: may this
 * agent run the code of this file?
 *
 * bprm_check_security sees only what execve() is asked to run. Code also
 * gets in by mapping: the dynamic loader running a program it was handed
 * ("ld.so ./prog"), LD_PRELOAD and dlopen() of a library, a memfd mapped
 * PROT_EXEC. So mmap_file with PROT_EXEC, and file_mprotect adding it to a
 * file mapping, ask EXECUTE on the file, like exec. The kernel's own ELF
 * loader maps the program and its interpreter through mmap_file too: a
 * program runs only when it, its ld.so and every library it loads have an
 * exec rule (the baseline, docs/rules.md).
 *
 * Anonymous memory has no file and no path: JITs (node, ctypes) keep working.
 * A file without a name a rule could give (memfd, O_TMPFILE, deleted) is
 * denied: its path would be what it was called, not what it is.
 */
#include "lib/path_ops.h"

/* UAPI and kernel constants BPF code cannot include. */
#define PROT_EXEC 0x4
#define VM_EXEC 0x4
#define S_PRIVATE 512 /* inode->i_flags: kernel-internal inode */

/*
 * Has @file lost (or never had) the name bpf_d_path() would print? An
 * unlinked inode (memfd, O_TMPFILE, last link deleted) or an unhashed
 * dentry (this name deleted, other links left): d_path() then gives the
 * old name with " (deleted)", which a rule must not match.
 */
static __always_inline bool lg_file_unnamed(const struct file *file)
{
	struct dentry *d = file->f_path.dentry;
	struct inode *inode = file->f_inode;

	if (!inode || !d || !inode->i_nlink)
		return true;
	return !d->d_hash.pprev && d != d->d_parent;
}

/*
 * Anonymous memory: no file, or the kernel-internal shmem file that backs
 * a shared anonymous mapping (S_PRIVATE; 6.12 was seen to pass one to
 * mmap_file) or a SysV segment. Code written into such memory is what
 * any JIT does with private anonymous memory: no path, nothing a rule
 * names. A memfd is not S_PRIVATE: it has a name an agent chose.
 */
static __always_inline bool lg_file_anonymous(const struct file *file)
{
	struct inode *inode;

	if (!file)
		return true;
	inode = file->f_inode;
	return inode && (inode->i_flags & S_PRIVATE);
}

/* A denial of a file that has no name a rule could give: the event says so. */
static __always_inline int lg_deny_unnamed(const struct lg_subject *s, enum lg_hook hook)
{
	struct lg_scratch *sc = lg_scratch_claim();
	int ret;

	if (!sc)
		return lg_decide(s, hook, LG_FILE_EXECUTE, LG_REASON_INTERNAL, NULL);
	lg_event_clear_target(&sc->ev, LG_TARGET_NONE);
	ret = lg_decide(s, hook, LG_FILE_EXECUTE,
			s->reason != LG_REASON_NONE ? s->reason : LG_REASON_PATH_UNRESOLVED,
			&sc->ev);
	lg_scratch_release(sc);
	return ret;
}

/* The EXECUTE check of a file mapping: resolve, match, decide, report. */
static __always_inline int lg_check_map(const struct lg_subject *s, enum lg_hook hook,
					const struct file *file)
{
	struct lg_scratch *sc = lg_scratch_claim();
	__u8 reason, res;
	int ret;

	if (!sc)
		return lg_decide(s, hook, LG_FILE_EXECUTE, LG_REASON_INTERNAL, NULL);
	reason = s->reason;
	/* Resolved even when the reason is known: the event names the file. */
	res = lg_path_resolve(sc, &file->f_path);
	if (res == LG_REASON_NONE && lg_file_unnamed(file))
		res = LG_REASON_PATH_UNRESOLVED;
	if (reason == LG_REASON_NONE)
		reason = res;
	if (reason == LG_REASON_NONE)
		reason = lg_path_match(s, sc, LG_FILE_EXECUTE, false);
	ret = lg_decide(s, hook, LG_FILE_EXECUTE, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

SEC("lsm/mmap_file")
int BPF_PROG(lg_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	/*
	 * @prot, not @reqprot: with READ_IMPLIES_EXEC a PROT_READ mapping is
	 * executable. Tested before the agent lookup: most mappings of every
	 * process are not executable, and those pay nothing more.
	 */
	if (!(prot & PROT_EXEC))
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	if (lg_file_anonymous(file))
		return lg_decide(&s, LG_HOOK_MMAP_EXEC, LG_FILE_EXECUTE, LG_REASON_NONE, NULL);
	return lg_check_map(&s, LG_HOOK_MMAP_EXEC, file);
}

SEC("lsm/file_mprotect")
int BPF_PROG(lg_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct lg_subject s;
	struct file *file;

	if (ret)
		return ret;
	/* Only adding exec is new code: an executable mapping was checked when made. */
	if (!(prot & PROT_EXEC) || (vma->vm_flags & VM_EXEC))
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	file = vma->vm_file;
	if (lg_file_anonymous(file))
		return lg_decide(&s, LG_HOOK_MPROTECT_EXEC, LG_FILE_EXECUTE, LG_REASON_NONE, NULL);
	if (lg_file_unnamed(file))
		return lg_deny_unnamed(&s, LG_HOOK_MPROTECT_EXEC);
	/*
	 * No kernel of the test matrix allows bpf_d_path() on file_mprotect
	 * (6.1, 6.12 and 7.2 refuse it): the path comes from livegrant's own
	 * walk (lib/path_walk.h), the one path_* hooks use, which names the
	 * file as bpf_d_path() would.
	 */
	return lg_check_entry(&s, LG_HOOK_MPROTECT_EXEC, file->f_path.mnt, file->f_path.dentry,
			      false, 0, LG_FILE_EXECUTE);
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/verdict_cache.h - the verdict cache: an agent that opens the same
 * file again, by the same path, under the same grant, is allowed without
 * building and matching the path again.
 *
 * A verdict is kept with the file's inode (lg_verdicts, inode storage: it
 * goes when the inode goes) and names everything the path was built from:
 * the dentry and mount opened, the opener's fs root, the kernel's
 * rename_lock and mount_lock sequences and lg_state.name_epoch at the time.
 * It is used only when all of them are still the same, for the same agent
 * and grant generation, and only for rights that open was granted:
 *   - a new grant has a new generation; expiry and suspension are decided
 *     by lg_subject_get() before the cache is asked, on every open;
 *   - the path of a dentry changes by a rename (d_move() and d_exchange(),
 *     under rename_lock, wherever it comes from) or a change of the mount
 *     tree (under mount_lock): either bumps a sequence;
 *   - a hard link or a bind mount is another dentry or another mount, and
 *     files with more than one link are never cached;
 *   - an unlinked file, a filesystem that revalidates its names, and
 *     anything but a regular file are never cached; denials never are.
 * The bound that always holds: a verdict only ever gives an agent rights it
 * was granted on this very inode under this very generation. Where a dentry
 * is freed and its memory reused for another name of the same inode, that
 * bound is all there is (docs/performance.md lists those cases).
 * Without the two kernel symbols (a kernel whose kallsyms lacks them)
 * nothing is cached and every open is decided in full.
 */
#ifndef LG_BPF_VERDICT_CACHE_H
#define LG_BPF_VERDICT_CACHE_H

#include "report.h"

/* seqlock_t: the sequence is its first word (seqcount_spinlock_t.seqcount). */
extern const void rename_lock __ksym __weak;
extern const void mount_lock __ksym __weak;

#define LG_S_IFMT 00170000
#define LG_S_IFREG 0100000
/* include/linux/dcache.h */
#define LG_DCACHE_OP_REVALIDATE 0x00000004
#define LG_DCACHE_OP_WEAK_REVALIDATE 0x00000800

/* An even (no writer inside) sequence of seqlock @lock into *@seq. */
static __always_inline bool lg_seq_read(const void *lock, __u32 *seq)
{
	if (bpf_probe_read_kernel(seq, sizeof(*seq), lock))
		return false;
	return !(*seq & 1);
}

/*
 * The key of @file opened by @s, or false when the open must not use or
 * fill the cache: no live grant, a file that is not cacheable (above), or
 * a rename or mount change in progress.
 */
static __always_inline bool lg_verdict_key(const struct lg_subject *s, const struct file *file,
					   struct lg_verdict_key *k)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct dentry *d = file->f_path.dentry;
	const struct inode *inode = file->f_inode;
	__u32 zero = 0;
	struct lg_state *st = bpf_map_lookup_elem(&lg_state, &zero);

	if (s->reason != LG_REASON_NONE || !st || !inode || !d)
		return false;
	if (!&rename_lock || !&mount_lock)
		return false;
	if ((inode->i_mode & LG_S_IFMT) != LG_S_IFREG || inode->__i_nlink != 1)
		return false;
	/* Unhashed: unlinked (or never linked); d_path() adds " (deleted)". */
	if (!d->d_hash.pprev ||
	    (d->d_flags & (LG_DCACHE_OP_REVALIDATE | LG_DCACHE_OP_WEAK_REVALIDATE)))
		return false;
	__builtin_memset(k, 0, sizeof(*k));
	k->agent = s->agent_cgroup_id;
	k->generation = s->generation;
	k->dentry = (__u64)d;
	k->mnt = (__u64)file->f_path.mnt;
	k->root_dentry = (__u64)task->fs->root.dentry;
	k->root_mnt = (__u64)task->fs->root.mnt;
	k->name_epoch = READ_ONCE(st->name_epoch);
	return lg_seq_read(&rename_lock, &k->rename_seq) && lg_seq_read(&mount_lock, &k->mount_seq);
}

static __always_inline bool lg_verdict_key_equal(const struct lg_verdict_key *a,
						 const struct lg_verdict_key *b)
{
	return a->agent == b->agent && a->generation == b->generation && a->dentry == b->dentry &&
	       a->mnt == b->mnt && a->root_dentry == b->root_dentry && a->root_mnt == b->root_mnt &&
	       a->name_epoch == b->name_epoch && a->rename_seq == b->rename_seq &&
	       a->mount_seq == b->mount_seq;
}

/* Does the verdict kept for @file grant @need under key @k? */
static __always_inline bool lg_verdict_hit(const struct file *file, const struct lg_verdict_key *k,
					   __u32 need)
{
	struct lg_verdict *v = bpf_inode_storage_get(&lg_verdicts, file->f_inode, 0, 0);
	struct lg_verdict_key have;
	__u32 granted;

	if (!v)
		return false;
	bpf_spin_lock(&v->lock);
	have = v->key;
	granted = v->granted;
	bpf_spin_unlock(&v->lock);
	return lg_verdict_key_equal(&have, k) && (granted & need) == need;
}

/*
 * Remember that @need was granted on @file under key @k, taken before the
 * path was built. Nothing is kept if a rename or mount change happened
 * meanwhile: the path may have been built half before and half after it.
 */
static __always_inline void lg_verdict_store(const struct file *file,
					     const struct lg_verdict_key *k, __u32 need)
{
	struct lg_verdict *v;
	__u32 rseq, mseq;

	if (!lg_seq_read(&rename_lock, &rseq) || !lg_seq_read(&mount_lock, &mseq) ||
	    rseq != k->rename_seq || mseq != k->mount_seq)
		return;
	v = bpf_inode_storage_get(&lg_verdicts, file->f_inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return;
	bpf_spin_lock(&v->lock);
	v->key = *k;
	v->granted = need;
	bpf_spin_unlock(&v->lock);
}

/* A file's names change (link, unlink, rename): no verdict kept so far holds. */
static __always_inline void lg_names_changed(void)
{
	__u32 zero = 0;
	struct lg_state *st = bpf_map_lookup_elem(&lg_state, &zero);

	if (st)
		__sync_fetch_and_add(&st->name_epoch, 1);
}

#endif /* LG_BPF_VERDICT_CACHE_H */

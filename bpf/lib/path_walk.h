/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/path_walk.h - livegrant's own path builder, for hooks that may
 * not call bpf_d_path().
 *
 * bpf_d_path() is allowed only on the LSM hooks the kernel lists as
 * sleepable (bpf_lsm_is_sleepable_hook()). Tried on the test kernels with a
 * program per hook calling it: on 6.1 the verifier refuses it on
 * path_unlink, path_rename, path_chmod and path_truncate ("helper call is
 * not allowed in probe") and allows it on file_open; 6.12 and sid allow it
 * on all five. One walk serves every kernel, so a path means the same on
 * all of them. lg_path_build() builds the same absolute path bpf_d_path()
 * gives - relative to the task's fs root, in its mount namespace, crossing
 * mounts through struct mount (mnt_parent, mnt_mountpoint) - from a mount
 * and a dentry, into sc->ev.target, so that the one matcher of path_match.h
 * decides.
 *
 * It is stricter than d_path() where d_path() would still print something:
 * a walk that does not reach the task's root (an internal mount such as
 * pipefs or memfd's shm mount, a detached mount, a mount of another
 * namespace, a dentry outside its mount's root after a move, a root set
 * below the file) is "path_unresolved", and so is an unhashed directory
 * on the way up. A deleted (unlinked) leaf gets d_path()'s " (deleted)"
 * after its old path, so it keeps the rules of the folder it was in: an
 * O_TMPFILE file of a writable folder may still be ftruncate()d (6.1 asks
 * path_truncate for that), a deleted file of a read-only one may not. More than
 * LG_PATH_MAX_COMPONENTS names or LG_PATH_MAX_MOUNTS mounts is
 * "path_too_deep", LG_PATH_MAX bytes or more "path_too_long". Every one is a
 * denial.
 *
 * Two passes: lg_walk_up() goes from the dentry to the root and records
 * each name (address and length) in sc->names, leaf first; lg_walk_write()
 * then copies them root first into sc->ev.target. Recording first means the
 * names are read once, so the length checked is the length copied.
 *
 * Not atomic against a concurrent rename (d_path() retries under
 * rename_lock, which BPF cannot take): a path raced by a rename of one of
 * its directories may mix the old and new place; both are places the
 * agent's own rename needed rights for (docs/rules.md).
 */
#ifndef LG_BPF_PATH_WALK_H
#define LG_BPF_PATH_WALK_H

#include "path_match.h"

/* The bpf_loop() context of both passes: the state is in sc->walk. */
struct lg_walk {
	struct lg_scratch *sc;
};

/* What d_path() writes after the path of an unlinked file. */
static const char lg_deleted_suffix[] = " (deleted)";
#define LG_DELETED_LEN 10
_Static_assert(sizeof(lg_deleted_suffix) == LG_DELETED_LEN + 1, "suffix length");

/* The struct mount a vfsmount is embedded in (container_of, relocated). */
static __always_inline __u64 lg_real_mount(const struct vfsmount *m)
{
	return (__u64)m - bpf_core_field_offset(struct mount, mnt);
}

/* Cross from the root of the mount @w is in to its mountpoint. */
static __always_inline long lg_walk_cross(struct lg_walk_state *w, const struct mount *mnt)
{
	struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);

	/*
	 * A mount that is its own parent is the root of a mount tree: of
	 * another namespace (or an internal or detached mount), since the
	 * task's root was not met on the way. d_path() would print the
	 * path from there; it names nothing the agent's rules could mean.
	 */
	if ((__u64)parent == w->mnt || !parent) {
		w->reason = LG_REASON_PATH_UNRESOLVED;
		return 1;
	}
	if (++w->mounts > LG_PATH_MAX_MOUNTS) {
		w->reason = LG_REASON_PATH_TOO_DEEP;
		return 1;
	}
	w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
	w->mnt = (__u64)parent;
	return 0;
}

/* Record the name of the dentry @w is at, then step to its parent. */
static __always_inline long lg_walk_name(struct lg_scratch *sc, const struct dentry *d,
					 const struct dentry *parent)
{
	struct lg_walk_state *w = &sc->walk;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	__u32 len = BPF_CORE_READ(d, d_name.len);
	struct lg_walk_name *slot;

	/*
	 * Unhashed: deleted (or never linked). The leaf of a creation may
	 * still be in lookup, which is unhashed too; an existing leaf is
	 * unlinked (deleted, or O_TMPFILE) and named as d_path() names it.
	 * Nothing above the leaf may be unhashed.
	 */
	if (!BPF_CORE_READ(d, d_hash.pprev)) {
		if (w->n != 0) {
			w->reason = LG_REASON_PATH_UNRESOLVED;
			return 1;
		}
		if (!w->leaf_new) {
			w->deleted = 1;
			w->total += LG_DELETED_LEN;
		}
	}
	if (w->n >= LG_PATH_MAX_COMPONENTS) {
		w->reason = LG_REASON_PATH_TOO_DEEP;
		return 1;
	}
	if (len == 0 || len >= LG_NAME_BUF || !name) {
		w->reason = LG_REASON_PATH_UNRESOLVED;
		return 1;
	}
	/* The NUL after the path needs a byte too: total stays < LG_PATH_MAX. */
	w->total += len + 1;
	if (w->total >= LG_PATH_MAX) {
		w->reason = LG_REASON_PATH_TOO_LONG;
		return 1;
	}
	/*
	 * The mask is the identity below LG_PATH_MAX_COMPONENTS (a power of
	 * two, limits.h, checked just above); it bounds the index for the
	 * verifier, which sees the callback's state as unbounded.
	 */
	slot = &sc->names[w->n & (LG_PATH_MAX_COMPONENTS - 1)];
	slot->name = (__u64)name;
	slot->len = len;
	if (w->n == 0)
		w->leaf_len = len;
	w->n++;
	w->dentry = (__u64)parent;
	return 0;
}

/* One step of the walk up, as prepend_path() in fs/d_path.c takes it. */
static long lg_walk_up_cb(__u32 i, void *ctx)
{
	struct lg_scratch *sc = ((struct lg_walk *)ctx)->sc;
	struct lg_walk_state *w = &sc->walk;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *mnt_root, *parent;

	if (w->dentry == w->root_dentry &&
	    w->mnt + bpf_core_field_offset(struct mount, mnt) == w->root_mnt) {
		w->done = 1;
		w->reason = LG_REASON_NONE;
		return 1;
	}
	mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
	parent = BPF_CORE_READ(d, d_parent);
	if (!d || !parent) {
		w->reason = LG_REASON_PATH_UNRESOLVED;
		return 1;
	}
	if (d == mnt_root)
		return lg_walk_cross(w, mnt);
	/*
	 * The root of a filesystem that is not its mount's root: the file was
	 * moved out from under a bind mount's root, d_path()'s "escaped" case.
	 */
	if (parent == d) {
		w->reason = LG_REASON_PATH_UNRESOLVED;
		return 1;
	}
	return lg_walk_name(sc, d, parent);
}

/* Copy name @i (root first: the last recorded) and the '/' before it. */
static long lg_walk_write_cb(__u32 i, void *ctx)
{
	struct lg_scratch *sc = ((struct lg_walk *)ctx)->sc;
	struct lg_walk_state *o = &sc->walk;
	struct lg_walk_name *nm;
	__u32 len;

	if (i >= o->n || i >= LG_PATH_MAX_COMPONENTS)
		return 1;
	/* Identity for i < n <= LG_PATH_MAX_COMPONENTS; bounds it for the verifier. */
	nm = &sc->names[(o->n - 1 - i) & (LG_PATH_MAX_COMPONENTS - 1)];
	len = nm->len;
	/*
	 * lg_walk_up() checked the sum of every len + 1 against LG_PATH_MAX;
	 * the verifier cannot know, so the offset is masked into the buffer
	 * and the length into LG_NAME_BUF, and lg_scratch.slack holds what
	 * the verifier believes could overflow. Both masks are the identity
	 * on the values lg_walk_up() let through.
	 */
	sc->ev.target[o->off & (LG_PATH_MAX - 1)] = '/';
	o->off++;
	if (bpf_probe_read_kernel(&sc->ev.target[o->off & (LG_PATH_MAX - 1)],
				  len & (LG_NAME_BUF - 1), (const void *)nm->name)) {
		o->done = 0;
		return 1;
	}
	o->off += len;
	return 0;
}

/*
 * Build the path of @dentry in @vfsmnt into sc->ev.target and set
 * target_len, and *@parent_len to the length of its parent directory's
 * path within it (0 for a file in "/", whose parent is the empty prefix the
 * matcher reads as "/"). @leaf_new: @dentry is the name being created (a
 * negative dentry, maybe still in lookup). Returns LG_REASON_NONE or why the
 * path cannot be checked (target_len is then 0 or a partial path only the
 * event shows).
 */
static __always_inline __u8 lg_path_build(struct lg_scratch *sc, const struct vfsmount *vfsmnt,
					  const struct dentry *dentry, bool leaf_new,
					  __u32 *parent_len)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct lg_walk_state *w = &sc->walk;
	struct lg_walk ctx = { .sc = sc };
	__u32 n, total, off;

	lg_event_clear_target(&sc->ev, LG_TARGET_PATH);
	*parent_len = 0;
	__builtin_memset(w, 0, sizeof(*w));
	w->dentry = (__u64)dentry;
	w->mnt = lg_real_mount(vfsmnt);
	w->root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	w->leaf_new = leaf_new;
	w->reason = LG_REASON_PATH_TOO_DEEP;
	if (!vfsmnt || !dentry || !w->root_dentry || !w->root_mnt)
		return LG_REASON_PATH_UNRESOLVED;
	/*
	 * Running out of LG_PATH_WALK_STEPS leaves the reason at
	 * path_too_deep (each step records a name or crosses a mount, both
	 * bounded, so this is the too-deep case), and a bpf_loop() failure
	 * leaves done 0: both deny.
	 */
	bpf_loop(LG_PATH_WALK_STEPS, lg_walk_up_cb, &ctx, 0);
	if (!w->done)
		return w->reason != LG_REASON_NONE ? w->reason : LG_REASON_INTERNAL;
	n = w->n;
	total = w->total;
	if (n == 0) {
		sc->ev.target[0] = '/';
		sc->ev.target[1] = 0;
		sc->ev.target_len = 1;
		return LG_REASON_NONE;
	}
	/* done now means "every name copied": a failed copy clears it. */
	w->off = 0;
	bpf_loop(LG_PATH_MAX_COMPONENTS, lg_walk_write_cb, &ctx, 0);
	off = w->off;
	/* Every name copied, and exactly the bytes counted on the way up. */
	if (w->deleted)
		total -= LG_DELETED_LEN;
	if (!w->done || off != total || w->n != n ||
	    off + (w->deleted ? LG_DELETED_LEN : 0) >= LG_PATH_MAX)
		return LG_REASON_PATH_UNRESOLVED;
	if (w->deleted) {
		/* Counted on the way up: off + LG_DELETED_LEN == total. */
		for (int i = 0; i < LG_DELETED_LEN; i++)
			sc->ev.target[(off + i) & (LG_PATH_MAX - 1)] = lg_deleted_suffix[i];
		*parent_len = off - w->leaf_len - 1;
		off += LG_DELETED_LEN;
	} else {
		*parent_len = off - w->leaf_len - 1;
	}
	sc->ev.target[off & (LG_PATH_MAX - 1)] = 0;
	sc->ev.target_len = off;
	return LG_REASON_NONE;
}

struct lg_sum_walk {
	struct lg_scratch *sc;
	__u64 sum;
	__u32 len;
};

static long lg_target_sum_cb(__u32 i, void *ctx)
{
	struct lg_sum_walk *h = ctx;

	if (i >= h->len || i >= LG_PATH_MAX)
		return 1;
	/* FNV-1a step. Identity below LG_PATH_MAX; bounds the offset for the verifier. */
	h->sum = (h->sum ^ (unsigned char)h->sc->ev.target[i & (LG_PATH_MAX - 1)]) *
		 0x100000001b3ULL;
	return 0;
}

/*
 * A checksum of the path in sc->ev.target for the walk's self-test: two
 * paths the kernel built itself are compared, so nothing keyed is needed,
 * and FNV-1a keeps this denial-only check cheap for the verifier (the
 * rules' keyed hash, path_hash.h, costs a SipHash finalization per
 * component).
 */
static __always_inline __u64 lg_target_sum(struct lg_scratch *sc)
{
	struct lg_sum_walk h = { .sc = sc, .sum = 0xcbf29ce484222325ULL, .len = sc->ev.target_len };

	bpf_loop(LG_PATH_MAX, lg_target_sum_cb, &h, 0);
	return h.sum;
}

#endif /* LG_BPF_PATH_WALK_H */

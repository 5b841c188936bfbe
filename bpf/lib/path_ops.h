/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/path_ops.h - what the namespace and attribute hooks share
 * (file_tree.bpf.c, file_attr.bpf.c): the rights a grant gives at a file
 * and at its directory, and the right a file type asks to be made or
 * removed.
 *
 * Rights to make or remove an entry are asked at the directory that holds
 * it (as Landlock does): a subtree rule "/ws/out/" lets an agent make and
 * remove entries in /ws/out and below, not remove /ws/out itself.
 */
#ifndef LG_BPF_PATH_OPS_H
#define LG_BPF_PATH_OPS_H

#include "path_walk.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000

#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)

/* What making a file of @mode asks; 0 (open with O_CREAT) makes a regular file. */
static __always_inline __u32 lg_make_right(__u32 mode)
{
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
		return LG_FILE_MAKE_REG;
	case S_IFDIR:
		return LG_FILE_MAKE_DIR;
	case S_IFLNK:
		return LG_FILE_MAKE_SYM;
	case S_IFCHR:
		return LG_FILE_MAKE_CHAR;
	case S_IFBLK:
		return LG_FILE_MAKE_BLOCK;
	case S_IFIFO:
		return LG_FILE_MAKE_FIFO;
	case S_IFSOCK:
		return LG_FILE_MAKE_SOCK;
	}
	/* No other type exists; should one appear, it asks for every kind. */
	return LG_FILE_MAKE_REG | LG_FILE_MAKE_CHAR | LG_FILE_MAKE_BLOCK | LG_FILE_MAKE_FIFO |
	       LG_FILE_MAKE_SOCK | LG_FILE_MAKE_SYM | LG_FILE_MAKE_DIR;
}

/* The mode of the inode @d names, 0 for a negative dentry. */
static __always_inline __u32 lg_dentry_mode(const struct dentry *d)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);

	return inode ? BPF_CORE_READ(inode, i_mode) : 0;
}

static __always_inline bool lg_mode_is_dir(__u32 mode)
{
	return (mode & S_IFMT) == S_IFDIR;
}

/* What removing (or replacing) the existing file of @mode asks at its directory. */
static __always_inline __u32 lg_remove_right(__u32 mode)
{
	return lg_mode_is_dir(mode) ? LG_FILE_REMOVE_DIR : LG_FILE_REMOVE_FILE;
}

/**
 * struct lg_rights - what a grant gives at one path.
 * @dir:  at the directory that holds the entry.
 * @self: at the entry itself (LG_PATH_RULE_BELOW included: see abi.h).
 */
struct lg_rights {
	__u32 dir;
	__u32 self;
};

/*
 * Build the path of (@mnt, @d) into sc->ev.target (where it stays, for the
 * event) and fill @r. Returns LG_REASON_NONE or why the path cannot be
 * checked.
 */
static __always_inline __u8 lg_rights_at(const struct lg_subject *s, struct lg_scratch *sc,
					 const struct vfsmount *mnt, const struct dentry *d,
					 bool leaf_new, struct lg_rights *r)
{
	volatile __u32 *slot = (volatile __u32 *)&sc->need[2];
	bool ok = false;
	__u32 plen = 0;
	__u8 reason = lg_path_build(sc, mnt, d, leaf_new, &plen);

	if (reason != LG_REASON_NONE)
		return reason;
	/*
	 * Each mask goes through the map value (a volatile store and load, so
	 * the compiler keeps them): a mask no rule added to is an exact 0 to
	 * the verifier, one a rule did is unknown, and both would be walked
	 * on (see lg_launder()).
	 */
	*slot = lg_path_granted(s, sc, plen, &ok);
	if (!ok)
		return LG_REASON_INTERNAL;
	r->dir = *slot;
	*slot = lg_path_granted(s, sc, sc->ev.target_len, &ok);
	if (!ok)
		return LG_REASON_INTERNAL;
	r->self = *slot;
	return LG_REASON_NONE;
}

_Static_assert(sizeof(struct lg_subject) <= sizeof(((struct lg_scratch *)0)->subject),
	       "lg_scratch.subject must hold a struct lg_subject");

/*
 * Verifier workaround: copy the subject into the scratch slot and go on
 * with the copy. lg_subject_get() leaves each field an exact constant on
 * many paths (no grant, expired, suspended, ...), and newer verifiers
 * (6.12, sid) verify the path walk's bpf_loop() callbacks again for every
 * such state until they converge: 100 000 instructions and seconds of
 * load per hook. Loaded back from a map value, the fields are unknown
 * scalars and every path meets in one state. The values are the same.
 */
static __always_inline const struct lg_subject *lg_launder(struct lg_scratch *sc,
							   const struct lg_subject *s)
{
	__builtin_memcpy(sc->subject, s, sizeof(*s));
	return (const struct lg_subject *)sc->subject;
}

/* @need is within @have. */
static __always_inline bool lg_has(__u32 have, __u32 need)
{
	return (have & need) == need;
}

/*
 * The check of a hook that asks @need_dir at the directory holding (@mnt,
 * @d) and @need_self at the entry itself. The event names the entry.
 */
static __always_inline int lg_check_entry(const struct lg_subject *s, enum lg_hook hook,
					  const struct vfsmount *mnt, const struct dentry *d,
					  bool leaf_new, __u32 need_dir, __u32 need_self)
{
	struct lg_scratch *sc = lg_scratch_claim();
	struct lg_rights r = {};
	__u8 reason, res;
	int ret;

	if (!sc)
		return lg_decide(s, hook, need_dir | need_self, LG_REASON_INTERNAL, NULL);
	/* Laundered like the subject: a constant per file type otherwise. */
	sc->need[0] = need_dir;
	sc->need[1] = need_self;
	s = lg_launder(sc, s);
	res = lg_rights_at(s, sc, mnt, d, leaf_new, &r);
	need_dir = sc->need[0];
	need_self = sc->need[1];
	/* Without a live grant the path is built only for the event. */
	reason = s->reason;
	if (reason == LG_REASON_NONE)
		reason = res;
	if (reason == LG_REASON_NONE && !(lg_has(r.dir, need_dir) && lg_has(r.self, need_self)))
		reason = LG_REASON_NOT_ALLOWED;
	ret = lg_decide(s, hook, need_dir | need_self, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

/*
 * ---- Hooks with a dentry and no mount ----------------------------------
 *
 * inode_setattr (utimes) and the xattr hooks see the file, not the path it
 * was reached by, so lg_check_entry() cannot name it. The paths the caller
 * could have used are those through the mounts of its own mount namespace
 * whose root is the file or one of its ancestors: lg_mounts_of() finds them
 * on the file's superblock's list of mounts (every namespace's mounts of
 * that filesystem are on it), lg_check_dentry() asks the rights at each.
 *
 * The list is read without mount_lock (BPF cannot take it), as the path
 * walk reads d_parent without rename_lock: a mount made or removed during
 * the search may be missed or seen, and the mounts it can see were made
 * by someone else (agents may not mount).
 */

/* s_mounts and mnt_instance: a list_head through every mount of a superblock (up to 6.x). */
struct mount___lg_list {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

struct super_block___lg_list {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));

/* 7.x: s_mounts is the first mount, each links the next through mnt_next_for_sb. */
struct mount___lg_chain {
	struct mount *mnt_next_for_sb;
} __attribute__((preserve_access_index));

struct super_block___lg_chain {
	struct mount *s_mounts;
} __attribute__((preserve_access_index));

/*
 * Which layout this kernel has: load-time constants (CO-RE), so that the
 * verifier never walks the branch of the other one, whose relocations fail.
 */
static __always_inline bool lg_sb_mounts_list(void)
{
	return bpf_core_field_exists(struct mount___lg_list, mnt_instance) &&
	       bpf_core_field_exists(struct super_block___lg_list, s_mounts);
}

static __always_inline bool lg_sb_mounts_chain(void)
{
	return bpf_core_field_exists(struct mount___lg_chain, mnt_next_for_sb) &&
	       bpf_core_field_exists(struct super_block___lg_chain, s_mounts);
}

/* The context of both loops of the search: the state is in sc->mscan. */
struct lg_scan {
	struct lg_scratch *sc;
};

/* One step up from sc->mscan.cur towards the filesystem's root. */
static long lg_mount_holds_cb(__u32 i, void *ctx)
{
	struct lg_mount_scan *m = &((struct lg_scan *)ctx)->sc->mscan;
	struct dentry *d = (struct dentry *)m->cur;
	struct dentry *parent;

	if (m->cur == m->root) {
		m->found = 1;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	m->cur = (__u64)parent;
	return 0;
}

/*
 * Is @root (a mount's root) sc->mscan.dentry or one of its ancestors? A
 * file deeper than LG_PATH_MAX_COMPONENTS names counts as held: the walk of
 * its path then denies it (path_too_deep), so the bound never allows.
 */
static __always_inline bool lg_mount_holds(struct lg_scan *ctx, __u64 root)
{
	struct lg_mount_scan *m = &ctx->sc->mscan;

	m->cur = m->dentry;
	m->root = root;
	m->found = 0;
	if (bpf_loop(LG_PATH_MAX_COMPONENTS, lg_mount_holds_cb, ctx, 0) == LG_PATH_MAX_COMPONENTS)
		return true;
	return m->found;
}

/* Visit one mount of the superblock: record it if it holds the file. */
static long lg_mounts_of_cb(__u32 i, void *ctx)
{
	struct lg_scratch *sc = ((struct lg_scan *)ctx)->sc;
	struct lg_mount_scan *m = &sc->mscan;
	struct list_head *node = (struct list_head *)m->next;
	struct mount *mnt;
	__u64 next;

	if (!m->next || m->next == m->head) {
		m->done = 1;
		return 1;
	}
	if (lg_sb_mounts_chain()) {
		/* Read through locals: a field read of m inside the macro would be relocated too. */
		struct mount___lg_chain *c = (struct mount___lg_chain *)m->next;

		mnt = (struct mount *)c;
		next = (__u64)BPF_CORE_READ(c, mnt_next_for_sb);
	} else {
		mnt = (struct mount *)((__u64)node -
				       bpf_core_field_offset(struct mount___lg_list, mnt_instance));
		next = (__u64)BPF_CORE_READ(node, next);
	}
	m->next = next;
	if ((__u64)BPF_CORE_READ(mnt, mnt_ns) != m->ns)
		return 0;
	if (!lg_mount_holds(ctx, (__u64)BPF_CORE_READ(mnt, mnt.mnt_root)))
		return 0;
	if (m->n >= LG_ATTR_MAX_PATHS) {
		m->full = 1;
		return 1;
	}
	/* The mask is the identity below LG_ATTR_MAX_PATHS; it bounds the index. */
	sc->mounts[m->n & (LG_ATTR_MAX_PATHS - 1)] =
		(__u64)mnt + bpf_core_field_offset(struct mount, mnt);
	m->n++;
	return 0;
}

/*
 * Find the mounts of the caller's mount namespace that hold @d into
 * sc->mounts, in the order of the superblock's list. Returns how many;
 * sc->mscan.full says there may be more (the list was longer than
 * LG_SB_MAX_MOUNTS, or more than LG_ATTR_MAX_PATHS held the file). A
 * kernel whose list is neither known layout finds none: a denial.
 */
static __always_inline __u32 lg_mounts_of(struct lg_scratch *sc, const struct dentry *d)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct lg_mount_scan *m = &sc->mscan;
	struct lg_scan ctx = { .sc = sc };
	struct super_block *sb = BPF_CORE_READ(d, d_sb);

	__builtin_memset(m, 0, sizeof(*m));
	m->ns = (__u64)BPF_CORE_READ(task, nsproxy, mnt_ns);
	m->dentry = (__u64)d;
	if (!sb || !m->ns)
		return 0;
	if (lg_sb_mounts_chain()) {
		m->next = (__u64)BPF_CORE_READ((struct super_block___lg_chain *)sb, s_mounts);
	} else if (lg_sb_mounts_list()) {
		m->head = (__u64)sb + bpf_core_field_offset(struct super_block___lg_list, s_mounts);
		m->next = (__u64)BPF_CORE_READ((struct super_block___lg_list *)sb, s_mounts.next);
	} else {
		return 0;
	}
	bpf_loop(LG_SB_MAX_MOUNTS, lg_mounts_of_cb, &ctx, 0);
	if (!m->done)
		m->full = 1;
	return m->n;
}

/* SB_NOUSER (include/linux/fs.h): a filesystem no one can mount (pipefs, sockfs, memfd's shmem). */
#define LG_SB_NOUSER (1u << 31)

/* The bpf_loop() context of the path checks of lg_check_dentry(). */
struct lg_paths {
	struct lg_scratch *sc;
	const struct lg_subject *s;
	const struct dentry *d;
};

/*
 * Check path @i: the file in the mount found last but @i, so that the path
 * and the reason the last check leaves for the event are the first
 * mount's. Stops at the first path granted the right.
 */
static long lg_check_path_cb(__u32 i, void *ctx)
{
	struct lg_paths *p = ctx;
	struct lg_scratch *sc = p->sc;
	struct lg_rights r = {};
	__u32 n = sc->mscan.n;
	__u8 res;

	if (i >= n || i >= LG_ATTR_MAX_PATHS)
		return 1;
	/* Identity for i < n <= LG_ATTR_MAX_PATHS; bounds the index for the verifier. */
	res = lg_rights_at(
		p->s, sc,
		(const struct vfsmount *)sc->mounts[(n - 1 - i) & (LG_ATTR_MAX_PATHS - 1)], p->d,
		false, &r);
	if (res == LG_REASON_NONE && lg_has(r.self, sc->need[1])) {
		sc->mscan.reason = LG_REASON_NONE;
		return 1;
	}
	sc->mscan.reason = res != LG_REASON_NONE ? res : LG_REASON_NOT_ALLOWED;
	return 0;
}

/*
 * The check of a hook that has only the dentry @d: @need at the file, at
 * every path the search finds. Allowed if some path is granted @need (the
 * agent could have used that one; the kernel itself checks the read-only
 * flag of the mount it was reached by). Otherwise denied with the reason
 * of the first path, and its path in the event; no path at all is
 * path_unresolved, a search cut short by a bound path_too_deep.
 *
 * The paths are checked in a bpf_loop() rather than a loop of the
 * program: the verifier walks the check once (6.12+: until the laundered
 * state converges) instead of once per path, which kept each of these
 * programs at seconds of load under emulation.
 *
 * A file of a filesystem no one can mount (SB_NOUSER: pipes, sockets,
 * memfds and anonymous shared memory) has no path any rule could name and
 * is not part of the tree, as path_truncate treats the internal mounts
 * (file_attr.bpf.c): allowed.
 */
static __always_inline int lg_check_dentry(const struct lg_subject *s, enum lg_hook hook,
					   const struct dentry *d, __u32 need)
{
	struct lg_paths p = { .d = d };
	struct lg_scratch *sc;
	__u8 reason;
	int ret;

	if (BPF_CORE_READ(d, d_sb, s_flags) & LG_SB_NOUSER)
		return lg_decide(s, hook, need, LG_REASON_NONE, NULL);
	sc = lg_scratch_claim();
	if (!sc)
		return lg_decide(s, hook, need, LG_REASON_INTERNAL, NULL);
	sc->need[1] = need;
	p.sc = sc;
	p.s = lg_launder(sc, s);
	lg_event_clear_target(&sc->ev, LG_TARGET_PATH);
	lg_mounts_of(sc, d);
	/* Stays so when no mount holds the file, or bpf_loop() fails. */
	sc->mscan.reason = LG_REASON_PATH_UNRESOLVED;
	bpf_loop(LG_ATTR_MAX_PATHS, lg_check_path_cb, &p, 0);
	reason = sc->mscan.reason;
	/* Without a live grant the paths are built only for the event. */
	if (p.s->reason != LG_REASON_NONE)
		reason = p.s->reason;
	else if (reason != LG_REASON_NONE && sc->mscan.full)
		reason = LG_REASON_PATH_TOO_DEEP;
	ret = lg_decide(p.s, hook, sc->need[1], reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

#endif /* LG_BPF_PATH_OPS_H */

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

#endif /* LG_BPF_PATH_OPS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/file_tree.bpf.c - the decisions that change the file tree: making,
 * removing, linking and renaming entries (security_path_* hooks, which may
 * not call bpf_d_path(): paths come from lib/path_walk.h).
 *
 * Making and removing ask a right at the directory of the entry. Link and
 * rename also ask that nothing becomes reachable with rights it did not
 * have: the rights the grant gives at the new path must be a subset of
 * those at the old one ("refer_widens" otherwise), and REFER at both
 * directories when they differ. A directory may not be moved to a path
 * below which rules lie (userspace marks such paths, LG_PATH_RULE_BELOW):
 * those rules would newly cover what the directory holds.
 */
#include "lib/path_ops.h"
#include "lib/verdict_cache.h"

/* The existing entry @d in @dir is removed: @need at @dir. */
static __always_inline int lg_remove(enum lg_hook hook, const struct path *dir,
				     const struct dentry *d, __u32 need)
{
	struct lg_subject s;

	if (!lg_subject_get(&s))
		return 0;
	return lg_check_entry(&s, hook, dir->mnt, d, false, need, 0);
}

/* The new entry @d of @mode is made in @dir. */
static __always_inline int lg_make(enum lg_hook hook, const struct path *dir,
				   const struct dentry *d, __u32 mode)
{
	struct lg_subject s;

	if (!lg_subject_get(&s))
		return 0;
	return lg_check_entry(&s, hook, dir->mnt, d, true, lg_make_right(mode), 0);
}

SEC("lsm/path_unlink")
int BPF_PROG(lg_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	/* Every process's unlink: a file may be left with another name. */
	lg_names_changed();
	return lg_remove(LG_HOOK_PATH_UNLINK, dir, dentry, LG_FILE_REMOVE_FILE);
}

SEC("lsm/path_rmdir")
int BPF_PROG(lg_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return lg_remove(LG_HOOK_PATH_RMDIR, dir, dentry, LG_FILE_REMOVE_DIR);
}

SEC("lsm/path_mkdir")
int BPF_PROG(lg_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return lg_make(LG_HOOK_PATH_MKDIR, dir, dentry, S_IFDIR);
}

/* Also open(O_CREAT), before the file exists: mode S_IFREG or 0. */
SEC("lsm/path_mknod")
int BPF_PROG(lg_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	if (ret)
		return ret;
	return lg_make(LG_HOOK_PATH_MKNOD, dir, dentry, mode);
}

SEC("lsm/path_symlink")
int BPF_PROG(lg_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	if (ret)
		return ret;
	return lg_make(LG_HOOK_PATH_SYMLINK, dir, dentry, S_IFLNK);
}

/**
 * struct lg_move - one link or rename being decided.
 * @from, @to:   rights at the old and at the new path.
 * @need:        the rights the failing check asked for (for the event).
 */
struct lg_move {
	struct lg_rights from;
	struct lg_rights to;
	__u32 need;
};

/* Rights without the marker bit: what a file reachable there may be done to. */
static __always_inline __u32 lg_rights_only(__u32 r)
{
	return r & ~LG_PATH_RULE_BELOW;
}

/*
 * After the move the file once at the path with rights @before is at the
 * path with rights @after; @is_dir: it is a directory. Returns the reason
 * this widens what the grant reaches, LG_REASON_NONE if it does not.
 */
static __always_inline __u8 lg_no_widening(__u32 before, __u32 after, bool is_dir)
{
	if (!lg_has(lg_rights_only(before), lg_rights_only(after)))
		return LG_REASON_REFER_WIDENS;
	if (is_dir && (after & LG_PATH_RULE_BELOW))
		return LG_REASON_REFER_WIDENS;
	return LG_REASON_NONE;
}

/*
 * The rights both ends ask. @old_mode, @new_mode: the entries' modes
 * (@new_mode 0 when nothing is at the new path); @exchange: both move;
 * @whiteout: a whiteout (a char device) is left at the old path;
 * @cross: the directories differ.
 */
static __always_inline __u8 lg_move_rights(struct lg_move *m, __u32 old_mode, __u32 new_mode,
					   bool exchange, bool whiteout, bool cross)
{
	__u32 need_from = lg_remove_right(old_mode);
	__u32 need_to = lg_make_right(old_mode);

	if (new_mode) {
		need_to |= lg_remove_right(new_mode);
		if (exchange)
			need_from |= lg_make_right(new_mode);
	}
	if (whiteout)
		need_from |= LG_FILE_MAKE_CHAR;
	if (cross) {
		need_from |= LG_FILE_REFER;
		need_to |= LG_FILE_REFER;
	}
	if (!lg_has(m->from.dir, need_from)) {
		m->need = need_from;
		return LG_REASON_NOT_ALLOWED;
	}
	m->need = need_to;
	return lg_has(m->to.dir, need_to) ? LG_REASON_NONE : LG_REASON_NOT_ALLOWED;
}

/*
 * Decide a move of @old (in @mnt) to @new in @new_dir, which is what link
 * (@is_link: the old name stays, nothing is removed) and rename share.
 * The event names the new path (the old one if the old path could not be
 * built).
 */
static __always_inline int lg_check_move(const struct lg_subject *s, enum lg_hook hook,
					 const struct vfsmount *mnt, const struct dentry *old,
					 const struct path *new_dir, const struct dentry *new,
					 __u32 flags, bool is_link)
{
	struct lg_scratch *sc = lg_scratch_claim();
	struct lg_move m = { .need = LG_FILE_REFER };
	__u32 old_mode, new_mode;
	bool exchange, cross;
	__u8 reason, res;
	int ret;

	if (!sc)
		return lg_decide(s, hook, m.need, LG_REASON_INTERNAL, NULL);
	s = lg_launder(sc, s);
	res = lg_rights_at(s, sc, mnt, old, false, &m.from);
	if (res == LG_REASON_NONE)
		res = lg_rights_at(s, sc, new_dir->mnt, new, !lg_dentry_mode(new), &m.to);
	/*
	 * What the move is made of is read after the walks: as 0/1 values
	 * live across them, each would double the states the verifier walks
	 * them in (see lg_launder()).
	 */
	old_mode = lg_dentry_mode(old);
	new_mode = lg_dentry_mode(new);
	exchange = !is_link && (flags & RENAME_EXCHANGE);
	cross = BPF_CORE_READ(old, d_parent) != new_dir->dentry;
	reason = s->reason;
	if (reason == LG_REASON_NONE)
		reason = res;
	if (reason == LG_REASON_NONE && is_link) {
		m.need = lg_make_right(old_mode) | (cross ? LG_FILE_REFER : 0);
		if (!lg_has(m.to.dir, m.need) || (cross && !lg_has(m.from.dir, LG_FILE_REFER)))
			reason = LG_REASON_NOT_ALLOWED;
	} else if (reason == LG_REASON_NONE) {
		reason = lg_move_rights(&m, old_mode, new_mode, exchange, flags & RENAME_WHITEOUT,
					cross);
	}
	if (reason == LG_REASON_NONE) {
		m.need = LG_FILE_REFER;
		reason = lg_no_widening(m.from.self, m.to.self, lg_mode_is_dir(old_mode));
	}
	/* Exchanged, the file at the new path comes to the old one. */
	if (reason == LG_REASON_NONE && exchange)
		reason = lg_no_widening(m.to.self, m.from.self, lg_mode_is_dir(new_mode));
	ret = lg_decide(s, hook, m.need, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

SEC("lsm/path_link")
int BPF_PROG(lg_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	/* Every process's link: the file gets another name. */
	lg_names_changed();
	if (!lg_subject_get(&s))
		return 0;
	/* link(2) refuses to cross mounts (EXDEV): the old file is in new_dir's. */
	return lg_check_move(&s, LG_HOOK_PATH_LINK, new_dir->mnt, old_dentry, new_dir, new_dentry,
			     0, true);
}

SEC("lsm/path_rename")
int BPF_PROG(lg_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	/*
	 * rename_lock tells the cache of every rename, but its 32-bit
	 * sequence wraps after 2^31 of them, which an agent could drive:
	 * the 64-bit epoch does not.
	 */
	lg_names_changed();
	if (!lg_subject_get(&s))
		return 0;
	return lg_check_move(&s, LG_HOOK_PATH_RENAME, old_dir->mnt, old_dentry, new_dir, new_dentry,
			     flags, false);
}

char LICENSE[] SEC("license") = "GPL";

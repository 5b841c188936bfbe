// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/file_attr.bpf.c - the decisions that change a file's attributes:
 * truncate(2) by path (TRUNCATE) and chmod/chown (CHANGE_ATTR), asked at
 * the file itself. Paths come from lib/path_walk.h: these hooks may not
 * call bpf_d_path().
 *
 * ftruncate(2) and open(O_TRUNC) need a descriptor open for writing, which
 * file_open already decided (WRITE_FILE; every rule kind that grants it
 * grants TRUNCATE too).
 *
 * Extended attributes, ACLs and utimes reach only dentry-based hooks (no
 * mount, no path a rule could name). The two xattr namespaces that change
 * who may access a file or what it grants, POSIX ACLs ("system.posix_acl_*")
 * and the LSMs' and file capabilities' "security.*", are denied to agents
 * outright (LG_REASON_CONFINED). Every other xattr name ("user.*",
 * "trusted.*") and utimes ask CHANGE_ATTR at the paths the agent can reach
 * the file by (lg_check_dentry() in lib/path_ops.h).
 *
 * Watches (inotify_add_watch, fanotify_mark) reveal the names made in a
 * folder: path_notify asks the read right at the watched path.
 */
#include "lib/path_ops.h"
#include "lib/confine.h"

/* LG_TARGET_OP of the xattr and ACL hooks (hooks.h). */
#define LG_XATTR_OP_UNREADABLE 0 /* the name could not be read */
#define LG_XATTR_OP_ACL 1 /* system.posix_acl_*, or an ACL hook */
#define LG_XATTR_OP_SECURITY 2 /* security.* */
#define LG_XATTR_OP_OTHER 3 /* any other namespace: asked at the file's paths */

/* Bytes of an xattr name read: more than the longest prefix compared. */
#define LG_XATTR_NAME_READ 32

static __always_inline bool lg_has_prefix(const char *name, const char *prefix, __u32 len)
{
	for (__u32 i = 0; i < len; i++)
		if (name[i] != prefix[i])
			return false;
	return true;
}

/*
 * setxattr/removexattr of @name on @dentry by an agent: ACL and security
 * names are denied, so is a name that cannot be read; other names ask
 * CHANGE_ATTR at the file's paths.
 */
static __always_inline int lg_xattr(enum lg_hook hook, const struct dentry *dentry,
				    const char *name)
{
	__u32 op = LG_XATTR_OP_UNREADABLE;
	struct lg_scratch *sc;
	struct lg_subject s;
	int ret;

	if (!lg_subject_get(&s))
		return 0;
	sc = lg_scratch_claim();
	if (!sc)
		return lg_decide(&s, hook, LG_FILE_CHANGE_ATTR, LG_REASON_INTERNAL, NULL);
	if (bpf_probe_read_kernel_str(sc->ev.target, LG_XATTR_NAME_READ, name) > 0) {
		/* A shorter name ends in a NUL, which no prefix byte matches. */
		if (lg_has_prefix(sc->ev.target, "system.posix_acl_", 17))
			op = LG_XATTR_OP_ACL;
		else if (lg_has_prefix(sc->ev.target, "security.", 9))
			op = LG_XATTR_OP_SECURITY;
		else
			op = LG_XATTR_OP_OTHER;
	}
	if (op == LG_XATTR_OP_OTHER) {
		/* lg_check_dentry() claims a slot of its own. */
		lg_scratch_release(sc);
		return lg_check_dentry(&s, hook, dentry, LG_FILE_CHANGE_ATTR);
	}
	lg_event_clear_target(&sc->ev, LG_TARGET_OP);
	sc->ev.target_domain = op;
	ret = lg_decide(&s, hook, LG_FILE_CHANGE_ATTR, LG_REASON_CONFINED, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

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

/*
 * The first argument is a struct user_namespace * on 6.1 and a struct
 * mnt_idmap * on 6.3+; the dentry and the name follow on every kernel.
 */
SEC("lsm/inode_setxattr")
int BPF_PROG(lg_inode_setxattr, void *idmap, struct dentry *dentry, const char *name,
	     const void *value, __u64 size, int flags, int ret)
{
	if (ret)
		return ret;
	return lg_xattr(LG_HOOK_INODE_SETXATTR, dentry, name);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(lg_inode_removexattr, void *idmap, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return lg_xattr(LG_HOOK_INODE_REMOVEXATTR, dentry, name);
}

#define MAX_ERRNO 4095

/* struct iattr.ia_valid bits (include/linux/fs.h), the same on every kernel since 4.9. */
#define ATTR_MODE (1u << 0)
#define ATTR_UID (1u << 1)
#define ATTR_GID (1u << 2)
#define ATTR_SIZE (1u << 3)
#define ATTR_ATIME (1u << 4)
#define ATTR_MTIME (1u << 5)
#define ATTR_ATIME_SET (1u << 7)
#define ATTR_MTIME_SET (1u << 8)
#define ATTR_TIMES_SET (1u << 16)
#define ATTR_TOUCH (1u << 17)

/* What utimes(2), utimensat(2) and futimens(3) set (vfs_utimes()). */
#define LG_ATTR_TIMES \
	(ATTR_ATIME | ATTR_MTIME | ATTR_ATIME_SET | ATTR_MTIME_SET | ATTR_TIMES_SET | ATTR_TOUCH)
/* What path_chmod, path_chown and path_truncate (or file_open) decided already. */
#define LG_ATTR_DECIDED (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_SIZE)

/*
 * Every change of a file's attributes passes notify_change() and this
 * hook; only a change of its times is decided here. A mode, owner or size
 * change was decided at its path by the hooks above. What remains passes:
 * a write that drops set-id bits (ATTR_KILL_SUID/SGID/PRIV, with ATTR_MODE
 * once the kernel has turned them into a mode), and a ctime-only update,
 * which sets the time to now and backdates nothing.
 *
 * The hook's arguments are (dentry, attr) on 6.1 and (idmap, dentry, attr)
 * on 6.8+, so they are read by position from the end (bpf_get_func_arg())
 * rather than named: a fixed context offset would be out of range on one
 * of them and the program would not load. The verdict of the BPF program
 * before this one is the slot after the arguments (bpf_get_func_ret()).
 */
SEC("lsm/inode_setattr")
int lg_inode_setattr(__u64 *ctx)
{
	__u64 nargs = bpf_get_func_arg_cnt(ctx);
	__u64 dentry = 0, attr = 0, prev = 0;
	struct lg_subject s;
	__u32 valid;

	/*
	 * 6.12+ check that an LSM program returns 0 or an errno; the helper's
	 * value is an unknown to the verifier, so the range is spelled out.
	 */
	if (bpf_get_func_ret(ctx, &prev) == 0 && (int)prev)
		return (int)prev < 0 && (int)prev >= -MAX_ERRNO ? (int)prev : -EACCES;
	if (nargs < 2 || bpf_get_func_arg(ctx, nargs - 1, &attr) ||
	    bpf_get_func_arg(ctx, nargs - 2, &dentry) || !attr || !dentry) {
		/* Cannot happen on a kernel the hook loads on; denied for agents if it does. */
		if (!lg_subject_get(&s))
			return 0;
		return lg_decide(&s, LG_HOOK_INODE_SETATTR, LG_FILE_CHANGE_ATTR, LG_REASON_INTERNAL,
				 NULL);
	}
	valid = BPF_CORE_READ((struct iattr *)attr, ia_valid);
	if (!(valid & LG_ATTR_TIMES) || (valid & LG_ATTR_DECIDED))
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	return lg_check_dentry(&s, LG_HOOK_INODE_SETATTR, (const struct dentry *)dentry,
			       LG_FILE_CHANGE_ATTR);
}

/*
 * 6.2+ set and remove POSIX ACLs here instead of through the xattr hooks
 * (6.1 has neither hook: its ACLs are the xattr hooks' system.posix_acl_*).
 * Every ACL change by an agent is denied.
 */
SEC("lsm/inode_set_acl")
int BPF_PROG(lg_inode_set_acl, void *idmap, struct dentry *dentry, const char *acl_name, void *kacl,
	     int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_INODE_SET_ACL, LG_FILE_CHANGE_ATTR, LG_XATTR_OP_ACL);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(lg_inode_remove_acl, void *idmap, struct dentry *dentry, const char *acl_name, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_INODE_REMOVE_ACL, LG_FILE_CHANGE_ATTR, LG_XATTR_OP_ACL);
}

/*
 * inotify_add_watch and fanotify_mark: a watch reports the names made and
 * removed in a folder (or a file's changes), so it asks what listing the
 * folder (reading the file) asks. Mount and filesystem marks need
 * CAP_SYS_ADMIN, which agents do not have.
 */
SEC("lsm/path_notify")
int BPF_PROG(lg_path_notify, const struct path *path, __u64 mask, unsigned int obj_type, int ret)
{
	struct lg_subject s;
	__u32 need;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	need = lg_mode_is_dir(lg_dentry_mode(path->dentry)) ? LG_FILE_READ_DIR : LG_FILE_READ_FILE;
	return lg_check_entry(&s, LG_HOOK_PATH_NOTIFY, path->mnt, path->dentry, false, 0, need);
}

char LICENSE[] SEC("license") = "GPL";

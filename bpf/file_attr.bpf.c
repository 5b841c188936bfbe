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
 * Extended attributes and ACLs reach only dentry-based hooks (no mount, no
 * path a rule could name). The two namespaces that change who may access a
 * file or what it grants, POSIX ACLs ("system.posix_acl_*") and the LSMs'
 * and file capabilities' "security.*", are denied to agents outright
 * (LG_REASON_CONFINED); "user.*" and "trusted.*" xattrs and utimes are not
 * mediated (docs/rules.md, "Known gaps of the file boundary").
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
#define LG_XATTR_OP_OTHER 3 /* any other namespace: allowed */

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
 * setxattr/removexattr of @name by an agent: ACL and security names are
 * denied, so is a name that cannot be read; other names are allowed.
 */
static __always_inline int lg_xattr(enum lg_hook hook, const char *name)
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
		lg_scratch_release(sc);
		return lg_decide(&s, hook, LG_FILE_CHANGE_ATTR, LG_REASON_NONE, NULL);
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
	return lg_xattr(LG_HOOK_INODE_SETXATTR, name);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(lg_inode_removexattr, void *idmap, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return lg_xattr(LG_HOOK_INODE_REMOVEXATTR, name);
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

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
 *
 * Some ioctls change a file's attributes or state through a descriptor
 * open for reading only (chattr, fs-verity, an encryption policy):
 * ioctl_attr asks CHANGE_ATTR at the file, like chmod. A lease
 * (fcntl_lease) makes every other opener of the file wait for its holder
 * for lease-break-time, so it asks WRITE_FILE, like the writes it delays.
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

/* How lg_attr_ioctl() treats a command. */
enum lg_ioc {
	LG_IOC_NONE, /* not an attribute change: not decided here */
	LG_IOC_VFS, /* the VFS's own, on any type of file: CHANGE_ATTR */
	LG_IOC_FS, /* a filesystem's, on a regular file or directory: CHANGE_ATTR */
	LG_IOC_FS_CONFINED, /* a filesystem's, refused to agents (CONFINED) */
};

/*
 * The ioctls that change a file's attributes or state without writing it:
 * none needs a descriptor open for writing, and a root agent passes the
 * owner checks they make. Each is listed with its 32-bit number where that
 * differs: before 6.8 a 32-bit process's ioctls reach file_ioctl with the
 * compat number, from 6.8 on file_ioctl_compat, and a 32-bit process may
 * use either number on every kernel, so both hooks match both.
 *
 * The VFS handles FS_IOC_SETFLAGS and FS_IOC_FSSETXATTR before any driver
 * sees them, on every type of file whose filesystem has fileattr_set: they
 * are decided on device nodes and fifos of the tree too. The others reach
 * the filesystem only for regular files and directories (a driver may give
 * the same number another meaning).
 *
 * Not listed: FS_IOC_SETFSLABEL, EXT4_IOC_SETFSUUID, FIFREEZE, the
 * shutdown and checkpoint ioctls (CAP_SYS_ADMIN, which agents lack);
 * FICLONE, FICLONERANGE, fallocate's FS_IOC_RESVSP (the kernel asks a
 * descriptor open for writing); FIDEDUPERANGE (shares extents of files
 * that are equal already: no content changes); FS_IOC_ADD_ENCRYPTION_KEY
 * (unlocks only files whose key the caller has; the files stay behind
 * their rules).
 */
static __always_inline enum lg_ioc lg_attr_ioctl(unsigned int cmd)
{
	switch (cmd) {
	/*
	 * chattr: +d (dump skips it), +A, +S, +D, +P, +F; +i (immutable) and
	 * +a (append only) also need CAP_LINUX_IMMUTABLE, which the capable
	 * hook denies agents after this decision.
	 */
	case 0x40086602: /* FS_IOC_SETFLAGS */
	case 0x40046602: /* FS_IOC32_SETFLAGS */
	case 0x401c5820: /* FS_IOC_FSSETXATTR: the same flags, project id, extent size */
		return LG_IOC_VFS;
	case 0x40087602: /* FS_IOC_SETVERSION: the inode generation (ext2/4) */
	case 0x40047602: /* FS_IOC32_SETVERSION */
	case 0x40086604: /* EXT4_IOC_SETVERSION */
	case 0x40046604: /* EXT4_IOC32_SETVERSION */
	case 0x00006609: /* EXT4_IOC_MIGRATE: block map to extents, on disk */
	case 0x40806685: /* FS_IOC_ENABLE_VERITY: asks a read-only fd, makes the file immutable */
	case 0x800c6613: /* FS_IOC_SET_ENCRYPTION_POLICY: an empty folder's new files */
	case 0x4008941a: /* BTRFS_IOC_SUBVOL_SETFLAGS: a subvolume read-only */
		return LG_IOC_FS;
	case 0xc0406618: /* FS_IOC_REMOVE_ENCRYPTION_KEY: locks the files of the key */
	case 0xc0406619: /* FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS: every user's */
		/*
		 * The key is the filesystem's, not the file's: removing it
		 * locks every file it unlocked, whoever uses them, and a
		 * root agent is the host root's user. No path rule says
		 * which files those are.
		 */
		return LG_IOC_FS_CONFINED;
	}
	return LG_IOC_NONE;
}

/*
 * A file no rule can name (a pipe, a socket, an anonymous inode, a memfd:
 * their mounts are kernel-internal) is not the file tree; nor, for a
 * filesystem's ioctl, a file that is neither regular nor a directory: its
 * driver's ioctls are not attribute changes.
 */
static __always_inline bool lg_ioc_of_tree(const struct file *file, enum lg_ioc how)
{
	__u32 mode;

	if (BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL)
		return false;
	if (how == LG_IOC_VFS)
		return true;
	mode = BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
	return mode == S_IFREG || mode == S_IFDIR;
}

static __always_inline int lg_ioctl_attr_decide(enum lg_hook hook, struct file *file,
						unsigned int cmd)
{
	enum lg_ioc how = lg_attr_ioctl(cmd);
	struct lg_subject s;

	/* The only cost for non-agents and for every other ioctl. */
	if (how == LG_IOC_NONE)
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	if (!lg_ioc_of_tree(file, how))
		return lg_decide(&s, hook, LG_FILE_CHANGE_ATTR, LG_REASON_NONE, NULL);
	if (how == LG_IOC_FS_CONFINED)
		return lg_confine_decide(&s, hook, LG_FILE_CHANGE_ATTR, LG_REASON_CONFINED,
					 LG_TARGET_OP, cmd);
	return lg_check_entry(&s, hook, file->f_path.mnt, file->f_path.dentry, false, 0,
			      LG_FILE_CHANGE_ATTR);
}

SEC("lsm/file_ioctl")
int BPF_PROG(lg_ioctl_attr, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	return lg_ioctl_attr_decide(LG_HOOK_IOCTL_ATTR, file, cmd);
}

/* 32-bit ioctls on 6.8+: the same table (see lg_attr_ioctl()). */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(lg_ioctl_attr_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	return lg_ioctl_attr_decide(LG_HOOK_IOCTL_ATTR_COMPAT, file, cmd);
}

#define F_SETLEASE 1024
#define F_SETDELEG (1024 + 16)
#define F_UNLCK 2

/*
 * F_SETLEASE: while a lease is held, every other open() of the file (a
 * read lease: every open for writing, and truncate) waits until its
 * holder lets go, or lease-break-time (45 s by default) passes. The
 * kernel asks only that the caller own the file, which a root agent does
 * for root's files, on a descriptor open for reading. So a lease asks
 * WRITE_FILE at the file: it delays the writers of a file as a writer
 * could. Releasing (F_UNLCK) is always allowed; any other value asks
 * the right too (the kernel refuses it). A file on a kernel-internal
 * mount (a memfd) is not the file tree.
 *
 * F_SETDELEG (7.x) sets the same on a file, and on a folder a delegation
 * that makes every unlink and rename in it wait: a file's asks WRITE_FILE,
 * a folder's REMOVE_FILE there (what it delays). Its type is in user
 * memory the kernel reads after this hook, so it is never trusted: an
 * F_UNLCK delegation asks the right too (close() releases one anyway).
 *
 * The other locks block no open(), read() or write(): F_SETLK, F_OFD_SETLK
 * and flock() are advisory (mandatory locking is gone since 5.15) and
 * stall only processes that take the same locks.
 */
SEC("lsm/file_fcntl")
int BPF_PROG(lg_fcntl_lease, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	__u32 need = LG_FILE_WRITE_FILE;
	struct lg_subject s;

	if (ret)
		return ret;
	if (cmd != F_SETDELEG && (cmd != F_SETLEASE || (int)arg == F_UNLCK))
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	if (cmd == F_SETDELEG && lg_mode_is_dir(BPF_CORE_READ(file, f_inode, i_mode)))
		need = LG_FILE_REMOVE_FILE;
	if (BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL)
		return lg_decide(&s, LG_HOOK_FCNTL_LEASE, need, LG_REASON_NONE, NULL);
	return lg_check_entry(&s, LG_HOOK_FCNTL_LEASE, file->f_path.mnt, file->f_path.dentry, false,
			      0, need);
}

/*
 * file_setattr(2) (7.x) sets by path what FS_IOC_FSSETXATTR sets through a
 * descriptor (the inode flags, the project id), with no open and no
 * ioctl: it asks CHANGE_ATTR at the file's paths, as the xattr hooks do.
 * Kernels before it lack the hook and the syscall alike (not enforced
 * there: nothing to decide). The flags are the kernel's struct file_kattr,
 * not in this build's vmlinux.h and not read.
 */
SEC("lsm/inode_file_setattr")
int BPF_PROG(lg_inode_file_setattr, struct dentry *dentry, void *fa, int ret)
{
	struct lg_subject s;

	if (ret)
		return ret;
	if (!lg_subject_get(&s))
		return 0;
	return lg_check_dentry(&s, LG_HOOK_INODE_FILE_SETATTR, dentry, LG_FILE_CHANGE_ATTR);
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/hooks.h - the hook registry: the one list of livegrant's hooks.
 *
 * Everything that has to agree about the hooks comes from LG_HOOK_TABLE:
 * enum lg_hook (the id in events and counters, BPF and userspace), the
 * stable names in logs, JSON and metrics (names.c), the BPF program the
 * loader expects, the LSM hook it attaches to and the kernel feature probe
 * (loader.c: the kernel's BTF must have bpf_lsm_<lsm hook>).
 *
 * Adding a hook: write bpf/<name>.bpf.c with one SEC("lsm/<lsm hook>")
 * program, then add one row at the END of the table (ids are ABI: never
 * reorder or reuse a row). Nothing else lists hooks.
 *
 * Columns: X(ID, name, program, lsm hook, class, flags)
 *   ID        suffix of LG_HOOK_<ID>
 *   name      stable name ("file_open"): never rename, only add
 *   program   the BPF program's name in bpf/ (and its pin name)
 *   lsm hook  the LSM hook, as in SEC("lsm/<lsm hook>")
 *   class     FILE, NET or SYS: the space of the rights it checks (LG_CLASS_*
 *             in abi.h; lg_event.access is in that space)
 *   flags     LG_HOOK_F_*
 */
#ifndef LIVEGRANT_HOOKS_H
#define LIVEGRANT_HOOKS_H

#include "limits.h"

/*
 * LG_HOOK_F_REQUIRED: livegrant refuses to run on a kernel without this
 * hook (the boundary would have a hole nobody asked for). Without the flag
 * a kernel that lacks the hook runs without it, and check-kernel and
 * status say which hook is not enforced there.
 */
#define LG_HOOK_F_REQUIRED 1u

/*
 * The confinement hooks (docs/threat-model.md): what a root agent may do to
 * livegrant, other processes and the host. Class SYS: no rule grants these.
 * LG_TARGET_OP events carry in target_domain: bpf the bpf() command,
 * task_alloc the clone flags refused (low 32 bits), kernel_read_file and
 * kernel_load_data the kernel's id of what is loaded, syslog the action,
 * quotactl the command, key_permission the permission asked for,
 * fcntl_setown and ioctl_setown the command, bpf_map_mmap the protection.
 */
#define LG_HOOK_TABLE_CONFINE(X)                                                                   \
	X(BPF, "bpf", lg_bpf, bpf, SYS, LG_HOOK_F_REQUIRED)                                        \
	X(CAPABLE, "capable", lg_capable, capable, SYS, LG_HOOK_F_REQUIRED)                        \
	X(TASK_ALLOC, "task_alloc", lg_task_alloc, task_alloc, SYS, LG_HOOK_F_REQUIRED)            \
	X(USERNS_CREATE, "userns_create", lg_userns_create, userns_create, SYS, 0)                 \
	X(SB_MOUNT, "sb_mount", lg_sb_mount, sb_mount, SYS, 0)                                     \
	X(SB_UMOUNT, "sb_umount", lg_sb_umount, sb_umount, SYS, 0)                                 \
	X(SB_PIVOTROOT, "sb_pivotroot", lg_sb_pivotroot, sb_pivotroot, SYS, 0)                     \
	X(PATH_CHROOT, "path_chroot", lg_path_chroot, path_chroot, SYS, 0)                         \
	X(MOVE_MOUNT, "move_mount", lg_move_mount, move_mount, SYS, 0)                             \
	X(TASK_KILL, "task_kill", lg_task_kill, task_kill, SYS, LG_HOOK_F_REQUIRED)                \
	X(PTRACE, "ptrace_access", lg_ptrace_access, ptrace_access_check, SYS, LG_HOOK_F_REQUIRED) \
	X(TRACEME, "ptrace_traceme", lg_ptrace_traceme, ptrace_traceme, SYS, LG_HOOK_F_REQUIRED)   \
	X(SETNICE, "task_setnice", lg_task_setnice, task_setnice, SYS, 0)                          \
	X(SETIOPRIO, "task_setioprio", lg_task_setioprio, task_setioprio, SYS, 0)                  \
	X(SETSCHED, "task_setscheduler", lg_task_setscheduler, task_setscheduler, SYS, 0)          \
	X(PRLIMIT, "task_prlimit", lg_task_prlimit, task_prlimit, SYS, 0)                          \
	X(MOVEMEMORY, "task_movememory", lg_task_movememory, task_movememory, SYS, 0)              \
	X(PERF, "perf_event_open", lg_perf_event_open, perf_event_open, SYS, 0)                    \
	X(MODULE_REQUEST, "module_request", lg_module_request, kernel_module_request, SYS, 0)      \
	X(READ_FILE, "kernel_read_file", lg_kernel_read_file, kernel_read_file, SYS, 0)            \
	X(LOAD_DATA, "kernel_load_data", lg_kernel_load_data, kernel_load_data, SYS, 0)            \
	X(SETTIME, "settime", lg_settime, settime, SYS, 0)                                         \
	X(KEY_ALLOC, "key_alloc", lg_key_alloc, key_alloc, SYS, 0)                                 \
	X(KEY_PERMISSION, "key_permission", lg_key_permission, key_permission, SYS, 0)             \
	X(SYSLOG, "syslog", lg_syslog, syslog, SYS, 0)                                             \
	X(QUOTACTL, "quotactl", lg_quotactl, quotactl, SYS, 0)                                     \
	X(FCNTL_SETOWN, "fcntl_setown", lg_fcntl_setown, file_fcntl, SYS, 0)                       \
	X(IOCTL_SETOWN, "ioctl_setown", lg_ioctl_setown, file_ioctl, SYS, 0)                       \
	X(IOCTL_SETOWN_COMPAT, "ioctl_setown_compat", lg_ioctl_setown_compat, file_ioctl_compat,   \
	  SYS, 0)                                                                                  \
	X(BPF_MAP_MMAP, "bpf_map_mmap", lg_bpf_map_mmap, mmap_file, SYS, 0)                        \
	X(IPC_PERMISSION, "ipc_permission", lg_ipc_permission, ipc_permission, SYS, 0)             \
	X(SHM_SHMCTL, "shm_shmctl", lg_shm_shmctl, shm_shmctl, SYS, 0)                             \
	X(MSG_QUEUE_MSGCTL, "msg_queue_msgctl", lg_msg_queue_msgctl, msg_queue_msgctl, SYS, 0)     \
	X(SEM_SEMCTL, "sem_semctl", lg_sem_semctl, sem_semctl, SYS, 0)

/*
 * Extended attributes, ACLs, watches, utimes and attribute ioctls
 * (bpf/file_attr.bpf.c). The xattr, ACL and setattr hooks have a dentry,
 * not a path: they deny agents the POSIX ACL and security.* namespaces
 * outright (LG_REASON_CONFINED), with LG_TARGET_OP events whose
 * target_domain is 0 (name unreadable), 1 (an ACL) or 2 (a security.*
 * xattr); other xattr names and inode_setattr (time changes only) ask
 * change_attr at the paths the agent can reach the file by, with
 * LG_TARGET_PATH events. inode_set_acl and inode_remove_acl are 6.2+ (on
 * 6.1 ACLs pass the xattr hooks). path_notify asks the read right at the
 * watched path. ioctl_attr and ioctl_attr_compat (6.8+) ask CHANGE_ATTR at
 * the file for the ioctls that change its attributes (chattr, fs-verity,
 * encryption policy); their LG_TARGET_OP events (the encryption key
 * removals, refused outright) carry the command. fcntl_lease asks
 * WRITE_FILE at the file for F_SETLEASE and F_SETDELEG (a folder's
 * delegation REMOVE_FILE). inode_file_setattr (7.x: file_setattr(2)) asks
 * change_attr at the file's paths.
 */
#define LG_HOOK_TABLE_FILE_ATTR(X)                                                               \
	X(INODE_SETXATTR, "inode_setxattr", lg_inode_setxattr, inode_setxattr, FILE, 0)          \
	X(INODE_REMOVEXATTR, "inode_removexattr", lg_inode_removexattr, inode_removexattr, FILE, \
	  0)                                                                                     \
	X(INODE_SET_ACL, "inode_set_acl", lg_inode_set_acl, inode_set_acl, FILE, 0)              \
	X(INODE_REMOVE_ACL, "inode_remove_acl", lg_inode_remove_acl, inode_remove_acl, FILE, 0)  \
	X(PATH_NOTIFY, "path_notify", lg_path_notify, path_notify, FILE, 0)                      \
	X(IOCTL_ATTR, "ioctl_attr", lg_ioctl_attr, file_ioctl, FILE, 0)                          \
	X(IOCTL_ATTR_COMPAT, "ioctl_attr_compat", lg_ioctl_attr_compat, file_ioctl_compat, FILE, \
	  0)                                                                                     \
	X(FCNTL_LEASE, "fcntl_lease", lg_fcntl_lease, file_fcntl, FILE, 0)                       \
	X(INODE_SETATTR, "inode_setattr", lg_inode_setattr, inode_setattr, FILE, 0)              \
	X(INODE_FILE_SETATTR, "inode_file_setattr", lg_inode_file_setattr, inode_file_setattr,   \
	  FILE, 0)

/*
 * The listening side of the network boundary and unix peers
 * (bpf/listen.bpf.c): socket_bind asks the listen rules' bind right for the
 * local address and port (an abstract unix name as "@name"; a netlink bind
 * to multicast groups is refused), socket_listen their listen right for
 * the address the socket listens on, and unix_may_send the connect rules'
 * send right for the name the peer of a unix datagram is bound at.
 */
#define LG_HOOK_TABLE_NET_LISTEN(X)                                                         \
	X(SOCKET_BIND, "socket_bind", lg_socket_bind, socket_bind, NET, LG_HOOK_F_REQUIRED) \
	X(SOCKET_LISTEN, "socket_listen", lg_socket_listen, socket_listen, NET,             \
	  LG_HOOK_F_REQUIRED)                                                               \
	X(UNIX_MAY_SEND, "unix_may_send", lg_unix_may_send, unix_may_send, NET, LG_HOOK_F_REQUIRED)

#define LG_HOOK_TABLE_CORE(X)                                                                    \
	X(EXEC, "exec", lg_exec, bprm_check_security, FILE, LG_HOOK_F_REQUIRED)                  \
	X(FILE_OPEN, "file_open", lg_file_open, file_open, FILE, LG_HOOK_F_REQUIRED)             \
	X(CONNECT, "connect", lg_connect, socket_connect, NET, LG_HOOK_F_REQUIRED)               \
	X(SENDMSG, "sendmsg", lg_sendmsg, socket_sendmsg, NET, LG_HOOK_F_REQUIRED)               \
	X(SOCKET, "socket_create", lg_socket_create, socket_create, NET, LG_HOOK_F_REQUIRED)     \
	X(SETSOCKOPT, "setsockopt", lg_setsockopt, socket_setsockopt, NET, LG_HOOK_F_REQUIRED)   \
	X(MMAP_EXEC, "mmap_exec", lg_mmap_file, mmap_file, FILE, LG_HOOK_F_REQUIRED)             \
	X(MPROTECT_EXEC, "mprotect_exec", lg_file_mprotect, file_mprotect, FILE,                 \
	  LG_HOOK_F_REQUIRED)                                                                    \
	X(PATH_UNLINK, "path_unlink", lg_path_unlink, path_unlink, FILE, LG_HOOK_F_REQUIRED)     \
	X(PATH_RMDIR, "path_rmdir", lg_path_rmdir, path_rmdir, FILE, LG_HOOK_F_REQUIRED)         \
	X(PATH_MKDIR, "path_mkdir", lg_path_mkdir, path_mkdir, FILE, LG_HOOK_F_REQUIRED)         \
	X(PATH_MKNOD, "path_mknod", lg_path_mknod, path_mknod, FILE, LG_HOOK_F_REQUIRED)         \
	X(PATH_SYMLINK, "path_symlink", lg_path_symlink, path_symlink, FILE, LG_HOOK_F_REQUIRED) \
	X(PATH_LINK, "path_link", lg_path_link, path_link, FILE, LG_HOOK_F_REQUIRED)             \
	X(PATH_RENAME, "path_rename", lg_path_rename, path_rename, FILE, LG_HOOK_F_REQUIRED)     \
	X(PATH_TRUNCATE, "path_truncate", lg_path_truncate, path_truncate, FILE,                 \
	  LG_HOOK_F_REQUIRED)                                                                    \
	X(PATH_CHMOD, "path_chmod", lg_path_chmod, path_chmod, FILE, LG_HOOK_F_REQUIRED)         \
	X(PATH_CHOWN, "path_chown", lg_path_chown, path_chown, FILE, LG_HOOK_F_REQUIRED)         \
	X(UNIX_CONNECT, "unix_connect", lg_unix_connect, unix_stream_connect, NET,               \
	  LG_HOOK_F_REQUIRED)                                                                    \
	X(SOCK_WRITE, "sock_write", lg_sock_write, file_permission, NET, LG_HOOK_F_REQUIRED)     \
	LG_HOOK_TABLE_CONFINE(X)                                                                 \
	LG_HOOK_TABLE_FILE_ATTR(X)                                                               \
	LG_HOOK_TABLE_NET_LISTEN(X)

/*
 * A build for the upgrade test (make LG_TEST_EXTRA_HOOK=1) carries two more
 * programs, tests/bpf/extra_hook.bpf.c: the next hook, as a real upgrade
 * would bring it, and one whose LSM hook no kernel has, which the feature
 * probe must leave out and report as not enforced.
 */
#ifdef LG_TEST_EXTRA_HOOK
#define LG_HOOK_TABLE_TEST(X)                                              \
	X(TEST_EXTRA, "test_extra", lg_test_extra, inode_getattr, FILE, 0) \
	X(TEST_MISSING, "test_missing", lg_test_missing, livegrant_test_no_such_hook, FILE, 0)
#else
#define LG_HOOK_TABLE_TEST(X)
#endif

#define LG_HOOK_TABLE(X) LG_HOOK_TABLE_CORE(X) LG_HOOK_TABLE_TEST(X)

/* The hook that made a decision. */
enum lg_hook {
#define LG_HOOK_ENUM(id, name, prog, lsm, class, flags) LG_HOOK_##id,
	LG_HOOK_TABLE(LG_HOOK_ENUM)
#undef LG_HOOK_ENUM
		LG_HOOK_MAX,
};

/*
 * Counters are sized by LG_HOOK_CAPACITY, not by LG_HOOK_MAX, so that a
 * build with more hooks keeps the same counter map and can adopt the pins
 * of the build before it (no reload gap, counters kept). The capacity also
 * bounds userspace's hook sets (hook_set.h) and the programs a pin
 * manifest lists (manifest.h); raising it changes the counter map, so it
 * comes with a new LG_ABI_VERSION (128 since ABI 6).
 */
_Static_assert(LG_HOOK_MAX <= LG_HOOK_CAPACITY, "more hooks than LG_HOOK_CAPACITY");

#endif /* LIVEGRANT_HOOKS_H */

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
 *   class     FILE or NET: the space of the rights it checks (LG_CLASS_*
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

#define LG_HOOK_TABLE_CORE(X)                                                                  \
	X(EXEC, "exec", lg_exec, bprm_check_security, FILE, LG_HOOK_F_REQUIRED)                \
	X(FILE_OPEN, "file_open", lg_file_open, file_open, FILE, LG_HOOK_F_REQUIRED)           \
	X(CONNECT, "connect", lg_connect, socket_connect, NET, LG_HOOK_F_REQUIRED)             \
	X(SENDMSG, "sendmsg", lg_sendmsg, socket_sendmsg, NET, LG_HOOK_F_REQUIRED)             \
	X(SOCKET, "socket_create", lg_socket_create, socket_create, NET, LG_HOOK_F_REQUIRED)   \
	X(SETSOCKOPT, "setsockopt", lg_setsockopt, socket_setsockopt, NET, LG_HOOK_F_REQUIRED) \
	X(UNIX_CONNECT, "unix_connect", lg_unix_connect, unix_stream_connect, NET,             \
	  LG_HOOK_F_REQUIRED)                                                                  \
	X(SOCK_WRITE, "sock_write", lg_sock_write, file_permission, NET, LG_HOOK_F_REQUIRED)

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
 * of the build before it (no reload gap, counters kept).
 */
_Static_assert(LG_HOOK_MAX <= LG_HOOK_CAPACITY, "more hooks than LG_HOOK_CAPACITY");

#endif /* LIVEGRANT_HOOKS_H */

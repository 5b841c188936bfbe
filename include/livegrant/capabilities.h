/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/capabilities.h - which capabilities an agent keeps.
 *
 * The one table of the capable hook (bpf/capability.bpf.c) and of
 * docs/threat-model.md: an agent keeps a capability only when its row says
 * KEEP; every other capability, including one this table does not know
 * (a newer kernel's), is denied, in every user namespace. A kept capability
 * is one whose effects another livegrant decision already governs (the file
 * grant, the kill hook) or that reaches nothing outside the agent.
 *
 * Columns: X(number, name, KEEP or DENY, why). Numbers are the kernel's
 * (include/uapi/linux/capability.h), names are the kernel's in lower case.
 */
#ifndef LIVEGRANT_CAPABILITIES_H
#define LIVEGRANT_CAPABILITIES_H

#define LG_CAP_KEEP 1
#define LG_CAP_DENY 0

#define LG_CAPABILITY_TABLE(X)                                                                \
	X(0, "cap_chown", KEEP, "file ownership: the file grant governs which files")         \
	X(1, "cap_dac_override", KEEP, "file permission bits: the file grant governs access") \
	X(2, "cap_dac_read_search", DENY, "open_by_handle_at opens files without a path")     \
	X(3, "cap_fowner", KEEP, "owner checks (chmod, utimes): the file grant governs them") \
	X(4, "cap_fsetid", KEEP, "keeps set-id bits on files the grant lets it write")        \
	X(5, "cap_kill", KEEP, "signal any uid: the kill hook limits targets to the scope")   \
	X(6, "cap_setgid", KEEP, "changes its own ids: root inside the agent stays confined") \
	X(7, "cap_setuid", KEEP, "changes its own ids: root inside the agent stays confined") \
	X(8, "cap_setpcap", KEEP, "drops capabilities from its own sets")                     \
	X(9, "cap_linux_immutable", DENY, "immutable files could lock the host's files")      \
	X(10, "cap_net_bind_service", KEEP, "low ports: connect and send rules govern peers") \
	X(11, "cap_net_broadcast", KEEP, "broadcast: the network rules govern destinations")  \
	X(12, "cap_net_admin", DENY, "addresses, routes, links, firewall: host network")      \
	X(13, "cap_net_raw", DENY, "raw and packet sockets build their own headers")          \
	X(14, "cap_ipc_lock", KEEP, "locks its own memory")                                   \
	X(15, "cap_ipc_owner", DENY, "SysV IPC objects of other processes")                   \
	X(16, "cap_sys_module", DENY, "kernel modules are kernel code")                       \
	X(17, "cap_sys_rawio", DENY, "iopl, ioperm, /dev/mem: the hardware itself")           \
	X(18, "cap_sys_chroot", DENY, "chroot changes what paths mean")                       \
	X(19, "cap_sys_ptrace", DENY, "ptrace of any process: the ptrace hook has a scope")   \
	X(20, "cap_sys_pacct", DENY, "process accounting is host-wide")                       \
	X(21, "cap_sys_admin", DENY, "mount, setns, bpf, hostname, and much more")            \
	X(22, "cap_sys_boot", DENY, "reboot and kexec")                                       \
	X(23, "cap_sys_nice", DENY, "priorities of processes outside the agent")              \
	X(24, "cap_sys_resource", DENY, "limits and reserves meant for the host")             \
	X(25, "cap_sys_time", DENY, "the clock tokens are judged by")                         \
	X(26, "cap_sys_tty_config", DENY, "vhangup and terminal configuration of the host")   \
	X(27, "cap_mknod", KEEP, "device nodes: the make_char and make_block rights govern")  \
	X(28, "cap_lease", KEEP, "leases on files it may write")                              \
	X(29, "cap_audit_write", KEEP, "writes audit records; it cannot change audit rules")  \
	X(30, "cap_audit_control", DENY, "audit rules are the host's")                        \
	X(31, "cap_setfcap", DENY, "file capabilities would outlive the agent")               \
	X(32, "cap_mac_override", DENY, "overrides MAC policy")                               \
	X(33, "cap_mac_admin", DENY, "changes MAC policy")                                    \
	X(34, "cap_syslog", DENY, "kernel log and kernel addresses")                          \
	X(35, "cap_wake_alarm", DENY, "wakes the host")                                       \
	X(36, "cap_block_suspend", DENY, "keeps the host from suspending")                    \
	X(37, "cap_audit_read", DENY, "reads the host's audit log")                           \
	X(38, "cap_perfmon", DENY, "perf events observe other processes and the kernel")      \
	X(39, "cap_bpf", DENY, "BPF reaches livegrant's own programs and maps")               \
	X(40, "cap_checkpoint_restore", DENY, "chooses pids, restores other processes' state")

/* Capabilities an agent keeps: bit N for capability N. */
#define LG_CAP_KEEP_BIT(num, name, keep, why) | ((LG_CAP_##keep) ? 1ULL << (num) : 0ULL)
#define LG_CAP_KEEP_MASK (0ULL LG_CAPABILITY_TABLE(LG_CAP_KEEP_BIT))

/* Rows beyond this number do not fit the mask: they would be denied. */
#define LG_CAP_MASK_BITS 64

#endif /* LIVEGRANT_CAPABILITIES_H */

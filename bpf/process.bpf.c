// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/process.bpf.c - an agent may act on processes inside its own scope
 * only: the subtree of its registered agent cgroup (or of its own cgroup
 * when none is registered). livegrantd, every non-agent and every other
 * agent are outside it.
 *
 * Signals: task_kill (kill, tgkill, rt_sigqueueinfo, pidfd_send_signal).
 * Tracing and reading: ptrace_access_check is where ptrace_may_access()
 * asks the LSMs, and that covers ptrace attach, /proc/PID/mem, environ,
 * maps, fd/, cwd, root and exe, process_vm_readv/writev, pidfd_getfd, kcmp
 * and process_madvise. PTRACE_TRACEME: the tracer would be the parent.
 * Scheduling: nice, I/O priority, scheduler and affinity, page migration.
 * prlimit on another process names no task to the LSM (only credentials),
 * so an agent may change no other process's limits.
 *
 * SIGIO and SIGURG go to a file's owner without task_kill, sent by whoever
 * makes the I/O happen. The owner is a pid the LSM cannot turn into a task
 * on every kernel, so an agent may make only itself the owner: F_SETOWN
 * with its own pid (as its pid namespace numbers it) or 0. F_SETOWN_EX, FIOSETOWN and SIOCSPGRP pass the
 * owner in user memory, which could change after a check: refused.
 *
 * A terminal is another process's input: TIOCSTI pushes bytes (and with
 * them ^C and ^Z, signals task_kill never sees) into the input queue of
 * whatever shell reads it, TIOCLINUX selection pasting does the same on a
 * virtual console. Both are refused, on every tty, the agent's own too.
 *
 * SysV IPC objects (shared memory, message queues, semaphore sets) are
 * shared with every process of the IPC namespace, and a uid-0 agent is the
 * owner of root's without CAP_IPC_OWNER. ipcperms() asks ipc_permission on
 * every shmat, shmget of an existing key, msgsnd, msgrcv, semop and
 * IPC_STAT: an agent is refused all of them, on its own objects too.
 */
#include "lib/confine.h"

#define PTRACE_MODE_NOAUDIT 0x04

/* Ways to name the owner that SIGIO and SIGURG of a file go to. */
#define F_SETOWN 8
#define F_SETOWN_EX 15
#define FIOSETOWN 0x8901
#define SIOCSPGRP 0x8902

/* Ways to put input into a terminal's queue. */
#define TIOCSTI 0x5412
#define TIOCLINUX 0x541C

SEC("lsm/task_kill")
int BPF_PROG(lg_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	__u64 sender = 0;

	if (ret)
		return ret;
	/*
	 * With @cred the kernel sends on behalf of whoever set the signal up
	 * (USB async I/O completion), not as the current task. Verifiers from
	 * 6.8 on take a hook's pointer arguments as never NULL and drop a
	 * "cred == NULL" test as dead code, so the argument is read as the
	 * number it is; a failed read leaves 0: the current task decides.
	 */
	bpf_probe_read_kernel(&sender, sizeof(sender), &ctx[3]);
	if (sender)
		return 0;
	return lg_task_decide(LG_HOOK_TASK_KILL, LG_SYS_SIGNAL, p, false);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(lg_ptrace_access, struct task_struct *child, unsigned int mode, int ret)
{
	if (ret)
		return ret;
	/* NOAUDIT: "may it see these /proc fields?" (ps): denied, not reported. */
	return lg_task_decide(LG_HOOK_PTRACE, LG_SYS_PTRACE, child, mode & PTRACE_MODE_NOAUDIT);
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(lg_ptrace_traceme, struct task_struct *parent, int ret)
{
	if (ret)
		return ret;
	return lg_task_decide(LG_HOOK_TRACEME, LG_SYS_PTRACE, parent, false);
}

SEC("lsm/task_setnice")
int BPF_PROG(lg_task_setnice, struct task_struct *p, int nice, int ret)
{
	if (ret)
		return ret;
	return lg_task_decide(LG_HOOK_SETNICE, LG_SYS_SCHEDULE, p, false);
}

SEC("lsm/task_setioprio")
int BPF_PROG(lg_task_setioprio, struct task_struct *p, int ioprio, int ret)
{
	if (ret)
		return ret;
	return lg_task_decide(LG_HOOK_SETIOPRIO, LG_SYS_SCHEDULE, p, false);
}

SEC("lsm/task_setscheduler")
int BPF_PROG(lg_task_setscheduler, struct task_struct *p, int ret)
{
	if (ret)
		return ret;
	return lg_task_decide(LG_HOOK_SETSCHED, LG_SYS_SCHEDULE, p, false);
}

SEC("lsm/task_movememory")
int BPF_PROG(lg_task_movememory, struct task_struct *p, int ret)
{
	if (ret)
		return ret;
	return lg_task_decide(LG_HOOK_MOVEMEMORY, LG_SYS_SCHEDULE, p, false);
}

/* The kernel calls this only for a task other than the caller. */
SEC("lsm/task_prlimit")
int BPF_PROG(lg_task_prlimit, const struct cred *cred, const struct cred *tcred, unsigned int flags,
	     int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_PRLIMIT, LG_SYS_SCHEDULE, flags);
}

/*
 * The caller's process id as its own pid namespace numbers it, which is how
 * F_SETOWN's argument names a process (find_vpid()): an agent in a
 * container of its own is pid 1 there, not its init-namespace tgid. The
 * group leader's struct pid holds one number per namespace level, the
 * caller's own at its deepest level. A failed read gives -1, a pid no
 * F_SETOWN can name: the request is denied.
 */
static __always_inline int lg_own_ns_tgid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	struct upid *numbers;
	unsigned int level;
	int nr = -1;

	if (!pid)
		return -1;
	level = BPF_CORE_READ(pid, level);
	numbers = (struct upid *)((char *)pid + bpf_core_field_offset(pid->numbers));
	if (bpf_core_read(&nr, sizeof(nr), &numbers[level].nr))
		return -1;
	return nr;
}

SEC("lsm/file_fcntl")
int BPF_PROG(lg_fcntl_setown, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct lg_subject s;
	__u8 reason = LG_REASON_CONFINED;

	if (ret)
		return ret;
	if (cmd != F_SETOWN && cmd != F_SETOWN_EX)
		return 0;
	if (!lg_subject_get(&s))
		return 0;
	if (cmd == F_SETOWN && (arg == 0 || (int)arg == lg_own_ns_tgid()))
		reason = LG_REASON_NONE;
	return lg_confine_decide(&s, LG_HOOK_FCNTL_SETOWN, LG_SYS_SIGNAL, reason, LG_TARGET_OP,
				 cmd);
}

static __always_inline int lg_ioctl_owner(enum lg_hook hook, unsigned int cmd)
{
	if (cmd == TIOCSTI || cmd == TIOCLINUX)
		return lg_confine(hook, LG_SYS_TTY, cmd);
	if (cmd != FIOSETOWN && cmd != SIOCSPGRP)
		return 0;
	return lg_confine(hook, LG_SYS_SIGNAL, cmd);
}

SEC("lsm/file_ioctl")
int BPF_PROG(lg_ioctl_setown, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	return lg_ioctl_owner(LG_HOOK_IOCTL_SETOWN, cmd);
}

/* 32-bit ioctls: a hook of its own from 6.9 (and some stable kernels). */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(lg_ioctl_setown_compat, struct file *file, unsigned int cmd, unsigned long arg,
	     int ret)
{
	if (ret)
		return ret;
	return lg_ioctl_owner(LG_HOOK_IOCTL_SETOWN_COMPAT, cmd);
}

/* The access asked for (S_IRUGO, S_IWUGO) is what the event names. */
SEC("lsm/ipc_permission")
int BPF_PROG(lg_ipc_permission, struct kern_ipc_perm *ipcp, short flag, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_IPC_PERMISSION, LG_SYS_IPC, (__u16)flag);
}

/*
 * IPC_RMID and IPC_SET never ask ipc_permission: the kernel checks the
 * owner (a uid-0 agent is root's) and then these hooks. An agent may not
 * remove or change any SysV object; the event names the command.
 */
SEC("lsm/shm_shmctl")
int BPF_PROG(lg_shm_shmctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SHM_SHMCTL, LG_SYS_IPC, (__u32)cmd);
}

SEC("lsm/msg_queue_msgctl")
int BPF_PROG(lg_msg_queue_msgctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_MSG_QUEUE_MSGCTL, LG_SYS_IPC, (__u32)cmd);
}

SEC("lsm/sem_semctl")
int BPF_PROG(lg_sem_semctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret)
		return ret;
	return lg_confine(LG_HOOK_SEM_SEMCTL, LG_SYS_IPC, (__u32)cmd);
}

char LICENSE[] SEC("license") = "GPL";

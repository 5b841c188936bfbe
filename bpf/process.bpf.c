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
 * The ioctls that change a terminal for everyone on it (termios, window
 * size and its SIGWINCH, the foreground group, line discipline, breaks,
 * modem lines, TIOCSIG) are the agent's business only on a terminal that
 * is nobody's controlling terminal or whose session leader is inside its
 * scope: a child that joined the agent cgroup from a user's shell may not
 * turn the shell's echo off or take its foreground.
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

/* Character devices that are terminals (include/uapi/linux/major.h). */
#define PTY_MASTER_MAJOR 2 /* BSD ptys */
#define PTY_SLAVE_MAJOR 3
#define TTY_MAJOR 4 /* virtual consoles, serial ports */
#define TTYAUX_MAJOR 5 /* /dev/tty, /dev/console, /dev/ptmx */
#define UNIX98_PTY_MASTER_MAJOR 128 /* 8 majors of masters, then 8 of slaves */
#define UNIX98_PTY_SLAVE_LAST 143
#define S_IFCHR 0020000
#define MINORBITS 20

/* Terminal ioctls that change a terminal for everyone on it (x86 numbers). */
#define TCSETS 0x5402 /* termios: echo, ^C/^Z characters, line discipline flags */
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCSETA 0x5406 /* the same with the old struct termio */
#define TCSETAW 0x5407
#define TCSETAF 0x5408
#define TCSBRK 0x5409 /* drain output, send a break */
#define TCXONC 0x540A /* stop or restart output or input */
#define TCFLSH 0x540B /* discard what the user typed */
#define TIOCEXCL 0x540C /* no other process may open the terminal */
#define TIOCSCTTY 0x540E /* steal it as controlling terminal */
#define TIOCSPGRP 0x5410 /* who is foreground: the others get SIGTTIN/SIGTTOU */
#define TIOCSWINSZ 0x5414 /* window size, SIGWINCH to the foreground group */
#define TIOCMBIS 0x5416 /* modem lines (DTR drop hangs up) */
#define TIOCMBIC 0x5417
#define TIOCMSET 0x5418
#define TIOCSSOFTCAR 0x541A /* ignore carrier */
#define TIOCCONS 0x541D /* redirect console output */
#define TIOCSSERIAL 0x541F /* serial port settings */
#define TIOCPKT 0x5420 /* packet mode of a pty master */
#define TIOCSETD 0x5423 /* line discipline */
#define TCSBRKP 0x5425 /* break, POSIX */
#define TIOCSBRK 0x5427 /* break on */
#define TIOCCBRK 0x5428 /* break off */
/* struct termios2 is 44 bytes for 64- and 32-bit callers: one number each. */
#define TCSETS2 0x402C542B
#define TCSETSW2 0x402C542C
#define TCSETSF2 0x402C542D
#define TIOCSRS485 0x542F /* RS-485 mode of a serial port */
#define TIOCSPTLCK 0x40045431 /* lock a pty slave against opening */
#define TIOCSIG 0x40045436 /* pty master: a signal to the slave's foreground */
#define TIOCVHANGUP 0x5437 /* hang the terminal up */

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

/*
 * Does @cmd change a terminal for every process on it? TIOCNOTTY is not
 * here: it only detaches the caller, unless the caller leads the session,
 * and then the session is its own.
 */
static __always_inline bool lg_tty_changing(unsigned int cmd)
{
	switch (cmd) {
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TCSETA:
	case TCSETAW:
	case TCSETAF:
	case TCSBRK:
	case TCXONC:
	case TCFLSH:
	case TIOCEXCL:
	case TIOCSCTTY:
	case TIOCSPGRP:
	case TIOCSWINSZ:
	case TIOCMBIS:
	case TIOCMBIC:
	case TIOCMSET:
	case TIOCSSOFTCAR:
	case TIOCCONS:
	case TIOCSSERIAL:
	case TIOCPKT:
	case TIOCSETD:
	case TCSBRKP:
	case TIOCSBRK:
	case TIOCCBRK:
	case TCSETS2:
	case TCSETSW2:
	case TCSETSF2:
	case TIOCSRS485:
	case TIOCSPTLCK:
	case TIOCSIG:
	case TIOCVHANGUP:
		return true;
	}
	return false;
}

/*
 * Is @file a terminal? A character device of a tty major: chrdev_open()
 * gave the file the fops of the driver registered for that major, and
 * every tty driver's open leaves a struct tty_file_private in
 * private_data. The majors are used, not a comparison with tty_fops: that
 * symbol is static, and resolving it needs kallsyms of data, which not
 * every kernel has. Terminals of other majors (USB serial, ttyACM) are not
 * recognised; an agent needs a file grant to open their device anyway.
 */
static __always_inline bool lg_file_is_tty(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	unsigned int major;

	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFCHR)
		return false;
	major = BPF_CORE_READ(inode, i_rdev) >> MINORBITS;
	return major == PTY_MASTER_MAJOR || major == PTY_SLAVE_MAJOR || major == TTY_MAJOR ||
	       major == TTYAUX_MAJOR ||
	       (major >= UNIX98_PTY_MASTER_MAJOR && major <= UNIX98_PTY_SLAVE_LAST);
}

/*
 * The leader of the session @tty is the controlling terminal of, in *@leader
 * (NULL: none, the terminal is nobody's). The session's id is its leader's
 * pid, so the leader is the task of PIDTYPE_PID of that struct pid. A
 * session whose leader is gone has lost its terminal (disassociate_ctty),
 * so a session without one is a failed read. Returns false on any failed
 * read.
 */
static __always_inline bool lg_tty_leader(struct tty_struct *tty, struct task_struct **leader)
{
	struct hlist_node *first = NULL;
	struct pid *session = NULL;

	*leader = NULL;
	if (bpf_core_read(&session, sizeof(session), &tty->ctrl.session))
		return false;
	if (!session)
		return true;
	if (bpf_core_read(&first, sizeof(first), &session->tasks[PIDTYPE_PID].first) || !first)
		return false;
	*leader = (struct task_struct *)((char *)first -
					 bpf_core_field_offset(struct task_struct, pid_links));
	return true;
}

/*
 * A terminal-changing ioctl on a terminal: allowed when the terminal is
 * nobody's controlling terminal or its session's leader is inside the
 * agent's scope, denied otherwise and on any failed read. A pty's two
 * ends are one terminal (on a master, the kernel applies termios, winsize,
 * foreground and TIOCSIG to the slave): both ends' sessions decide.
 */
static __always_inline int lg_tty_decide(enum lg_hook hook, struct file *file, unsigned int cmd)
{
	struct tty_file_private *priv;
	struct task_struct *leader;
	struct tty_struct *tty, *link = NULL;
	struct lg_subject s;
	int ret;

	if (!lg_subject_get(&s))
		return 0;
	if (!lg_file_is_tty(file))
		return 0;
	priv = BPF_CORE_READ(file, private_data);
	tty = priv ? BPF_CORE_READ(priv, tty) : NULL;
	if (!tty || bpf_core_read(&link, sizeof(link), &tty->link))
		goto unresolved;
	if (!lg_tty_leader(tty, &leader))
		goto unresolved;
	if (leader) {
		ret = lg_task_decide_subject(&s, hook, LG_SYS_TTY, leader, false, false);
		if (ret)
			return ret;
	}
	if (!link)
		return leader ? 0 : lg_decide(&s, hook, LG_SYS_TTY, LG_REASON_NONE, NULL);
	if (!lg_tty_leader(link, &leader))
		goto unresolved;
	if (!leader)
		return lg_decide(&s, hook, LG_SYS_TTY, LG_REASON_NONE, NULL);
	return lg_task_decide_subject(&s, hook, LG_SYS_TTY, leader, false, false);
unresolved:
	return lg_confine_decide(&s, hook, LG_SYS_TTY, LG_REASON_OUT_OF_SCOPE, LG_TARGET_OP, cmd);
}

static __always_inline int lg_ioctl_owner(enum lg_hook hook, struct file *file, unsigned int cmd)
{
	if (cmd == TIOCSTI || cmd == TIOCLINUX)
		return lg_confine(hook, LG_SYS_TTY, cmd);
	if (lg_tty_changing(cmd))
		return lg_tty_decide(hook, file, cmd);
	if (cmd != FIOSETOWN && cmd != SIOCSPGRP)
		return 0;
	return lg_confine(hook, LG_SYS_SIGNAL, cmd);
}

SEC("lsm/file_ioctl")
int BPF_PROG(lg_ioctl_setown, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	return lg_ioctl_owner(LG_HOOK_IOCTL_SETOWN, file, cmd);
}

/* 32-bit ioctls: a hook of its own from 6.9 (and some stable kernels). */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(lg_ioctl_setown_compat, struct file *file, unsigned int cmd, unsigned long arg,
	     int ret)
{
	if (ret)
		return ret;
	return lg_ioctl_owner(LG_HOOK_IOCTL_SETOWN_COMPAT, file, cmd);
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

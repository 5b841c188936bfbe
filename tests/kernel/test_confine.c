// SPDX-License-Identifier: GPL-2.0
/*
 * test_confine.c - what a root agent may do to livegrant, other processes
 * and the host (issue 9, classes 3 to 5; docs/threat-model.md).
 *
 * Every attack is a real syscall from a fresh worker: root, inside agent
 * cgroup a1. Each must fail with the errno the kernel gives for the hook
 * or capability that refuses it, and produce that hook's event; where it is
 * safe in the test VM, the same call from a non-agent must still work. A
 * victim agent (a2) and a non-agent bystander run through every test and
 * must answer at its end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <stdio.h>
#include <sys/fanotify.h>
#include <poll.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

#define CF_DIR FX_DIR "/confine"
#define CF_PIN "/sys/fs/bpf/lgt-confine-map"
#define CF_CGROUP_ROOT "/sys/fs/cgroup"
#define EVENT_WAIT_MS 2000

/* Read by process_vm_readv from another worker: the same address in every fork. */
static volatile unsigned long cf_marker = 0x6c6976656772616eUL;

/* No expectation for the non-agent: the call is not safe to make there. */
#define NA_SKIP (-1)
/* The non-agent must get past every permission check (any error but EPERM/EACCES). */
#define NA_REACHES (-2)

/* ---- attacks: run inside a worker, return 0 or a positive errno ------- */

static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

static int a_bpf_obj_get(const struct worker_req *r)
{
	int fd = bpf_obj_get(r->path);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int a_link_by_id(const struct worker_req *r)
{
	int fd = bpf_link_get_fd_by_id(r->arg);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int a_map_by_id(const struct worker_req *r)
{
	int fd = bpf_map_get_fd_by_id(r->arg);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int a_kill(const struct worker_req *r)
{
	return err_of(kill(r->port, r->arg));
}

static int a_pidfd_signal(const struct worker_req *r)
{
	int err, pidfd = syscall(SYS_pidfd_open, r->port, 0);

	if (pidfd < 0)
		return errno;
	err = err_of(syscall(SYS_pidfd_send_signal, pidfd, r->arg, NULL, 0));
	close(pidfd);
	return err;
}

static int a_ptrace(const struct worker_req *r)
{
	if (ptrace(PTRACE_ATTACH, r->port, 0, 0))
		return errno;
	waitpid(r->port, NULL, __WALL);
	ptrace(PTRACE_DETACH, r->port, 0, 0);
	return 0;
}

static int a_vm_readv(const struct worker_req *r)
{
	unsigned long got = 0;
	struct iovec local = { &got, sizeof(got) };
	struct iovec remote = { (void *)&cf_marker, sizeof(got) };

	if (process_vm_readv(r->port, &local, 1, &remote, 1, 0) < 0)
		return errno;
	return got == cf_marker ? 0 : EIO;
}

static int a_pidfd_getfd(const struct worker_req *r)
{
	int fd, pidfd = syscall(SYS_pidfd_open, r->port, 0);

	if (pidfd < 0)
		return errno;
	fd = syscall(SYS_pidfd_getfd, pidfd, 2, 0);
	close(pidfd);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int a_proc_open(const struct worker_req *r)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%.16s", r->port, r->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* readlink of /proc/PID/<r->path>: cwd, root, exe, fd/N. */
static int a_proc_link(const struct worker_req *r)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/%.16s", r->port, r->path);
	return err_of(readlink(path, buf, sizeof(buf)));
}

/* Write the marker's own value back: harmless should it go through. */
static int a_vm_writev(const struct worker_req *r)
{
	unsigned long v = cf_marker;
	struct iovec local = { &v, sizeof(v) };
	struct iovec remote = { (void *)&cf_marker, sizeof(v) };

	return err_of(process_vm_writev(r->port, &local, 1, &remote, 1, 0));
}

static int a_kcmp(const struct worker_req *r)
{
	/* KCMP_FILE of stderr: 0, 1 or 2 when allowed. */
	return err_of(syscall(SYS_kcmp, getpid(), r->port, 0 /* KCMP_FILE */, 2, 2));
}

static int a_setpriority(const struct worker_req *r)
{
	return err_of(setpriority(PRIO_PROCESS, r->port, r->arg));
}

static int a_prlimit(const struct worker_req *r)
{
	struct rlimit old;

	return err_of(prlimit(r->port, RLIMIT_NOFILE, NULL, &old));
}

/* The agent's own child: signals, tracing and reading it must all work. */
static int a_own_child(const struct worker_req *r)
{
	pid_t child = fork();
	int err;

	if (child < 0)
		return errno;
	if (child == 0) {
		for (;;)
			pause();
	}
	struct worker_req t = { .port = child, .arg = 0 };

	err = a_ptrace(&t);
	if (!err)
		err = a_vm_readv(&t);
	if (!err)
		err = a_kill(&t);
	t.arg = SIGKILL;
	if (!err)
		err = a_kill(&t);
	else
		kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	(void)r;
	return err;
}

static int a_mount_tmpfs(const struct worker_req *r)
{
	if (mount("lgt", r->path, "tmpfs", 0, NULL))
		return errno;
	umount(r->path);
	return 0;
}

static int a_chroot(const struct worker_req *r)
{
	return err_of(chroot(r->path));
}

static int a_unshare(const struct worker_req *r)
{
	return err_of(unshare(r->arg));
}

/* clone3(CLONE_INTO_CGROUP) with a cgroup descriptor opened O_PATH. */
static int a_clone_into_cgroup(const struct worker_req *r)
{
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	int fd = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	long pid;

	if (fd < 0)
		return errno;
	args.cgroup = fd;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	close(fd);
	if (pid < 0)
		return errno;
	waitpid(pid, NULL, 0);
	return 0;
}

/* clone3 with the namespace flags r->arg; the child exits at once. */
static int a_clone3_ns(const struct worker_req *r)
{
	struct clone_args args = { .flags = (unsigned int)r->arg, .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return errno;
	waitpid(pid, NULL, 0);
	return 0;
}

/* open_by_handle_at of r->path: a file opened without its path being checked. */
static int a_open_by_handle(const struct worker_req *r)
{
	struct {
		struct file_handle h;
		unsigned char bytes[MAX_HANDLE_SZ];
	} fh = { .h = { .handle_bytes = MAX_HANDLE_SZ } };
	int mount_id, mfd, fd, err = 0;

	if (name_to_handle_at(AT_FDCWD, r->path, &fh.h, &mount_id, 0))
		return errno;
	mfd = open(CF_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return errno;
	fd = open_by_handle_at(mfd, &fh.h, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	else
		close(fd);
	close(mfd);
	return err;
}

static int a_sethostname(const struct worker_req *r)
{
	return err_of(sethostname(r->path, strlen(r->path)));
}

/* Set the clock r->arg seconds away from now. */
static int a_settime(const struct worker_req *r)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_sec += r->arg;
	return err_of(clock_settime(CLOCK_REALTIME, &now));
}

static int a_init_module(const struct worker_req *r)
{
	static const char image[64] = "\177ELF not a module";

	(void)r;
	return err_of(syscall(SYS_init_module, image, sizeof(image), ""));
}

static int a_perf(const struct worker_req *r)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .exclude_kernel = 1 };
	int fd;

	if (r->arg < 0) {
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_CPU_CLOCK;
	} else {
		/* A system-wide kprobe: the PMU's type from sysfs, in r->arg. */
		attr.type = r->arg;
		attr.config1 = (unsigned long)"do_sys_openat2";
		attr.exclude_kernel = 0;
	}
	fd = syscall(SYS_perf_event_open, &attr, r->arg < 0 ? 0 : -1, r->arg < 0 ? -1 : 0, -1,
		     PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int a_add_key(const struct worker_req *r)
{
	long id = syscall(SYS_add_key, "user", "lgt-confine", "x", 1, KEY_SPEC_USER_KEYRING);

	(void)r;
	if (id < 0)
		return errno;
	syscall(SYS_keyctl, KEYCTL_INVALIDATE, id);
	return 0;
}

static int a_keyctl(const struct worker_req *r)
{
	(void)r;
	return err_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0));
}

static int a_reboot(const struct worker_req *r)
{
	(void)r;
	/* Ctrl-Alt-Del becomes a signal to init: harmless if it went through. */
	return err_of(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			      LINUX_REBOOT_CMD_CAD_OFF, NULL));
}

static int a_ioperm(const struct worker_req *r)
{
	(void)r;
	if (ioperm(0x80, 1, 1))
		return errno;
	ioperm(0x80, 1, 0);
	return 0;
}

static int a_iopl(const struct worker_req *r)
{
	(void)r;
	if (iopl(3))
		return errno;
	iopl(0);
	return 0;
}

static int a_traceme(const struct worker_req *r)
{
	(void)r;
	return err_of(ptrace(PTRACE_TRACEME, 0, 0, 0));
}

/* F_SETOWN of a socket to r->port (0: the caller itself). */
static int a_fsetown(const struct worker_req *r)
{
	int err, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	err = err_of(fcntl(fd, F_SETOWN, r->port ? r->port : getpid()));
	close(fd);
	return err;
}

static int a_fsetown_ex(const struct worker_req *r)
{
	struct f_owner_ex o = { .type = F_OWNER_PID, .pid = r->port };
	int err, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	err = err_of(fcntl(fd, F_SETOWN_EX, &o));
	close(fd);
	return err;
}

static int a_fiosetown(const struct worker_req *r)
{
	int pid = r->port, err, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	err = err_of(ioctl(fd, FIOSETOWN, &pid));
	close(fd);
	return err;
}

/* The map descriptor r->arg, inherited from the harness: map it, or update it. */
static int a_map_mmap(const struct worker_req *r)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r->arg, 0);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, 4096);
	return 0;
}

static int a_map_update(const struct worker_req *r)
{
	__u32 key = 0, value = 1;

	return bpf_map_update_elem(r->arg, &key, &value, 0) ? errno : 0;
}

/* A mount-wide fanotify mark: every open on the mount, other processes' too. */
static int a_fanotify_mount(const struct worker_req *r)
{
	int err, fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC, O_RDONLY);

	(void)r;
	if (fd < 0)
		return errno;
	err = err_of(fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN, AT_FDCWD, "/tmp"));
	close(fd);
	return err;
}

static int a_syslog_size(const struct worker_req *r)
{
	(void)r;
	return err_of(klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0));
}

/*
 * 0 when /proc/kallsyms shows a kernel address, ENODATA when every address
 * is zero. The first lines are per-CPU symbols at offset 0 either way: look
 * at the first 1000.
 */
static int a_kallsyms(const struct worker_req *r)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[256];
	int err = ENODATA;

	(void)r;
	if (!f)
		return errno;
	for (int i = 0; i < 1000 && err && fgets(line, sizeof(line), f); i++)
		if (strtoull(line, NULL, 16))
			err = 0;
	fclose(f);
	return err;
}

/* ---- rtnetlink: one request, its acknowledgement's error ----------------- */

struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg ifa;
		struct rtmsg rt;
		struct ifinfomsg ifi;
	};
	char attrs[64];
};

static void nl_attr(struct nl_req *m, int type, const void *data, int len)
{
	struct rtattr *a = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static int nl_talk(struct nl_req *m)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	char buf[512];
	struct nlmsgerr *e;
	int fd, n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return errno;
	m->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(fd, m, m->h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0) {
		n = errno;
		close(fd);
		return n;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < (int)(NLMSG_HDRLEN + sizeof(*e)))
		return EIO;
	if (((struct nlmsghdr *)buf)->nlmsg_type != NLMSG_ERROR)
		return EIO;
	e = NLMSG_DATA((struct nlmsghdr *)buf);
	return -e->error;
}

/* 127.0.0.99/8 on lo; r->arg 1: and take it away again. */
static int a_rtm_newaddr(const struct worker_req *r)
{
	struct nl_req m = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
				   .nlmsg_type = RTM_NEWADDR,
				   .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL } };
	unsigned char addr[4] = { 127, 0, 0, 99 };
	int err;

	m.ifa.ifa_family = AF_INET;
	m.ifa.ifa_prefixlen = 8;
	m.ifa.ifa_scope = RT_SCOPE_HOST; /* a loopback address must be host scope */
	m.ifa.ifa_index = 1;
	nl_attr(&m, IFA_LOCAL, addr, 4);
	nl_attr(&m, IFA_ADDRESS, addr, 4);
	err = nl_talk(&m);
	if (!err && r->arg) {
		m.h.nlmsg_type = RTM_DELADDR;
		m.h.nlmsg_flags = 0;
		nl_talk(&m);
	}
	return err;
}

static int a_rtm_newroute(const struct worker_req *r)
{
	struct nl_req m = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
				   .nlmsg_type = RTM_NEWROUTE,
				   .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL } };
	unsigned char dst[4] = { 10, 99, 0, 1 };
	int oif = 1;

	(void)r;
	m.rt.rtm_family = AF_INET;
	m.rt.rtm_dst_len = 32;
	m.rt.rtm_table = RT_TABLE_MAIN;
	m.rt.rtm_protocol = RTPROT_BOOT;
	m.rt.rtm_scope = RT_SCOPE_LINK;
	m.rt.rtm_type = RTN_UNICAST;
	nl_attr(&m, RTA_DST, dst, 4);
	nl_attr(&m, RTA_OIF, &oif, sizeof(oif));
	return nl_talk(&m);
}

static int a_lo_down(const struct worker_req *r)
{
	struct nl_req m = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
				   .nlmsg_type = RTM_NEWLINK } };

	(void)r;
	m.ifi.ifi_family = AF_UNSPEC;
	m.ifi.ifi_index = 1;
	m.ifi.ifi_flags = 0;
	m.ifi.ifi_change = IFF_UP;
	return nl_talk(&m);
}

/*
 * A pty pair of the worker's own, whose slave a child of the worker makes
 * its controlling terminal (setsid, then open without O_NOCTTY): the
 * terminal of the user's shell an agent runs in. r->arg is the ioctl the
 * child makes on it: TIOCSTI of 'x', or TIOCLINUX. The slave echoes what
 * enters its input queue, so the byte reaches the master exactly when it
 * was pushed. Returns the ioctl's errno; EEXIST for a refused TIOCSTI whose
 * byte arrived anyway, ENODATA for one that went through and delivered
 * nothing.
 */
static int a_tty_ioctl(const struct worker_req *r)
{
	int err = 0, status, m;
	char c = 'x', got = 0;
	pid_t child;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return errno;
	if (grantpt(m) || unlockpt(m) || !ptsname(m)) {
		err = errno;
		goto out;
	}
	child = fork();
	if (child < 0) {
		err = errno;
		goto out;
	}
	if (child == 0) {
		char sub = 6; /* TIOCL_GETSHIFTSTATE */
		int sl;

		if (setsid() < 0)
			_exit(errno);
		sl = open(ptsname(m), O_RDWR | O_CLOEXEC);
		if (sl < 0)
			_exit(errno);
		if (ioctl(sl, TIOCSCTTY, 0))
			_exit(errno);
		if (r->arg == TIOCLINUX)
			_exit(err_of(ioctl(sl, TIOCLINUX, &sub)));
		_exit(err_of(ioctl(sl, TIOCSTI, &c)));
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
		err = ECHILD;
		goto out;
	}
	err = WEXITSTATUS(status);
	if (r->arg == TIOCLINUX)
		goto out;
	{
		struct pollfd p = { .fd = m, .events = POLLIN };

		if (poll(&p, 1, 500) == 1 && read(m, &got, 1) != 1)
			got = 0;
	}
	if (err && got)
		err = EEXIST;
	else if (!err && got != c)
		err = ENODATA;
out:
	close(m);
	return err;
}

/* SysV IPC objects by id (r->arg): attach and write, send, increment. */
/* IPC_RMID of the object r->arg of kind r->port (0 shm, 1 msg, 2 sem). */
static int a_ipc_rmid(const struct worker_req *r)
{
	int rc = r->port == 0 ? shmctl(r->arg, IPC_RMID, NULL) :
		 r->port == 1 ? msgctl(r->arg, IPC_RMID, NULL) :
				semctl(r->arg, 0, IPC_RMID);

	return rc ? errno : 0;
}

static int a_shmat(const struct worker_req *r)
{
	char *p = shmat(r->arg, NULL, 0);

	if (p == (void *)-1)
		return errno;
	p[0] = 'L';
	shmdt(p);
	return 0;
}

static int a_msgsnd(const struct worker_req *r)
{
	struct {
		long type;
		char text[4];
	} msg = { 1, "lgt" };

	return err_of(msgsnd(r->arg, &msg, sizeof(msg.text), IPC_NOWAIT));
}

static int a_semop(const struct worker_req *r)
{
	struct sembuf op = { .sem_num = 0, .sem_op = 1, .sem_flg = IPC_NOWAIT };

	return err_of(semop(r->arg, &op, 1));
}

/* ---- the world of a test: a victim agent and a bystander ------------------ */

struct cf_world {
	struct worker victim; /* agent a2 */
	struct worker bystander; /* non-agent */
};

static bool world_start(struct cf_world *cw)
{
	mkdir(CF_DIR, 0755);
	mkdir(CF_DIR "/mnt", 0755);
	if (worker_start(&cw->victim, FX_A2, "lgt-victim"))
		return false;
	if (worker_start(&cw->bystander, FX_OTHER, "lgt-bystander")) {
		worker_stop(&cw->victim);
		return false;
	}
	return true;
}

/* Both must still run and answer, untouched by everything the test tried. */
static void world_end(struct cf_world *cw)
{
	CHECK(kill(cw->victim.pid, 0) == 0, "victim agent alive");
	CHECK(kill(cw->bystander.pid, 0) == 0, "non-agent bystander alive");
	CHECK_ERR(w_simple(&cw->victim, W_PIDFD, 0, 0, 0), 0, "victim agent still answers");
	CHECK_ERR(w_simple(&cw->bystander, W_PIDFD, 0, 0, 0), 0, "bystander still answers");
	worker_stop(&cw->victim);
	worker_stop(&cw->bystander);
}

/* ---- one attack ------------------------------------------------------------ */

struct attack {
	const char *what;
	int (*fn)(const struct worker_req *r);
	int port, arg;
	const char *path;
	int want; /* errno for the agent */
	int hook, reason;
	int cap; /* for LG_HOOK_CAPABLE: the capability the event names */
	int nonagent; /* errno for a non-agent, NA_SKIP or NA_REACHES */
};

static void attack(const struct attack *a)
{
	const struct lg_event *ev;
	struct worker w;
	int res;

	if (!CHECK(worker_start(&w, FX_A1, "lgt-attacker") == 0, "%s: start attacker", a->what))
		return;
	res = w_call(&w, a->fn, a->port, a->arg, a->path);
	CHECK_ERR(res, a->want, a->what);
	ev = fx_wait_event(w.pid, a->hook, a->reason, EVENT_WAIT_MS);
	if (CHECK(ev != NULL, "%s: event from hook %s, reason %s", a->what, lg_hook_name(a->hook),
		  lg_reason_name(a->reason))) {
		CHECK(ev->action == LG_ACTION_DENIED && ev->agent_cgroup_id == fx_a1,
		      "%s: denied, agent a1", a->what);
		if (a->hook == LG_HOOK_CAPABLE)
			CHECK(ev->target_kind == LG_TARGET_CAPABILITY && ev->port == a->cap,
			      "%s: capability %u, want %d", a->what, ev->port, a->cap);
		if (a->reason == LG_REASON_OUT_OF_SCOPE)
			CHECK(ev->target_kind == LG_TARGET_TASK &&
				      ev->target_domain == (uint32_t)a->port,
			      "%s: target pid %u, want %d", a->what, ev->target_domain, a->port);
	}
	worker_stop(&w);
	if (a->nonagent == NA_SKIP)
		return;
	if (!CHECK(worker_start(&w, FX_OTHER, "lgt-nonagent") == 0, "%s: start non-agent", a->what))
		return;
	res = w_call(&w, a->fn, a->port, a->arg, a->path);
	if (a->nonagent == NA_REACHES)
		CHECK(res != EPERM && res != EACCES, "%s: a non-agent reaches the kernel (%d, %s)",
		      a->what, res, ktest_errname(res));
	else
		CHECK_ERR(res, a->nonagent, a->what);
	worker_stop(&w);
}

/* ---- 3: livegrant itself: bpf() in any form -------------------------------- */

KTEST(confine_bpf_syscall)
{
	struct cf_world cw;
	__u32 link_id = 0, map_id = 0;
	int fd, mapfd;

	unlink(CF_PIN);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lgt_confine", 4, 4, 1, NULL);
	REQUIRE(fd >= 0 && bpf_obj_pin(fd, CF_PIN) == 0, "pin a map");
	close(fd);
	/* The fixture's own programs are attached: there is a link and a map. */
	REQUIRE(bpf_link_get_next_id(0, &link_id) == 0 && link_id, "a link id");
	REQUIRE(bpf_map_get_next_id(0, &map_id) == 0 && map_id, "a map id");
	/* Inherited by every worker forked from here on, as a leaked descriptor would be. */
	{
		struct bpf_map_create_opts mo = { .sz = sizeof(mo), .map_flags = BPF_F_MMAPABLE };

		mapfd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lgt_mmap", 4, 4, 1024, &mo);
	}
	REQUIRE(mapfd >= 0, "an mmap-able map");
	REQUIRE(world_start(&cw), "world");
	{
		const struct attack as[] = {
			{ "mmap of an inherited map descriptor", a_map_mmap, 0, mapfd, NULL, EACCES,
			  LG_HOOK_BPF_MAP_MMAP, LG_REASON_CONFINED, 0, 0 },
			{ "BPF_MAP_UPDATE_ELEM on an inherited map descriptor", a_map_update, 0,
			  mapfd, NULL, EACCES, LG_HOOK_BPF, LG_REASON_CONFINED, 0, 0 },
			{ "bpf(BPF_OBJ_GET) of a pin", a_bpf_obj_get, 0, 0, CF_PIN, EACCES,
			  LG_HOOK_BPF, LG_REASON_CONFINED, 0, 0 },
			{ "bpf(BPF_LINK_GET_FD_BY_ID)", a_link_by_id, 0, (int)link_id, NULL, EACCES,
			  LG_HOOK_BPF, LG_REASON_CONFINED, 0, 0 },
			{ "bpf(BPF_MAP_GET_FD_BY_ID)", a_map_by_id, 0, (int)map_id, NULL, EACCES,
			  LG_HOOK_BPF, LG_REASON_CONFINED, 0, 0 },
		};

		for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++)
			attack(&as[i]);
	}
	{
		const struct lg_event *ev = fx_wait_event(0, LG_HOOK_BPF, LG_REASON_CONFINED, 0);

		CHECK(ev && ev->target_kind == LG_TARGET_OP &&
			      ev->target_domain == BPF_MAP_UPDATE_ELEM,
		      "the event names the command (BPF_MAP_UPDATE_ELEM)");
	}
	world_end(&cw);
	close(mapfd);
	unlink(CF_PIN);
}

/* ---- 3: other processes: outside the scope denied, inside allowed ---------- */

static void attack_process(pid_t target, const char *who, bool nonagent_too)
{
	char what[16][96];
	const struct attack as[] = {
		{ what[0], a_kill, target, SIGKILL, NULL, EACCES, LG_HOOK_TASK_KILL,
		  LG_REASON_OUT_OF_SCOPE, 0, NA_SKIP },
		{ what[1], a_kill, target, 0, NULL, EACCES, LG_HOOK_TASK_KILL,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[2], a_pidfd_signal, target, SIGKILL, NULL, EACCES, LG_HOOK_TASK_KILL,
		  LG_REASON_OUT_OF_SCOPE, 0, NA_SKIP },
		{ what[3], a_ptrace, target, 0, NULL, EACCES, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[4], a_vm_readv, target, 0, NULL, EPERM, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[5], a_pidfd_getfd, target, 0, NULL, EPERM, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[6], a_proc_open, target, 0, "environ", EACCES, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[7], a_proc_open, target, 0, "mem", EACCES, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[8], a_proc_link, target, 0, "cwd", EACCES, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[9], a_setpriority, target, 5, NULL, EACCES, LG_HOOK_SETNICE,
		  LG_REASON_OUT_OF_SCOPE, 0, NA_SKIP },
		{ what[10], a_proc_link, target, 0, "root", EACCES, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[11], a_proc_link, target, 0, "fd/2", EACCES, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[12], a_vm_writev, target, 0, NULL, EPERM, LG_HOOK_PTRACE,
		  LG_REASON_OUT_OF_SCOPE, 0, nonagent_too ? 0 : NA_SKIP },
		{ what[13], a_kcmp, target, 0, NULL, EPERM, LG_HOOK_PTRACE, LG_REASON_OUT_OF_SCOPE,
		  0, nonagent_too ? 0 : NA_SKIP },
	};
	static const char *const names[] = {
		"kill SIGKILL",
		"kill 0",
		"pidfd_send_signal SIGKILL",
		"ptrace attach",
		"process_vm_readv",
		"pidfd_getfd",
		"open environ",
		"open mem",
		"readlink cwd",
		"setpriority",
		"readlink root",
		"readlink fd/2",
		"process_vm_writev",
		"kcmp",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(as) / sizeof(as[0]),
		       "a name for every attack");
	_Static_assert(sizeof(as) / sizeof(as[0]) <= sizeof(what) / sizeof(what[0]),
		       "room for every name");

	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		snprintf(what[i], sizeof(what[i]), "%s of %s", names[i], who);
		attack(&as[i]);
	}
}

static void grant_proc(void)
{
	static const char *rd[] = { "/proc/" };
	struct lg_grant_spec s = fx_spec(60000);

	/* So that file_open lets /proc through and the ptrace hook decides. */
	s.rules[LG_RULE_READ] = STRV(rd);
	CHECK(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant /proc: %s", lg_errmsg());
}

KTEST(confine_process_outside_scope)
{
	struct cf_world cw;

	REQUIRE(world_start(&cw), "world");
	grant_proc();
	attack_process(cw.bystander.pid, "a non-agent", true);
	attack_process(cw.victim.pid, "another agent", false);
	{
		const struct attack as[] = {
			{ "prlimit of a non-agent", a_prlimit, cw.bystander.pid, 0, NULL, EACCES,
			  LG_HOOK_PRLIMIT, LG_REASON_CONFINED, 0, 0 },
			/* The attacker's parent is the harness: a non-agent. */
			{ "PTRACE_TRACEME under a non-agent parent", a_traceme, getpid(), 0, NULL,
			  EACCES, LG_HOOK_TRACEME, LG_REASON_OUT_OF_SCOPE, 0, NA_SKIP },
			{ "F_SETOWN to a non-agent", a_fsetown, cw.bystander.pid, 0, NULL, EACCES,
			  LG_HOOK_FCNTL_SETOWN, LG_REASON_CONFINED, 0, 0 },
			{ "F_SETOWN_EX to another agent", a_fsetown_ex, cw.victim.pid, 0, NULL,
			  EACCES, LG_HOOK_FCNTL_SETOWN, LG_REASON_CONFINED, 0, 0 },
			{ "FIOSETOWN to a non-agent", a_fiosetown, cw.bystander.pid, 0, NULL,
			  EACCES, LG_HOOK_IOCTL_SETOWN, LG_REASON_CONFINED, 0, 0 },
		};

		for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++)
			attack(&as[i]);
	}
	world_end(&cw);
}

/* Inside the scope: a sub-cgroup's process and a child of the agent. */
KTEST(confine_process_inside_scope)
{
	struct worker top, sub;
	struct cf_world cw;
	pid_t t;

	REQUIRE(world_start(&cw), "world");
	grant_proc();
	REQUIRE(worker_start(&top, FX_A1, "lgt-top") == 0, "start a1 worker");
	REQUIRE(worker_start(&sub, FX_A1_SUB, "lgt-sub") == 0, "start a1/sub worker");
	t = top.pid;
	CHECK_ERR(w_call(&sub, a_kill, t, 0, NULL), 0, "kill 0 within a1");
	CHECK_ERR(w_call(&sub, a_pidfd_signal, t, SIGCONT, NULL), 0, "pidfd_send_signal in a1");
	CHECK_ERR(w_call(&sub, a_ptrace, t, 0, NULL), 0, "ptrace attach within a1");
	CHECK_ERR(w_call(&sub, a_vm_readv, t, 0, NULL), 0, "process_vm_readv within a1");
	CHECK_ERR(w_call(&sub, a_pidfd_getfd, t, 0, NULL), 0, "pidfd_getfd within a1");
	CHECK_ERR(w_call(&sub, a_proc_open, t, 0, "environ"), 0, "environ within a1");
	CHECK_ERR(w_call(&sub, a_setpriority, t, 0, NULL), 0, "setpriority within a1");
	CHECK_ERR(w_call(&top, a_kill, sub.pid, 0, NULL), 0, "a1 signals a1/sub");
	CHECK_ERR(w_call(&top, a_own_child, 0, 0, NULL), 0, "trace, read and kill own child");
	CHECK_ERR(w_call(&top, a_fsetown, 0, 0, NULL), 0, "F_SETOWN to itself");
	CHECK_ERR(w_simple(&top, W_PIDFD, 0, 0, 0), 0, "the traced worker still answers");
	CHECK(fx_count_events(top.pid, 200) == 0 && fx_count_events(sub.pid, 0) == 0,
	      "no denial inside the scope");
	worker_stop(&sub);
	worker_stop(&top);
	world_end(&cw);
}

/*
 * As in a container: a process in a pid namespace of its own (pid 1 there)
 * joins @cgroup, then makes @who the owner of a socket's SIGIO (0: itself,
 * by getpid()). Returns the errno F_SETOWN got, or -1 if the set-up failed.
 */
static int pidns_fsetown(const char *cgroup, int who)
{
	pid_t c = fork();
	int st;

	if (c < 0)
		return -1;
	if (c == 0) {
		pid_t inner;

		if (unshare(CLONE_NEWPID))
			_exit(200);
		inner = fork();
		if (inner < 0)
			_exit(201);
		if (inner == 0) {
			char procs[128];
			int fd;

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
			fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1 || getpid() != 1)
				_exit(202);
			close(fd);
			fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				_exit(203);
			_exit(fcntl(fd, F_SETOWN, who ? who : getpid()) ? errno : 0);
		}
		if (waitpid(inner, &st, 0) != inner || !WIFEXITED(st))
			_exit(204);
		_exit(WEXITSTATUS(st));
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) >= 200)
		return -1;
	return WEXITSTATUS(st);
}

/* F_SETOWN names a pid as the caller's own pid namespace numbers it. */
KTEST(confine_fsetown_own_pid_namespace)
{
	CHECK_ERR(pidns_fsetown(FX_A1, 0), 0, "pid 1 of its own pid namespace owns its socket");
	/* Pid 2 does not exist there: the kernel would say ESRCH, livegrant refuses first. */
	CHECK_ERR(pidns_fsetown(FX_A1, 2), EACCES, "another pid of that namespace is refused");
	CHECK(fx_count_hook_events(LG_HOOK_FCNTL_SETOWN, EVENT_WAIT_MS) == 1,
	      "one fcntl_setown denial reported");
	CHECK_ERR(pidns_fsetown(FX_OTHER, 2), ESRCH, "a non-agent gets the kernel's answer");
}

/* ---- 4: leaving the cgroup, changing what paths mean ----------------------- */

KTEST(confine_cgroup_mount_namespace)
{
	static const char *rd[] = { CF_DIR "/" };
	struct lg_grant_spec gs = fx_spec(60000);
	struct cf_world cw;
	int fd;

	REQUIRE(world_start(&cw), "world");
	/* The grant lets the agent open the directory: only the capability decides. */
	fd = open(CF_DIR "/handle-me", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0, "a file to open by handle");
	close(fd);
	gs.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &gs, NULL) == 0, "grant: %s", lg_errmsg());
	{
		const struct attack as[] = {
			{ "clone3(CLONE_INTO_CGROUP) into the root cgroup", a_clone_into_cgroup, 0,
			  0, CF_CGROUP_ROOT, EACCES, LG_HOOK_TASK_ALLOC, LG_REASON_CONFINED, 0, 0 },
			{ "clone3(CLONE_INTO_CGROUP) into another agent's cgroup",
			  a_clone_into_cgroup, 0, 0, FX_A2, EACCES, LG_HOOK_TASK_ALLOC,
			  LG_REASON_CONFINED, 0, NA_SKIP },
			/* sb_mount comes before the kernel's own capability check. */
			{ "mount tmpfs", a_mount_tmpfs, 0, 0, CF_DIR "/mnt", EACCES,
			  LG_HOOK_SB_MOUNT, LG_REASON_CONFINED, 0, 0 },
			{ "chroot", a_chroot, 0, 0, CF_DIR, EPERM, LG_HOOK_CAPABLE,
			  LG_REASON_CONFINED, CAP_SYS_CHROOT, 0 },
			{ "open_by_handle_at", a_open_by_handle, 0, 0, CF_DIR "/handle-me", EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_DAC_READ_SEARCH, 0 },
			{ "unshare(CLONE_NEWUSER)", a_unshare, 0, CLONE_NEWUSER, NULL, EACCES,
			  LG_HOOK_USERNS_CREATE, LG_REASON_CONFINED, 0, 0 },
			{ "unshare(CLONE_NEWNS)", a_unshare, 0, CLONE_NEWNS, NULL, EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_ADMIN, 0 },
			{ "unshare(CLONE_NEWNET)", a_unshare, 0, CLONE_NEWNET, NULL, EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_ADMIN, NA_SKIP },
			/* task_alloc comes before the capability check of copy_namespaces(). */
			{ "clone3(CLONE_NEWNET)", a_clone3_ns, 0, CLONE_NEWNET, NULL, EACCES,
			  LG_HOOK_TASK_ALLOC, LG_REASON_CONFINED, 0, 0 },
			{ "clone3(CLONE_NEWNS | CLONE_NEWPID)", a_clone3_ns, 0,
			  CLONE_NEWNS | CLONE_NEWPID, NULL, EACCES, LG_HOOK_TASK_ALLOC,
			  LG_REASON_CONFINED, 0, 0 },
			/* The user namespace is made with the child's credentials, first. */
			{ "clone3(CLONE_NEWUSER)", a_clone3_ns, 0, CLONE_NEWUSER, NULL, EACCES,
			  LG_HOOK_USERNS_CREATE, LG_REASON_CONFINED, 0, 0 },
		};

		for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++)
			attack(&as[i]);
	}
	world_end(&cw);
}

/* ---- 5: the host and the clock ------------------------------------------------ */

static int write_sysctl(const char *path, const char *value, char *old, size_t oldsize)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, oldsize - 1);
		old[n > 0 ? n : 0] = 0;
		lseek(fd, 0, SEEK_SET);
	}
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int kprobe_pmu_type(void)
{
	char buf[32] = "";
	int fd = open("/sys/bus/event_source/devices/kprobe/type", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* How far CLOCK_REALTIME is ahead of CLOCK_MONOTONIC, in seconds. */
static long clock_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (long)(rt.tv_sec - mono.tv_sec);
}

KTEST(confine_host)
{
	char host[65] = "", paranoid[16] = "", dmesg[16] = "";
	int kprobe = kprobe_pmu_type();
	long offset = clock_offset();
	struct cf_world cw;

	REQUIRE(gethostname(host, sizeof(host) - 1) == 0, "hostname");
	REQUIRE(kprobe >= 0, "the kernel has a kprobe PMU");
	/* Unprivileged perf allowed, so that only livegrant can be what refuses. */
	REQUIRE(write_sysctl("/proc/sys/kernel/perf_event_paranoid", "1", paranoid,
			     sizeof(paranoid)) == 0,
		"perf_event_paranoid");
	/* Likewise the size of the kernel log, which needs no capability then. */
	REQUIRE(write_sysctl("/proc/sys/kernel/dmesg_restrict", "0", dmesg, sizeof(dmesg)) == 0,
		"dmesg_restrict");
	/* The user keyring exists: an agent's add_key meets key_permission, not key_alloc. */
	REQUIRE(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 1) > 0,
		"root's user keyring");
	REQUIRE(world_start(&cw), "world");
	{
		const struct attack as[] = {
			/* The non-agent's turn is below: it would succeed. */
			{ "sethostname lgt-evil", a_sethostname, 0, 0, "lgt-evil", EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_ADMIN, NA_SKIP },
			{ "clock_settime a day back", a_settime, 0, -86400, NULL, EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_TIME, NA_SKIP },
			{ "init_module of a bogus image", a_init_module, 0, 0, NULL, EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_MODULE, NA_REACHES },
			{ "perf_event_open software event", a_perf, 0, -1, NULL, EACCES,
			  LG_HOOK_PERF, LG_REASON_CONFINED, 0, 0 },
			{ "perf_event_open kprobe", a_perf, 0, kprobe, NULL, EACCES, LG_HOOK_PERF,
			  LG_REASON_CONFINED, 0, NA_SKIP },
			/* A keyring the agent may not search is one it cannot find. */
			{ "add_key to the user keyring", a_add_key, 0, 0, NULL, ENOKEY,
			  LG_HOOK_KEY_PERMISSION, LG_REASON_CONFINED, 0, 0 },
			{ "keyctl(KEYCTL_GET_KEYRING_ID)", a_keyctl, 0, 0, NULL, ENOKEY,
			  LG_HOOK_KEY_PERMISSION, LG_REASON_CONFINED, 0, NA_SKIP },
			{ "reboot(LINUX_REBOOT_CMD_CAD_OFF)", a_reboot, 0, 0, NULL, EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_BOOT, 0 },
			{ "ioperm", a_ioperm, 0, 0, NULL, EPERM, LG_HOOK_CAPABLE,
			  LG_REASON_CONFINED, CAP_SYS_RAWIO, 0 },
			{ "iopl", a_iopl, 0, 0, NULL, EPERM, LG_HOOK_CAPABLE, LG_REASON_CONFINED,
			  CAP_SYS_RAWIO, NA_SKIP },
			/* A non-agent passes the capability checks (tmpfs may lack an fsid). */
			{ "fanotify mount mark", a_fanotify_mount, 0, 0, NULL, EPERM,
			  LG_HOOK_CAPABLE, LG_REASON_CONFINED, CAP_SYS_ADMIN, NA_REACHES },
			{ "syslog(SYSLOG_ACTION_SIZE_BUFFER)", a_syslog_size, 0, 0, NULL, EACCES,
			  LG_HOOK_SYSLOG, LG_REASON_CONFINED, 0, 0 },
			{ "RTM_NEWADDR on lo", a_rtm_newaddr, 0, 1, NULL, EPERM, LG_HOOK_CAPABLE,
			  LG_REASON_CONFINED, CAP_NET_ADMIN, 0 },
			{ "RTM_NEWROUTE", a_rtm_newroute, 0, 0, NULL, EPERM, LG_HOOK_CAPABLE,
			  LG_REASON_CONFINED, CAP_NET_ADMIN, NA_SKIP },
			{ "RTM_NEWLINK lo down", a_lo_down, 0, 0, NULL, EPERM, LG_HOOK_CAPABLE,
			  LG_REASON_CONFINED, CAP_NET_ADMIN, NA_SKIP },
		};

		for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++)
			attack(&as[i]);
	}
	write_sysctl("/proc/sys/kernel/perf_event_paranoid", paranoid, NULL, 0);
	write_sysctl("/proc/sys/kernel/dmesg_restrict", dmesg, NULL, 0);
	{
		char now[65] = "";
		long moved = clock_offset() - offset;

		CHECK(gethostname(now, sizeof(now) - 1) == 0 && !strcmp(now, host),
		      "hostname unchanged (%s, want %s)", now, host);
		CHECK(moved > -5 && moved < 5, "the clock did not move (%lds)", moved);
	}
	/* A non-agent sets both: to the same hostname, and the clock to now. */
	{
		struct worker w;

		if (CHECK(worker_start(&w, FX_OTHER, "lgt-nonagent") == 0, "start non-agent")) {
			CHECK_ERR(w_call(&w, a_sethostname, 0, 0, host), 0,
				  "a non-agent's sethostname");
			CHECK_ERR(w_call(&w, a_settime, 0, 0, NULL), 0,
				  "a non-agent's clock_settime");
			worker_stop(&w);
		}
	}
	world_end(&cw);
}

/* ---- 3: other processes: a terminal's input, SysV IPC ----------------------- */

static bool op_is(const struct lg_event *ev, const void *op)
{
	return ev->target_kind == LG_TARGET_OP && ev->target_domain == *(const uint32_t *)op;
}

#define LEGACY_TIOCSTI "/proc/sys/dev/tty/legacy_tiocsti"

KTEST(confine_tty_input)
{
	static const char *rw[] = { "/dev/ptmx", "/dev/pts/" };
	struct lg_grant_spec gs = fx_spec(60000);
	const uint32_t ops[] = { TIOCSTI, TIOCLINUX };
	char legacy[16] = "";
	bool has_legacy = access(LEGACY_TIOCSTI, F_OK) == 0;
	const struct lg_event *ev;
	struct worker w;

	/* 6.2+: without it TIOCSTI needs CAP_SYS_ADMIN (the non-agent is root). */
	if (has_legacy)
		REQUIRE(write_sysctl(LEGACY_TIOCSTI, "1", legacy, sizeof(legacy)) == 0,
			"legacy_tiocsti");
	/* The agent may open ptys: only the ioctl hook decides. */
	gs.rules[LG_RULE_READ] = STRV(rw);
	gs.rules[LG_RULE_WRITE] = STRV(rw);
	REQUIRE(lg_grant_install(fx, fx_a1, &gs, NULL) == 0, "grant ptys: %s", lg_errmsg());
	if (CHECK(worker_start(&w, FX_A1, "lgt-tty") == 0, "start agent")) {
		CHECK_ERR(w_call(&w, a_tty_ioctl, 0, TIOCSTI, NULL), EACCES,
			  "an agent's TIOCSTI on its controlling tty (no byte on the master)");
		CHECK_ERR(w_call(&w, a_tty_ioctl, 0, TIOCLINUX, NULL), EACCES,
			  "an agent's TIOCLINUX");
		/* From the worker's child, whose terminal it is: any pid. */
		for (size_t i = 0; i < 2; i++) {
			ev = fx_wait_event_if(0, LG_HOOK_IOCTL_SETOWN, LG_REASON_CONFINED, op_is,
					      &ops[i], EVENT_WAIT_MS);
			CHECK(ev && ev->action == LG_ACTION_DENIED && ev->agent_cgroup_id == fx_a1,
			      "event: denied, op 0x%x", ops[i]);
		}
		worker_stop(&w);
	}
	if (CHECK(worker_start(&w, FX_OTHER, "lgt-tty") == 0, "start non-agent")) {
		int res = w_call(&w, a_tty_ioctl, 0, TIOCLINUX, NULL);

		CHECK_ERR(w_call(&w, a_tty_ioctl, 0, TIOCSTI, NULL), 0,
			  "a non-agent's TIOCSTI (the byte on the master)");
		CHECK(res != EPERM && res != EACCES,
		      "a non-agent's TIOCLINUX reaches the tty (%d, %s)", res, ktest_errname(res));
		worker_stop(&w);
	}
	if (has_legacy)
		write_sysctl(LEGACY_TIOCSTI, legacy, NULL, 0);
}

/*
 * A terminal's session and the processes acting on it. The session leader
 * takes a fresh pty's slave as its controlling terminal and joins
 * @leader_cg (NULL: stays where it is); its child, the actor, joins
 * @actor_cg and on that terminal sets the window size, termios (echo off,
 * VINTR 'e'), sends SIGINT to the foreground with TIOCSIG on the master
 * (the terminal is the slave, the pty's other end) and, from a process
 * group of its own, takes the foreground.
 * The harness reads the terminal back through the master while the leader
 * still lives, and the leader says whether SIGWINCH and SIGINT reached it.
 */
struct tty_seen {
	int err[4]; /* TIOCSWINSZ, TCSETS, TIOCSIG on the master, TIOCSPGRP */
	pid_t actor, leader, fg;
	struct winsize ws;
	struct termios tio;
	int winch, sigint; /* pending at the leader */
};

static int join_cgroup(const char *cgroup)
{
	char procs[128];
	int fd, ok;

	if (!cgroup)
		return 0;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static void tty_actor(int m, int sl, const char *actor_cg, int res)
{
	struct winsize ws = { .ws_row = 33, .ws_col = 77 };
	struct {
		int err[4];
		pid_t pid;
	} out = { { EIO, EIO, EIO, EIO }, 0 };
	struct termios tio;
	pid_t pg;

	out.pid = getpid();
	if (join_cgroup(actor_cg) == 0 && tcgetattr(sl, &tio) == 0) {
		out.err[0] = err_of(ioctl(sl, TIOCSWINSZ, &ws));
		tio.c_lflag &= ~(tcflag_t)ECHO;
		tio.c_cc[VINTR] = 'e';
		out.err[1] = err_of(ioctl(sl, TCSETS, &tio));
		out.err[2] = err_of(ioctl(m, TIOCSIG, SIGINT)); /* INT, QUIT, TSTP only */
		/* A background group: SIGTTOU would stop it, not refuse it. */
		signal(SIGTTOU, SIG_IGN);
		pg = getpid();
		out.err[3] = setpgid(0, 0) ? errno : err_of(ioctl(sl, TIOCSPGRP, &pg));
	}
	if (write(res, &out, sizeof(out)) != sizeof(out))
		_exit(1);
	_exit(0);
}

static void tty_leader(int m, const char *leader_cg, const char *actor_cg, int res, int go)
{
	sigset_t winch, pending;
	pid_t actor;
	int sl, seen, status;
	char c;

	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigaddset(&winch, SIGINT); /* the actor inherits the mask */
	sigprocmask(SIG_BLOCK, &winch, NULL);
	if (setsid() < 0)
		_exit(1);
	sl = open(ptsname(m), O_RDWR | O_CLOEXEC);
	if (sl < 0 || join_cgroup(leader_cg))
		_exit(2);
	actor = fork();
	if (actor < 0)
		_exit(3);
	if (actor == 0)
		tty_actor(m, sl, actor_cg, res);
	waitpid(actor, &status, 0);
	if (read(go, &c, 1) != 1)
		_exit(4);
	seen = sigpending(&pending) ?
		       -1 :
		       sigismember(&pending, SIGWINCH) | sigismember(&pending, SIGINT) << 1;
	if (write(res, &seen, sizeof(seen)) != sizeof(seen))
		_exit(5);
	_exit(0);
}

static bool tty_session_run(const char *leader_cg, const char *actor_cg, struct tty_seen *seen)
{
	struct winsize ws0 = { .ws_row = 24, .ws_col = 80 };
	struct {
		int err[4];
		pid_t pid;
	} out;
	int m, res[2], go[2], status, sig = 0;
	bool ok = false;
	pid_t leader;

	memset(seen, 0, sizeof(*seen));
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return false;
	if (grantpt(m) || unlockpt(m) || !ptsname(m) || ioctl(m, TIOCSWINSZ, &ws0) ||
	    pipe2(res, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) {
		close(m);
		return false;
	}
	leader = fork();
	if (leader == 0)
		tty_leader(m, leader_cg, actor_cg, res[1], go[0]);
	close(res[1]);
	close(go[0]);
	if (leader > 0 && read(res[0], &out, sizeof(out)) == sizeof(out)) {
		memcpy(seen->err, out.err, sizeof(seen->err));
		seen->actor = out.pid;
		seen->leader = leader;
		ok = ioctl(m, TIOCGWINSZ, &seen->ws) == 0 && tcgetattr(m, &seen->tio) == 0 &&
		     ioctl(m, TIOCGPGRP, &seen->fg) == 0;
		ok = write(go[1], "g", 1) == 1 && read(res[0], &sig, sizeof(sig)) == sizeof(sig) &&
		     sig >= 0 && ok;
		seen->winch = sig & 1;
		seen->sigint = !!(sig & 2);
	}
	close(go[1]);
	close(res[0]);
	if (leader > 0)
		waitpid(leader, &status, 0);
	close(m);
	return ok;
}

static bool task_is(const struct lg_event *ev, const void *pid)
{
	return ev->target_kind == LG_TARGET_TASK && ev->target_domain == *(const uint32_t *)pid;
}

/* The terminal of a non-agent's session: its child in the agent cgroup may not change it. */
KTEST(confine_tty_session_foreign)
{
	static const char *what[] = { "TIOCSWINSZ", "TCSETS", "TIOCSIG", "TIOCSPGRP" };
	struct tty_seen seen;
	const struct lg_event *ev;

	REQUIRE(tty_session_run(NULL, FX_A1, &seen), "a non-agent's session with a pty");
	for (size_t i = 0; i < 4; i++)
		CHECK(seen.err[i] == EACCES, "the agent child's %s on the leader's terminal: %s",
		      what[i], ktest_errname(seen.err[i]));
	for (size_t i = 0; i < 4; i++) {
		ev = fx_wait_event_if(seen.actor, LG_HOOK_IOCTL_SETOWN, LG_REASON_OUT_OF_SCOPE,
				      task_is, &seen.leader, EVENT_WAIT_MS);
		CHECK(ev && ev->action == LG_ACTION_DENIED && ev->agent_cgroup_id == fx_a1,
		      "event %zu: denied, out of scope, the leader named", i + 1);
	}
	CHECK(seen.ws.ws_row == 24 && seen.ws.ws_col == 80, "window size unchanged (%ux%u)",
	      seen.ws.ws_row, seen.ws.ws_col);
	CHECK((seen.tio.c_lflag & ECHO) && seen.tio.c_cc[VINTR] != 'e', "termios unchanged");
	CHECK(seen.fg == seen.leader, "the leader still in the foreground (%d, leader %d)", seen.fg,
	      seen.leader);
	CHECK(!seen.winch && !seen.sigint, "no SIGWINCH, no SIGINT at the leader");
}

/* The agent's own session (its leader in the agent cgroup), and a non-agent's: changed. */
KTEST(confine_tty_session_own)
{
	static const char *what[] = { "TIOCSWINSZ", "TCSETS", "TIOCSIG", "TIOCSPGRP" };
	static const char *who[] = { "an agent", "a non-agent" };
	struct tty_seen seen;

	for (int k = 0; k < 2; k++) {
		if (!CHECK(tty_session_run(k ? NULL : FX_A1, NULL, &seen),
			   "%s's session with a pty", who[k]))
			continue;
		for (size_t i = 0; i < 4; i++)
			CHECK(seen.err[i] == 0, "%s's %s on its own terminal: %s", who[k], what[i],
			      ktest_errname(seen.err[i]));
		CHECK(seen.ws.ws_row == 33 && seen.ws.ws_col == 77, "%s: window size changed",
		      who[k]);
		CHECK(!(seen.tio.c_lflag & ECHO) && seen.tio.c_cc[VINTR] == 'e',
		      "%s: termios changed", who[k]);
		CHECK(seen.fg == seen.actor, "%s: the actor's group in the foreground", who[k]);
		CHECK(seen.winch && seen.sigint, "%s: SIGWINCH and SIGINT at the leader", who[k]);
	}
	CHECK(fx_count_hook_events(LG_HOOK_IOCTL_SETOWN, 300) == 0, "no event");
}

KTEST(confine_sysv_ipc)
{
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct msqid_ds mq;
	struct worker w;
	char *mem;

	REQUIRE(shm >= 0 && msq >= 0 && sem >= 0, "SysV objects of a non-agent");
	mem = shmat(shm, NULL, SHM_RDONLY);
	REQUIRE(mem != (void *)-1, "attach the segment");
	if (CHECK(worker_start(&w, FX_A1, "lgt-ipc") == 0, "start agent")) {
		CHECK_ERR(w_call(&w, a_shmat, 0, shm, NULL), EACCES, "an agent's shmat");
		CHECK_ERR(w_call(&w, a_msgsnd, 0, msq, NULL), EACCES, "an agent's msgsnd");
		CHECK_ERR(w_call(&w, a_semop, 0, sem, NULL), EACCES, "an agent's semop");
		/* The event names the access asked: 0666 to attach, 0222 to send or alter. */
		for (size_t i = 0; i < 2; i++) {
			const uint32_t op = i ? 0222 : 0666;
			const struct lg_event *ev = fx_wait_event_if(w.pid, LG_HOOK_IPC_PERMISSION,
								     LG_REASON_CONFINED, op_is, &op,
								     EVENT_WAIT_MS);

			CHECK(ev && ev->action == LG_ACTION_DENIED && ev->agent_cgroup_id == fx_a1,
			      "event from ipc_permission: denied, access 0%o", op);
		}
		CHECK(fx_count_events(w.pid, 300) == 3, "an event for each of the three");
		/* Removal asks no ipc_permission: the ctl hooks refuse it. */
		CHECK_ERR(w_call(&w, a_ipc_rmid, 0, shm, NULL), EACCES,
			  "an agent's IPC_RMID of shm");
		CHECK_ERR(w_call(&w, a_ipc_rmid, 1, msq, NULL), EACCES,
			  "an agent's IPC_RMID of a queue");
		CHECK_ERR(w_call(&w, a_ipc_rmid, 2, sem, NULL), EACCES,
			  "an agent's IPC_RMID of semaphores");
		CHECK(fx_wait_event(w.pid, LG_HOOK_SHM_SHMCTL, LG_REASON_CONFINED, EVENT_WAIT_MS),
		      "event from shm_shmctl");
		CHECK(fx_wait_event(w.pid, LG_HOOK_MSG_QUEUE_MSGCTL, LG_REASON_CONFINED,
				    EVENT_WAIT_MS),
		      "event from msg_queue_msgctl");
		CHECK(fx_wait_event(w.pid, LG_HOOK_SEM_SEMCTL, LG_REASON_CONFINED, EVENT_WAIT_MS),
		      "event from sem_semctl");
		worker_stop(&w);
	}
	CHECK(mem[0] == 0, "the segment unchanged");
	CHECK(msgctl(msq, IPC_STAT, &mq) == 0 && mq.msg_qnum == 0, "the queue empty");
	CHECK(semctl(sem, 0, GETVAL) == 0, "the semaphore at 0");
	if (CHECK(worker_start(&w, FX_OTHER, "lgt-ipc") == 0, "start non-agent")) {
		CHECK_ERR(w_call(&w, a_shmat, 0, shm, NULL), 0, "a non-agent's shmat");
		CHECK_ERR(w_call(&w, a_msgsnd, 0, msq, NULL), 0, "a non-agent's msgsnd");
		CHECK_ERR(w_call(&w, a_semop, 0, sem, NULL), 0, "a non-agent's semop");
		worker_stop(&w);
	}
	CHECK(mem[0] == 'L', "the non-agent wrote the segment");
	CHECK(msgctl(msq, IPC_STAT, &mq) == 0 && mq.msg_qnum == 1, "one message queued");
	CHECK(semctl(sem, 0, GETVAL) == 1, "the semaphore at 1");
	shmdt(mem);
	shmctl(shm, IPC_RMID, NULL);
	msgctl(msq, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
}

/* ---- audit mode, and the kernel's unaudited checks ------------------------- */

/* In audit mode every confinement decision allows and reports "audited". */
KTEST(confine_audit_mode)
{
	char host[65] = "";
	struct cf_world cw;
	struct worker w;
	const struct lg_event *ev;

	REQUIRE(gethostname(host, sizeof(host) - 1) == 0, "hostname");
	REQUIRE(world_start(&cw), "world");
	/* a1 has no grant: the default mode applies. */
	REQUIRE(lg_set_default_mode(fx, LG_MODE_AUDIT) == 0, "audit mode: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lgt-audited") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_kill, cw.bystander.pid, 0, NULL), 0, "kill 0 of a non-agent");
	ev = fx_wait_event(w.pid, LG_HOOK_TASK_KILL, LG_REASON_OUT_OF_SCOPE, EVENT_WAIT_MS);
	CHECK(ev && ev->action == LG_ACTION_AUDITED, "kill: audited event");
	CHECK_ERR(w_call(&w, a_sethostname, 0, 0, host), 0, "sethostname (to the same name)");
	ev = fx_wait_event(w.pid, LG_HOOK_CAPABLE, LG_REASON_CONFINED, EVENT_WAIT_MS);
	CHECK(ev && ev->action == LG_ACTION_AUDITED && ev->port == CAP_SYS_ADMIN,
	      "capable: audited event");
	CHECK_ERR(w_call(&w, a_unshare, 0, CLONE_NEWUSER, NULL), 0, "unshare(CLONE_NEWUSER)");
	ev = fx_wait_event(w.pid, LG_HOOK_USERNS_CREATE, LG_REASON_CONFINED, EVENT_WAIT_MS);
	CHECK(ev && ev->action == LG_ACTION_AUDITED, "userns_create: audited event");
	worker_stop(&w);
	lg_set_default_mode(fx, LG_MODE_ENFORCE);
	world_end(&cw);
}

/*
 * A check the kernel makes without auditing (CAP_OPT_NOAUDIT: may this
 * reader see kernel addresses in /proc/kallsyms?) is denied, silently.
 */
KTEST(confine_noaudit_capability)
{
	static const char *rd[] = { "/proc/" };
	struct lg_grant_spec s = fx_spec(60000);
	char kptr[16] = "", paranoid[16] = "";
	struct worker w;

	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant /proc: %s", lg_errmsg());
	/* Only CAP_SYSLOG decides (kptr_restrict 1; perf_event_paranoid 2: not "for perf"). */
	REQUIRE(write_sysctl("/proc/sys/kernel/kptr_restrict", "1", kptr, sizeof(kptr)) == 0,
		"kptr_restrict");
	REQUIRE(write_sysctl("/proc/sys/kernel/perf_event_paranoid", "2", paranoid,
			     sizeof(paranoid)) == 0,
		"perf_event_paranoid");
	REQUIRE(worker_start(&w, FX_A1, "lgt-kallsyms") == 0, "start agent");
	CHECK_ERR(w_call(&w, a_kallsyms, 0, 0, NULL), ENODATA, "an agent sees no kernel addresses");
	CHECK(fx_count_events(w.pid, 300) == 0, "and no event reports it");
	worker_stop(&w);
	REQUIRE(worker_start(&w, FX_OTHER, "lgt-kallsyms") == 0, "start non-agent");
	CHECK_ERR(w_call(&w, a_kallsyms, 0, 0, NULL), 0, "a non-agent does");
	worker_stop(&w);
	write_sysctl("/proc/sys/kernel/kptr_restrict", kptr, NULL, 0);
	write_sysctl("/proc/sys/kernel/perf_event_paranoid", paranoid, NULL, 0);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * attest.c - attesting a control-socket peer from the kernel.
 *
 * Pid reuse. Everything livegrantd reads about a caller comes from
 * /proc/<pid>, and a pid is only a number: the caller may exit and another
 * process get its pid before livegrantd looks.
 *
 * With SO_PEERPIDFD (6.5+: 6.12, sid) the kernel hands over a pidfd of the
 * process that called connect(), taken at connect time: it names that
 * process whatever happens to the number. livegrantd checks that the pidfd
 * still maps to the pid it reads (/proc/self/fdinfo), reads /proc/<pid>,
 * and only then asks the pidfd whether its process is still alive
 * (pidfd_send_signal(pidfd, 0)). A live process keeps its pid, so what was
 * read was the caller's: a pid reused at any moment between connect and
 * the last read fails that check. The same check follows the executable's
 * hash and the re-check before the grant is written.
 *
 * Without it (6.1), SO_PEERCRED gives the pid the caller had at connect
 * and livegrantd opens a pidfd for it at accept. Between connect and that
 * pidfd_open another process may have taken the pid; it is refused when it
 * started after the accept (start time in /proc/<pid>/stat), so the race
 * left is a caller that exits and a pid reused by a process started between
 * its connect and livegrantd's accept, a window of microseconds that the
 * other process does not control (docs/tokens.md). The checks after the
 * reads are the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest.h"
#include "livegrant.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* asm-generic/socket.h, Linux 6.5 */
#endif

/* The pid @pidfd names now (fdinfo "Pid:"): -1 once it exited, 0 if unknown. */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], line[128];
	pid_t pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid:\t%d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* After reading /proc/<pid>: was it still the attested process? */
/*
 * Is the process of @pidfd still there? A pidfd of an exited (reaped)
 * process still exists, but signals to it fail with ESRCH. Signal 0 checks
 * the permission to signal after finding the process: EPERM (a caller of
 * another uid, and livegrantd keeps no CAP_KILL) means it is alive. Any
 * other error (a bad descriptor, a seccomp refusal) says nothing: not alive.
 */
static bool pidfd_alive(int pidfd)
{
	return !syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) || errno == EPERM;
}

static int still_the_peer(const struct lgd_peer *p, const char *what)
{
	if (!pidfd_alive(p->pidfd))
		return lg_err(-ESRCH, "pid %d exited while livegrantd read its %s: refused", p->pid,
			      what);
	return 0;
}

const char *lgd_attest_method(void)
{
	static const char *method;
	int sv[2], pidfd = -1;
	socklen_t len = sizeof(pidfd);

	if (method)
		return method;
	method = "SO_PEERCRED";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return method;
	if (!getsockopt(sv[0], SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) && pidfd >= 0) {
		method = "SO_PEERPIDFD";
		close(pidfd);
	}
	close(sv[0]);
	close(sv[1]);
	return method;
}

/*
 * The caller's pidfd: SO_PEERPIDFD where the kernel has it, else
 * pidfd_open() of the SO_PEERCRED pid (the fallback attest.c describes).
 */
static int peer_pidfd(int fd, struct lgd_peer *p)
{
	socklen_t len = sizeof(p->pidfd);
	int r = getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &p->pidfd, &len);
	pid_t now;

	if (!r && p->pidfd >= 0) {
		p->via_peerpidfd = true;
		now = pidfd_pid(p->pidfd);
		if (now != p->pid)
			return lg_err(
				-ESRCH,
				"the process that connected (pid %d) is gone or not in our pid namespace",
				p->pid);
		return 0;
	}
	/*
	 * Only a kernel without SO_PEERPIDFD falls back to the pid. Where the
	 * option exists, its failure means the process that connected has
	 * exited (the kernel cannot make a pidfd of it): its pid may already
	 * name another process, so nothing is attested.
	 */
	if (!r || errno != ENOPROTOOPT)
		return lg_err(
			-ESRCH,
			"the process that connected (pid %d) is gone (SO_PEERPIDFD: %s): nothing to attest",
			p->pid, r ? strerror(errno) : "no descriptor");
	p->pidfd = syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0)
		return lg_err(-errno, "peer pid %d is gone: %s", p->pid, strerror(errno));
	return 0;
}

static int read_start_ticks(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* Field 3 (state) follows ") "; starttime is field 22. */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &start) != 1)
		return -EIO;
	*out = start;
	return 0;
}

int lgd_pid_cgroup(pid_t pid, const char *cgroup_root, char *out, size_t size)
{
	char path[64], line[PATH_MAX + 16];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		/* The unified hierarchy's line: "0::/path". */
		if (strncmp(line, "0::", 3))
			continue;
		if (snprintf(out, size, "%s%s", cgroup_root,
			     strcmp(line + 3, "/") ? line + 3 : "") >= (int)size)
			err = -ENAMETOOLONG;
		else
			err = 0;
		break;
	}
	fclose(f);
	return err;
}

int lgd_attest_peer(int fd, uint64_t accepted_ns, const char *cgroup_root, struct lgd_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	long hz = sysconf(_SC_CLK_TCK);
	int err;

	memset(p, 0, sizeof(*p));
	p->pidfd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return lg_err(-errno, "SO_PEERCRED failed: %s", strerror(errno));
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	if (p->pid <= 0)
		return lg_err(-ESRCH, "peer has no pid in our pid namespace");
	err = peer_pidfd(fd, p);
	if (err)
		return err;
	err = read_start_ticks(p->pid, &p->start_ticks);
	if (err)
		return lg_err(err, "reading /proc/%d/stat failed", p->pid);
	/* Start ticks and CLOCK_BOOTTIME share their origin (boot). */
	if (hz > 0 && p->start_ticks * (1000000000ULL / hz) > accepted_ns)
		return lg_err(-ESTALE,
			      "pid %d started after its connection was accepted: pid reused",
			      p->pid);
	err = lgd_pid_cgroup(p->pid, cgroup_root, p->cgroup, sizeof(p->cgroup));
	if (err)
		return lg_err(err, "cannot read the cgroup of pid %d", p->pid);
	err = still_the_peer(p, "start time and cgroup");
	if (err)
		return err;
	return lg_cgroup_id(p->cgroup, &p->cgroup_id, NULL);
}

int lgd_attest_exe(struct lgd_peer *p)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char path[64];
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	/* Opening the magic link opens the very file the process executes. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lg_err(-errno, "cannot open the executable of pid %d: %s", p->pid,
			      strerror(errno));
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err = lg_err(-ENOMEM, "SHA-256 init failed");
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!EVP_DigestUpdate(ctx, buf, n)) {
			err = lg_err(-EIO, "SHA-256 update failed");
			goto out;
		}
	}
	if (n < 0) {
		err = lg_err(-errno, "reading the executable of pid %d: %s", p->pid,
			     strerror(errno));
		goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
		err = lg_err(-EIO, "SHA-256 final failed");
		goto out;
	}
	for (unsigned int i = 0; i < 32; i++) {
		p->exe_sha256[2 * i] = hex[md[i] >> 4];
		p->exe_sha256[2 * i + 1] = hex[md[i] & 15];
	}
	p->exe_sha256[64] = 0;
	/* The file opened was the caller's only if the caller was still alive then. */
	err = still_the_peer(p, "executable");
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return err;
}

int lgd_attest_recheck(const struct lgd_peer *p, const char *cgroup_root)
{
	char cg[PATH_MAX];
	uint64_t start;

	if (!pidfd_alive(p->pidfd))
		return lg_err(-ESRCH, "pid %d exited before its grant was written", p->pid);
	if (read_start_ticks(p->pid, &start) || start != p->start_ticks)
		return lg_err(-ESTALE, "pid %d is no longer the process that presented", p->pid);
	if (lgd_pid_cgroup(p->pid, cgroup_root, cg, sizeof(cg)) || strcmp(cg, p->cgroup))
		return lg_err(-ESTALE, "pid %d moved to another cgroup while presenting", p->pid);
	/* And it was still that process while its cgroup was read. */
	return still_the_peer(p, "cgroup");
}

void lgd_peer_release(struct lgd_peer *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

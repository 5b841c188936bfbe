// SPDX-License-Identifier: GPL-2.0
/*
 * attest.c - attesting a control-socket peer from the kernel.
 *
 * Pid reuse: SO_PEERCRED gives the pid the peer had when it connected. We
 * open a pidfd for it at once and require the process to have started before
 * the connection was accepted: a process that reused the pid afterwards
 * starts later and is refused. The check is repeated (same start time, pidfd
 * alive, same cgroup) just before a grant is written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest.h"
#include "livegrant.h"

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
	p->pidfd = syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0)
		return lg_err(-errno, "peer pid %d is gone: %s", p->pid, strerror(errno));
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
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return err;
}

int lgd_attest_recheck(const struct lgd_peer *p, const char *cgroup_root)
{
	char cg[PATH_MAX];
	uint64_t start;

	/* A pidfd of an exited process still exists but signals fail. */
	if (syscall(SYS_pidfd_send_signal, p->pidfd, 0, NULL, 0))
		return lg_err(-ESRCH, "pid %d exited before its grant was written", p->pid);
	if (read_start_ticks(p->pid, &start) || start != p->start_ticks)
		return lg_err(-ESTALE, "pid %d is no longer the process that presented", p->pid);
	if (lgd_pid_cgroup(p->pid, cgroup_root, cg, sizeof(cg)) || strcmp(cg, p->cgroup))
		return lg_err(-ESTALE, "pid %d moved to another cgroup while presenting", p->pid);
	return 0;
}

void lgd_peer_release(struct lgd_peer *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

// SPDX-License-Identifier: GPL-2.0
/* worker.c - see worker.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"
#include <livegrant/limits.h>

/* Sockets kept across requests (W_KEEP_CONNECT, W_UNIX_LISTEN). */
static int slots[W_SLOTS] = { -1, -1, -1, -1, -1, -1, -1, -1 };

static int fill_inet(int family, const char *addr, int port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s->sin_addr) != 1)
			return EINVAL;
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s->sin6_addr) != 1)
			return EINVAL;
		*len = sizeof(*s);
	}
	return 0;
}

static int do_inet(const struct worker_req *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int type = r->op == W_TCP_CONNECT ? SOCK_STREAM : SOCK_DGRAM;
	int fd, err = fill_inet(r->family, r->addr, r->port, &ss, &len);

	if (err)
		return err;
	fd = socket(r->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (r->op == W_UDP_SENDTO)
		err = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	else
		err = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	close(fd);
	return err;
}

static int do_unix(const struct worker_req *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int type = r->op == W_UNIX_SENDTO ? SOCK_DGRAM : SOCK_STREAM;
	socklen_t len;
	int fd, err;

	if (r->path[0] == '@' && r->op != W_UNIX_CONNECT_PATHNAME) {
		/* Abstract name: leading NUL, length counts the name only. */
		size_t n = strlen(r->path + 1);

		memcpy(sun.sun_path + 1, r->path + 1, n);
		len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	} else {
		size_t n = strnlen(r->path, sizeof(sun.sun_path) - 1);

		memcpy(sun.sun_path, r->path, n);
		len = sizeof(sun);
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (r->op == W_UNIX_SENDTO)
		err = sendto(fd, "x", 1, 0, (struct sockaddr *)&sun, len) < 0 ? errno : 0;
	else
		err = connect(fd, (struct sockaddr *)&sun, len) ? errno : 0;
	close(fd);
	return err;
}

static int do_netlink(const struct worker_req *r)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = r->port };
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	int err, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return errno;
	err = sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0 ? errno : 0;
	close(fd);
	return err;
}

static int do_socket(const struct worker_req *r)
{
	int fd = socket(r->family, r->flags | SOCK_CLOEXEC, r->arg);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_setsockopt(const struct worker_req *r)
{
	char opt[8] = { 0 };
	int err, fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	err = setsockopt(fd, r->flags, r->arg, opt, sizeof(opt)) ? errno : 0;
	close(fd);
	return err;
}

static int do_pidfd(void)
{
	int fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Keep @fd in slot @slot, closing what was there. */
static int keep(int slot, int fd)
{
	if (slot < 0 || slot >= W_SLOTS) {
		close(fd);
		return EINVAL;
	}
	if (slots[slot] >= 0)
		close(slots[slot]);
	slots[slot] = fd;
	return 0;
}

static int do_keep_connect(const struct worker_req *r)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(struct sockaddr_un);
	int fd, err = 0;

	if (r->family == AF_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		memset(&ss, 0, sizeof(ss));
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, r->addr, strnlen(r->addr, sizeof(r->addr) - 1));
	} else {
		err = fill_inet(r->family, r->addr, r->port, &ss, &len);
	}
	if (err)
		return err;
	fd = socket(r->family, r->flags | SOCK_CLOEXEC, r->mode);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		err = errno;
		close(fd);
		return err;
	}
	return keep(r->arg, fd);
}

static int do_unix_listen(const struct worker_req *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return errno;
	memcpy(sun.sun_path, r->path, strnlen(r->path, sizeof(sun.sun_path) - 1));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 16)) {
		err = errno;
		close(fd);
		return err;
	}
	return keep(r->arg, fd);
}

/*
 * One io_uring operation, through the raw syscalls: set up a ring, submit
 * @in, wait for its completion. Returns 0 or the errno of the completion.
 */
static int uring_one(const struct io_uring_sqe *in, unsigned setup_flags)
{
	struct io_uring_params p = { .flags = setup_flags, .sq_thread_idle = 1000 };
	int fd = syscall(__NR_io_uring_setup, 4, &p), res = EIO;
	size_t sq_sz, cq_sz, sqe_sz;
	char *sq = MAP_FAILED, *cq = MAP_FAILED;
	struct io_uring_sqe *sqes = MAP_FAILED;

	if (fd < 0)
		return errno;
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sqe_sz = p.sq_entries * sizeof(struct io_uring_sqe);
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_CQ_RING);
	sqes = mmap(NULL, sqe_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		    IORING_OFF_SQES);
	if (sq != MAP_FAILED && cq != MAP_FAILED && sqes != MAP_FAILED) {
		unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
		unsigned mask = *(unsigned *)(sq + p.sq_off.ring_mask);
		unsigned t = *tail, idx = t & mask;
		struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
		unsigned *head = (unsigned *)(cq + p.cq_off.head);
		unsigned cmask = *(unsigned *)(cq + p.cq_off.ring_mask);

		sqes[idx] = *in;
		((unsigned *)(sq + p.sq_off.array))[idx] = idx;
		__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
		/* SQPOLL: the kernel's submission thread takes it; just wait. */
		if (syscall(__NR_io_uring_enter, fd, setup_flags & IORING_SETUP_SQPOLL ? 0 : 1, 1,
			    IORING_ENTER_GETEVENTS | IORING_ENTER_SQ_WAKEUP, NULL, 0) < 0) {
			res = errno;
		} else {
			unsigned h = __atomic_load_n(head, __ATOMIC_ACQUIRE);

			if (h !=
			    __atomic_load_n((unsigned *)(cq + p.cq_off.tail), __ATOMIC_ACQUIRE))
				res = cqes[h & cmask].res < 0 ? -cqes[h & cmask].res : 0;
		}
	}
	if (sq != MAP_FAILED)
		munmap(sq, sq_sz);
	if (cq != MAP_FAILED)
		munmap(cq, cq_sz);
	if (sqes != MAP_FAILED)
		munmap(sqes, sqe_sz);
	close(fd);
	return res;
}

static int do_uring_connect(const struct worker_req *r)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_CONNECT };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err = fill_inet(r->family, r->addr, r->port, &ss, &len);

	if (err)
		return err;
	fd = socket(r->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	sqe.fd = fd;
	sqe.addr = (uintptr_t)&ss;
	sqe.off = len;
	/* mode 1: punted to an io-wq worker thread; 2: an SQPOLL ring's thread. */
	sqe.flags = r->mode == 1 ? IOSQE_ASYNC : 0;
	err = uring_one(&sqe, r->mode == 2 ? IORING_SETUP_SQPOLL : 0);
	close(fd);
	return err;
}

static int uring_send(int fd, int how)
{
	static char byte = 'u';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct io_uring_sqe sqe = { .fd = fd, .addr = (uintptr_t)&byte, .len = 1 };

	switch (how) {
	case W_SEND_URING_SEND:
		sqe.opcode = IORING_OP_SEND;
		break;
	case W_SEND_URING_SENDMSG:
		sqe.opcode = IORING_OP_SENDMSG;
		sqe.addr = (uintptr_t)&mh;
		sqe.flags = IOSQE_ASYNC;
		break;
	case W_SEND_URING_SEND_ZC:
		sqe.opcode = IORING_OP_SEND_ZC;
		break;
	default:
		sqe.opcode = IORING_OP_WRITE;
		sqe.off = (__u64)-1;
		sqe.flags = IOSQE_ASYNC;
		break;
	}
	return uring_one(&sqe, 0);
}

static int do_kept_send(const struct worker_req *r)
{
	int fd = r->arg >= 0 && r->arg < W_SLOTS ? slots[r->arg] : -1;
	int err = 0, p[2], src;
	off_t off = 0;

	if (fd < 0)
		return EBADF;
	switch (r->mode) {
	case W_SEND_SEND:
		return send(fd, "s", 1, MSG_NOSIGNAL) < 0 ? errno : 0;
	case W_SEND_WRITE:
		return write(fd, "w", 1) < 0 ? errno : 0;
	case W_SEND_SENDTO_ALLOWED: {
		struct sockaddr_storage ss;
		socklen_t len;

		fill_inet(AF_INET, "127.0.0.1", 5353, &ss, &len);
		return sendto(fd, "n", 1, MSG_NOSIGNAL, (struct sockaddr *)&ss, len) < 0 ? errno :
											   0;
	}
	case W_SEND_SENDFILE:
		src = memfd_create("lgt-src", MFD_CLOEXEC);
		if (src < 0 || write(src, "f", 1) != 1)
			return src < 0 ? errno : EIO;
		err = sendfile(fd, src, &off, 1) < 0 ? errno : 0;
		close(src);
		return err;
	case W_SEND_SPLICE:
		if (pipe2(p, O_CLOEXEC))
			return errno;
		if (write(p[1], "p", 1) != 1)
			err = EIO;
		else
			err = splice(p[0], NULL, fd, NULL, 1, 0) < 0 ? errno : 0;
		close(p[0]);
		close(p[1]);
		return err;
	}
	return uring_send(fd, r->mode);
}

/* The payload of a control message of @level/@type: a real one where it matters. */
static size_t cmsg_payload(int level, int type, unsigned char *buf)
{
	/* An IPv4 loose source route through 127.0.0.1 (NOP, LSRR, len 7, ptr 4). */
	static const unsigned char lsrr[8] = { 1, 131, 7, 4, 127, 0, 0, 1 };
	/* IPv6 routing header (type 0) / hop-by-hop header with a PadN option. */
	static const unsigned char rthdr[8] = { 0, 0, 0, 0 };
	static const unsigned char hopopts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	int v = 0x10;

	if (level == IPPROTO_IP && (type == IP_RETOPTS || type == IP_OPTIONS)) {
		memcpy(buf, lsrr, 8);
		return 8;
	}
	if (level == IPPROTO_IPV6 && (type == IPV6_RTHDR || type == IPV6_2292RTHDR)) {
		memcpy(buf, rthdr, 8);
		return 8;
	}
	if (level == IPPROTO_IPV6 && type != IPV6_TCLASS) {
		memcpy(buf, hopopts, 8);
		return 8;
	}
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

/*
 * mode bit 0: connect first and send without an address. Bits above say
 * how many messages: 0x10 one malformed (cmsg_len past the buffer), 0x20
 * LG_MAX_CMSGS + 1, 0x40 exactly LG_MAX_CMSGS.
 */
static int do_cmsg_send(const struct worker_req *r)
{
	static unsigned char ctl[CMSG_SPACE(8) * (LG_MAX_CMSGS + 1)];
	struct sockaddr_storage ss;
	unsigned char data[8];
	socklen_t len;
	struct iovec iov = { .iov_base = "c", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl };
	int n = r->mode & 0x20 ? LG_MAX_CMSGS + 1 : r->mode & 0x40 ? LG_MAX_CMSGS : 1;
	size_t dlen = cmsg_payload(r->flags, r->arg, data);
	struct cmsghdr *c;
	int fd, err = fill_inet(r->family, r->addr, r->port, &ss, &len);

	if (err)
		return err;
	memset(ctl, 0, sizeof(ctl));
	mh.msg_controllen = CMSG_SPACE(dlen) * n;
	c = CMSG_FIRSTHDR(&mh);
	for (int i = 0; i < n && c; i++, c = CMSG_NXTHDR(&mh, c)) {
		c->cmsg_level = r->flags;
		c->cmsg_type = r->arg;
		c->cmsg_len = CMSG_LEN(dlen);
		memcpy(CMSG_DATA(c), data, dlen);
	}
	if (r->mode & 0x10)
		((struct cmsghdr *)ctl)->cmsg_len = sizeof(ctl) + 64;
	fd = socket(r->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (r->mode & 1) {
		if (connect(fd, (struct sockaddr *)&ss, len))
			err = errno;
	} else {
		mh.msg_name = &ss;
		mh.msg_namelen = len;
	}
	if (!err)
		err = sendmsg(fd, &mh, 0) < 0 ? errno : 0;
	close(fd);
	return err;
}

static int do_tcp_listen(const struct worker_req *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd, err = fill_inet(r->family, r->addr, r->port, &ss, &len);

	if (err)
		return err;
	fd = socket(r->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		err = errno;
		close(fd);
		return err;
	}
	return keep(r->arg, fd);
}

static int do_accept(const struct worker_req *r)
{
	int fd = r->arg >= 0 && r->arg < W_SLOTS ? slots[r->arg] : -1, c;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return EBADF;
	if (poll(&p, 1, 2000) != 1)
		return ETIMEDOUT;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	return c < 0 ? errno : keep(r->mode, c);
}

/* An ICMP echo on a ping socket; 0 when the reply arrived within a second. */
static int do_ping(const struct worker_req *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct icmphdr req = { .type = ICMP_ECHO }, rep;
	struct pollfd pfd;
	int fd, err = fill_inet(AF_INET, r->addr, r->port, &ss, &len);

	if (err)
		return err;
	req.un.echo.sequence = htons(1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return errno;
	if (r->mode) {
		if (connect(fd, (struct sockaddr *)&ss, len) || send(fd, &req, sizeof(req), 0) < 0)
			err = errno;
	} else if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&ss, len) < 0) {
		err = errno;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (!err)
		err = poll(&pfd, 1, 1000) == 1 && recv(fd, &rep, sizeof(rep), 0) >= 1 &&
				      rep.type == ICMP_ECHOREPLY ?
			      0 :
			      ETIMEDOUT;
	close(fd);
	return err;
}

static int do_exec(const struct worker_req *r)
{
	int p[2], status, child_err = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		char *argv[] = { (char *)r->path, r->addr[0] ? (char *)r->addr : NULL, NULL };
		int e;

		close(p[0]);
		/* addr is the library here, not an argument. */
		if (r->op == W_EXEC_PRELOAD) {
			setenv("LD_PRELOAD", r->addr, 1);
			argv[1] = NULL;
		}
		execv(r->path, argv);
		e = errno;
		if (write(p[1], &e, sizeof(e)) != sizeof(e))
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	/* A successful exec closes the pipe without writing. */
	if (read(p[0], &child_err, sizeof(child_err)) != sizeof(child_err))
		child_err = 0;
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (child_err)
		return child_err;
	return 1000 + (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* mmap @fd (one page) with @prot; 0 or errno. */
static int map_fd(int fd, int prot)
{
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, 4096);
	return 0;
}

static int map_mprotect(int fd)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	int err = 0;

	if (p == MAP_FAILED)
		return errno;
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
		err = errno;
	munmap(p, 4096);
	return err;
}

/* Anonymous memory, private and shared, made executable both ways. */
static int map_anon(void)
{
	static const int shares[] = { MAP_PRIVATE, MAP_SHARED };

	for (unsigned int i = 0; i < 2; i++) {
		int fl = shares[i] | MAP_ANONYMOUS;
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, fl, -1, 0);
		int err = 0;

		if (p == MAP_FAILED)
			return errno;
		munmap(p, 4096);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, fl, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
			err = errno;
		munmap(p, 4096);
		if (err)
			return err;
	}
	return 0;
}

static int held_fd = -1;

/* A fresh descriptor for @how: opened, created, or the held one. */
static int map_source(const struct worker_req *r)
{
	int fd;

	switch (r->arg) {
	case WM_MEMFD_EXEC:
		fd = syscall(SYS_memfd_create, "lgt-memfd", MFD_CLOEXEC);
		break;
	case WM_TMPFILE_EXEC:
		fd = open(r->path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0700);
		break;
	case WM_HELD_EXEC:
		fd = held_fd;
		held_fd = -1;
		return fd < 0 ? -EBADF : fd;
	default:
		fd = open(r->path, O_RDONLY | O_CLOEXEC);
		break;
	}
	if (fd < 0)
		return -errno;
	if ((r->arg == WM_MEMFD_EXEC || r->arg == WM_TMPFILE_EXEC) && ftruncate(fd, 4096)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static int do_map(const struct worker_req *r)
{
	int fd, err;

	if (r->arg == WM_ANON_EXEC)
		return map_anon();
	fd = map_source(r);
	if (fd < 0)
		return -fd;
	if (r->arg == WM_HOLD) {
		if (held_fd >= 0)
			close(held_fd);
		held_fd = fd;
		return 0;
	}
	if (r->arg == WM_FILE_READ)
		err = map_fd(fd, PROT_READ);
	else if (r->arg == WM_MPROTECT_EXEC)
		err = map_mprotect(fd);
	else
		err = map_fd(fd, PROT_READ | PROT_EXEC);
	close(fd);
	return err;
}

static int do_open(const struct worker_req *r)
{
	int fd = open(r->path, r->flags | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* fchmod() of a pipe or a memfd: files no path of the agent's leads to. */
static int fchmod_internal(bool memfd)
{
	int fds[2] = { -1, -1 }, ret, err;

	if (memfd)
		fds[0] = memfd_create("lg-memfd", MFD_CLOEXEC);
	else if (pipe2(fds, O_CLOEXEC))
		return -1;
	if (fds[0] < 0)
		return -1;
	ret = fchmod(fds[0], 0600);
	err = errno;
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	errno = err;
	return ret;
}

static int fs_call(const struct worker_req *r)
{
	switch (r->flags) {
	case WFS_UNLINK:
		return unlink(r->path);
	case WFS_RMDIR:
		return rmdir(r->path);
	case WFS_MKDIR:
		return mkdir(r->path, 0755);
	case WFS_MKNOD:
		return mknod(r->path, (mode_t)r->arg, makedev(1, 3));
	case WFS_SYMLINK:
		return symlink(r->path2, r->path);
	case WFS_LINK:
		return link(r->path, r->path2);
	case WFS_RENAME:
		return renameat2(AT_FDCWD, r->path, AT_FDCWD, r->path2, (unsigned int)r->arg);
	case WFS_TRUNCATE:
		return truncate(r->path, 0);
	case WFS_CHMOD:
		return chmod(r->path, (mode_t)r->arg);
	case WFS_CHOWN:
		return chown(r->path, (uid_t)r->arg, (gid_t)r->arg);
	case WFS_FCHMOD_PIPE:
		return fchmod_internal(false);
	case WFS_FCHMOD_MEMFD:
		return fchmod_internal(true);
	}
	errno = EINVAL;
	return -1;
}

static int handle(const struct worker_req *r)
{
	switch (r->op) {
	case W_OPEN:
		return do_open(r);
	case W_OPEN_LOOP: {
		/* For arg milliseconds: a duration, so the caller surely overlaps it. */
		struct timespec start, now;

		clock_gettime(CLOCK_MONOTONIC, &start);
		do {
			int err = do_open(r);

			if (err)
				return err;
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while ((now.tv_sec - start.tv_sec) * 1000 +
				 (now.tv_nsec - start.tv_nsec) / 1000000 <
			 r->arg);
		return 0;
	}
	case W_EXEC:
	case W_EXEC_PRELOAD:
		return do_exec(r);
	case W_MAP:
		return do_map(r);
	case W_CHDIR:
		return chdir(r->path) ? errno : 0;
	case W_TCP_CONNECT:
	case W_UDP_CONNECT:
	case W_UDP_SENDTO:
		return do_inet(r);
	case W_UNIX_CONNECT:
	case W_UNIX_SENDTO:
	case W_UNIX_CONNECT_PATHNAME:
		return do_unix(r);
	case W_NETLINK_SENDTO:
		return do_netlink(r);
	case W_SOCKET:
		return do_socket(r);
	case W_SETSOCKOPT:
		return do_setsockopt(r);
	case W_PIDFD:
		return do_pidfd();
	case W_FS:
		return fs_call(r) ? errno : 0;
	case W_CALL:
		return r->fn ? r->fn(r) : EINVAL;
	case W_KEEP_CONNECT:
		return do_keep_connect(r);
	case W_KEPT_SEND:
		return do_kept_send(r);
	case W_KEPT_CLOSE:
		if (r->arg < 0 || r->arg >= W_SLOTS || slots[r->arg] < 0)
			return EBADF;
		close(slots[r->arg]);
		slots[r->arg] = -1;
		return 0;
	case W_UNIX_LISTEN:
		return do_unix_listen(r);
	case W_CMSG_SEND:
		return do_cmsg_send(r);
	case W_URING_CONNECT:
		return do_uring_connect(r);
	case W_PING:
		return do_ping(r);
	case W_TCP_LISTEN:
		return do_tcp_listen(r);
	case W_ACCEPT:
		return do_accept(r);
	}
	return EINVAL;
}

static void worker_main(int req_fd, int res_fd)
{
	struct worker_req *r = malloc(sizeof(*r));

	if (!r)
		_exit(1);
	for (;;) {
		int res;

		if (read(req_fd, r, sizeof(*r)) != sizeof(*r) || r->op == W_EXIT)
			_exit(0);
		res = handle(r);
		if (write(res_fd, &res, sizeof(res)) != sizeof(res))
			_exit(1);
	}
}

/* Pipes carry a request larger than PIPE_BUF: one writer, one reader, fine. */
int worker_start(struct worker *w, const char *cgroup, const char *comm)
{
	int req[2], res[2], ready = 0;
	pid_t pid;

	if (pipe2(req, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int err = 0;

		close(req[1]);
		close(res[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, comm);
		if (cgroup) {
			char procs[512];
			int fd;

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
			fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1)
				err = errno ? errno : EIO;
			if (fd >= 0)
				close(fd);
		}
		if (write(res[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		worker_main(req[0], res[1]);
	}
	close(req[0]);
	close(res[1]);
	w->pid = pid;
	w->req_fd = req[1];
	w->res_fd = res[0];
	if (read(w->res_fd, &ready, sizeof(ready)) != sizeof(ready))
		ready = EIO;
	if (ready) {
		worker_stop(w);
		return -ready;
	}
	return 0;
}

int worker_send(struct worker *w, const struct worker_req *req)
{
	return write(w->req_fd, req, sizeof(*req)) == sizeof(*req) ? 0 : -EIO;
}

int worker_wait(struct worker *w)
{
	int res;

	if (read(w->res_fd, &res, sizeof(res)) != sizeof(res))
		return -EIO;
	return res;
}

int worker_do(struct worker *w, const struct worker_req *req)
{
	int err = worker_send(w, req);

	return err ? err : worker_wait(w);
}

void worker_stop(struct worker *w)
{
	struct worker_req r = { .op = W_EXIT };

	if (w->pid <= 0)
		return;
	if (write(w->req_fd, &r, sizeof(r)) != sizeof(r))
		kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	close(w->req_fd);
	close(w->res_fd);
	w->pid = 0;
}

int w_open(struct worker *w, const char *path, int flags)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_OPEN;
	r.flags = flags;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_map(struct worker *w, int how, const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_MAP;
	r.arg = how;
	snprintf(r.path, sizeof(r.path), "%s", path ? path : "");
	return worker_do(w, &r);
}

int w_exec_preload(struct worker *w, const char *path, const char *library)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_EXEC_PRELOAD;
	snprintf(r.path, sizeof(r.path), "%s", path);
	snprintf(r.addr, sizeof(r.addr), "%s", library);
	return worker_do(w, &r);
}

int w_exec(struct worker *w, const char *path, const char *arg)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_EXEC;
	snprintf(r.path, sizeof(r.path), "%s", path);
	if (arg)
		snprintf(r.addr, sizeof(r.addr), "%s", arg);
	return worker_do(w, &r);
}

int w_chdir(struct worker *w, const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_CHDIR;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_inet(struct worker *w, int op, int family, const char *addr, int port)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.family = family;
	r.port = port;
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return worker_do(w, &r);
}

int w_unix(struct worker *w, int op, const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_socket(struct worker *w, int family, int type, int protocol)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_SOCKET;
	r.family = family;
	r.flags = type;
	r.arg = protocol;
	return worker_do(w, &r);
}

int w_simple(struct worker *w, int op, int port, int flags, int arg)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.port = port;
	r.flags = flags;
	r.arg = arg;
	return worker_do(w, &r);
}

int w_fs(struct worker *w, int op, const char *path, const char *path2, int arg)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_FS;
	r.flags = op;
	r.arg = arg;
	snprintf(r.path, sizeof(r.path), "%s", path);
	if (path2)
		snprintf(r.path2, sizeof(r.path2), "%s", path2);
	return worker_do(w, &r);
}

int w_call(struct worker *w, int (*fn)(const struct worker_req *r), int port, int arg,
	   const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_CALL;
	r.fn = fn;
	r.port = port;
	r.arg = arg;
	if (path)
		snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_keep(struct worker *w, int slot, int type, int protocol, int family, const char *addr,
	   int port)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_KEEP_CONNECT;
	r.arg = slot;
	r.flags = type;
	r.mode = protocol;
	r.family = family;
	r.port = port;
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return worker_do(w, &r);
}

int w_kept_send(struct worker *w, int slot, int how)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_KEPT_SEND;
	r.arg = slot;
	r.mode = how;
	return worker_do(w, &r);
}

int w_kept_close(struct worker *w, int slot)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_KEPT_CLOSE;
	r.arg = slot;
	return worker_do(w, &r);
}

int w_cmsg_send(struct worker *w, int family, const char *addr, int port, int level, int type,
		int mode)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_CMSG_SEND;
	r.family = family;
	r.port = port;
	r.flags = level;
	r.arg = type;
	r.mode = mode;
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return worker_do(w, &r);
}

int w_ping(struct worker *w, const char *addr, int id, int connected)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_PING;
	r.port = id;
	r.mode = connected;
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return worker_do(w, &r);
}

int w_unix_listen(struct worker *w, int slot, const char *path)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_UNIX_LISTEN;
	r.arg = slot;
	snprintf(r.path, sizeof(r.path), "%s", path);
	return worker_do(w, &r);
}

int w_tcp_listen(struct worker *w, int slot, const char *addr, int port)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_TCP_LISTEN;
	r.arg = slot;
	r.family = AF_INET;
	r.port = port;
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return worker_do(w, &r);
}

int w_accept(struct worker *w, int slot, int into)
{
	static struct worker_req r;

	memset(&r, 0, sizeof(r));
	r.op = W_ACCEPT;
	r.arg = slot;
	r.mode = into;
	return worker_do(w, &r);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * worker.h - a real process placed in a cgroup that performs syscalls on
 * request. Tests drive agents through workers: every action is a real
 * syscall from a real process in the agent cgroup, and its result is the
 * errno the kernel returned.
 */
#ifndef LG_KTEST_WORKER_H
#define LG_KTEST_WORKER_H

#include <stdint.h>
#include <sys/types.h>

#include <livegrant/limits.h>

enum worker_op {
	W_OPEN, /* open(path, flags, 0644) then close */
	W_EXEC, /* fork + execve(path, [path, arg]); result: exit status + 1000 */
	W_CHDIR, /* chdir(path) */
	W_TCP_CONNECT, /* connect a stream socket to addr:port */
	W_UDP_CONNECT, /* connect a datagram socket to addr:port */
	W_UDP_SENDTO, /* sendto from an unconnected datagram socket */
	W_UNIX_CONNECT, /* connect a stream AF_UNIX socket to path */
	W_UNIX_SENDTO, /* sendto from an AF_UNIX datagram socket to path */
	W_OPEN_LOOP, /* open(path, flags) for arg ms; result: first failure or 0 */
	W_UNIX_CONNECT_PATHNAME, /* like W_UNIX_CONNECT, '@' taken literally */
	W_NETLINK_SENDTO, /* NETLINK_ROUTE sendto nl_pid = port */
	W_SOCKET, /* socket(family, flags, arg) then close */
	W_SETSOCKOPT, /* AF_INET6/UDP socket, setsockopt(flags, arg, 8 zero bytes) */
	W_PIDFD, /* pidfd_open(getpid()) */
	W_EXEC_PRELOAD, /* W_EXEC with LD_PRELOAD=addr in the child only */
	W_MAP, /* mapping attempt arg (enum worker_map) of path */
	W_FS, /* a file tree or attribute syscall: enum w_fs_op in flags */
	W_CALL, /* fn(req): attack code kept in its test (workers are forks) */
	/* Sockets kept open across requests, in slot arg (0 to W_SLOTS - 1). */
	W_KEEP_CONNECT, /* socket(family, flags = type, mode = protocol), connect, keep (AF_UNIX: path in addr) */
	W_KEPT_SEND, /* one byte on slot arg, by mode (enum w_send) */
	W_KEPT_CLOSE, /* close slot arg */
	W_UNIX_LISTEN, /* bind + listen a unix stream socket at path, keep in slot arg */
	W_CMSG_SEND, /* UDP send with a control message (level flags, type arg); see mode */
	W_URING_CONNECT, /* TCP connect to addr:port through io_uring (IORING_OP_CONNECT) */
	W_PING, /* ICMP echo to addr (sin_port = port); mode 1: connect first. 0 or ETIMEDOUT */
	W_TCP_LISTEN, /* TCP listener at addr:port, kept in slot arg */
	W_ACCEPT, /* accept on slot arg (waits up to 2 s), the connection kept in slot mode */
	W_EXIT,
};

/* W_MAP attempts; each returns 0 or the errno of the first call that failed. */
enum worker_map {
	WM_FILE_EXEC, /* open(path) read-only, mmap PROT_READ|PROT_EXEC */
	WM_FILE_READ, /* the same without PROT_EXEC */
	WM_MPROTECT_EXEC, /* mmap PROT_READ, then mprotect PROT_READ|PROT_EXEC */
	WM_MEMFD_EXEC, /* memfd_create, one page, mmap PROT_READ|PROT_EXEC */
	WM_TMPFILE_EXEC, /* open(path, O_TMPFILE) a directory, one page, mmap exec */
	WM_ANON_EXEC, /* anonymous RWX, RW then mprotect RX, shared RW then RX */
	WM_HOLD, /* open(path) read-only and keep the descriptor */
	WM_HELD_EXEC, /* mmap the held descriptor PROT_READ|PROT_EXEC, close it */
};

/* W_FS operations, on path (and path2). */
enum w_fs_op {
	WFS_UNLINK, /* unlink(path) */
	WFS_RMDIR, /* rmdir(path) */
	WFS_MKDIR, /* mkdir(path, 0755) */
	WFS_MKNOD, /* mknod(path, arg (mode with type), makedev(1, 3)) */
	WFS_SYMLINK, /* symlink(path2, path) */
	WFS_LINK, /* link(path, path2) */
	WFS_RENAME, /* renameat2(path, path2, arg (flags)) */
	WFS_TRUNCATE, /* truncate(path, 0) */
	WFS_CHMOD, /* chmod(path, arg) */
	WFS_CHOWN, /* chown(path, arg, arg) */
	WFS_FCHMOD_PIPE, /* fchmod of a new pipe (a file on an internal mount) */
	WFS_FCHMOD_MEMFD, /* fchmod of a new memfd (likewise) */
};

#define W_SLOTS 8

/* How W_KEPT_SEND sends. */
enum w_send {
	W_SEND_SEND, /* send() */
	W_SEND_WRITE, /* write() */
	W_SEND_SENDFILE, /* sendfile() from a regular file */
	W_SEND_SPLICE, /* splice() from a pipe */
	W_SEND_URING_SEND, /* IORING_OP_SEND */
	W_SEND_URING_SENDMSG, /* IORING_OP_SENDMSG */
	W_SEND_URING_SEND_ZC, /* IORING_OP_SEND_ZC */
	W_SEND_URING_WRITE, /* IORING_OP_WRITE */
	W_SEND_SENDTO_ALLOWED, /* sendto() naming 127.0.0.1:5353, which the tests allow */
};

struct worker_req {
	int op;
	int flags;
	int family; /* AF_INET or AF_INET6 */
	int port;
	int arg;
	int mode;
	char addr[64];
	char path[LG_PATH_MAX + 512];
	char path2[LG_PATH_MAX];
	int (*fn)(const struct worker_req *r); /* W_CALL: 0 or a positive errno */
};

struct worker {
	pid_t pid;
	int req_fd;
	int res_fd;
};

/*
 * Start a worker in the cgroup directory @cgroup (NULL: stay in ours), with
 * comm @comm. Returns 0 or -errno.
 */
int worker_start(struct worker *w, const char *cgroup, const char *comm);
/* Run @req in the worker: 0 or a positive errno (exec: 1000 + status). */
int worker_do(struct worker *w, const struct worker_req *req);
void worker_stop(struct worker *w);

/* Conveniences over worker_do(). */
int w_open(struct worker *w, const char *path, int flags);
int w_exec(struct worker *w, const char *path, const char *arg);
int w_chdir(struct worker *w, const char *path);
int w_inet(struct worker *w, int op, int family, const char *addr, int port);
int w_unix(struct worker *w, int op, const char *path);
int w_call(struct worker *w, int (*fn)(const struct worker_req *r), int port, int arg,
	   const char *path);
int w_socket(struct worker *w, int family, int type, int protocol);
int w_simple(struct worker *w, int op, int port, int flags, int arg);
int w_map(struct worker *w, int how, const char *path);
int w_exec_preload(struct worker *w, const char *path, const char *library);
/* W_FS: @op (enum w_fs_op) on @path, @path2 (or NULL) and @arg. */
int w_fs(struct worker *w, int op, const char *path, const char *path2, int arg);

/* W_KEEP_CONNECT / W_KEPT_SEND / W_KEPT_CLOSE. */
int w_keep(struct worker *w, int slot, int type, int protocol, int family, const char *addr,
	   int port);
int w_kept_send(struct worker *w, int slot, int how);
int w_kept_close(struct worker *w, int slot);
/* W_CMSG_SEND: @mode as do_cmsg_send() in worker.c (bit 0: connect first). */
int w_cmsg_send(struct worker *w, int family, const char *addr, int port, int level, int type,
		int mode);
int w_ping(struct worker *w, const char *addr, int id, int connected);
int w_unix_listen(struct worker *w, int slot, const char *path);
int w_tcp_listen(struct worker *w, int slot, const char *addr, int port);
int w_accept(struct worker *w, int slot, int into);

/* Send a request without waiting for the result; collect it with worker_wait(). */
int worker_send(struct worker *w, const struct worker_req *req);
int worker_wait(struct worker *w);

#endif /* LG_KTEST_WORKER_H */

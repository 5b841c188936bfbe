// SPDX-License-Identifier: GPL-2.0
/*
 * lg-sockabuse - hostile clients of livegrantd's control socket, for
 * tests/kernel/abuse.sh. Each mode prints one line of figures that the
 * suite checks ("key=value ...").
 *
 *   lg-sockabuse hold SOCK N SECONDS
 *       open N connections and send nothing, for SECONDS: each one is
 *       turned away (a "busy" reply), closed by livegrantd unanswered (its
 *       request timed out), or still open at the end.
 *                                          -> busy=N timed_out=N open_at_end=N failed=N
 *   lg-sockabuse reconnect SOCK SECONDS
 *       connect and close without pause.   -> connects=N
 *   lg-sockabuse orphans SOCK N DELAY_MS
 *       after DELAY_MS, N children, each connects and exits (reaped) before livegrantd
 *       accepts, a child of its holding the connection open for 4 s.
 *                                          -> orphans=N
 *   lg-sockabuse garbage SOCK
 *       one connection per hostile request: garbage, a NUL, deep nesting,
 *       no "op", an unknown op, 70 KiB without a newline, a truncated
 *       request, one sent a byte at a time; each must be answered with a
 *       refusal or closed, never hang.     -> sent=N answered=N closed=N hung=N
 *   lg-sockabuse noread SOCK N SECONDS
 *       N connections that send a request and never read the reply.
 *                                          -> noread=N
 *   lg-sockabuse many SOCK ROOT N
 *       N clients at once, each in an agent cgroup of its own under ROOT
 *       (made and removed here), each presenting a token that cannot
 *       verify; every one must get a reply (a refusal, or busy).
 *                                          -> clients=N replied=N busy=N
 *                                             noreply=N p50_ms p99_ms max_ms
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 65536

static const char *sock_path;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dial(bool nonblock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read what comes within @ms: 1 a reply line (into @buf), 0 closed without
 * one, -1 nothing in time.
 */
static int reply_within(int fd, int ms, char *buf, size_t size)
{
	uint64_t until = now_ms() + ms;
	size_t len = 0;

	buf[0] = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(until - now_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return len ? 1 : 0;
		len += n;
		buf[len] = 0;
		if (memchr(buf, '\n', len) || len == size - 1)
			return 1;
	}
}

static int mode_hold(int n, int seconds)
{
	struct pollfd *p = calloc(n, sizeof(*p));
	uint64_t until = now_ms() + (uint64_t)seconds * 1000;
	int busy = 0, closed = 0, failed = 0, open = 0;
	char buf[1024];

	if (!p)
		return 1;
	for (int i = 0; i < n; i++) {
		p[i].fd = dial(true);
		p[i].events = POLLIN;
		failed += p[i].fd < 0;
	}
	/* Until the end: each connection is told busy, closed unanswered (timed out), or held. */
	while (now_ms() < until && poll(p, n, 200) >= 0) {
		for (int i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (reply_within(p[i].fd, 50, buf, sizeof(buf)) > 0 &&
			    strstr(buf, "\"busy\""))
				busy++;
			else
				closed++;
			close(p[i].fd);
			p[i].fd = -1;
		}
	}
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0) {
			open++;
			close(p[i].fd);
		}
	printf("busy=%d timed_out=%d open_at_end=%d failed=%d\n", busy, closed, open, failed);
	free(p);
	return 0;
}

static int mode_reconnect(int seconds)
{
	uint64_t until = now_ms() + (uint64_t)seconds * 1000;
	long connects = 0;

	while (now_ms() < until) {
		int fd = dial(false);

		if (fd >= 0) {
			connects++;
			close(fd);
		}
	}
	printf("connects=%ld\n", connects);
	return 0;
}

static int mode_orphans(int n, int delay_ms)
{
	int made = 0;

	usleep(delay_ms * 1000);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			/*
			 * The connector exits at once (and is reaped), while a
			 * child of its keeps the connection open and silent:
			 * livegrantd accepts a live connection whose peer is gone.
			 */
			int fd = dial(true);

			if (fd >= 0 && fork() == 0) {
				sleep(4);
				_exit(0);
			}
			_exit(fd < 0);
		}
		made += pid > 0;
	}
	while (wait(NULL) > 0)
		;
	printf("orphans=%d\n", made);
	return 0;
}

struct hostile {
	const char *name;
	const char *data; /* NULL: built below */
	size_t len;
	bool bytewise, half_close;
};

static int mode_garbage(void)
{
	static char deep[40002], big[70 * 1024], nul[] = "{\"op\":\"gov\0erned\"}\n";
	struct hostile h[] = {
		{ "garbage", "\x01\x02 not json at all\n", 0 },
		{ "nul", nul, sizeof(nul) - 1 },
		{ "deep", deep, 0 },
		{ "no-op", "{\"present\":1}\n", 0 },
		{ "unknown-op", "{\"op\":\"format-disk\"}\n", 0 },
		{ "array", "[\"op\",\"status\"]\n", 0 },
		{ "dup-key", "{\"op\":\"governed\",\"op\":\"status\"}\n", 0 },
		{ "token-not-string", "{\"op\":\"present\",\"token\":{\"a\":[1,2]}}\n", 0 },
		{ "oversized", big, sizeof(big) },
		{ "truncated", "{\"op\":\"pres", 0, false, true },
		{ "bytewise", "{\"op\":\"governed\"}\n", 0, true },
	};
	int sent = 0, answered = 0, closed = 0, hung = 0;
	char buf[REPLY_MAX];

	memset(deep, '[', 20000);
	memset(deep + 20000, ']', 20000);
	deep[40000] = '\n';
	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		size_t len = h[i].len ? h[i].len : strlen(h[i].data);
		int fd = dial(false), r;

		if (fd < 0) {
			printf("%s: cannot connect: %s\n", h[i].name, strerror(errno));
			hung++;
			continue;
		}
		sent++;
		if (h[i].bytewise) {
			for (size_t k = 0; k < len; k++) {
				if (send(fd, h[i].data + k, 1, MSG_NOSIGNAL) != 1)
					break;
				usleep(20 * 1000);
			}
		} else {
			for (size_t off = 0; off < len;) {
				ssize_t n = send(fd, h[i].data + off, len - off, MSG_NOSIGNAL);

				if (n <= 0)
					break;
				off += n;
			}
		}
		if (h[i].half_close)
			shutdown(fd, SHUT_WR);
		/* livegrantd closes a silent connection after 5 s: allow 8. */
		r = reply_within(fd, 8000, buf, sizeof(buf));
		/* Any whole JSON reply: a refusal, or the answer to a request that was valid. */
		answered += r > 0 && strstr(buf, "\"ok\":") != NULL;
		if (r == 0)
			closed++;
		if (r < 0)
			hung++;
		printf("%s: %s %.120s", h[i].name,
		       r > 0  ? "answered" :
		       r == 0 ? "closed" :
				"HUNG",
		       r > 0 ? buf : "\n");
		close(fd);
	}
	printf("sent=%d answered=%d closed=%d hung=%d\n", sent, answered, closed, hung);
	return 0;
}

static int mode_noread(int n, int seconds)
{
	static const char req[] = "{\"op\":\"governed\"}\n";
	int *fds = calloc(n, sizeof(*fds)), ok = 0;

	if (!fds)
		return 1;
	for (int i = 0; i < n; i++) {
		int one = 1;

		fds[i] = dial(false);
		if (fds[i] < 0)
			continue;
		/* The smallest receive buffer: the reply cannot all fit. */
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
		ok += send(fds[i], req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1;
	}
	printf("noread=%d\n", ok);
	fflush(stdout);
	sleep(seconds);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

/* Per client: how long its reply took (ms), and what it was. */
struct outcome {
	uint32_t ms;
	uint8_t kind; /* 0 no reply, 1 refused, 2 busy */
};

static void many_child(const char *root, int i, struct outcome *o, int go_fd)
{
	static const char req[] = "{\"op\":\"present\",\"token\":\"e30.e30.AAAA\"}\n";
	char path[4096], pid[32], buf[4096], c;
	uint64_t t0;
	int fd, r;

	snprintf(path, sizeof(path), "%s/many-%d/cgroup.procs", root, i);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		_exit(2);
	close(fd);
	/* Every client waits here, then all connect at once. */
	if (read(go_fd, &c, 1) < 0)
		_exit(2);
	t0 = now_ms();
	fd = dial(false);
	if (fd < 0)
		_exit(3);
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0 && errno != EPIPE)
		_exit(3);
	r = reply_within(fd, 60000, buf, sizeof(buf));
	o->ms = (uint32_t)(now_ms() - t0);
	o->kind = r > 0 ? (strstr(buf, "\"busy\"") ? 2 : 1) : 0;
	_exit(0);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int mode_many(const char *root, int n)
{
	struct outcome *o = mmap(NULL, n * sizeof(*o), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *ms = calloc(n, sizeof(*ms));
	int go[2], replied = 0, busy = 0, noreply = 0, nms = 0;
	char path[4096];

	if (o == MAP_FAILED || !ms || pipe(go))
		return 1;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/many-%d", root, i);
		if (mkdir(path, 0755) && errno != EEXIST) {
			perror(path);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(go[1]);
			many_child(root, i, &o[i], go[0]);
		}
		if (pid < 0) {
			perror("fork");
			return 1;
		}
	}
	close(go[0]);
	sleep(1);
	/* Closing the write end wakes every child at once (read returns 0). */
	close(go[1]);
	while (wait(NULL) > 0)
		;
	for (int i = 0; i < n; i++) {
		if (o[i].kind)
			ms[nms++] = o[i].ms;
		replied += o[i].kind == 1;
		busy += o[i].kind == 2;
		noreply += !o[i].kind;
		snprintf(path, sizeof(path), "%s/many-%d", root, i);
		rmdir(path);
	}
	qsort(ms, nms, sizeof(*ms), cmp_u32);
	printf("clients=%d replied=%d busy=%d noreply=%d p50_ms=%u p99_ms=%u max_ms=%u\n", n,
	       replied, busy, noreply, nms ? ms[nms / 2] : 0, nms ? ms[nms * 99 / 100] : 0,
	       nms ? ms[nms - 1] : 0);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		goto usage;
	sock_path = argv[2];
	if (!strcmp(argv[1], "hold") && argc == 5)
		return mode_hold(atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(argv[1], "reconnect") && argc == 4)
		return mode_reconnect(atoi(argv[3]));
	if (!strcmp(argv[1], "orphans") && argc == 5)
		return mode_orphans(atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(argv[1], "garbage") && argc == 3)
		return mode_garbage();
	if (!strcmp(argv[1], "noread") && argc == 5)
		return mode_noread(atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(argv[1], "many") && argc == 5)
		return mode_many(argv[3], atoi(argv[4]));
usage:
	fprintf(stderr, "usage: lg-sockabuse hold|reconnect|orphans|garbage|noread|many SOCK ...\n"
			"(see the comment at the top of tests/tools/sockabuse.c)\n");
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * lg-netprobe - tiny network client and server for the in-VM tests (static:
 * an agent can run it with one exec rule and no library rules).
 *
 *   lg-netprobe listen ADDR PORT   TCP and UDP on ADDR:PORT until killed
 *   lg-netprobe connect ADDR PORT  TCP connect; exit 0, or 1 with the error
 *   lg-netprobe send ADDR PORT     one UDP datagram; exit 0, or 1 with the error
 *   lg-netprobe now                CLOCK_MONOTONIC in ns (busybox date has no %N)
 *   lg-netprobe open PATH COUNT    open PATH COUNT times; prints how many failed
 *   lg-netprobe hold SOCKET COUNT MS  hold COUNT idle connections to a unix
 *                                  socket for MS ms, then close one every 5 ms
 *   lg-netprobe ulisten PATH MS    listen on a unix stream socket at PATH for
 *                                  MS ms; prints "accepted N"
 *   lg-netprobe sendloop COUNT     ns per send() on a connected UDP socket,
 *                                  per write() to it and per write() to a pipe
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static socklen_t parse(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(atoi(port));
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(atoi(port));
		return sizeof(*in6);
	}
	fprintf(stderr, "lg-netprobe: bad address %s\n", addr);
	exit(2);
}

static int fail(const char *what, const char *addr, const char *port)
{
	printf("%s %s:%s: %s\n", what, addr, port, strerror(errno));
	return 1;
}

static int serve(struct sockaddr_storage *ss, socklen_t len, const char *addr, const char *port)
{
	int one = 1, t = socket(ss->ss_family, SOCK_STREAM, 0),
	    u = socket(ss->ss_family, SOCK_DGRAM, 0);
	struct pollfd p[2] = { { .fd = t, .events = POLLIN }, { .fd = u, .events = POLLIN } };

	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(t, (struct sockaddr *)ss, len) || listen(t, 64) ||
	    bind(u, (struct sockaddr *)ss, len))
		return fail("listen", addr, port);
	printf("listening %s:%s\n", addr, port);
	fflush(stdout);
	for (;;) {
		char buf[64];

		if (poll(p, 2, -1) < 0)
			return 1;
		if (p[0].revents) {
			int c = accept(t, NULL, NULL);

			if (c >= 0)
				close(c);
		}
		if (p[1].revents && recv(u, buf, sizeof(buf), 0) < 0)
			return 1;
	}
}

static int hold(const char *path, int count, int ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int *fds = calloc(count, sizeof(int)), held = 0;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (int i = 0; fds && i < count; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fds[i] >= 0 && !connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)))
			held++;
	}
	printf("held %d connections\n", held);
	fflush(stdout);
	usleep(ms * 1000);
	for (int i = 0; fds && i < count; i++) {
		close(fds[i]);
		usleep(5000);
	}
	free(fds);
	return 0;
}

/* A listener put where another one was: counts who reached it. */
static int ulisten(const char *path, int ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = 0, fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec t0, t;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 16)) {
		printf("ulisten %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("listening %s\n", path);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) < 0)
			break;
		if (p.revents & POLLIN) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0) {
				n++;
				close(c);
			}
		}
	}
	printf("accepted %d\n", n);
	return 0;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* What a non-agent pays per send and write (compare with livegrant loaded). */
static int sendloop(long n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int u = socket(AF_INET, SOCK_DGRAM, 0), p[2];
	long long t0, t1, t2, t3;
	char c = 0;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u < 0 || connect(u, (struct sockaddr *)&to, sizeof(to)) || pipe(p))
		return 1;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (send(u, &c, 1, 0) < 0 && errno != ECONNREFUSED)
			return 1;
	t1 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(u, &c, 1) < 0 && errno != ECONNREFUSED)
			return 1;
	t2 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
			return 1;
	t3 = now_ns();
	printf("send %lld ns, socket write %lld ns, pipe write+read %lld ns\n", (t1 - t0) / n,
	       (t2 - t1) / n, (t3 - t2) / n);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "now")) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "open")) {
		long n = atol(argv[3]), failed = 0;

		for (long i = 0; i < n; i++) {
			fd = open(argv[2], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				failed++;
			else
				close(fd);
		}
		printf("%ld of %ld opens failed\n", failed, n);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sendloop"))
		return sendloop(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "ulisten"))
		return ulisten(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "hold"))
		return hold(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc != 4) {
		fprintf(stderr, "usage: lg-netprobe listen|connect|send ADDR PORT\n");
		return 2;
	}
	len = parse(argv[2], argv[3], &ss);
	if (!strcmp(argv[1], "listen"))
		return serve(&ss, len, argv[2], argv[3]);
	if (!strcmp(argv[1], "connect")) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
			return fail("connect", argv[2], argv[3]);
		printf("connected %s:%s\n", argv[2], argv[3]);
		return 0;
	}
	if (!strcmp(argv[1], "send")) {
		fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fd < 0 || sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) != 1)
			return fail("send", argv[2], argv[3]);
		printf("sent %s:%s\n", argv[2], argv[3]);
		return 0;
	}
	fprintf(stderr, "usage: lg-netprobe listen|connect|send ADDR PORT\n");
	return 2;
}

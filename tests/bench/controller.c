// SPDX-License-Identifier: GPL-2.0
/*
 * controller.c - lg-present-load: how long livegrantd takes to verify and
 * install a presented token, measured as an agent sees it.
 *
 * For each of N tokens (one a line in a file) it makes an agent cgroup of
 * its own under ROOT, starts a child there, and the child presents the token
 * on the control socket: the time from connect() to the whole reply is one
 * sample. Every reply must be {"ok":true,...}: a refused presentation fails
 * the run instead of being timed. Samples go to stdout, one per line
 * ("present NS"), then a summary line; tests/bench/controller.sh turns them
 * into figures. Driven by tests/bench/controller.sh in the VM (make bench).
 *
 * With -X ADDR:PORT, each child instead makes a TCP connect to that IPv4
 * address from its (already granted) agent cgroup, which must be denied: a
 * crossing into another trust domain, whose latency to reauth_required
 * livegrantd logs ("ms after the denial"). The sample is the connect().
 *
 * usage: lg-present-load -S SOCKET -R ROOT -T TOKENS [-p PREFIX] [-o FIRST]
 *                        [-n COUNT] [-g GAP_MS]
 *        lg-present-load -R ROOT -X ADDR:PORT [-p PREFIX] [-o FIRST]
 *                        [-n COUNT] [-g GAP_MS]
 */
#define _GNU_SOURCE /* asprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 65536

struct opts {
	const char *sock, *root, *tokens, *prefix;
	long first, count, gap_ms;
	struct sockaddr_in cross; /* -X: where the children connect */
	bool crossing;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Join the cgroup directory @dir (the calling process only). */
static int join_cgroup(const char *dir)
{
	char path[600], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	n = write_all(fd, pid, n);
	close(fd);
	return n;
}

/*
 * In the child, inside its agent cgroup: present @token, and write the
 * nanoseconds from connect() to the end of the reply to @out. Exit 0 only
 * for an {"ok":true} reply.
 */
static int present(const char *sock, const char *token, int out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char reply[REPLY_MAX];
	size_t got = 0;
	uint64_t t0, dt;
	char *req;
	int fd, len;

	len = asprintf(&req, "{\"op\":\"present\",\"token\":\"%s\"}\n", token);
	if (len < 0)
		return 1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	t0 = now_ns();
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || write_all(fd, req, len)) {
		fprintf(stderr, "lg-present-load: %s: %s\n", sock, strerror(errno));
		return 1;
	}
	/* One reply per connection: read to the newline or the close. */
	while (got < sizeof(reply) - 1) {
		ssize_t n = read(fd, reply + got, sizeof(reply) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if (memchr(reply + got - n, '\n', n))
			break;
	}
	dt = now_ns() - t0;
	reply[got] = 0;
	close(fd);
	if (!strstr(reply, "\"ok\":true") && !strstr(reply, "\"ok\": true")) {
		fprintf(stderr, "lg-present-load: presentation refused: %s\n", reply);
		return 1;
	}
	return write_all(out, (const char *)&dt, sizeof(dt)) ? 1 : 0;
}

/*
 * In the child, inside its agent cgroup: connect to @to, which the kernel
 * must deny (EACCES or EPERM); the time the connect() took to @out.
 */
static int cross(const struct sockaddr_in *to, int out)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, e;
	uint64_t t0, dt;

	if (fd < 0)
		return 1;
	t0 = now_ns();
	rc = connect(fd, (const struct sockaddr *)to, sizeof(*to));
	e = errno;
	dt = now_ns() - t0;
	close(fd);
	if (!rc || (e != EACCES && e != EPERM)) {
		fprintf(stderr, "lg-present-load: the crossing was not denied: %s\n",
			rc ? strerror(e) : "connected");
		return 1;
	}
	return write_all(out, (const char *)&dt, sizeof(dt)) ? 1 : 0;
}

/* One agent: its cgroup, a child in it, the child's sample. */
static int one(const struct opts *o, long i, const char *token, uint64_t *ns)
{
	char dir[512];
	int p[2], status;
	pid_t pid;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s/%s%ld", o->root, o->prefix, i);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "lg-present-load: mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (join_cgroup(dir)) {
			fprintf(stderr, "lg-present-load: joining %s: %s\n", dir, strerror(errno));
			_exit(1);
		}
		_exit(o->crossing ? cross(&o->cross, p[1]) : present(o->sock, token, p[1]));
	}
	close(p[1]);
	n = read(p[0], ns, sizeof(*ns));
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    n != sizeof(*ns))
		return -1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static int run(const struct opts *o)
{
	uint64_t *ns = calloc(o->count, sizeof(*ns));
	FILE *f = o->crossing ? NULL : fopen(o->tokens, "r");
	size_t cap = 0, n = 0;
	char *line = NULL;
	long lineno = 0;
	int rc = 1;

	if (!ns || (!f && !o->crossing)) {
		fprintf(stderr, "lg-present-load: %s: %s\n", o->tokens, strerror(errno));
		goto out;
	}
	while (n < (size_t)o->count && (o->crossing || getline(&line, &cap, f) > 0)) {
		if (!o->crossing && lineno++ < o->first)
			continue;
		if (line)
			line[strcspn(line, "\r\n")] = 0;
		if (one(o, o->first + (long)n, line, &ns[n])) {
			fprintf(stderr, "lg-present-load: presentation %zu failed\n", n);
			goto out;
		}
		printf("%s %llu\n", o->crossing ? "cross" : "present", (unsigned long long)ns[n]);
		n++;
		if (o->gap_ms)
			usleep(o->gap_ms * 1000);
	}
	if (n < (size_t)o->count) {
		fprintf(stderr, "lg-present-load: %s holds %zu tokens from line %ld, not %ld\n",
			o->tokens, n, o->first, o->count);
		goto out;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("summary n=%zu median_ns=%llu p90_ns=%llu p99_ns=%llu max_ns=%llu\n", n,
	       (unsigned long long)pct(ns, n, 0.5), (unsigned long long)pct(ns, n, 0.9),
	       (unsigned long long)pct(ns, n, 0.99), (unsigned long long)ns[n - 1]);
	rc = 0;
out:
	if (f)
		fclose(f);
	free(line);
	free(ns);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .prefix = "load", .count = 1 };
	int c;

	while ((c = getopt(argc, argv, "S:R:T:X:p:o:n:g:")) != -1) {
		char *colon;

		switch (c) {
		case 'X':
			colon = strrchr(optarg, ':');
			if (!colon)
				goto usage;
			*colon = 0;
			o.cross.sin_family = AF_INET;
			o.cross.sin_port = htons(atoi(colon + 1));
			if (inet_pton(AF_INET, optarg, &o.cross.sin_addr) != 1)
				goto usage;
			o.crossing = true;
			break;
		case 'S':
			o.sock = optarg;
			break;
		case 'R':
			o.root = optarg;
			break;
		case 'T':
			o.tokens = optarg;
			break;
		case 'p':
			o.prefix = optarg;
			break;
		case 'o':
			o.first = atol(optarg);
			break;
		case 'n':
			o.count = atol(optarg);
			break;
		case 'g':
			o.gap_ms = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!o.root || o.count < 1 || o.first < 0 || o.gap_ms < 0 ||
	    (!o.crossing && (!o.sock || !o.tokens)))
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(&o);
usage:
	fprintf(stderr, "usage: lg-present-load -S SOCKET -R ROOT -T TOKENS [-p PREFIX] "
			"[-o FIRST] [-n COUNT] [-g GAP_MS]\n"
			"       lg-present-load -R ROOT -X ADDR:PORT [-p PREFIX] [-o FIRST] "
			"[-n COUNT] [-g GAP_MS]\n");
	return 2;
}

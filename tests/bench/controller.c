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
 * With -a, all COUNT agents present at once: every child joins its cgroup
 * and waits at a barrier, then all are let go together. A child told to
 * wait (busy, retry_after_ms) presents again after that long and a little
 * more, as `livegrant present` does; its sample runs from the release to
 * its accepted reply, retries included. A refusal or a missing reply is
 * counted with its reason, never timed; the run fails unless every one was
 * admitted. One summary line: admitted, refused, no reply, retries, the
 * wall time, and the quantiles.
 *
 * With -X ADDR:PORT, each child instead makes a TCP connect to that IPv4
 * address from its (already granted) agent cgroup, which must be denied: a
 * crossing into another trust domain, whose latency to reauth_required
 * livegrantd logs ("ms after the denial"). The sample is the connect().
 *
 * usage: lg-present-load -S SOCKET -R ROOT -T TOKENS [-p PREFIX] [-o FIRST]
 *                        [-n COUNT] [-g GAP_MS | -a]
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 65536
/* -a: a client told to wait tries at most this often, for this long in all. */
#define AT_ONCE_TRIES 200
#define AT_ONCE_WAIT_MAX_MS 30000
#define REASON_MAX 48
/* One exchange's longest wait, in connect(), send or read. */
#define EXCHANGE_TIMEOUT_S 120

struct opts {
	const char *sock, *root, *tokens, *prefix;
	long first, count, gap_ms;
	struct sockaddr_in cross; /* -X: where the children connect */
	bool crossing, at_once;
};

/* -a: one client's result, written by the child into shared memory. */
struct outcome {
	uint64_t ns; /* from the release to the accepted reply */
	uint32_t tries;
	enum { NO_REPLY, ADMITTED, REFUSED } kind;
	char reason[REASON_MAX]; /* the refusal's reason, or why no reply */
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
 * One presentation of @token on @sock: its whole reply (to the newline or
 * the close) into @reply. The reply's length, or -1 with errno set when
 * there was no connection.
 */
static ssize_t exchange(const char *sock, const char *token, char *reply, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0;
	char *req;
	int fd, len, e;

	len = asprintf(&req, "{\"op\":\"present\",\"token\":\"%s\"}\n", token);
	if (len < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A livegrantd that stops answering fails the sample, not the whole run's clock. */
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = EXCHANGE_TIMEOUT_S };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || write_all(fd, req, len)) {
		e = errno;
		if (fd >= 0)
			close(fd);
		free(req);
		errno = e;
		return -1;
	}
	free(req);
	/* One reply per connection: read to the newline or the close. */
	while (got < size - 1) {
		ssize_t n = read(fd, reply + got, size - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if (memchr(reply + got - n, '\n', n))
			break;
	}
	reply[got] = 0;
	close(fd);
	return (ssize_t)got;
}

static bool admitted(const char *reply)
{
	return strstr(reply, "\"ok\":true") || strstr(reply, "\"ok\": true");
}

/* The integer or string value of "@key" in @reply, crudely: our own daemon's JSON. */
static const char *field(const char *reply, const char *key)
{
	char pat[64];
	const char *at;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	at = strstr(reply, pat);
	if (!at)
		return NULL;
	at += strlen(pat);
	while (*at == ' ' || *at == '"')
		at++;
	return at;
}

/*
 * In the child, inside its agent cgroup: present @token, and write the
 * nanoseconds from connect() to the end of the reply to @out. Exit 0 only
 * for an {"ok":true} reply.
 */
static int present(const char *sock, const char *token, int out)
{
	static char reply[REPLY_MAX];
	uint64_t t0 = now_ns(), dt;

	if (exchange(sock, token, reply, sizeof(reply)) < 0) {
		fprintf(stderr, "lg-present-load: %s: %s\n", sock, strerror(errno));
		return 1;
	}
	dt = now_ns() - t0;
	if (!admitted(reply)) {
		fprintf(stderr, "lg-present-load: presentation refused: %s\n", reply);
		return 1;
	}
	return write_all(out, (const char *)&dt, sizeof(dt)) ? 1 : 0;
}

/*
 * -a, in the child, after the release: present @token until it is admitted,
 * refused, or unanswered; a reply that says when to try again is obeyed
 * (with up to half as much again, by chance, as the CLI does), within
 * AT_ONCE_TRIES and AT_ONCE_WAIT_MAX_MS. The result into @o.
 */
static void present_retrying(const char *sock, const char *token, uint64_t t0, struct outcome *o)
{
	static char reply[REPLY_MAX];
	long waited = 0;

	srandom((unsigned int)getpid());
	for (o->tries = 1;; o->tries++) {
		const char *retry, *reason;
		long ms;

		if (exchange(sock, token, reply, sizeof(reply)) < 0) {
			snprintf(o->reason, sizeof(o->reason), "connect: %s", strerror(errno));
			return;
		}
		if (admitted(reply)) {
			o->ns = now_ns() - t0;
			o->kind = ADMITTED;
			return;
		}
		reason = field(reply, "reason");
		if (!reason) {
			snprintf(o->reason, sizeof(o->reason), "no valid reply (%zu bytes)",
				 strlen(reply));
			return;
		}
		retry = field(reply, "retry_after_ms");
		ms = retry ? atol(retry) : 0;
		if (ms <= 0 || o->tries >= AT_ONCE_TRIES || waited >= AT_ONCE_WAIT_MAX_MS) {
			o->kind = REFUSED;
			snprintf(o->reason, sizeof(o->reason), "%.*s", (int)strcspn(reason, "\","),
				 reason);
			return;
		}
		ms += random() % (ms / 2 + 1);
		usleep(ms * 1000);
		waited += ms;
	}
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

/* The COUNT tokens from line FIRST of @path, into a new array (or NULL). */
static char **read_tokens(const struct opts *o)
{
	char **tok = calloc(o->count, sizeof(*tok)), *line = NULL;
	FILE *f = fopen(o->tokens, "r");
	long lineno = 0, n = 0;
	size_t cap = 0;

	while (tok && f && n < o->count && getline(&line, &cap, f) > 0) {
		if (lineno++ < o->first)
			continue;
		line[strcspn(line, "\r\n")] = 0;
		tok[n] = strdup(line);
		if (!tok[n++])
			break;
	}
	free(line);
	if (f)
		fclose(f);
	if (tok && n == o->count && tok[n - 1])
		return tok;
	fprintf(stderr, "lg-present-load: %s holds %ld tokens from line %ld, not %ld\n", o->tokens,
		n, o->first, o->count);
	for (long i = 0; tok && i < n; i++)
		free(tok[i]);
	free(tok);
	return NULL;
}

/*
 * -a, the child: its cgroup, a byte on @ready, the barrier, its
 * presentations; never returns.
 */
static void at_once_child(const struct opts *o, const char *dir, const char *token, int ready,
			  int go, const volatile uint64_t *release, struct outcome *out)
{
	char c = 1;

	if (join_cgroup(dir)) {
		snprintf(out->reason, sizeof(out->reason), "joining the cgroup: %s",
			 strerror(errno));
		_exit(1);
	}
	/* In place: the parent releases no one before every child is. */
	if (write(ready, &c, 1) != 1)
		_exit(1);
	/* Every child waits here; the parent's close lets them all go at once. */
	if (read(go, &c, 1) < 0)
		_exit(1);
	present_retrying(o->sock, token, *release, out);
	_exit(0);
}

static void at_once_report(const struct opts *o, const struct outcome *out, uint64_t wall_ns)
{
	uint64_t *ns = calloc(o->count, sizeof(*ns));
	long admitted_n = 0, refused = 0, unanswered = 0, retried = 0, shown = 0;
	uint32_t max_tries = 0;

	for (long i = 0; i < o->count; i++) {
		const struct outcome *r = &out[i];

		if (r->tries > max_tries)
			max_tries = r->tries;
		retried += r->tries > 1;
		if (r->kind == ADMITTED) {
			if (ns)
				ns[admitted_n] = r->ns;
			admitted_n++;
			continue;
		}
		if (r->kind == REFUSED)
			refused++;
		else
			unanswered++;
		/* The first few, each with its reason: every refusal says why. */
		if (shown++ < 10)
			printf("%s %s%ld: %s\n", r->kind == REFUSED ? "refused" : "no_reply",
			       o->prefix, o->first + i,
			       r->reason[0] ? r->reason : "(child failed)");
	}
	if (ns && admitted_n)
		qsort(ns, admitted_n, sizeof(*ns), cmp_u64);
	printf("at_once n=%ld admitted=%ld refused=%ld no_reply=%ld retried=%ld max_tries=%u "
	       "wall_ms=%llu median_ns=%llu p90_ns=%llu p99_ns=%llu max_ns=%llu\n",
	       o->count, admitted_n, refused, unanswered, retried, max_tries,
	       (unsigned long long)(wall_ns / 1000000),
	       (unsigned long long)(ns && admitted_n ? pct(ns, admitted_n, 0.5) : 0),
	       (unsigned long long)(ns && admitted_n ? pct(ns, admitted_n, 0.9) : 0),
	       (unsigned long long)(ns && admitted_n ? pct(ns, admitted_n, 0.99) : 0),
	       (unsigned long long)(ns && admitted_n ? ns[admitted_n - 1] : 0));
	free(ns);
}

/*
 * -a: COUNT agents, each a child in a cgroup of its own, all presenting at
 * once. 0 only if every one was admitted.
 */
static int run_at_once(const struct opts *o)
{
	size_t size = sizeof(uint64_t) + o->count * sizeof(struct outcome);
	char **tok = read_tokens(o), dir[512];
	struct outcome *out;
	uint64_t *release;
	long forked = 0, ok = 0, in_place = 0;
	int go[2], ready[2], rc = 1;
	void *shm;
	char c;

	shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tok || shm == MAP_FAILED || pipe(go) || pipe(ready))
		goto out;
	release = shm;
	out = (struct outcome *)(release + 1);
	for (; forked < o->count; forked++) {
		pid_t pid;

		snprintf(dir, sizeof(dir), "%s/%s%ld", o->root, o->prefix, o->first + forked);
		if (mkdir(dir, 0755) && errno != EEXIST) {
			fprintf(stderr, "lg-present-load: mkdir %s: %s\n", dir, strerror(errno));
			break;
		}
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, "lg-present-load: fork: %s\n", strerror(errno));
			break;
		}
		if (pid == 0) {
			close(go[1]);
			close(ready[0]);
			at_once_child(o, dir, tok[forked], ready[1], go[0], release, &out[forked]);
		}
	}
	close(go[0]);
	close(ready[1]);
	/* Each child in its cgroup (a byte each; EOF once all that could have exited). */
	while (in_place < forked && read(ready[0], &c, 1) == 1)
		in_place++;
	close(ready[0]);
	if (forked < o->count)
		fprintf(stderr, "lg-present-load: only %ld of %ld clients started\n", forked,
			o->count);
	*release = now_ns();
	close(go[1]); /* the release: every child's read() returns 0 */
	while (wait(NULL) > 0)
		;
	if (forked == o->count) {
		at_once_report(o, out, now_ns() - *release);
		for (long i = 0; i < o->count; i++)
			ok += out[i].kind == ADMITTED;
		rc = ok == o->count ? 0 : 1;
	}
out:
	for (long i = 0; tok && i < o->count; i++)
		free(tok[i]);
	free(tok);
	if (shm != MAP_FAILED)
		munmap(shm, size);
	return rc;
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

	while ((c = getopt(argc, argv, "S:R:T:X:p:o:n:g:a")) != -1) {
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
		case 'a':
			o.at_once = true;
			break;
		default:
			goto usage;
		}
	}
	if (!o.root || o.count < 1 || o.first < 0 || o.gap_ms < 0 ||
	    (!o.crossing && (!o.sock || !o.tokens)) || (o.at_once && (o.crossing || o.gap_ms)))
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return o.at_once ? run_at_once(&o) : run(&o);
usage:
	fprintf(stderr, "usage: lg-present-load -S SOCKET -R ROOT -T TOKENS [-p PREFIX] "
			"[-o FIRST] [-n COUNT] [-g GAP_MS | -a]\n"
			"       lg-present-load -R ROOT -X ADDR:PORT [-p PREFIX] [-o FIRST] "
			"[-n COUNT] [-g GAP_MS]\n");
	return 2;
}

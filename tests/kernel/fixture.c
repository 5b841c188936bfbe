// SPDX-License-Identifier: GPL-2.0
/* fixture.c - see fixture.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

struct lg_enforcer *fx;
uint64_t fx_a1, fx_a2, fx_root;
bool fixture_verbose;
char fixture_error[512];

#define MAX_EVENTS 4096
#define MAX_LISTENERS 32

static struct lg_event_reader *reader;
static struct lg_event *events;
static int nevents;
static int listeners[MAX_LISTENERS];
static int nlisteners;
static int udp_fds[2][2]; /* [v4|v6][ok|no] */
static struct lg_event found;
/* The kernel's counters when the test began: its failure report shows what changed. */
static uint64_t counters_before[LG_COUNTERS];

static int fail(const char *fmt, const char *arg)
{
	snprintf(fixture_error, sizeof(fixture_error), fmt, arg, lg_errmsg());
	return -1;
}

static int on_event(void *ctx, const struct lg_event *ev)
{
	(void)ctx;
	if (fixture_verbose) {
		char t[LG_PATH_MAX + 64];

		printf("    event t=%llu pid=%u hook=%s reason=%s action=%s target=%s\n",
		       (unsigned long long)ev->time_ns, ev->pid, lg_hook_name(ev->hook),
		       lg_reason_name(ev->reason), lg_action_name(ev->action),
		       lg_event_target(ev, t, sizeof(t)));
	}
	if (nevents < MAX_EVENTS)
		events[nevents++] = *ev;
	return 0;
}

static int write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, content, strlen(content)) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int make_dirs(void)
{
	static const char *const dirs[] = {
		FX_DIR,	       FX_DIR "/ws",  FX_DIR "/ws/sub", FX_DIR "/ws/out",
		FX_DIR "/ws2", FX_DIR "/wsx", FX_ROOT,		FX_A1,
		FX_A1_SUB,     FX_A2,	      FX_OTHER,
	};
	static const char *const files[] = {
		FX_DIR "/ws/a",	  FX_DIR "/ws/sub/c", FX_DIR "/ws/out/o",
		FX_DIR "/ws2/b",  FX_DIR "/wsx/x",    FX_DIR "/secret",
		FX_DIR "/single", FX_DIR "/single2",  FX_DIR "/both",
	};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755) && errno != EEXIST)
			return fail("mkdir %s: %s", dirs[i]);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (write_file(files[i], "data\n"))
			return fail("write %s: %s", files[i]);
	unlink(FX_DIR "/ws/link");
	if (symlink(FX_DIR "/secret", FX_DIR "/ws/link"))
		return fail("symlink %s: %s", FX_DIR "/ws/link");
	return 0;
}

static int listen_inet(int family, int type, const char *addr, int port)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int one = 1, fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s->sin_addr);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		len = sizeof(*s);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || (type == SOCK_STREAM && listen(fd, 512))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_unix(int type, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sun);
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (path[0] == '@') {
		memcpy(sun.sun_path + 1, path + 1, strlen(path + 1));
		len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	} else {
		unlink(path);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	}
	if (bind(fd, (struct sockaddr *)&sun, len) || (type == SOCK_STREAM && listen(fd, 512))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The fixture's control socket: the one the exception lets agents reach. */
static int control_fd = -1;

static int add_listener(int fd, const char *what)
{
	if (fd < 0)
		return fail("listener %s: %s", what);
	if (!strcmp(what, FX_CONTROL_SOCK))
		control_fd = fd;
	listeners[nlisteners++] = fd;
	return 0;
}

static int make_listeners(void)
{
	static const struct {
		int family;
		const char *addr;
		int port;
	} tcp[] = {
		{ AF_INET, "127.0.0.1", FX_PORT_OK },
		{ AF_INET, "127.0.0.1", FX_PORT_NO },
		{ AF_INET, "127.0.0.2", FX_PORT_RANGE_IN },
		{ AF_INET, "127.0.0.2", FX_PORT_RANGE_OUT },
		{ AF_INET6, "::1", FX_PORT_OK },
		{ AF_INET6, "::1", FX_PORT_NO },
	};
	static const char *const unix_stream[] = {
		FX_DIR "/ok.sock", FX_DIR "/no.sock", FX_CONTROL_SOCK, "@lgt-ok", "@lgt-no",
	};
	static const char *const unix_dgram[] = { FX_DIR "/ok.dgram", FX_DIR "/no.dgram" };
	int err = 0;

	for (size_t i = 0; i < sizeof(tcp) / sizeof(tcp[0]) && !err; i++)
		err = add_listener(listen_inet(tcp[i].family, SOCK_STREAM, tcp[i].addr,
					       tcp[i].port),
				   tcp[i].addr);
	for (size_t i = 0; i < sizeof(unix_stream) / sizeof(unix_stream[0]) && !err; i++)
		err = add_listener(listen_unix(SOCK_STREAM, unix_stream[i]), unix_stream[i]);
	for (size_t i = 0; i < sizeof(unix_dgram) / sizeof(unix_dgram[0]) && !err; i++)
		err = add_listener(listen_unix(SOCK_DGRAM, unix_dgram[i]), unix_dgram[i]);
	if (err)
		return err;
	udp_fds[0][0] = listen_inet(AF_INET, SOCK_DGRAM, "127.0.0.1", FX_UDP_OK);
	udp_fds[0][1] = listen_inet(AF_INET, SOCK_DGRAM, "127.0.0.1", FX_UDP_NO);
	udp_fds[1][0] = listen_inet(AF_INET6, SOCK_DGRAM, "::1", FX_UDP_OK);
	udp_fds[1][1] = listen_inet(AF_INET6, SOCK_DGRAM, "::1", FX_UDP_NO);
	for (int i = 0; i < 4; i++)
		if (udp_fds[i / 2][i % 2] < 0)
			return fail("udp receiver %s: %s", "loopback");
	return 0;
}

int fixture_setup(void)
{
	struct lg_enforcer_opts o = { .verbose = fixture_verbose };
	int active = lg_bpf_lsm_active();

	events = calloc(MAX_EVENTS, sizeof(*events));
	if (!events)
		return fail("%s%s", "out of memory");
	if (active != 1)
		return fail("BPF LSM is not active in this kernel%s (%s)", "");
	if (make_dirs() || make_listeners())
		return -1;
	if (lg_enforcer_open(&o, &fx))
		return fail("%s%s", "lg_enforcer_open: ");
	if (lg_set_control_socket(fx, FX_CONTROL_SOCK) || lg_set_control_listener(fx, control_fd) ||
	    lg_root_add(fx, FX_ROOT) || lg_cgroup_id(FX_ROOT, &fx_root, NULL) ||
	    lg_agent_add(fx, FX_A1, &fx_a1) || lg_agent_add(fx, FX_A2, &fx_a2))
		return fail("%s%s", "registering cgroups: ");
	if (lg_events_open(fx, on_event, NULL, &reader))
		return fail("%s%s", "events: ");
	return 0;
}

static void drain_sockets(void)
{
	char buf[64];

	for (int i = 0; i < nlisteners; i++) {
		int c;

		while ((c = accept(listeners[i], NULL, NULL)) >= 0)
			close(c);
		while (recv(listeners[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	for (int i = 0; i < 4; i++)
		while (recv(udp_fds[i / 2][i % 2], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
}

void fixture_before_test(void)
{
	lg_grant_remove(fx, fx_a1);
	lg_grant_remove(fx, fx_a2);
	lg_set_default_mode(fx, LG_MODE_ENFORCE);
	drain_sockets();
	lg_events_poll(reader, 0);
	nevents = 0;
	if (lg_counters_read(fx, counters_before))
		memset(counters_before, 0, sizeof(counters_before));
}

void fixture_after_test(void)
{
	drain_sockets();
}

/*
 * What the kernel counted during the failed test, per hook: a denial that
 * sent no event was lost (no ring room, or no scratch slot: an internal
 * denial) or suppressed (over the agent's event budget).
 */
static void explain_counters(void)
{
	static const char *const names[LG_CTR_MAX] = {
		[LG_CTR_ALLOWED] = "allowed", [LG_CTR_DENIED] = "denied",
		[LG_CTR_AUDITED] = "audited", [LG_CTR_EVENTS_LOST] = "lost",
		[LG_CTR_CACHED] = "cached",   [LG_CTR_EVENTS_SUPPRESSED] = "suppressed",
	};
	uint64_t now[LG_COUNTERS];

	if (lg_counters_read(fx, now)) {
		printf("    the kernel's counters: unreadable: %s\n", lg_errmsg());
		return;
	}
	for (int h = 0; h < LG_HOOK_CAPACITY; h++) {
		char line[256];
		int len = 0;

		for (int c = 0; c < LG_CTR_MAX; c++) {
			uint64_t d = now[h * LG_CTR_MAX + c] - counters_before[h * LG_CTR_MAX + c];

			if (d && len < (int)sizeof(line))
				len += snprintf(line + len, sizeof(line) - len, " %s=%llu",
						names[c] ? names[c] : "?", (unsigned long long)d);
		}
		if (len)
			printf("    | counted on %s:%s\n", lg_hook_name(h), line);
	}
}

/* The last of the failed test's events, so that a denial nobody expected says why. */
void fixture_explain_failure(void)
{
	char t[LG_PATH_MAX + 64];

	explain_counters();
	lg_events_poll(reader, 0);
	printf("    the test's events: %d%s%s\n", nevents,
	       nevents == MAX_EVENTS ? " (the first ones kept)" : "",
	       nevents > 8 ? ", the last 8 kept:" : "");
	for (int i = nevents > 8 ? nevents - 8 : 0; i < nevents; i++) {
		const struct lg_event *ev = &events[i];

		printf("    | pid=%u hook=%s reason=%s action=%s target=%s\n", ev->pid,
		       lg_hook_name(ev->hook), lg_reason_name(ev->reason),
		       lg_action_name(ev->action), lg_event_target(ev, t, sizeof(t)));
	}
}

void fixture_teardown(void)
{
	lg_events_close(reader);
	lg_enforcer_close(fx);
}

struct lg_grant_spec fx_spec(int ttl_ms)
{
	struct lg_grant_spec s = {
		.expires_ns = lg_boottime_ns() + (uint64_t)ttl_ms * 1000000ULL,
		.mode = LG_MODE_ENFORCE,
		.domain = 1,
	};

	return s;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

const struct lg_event *fx_wait_event(uint32_t pid, int hook, int reason, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	int seen = 0;

	for (;;) {
		for (; seen < nevents; seen++) {
			const struct lg_event *ev = &events[seen];

			if ((!pid || ev->tgid == pid || ev->pid == pid) && ev->hook == hook &&
			    ev->reason == reason) {
				found = *ev;
				return &found;
			}
		}
		if (now_ms() >= deadline)
			return NULL;
		lg_events_poll(reader, 50);
	}
}

const struct lg_event *fx_wait_event_if(uint32_t pid, int hook, int reason,
					bool (*match)(const struct lg_event *ev, const void *arg),
					const void *arg, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	int seen = 0;

	for (;;) {
		for (; seen < nevents; seen++) {
			const struct lg_event *ev = &events[seen];

			if ((!pid || ev->tgid == pid || ev->pid == pid) && ev->hook == hook &&
			    ev->reason == reason && match(ev, arg)) {
				found = *ev;
				return &found;
			}
		}
		if (now_ms() >= deadline)
			return NULL;
		lg_events_poll(reader, 50);
	}
}

static bool target_is(const struct lg_event *ev, const void *target)
{
	return !strcmp(ev->target, target);
}

const struct lg_event *fx_wait_event_at(uint32_t pid, int hook, int reason, const char *target,
					int timeout_ms)
{
	return fx_wait_event_if(pid, hook, reason, target_is, target, timeout_ms);
}

int fx_count_events(uint32_t pid, int ms)
{
	uint64_t deadline = now_ms() + ms;
	int n = 0;

	while (now_ms() < deadline)
		lg_events_poll(reader, 50);
	for (int i = 0; i < nevents; i++)
		if (events[i].tgid == pid || events[i].pid == pid)
			n++;
	return n;
}

int fx_udp_pending(int family, int port)
{
	char buf[16];
	int fd = udp_fds[family == AF_INET6][port == FX_UDP_NO];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	return n > 0 ? (int)n : 0;
}

const struct lg_event *fx_wait_event_target(int hook, int reason, const char *target, bool prefix,
					    int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	size_t n = strlen(target);
	int seen = 0;

	for (;;) {
		for (; seen < nevents; seen++) {
			const struct lg_event *ev = &events[seen];

			if (ev->hook != hook || ev->reason != reason)
				continue;
			if (prefix ? !strncmp(ev->target, target, n) :
				     !strcmp(ev->target, target)) {
				found = *ev;
				return &found;
			}
		}
		if (now_ms() >= deadline)
			return NULL;
		lg_events_poll(reader, 50);
	}
}

int fx_count_hook_events(int hook, int ms)
{
	uint64_t deadline = now_ms() + ms;
	int n = 0;

	while (now_ms() < deadline)
		lg_events_poll(reader, 50);
	for (int i = 0; i < nevents; i++)
		n += events[i].hook == hook;
	return n;
}

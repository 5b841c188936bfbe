// SPDX-License-Identifier: GPL-2.0
/*
 * livegrantd - the livegrant controller.
 *
 *   livegrantd --config FILE [--verbose]
 *
 * Loads (or adopts) the enforcement programs, registers the agent roots,
 * serves the control socket, keeps grants alive while their attestation
 * holds, and prints every denial as a JSON line on standard output.
 * Stopping it leaves enforcement in place: grants lapse on their own within
 * two refresh intervals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "admission.h"
#include "attest.h"
#include "control.h"
#include "crossing.h"
#include "daemon.h"
#include "events_log.h"
#include "notify.h"
#include "privileges.h"
#include "state_file.h"
#include "state_saver.h"
#include "upkeep.h"
#include "views.h"

/* Default of --takeover-wait. */
#define LGD_TAKEOVER_WAIT_S 30u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: livegrantd --config FILE [--verbose] [--takeover-wait SECONDS]\n"
		"       livegrantd --config FILE --check-config\n"
		"  --config FILE            YAML configuration (docs/config.md)\n"
		"  --check-config           check FILE and the trust bundles it names, and exit:\n"
		"                           0 if livegrantd would accept them (the kernel is not read)\n"
		"  --verbose                print libbpf debug output (verifier logs)\n"
		"  --takeover-wait SECONDS  how long to wait for another livegrantd on the\n"
		"                           same state_dir to stop (default %u)\n",
		LGD_TAKEOVER_WAIT_S);
}

/* Every domain's bundle; fetched ones from their cache, then fetched at once. */
static int load_bundles(struct lgd *d)
{
	int err = lgd_bundles_load(&d->bundles, d->cfg, d->cfg->state_dir);

	/* Waited for no longer than a grant of the pins in force outlives its refresh. */
	return err ? err : lgd_bundles_start(&d->bundles, d->cfg->refresh_interval_s);
}

/* --check-config: the files are read; a URL is fetched at run time only. */
static int check_bundles(struct lgd *d)
{
	int err = lgd_bundles_load(&d->bundles, d->cfg, NULL);

	for (size_t i = 0; !err && i < d->cfg->n_domains; i++) {
		const struct lg_domain_config *dom = &d->cfg->domains[i];

		if (!dom->trust_bundle_url)
			continue;
		/* A CA file that cannot be read would leave the domain without keys. */
		if (dom->fetch.ca_file && access(dom->fetch.ca_file, R_OK))
			err = lg_err(-errno, "domain %s: trust_bundle_fetch.ca_file %s: %s",
				     dom->name, dom->fetch.ca_file, strerror(errno));
		else
			printf("livegrantd: domain %s: trust bundle %s is fetched at run time (not checked here)\n",
			       dom->name, dom->trust_bundle);
	}
	lgd_bundles_free(&d->bundles);
	return err;
}

/*
 * The agent roots of the configuration, checked whole before the enforcer
 * opens: a start that would fail on them must fail before it keeps the
 * grants of the pins in force alive (lgd_bridge).
 */
/*
 * livegrantd in one of its own agent roots would be an agent: confined,
 * without a grant, by the programs it loads. Refused before anything loads.
 */
static int outside_roots(const struct lgd *d)
{
	char own[PATH_MAX];
	int err = lgd_pid_cgroup(getpid(), LGD_CGROUP_MOUNT, own, sizeof(own));

	if (err)
		return lg_err(err, "cannot read livegrantd's own cgroup (/proc/self/cgroup): %s",
			      strerror(-err));
	for (size_t i = 0; i < d->nroots; i++)
		if (lgd_cgroup_at_or_below(own, d->roots[i]))
			return lg_err(
				-EINVAL,
				"%s: livegrantd runs in cgroup %s, at or below agent root %s: it would be an agent itself; run it outside every agent root (its own systemd unit, or a Guaranteed pod outside the roots)",
				d->cfg->path, own, d->roots[i]);
	return 0;
}

static int resolve_roots(struct lgd *d)
{
	/* One more than needed: with only agent pods (kubernetes:) there may be none. */
	d->roots = calloc(d->cfg->agent_cgroups.n + 1, sizeof(char *));
	if (!d->roots)
		return lg_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < d->cfg->agent_cgroups.n; i++) {
		const char *path = d->cfg->agent_cgroups.v[i];

		/* A configured root that does not exist yet is created. */
		if (mkdir(path, 0755) && errno != EEXIST)
			return lg_err(-errno, "agent root %s: %s", path, strerror(errno));
		d->roots[i] = realpath(path, NULL);
		if (!d->roots[i])
			return lg_err(-errno, "agent root %s: %s", path, strerror(errno));
		/* Nested roots would make the inner root one agent shared by all below it. */
		for (size_t j = 0; j < i; j++) {
			size_t a = strlen(d->roots[j]), b = strlen(d->roots[i]);
			const char *outer = a < b ? d->roots[j] : d->roots[i];
			const char *inner = a < b ? d->roots[i] : d->roots[j];

			if (lgd_cgroup_at_or_below(inner, outer))
				return lg_err(
					-EINVAL,
					"%s: agent roots %s and %s are nested (or equal): list only the outer one",
					d->cfg->path, outer, inner);
		}
		d->nroots++;
		if (lg_root_check(d->roots[i]))
			return -EINVAL;
	}
	return outside_roots(d);
}

static int register_roots(struct lgd *d)
{
	for (size_t i = 0; i < d->nroots; i++)
		if (lg_root_add(d->e, d->roots[i]))
			return -EINVAL;
	return 0;
}

/*
 * One livegrantd per state_dir (and so per pin directory and control
 * socket): two would write the same maps and pins. The lock lives as long
 * as the process, and the kernel drops it with the process, crash or not.
 */
static int lock_state_dir(struct lgd *d)
{
	char path[PATH_MAX], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", d->cfg->state_dir, LGD_LOCK_NAME);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return lg_err(-errno, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = 0;
		close(fd);
		return lg_err(err == -EWOULDBLOCK ? -EBUSY : err,
			      "another livegrantd (pid %s) runs with state_dir %s: stop it first",
			      pid[0] ? strtok(pid, "\n") : "?", d->cfg->state_dir);
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, n, 0) != n)
		fprintf(stderr, "livegrantd: could not write %s: %s\n", path, strerror(errno));
	d->lock_fd = fd; /* stays open: it holds the lock */
	return 0;
}

/*
 * A livegrantd of a release before the lock (9a58c45 and older) takes no
 * lock: one that still answers on the control socket is running.
 */
static int no_live_socket(struct lgd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return lg_err(-errno, "socket: %s", strerror(errno));
	/* Too long a path cannot be bound either: control.c says so. */
	if (strlen(d->socket_path) >= sizeof(sa.sun_path)) {
		close(fd);
		return 0;
	}
	memcpy(sa.sun_path, d->socket_path, strlen(d->socket_path) + 1);
	live = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (live)
		return lg_err(
			-EBUSY,
			"a livegrantd already answers on %s (an older release?): stop it first",
			d->socket_path);
	return 0;
}

/*
 * Wait up to @wait_s seconds until no other livegrantd runs on this
 * state_dir: a restart that starts the new process before the old one has
 * stopped (a rolling update) takes over once the old one is gone, while
 * the old one keeps enforcing and refreshing.
 */
static int take_over(struct lgd *d, unsigned int wait_s)
{
	uint64_t until = lg_boottime_ns() + (uint64_t)wait_s * 1000000000ULL;
	bool said = false;
	int err;

	for (;;) {
		/* The lock, once taken, is kept while an older release finishes. */
		err = d->lock_fd < 0 ? lock_state_dir(d) : 0;
		if (!err)
			err = no_live_socket(d);
		if (err != -EBUSY || lg_boottime_ns() >= until)
			break;
		if (!said)
			fprintf(stderr, "livegrantd: %s; waiting up to %us for it\n", lg_errmsg(),
				wait_s);
		said = true;
		usleep(100 * 1000);
	}
	if (!err && said)
		fprintf(stderr, "livegrantd: the other livegrantd stopped: taking over\n");
	return err;
}

/*
 * Start-up, in the order that leaves no gap: saved agents are read and
 * the configuration checked first, so that the pins in force keep their
 * grants alive while this build loads (lgd_bridge) only for a start that
 * can succeed; this build's maps are then filled completely (settings,
 * domains, roots, every saved grant) before its programs are attached and
 * the old pins retired (lg_enforcer_commit).
 */
/*
 * livegrant's own files, and the configured rules that would reach them:
 * a baseline or a ceiling that does refuses the start, before anything
 * running is touched.
 */
static int protect_own_files(struct lgd *d)
{
	char exe[PATH_MAX], where[128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *reason;
	int err;

	if (n <= 0)
		return lg_err(-errno, "cannot read /proc/self/exe: %s", strerror(errno));
	exe[n] = 0;
	err = lgd_protected_init(&d->protected, d->cfg, exe);
	if (!err)
		err = lgd_protected_check_config(&d->protected, &d->cfg->baseline, "baseline",
						 &reason);
	/* Every agent pod holds its bootstrap grant before its token: no ceiling applies. */
	if (!err && d->cfg->kube.has_bootstrap)
		err = lgd_protected_check_config(&d->protected, &d->cfg->kube.bootstrap,
						 "kubernetes.bootstrap", &reason);
	for (size_t i = 0; !err && i < d->cfg->n_domains; i++) {
		const struct lg_domain_config *dom = &d->cfg->domains[i];

		snprintf(where, sizeof(where), "domains.%s.ceiling", dom->name);
		if (dom->has_ceiling)
			err = lgd_protected_check_config(&d->protected, &dom->ceiling, where,
							 &reason);
	}
	return err;
}

static int setup(struct lgd *d, bool verbose, unsigned int takeover_wait_s)
{
	struct lg_enforcer_opts eo = {
		.pin_dir = d->cfg->bpffs_dir,
		.verbose = verbose,
		.staged = true,
		.bridge = lgd_bridge,
		.bridge_ctx = d,
		/* Four times per grant lifetime (two refresh intervals). */
		.bridge_interval_ms = d->cfg->refresh_interval_s * 1000 / 2,
		/* setup() ran the kernel checks first (with the mount), for the same pins. */
		.kernel_checked = true,
	};
	struct lg_kernel_report kr;
	int err;

	/*
	 * check-kernel's checks first, securityfs mounted if it is not: on a
	 * kernel that would not enforce, livegrantd exits naming the fix
	 * rather than run and decide nothing.
	 */
	err = lg_kernel_probe(d->cfg->bpffs_dir, LG_KCHECK_MOUNT, &kr);
	if (!err)
		err = protect_own_files(d);
	if (err)
		return err;
	if (mkdir(d->cfg->state_dir, 0755) && errno != EEXIST)
		return lg_err(-errno, "state_dir %s: %s", d->cfg->state_dir, strerror(errno));
	snprintf(d->socket_path, sizeof(d->socket_path), "%s/%s", d->cfg->state_dir,
		 LGD_SOCKET_NAME);
	snprintf(d->admin_socket_path, sizeof(d->admin_socket_path), "%s/%s", d->cfg->state_dir,
		 LGD_ADMIN_SOCKET_NAME);
	snprintf(d->state_path, sizeof(d->state_path), "%s/%s", d->cfg->state_dir, LGD_STATE_NAME);
	/* Before anything is loaded: where agents look for us must be ours. */
	err = lgd_control_check_dir(d->socket_path);
	if (!err)
		err = take_over(d, takeover_wait_s);
	if (!err)
		err = load_bundles(d);
	if (!err)
		err = lgd_state_load(d);
	if (!err)
		err = resolve_roots(d);
	/* ${NODE_NAME} unset is a start error: before anything loads, not after. */
	if (!err && d->cfg->kube.enabled)
		err = lgd_kube_check(d);
	if (!err)
		err = lg_enforcer_open(&eo, &d->e);
	if (!err && lg_enforcer_start(d->e) != LG_START_FRESH &&
	    lg_enforcer_start(d->e) != LG_START_ADOPTED)
		fprintf(stderr,
			"livegrantd: pins under %s are of another build: %s; restoring grants\n",
			d->cfg->bpffs_dir, lg_start_name(lg_enforcer_start(d->e)));
	if (!err)
		err = lg_set_default_mode(d->e, d->cfg->mode);
	if (!err)
		err = lg_set_control_socket(d->e, d->socket_path);
	if (!err)
		err = lgd_load_domains(d);
	if (!err)
		err = register_roots(d);
	/* Agent pods governed before this start stay governed: before grants, before commit. */
	if (!err)
		err = lgd_kube_recover(d);
	if (!err)
		err = lgd_restore(d);
	if (!err)
		err = lg_enforcer_commit(d->e);
	if (!err)
		lgd_kube_committed(d);
	return err;
}

/*
 * Denials the replaced pins recorded (downtime and switch) go into the log
 * too: a slice of at most LGD_DRAIN_SLICE_MS per call, so that a big
 * backlog never holds up refreshes, from start until LGD_DRAIN_TICKS
 * seconds on (the kernel releases old links asynchronously).
 */
#define LGD_DRAIN_SLICE_MS 100
/*
 * A refresh pass runs in slices of this much time between the loop's other
 * work, so that no presentation waits behind a whole pass.
 */
#define LGD_REFRESH_SLICE_NS (20 * 1000 * 1000ULL)
#define LGD_DRAIN_TICKS 3
/*
 * The event ring is read for at most this long per loop turn: a flood of
 * denials (or the backlog an upgrade leaves in a shared ring: tens of
 * thousands of records) must not hold refreshes and the control socket.
 * What the ring cannot take meanwhile the kernel counts as lost.
 */
#define LGD_EVENTS_SLICE_MS 50
/*
 * The most time one turn of the loop spends on the control socket
 * (accepting, attesting, answering) before the rest of the turn: a refresh
 * slice, the event ring, the timers. Under a storm of presentations (each
 * tens of ms under emulation) a turn would otherwise take seconds: refresh
 * passes stretched until grants lapsed and the ring went unread (1,000
 * agents presenting at once, tests/kernel/load.sh). The connection being
 * handled when the share runs out is finished; one request is never split.
 * The admin socket has a share of its own, so that no queue of agents is
 * ahead of an admin.
 */
#define LGD_CONTROL_TURN_NS (50 * 1000000ULL)
/*
 * Every this many ticks, the kernel's event budgets of agents that are gone
 * are removed (each tick reports what the budgets suppressed or lost).
 */
#define LGD_BUDGET_SWEEP_TICKS 10

/*
 * The next refresh slice's budget: LGD_REFRESH_SLICE_NS, until the pass is
 * half an interval old; then the rest of it at once. Presentations arriving
 * without pause must not stretch a pass past the grants' kernel expiry
 * (two intervals ahead), which would let them lapse.
 */
static uint64_t refresh_budget(const struct lgd *d)
{
	uint64_t age = lg_monotonic_ns() - d->refresh.start_ns;

	return age > d->cfg->refresh_interval_s * 500000000ULL ? 0 : LGD_REFRESH_SLICE_NS;
}

/*
 * Handle @src's readiness within its socket's share of this turn: agents'
 * until *@agent_end, the admin socket's until *@admin_spent reaches
 * LGD_CONTROL_TURN_NS (measured as the time its own events take, which
 * moves the agents' end on: it is not theirs). False when the share was
 * spent before: a connection is left ready for the next turn. A listener
 * is always handled (it accepts at least one).
 */
static bool serve(struct lgd *d, int epfd, struct lgd_src *src, uint64_t *agent_end,
		  uint64_t *admin_spent)
{
	bool admin = src->kind == LGD_SRC_ADMIN_LISTEN || src->kind == LGD_SRC_ADMIN_CONN;
	bool listener = src->kind == LGD_SRC_LISTEN || src->kind == LGD_SRC_ADMIN_LISTEN;
	uint64_t t0 = lg_monotonic_ns(), spent;

	if (!admin) {
		if (t0 >= *agent_end && !listener)
			return false;
		lgd_control_handle(d, epfd, src, *agent_end);
		return true;
	}
	if (*admin_spent >= LGD_CONTROL_TURN_NS && !listener)
		return false;
	/* Past its share (a listener): the deadline is now, and one is accepted. */
	lgd_control_handle(
		d, epfd, src,
		*admin_spent >= LGD_CONTROL_TURN_NS ? t0 : t0 + LGD_CONTROL_TURN_NS - *admin_spent);
	spent = lg_monotonic_ns() - t0;
	*admin_spent += spent;
	*agent_end += spent;
	return true;
}

/* True while a backlog is left for the next slice. */
static bool drain_replaced(struct lgd *d, unsigned int ticks)
{
	bool more = false;
	int n;

	if (!lg_prev_events_pending(d->e))
		return false;
	n = lg_prev_events_drain(d->e, lgd_print_event, d, LGD_DRAIN_SLICE_MS, &more);
	if (n < 0)
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
	else if (n > 0)
		fprintf(stderr, "livegrantd: %d events recorded by the replaced pins logged\n", n);
	if (!more && ticks >= LGD_DRAIN_TICKS)
		lg_prev_release(d->e);
	return more;
}

/* A slice of the event ring; true while records are left for the next. */
static bool read_events(struct lg_event_reader *reader)
{
	bool more = false;

	if (lg_events_consume(reader, LGD_EVENTS_SLICE_MS, &more) < 0)
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
	return more;
}

/* Hooks this kernel lacks are not enforced: say so once, by name. */
static void report_unenforced(struct lgd *d)
{
	struct lg_hook_set missing;
	unsigned int h;

	lg_enforcer_hooks(d->e, NULL, &missing);
	lg_hook_set_for_each(h, &missing)
	{
		fprintf(stderr,
			"livegrantd: NOT ENFORCED on this kernel: hook %s (it has no LSM hook %s)\n",
			lg_hook_name(h), lg_hook_info(h)->lsm);
	}
}

static int add_timer(int epfd, struct lgd_src *src, uint64_t seconds)
{
	struct itimerspec its = { .it_interval = { .tv_sec = seconds },
				  .it_value = { .tv_sec = seconds } };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	src->fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (src->fd < 0 || timerfd_settime(src->fd, 0, &its, NULL) ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &ev))
		return lg_err(-errno, "timer: %s", strerror(errno));
	return 0;
}

static int add_fd(int epfd, struct lgd_src *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &ev))
		return lg_err(-errno, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

/*
 * Called before each metrics scrape: agents by state and the kernel's
 * counters as they are now. A failed counter read keeps the last values,
 * so counters never go backwards.
 */
static void collect_metrics(struct lgd_metrics *m, void *ctx)
{
	struct lgd *d = ctx;
	struct lgd_control_stats cs;
	uint64_t ctr[LG_COUNTERS];

	lgd_agents_metrics(d, m);
	lgd_control_stats(&cs);
	lgd_metrics_control(m, &cs);
	lgd_metrics_denial_log(m, d->log.fd >= 0 && !d->log.write_err, d->log.unwritten_total);
	lgd_metrics_state_file(m, !d->saver.failing, d->saver.failures);
	lgd_metrics_kube_pods(m, d->kube.n);
	for (size_t i = 0; i < d->bundles.n; i++) {
		const struct lgd_bundle *b = &d->bundles.v[i];
		struct lgd_metrics_bundle mb = {
			.url = b->dom->trust_bundle_url,
			.keys = lg_trust_bundle_size(b->b),
			.age_s = lgd_bundle_age_s(b),
		};

		memcpy(mb.fetches, b->results, sizeof(mb.fetches));
		lgd_metrics_bundle(m, i, &mb);
	}
	if (!lg_counters_read(d->e, ctr))
		lgd_metrics_kernel_counters(m, ctr);
}

/* The metrics endpoint, when metrics_listen is set; off otherwise. */
static int open_metrics(struct lgd *d, int epfd, struct lgd_src *src)
{
	int err;

	if (!d->cfg->metrics_listen)
		return 0;
	err = lgd_metrics_init(&d->metrics, d->cfg, collect_metrics, d);
	if (!err)
		err = lgd_metrics_open(&d->metrics, d->cfg->metrics_listen, &src->fd);
	if (!err)
		err = add_fd(epfd, src);
	return err;
}

static int run(struct lgd *d)
{
	struct lgd_src refresh = { .kind = LGD_SRC_REFRESH }, tick = { .kind = LGD_SRC_TICK };
	struct lgd_src events = { .kind = LGD_SRC_EVENTS }, sig = { .kind = LGD_SRC_SIGNAL };
	struct lgd_src metrics = { .kind = LGD_SRC_METRICS, .fd = -1 };
	struct lgd_src saved = { .kind = LGD_SRC_SAVED, .fd = d->saver.done_fd };
	struct lgd_src kubelet = { .kind = LGD_SRC_KUBELET, .fd = -1 };
	struct lgd_src bundles = { .kind = LGD_SRC_BUNDLES, .fd = -1 };
	struct lg_event_reader *reader = NULL;
	int epfd = epoll_create1(EPOLL_CLOEXEC), err;
	sigset_t mask;
	bool stop = false, sweep = false;
	unsigned int ticks = 0;
	bool backlog = true; /* the replaced pins' ring may hold events */
	bool events_left = false; /* the last read of the ring ended at its budget */
	bool refresh_due = false; /* the refresh timer fired during a pass */
	bool deferred = false; /* ready connections were left for the next turn */
	char privs[128];

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (epfd < 0 || sig.fd < 0)
		return lg_err(-errno, "epoll/signalfd: %s", strerror(errno));
	err = lgd_denial_log_open(&d->log, d->cfg->state_dir, d->cfg->denial_log_max_bytes,
				  d->cfg->denial_log_keep);
	if (err)
		return err;
	err = lg_events_open(d->e, lgd_print_event, d, &reader);
	/*
	 * The grants restored before the commit have two refresh intervals
	 * from then: refresh now, so that nothing between the commit and the
	 * first timer tick can let them lapse.
	 */
	if (!err)
		lgd_refresh(d);
	if (!err) {
		events.fd = lg_events_fd(reader);
		err = add_fd(epfd, &events);
	}
	if (!err)
		err = add_fd(epfd, &sig);
	if (!err)
		err = add_fd(epfd, &saved);
	if (!err)
		err = add_timer(epfd, &refresh, d->cfg->refresh_interval_s);
	if (!err)
		err = add_timer(epfd, &tick, 1);
	if (!err)
		err = lgd_control_open(d, epfd);
	if (!err)
		err = open_metrics(d, epfd, &metrics);
	if (err)
		return err;
	fprintf(stderr,
		"livegrantd: enforcing (%s programs under %s, start: %s), control socket %s, "
		"admin socket %s\n",
		lg_enforcer_start(d->e) == LG_START_ADOPTED ? "adopted" : "loaded",
		d->cfg->bpffs_dir, lg_start_name(lg_enforcer_start(d->e)), d->socket_path,
		d->admin_socket_path);
	report_unenforced(d);
	/* Everything that needs root is done: programs, pins, mounts, sockets. */
	/* One thread for the drop: the bundle fetcher stops and starts again after it. */
	lgd_bundles_pause(&d->bundles);
	err = lgd_drop_privileges();
	if (err)
		return err;
	lgd_privileges_describe(privs, sizeof(privs));
	fprintf(stderr, "livegrantd: privileges dropped: %s\n", privs);
	/* After the drop: their threads are born with the reduced sets. */
	err = lgd_bundles_resume(&d->bundles);
	bundles.fd = lgd_bundles_fd(&d->bundles);
	if (!err && bundles.fd >= 0)
		err = add_fd(epfd, &bundles);
	if (!err)
		err = lgd_kube_start(d, &kubelet.fd);
	if (!err && kubelet.fd >= 0)
		err = add_fd(epfd, &kubelet);
	if (err)
		return err;
	/*
	 * Opening the sockets and dropping privileges took time too (seconds
	 * under emulation): the grants once more before the loop's first turn,
	 * so that none waits for the timer past its kernel expiry.
	 */
	lgd_refresh(d);
	/* systemd's Type=notify: started now means enforcing. */
	if (lgd_notify("READY=1\nSTATUS=enforcing"))
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());

	while (!stop) {
		struct epoll_event evs[32];
		int n;

		/* A backlog of the replaced pins: a slice per pass, between other work. */
		if (backlog)
			backlog = drain_replaced(d, ticks);
		/* So is what is left in this build's ring (read_events()). */
		bool events_read = events_left;

		if (events_left)
			events_left = read_events(reader);
		/* A refresh pass under way: a slice per loop, between other work. */
		if (d->refresh.running && !lgd_refresh_slice(d, refresh_budget(d))) {
			lgd_metrics_refresh_done(&d->metrics);
			lg_enforcer_tidy(d->e);
			/*
			 * The timer fired during the pass: the next one starts
			 * now, so that no agent waits two intervals (its kernel
			 * expiry is two intervals ahead).
			 */
			if (refresh_due && lgd_refresh_begin(d)) {
				refresh_due = false;
				lgd_metrics_refresh_start(&d->metrics);
			}
		}
		n = epoll_wait(epfd, evs, 32,
			       backlog || events_left || d->refresh.running || deferred ?
				       0 :
				       lgd_state_save_wait_ms(d));

		if (n < 0 && errno != EINTR) {
			err = lg_err(-errno, "epoll_wait: %s", strerror(errno));
			/* Its sync thread, if one runs, must not outlive the log. */
			lgd_denial_log_close(&d->log);
			return err;
		}
		uint64_t control_end = lg_monotonic_ns() + LGD_CONTROL_TURN_NS;
		uint64_t admin_spent = 0; /* the admin socket's share is its own time */
		struct lgd_src *listeners[2]; /* control.c's two: the agent and the admin socket */
		int nlisteners = 0;

		deferred = false;
		for (int i = 0; i < n; i++) {
			struct lgd_src *src = evs[i].data.ptr;

			switch (src->kind) {
			case LGD_SRC_LISTEN:
			case LGD_SRC_ADMIN_LISTEN:
				/*
				 * After this batch's connections: a listener is
				 * ready for as long as anyone connects, and taken
				 * first it would spend every turn's share on a
				 * flood's turn-aways while an honest agent's
				 * accepted connection waited behind it, turn after
				 * turn (epoll returns them in the same order).
				 */
				if (nlisteners < (int)(sizeof(listeners) / sizeof(listeners[0])))
					listeners[nlisteners++] = src;
				break;
			case LGD_SRC_CONN:
			case LGD_SRC_ADMIN_CONN:
				/*
				 * This turn's share is spent: the rest stays ready
				 * (level-triggered) and is taken on the next turn,
				 * after a refresh slice and the ring.
				 */
				if (!serve(d, epfd, src, &control_end, &admin_spent))
					deferred = true;
				break;
			case LGD_SRC_EVENTS:
				/* One slice a turn: the ring stays readable while records are left. */
				if (!events_read)
					events_left = read_events(reader);
				events_read = true;
				break;
			case LGD_SRC_REFRESH:
				drain(src->fd);
				/* Still running: the next pass follows it at once. */
				if (lgd_refresh_begin(d))
					lgd_metrics_refresh_start(&d->metrics);
				else
					refresh_due = true;
				break;
			case LGD_SRC_TICK:
				drain(src->fd);
				/*
				 * Not here: the sweep frees connections that may
				 * still have events later in this batch.
				 */
				sweep = true;
				lgd_kube_sweep(d);
				lgd_bundles_tick(&d->bundles);
				lgd_metrics_run(&d->metrics); /* enforces its timeouts */
				lgd_events_tally(d, ticks % LGD_BUDGET_SWEEP_TICKS == 0);
				lgd_denial_log_tick(&d->log);
				backlog = drain_replaced(d, ++ticks);
				break;
			case LGD_SRC_METRICS:
				lgd_metrics_run(&d->metrics);
				break;
			case LGD_SRC_SAVED:
				lgd_state_save_finished(d);
				break;
			case LGD_SRC_KUBELET:
				lgd_kube_handle(d);
				break;
			case LGD_SRC_BUNDLES:
				lgd_bundles_take(&d->bundles);
				break;
			case LGD_SRC_SIGNAL:
				stop = true;
				lgd_notify("STOPPING=1");
				break;
			}
		}
		/*
		 * Each accepts at least one, so that no queue of connections
		 * stops it; none once stopping (they would be closed unanswered,
		 * and their attestations delay the last refresh).
		 */
		for (int i = 0; !stop && i < nlisteners; i++)
			serve(d, epfd, listeners[i], &control_end, &admin_spent);
		if (sweep) {
			lgd_control_sweep(epfd);
			sweep = false;
		}
		lgd_state_save_start(d);
	}
	/*
	 * A last refresh (every check a refresh makes): the grants then lapse
	 * two intervals after this stop, not after the last timer's, so that a
	 * successor (an upgrade, a restart) has the whole window to take over.
	 */
	lgd_refresh(d);
	/* What the budgets counted since the last tick, so a successor need not. */
	lgd_events_tally(d, false);
	fprintf(stderr, "livegrantd: stopping; enforcement stays, grants lapse within %llus\n",
		(unsigned long long)(2 * d->cfg->refresh_interval_s));
	lgd_kube_stop(d);
	lgd_state_save(d);
	lgd_control_close(epfd);
	lgd_metrics_close(&d->metrics);
	lg_events_close(reader);
	lgd_denial_log_close(&d->log);
	return 0;
}

/*
 * Free what setup() and run() made, in the reverse order (run() closes its
 * own sockets, ring and log at a normal stop; an error return from it
 * leaves those to the exit). Enforcement is untouched: the programs, links and maps stay pinned
 * (lg_enforcer_close() closes only this process's descriptors), and the
 * grants lapse on their own. Nothing here is needed for correctness, since
 * the process ends next; it is done so that LeakSanitizer, when livegrantd
 * is built with it (make sanitize-vm), reports only real leaks.
 */
static void teardown(struct lgd *d)
{
	lgd_saver_close(d);
	lgd_kube_stop(d);
	lgd_bundles_free(&d->bundles);
	lg_enforcer_close(d->e);
	d->e = NULL;
	lgd_agents_free(&d->agents);
	lgd_revocations_free(&d->revoked);
	/* calloc'd one longer than the configured roots: NULL after the last made. */
	for (size_t i = 0; d->roots && d->roots[i]; i++)
		free(d->roots[i]);
	free(d->roots);
	d->roots = NULL;
	d->nroots = 0;
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
	lgd_protected_free(&d->protected);
	lg_config_free(d->cfg);
	d->cfg = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "takeover-wait", required_argument, NULL, 'w' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct lgd d = { .lock_fd = -1, .saver.done_fd = -1 };
	const char *config = NULL;
	bool verbose = false, check_only = false;
	unsigned long wait_s = LGD_TAKEOVER_WAIT_S;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "c:vw:Ch", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'w':
			errno = 0;
			wait_s = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || wait_s > 3600) {
				fprintf(stderr,
					"livegrantd: --takeover-wait %s: give whole seconds, 0 to 3600\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	err = lg_config_load(config, &d.cfg);
	/* The file and the bundles it names: before a restart, or a ConfigMap before it ships. */
	if (check_only) {
		if (!err)
			err = check_bundles(&d);
		if (err)
			fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
		else
			printf("livegrantd: %s: configuration ok\n", config);
		lg_config_free(d.cfg);
		return err ? 1 : 0;
	}
	if (!err)
		err = lgd_saver_open(&d.saver);
	if (!err)
		err = setup(&d, verbose, (unsigned int)wait_s);
	if (!err)
		err = run(&d);
	if (err)
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
	teardown(&d);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_verdict_cache.c - the verdict cache (bpf/lib/verdict_cache.h) must
 * never allow what the live grant would deny: each test lets an agent's
 * open be cached (the cache counter shows the hit), then changes what the
 * path means or what the grant says, and requires the next open to be
 * decided afresh, as the kernel's errno and the denial event show.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

#define VC FX_DIR "/vc"
#define VC_IN VC "/in" /* read beneath */
#define VC_OUT VC "/out" /* no rule */
#define VC_EX VC "/ex" /* one exact read rule: VC_EX "/f" */

static const char *vc_read[] = { VC_IN "/", VC_EX "/f" };
static const char *vc_other[] = { VC_OUT "/elsewhere/" };

static uint64_t cached_opens(void)
{
	uint64_t c[LG_COUNTERS];

	if (lg_counters_read(fx, c))
		return 0;
	return c[LG_HOOK_FILE_OPEN * LG_CTR_MAX + LG_CTR_CACHED];
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	return fd < 0 ? -1 : close(fd);
}

/* A fresh tree: VC_IN/f, VC_IN/d/g, VC_EX/f, an empty VC_OUT. */
static int vc_setup(void)
{
	const char *dirs[] = { VC, VC_IN, VC_IN "/d", VC_OUT, VC_EX };

	/* What an earlier test moved away. */
	unlink(VC_OUT "/f");
	unlink(VC_OUT "/h");
	unlink(VC_OUT "/d/g");
	rmdir(VC_OUT "/d");
	unlink(VC_EX "/g");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755) && errno != EEXIST)
			return -1;
	return touch(VC_IN "/f") || touch(VC_IN "/d/g") || touch(VC_EX "/f") ? -1 : 0;
}

static int grant(uint64_t agent, int ttl_ms, bool with_rules)
{
	struct lg_grant_spec s = fx_spec(ttl_ms);

	s.rules[LG_RULE_READ] = with_rules ? STRV(vc_read) : STRV(vc_other);
	return lg_grant_install(fx, agent, &s, NULL);
}

/*
 * Open @path twice as the agent: both allowed, and the second from the
 * cache. Returns true when both held.
 */
static bool open_cached(struct worker *w, const char *path)
{
	uint64_t before;

	if (!CHECK_ERR(w_open(w, path, O_RDONLY), 0, "first open, decided in full"))
		return false;
	before = cached_opens();
	if (!CHECK_ERR(w_open(w, path, O_RDONLY), 0, "second open"))
		return false;
	return CHECK(cached_opens() > before, "the second open of %s came from the cache", path);
}

/* The agent's open of @path is refused, and reported as not allowed. */
static void denied_afresh(struct worker *w, const char *path, int reason, const char *what)
{
	CHECK_ERR(w_open(w, path, O_RDONLY), EACCES, what);
	CHECK(fx_wait_event_at(w->pid, LG_HOOK_FILE_OPEN, reason, path, 2000) != NULL,
	      "%s: a denial event for %s", what, path);
}

KTEST(cache_repeated_open_hits)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-hit") == 0, "start worker");
	open_cached(&w, VC_IN "/f");
	/* Rights the cached open did not ask for are decided in full. */
	CHECK_ERR(w_open(&w, VC_IN "/f", O_WRONLY), EACCES, "write: not granted, not cached");
	worker_stop(&w);
}

KTEST(cache_grant_replaced)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-gen") == 0, "start worker");
	if (open_cached(&w, VC_IN "/f")) {
		REQUIRE(grant(fx_a1, 60000, false) == 0, "new grant: %s", lg_errmsg());
		denied_afresh(&w, VC_IN "/f", LG_REASON_NOT_ALLOWED,
			      "a new grant without the rule denies at once");
	}
	worker_stop(&w);
}

KTEST(cache_grant_expired)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 1500, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-exp") == 0, "start worker");
	if (open_cached(&w, VC_IN "/f")) {
		usleep(1800 * 1000);
		denied_afresh(&w, VC_IN "/f", LG_REASON_EXPIRED,
			      "the kernel's clock ends the grant, cached or not");
	}
	worker_stop(&w);
}

KTEST(cache_file_renamed_away)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-mv") == 0, "start worker");
	if (open_cached(&w, VC_IN "/f")) {
		/* A non-agent (this test) moves the file out of the grant. */
		REQUIRE(rename(VC_IN "/f", VC_OUT "/f") == 0, "rename: %s", strerror(errno));
		denied_afresh(&w, VC_OUT "/f", LG_REASON_NOT_ALLOWED, "the moved file");
	}
	if (open_cached(&w, VC_IN "/d/g")) {
		REQUIRE(rename(VC_IN "/d", VC_OUT "/d") == 0, "rename dir: %s", strerror(errno));
		denied_afresh(&w, VC_OUT "/d/g", LG_REASON_NOT_ALLOWED,
			      "a file whose folder was moved");
	}
	worker_stop(&w);
}

KTEST(cache_file_replaced_under_its_name)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-rep") == 0, "start worker");
	/* VC_EX/f is granted by an exact rule: the name, not the folder. */
	if (open_cached(&w, VC_EX "/f")) {
		REQUIRE(rename(VC_EX "/f", VC_EX "/g") == 0 && touch(VC_EX "/f") == 0,
			"replace: %s", strerror(errno));
		denied_afresh(&w, VC_EX "/g", LG_REASON_NOT_ALLOWED,
			      "the old file under its new name");
		CHECK_ERR(w_open(&w, VC_EX "/f", O_RDONLY), 0,
			  "the new file under the granted name");
	}
	worker_stop(&w);
}

KTEST(cache_hard_link)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-ln") == 0, "start worker");
	if (open_cached(&w, VC_IN "/f")) {
		REQUIRE(link(VC_IN "/f", VC_OUT "/h") == 0, "link: %s", strerror(errno));
		denied_afresh(&w, VC_OUT "/h", LG_REASON_NOT_ALLOWED, "the second name");
		REQUIRE(unlink(VC_IN "/f") == 0, "unlink: %s", strerror(errno));
		denied_afresh(&w, VC_OUT "/h", LG_REASON_NOT_ALLOWED,
			      "the second name, now the only one");
	}
	worker_stop(&w);
}

KTEST(cache_bind_mount)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(mkdir(VC_OUT "/bind", 0755) == 0 || errno == EEXIST, "mkdir: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-bind") == 0, "start worker");
	if (open_cached(&w, VC_IN "/f")) {
		REQUIRE(mount(VC_IN, VC_OUT "/bind", NULL, MS_BIND, NULL) == 0, "bind: %s",
			strerror(errno));
		denied_afresh(&w, VC_OUT "/bind/f", LG_REASON_NOT_ALLOWED,
			      "the same file through a bind mount");
		CHECK_ERR(w_open(&w, VC_IN "/f", O_RDONLY), 0, "the granted path still opens");
		umount(VC_OUT "/bind");
	}
	worker_stop(&w);
}

/*
 * A mount moved with the file on it: the same dentry, the same mount, a
 * new path. Only mount_lock's sequence tells the cache.
 */
KTEST(cache_mount_moved)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	umount(VC_IN "/m");
	umount(VC_OUT "/m");
	REQUIRE((mkdir(VC_IN "/m", 0755) == 0 || errno == EEXIST) &&
			(mkdir(VC_OUT "/m", 0755) == 0 || errno == EEXIST),
		"mkdir: %s", strerror(errno));
	REQUIRE(mount("tmpfs", VC_IN "/m", "tmpfs", 0, "size=1m") == 0, "tmpfs: %s",
		strerror(errno));
	REQUIRE(touch(VC_IN "/m/f") == 0, "touch: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-move") == 0, "start worker");
	if (open_cached(&w, VC_IN "/m/f")) {
		REQUIRE(mount(VC_IN "/m", VC_OUT "/m", NULL, MS_MOVE, NULL) == 0, "move: %s",
			strerror(errno));
		denied_afresh(&w, VC_OUT "/m/f", LG_REASON_NOT_ALLOWED,
			      "the file of a mount moved out of the grant");
		umount(VC_OUT "/m");
	}
	umount(VC_IN "/m");
	worker_stop(&w);
}

/* Audit mode allows a would-be denial; it must not be remembered as allowed. */
KTEST(cache_audit_not_cached)
{
	struct lg_grant_spec s = fx_spec(60000);
	struct worker w;
	uint64_t before;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(touch(VC_OUT "/f") == 0, "touch: %s", strerror(errno));
	s.rules[LG_RULE_READ] = STRV(vc_read);
	s.mode = LG_MODE_AUDIT;
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-audit") == 0, "start worker");
	before = cached_opens();
	for (int i = 0; i < 3; i++)
		CHECK_ERR(w_open(&w, VC_OUT "/f", O_RDONLY), 0, "audit mode allows");
	CHECK(cached_opens() == before, "no audited open came from the cache");
	CHECK(fx_count_events(w.pid, 500) == 3, "each audited open was reported");
	worker_stop(&w);
}

KTEST(cache_denials_decided_each_time)
{
	struct worker w;

	REQUIRE(vc_setup() == 0, "set-up: %s", strerror(errno));
	REQUIRE(touch(VC_OUT "/f") == 0, "touch: %s", strerror(errno));
	REQUIRE(grant(fx_a1, 60000, true) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-vc-deny") == 0, "start worker");
	for (int i = 0; i < 3; i++)
		CHECK_ERR(w_open(&w, VC_OUT "/f", O_RDONLY), EACCES, "a denied open, again");
	CHECK(fx_count_events(w.pid, 500) == 3, "each of the three denials was reported");
	worker_stop(&w);
}

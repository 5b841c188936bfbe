// SPDX-License-Identifier: GPL-2.0
/* test_file.c - file_open decisions for agents and non-agents. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

static const char *ws_read[] = { FX_DIR "/ws/" };
static const char *ws_write[] = { FX_DIR "/ws/out/" };

static int grant_ws(uint64_t agent, enum lg_mode mode)
{
	struct lg_grant_spec s = fx_spec(60000);

	s.rules[LG_RULE_READ] = STRV(ws_read);
	s.rules[LG_RULE_WRITE] = STRV(ws_write);
	s.mode = mode;
	return lg_grant_install(fx, agent, &s, NULL);
}

KTEST(file_no_grant_denies_everything)
{
	struct worker w;
	const struct lg_event *ev;

	REQUIRE(worker_start(&w, FX_A1, "lg-nogrant") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES, "read without grant");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000);
	if (CHECK(ev != NULL, "no_grant event for pid %d", w.pid)) {
		CHECK(!strcmp(ev->target, FX_DIR "/ws/a"), "event target %s", ev->target);
		CHECK(ev->action == LG_ACTION_DENIED, "action denied");
		CHECK(ev->agent_cgroup_id == fx_a1, "agent cgroup id");
	}
	worker_stop(&w);
}

KTEST(file_read_write_rules)
{
	struct worker w;
	const struct lg_event *ev;

	REQUIRE(grant_ws(fx_a1, LG_MODE_ENFORCE) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-file") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "read in read subtree");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/sub/c", O_RDONLY), 0, "read deeper in subtree");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_WRONLY), EACCES, "write with read rule only");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDWR), EACCES, "read+write with read rule");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY | O_TRUNC), EACCES,
		  "O_TRUNC counts as write");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/out/o", O_WRONLY), 0, "write in write subtree");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/out/o", O_RDONLY), 0, "write rule allows read");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/out/new", O_WRONLY | O_CREAT), 0,
		  "create in write subtree");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_RDONLY), EACCES, "read outside grant");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "not_allowed event")) {
		CHECK(ev->access & LG_FILE_WRITE_FILE, "first denial asked for write (access=%u)",
		      ev->access);
		CHECK(!strcmp(ev->target, FX_DIR "/ws/a"), "target %s", ev->target);
	}
	worker_stop(&w);
}

KTEST(file_component_boundaries)
{
	struct worker w;

	REQUIRE(grant_ws(fx_a1, LG_MODE_ENFORCE) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-bound") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws", O_RDONLY | O_DIRECTORY), 0,
		  "/ws/ covers the directory itself");
	CHECK_ERR(w_open(&w, FX_DIR "/wsx/x", O_RDONLY), EACCES,
		  "/ws/ does not cover /wsx (prefix of a component)");
	CHECK_ERR(w_open(&w, FX_DIR "/ws2/b", O_RDONLY), EACCES, "/ws/ does not cover /ws2");
	CHECK_ERR(w_open(&w, FX_DIR, O_RDONLY | O_DIRECTORY), EACCES, "parent not covered");
	worker_stop(&w);
}

KTEST(file_exact_rule)
{
	static const char *rd[] = { FX_DIR "/single" };
	struct lg_grant_spec s = fx_spec(60000);
	struct worker w;

	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-exact") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/single", O_RDONLY), 0, "exact file");
	CHECK_ERR(w_open(&w, FX_DIR "/single2", O_RDONLY), EACCES, "longer name");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES, "other file");
	worker_stop(&w);
}

KTEST(file_symlink_dotdot_relative)
{
	struct worker w;
	const struct lg_event *ev;

	REQUIRE(grant_ws(fx_a1, LG_MODE_ENFORCE) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-paths") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/link", O_RDONLY), EACCES,
		  "symlink inside the grant to a file outside");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "event for the symlink"))
		CHECK(!strcmp(ev->target, FX_DIR "/secret"),
		      "event names the resolved target, got %s", ev->target);
	CHECK_ERR(w_open(&w, FX_DIR "/ws/../secret", O_RDONLY), EACCES, "'..' out of the grant");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/sub/../a", O_RDONLY), 0, "'..' staying inside");
	CHECK_ERR(w_chdir(&w, FX_DIR "/ws/sub"), 0, "chdir");
	CHECK_ERR(w_open(&w, "c", O_RDONLY), 0, "relative path inside");
	CHECK_ERR(w_open(&w, "../../secret", O_RDONLY), EACCES, "relative path outside");
	CHECK_ERR(w_open(&w, "./../a", O_RDONLY), 0, "relative with . and ..");
	worker_stop(&w);
}

/*
 * Build FX_DIR/ws/deep/<d>/<d>/... until the path is @target bytes long,
 * ending in a file "f" whose path length is exactly @target. Returns 0.
 */
static int make_deep(const char *base, size_t target, char *out, size_t size)
{
	char comp[256];
	size_t len = strlen(base);

	memcpy(out, base, len + 1);
	mkdir(out, 0755);
	memset(comp, 'd', sizeof(comp));
	/* Directories of 200-byte names while a whole one still fits. */
	while (len + 1 + 200 + 2 < target) {
		comp[200] = 0;
		if (len + 1 + 200 >= size)
			return -1;
		out[len] = '/';
		memcpy(out + len + 1, comp, 201);
		len += 201;
		if (mkdir(out, 0755) && errno != EEXIST)
			return -1;
	}
	/*
	 * Last component: a file sized to land exactly on @target. The whole
	 * path may be too long for open(), so create it relative to its
	 * directory.
	 */
	size_t rest = target - len - 1;
	int dir, fd;

	if (!rest || rest > 255 || len + 1 + rest >= size)
		return -1;
	dir = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	out[len] = '/';
	memset(out + len + 1, 'f', rest);
	out[len + 1 + rest] = 0;
	fd = openat(dir, out + len + 1, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	close(dir);
	if (fd < 0)
		return -1;
	return close(fd);
}

KTEST(file_paths_near_the_length_bound)
{
	static char path[LG_PATH_MAX + 512];
	struct worker w;
	const struct lg_event *ev;

	REQUIRE(grant_ws(fx_a1, LG_MODE_ENFORCE) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-long") == 0, "start worker");

	/* Longest path that fits: LG_PATH_MAX - 1 bytes plus the NUL. */
	REQUIRE(make_deep(FX_DIR "/ws/deep1", LG_PATH_MAX - 1, path, sizeof(path)) == 0,
		"make a %d-byte path", LG_PATH_MAX - 1);
	CHECK(strlen(path) == LG_PATH_MAX - 1, "path is %zu bytes", strlen(path));
	CHECK_ERR(w_open(&w, path, O_RDONLY), 0, "path of LG_PATH_MAX-1 bytes inside the grant");

	/* One byte longer: cannot be resolved whole, so it is denied. */
	REQUIRE(make_deep(FX_DIR "/ws/deep2", LG_PATH_MAX, path, sizeof(path)) == 0,
		"make a %d-byte path", LG_PATH_MAX);
	{
		/* open() itself refuses paths >= PATH_MAX: go there relatively. */
		char *slash = strrchr(path, '/');

		*slash = 0;
		CHECK_ERR(w_chdir(&w, path), 0, "chdir into the deep directory");
		CHECK_ERR(w_open(&w, slash + 1, O_RDONLY), EACCES,
			  "path of LG_PATH_MAX bytes is denied, not truncated");
	}
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_PATH_TOO_LONG, 2000);
	CHECK(ev != NULL, "path_too_long event");
	worker_stop(&w);
}

KTEST(file_sub_cgroup_uses_agent_grant)
{
	struct worker w;
	const struct lg_event *ev;

	REQUIRE(grant_ws(fx_a1, LG_MODE_ENFORCE) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1_SUB, "lg-sub") == 0, "start worker in sub-cgroup");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "allowed by a1's grant");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_RDONLY), EACCES, "denied by a1's grant");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "event from the sub-cgroup")) {
		CHECK(ev->agent_cgroup_id == fx_a1, "agent is a1");
		CHECK(ev->cgroup_id != fx_a1, "cgroup is the sub-cgroup");
	}
	worker_stop(&w);
}

KTEST(file_non_agent_untouched)
{
	struct worker w;

	REQUIRE(worker_start(&w, FX_OTHER, "lg-other") == 0, "start non-agent");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_RDWR), 0, "non-agent writes anything");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY | O_TRUNC), 0, "non-agent truncates");
	CHECK(fx_count_events(w.pid, 300) == 0, "no event about a non-agent");
	worker_stop(&w);
}

KTEST(file_audit_mode_reports_and_allows)
{
	struct worker w;
	const struct lg_event *ev;
	uint64_t c[LG_COUNTERS];
	uint64_t audited;

	REQUIRE(lg_counters_read(fx, c) == 0, "counters");
	audited = c[LG_HOOK_FILE_OPEN * LG_CTR_MAX + LG_CTR_AUDITED];
	REQUIRE(grant_ws(fx_a2, LG_MODE_AUDIT) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A2, "lg-audit") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_RDONLY), 0, "audit mode allows");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "audit event"))
		CHECK(ev->action == LG_ACTION_AUDITED, "action audited, got %u", ev->action);
	REQUIRE(lg_counters_read(fx, c) == 0, "counters");
	CHECK(c[LG_HOOK_FILE_OPEN * LG_CTR_MAX + LG_CTR_AUDITED] > audited, "audited counter grew");
	worker_stop(&w);
}

/* Make @depth nested cgroups "d" below @base; the deepest path in @out. */
static int make_nested_cgroups(const char *base, int depth, char *out, size_t size)
{
	size_t len = strlen(base);

	if (len + 2 * depth + 1 > size)
		return -1;
	memcpy(out, base, len + 1);
	for (int i = 0; i < depth; i++) {
		memcpy(out + len, "/d", 3);
		len += 2;
		if (mkdir(out, 0755) && errno != EEXIST)
			return -1;
	}
	return 0;
}

KTEST(file_cgroup_depth_bound)
{
	char path[512];
	struct worker w;
	/* a1 sits one level below the root: 1 + 30 = 31 levels below it. */
	int ok_depth = LG_MAX_CGROUP_DEPTH - 2, deny_depth = LG_MAX_CGROUP_DEPTH - 1;

	REQUIRE(grant_ws(fx_a1, LG_MODE_ENFORCE) == 0, "grant: %s", lg_errmsg());
	REQUIRE(make_nested_cgroups(FX_A1, ok_depth, path, sizeof(path)) == 0,
		"make %d nested cgroups", ok_depth);
	REQUIRE(worker_start(&w, path, "lg-deep-ok") == 0, "start worker %d deep", ok_depth);
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0,
		  "LG_MAX_CGROUP_DEPTH-1 levels below the root: a1's grant applies");
	worker_stop(&w);

	REQUIRE(make_nested_cgroups(FX_A1, deny_depth, path, sizeof(path)) == 0,
		"make %d nested cgroups", deny_depth);
	REQUIRE(worker_start(&w, path, "lg-deep-no") == 0, "start worker %d deep", deny_depth);
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES,
		  "LG_MAX_CGROUP_DEPTH levels below the root: denied, walk would be cut short");
	CHECK(fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_CGROUP_TOO_DEEP, 2000) != NULL,
	      "cgroup_too_deep event");
	worker_stop(&w);
}

KTEST(file_default_audit_mode_without_grant)
{
	const struct lg_event *ev;
	struct worker w;

	REQUIRE(lg_set_default_mode(fx, LG_MODE_AUDIT) == 0, "set default mode");
	REQUIRE(worker_start(&w, FX_A1, "lg-defaudit") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_RDONLY), 0,
		  "audit default mode lets an agent without grant act");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000);
	if (CHECK(ev != NULL, "no_grant event"))
		CHECK(ev->action == LG_ACTION_AUDITED, "action audited");
	REQUIRE(lg_set_default_mode(fx, LG_MODE_ENFORCE) == 0, "set default mode");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_RDONLY), EACCES, "enforce again");
	worker_stop(&w);
}

KTEST(file_pidfd_is_not_a_path)
{
	struct worker w;

	REQUIRE(worker_start(&w, FX_A1, "lg-pidfd") == 0, "start worker");
	/* 6.9+ opens pidfds as files on pidfs: not part of the file boundary. */
	CHECK_ERR(w_simple(&w, W_PIDFD, 0, 0, 0), 0, "pidfd_open of itself, without a grant");
	worker_stop(&w);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_exec_map.c - mapping a file executable is an exec of it (bpf/
 * exec_map.bpf.c). The programs and the library come from build/tests
 * (tests/tools/mapprog.c, preload.c): copies in FX_DIR/bin/ are listed as
 * exec, copies in FX_DIR/ws/ only readable. Every agent below holds exec
 * of the library folders, as a baseline would (docs/rules.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

#define LDSO "/lib64/ld-linux-x86-64.so.2"
#define BIN FX_DIR "/bin"
#define LISTED_PROG BIN "/lg-mapprog"
#define LISTED_LIB BIN "/lg-preload.so"
#define UNLISTED_PROG FX_DIR "/ws/lg-mapprog"
#define UNLISTED_LIB FX_DIR "/ws/lg-preload.so"
#define DELETED_PROG BIN "/lg-deleted"
#define MARKER FX_DIR "/ws/out/preload.ran"
/* mapprog's exit status, as a worker reports it. */
#define PROG_RAN (1000 + 7)

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -1;
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	return close(out) || n < 0 ? -1 : 0;
}

/* Copy build/tests/@name (beside lg-ktest) to @to. */
static int copy_tool(const char *name, const char *to)
{
	char self[PATH_MAX], from[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = 0;
	snprintf(from, sizeof(from), "%s/%s", dirname(self), name);
	return copy_file(from, to);
}

static int setup_files(void)
{
	if (mkdir(BIN, 0755) && errno != EEXIST)
		return -1;
	unlink(MARKER);
	return copy_tool("lg-mapprog", LISTED_PROG) || copy_tool("lg-mapprog", UNLISTED_PROG) ||
	       copy_tool("lg-preload.so", LISTED_LIB) || copy_tool("lg-preload.so", UNLISTED_LIB);
}

/* The grant: a baseline's library folders, FX_DIR/bin/ to run, FX_DIR to read. */
static int grant_a1(void)
{
	static const char *ex[] = { "/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", BIN "/" };
	static const char *rd[] = { "/lib/", "/lib64/", "/usr/", "/etc/ld.so.cache", FX_DIR "/" };
	static const char *wr[] = { FX_DIR "/ws/out/" };
	struct lg_grant_spec s = fx_spec(60000);

	s.rules[LG_RULE_EXEC] = STRV(ex);
	s.rules[LG_RULE_READ] = STRV(rd);
	s.rules[LG_RULE_WRITE] = STRV(wr);
	return lg_grant_install(fx, fx_a1, &s, NULL);
}

/* An event of @hook and @reason naming @target ("" for none). */
static void check_event(int hook, int reason, const char *target, const char *what)
{
	const struct lg_event *ev = fx_wait_event_target(hook, reason, target, false, 2000);

	if (!CHECK(ev != NULL, "%s: event of hook %s, reason %s, target \"%s\"", what,
		   lg_hook_name(hook), lg_reason_name(reason), target))
		return;
	CHECK(ev->access == LG_FILE_EXECUTE, "%s: access exec", what);
	CHECK(ev->agent_cgroup_id == fx_a1, "%s: agent a1", what);
}

KTEST(exec_map_ldso_runs_only_listed_programs)
{
	struct worker w;

	REQUIRE(access(LDSO, X_OK) == 0, "%s in the guest", LDSO);
	REQUIRE(setup_files() == 0, "copy the test programs");
	REQUIRE(grant_a1() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-map-ldso") == 0, "start worker");

	CHECK_ERR(w_exec(&w, LISTED_PROG, NULL), PROG_RAN,
		  "a listed dynamic program runs (its ld.so and libc from the library rules)");
	CHECK_ERR(w_exec(&w, LDSO, LISTED_PROG), PROG_RAN, "ld.so runs a listed program");
	CHECK_ERR(w_exec(&w, UNLISTED_PROG, NULL), EACCES, "an unlisted program is not exec'd");
	CHECK(w_exec(&w, LDSO, UNLISTED_PROG) != PROG_RAN,
	      "ld.so cannot run an unlisted program: its code is never mapped executable");
	check_event(LG_HOOK_MMAP_EXEC, LG_REASON_NOT_ALLOWED, UNLISTED_PROG, "ld.so ./unlisted");
	worker_stop(&w);
}

KTEST(exec_map_preload_of_unlisted_library_refused)
{
	struct worker w;
	struct stat st;

	REQUIRE(setup_files() == 0, "copy the test programs");
	REQUIRE(grant_a1() == 0, "grant: %s", lg_errmsg());
	REQUIRE(setenv("LG_PRELOAD_MARKER", MARKER, 1) == 0, "setenv");
	REQUIRE(worker_start(&w, FX_A1, "lg-map-preload") == 0, "start worker");
	unsetenv("LG_PRELOAD_MARKER");

	/* ld.so refuses the preload it could not map and runs the program without it. */
	CHECK_ERR(w_exec_preload(&w, LISTED_PROG, UNLISTED_LIB), PROG_RAN,
		  "the program runs without the unlisted preload");
	CHECK(stat(MARKER, &st) != 0, "the unlisted library's constructor did not run");
	check_event(LG_HOOK_MMAP_EXEC, LG_REASON_NOT_ALLOWED, UNLISTED_LIB, "LD_PRELOAD unlisted");
	/* The same library listed does run: the marker can be made, the test can fail. */
	CHECK_ERR(w_exec_preload(&w, LISTED_PROG, LISTED_LIB), PROG_RAN,
		  "the program runs with a listed preload");
	CHECK(stat(MARKER, &st) == 0, "the listed library's constructor ran");
	worker_stop(&w);
	unlink(MARKER);
}

KTEST(exec_map_unnamed_files_denied)
{
	const struct lg_event *ev;
	struct worker w;

	REQUIRE(setup_files() == 0, "copy the test programs");
	REQUIRE(copy_tool("lg-mapprog", DELETED_PROG) == 0, "copy %s", DELETED_PROG);
	REQUIRE(grant_a1() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-map-unnamed") == 0, "start worker");

	CHECK_ERR(w_map(&w, WM_FILE_EXEC, LISTED_PROG), 0, "mmap exec of a listed file");
	CHECK_ERR(w_map(&w, WM_FILE_READ, UNLISTED_PROG), 0,
		  "mmap without exec of a readable file");
	CHECK_ERR(w_map(&w, WM_FILE_EXEC, UNLISTED_PROG), EACCES, "mmap exec of an unlisted file");
	check_event(LG_HOOK_MMAP_EXEC, LG_REASON_NOT_ALLOWED, UNLISTED_PROG, "mmap exec unlisted");

	CHECK_ERR(w_map(&w, WM_MEMFD_EXEC, NULL), EACCES, "mmap exec of a memfd");
	check_event(LG_HOOK_MMAP_EXEC, LG_REASON_PATH_UNRESOLVED, "/memfd:lgt-memfd (deleted)",
		    "memfd");
	/* O_TMPFILE in a folder the agent may write, under an exec rule or not. */
	CHECK_ERR(w_map(&w, WM_TMPFILE_EXEC, FX_DIR "/ws/out"), EACCES,
		  "mmap exec of an O_TMPFILE file");
	ev = fx_wait_event_target(LG_HOOK_MMAP_EXEC, LG_REASON_PATH_UNRESOLVED, FX_DIR "/ws/out/#",
				  true, 2000);
	CHECK(ev != NULL, "O_TMPFILE: mmap_exec event, path unresolved, target %s/ws/out/#...",
	      FX_DIR);

	/* Deleted after opening, from a folder with an exec rule. */
	CHECK_ERR(w_map(&w, WM_HOLD, DELETED_PROG), 0, "open the file to delete");
	REQUIRE(unlink(DELETED_PROG) == 0, "delete it");
	CHECK_ERR(w_map(&w, WM_HELD_EXEC, NULL), EACCES, "mmap exec of a deleted file");
	check_event(LG_HOOK_MMAP_EXEC, LG_REASON_PATH_UNRESOLVED, DELETED_PROG " (deleted)",
		    "deleted file");
	worker_stop(&w);
}

KTEST(exec_map_mprotect_adding_exec)
{
	struct worker w;

	REQUIRE(setup_files() == 0, "copy the test programs");
	REQUIRE(grant_a1() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-map-mprot") == 0, "start worker");

	CHECK_ERR(w_map(&w, WM_MPROTECT_EXEC, UNLISTED_PROG), EACCES,
		  "mprotect exec of a readable, not executable file mapping");
	check_event(LG_HOOK_MPROTECT_EXEC, LG_REASON_NOT_ALLOWED, UNLISTED_PROG,
		    "mprotect unlisted");
	/* The path comes from livegrant's own walk: an exec rule decides. */
	CHECK_ERR(w_map(&w, WM_MPROTECT_EXEC, LISTED_PROG), 0, "mprotect exec of a listed file");
	worker_stop(&w);
}

KTEST(exec_map_anonymous_memory_allowed)
{
	struct worker w;

	REQUIRE(grant_a1() == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-map-anon") == 0, "start worker");
	CHECK_ERR(w_map(&w, WM_ANON_EXEC, NULL), 0,
		  "anonymous memory made executable (mmap and mprotect, private and shared)");
	CHECK(fx_count_hook_events(LG_HOOK_MMAP_EXEC, 300) == 0, "no mmap_exec event");
	CHECK(fx_count_hook_events(LG_HOOK_MPROTECT_EXEC, 0) == 0, "no mprotect_exec event");
	worker_stop(&w);
}

KTEST(exec_map_non_agent_untouched)
{
	struct worker w;

	REQUIRE(setup_files() == 0, "copy the test programs");
	REQUIRE(worker_start(&w, FX_OTHER, "lg-map-other") == 0, "start non-agent");
	CHECK_ERR(w_exec(&w, LDSO, UNLISTED_PROG), PROG_RAN, "non-agent: ld.so runs anything");
	CHECK_ERR(w_map(&w, WM_FILE_EXEC, UNLISTED_PROG), 0, "non-agent: mmap exec");
	CHECK_ERR(w_map(&w, WM_MPROTECT_EXEC, UNLISTED_PROG), 0, "non-agent: mprotect exec");
	CHECK_ERR(w_map(&w, WM_MEMFD_EXEC, NULL), 0, "non-agent: memfd exec");
	CHECK(fx_count_hook_events(LG_HOOK_MMAP_EXEC, 300) == 0, "no mmap_exec event");
	CHECK(fx_count_hook_events(LG_HOOK_MPROTECT_EXEC, 0) == 0, "no mprotect_exec event");
	worker_stop(&w);
}

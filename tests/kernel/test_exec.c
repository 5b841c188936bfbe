// SPDX-License-Identifier: GPL-2.0
/* test_exec.c - exec decisions. The guest's /bin/true is busybox. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

#define BUSYBOX "/bin/busybox"
/* A copy named "true": busybox picks the applet from the name. */
#define COPY FX_DIR "/ws/true"

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -1;
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

KTEST(exec_allowed_and_denied)
{
	static const char *ex[] = { BUSYBOX };
	static const char *rd[] = { FX_DIR "/ws/" };
	struct lg_grant_spec s = fx_spec(60000);
	const struct lg_event *ev;
	struct worker w;

	REQUIRE(copy_file(BUSYBOX, COPY) == 0, "copy busybox to %s", COPY);
	s.rules[LG_RULE_EXEC] = STRV(ex);
	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-exec") == 0, "start worker");

	/* /bin/true is a symlink to busybox: the rule names the real file. */
	CHECK_ERR(w_exec(&w, "/bin/true", NULL), 1000, "exec of an allowed program runs it");
	CHECK_ERR(w_exec(&w, "/bin/false", NULL), 1001, "allowed program's exit status");
	CHECK_ERR(w_exec(&w, COPY, NULL), EACCES, "readable but not executable by rule");
	ev = fx_wait_event(0, LG_HOOK_EXEC, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "exec event")) {
		CHECK(!strcmp(ev->target, COPY), "target %s", ev->target);
		CHECK(ev->access == LG_FILE_EXECUTE, "access exec");
		CHECK(ev->agent_cgroup_id == fx_a1, "agent a1");
	}
	worker_stop(&w);
}

KTEST(exec_script_needs_interpreter_rule)
{
	static const char *ex[] = { FX_DIR "/ws/script.sh" };
	static const char *ex_both[] = { FX_DIR "/ws/script.sh", BUSYBOX };
	static const char *rd[] = { FX_DIR "/ws/" };
	const struct lg_event *ev;
	struct lg_grant_spec s = fx_spec(60000);
	struct worker w;
	int fd;

	fd = open(FX_DIR "/ws/script.sh", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	REQUIRE(fd >= 0 && write(fd, "#!/bin/sh\nexit 0\n", 17) == 17, "write script");
	close(fd);
	s.rules[LG_RULE_EXEC] = STRV(ex);
	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-script") == 0, "start worker");
	CHECK_ERR(w_exec(&w, FX_DIR "/ws/script.sh", NULL), EACCES,
		  "script allowed but its interpreter is not");
	/* execve() opens the interpreter itself: that open is refused. */
	ev = fx_wait_event(0, LG_HOOK_FILE_OPEN, LG_REASON_NOT_ALLOWED, 2000);
	if (CHECK(ev != NULL, "event for the interpreter"))
		CHECK(!strcmp(ev->target, BUSYBOX), "target %s", ev->target);

	s.rules[LG_RULE_EXEC] = STRV(ex_both);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	CHECK_ERR(w_exec(&w, FX_DIR "/ws/script.sh", NULL), 1000,
		  "script runs once the interpreter is allowed too");
	worker_stop(&w);
}

KTEST(exec_non_agent_untouched)
{
	struct worker w;

	REQUIRE(copy_file(BUSYBOX, COPY) == 0, "copy busybox");
	REQUIRE(worker_start(&w, FX_OTHER, "lg-other-exec") == 0, "start non-agent");
	CHECK_ERR(w_exec(&w, COPY, NULL), 1000, "non-agent executes anything");
	CHECK(fx_count_events(w.pid, 300) == 0, "no event");
	worker_stop(&w);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_hooks.c - the hook registry (include/livegrant/hooks.h): every hook
 * has a name, a program and an LSM hook, the BPF object of this build has
 * exactly the registry's programs, and ids outside the registry are named
 * "unknown", never NULL.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "livegrant.h"

static void every_hook_has_a_row(void)
{
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++) {
		const struct lg_hook_info *hi = lg_hook_info(h);

		CHECK(hi && hi->name && hi->prog && hi->lsm, "hook %u has a full row", h);
		if (!hi)
			continue;
		CHECK(lg_hook_name(h) == hi->name, "lg_hook_name(%u) is the row's name", h);
		CHECK(lg_hook_by_prog(hi->prog) == (int)h, "program %s maps back to hook %u",
		      hi->prog, h);
		for (unsigned int k = 0; k < h; k++) {
			CHECK(strcmp(lg_hook_name(k), hi->name), "hook names %u and %u differ", k,
			      h);
			CHECK(strcmp(lg_hook_info(k)->prog, hi->prog), "programs %u and %u differ",
			      k, h);
		}
	}
}

static void names_outside_the_registry(void)
{
	CHECK(!strcmp(lg_hook_name(LG_HOOK_MAX), "unknown"), "LG_HOOK_MAX is unknown");
	CHECK(!strcmp(lg_hook_name(LG_HOOK_CAPACITY - 1), "unknown"), "spare ids are unknown");
	CHECK(!strcmp(lg_hook_name(~0u), "unknown"), "~0 is unknown");
	CHECK(lg_hook_info(LG_HOOK_MAX) == NULL, "no row past the table");
	CHECK(lg_hook_by_prog("lg_no_such_program") == -ENOENT, "unknown program");
}

/* The names logs, JSON and metrics have used: never renamed. */
static void stable_names(void)
{
	static const char *const names[] = { "exec",	"file_open",	 "connect",
					     "sendmsg", "socket_create", "setsockopt" };

	for (unsigned int h = 0; h < sizeof(names) / sizeof(names[0]); h++)
		CHECK(!strcmp(lg_hook_name(h), names[h]), "hook %u is still %s", h, names[h]);
}

static void object_matches_registry(void)
{
	int err = lg_bpf_object_check();

	CHECK(err == 0, "BPF object vs registry: %s", err ? lg_errmsg() : "ok");
}

int main(void)
{
	RUN(every_hook_has_a_row);
	RUN(names_outside_the_registry);
	RUN(stable_names);
	RUN(object_matches_registry);
	return check_summary("hooks");
}

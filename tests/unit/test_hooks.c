// SPDX-License-Identifier: GPL-2.0
/*
 * test_hooks.c - the hook registry (include/livegrant/hooks.h): every hook
 * has a name, a program and an LSM hook, the BPF object of this build has
 * exactly the registry's programs, and ids outside the registry are named
 * "unknown", never NULL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "livegrant.h"
#include <livegrant/capabilities.h>

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

/* struct lg_hook_set: every id up to LG_HOOK_CAPACITY, both words. */
static void hook_set_helpers(void)
{
	static const unsigned int ids[] = { 0, 1, 63, 64, 65, LG_HOOK_CAPACITY - 1 };
	struct lg_hook_set s = { 0 };
	unsigned int h, n = 0;

	CHECK(lg_hook_set_count(&s) == 0, "empty set");
	CHECK(lg_hook_set_next(&s, 0) == LG_HOOK_CAPACITY, "empty set has no first hook");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		lg_hook_set_add(&s, ids[i]);
	lg_hook_set_add(&s, 64); /* twice: still one */
	lg_hook_set_add(&s, LG_HOOK_CAPACITY); /* past the capacity: no hook */
	lg_hook_set_add(&s, ~0u);
	CHECK(lg_hook_set_count(&s) == 6, "six hooks: %u", lg_hook_set_count(&s));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		CHECK(lg_hook_set_has(&s, ids[i]), "has %u", ids[i]);
	CHECK(!lg_hook_set_has(&s, 2) && !lg_hook_set_has(&s, 62) && !lg_hook_set_has(&s, 66),
	      "not the others");
	CHECK(!lg_hook_set_has(&s, LG_HOOK_CAPACITY) && !lg_hook_set_has(&s, ~0u),
	      "nothing past the capacity");
	lg_hook_set_for_each(h, &s)
	{
		CHECK(n < 6 && h == ids[n], "iteration %u is %u (%u)", n, ids[n < 6 ? n : 0], h);
		n++;
	}
	CHECK(n == 6, "iterated six: %u", n);
	CHECK(lg_hook_set_next(&s, 2) == 63 && lg_hook_set_next(&s, 66) == LG_HOOK_CAPACITY - 1,
	      "next");
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

/*
 * The capability table: the capabilities issue 9 names as denied are
 * denied, the ones it names as kept are kept, every number up to the
 * kernel's last has a row, and docs/threat-model.md lists each row with
 * the same verdict and reason.
 */
static void capability_table(void)
{
	static const unsigned int denied[] = { 21, 16, 22, 25, 17, 19, 18, 20, 23,
					       24, 26, 12, 13, 39, 38, 33, 32, 30,
					       37, 34, 35, 36, 40, 9,  15, 31, 2 };
	static const unsigned int kept[] = { 0, 1, 3, 4, 5, 7, 6, 8, 10, 11, 14, 28, 29, 27 };
	static const struct {
		unsigned int num;
		const char *name;
		int keep;
		const char *why;
	} rows[] = {
#define CAP_ROW(n, cname, k, w) { n, cname, LG_CAP_##k, w },
		LG_CAPABILITY_TABLE(CAP_ROW)
#undef CAP_ROW
	};
	FILE *f = fopen("docs/threat-model.md", "r");
	char *doc = NULL;
	size_t cap = 0;
	ssize_t n;

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		CHECK(!((LG_CAP_KEEP_MASK >> denied[i]) & 1), "capability %u is denied", denied[i]);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		CHECK((LG_CAP_KEEP_MASK >> kept[i]) & 1, "capability %u is kept", kept[i]);
	for (unsigned int c = 0; c <= 40; c++)
		CHECK(lg_capability_name(c) != NULL, "capability %u has a row", c);
	CHECK(lg_capability_name(41) == NULL && lg_capability_name(~0u) == NULL,
	      "no name past the table");
	CHECK(!strcmp(lg_capability_name(21), "cap_sys_admin"), "21 is cap_sys_admin");
	CHECK(f != NULL, "docs/threat-model.md (run from the top of the tree)");
	if (!f)
		return;
	n = getdelim(&doc, &cap, '\0', f);
	fclose(f);
	CHECK(n > 0, "read docs/threat-model.md");
	for (size_t i = 0; n > 0 && i < sizeof(rows) / sizeof(rows[0]); i++) {
		char line[256];

		snprintf(line, sizeof(line), "| `%s` | %s | %s |", rows[i].name,
			 rows[i].keep ? "keeps" : "denied", rows[i].why);
		CHECK(strstr(doc, line) != NULL, "docs/threat-model.md has the row %s", line);
	}
	free(doc);
}

/* How confinement events read in logs and `livegrant denials`. */
static void confinement_event_names(void)
{
	struct lg_event ev = { .hook = LG_HOOK_CAPABLE, .target_kind = LG_TARGET_CAPABILITY };
	char buf[128], acc[64];

	ev.port = 21;
	CHECK(!strcmp(lg_event_target(&ev, buf, sizeof(buf)), "capability cap_sys_admin"), "%s",
	      buf);
	ev.port = 63;
	CHECK(!strcmp(lg_event_target(&ev, buf, sizeof(buf)), "capability 63"), "%s", buf);
	ev.hook = LG_HOOK_TASK_KILL;
	ev.target_kind = LG_TARGET_TASK;
	ev.target_domain = 812;
	ev.target_len = 10;
	memcpy(ev.target, "livegrantd", 10);
	CHECK(!strcmp(lg_event_target(&ev, buf, sizeof(buf)), "task 812 (livegrantd)"), "%s", buf);
	ev.hook = LG_HOOK_BPF;
	ev.target_kind = LG_TARGET_OP;
	ev.target_domain = 7;
	CHECK(!strcmp(lg_event_target(&ev, buf, sizeof(buf)), "bpf op 7"), "%s", buf);
	CHECK(!strcmp(lg_reason_name(LG_REASON_CONFINED), "confined") &&
		      !strcmp(lg_reason_name(LG_REASON_OUT_OF_SCOPE), "out_of_scope"),
	      "reason names");
	CHECK(lg_hook_class(LG_HOOK_CAPABLE) == LG_CLASS_SYS, "the confinement hooks are SYS");
	lg_access_str(LG_CLASS_SYS, LG_SYS_CAPABILITY | LG_SYS_SIGNAL, acc, sizeof(acc));
	CHECK(!strcmp(acc, "capability,signal"), "SYS rights: %s", acc);
}

int main(void)
{
	RUN(every_hook_has_a_row);
	RUN(names_outside_the_registry);
	RUN(hook_set_helpers);
	RUN(stable_names);
	RUN(object_matches_registry);
	RUN(capability_table);
	RUN(confinement_event_names);
	return check_summary("hooks");
}

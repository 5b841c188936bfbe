// SPDX-License-Identifier: GPL-2.0
/*
 * livegrant - the SRE's and the agent's command line (docs/cli.md).
 *
 * Exit codes: 0 success, 1 refused or check failed, 2 usage error,
 * 3 livegrantd not reachable.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "livegrant.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: livegrant COMMAND [OPTION]...\n"
		"  present --token FILE|-           present a grant token for this agent\n"
		"  exec --cgroup NAME [--token FILE] -- COMMAND...\n"
		"                                   run COMMAND as agent NAME\n"
		"  revoke AGENT|CGROUP|JTI          remove a grant now; the token stays refused\n"
		"  agents [--json]                  agents and their state\n"
		"  status [--json]                  livegrantd's state\n"
		"  health                           exit 0 only if livegrantd enforces fully\n"
		"  wait [--timeout D] [--token FILE]\n"
		"                                   block until this process's cgroup is governed\n"
		"  grants [--json] AGENT            the live rules of one agent, and their source\n"
		"  denials [--follow] [--agent A] [--since D] [--reason R] [--limit N] [--json]\n"
		"                                   what was denied, and why\n"
		"  check-kernel [--json]            can this kernel run livegrant? (each check)\n"
		"  unpin [PIN_DIR]                  remove livegrant's pins: ends enforcement\n"
		"Every command takes --help. Socket: --socket PATH, $LIVEGRANT_SOCKET, or " LGC_DEFAULT_SOCKET
		".\n");
}

static const char *const kcheck_states[] = {
	[LG_KCHECK_OK] = "ok",
	[LG_KCHECK_FAIL] = "FAIL",
	[LG_KCHECK_SKIPPED] = "skip",
};

/* What this kernel gives hook @h: enforced, not enforced (optional), or missing. */
static const char *hook_state(const struct lg_hook_set *supported, unsigned int h)
{
	if (lg_hook_set_has(supported, h))
		return "enforced";
	return lg_hook_info(h)->flags & LG_HOOK_F_REQUIRED ? "missing" : "not_enforced";
}

static void print_checks(const struct lg_kernel_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct lg_kcheck *c = &r->checks[i];

		printf("  check %-11s %-4s %s\n", c->name, kcheck_states[c->state], c->detail);
		if (c->state == LG_KCHECK_FAIL)
			printf("        %-11s fix: %s\n", "", c->fix);
	}
}

static void print_hooks(const struct lg_hook_set *supported)
{
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++) {
		const struct lg_hook_info *hi = lg_hook_info(h);
		const char *st = hook_state(supported, h);

		if (!strcmp(st, "enforced"))
			printf("  hook %-16s lsm/%-22s enforced\n", hi->name, hi->lsm);
		else if (!strcmp(st, "missing"))
			printf("  hook %-16s lsm/%-22s MISSING: livegrant will not start on this kernel\n",
			       hi->name, hi->lsm);
		else
			printf("  hook %-16s lsm/%-22s NOT ENFORCED: this kernel has no such LSM hook\n",
			       hi->name, hi->lsm);
	}
}

static int print_json(const struct lg_kernel_report *r, const struct lg_hook_set *supported,
		      bool ok, const char *error)
{
	json_t *o = json_object(), *checks = json_array(), *hooks = json_array();
	char *text;

	for (size_t i = 0; i < r->n; i++) {
		const struct lg_kcheck *c = &r->checks[i];
		static const char *const names[] = { "ok", "fail", "skipped" };

		json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "name", c->name,
							"state", names[c->state], "detail",
							c->detail, "fix", c->fix));
	}
	for (unsigned int h = 0; supported && h < LG_HOOK_MAX; h++)
		json_array_append_new(hooks, json_pack("{s:s, s:s, s:s}", "name", lg_hook_name(h),
						       "lsm", lg_hook_info(h)->lsm, "state",
						       hook_state(supported, h)));
	json_object_set_new(o, "ok", json_boolean(ok));
	json_object_set_new(o, "checks", checks);
	json_object_set_new(o, "hooks", hooks);
	if (error)
		json_object_set_new(o, "error", json_string(error));
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	if (!text)
		return LGC_REFUSED;
	printf("%s\n", text);
	free(text);
	return ok ? LGC_OK : LGC_REFUSED;
}

/*
 * Both steps of the support check (kernel_check.c: what the kernel says,
 * then a trial program it must load, attach and obey), then the per-hook
 * feature probe: every hook of the registry is enforced or not here.
 */
static int check_kernel(bool json)
{
	struct lg_kernel_report r;
	struct lg_hook_set supported;
	char error[1024] = "";
	bool ok = true, have_hooks = false;

	if (lg_kernel_probe(NULL, 0, &r)) {
		snprintf(error, sizeof(error), "%s", lg_errmsg());
		ok = false;
	} else if (lg_hooks_supported(&supported)) {
		snprintf(error, sizeof(error), "%s", lg_errmsg());
		ok = false;
	} else {
		have_hooks = true;
		for (unsigned int h = 0; h < LG_HOOK_MAX; h++)
			if (!strcmp(hook_state(&supported, h), "missing")) {
				snprintf(error, sizeof(error),
					 "this kernel lacks LSM hook %s, which livegrant needs",
					 lg_hook_info(h)->lsm);
				ok = false;
			}
	}
	if (json)
		return print_json(&r, have_hooks ? &supported : NULL, ok, ok ? NULL : error);
	print_checks(&r);
	if (have_hooks)
		print_hooks(&supported);
	if (!ok) {
		printf("livegrant: this kernel cannot run livegrant: %s\n", error);
		return LGC_REFUSED;
	}
	printf("livegrant: kernel ok: BPF LSM active and obeyed, BTF present, cgroup v2 and bpffs mounted\n");
	return LGC_OK;
}

static int unpin(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/sys/fs/bpf/livegrant";

	if (lg_enforcer_unpin(dir)) {
		fprintf(stderr, "livegrant: %s\n", lg_errmsg());
		return LGC_REFUSED;
	}
	return LGC_OK;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "present", cmd_present }, { "exec", cmd_exec },     { "revoke", cmd_revoke },
		{ "agents", cmd_agents },   { "status", cmd_status }, { "health", cmd_health },
		{ "denials", cmd_denials }, { "grants", cmd_grants }, { "wait", cmd_wait },
	};

	if (argc < 2) {
		usage(stderr);
		return LGC_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return LGC_OK;
	}
	if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) &&
	    (!strcmp(argv[1], "check-kernel") || !strcmp(argv[1], "unpin"))) {
		printf("usage: livegrant check-kernel [--json]\n"
		       "       livegrant unpin [PIN_DIR]   (default /sys/fs/bpf/livegrant)\n");
		return LGC_OK;
	}
	if (!strcmp(argv[1], "check-kernel")) {
		if (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json")))
			return check_kernel(argc == 3);
		return LGC_USAGE;
	}
	if (!strcmp(argv[1], "unpin"))
		return argc <= 3 ? unpin(argc, argv) : LGC_USAGE;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "livegrant: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return LGC_USAGE;
}

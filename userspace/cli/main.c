// SPDX-License-Identifier: GPL-2.0
/*
 * livegrant - the SRE's and the agent's command line (docs/cli.md).
 *
 * Exit codes: 0 success, 1 refused or check failed, 2 usage error,
 * 3 livegrantd not reachable.
 */
#include <stdio.h>
#include <string.h>

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
		"  grants [--json] AGENT            the live rules of one agent, and their source\n"
		"  denials [--follow] [--agent A] [--since D] [--reason R] [--limit N] [--json]\n"
		"                                   what was denied, and why\n"
		"  check-kernel                     can this kernel run livegrant?\n"
		"  unpin [PIN_DIR]                  remove livegrant's pins: ends enforcement\n"
		"Every command takes --help. Socket: --socket PATH, $LIVEGRANT_SOCKET, or " LGC_DEFAULT_SOCKET
		".\n");
}

/*
 * The first step of the support check, then the per-hook feature probe:
 * every hook of the registry is listed as enforced or not on this kernel.
 */
static int check_kernel(void)
{
	struct lg_hook_set supported;
	int rc = LGC_OK;

	if (lg_kernel_check(NULL)) {
		printf("livegrant: this kernel cannot run livegrant: %s\n", lg_errmsg());
		return LGC_REFUSED;
	}
	printf("livegrant: kernel ok: BPF LSM active, BTF present, cgroup v2 and bpffs mounted\n");
	if (lg_hooks_supported(&supported)) {
		printf("livegrant: %s\n", lg_errmsg());
		return LGC_REFUSED;
	}
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++) {
		const struct lg_hook_info *hi = lg_hook_info(h);

		if (lg_hook_set_has(&supported, h)) {
			printf("  hook %-16s lsm/%-22s enforced\n", hi->name, hi->lsm);
		} else if (hi->flags & LG_HOOK_F_REQUIRED) {
			printf("  hook %-16s lsm/%-22s MISSING: livegrant will not start on this kernel\n",
			       hi->name, hi->lsm);
			rc = LGC_REFUSED;
		} else {
			printf("  hook %-16s lsm/%-22s NOT ENFORCED: this kernel has no such LSM hook\n",
			       hi->name, hi->lsm);
		}
	}
	return rc;
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
		{ "agents", cmd_agents },   { "status", cmd_status }, { "denials", cmd_denials },
		{ "grants", cmd_grants },
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
		printf("usage: livegrant check-kernel\n"
		       "       livegrant unpin [PIN_DIR]   (default /sys/fs/bpf/livegrant)\n");
		return LGC_OK;
	}
	if (!strcmp(argv[1], "check-kernel"))
		return argc == 2 ? check_kernel() : LGC_USAGE;
	if (!strcmp(argv[1], "unpin"))
		return argc <= 3 ? unpin(argc, argv) : LGC_USAGE;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "livegrant: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return LGC_USAGE;
}

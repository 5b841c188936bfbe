// SPDX-License-Identifier: GPL-2.0
/*
 * livegrant - the SRE's command line. This first version has the commands
 * that need no daemon: check-kernel and unpin.
 *
 * Exit codes: 0 success, 1 the check or action failed, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "livegrant.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: livegrant COMMAND\n"
		"  check-kernel        can this kernel run livegrant? (BPF LSM, BTF, cgroup v2, bpffs)\n"
		"  unpin [PIN_DIR]     remove livegrant's pins: ends enforcement\n"
		"                      (default /sys/fs/bpf/livegrant)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "check-kernel")) {
		if (lg_kernel_check(NULL)) {
			printf("livegrant: this kernel cannot run livegrant: %s\n", lg_errmsg());
			return 1;
		}
		printf("livegrant: kernel ok: BPF LSM active, BTF present, cgroup v2 and bpffs mounted\n");
		return 0;
	}
	if (!strcmp(argv[1], "unpin")) {
		const char *dir = argc > 2 ? argv[2] : "/sys/fs/bpf/livegrant";

		if (lg_enforcer_unpin(dir)) {
			fprintf(stderr, "livegrant: %s\n", lg_errmsg());
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "livegrant: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}

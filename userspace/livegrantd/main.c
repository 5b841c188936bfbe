// SPDX-License-Identifier: GPL-2.0
/*
 * livegrantd - the livegrant controller.
 *
 * This first version loads (or adopts) the enforcement programs, registers
 * agent roots and streams every denial as one JSON line on stdout. Token
 * attestation, grants and refresh come with the controller issue.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livegrant.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_event(void *ctx, const struct lg_event *ev)
{
	char target[LG_PATH_MAX + 64], access[64];

	(void)ctx;
	printf("{\"boottime_ns\":%llu,\"cgroup_id\":%llu,\"agent_cgroup_id\":%llu,"
	       "\"pid\":%u,\"tgid\":%u,\"uid\":%u,\"hook\":\"%s\",\"access\":\"%s\","
	       "\"reason\":\"%s\",\"action\":\"%s\",\"target_len\":%u}\n",
	       (unsigned long long)ev->time_ns, (unsigned long long)ev->cgroup_id,
	       (unsigned long long)ev->agent_cgroup_id, ev->pid, ev->tgid, ev->uid,
	       lg_hook_name(ev->hook), lg_access_str(ev->access, access, sizeof(access)),
	       lg_reason_name(ev->reason), lg_action_name(ev->action), ev->target_len);
	(void)lg_event_target(ev, target, sizeof(target));
	fflush(stdout);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: livegrantd [--pin-dir DIR] [--root CGROUP_DIR]... [--verbose]\n"
		   "  --pin-dir DIR   bpffs directory for pins (default /sys/fs/bpf/livegrant)\n"
		   "  --root DIR      cgroup v2 directory whose processes are agents\n"
		   "  --verbose       print libbpf debug output (verifier logs)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct lg_enforcer_opts eo = { .pin_dir = "/sys/fs/bpf/livegrant" };
	struct lg_event_reader *reader = NULL;
	struct lg_enforcer *e = NULL;
	const char *roots[LG_MAX_ROOTS];
	int nroots = 0, c, err;

	while ((c = getopt_long(argc, argv, "p:r:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			eo.pin_dir = optarg;
			break;
		case 'r':
			if (nroots == LG_MAX_ROOTS) {
				fprintf(stderr, "livegrantd: at most %d --root\n", LG_MAX_ROOTS);
				return 2;
			}
			roots[nroots++] = optarg;
			break;
		case 'v':
			eo.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	err = lg_enforcer_open(&eo, &e);
	if (err) {
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
		return 1;
	}
	for (int i = 0; i < nroots && !err; i++)
		err = lg_root_add(e, roots[i]);
	if (!err)
		err = lg_events_open(e, print_event, NULL, &reader);
	if (err) {
		fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
		goto out;
	}
	fprintf(stderr, "livegrantd: enforcing (%s programs under %s)\n",
		lg_enforcer_adopted(e) ? "adopted" : "loaded", eo.pin_dir);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		err = lg_events_poll(reader, 500);
		if (err < 0) {
			fprintf(stderr, "livegrantd: %s\n", lg_errmsg());
			break;
		}
		err = 0;
	}
out:
	lg_events_close(reader);
	lg_enforcer_close(e);
	return err ? 1 : 0;
}

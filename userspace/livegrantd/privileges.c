// SPDX-License-Identifier: GPL-2.0
/* privileges.c - see privileges.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "livegrant.h"
#include "privileges.h"

/*
 * Every capability livegrantd keeps, and why. Everything else goes:
 * - the BPF maps are used through descriptors opened at start (map
 *   updates, lookups and the event ring need no capability on 6.1+; only
 *   creating maps and loading programs do, and both happen at start);
 * - its files (state, denial log, socket, pins) are its own, made at start
 *   by root: no DAC override is needed to write, rotate or retire them;
 * - /proc/PID/stat and /proc/PID/cgroup are world-readable, and a pidfd's
 *   liveness needs no CAP_KILL (attest.c: EPERM from signal 0 means alive).
 */
static const struct {
	cap_value_t cap;
	const char *name;
	const char *why;
} kept[] = {
	{ CAP_DAC_READ_SEARCH, "cap_dac_read_search",
	  "read the executable of a caller of another uid for exe_sha256 even when its mode forbids others (0700, 0711)" },
	{ CAP_SYS_PTRACE, "cap_sys_ptrace",
	  "open /proc/PID/exe of a caller of another uid, to hash its executable (exe_sha256 workload selectors)" },
};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

static bool is_kept(cap_value_t c)
{
	for (size_t i = 0; i < NKEPT; i++)
		if (kept[i].cap == c)
			return true;
	return false;
}

/* Threads: a capability set changed on one thread leaves the others' as they are. */
static int threads(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int cut_bounding_set(void)
{
	/* cap_max_bits(): what this kernel knows, which may be more than libcap's headers. */
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
		if (!is_kept(c) && CAP_IS_SUPPORTED(c) && cap_drop_bound(c))
			return lg_err(-errno, "dropping capability %d from the bounding set: %s", c,
				      strerror(errno));
	return 0;
}

static int set_kept(void)
{
	cap_value_t v[NKEPT];
	cap_t caps = cap_init(); /* all clear */
	int err = 0;

	if (!caps)
		return lg_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < NKEPT; i++)
		v[i] = kept[i].cap;
	if (cap_set_flag(caps, CAP_PERMITTED, NKEPT, v, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, NKEPT, v, CAP_SET) || cap_set_proc(caps))
		err = lg_err(-errno, "setting capabilities: %s", strerror(errno));
	cap_free(caps);
	return err;
}

/*
 * How long a thread already joined may still be counted. pthread_join()
 * returns once the thread has left its memory (the kernel clears its tid),
 * but /proc counts it until the kernel reaps it, later in its exit: an
 * upgrade's bridge thread, joined just before, was counted once in CI.
 */
#define LGD_THREAD_REAP_MS 2000
#define LGD_THREAD_POLL_MS 5

int lgd_drop_privileges(void)
{
	int n = threads(), err;

	for (int waited = 0; n > 1 && waited < LGD_THREAD_REAP_MS; waited += LGD_THREAD_POLL_MS) {
		usleep(LGD_THREAD_POLL_MS * 1000);
		n = threads();
	}
	if (n != 1)
		return lg_err(
			-EBUSY,
			"cannot drop privileges with %d threads running: capabilities are per thread",
			n);
	/* The bounding set first: cutting it needs CAP_SETPCAP, which set_kept() drops. */
	err = cut_bounding_set();
	if (!err && cap_reset_ambient())
		err = lg_err(-errno, "clearing ambient capabilities: %s", strerror(errno));
	if (!err)
		err = set_kept();
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = lg_err(-errno, "setting no_new_privs: %s", strerror(errno));
	return err;
}

void lgd_privileges_describe(char *buf, size_t size)
{
	cap_t caps = cap_get_proc();
	char *text = caps ? cap_to_text(caps, NULL) : NULL;
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);

	/* libcap writes an empty set as "=". */
	snprintf(buf, size, "%s%s", text && strcmp(text, "=") ? text : "none",
		 nnp == 1 ? ", no_new_privs" : "");
	cap_free(text);
	cap_free(caps);
}

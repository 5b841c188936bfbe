/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attest.h - what the kernel says about the process at the other end of a
 * control-socket connection. Nothing here comes from what the caller says.
 */
#ifndef LGD_ATTEST_H
#define LGD_ATTEST_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * struct lgd_peer - an attested caller.
 * @pid, @uid, @gid: SO_PEERCRED, taken when the connection was accepted.
 * @pidfd:       pidfd of the caller: from SO_PEERPIDFD where the kernel
 *               has it (6.5+), the very process that connected; otherwise
 *               pidfd_open(@pid) right after accept. Either keeps naming
 *               its process even if the pid is reused.
 * @via_peerpidfd: @pidfd came from SO_PEERPIDFD (attest.c says why it
 *               matters).
 * @start_ticks: the process start time (/proc/PID/stat field 22), checked
 *               to predate the accept and checked again before a grant is
 *               written.
 * @cgroup:      the caller's cgroup v2 directory (absolute, host view).
 * @cgroup_id:   its id.
 * @exe_sha256:  SHA-256 of the executable, read through /proc/PID/exe
 *               (lowercase hex); empty until lgd_attest_exe() ran.
 */
struct lgd_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int pidfd;
	bool via_peerpidfd;
	uint64_t start_ticks;
	char cgroup[PATH_MAX];
	uint64_t cgroup_id;
	char exe_sha256[65];
};

/*
 * Attest the peer of connected socket @fd, accepted at CLOCK_BOOTTIME
 * @accepted_ns. Returns 0 or a negative errno with lg_errmsg().
 */
int lgd_attest_peer(int fd, uint64_t accepted_ns, const char *cgroup_root, struct lgd_peer *p);
/*
 * How this kernel lets livegrantd attest callers: "SO_PEERPIDFD" (6.5+)
 * or "SO_PEERCRED" (older: pid, then pidfd_open). Probed once.
 */
const char *lgd_attest_method(void);
/* Hash the peer's executable into p->exe_sha256. */
int lgd_attest_exe(struct lgd_peer *p);
/*
 * Before acting on an attestation: is the peer still the same live process
 * (pidfd alive, same start time) in the same cgroup? 0 or -ESRCH/-ESTALE.
 */
int lgd_attest_recheck(const struct lgd_peer *p, const char *cgroup_root);
void lgd_peer_release(struct lgd_peer *p);

/* The cgroup v2 directory of @pid under @cgroup_root (/sys/fs/cgroup). */
int lgd_pid_cgroup(pid_t pid, const char *cgroup_root, char *out, size_t size);

#endif /* LGD_ATTEST_H */

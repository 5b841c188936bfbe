// SPDX-License-Identifier: GPL-2.0
/*
 * landlock.c - the benchmark's Landlock column (landlock.h). The uapi
 * header of the build machine may predate the ABI the guest kernel has, so
 * the structures and rights this file needs are spelled out here, as the
 * Landlock documentation advises for programs that probe the ABI at run
 * time.
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"
#include "workloads.h"

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_ABI1 ((1ULL << 13) - 1) /* execute .. make_sym */
#define LL_FS_REFER (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
};

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static uint64_t fs_rights(int abi)
{
	uint64_t r = LL_FS_ABI1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

static int add_path(int ruleset, const char *path, uint64_t access)
{
	struct ll_path_beneath pb = { .allowed_access = access };
	int err;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return -1;
	err = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return err ? -1 : 0;
}

static int add_rules(int ruleset, int abi, const char *noop)
{
	uint64_t all = fs_rights(abi);
	char path[256];

	for (int i = 0; i < WL_READ_DIRS + WL_WRITE_DIRS; i++) {
		uint64_t access = i < WL_READ_DIRS ? LL_FS_READ_FILE | LL_FS_READ_DIR : all;

		snprintf(path, sizeof(path), WL_DIR "/d%d", i);
		if (add_path(ruleset, path, access))
			return -1;
	}
	/* A file rule takes only the rights a file can have. */
	if (add_path(ruleset, noop, LL_FS_EXECUTE | LL_FS_READ_FILE))
		return -1;
	if (abi < 4)
		return 0;
	for (int i = 0; i < WL_NET_RULES; i++) {
		struct ll_net_port np = { .allowed_access = LL_NET_CONNECT_TCP,
					  .port = WL_PORT_BASE + i };

		if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0))
			return -1;
	}
	return 0;
}

int landlock_confine(const char *noop)
{
	int abi = landlock_abi();
	struct ll_ruleset_attr attr = { .handled_access_fs = fs_rights(abi) };
	size_t size = sizeof(attr.handled_access_fs);
	int ruleset, err;

	if (abi < 1) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = sizeof(attr);
	}
	ruleset = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return -1;
	err = add_rules(ruleset, abi, noop);
	if (!err)
		err = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (!err)
		err = syscall(SYS_landlock_restrict_self, ruleset, 0);
	close(ruleset);
	return err ? -1 : 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * landlock.h - the in-kernel alternative a user could pick instead of
 * livegrant, confining the same workload with rules of the same shape: the
 * benchmark's Landlock column.
 */
#ifndef LG_BENCH_LANDLOCK_H
#define LG_BENCH_LANDLOCK_H

/* The Landlock ABI version of this kernel; 0 when Landlock is not active. */
int landlock_abi(void);
/*
 * Confine the calling process for good, as an agent's grant would: read
 * beneath the read folders, every file right beneath the write folders,
 * execute @noop, and (ABI 4+) TCP connect to the WL_NET_RULES ports, with
 * every right the ABI knows handled. 0 or -1 with errno.
 */
int landlock_confine(const char *noop);

#endif /* LG_BENCH_LANDLOCK_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/path_hash.h - the hash that finds path rules, shared by the BPF
 * programs and userspace so both compute the same value.
 *
 * FNV-1a over the path bytes, started from a per-host seed. It is folded one
 * byte at a time so that the BPF path walk has the hash of every prefix for
 * free as it scans. It is not a security boundary: a match is confirmed by
 * comparing the rule's bytes (see struct lg_path_key), and userspace refuses
 * a grant whose own rule paths collide. The seed only keeps the map's
 * distribution unpredictable across hosts.
 */
#ifndef LIVEGRANT_PATH_HASH_H
#define LIVEGRANT_PATH_HASH_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define LG_FNV_OFFSET 0xcbf29ce484222325ULL
#define LG_FNV_PRIME 0x100000001b3ULL

static inline __u64 lg_path_hash_init(__u64 seed)
{
	return LG_FNV_OFFSET ^ seed;
}

static inline __u64 lg_path_hash_step(__u64 h, unsigned char c)
{
	return (h ^ c) * LG_FNV_PRIME;
}

#endif /* LIVEGRANT_PATH_HASH_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/limits.h - every bound shared by the BPF programs and userspace.
 *
 * Each limit here is used twice: as a loop bound or buffer size in bpf/ and
 * as a validation check in userspace/ before anything is written to a map.
 * Change a value here and both sides follow. Reaching a bound in the kernel
 * is always a denial (never a silent allow); in userspace it is an error
 * that names the limit.
 */
#ifndef LIVEGRANT_LIMITS_H
#define LIVEGRANT_LIMITS_H

/*
 * LG_PATH_MAX - size of the buffer a path is resolved into, NUL included.
 * Equal to the kernel's PATH_MAX: bpf_d_path() fails with -ENAMETOOLONG for
 * longer paths and the access is denied with reason "path_too_long". A rule
 * path must be shorter than this.
 */
#define LG_PATH_MAX 4096

/* LG_PATH_WORDS - LG_PATH_MAX in 8-byte words, the bound of the compare loop. */
#define LG_PATH_WORDS (LG_PATH_MAX / 8)

/*
 * LG_UNIX_PATH_MAX - bytes of sockaddr_un.sun_path (108 on Linux). AF_UNIX
 * rules and the control socket path are at most this long.
 */
#define LG_UNIX_PATH_MAX 108

/*
 * LG_MAX_CGROUP_DEPTH - how many cgroup levels the agent lookup walks, and
 * the deepest level an agent root may sit at. An agent process more than
 * this many levels below its agent root is denied ("cgroup_too_deep").
 * Must not exceed 64: root levels are kept as a 64-bit mask.
 */
#define LG_MAX_CGROUP_DEPTH 32

/* LG_MAX_PORT_RANGES - port ranges one network prefix entry can hold. */
#define LG_MAX_PORT_RANGES 16

/* LG_SCRATCH_SLOTS - per-CPU scratch buffers; see bpf/lib/scratch.h. */
#define LG_SCRATCH_SLOTS 4

/* Map sizes. A grant that does not fit is refused whole by userspace. */
#define LG_MAX_ROOTS 64 /* registered agent cgroup roots */
#define LG_MAX_AGENTS 4096 /* registered agent cgroups */
#define LG_MAX_PATH_RULES 1024 /* distinct rule paths in one grant */
#define LG_MAX_NET_RULES 1024 /* network prefixes in one grant */
#define LG_MAX_UNIX_RULES 256 /* AF_UNIX paths in one grant */
#define LG_MAX_DOMAIN_NETS 1024 /* networks of all trust domains */
/*
 * Rule maps hold every agent's rules plus, while a grant is being replaced,
 * a second generation of one agent's rules.
 */
#define LG_PATH_RULE_ENTRIES 65536
#define LG_NET_RULE_ENTRIES 65536
#define LG_UNIX_RULE_ENTRIES 16384

/*
 * LG_HOOK_CAPACITY - hooks the counter map has room for (include/livegrant/
 * hooks.h). Fixed, so that adding a hook does not change a map.
 */
#define LG_HOOK_CAPACITY 32

/* LG_EVENTS_RING_BYTES - default size of the event ring buffer. */
#define LG_EVENTS_RING_BYTES (4 * 1024 * 1024)

#endif /* LIVEGRANT_LIMITS_H */

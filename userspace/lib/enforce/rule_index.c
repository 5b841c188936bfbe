// SPDX-License-Identifier: GPL-2.0
/*
 * rule_index.c - per agent, the keys it holds in each rule map (see
 * rule_index.h for why, and why a stale index can never grant anything).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "rule_index.h"

/* A rule map's key and value sizes, and where its key holds the agent and the generation. */
static const struct {
	enum lg_map_idx map;
	size_t key_size;
	size_t value_size;
	size_t cgroup_off;
	size_t generation_off;
} rule_maps[LG_RULES_MAX] = {
	[LG_RULES_PATH] = { LG_MAP_PATH_RULES, sizeof(struct lg_path_key),
			    sizeof(struct lg_path_rule), offsetof(struct lg_path_key, cgroup_id),
			    offsetof(struct lg_path_key, generation) },
	[LG_RULES_NET] = { LG_MAP_NET_RULES, sizeof(struct lg_net_key), sizeof(struct lg_net_rule),
			   offsetof(struct lg_net_key, cgroup_id),
			   offsetof(struct lg_net_key, generation) },
	[LG_RULES_UNIX] = { LG_MAP_UNIX_RULES, sizeof(struct lg_unix_key), sizeof(__u8),
			    offsetof(struct lg_unix_key, cgroup_id),
			    offsetof(struct lg_unix_key, generation) },
};

#define KEY_MAX sizeof(struct lg_unix_key)
_Static_assert(sizeof(struct lg_path_key) <= KEY_MAX && sizeof(struct lg_net_key) <= KEY_MAX,
	       "KEY_MAX must hold the key of every rule map");

/* One agent's keys: per map, a packed array of that map's keys. */
struct agent_keys {
	uint64_t id;
	struct agent_keys *next;
	size_t n[LG_RULES_MAX], cap[LG_RULES_MAX];
	unsigned char *keys[LG_RULES_MAX];
};

#define NBUCKETS 4096 /* agents hash into these; chains stay short to LG_MAX_AGENTS */

struct lg_rule_index {
	struct agent_keys *bucket[NBUCKETS];
};

static struct agent_keys **slot(struct lg_rule_index *ri, uint64_t id)
{
	struct agent_keys **p = &ri->bucket[(id * 0x9e3779b97f4a7c15ULL) >> 52];

	while (*p && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

static int put(struct lg_rule_index *ri, enum lg_rule_map_idx m, const void *key)
{
	size_t ks = rule_maps[m].key_size;
	struct agent_keys **p, *a;
	uint64_t id;

	memcpy(&id, (const char *)key + rule_maps[m].cgroup_off, sizeof(id));
	p = slot(ri, id);
	if (!*p) {
		*p = calloc(1, sizeof(**p));
		if (!*p)
			return lg_err(-ENOMEM, "out of memory indexing rules");
		(*p)->id = id;
	}
	a = *p;
	if (a->n[m] == a->cap[m]) {
		size_t cap = a->cap[m] ? 2 * a->cap[m] : 16;
		unsigned char *k = realloc(a->keys[m], cap * ks);

		if (!k)
			return lg_err(-ENOMEM, "out of memory indexing rules");
		a->keys[m] = k;
		a->cap[m] = cap;
	}
	memcpy(a->keys[m] + a->n[m]++ * ks, key, ks);
	return 0;
}

/* One walk of every rule map: the index of what is there now. */
static int build(struct lg_enforcer *e)
{
	struct lg_rule_index *ri = calloc(1, sizeof(*ri));
	int err = 0;

	if (!ri)
		return lg_err(-ENOMEM, "out of memory indexing rules");
	for (int m = 0; m < LG_RULES_MAX && !err; m++) {
		unsigned char k[KEY_MAX], cur[KEY_MAX];
		int fd = e->fds[rule_maps[m].map];
		bool first = true;

		while (!err && !bpf_map_get_next_key(fd, first ? NULL : cur, k)) {
			first = false;
			memcpy(cur, k, rule_maps[m].key_size);
			err = put(ri, m, k);
		}
	}
	if (err) {
		lg_rule_index_free(ri);
		return err;
	}
	e->rules = ri;
	return 0;
}

static int ready(struct lg_enforcer *e)
{
	return e->rules ? 0 : build(e);
}

/* Kernels without a batch update for this map type answer one of these. */
static bool no_batch(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */;
}

/* One update per rule: where the kernel has no batch update for the map. */
static int put_each(int fd, enum lg_rule_map_idx m, const unsigned char *keys,
		    const unsigned char *values, size_t n, size_t *done)
{
	for (*done = 0; *done < n; (*done)++)
		if (bpf_map_update_elem(fd, keys + *done * rule_maps[m].key_size,
					values + *done * rule_maps[m].value_size, BPF_NOEXIST))
			return -errno;
	return 0;
}

int lg_rule_index_put(struct lg_enforcer *e, enum lg_rule_map_idx m, const void *keys,
		      const void *values, size_t n, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = e->fds[rule_maps[m].map];
	__u32 count = n;
	int err = ready(e);

	*done = 0;
	for (size_t i = 0; i < n && !err; i++)
		err = put(e->rules, m, (const unsigned char *)keys + i * rule_maps[m].key_size);
	if (err || !n)
		return err;
	/*
	 * One syscall for the whole set: an install of a hundred rules
	 * otherwise spends most of its time entering the kernel. A batch
	 * cannot say BPF_NOEXIST, and need not: the keys are this grant's
	 * own, under a generation no grant had before (grants.c), distinct
	 * from each other (the compiler merges equal ones, and grants.c
	 * refuses two paths of one hash), and none is read before the
	 * agent's header names their generation.
	 */
	if (!bpf_map_update_batch(fd, keys, values, &count, &opts)) {
		*done = n;
		return 0;
	}
	err = -errno;
	/*
	 * The kernel writes the count back only once it has started on the
	 * elements (then it is the index of the one that failed, below @n).
	 * Still @n: nothing was written, and a kernel without a batch update
	 * for this map type (LPM tries had none at first) gets one update
	 * per rule instead.
	 */
	if (count == n) {
		if (no_batch(err))
			return put_each(fd, m, keys, values, n, done);
		count = 0;
	}
	*done = count;
	return err;
}

/* Delete @a's keys of map @m whose generation is not @keep; keep the rest. */
static int collect_map(struct lg_enforcer *e, struct agent_keys *a, enum lg_rule_map_idx m,
		       uint32_t keep)
{
	size_t ks = rule_maps[m].key_size, kept = 0;
	int fd = e->fds[rule_maps[m].map], err = 0;

	for (size_t i = 0; i < a->n[m]; i++) {
		unsigned char *k = a->keys[m] + i * ks;
		uint32_t gen;

		memcpy(&gen, k + rule_maps[m].generation_off, sizeof(gen));
		if (gen != keep && (!bpf_map_delete_elem(fd, k) || errno == ENOENT))
			continue;
		if (gen != keep && !err)
			err = lg_err(-errno, "deleting stale rules of agent cgroup %llu failed: %s",
				     (unsigned long long)a->id, strerror(errno));
		memmove(a->keys[m] + kept++ * ks, k, ks);
	}
	a->n[m] = kept;
	return err;
}

int lg_rule_index_collect(struct lg_enforcer *e, uint64_t id, uint32_t keep)
{
	struct agent_keys **p, *a;
	size_t left = 0;
	int err = ready(e);

	if (err)
		return err;
	p = slot(e->rules, id);
	a = *p;
	if (!a)
		return 0;
	for (int m = 0; m < LG_RULES_MAX; m++) {
		int r = collect_map(e, a, m, keep);

		if (r && !err)
			err = r;
		left += a->n[m];
	}
	if (!left) {
		*p = a->next;
		for (int m = 0; m < LG_RULES_MAX; m++)
			free(a->keys[m]);
		free(a);
	}
	return err;
}

size_t lg_rule_index_count(struct lg_enforcer *e, uint64_t id)
{
	struct agent_keys *a;
	size_t n = 0;

	if (ready(e))
		return 0;
	a = *slot(e->rules, id);
	for (int m = 0; a && m < LG_RULES_MAX; m++)
		n += a->n[m];
	return n;
}

void lg_rule_index_free(struct lg_rule_index *ri)
{
	if (!ri)
		return;
	for (size_t b = 0; b < NBUCKETS; b++) {
		while (ri->bucket[b]) {
			struct agent_keys *a = ri->bucket[b];

			ri->bucket[b] = a->next;
			for (int m = 0; m < LG_RULES_MAX; m++)
				free(a->keys[m]);
			free(a);
		}
	}
	free(ri);
}

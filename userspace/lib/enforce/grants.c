// SPDX-License-Identifier: GPL-2.0
/*
 * grants.c - installing, replacing and removing grants atomically.
 *
 * A grant is a header in lg_agents (under a BPF spin lock) plus rule entries
 * keyed by (agent cgroup, generation). Replacing one:
 *   1. write the new rules under generation G+1 (invisible: nothing uses it);
 *   2. switch the header to G+1 in one locked update: from here on every
 *      check reads the new header and so only the new rules;
 *   3. wait for an RCU grace period (lg_wait_for_readers): checks that read
 *      the old header have all finished;
 *   4. delete the rules of generation G.
 * A failure before step 2 deletes what step 1 wrote and leaves G in force.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "enforcer.h"
#include "rule_index.h"
#include "rules.h"

uint64_t lg_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int lg_grant_get(struct lg_enforcer *e, uint64_t id, struct lg_agent *out)
{
	if (bpf_map_lookup_elem_flags(e->fds[LG_MAP_AGENTS], &id, out, BPF_F_LOCK))
		return lg_err(-errno, "agent cgroup %llu is not registered",
			      (unsigned long long)id);
	return 0;
}

static int put_header(struct lg_enforcer *e, uint64_t id, const struct lg_agent *a)
{
	if (bpf_map_update_elem(e->fds[LG_MAP_AGENTS], &id, a, BPF_EXIST | BPF_F_LOCK))
		return lg_err(-errno, "updating the grant of agent cgroup %llu failed: %s",
			      (unsigned long long)id, strerror(errno));
	return 0;
}

/*
 * Delete every rule of agent @id whose generation is not @keep, found
 * through the rule index (rule_index.h), so that it costs this agent's
 * rules, not every agent's.
 */
static int gc_agent(struct lg_enforcer *e, uint64_t id, uint32_t keep)
{
	return lg_rule_index_collect(e, id, keep);
}

/* The path hash's 128-bit key, as the programs read it from lg_state. */
static void hash_key(const struct lg_enforcer *e, uint64_t key[2])
{
	key[0] = __atomic_load_n(&e->state->hash_key0, __ATOMIC_ACQUIRE);
	key[1] = __atomic_load_n(&e->state->hash_key1, __ATOMIC_ACQUIRE);
}

static int digest_cmp(const void *a, const void *b)
{
	const struct lg_path_digest *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/* The first rule path after index @from whose hash is @d; npaths if none. */
static size_t path_with_hash(const struct lg_compiled *c, const uint64_t key[2],
			     const struct lg_path_digest *d, size_t from)
{
	for (size_t i = from; i < c->npaths; i++) {
		struct lg_path_digest h = lg_path_hash(key, c->paths[i].path, c->paths[i].len);

		if (!digest_cmp(&h, d))
			return i;
	}
	return c->npaths;
}

/*
 * Two rule paths with the same 128-bit hash would share one map slot, and
 * one would grant what the other names. By chance this does not happen
 * (path_hash.h), but it is checked, not assumed: sorted, so that a grant of
 * LG_MAX_PATH_ENTRIES paths costs n log n, not n^2. The length is part of
 * the map key; leaving it out here only refuses more.
 */
static int check_collisions(const struct lg_compiled *c, const uint64_t key[2])
{
	struct lg_path_digest *h = calloc(c->npaths ? c->npaths : 1, sizeof(*h));
	size_t a, b;
	int err = 0;

	if (!h)
		return lg_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < c->npaths; i++)
		h[i] = lg_path_hash(key, c->paths[i].path, c->paths[i].len);
	qsort(h, c->npaths, sizeof(*h), digest_cmp);
	for (size_t i = 1; i < c->npaths; i++) {
		if (digest_cmp(&h[i - 1], &h[i]))
			continue;
		/* Name both paths: the two first ones with this hash. */
		a = path_with_hash(c, key, &h[i], 0);
		b = a < c->npaths ? path_with_hash(c, key, &h[i], a + 1) : c->npaths;
		err = lg_err(
			-EEXIST,
			"rule paths \"%s\" and \"%s\" collide in the path hash of this host: split them into two grants or reload with new pins to change the key",
			a < c->npaths ? c->paths[a].path : "?",
			b < c->npaths ? c->paths[b].path : "?");
		break;
	}
	free(h);
	return err;
}

static int write_paths(struct lg_enforcer *e, uint64_t id, uint32_t gen,
		       const struct lg_compiled *c)
{
	struct lg_path_key *k = calloc(c->npaths ? c->npaths : 1, sizeof(*k));
	struct lg_path_rule *v = calloc(c->npaths ? c->npaths : 1, sizeof(*v));
	uint64_t key[2];
	size_t done = 0;
	int err = 0;

	if (!k || !v) {
		err = lg_err(-ENOMEM, "out of memory");
		goto out;
	}
	hash_key(e, key);
	for (size_t i = 0; i < c->npaths; i++) {
		const struct lg_path_entry *p = &c->paths[i];
		struct lg_path_digest d = lg_path_hash(key, p->path, p->len);

		k[i] = (struct lg_path_key){
			.cgroup_id = id,
			.hash = { d.lo, d.hi },
			.generation = gen,
			.len = p->len,
		};
		v[i] = (struct lg_path_rule){
			.cgroup_id = id,
			.generation = gen,
			.exact = p->exact,
			.subtree = p->subtree,
		};
	}
	err = lg_rule_index_put(e, LG_RULES_PATH, k, v, c->npaths, &done);
	if (err)
		err = lg_err(err, "writing path rule \"%s\" failed: %s%s",
			     done < c->npaths ? c->paths[done].path : "?", strerror(-err),
			     err == -E2BIG ? " (path rule map full: LG_PATH_RULE_ENTRIES)" : "");
out:
	free(k);
	free(v);
	return err;
}

static int write_nets(struct lg_enforcer *e, uint64_t id, uint32_t gen, const struct lg_compiled *c)
{
	struct lg_net_key *k = calloc(c->nnets ? c->nnets : 1, sizeof(*k));
	struct lg_net_rule *v = calloc(c->nnets ? c->nnets : 1, sizeof(*v));
	size_t done = 0;
	int err = 0;

	if (!k || !v) {
		err = lg_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->nnets; i++) {
		const struct lg_net_entry *n = &c->nets[i];

		k[i] = (struct lg_net_key){
			.prefixlen = LG_NET_KEY_FIXED_BITS + n->plen,
			.generation = gen,
			.cgroup_id = id,
		};
		memcpy(k[i].addr, n->addr, 16);
		v[i].nranges = n->nranges;
		memcpy(v[i].ranges, n->ranges, sizeof(v[i].ranges));
	}
	err = lg_rule_index_put(e, LG_RULES_NET, k, v, c->nnets, &done);
	if (err)
		err = lg_err(err, "writing a network rule failed: %s%s", strerror(-err),
			     err == -ENOSPC ? " (network rule map full: LG_NET_RULE_ENTRIES)" : "");
out:
	free(k);
	free(v);
	return err;
}

static int write_unixes(struct lg_enforcer *e, uint64_t id, uint32_t gen,
			const struct lg_compiled *c)
{
	struct lg_unix_key k[LG_MAX_UNIX_RULES];
	uint8_t rights[LG_MAX_UNIX_RULES];
	size_t done = 0;
	int err;

	if (c->nunix > LG_MAX_UNIX_RULES) /* lg_compile() holds it to this */
		return lg_err(-E2BIG,
			      "grant has more than %d unix socket rules (LG_MAX_UNIX_RULES)",
			      LG_MAX_UNIX_RULES);
	for (size_t i = 0; i < c->nunix; i++) {
		k[i] = (struct lg_unix_key){
			.cgroup_id = id,
			.generation = gen,
			.len = c->unixes[i].len,
		};
		memcpy(k[i].path, c->unixes[i].path, c->unixes[i].len);
		rights[i] = c->unixes[i].rights;
	}
	err = lg_rule_index_put(e, LG_RULES_UNIX, k, rights, c->nunix, &done);
	if (err)
		err = lg_err(err, "writing unix rule \"%.*s\" failed: %s",
			     done < c->nunix ? (int)c->unixes[done].len : 1,
			     done < c->nunix ? c->unixes[done].path : "?", strerror(-err));
	return err;
}

/* Each rule map's rules in one batch: see lg_rule_index_put(). */
static int write_rules(struct lg_enforcer *e, uint64_t id, uint32_t gen,
		       const struct lg_compiled *c)
{
	int err = write_paths(e, id, gen, c);

	if (!err)
		err = write_nets(e, id, gen, c);
	if (!err)
		err = write_unixes(e, id, gen, c);
	return err;
}

/*
 * A generation no grant of any agent had since these maps were made (until
 * the 32-bit number wraps, after 2^32 installs): the
 * programs key rules, suspensions and cached verdicts by (agent,
 * generation), so a grant removed and given again must not get its old
 * number back (a per-agent count would restart at 1 after a removal). The
 * counter lives in lg_state, so it survives restarts and adoptions with
 * the maps. Never 0 (no grant), never @cur (the live one, even after the
 * 32-bit number wraps around).
 */
static uint32_t next_generation(struct lg_enforcer *e, uint32_t cur)
{
	uint32_t gen;

	do
		gen = (uint32_t)__atomic_add_fetch(&e->state->generation_seq, 1, __ATOMIC_SEQ_CST);
	while (gen == 0 || gen == cur);
	return gen;
}

int lg_grant_install(struct lg_enforcer *e, uint64_t id, const struct lg_grant_spec *spec,
		     uint32_t *generation)
{
	struct lg_compiled c;
	struct lg_agent cur, next = {};
	uint64_t key[2];
	uint32_t gen;
	int err;

	err = lg_compile(spec, &c);
	if (err)
		return err;
	hash_key(e, key);
	err = check_collisions(&c, key);
	if (err)
		goto out;
	err = lg_grant_get(e, id, &cur);
	if (err)
		goto out;
	/* Leftovers of an interrupted earlier change must not alias G+1. */
	err = gc_agent(e, id, cur.generation);
	if (err)
		goto out;
	gen = next_generation(e, cur.generation);

	err = write_rules(e, id, gen, &c);
	if (err) {
		gc_agent(e, id, cur.generation);
		goto out;
	}
	next.cgroup_id = id;
	next.generation = gen;
	next.expires_ns = spec->expires_ns;
	next.domain = spec->domain;
	next.mode = spec->mode;
	err = put_header(e, id, &next);
	if (err) {
		gc_agent(e, id, cur.generation);
		goto out;
	}
	if (generation)
		*generation = gen;
	/* The new grant is in force; what follows only frees memory. */
	if (cur.generation && !lg_wait_for_readers(e))
		gc_agent(e, id, gen);
out:
	lg_compiled_free(&c);
	return err;
}

int lg_grant_extend_fd(int fd, uint64_t id, uint64_t expires_ns)
{
	struct lg_agent a;

	if (bpf_map_lookup_elem_flags(fd, &id, &a, BPF_F_LOCK))
		return lg_err(-errno, "agent cgroup %llu is not registered",
			      (unsigned long long)id);
	if (!a.generation)
		return lg_err(-ENOENT, "agent cgroup %llu has no live grant to refresh",
			      (unsigned long long)id);
	a.expires_ns = expires_ns;
	if (bpf_map_update_elem(fd, &id, &a, BPF_EXIST | BPF_F_LOCK))
		return lg_err(-errno, "updating the grant of agent cgroup %llu failed: %s",
			      (unsigned long long)id, strerror(errno));
	return 0;
}

int lg_grant_set_expiry(struct lg_enforcer *e, uint64_t id, uint64_t expires_ns)
{
	return lg_grant_extend_fd(e->fds[LG_MAP_AGENTS], id, expires_ns);
}

int lg_prev_agent_state(struct lg_enforcer *e, uint64_t id, uint32_t *generation, bool *suspended)
{
	struct lg_agent a;
	__u32 gen = 0;

	if (e->prev_agents_fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem_flags(e->prev_agents_fd, &id, &a, BPF_F_LOCK) || !a.generation)
		return -ENOENT;
	*generation = a.generation;
	*suspended = e->prev_suspended_fd >= 0 &&
		     !bpf_map_lookup_elem(e->prev_suspended_fd, &id, &gen) && gen == a.generation;
	return 0;
}

int lg_bridge_grant_extend(struct lg_enforcer *e, uint64_t id, uint64_t expires_ns)
{
	int err, fd = e->fds[LG_MAP_AGENTS];

	if (e->prev_agents_fd < 0)
		return lg_err(-ENOENT, "no earlier set of pins whose grants could be extended");
	err = lg_grant_extend_fd(e->prev_agents_fd, id, expires_ns);
	/*
	 * A replacing start's own maps: before the load there are none (-1);
	 * an agent not reinstalled yet, or refused at its reinstall, has no
	 * live grant there (-ENOENT), and gets none from a bridge.
	 */
	if (err || e->start != LG_START_REPLACED || fd < 0)
		return err;
	err = lg_grant_extend_fd(fd, id, expires_ns);
	return err == -ENOENT ? 0 : err;
}

int lg_grant_remove(struct lg_enforcer *e, uint64_t id)
{
	struct lg_agent a = { .cgroup_id = id };
	int err = put_header(e, id, &a);

	if (err)
		return err;
	err = lg_wait_for_readers(e);
	if (err)
		return err;
	return gc_agent(e, id, 0);
}

int lg_agent_remove(struct lg_enforcer *e, uint64_t id)
{
	int err = lg_grant_remove(e, id);

	if (err)
		return err;
	bpf_map_delete_elem(e->fds[LG_MAP_SUSPENDED], &id);
	if (bpf_map_delete_elem(e->fds[LG_MAP_AGENTS], &id))
		return lg_err(-errno, "agent cgroup %llu: %s", (unsigned long long)id,
			      strerror(errno));
	return 0;
}

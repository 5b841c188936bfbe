/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/agent.h - is the current task an agent, and what may it do?
 *
 * This runs first in every hook, for every process on the host, so the
 * non-agent path is kept short: one array lookup (inlined by the verifier)
 * when no roots exist, and otherwise one ancestor-id helper call and one
 * compare per cgroup level that holds a root (usually exactly one; a hash
 * lookup only where one level holds several roots).
 */
#ifndef LG_BPF_AGENT_H
#define LG_BPF_AGENT_H

#include "maps.h"

/**
 * struct lg_subject - the current task as seen by a hook.
 * @cgroup_id:       the task's own cgroup.
 * @agent_cgroup_id: nearest registered agent cgroup, else the agent root.
 * @generation:      grant generation whose rules apply (0: none).
 * @domain:          trust domain of the grant.
 * @mode:            enum lg_mode deciding what a denial does.
 * @reason:          LG_REASON_NONE when the grant's rules decide; otherwise
 *                   the reason everything is denied (no grant, expired...).
 * @hash_key:        the path hash's key, read with the rest of lg_state so
 *                   the path check does not look the state up again.
 * @scope_id:        the cgroup whose subtree holds the processes this agent
 *                   may signal, trace or read: its registered agent cgroup,
 *                   or its own cgroup when none is registered above it.
 * @scope_level:     the cgroup level of @scope_id.
 * @from_exec:       the root is an agent pod's (LG_ROOT_F_FROM_EXEC): the
 *                   task's children are marked judged at their birth.
 * @root_since_ns:   then the pod's time of registration (lg_root.since_ns):
 *                   which other tasks of the pod are judged too.
 */
struct lg_subject {
	__u64 cgroup_id;
	__u64 agent_cgroup_id;
	__u64 hash_key[2];
	__u64 scope_id;
	__u64 root_since_ns;
	__u32 scope_level;
	__u32 generation;
	__u32 domain;
	__u8 mode;
	__u8 reason;
	__u8 from_exec;
};

/*
 * The root search below has exactly one iteration per bit of root_levels:
 * no bit can be set that the kernel does not check.
 */
_Static_assert(sizeof(((struct lg_state *)0)->root_levels) * 8 == LG_ROOT_LEVELS,
	       "lg_find_root() must check every level lg_state.root_levels can mark");

/*
 * Is cgroup @id the root registered at @level? lg_state.root_at names the
 * root when it is the only one there, so a non-agent usually pays one
 * compare. Where it names none (several roots at the level, or a writer
 * that set the bit alone), lg_roots decides: an unknown entry costs a
 * lookup, never a miss.
 */
static __always_inline bool lg_is_root_at(const struct lg_state *st, int level, __u64 id)
{
	/* The mask is the identity for level < LG_ROOT_LEVELS; it bounds the index. */
	__u64 at = READ_ONCE(st->root_at[level & (LG_ROOT_LEVELS - 1)]);

	if (at)
		return at == id;
	return bpf_map_lookup_elem(&lg_roots, &id) != NULL;
}

/*
 * Find the agent root above the task. Returns the root's level, or -1 for a
 * non-agent. Only levels that hold a root are probed.
 *
 * Decided here, and why it cannot wrongly make an agent a non-agent: the loop
 * bound is the width of the bitmap (LG_ROOT_LEVELS, asserted above), so the
 * loop ends only when no set bit is left unprobed; -1 always means "below no
 * registered root", never "did not look". There is no bit the loop cannot
 * evaluate, and a level the bitmap cannot express cannot hold a root
 * (lg_root_add() refuses roots from LG_MAX_ROOT_LEVEL <= LG_ROOT_LEVELS on,
 * asserted in limits.h). Userspace writes a level's root_at entry before its
 * bit and recomputes both from lg_roots on every change, so a set bit always
 * comes with an entry that names the level's only root, or with none (0),
 * which sends the search to lg_roots.
 * A non-agent pays one ancestor-id call and one compare per set bit at or
 * above its own depth, and nothing else: the loop stops at the highest set
 * bit, or at the first level deeper than the task.
 */
static __always_inline int lg_find_root(const struct lg_state *st, __u64 root_levels,
					__u64 *root_id)
{
	for (int level = 0; level < LG_ROOT_LEVELS; level++) {
		__u64 id;

		/* No root at this level or any deeper one: not an agent. */
		if (!(root_levels >> level))
			return -1;
		if (!((root_levels >> level) & 1))
			continue;
		id = bpf_get_current_ancestor_cgroup_id(level);
		/*
		 * The task's cgroup is shallower than this level, so also
		 * than every deeper root: not an agent.
		 */
		if (!id)
			return -1;
		if (lg_is_root_at(st, level, id)) {
			*root_id = id;
			return level;
		}
	}
	/* Every one of the LG_ROOT_LEVELS bits was checked: no root above. */
	return -1;
}

/* The generation suspended for agent @id, 0 if none. */
static __always_inline __u32 lg_suspended_gen(__u64 id)
{
	__u32 *gen = bpf_map_lookup_elem(&lg_suspended, &id);

	return gen ? *gen : 0;
}

/* Copy a grant header under its lock, so it is never seen half-written. */
static __always_inline bool lg_agent_snapshot(__u64 id, struct lg_agent *out)
{
	struct lg_agent *a = bpf_map_lookup_elem(&lg_agents, &id);

	if (!a)
		return false;
	bpf_spin_lock(&a->lock);
	out->generation = a->generation;
	out->cgroup_id = a->cgroup_id;
	out->expires_ns = a->expires_ns;
	out->domain = a->domain;
	out->mode = a->mode;
	bpf_spin_unlock(&a->lock);
	return true;
}

/*
 * Fill @s for an agent whose root sits at @root_level: walk from the task's
 * own cgroup up to the root and take the first registered agent cgroup.
 */
static __always_inline void lg_resolve_agent(struct lg_subject *s, const struct lg_state *st,
					     int root_level, __u64 root_id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int level = BPF_CORE_READ(task, cgroups, dfl_cgrp, level);
	struct lg_agent g = {};
	__u64 now;

	s->agent_cgroup_id = root_id;
	s->mode = READ_ONCE(st->default_mode);
	s->reason = LG_REASON_NO_GRANT;
	/* Until a registered agent cgroup is found: the task's own cgroup. */
	s->scope_id = s->cgroup_id;
	s->scope_level = level;

	/*
	 * The walk below visits at most LG_MAX_CGROUP_DEPTH levels; a deeper
	 * task would leave levels unvisited, so it is denied outright.
	 */
	if (level - root_level >= LG_MAX_CGROUP_DEPTH) {
		s->reason = LG_REASON_CGROUP_TOO_DEEP;
		return;
	}

	/*
	 * Running out of iterations leaves s->reason at no_grant: a deny. The
	 * check above makes that unreachable (level - root_level + 1 levels
	 * are visited, at most LG_MAX_CGROUP_DEPTH).
	 */
	for (int i = 0; i < LG_MAX_CGROUP_DEPTH; i++) {
		int l = level - i;
		__u64 id;

		/*
		 * Past the root without a registered agent: no grant. Also
		 * the first step when the task moved above the root since
		 * lg_find_root() (level < root_level): a deny, never a skip.
		 */
		if (l < root_level)
			return;
		id = bpf_get_current_ancestor_cgroup_id(l);
		if (!lg_agent_snapshot(id, &g))
			continue;
		s->agent_cgroup_id = id;
		s->scope_id = id;
		s->scope_level = l;
		/*
		 * A different id means the element was deleted and reused
		 * while we read it: the agent is being unregistered. Treat
		 * it as having no grant.
		 */
		if (g.cgroup_id != id || g.generation == 0)
			return;
		s->generation = g.generation;
		s->domain = g.domain;
		s->mode = g.mode;
		now = bpf_ktime_get_boot_ns();
		/* The kernel itself lets a grant lapse: no userspace needed. */
		if (now >= g.expires_ns) {
			s->reason = LG_REASON_EXPIRED;
			return;
		}
		s->reason = lg_suspended_gen(id) == g.generation ? LG_REASON_SUSPENDED :
								   LG_REASON_NONE;
		return;
	}
}

/*
 * Classify the current task. Returns false for a non-agent, which the hook
 * must allow at once without touching anything else.
 */
/*
 * Below a root with LG_ROOT_F_FROM_EXEC (an agent pod), is the current task
 * an agent ("judged")? Yes when it started before the root was registered
 * (what ran in the pod before it was governed is governed from then on),
 * or when it carries LG_TASK_JUDGED: set at its first exec below the root
 * (lg_subject_get_exec()) and at its birth to a judged task (the
 * task_alloc hook), so a judged task can only have judged children and
 * threads. Otherwise the task came in from outside after the registration
 * and has not exec'd since: the container runtime setting up a container
 * (runc or crun init: mounts, pivot_root, its own files) or entering one
 * (kubectl exec). That setup is the host's, not the agent's, and is not
 * judged until the exec of the container's program, which is. Only a
 * process outside every agent can put a task there: an agent can neither
 * leave its cgroup nor move another task in (namespace.bpf.c; cgroupfs is
 * reached only through the file rules).
 */
static __always_inline bool lg_task_judged_or(struct task_struct *task, __u64 since_ns,
					      bool on_failure)
{
	__u32 *mark;

	if (BPF_CORE_READ(task, start_boottime) < since_ns)
		return true;
	/*
	 * With F_CREATE, NULL never means "no mark": a task without storage
	 * gets an empty one (only the runtime's tasks lack a mark, and few).
	 * NULL is a failure: no memory, or before 6.2 the helper's per-CPU
	 * busy count held by another task-storage user on this CPU. Either
	 * way the caller decides (@on_failure): a failed lookup never exempts
	 * a task, nor puts another in an agent's reach.
	 */
	mark = bpf_task_storage_get(&lg_task_marks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!mark)
		return on_failure;
	return *mark & LG_TASK_JUDGED;
}

/* Is the current task judged? A failed lookup judges it. */
static __always_inline bool lg_task_judged(struct task_struct *task, __u64 since_ns)
{
	return lg_task_judged_or(task, since_ns, true);
}

/* Mark @task judged; false when the kernel had no memory for the mark. */
static __always_inline bool lg_task_mark(struct task_struct *task)
{
	__u32 *mark = bpf_task_storage_get(&lg_task_marks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!mark)
		return false;
	__sync_fetch_and_or(mark, LG_TASK_JUDGED);
	return true;
}

/* How the caller judges a task of an agent pod that is not judged yet. */
enum lg_subject_mode {
	LG_SUBJ_EXEMPT, /* not an agent (yet): the container runtime's setup */
	LG_SUBJ_MARK, /* the exec: mark it judged first, then judge it */
};

/*
 * Fill @s for the current task when it is an agent. Returns 1 for an
 * agent, 0 for a non-agent (or a runtime's setup task under @mode
 * LG_SUBJ_EXEMPT), -ENOMEM when @mode is LG_SUBJ_MARK and the mark could
 * not be made: the caller denies, since an unmarked task would be exempt
 * again after its exec.
 */
static __always_inline int lg_subject_resolve(struct lg_subject *s, enum lg_subject_mode mode)
{
	__u32 zero = 0;
	struct lg_state *st = bpf_map_lookup_elem(&lg_state, &zero);
	__u64 levels, root_id = 0;
	int root_level;
	__u64 since_ns = 0;
	bool from_exec;

	/* Index 0 of an array always exists; this only satisfies the verifier. */
	if (!st)
		return 0;
	levels = READ_ONCE(st->root_levels);
	if (!levels)
		return 0;
	root_level = lg_find_root(st, levels, &root_id);
	if (root_level < 0)
		return 0;
	/* The level bound is the identity here; it only bounds the shift. */
	from_exec = (READ_ONCE(st->exec_root_levels) >> (root_level & (LG_ROOT_LEVELS - 1))) & 1;
	if (from_exec) {
		struct lg_root *r = bpf_map_lookup_elem(&lg_roots, &root_id);
		struct task_struct *task = bpf_get_current_task_btf();

		/*
		 * Another root of the same level, or this one just removed:
		 * no entry, or no flag. Then the task is an agent like any
		 * other below a root (never exempt on doubt).
		 */
		from_exec = r && (READ_ONCE(r->flags) & LG_ROOT_F_FROM_EXEC);
		if (from_exec)
			since_ns = READ_ONCE(r->since_ns);
		if (from_exec && !lg_task_judged(task, since_ns)) {
			if (mode == LG_SUBJ_EXEMPT)
				return 0;
			if (!lg_task_mark(task))
				return -ENOMEM;
		}
	}

	__builtin_memset(s, 0, sizeof(*s));
	s->cgroup_id = bpf_get_current_cgroup_id();
	s->hash_key[0] = READ_ONCE(st->hash_key0);
	s->hash_key[1] = READ_ONCE(st->hash_key1);
	s->from_exec = from_exec;
	s->root_since_ns = since_ns;
	lg_resolve_agent(s, st, root_level, root_id);
	return 1;
}

/*
 * Does any agent pod's root exist? One array lookup: task_alloc asks it
 * first, so a fork on a host without agent pods (or of a non-agent with
 * no clone flag to judge) costs no root search. exec_root_levels is set
 * before root_levels (sync_root_index()), and a fork that raced a new
 * pod root started before its stamp (lg_root_add_flags()): judged.
 */
static __always_inline bool lg_pod_roots_exist(void)
{
	__u32 zero = 0;
	struct lg_state *st = bpf_map_lookup_elem(&lg_state, &zero);

	return st && READ_ONCE(st->exec_root_levels);
}

/* Is the current task an agent? @s filled when it is. */
static __always_inline bool lg_subject_get(struct lg_subject *s)
{
	return lg_subject_resolve(s, LG_SUBJ_EXEMPT) > 0;
}

#endif /* LG_BPF_AGENT_H */

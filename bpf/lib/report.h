/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/report.h - turning a decision into a return value, counters and,
 * for every denial or audited would-be denial, an event.
 */
#ifndef LG_BPF_REPORT_H
#define LG_BPF_REPORT_H

#include "agent.h"

/*
 * Start the target of a claimed event (per-CPU scratch holds the previous
 * event's): kind @kind, every target field empty. Each decision then fills
 * in what its kind reports.
 */
static __always_inline void lg_event_clear_target(struct lg_event *ev, __u8 kind)
{
	ev->target_kind = kind;
	ev->target_len = 0;
	ev->target_domain = 0;
	ev->family = 0;
	ev->sock_type = 0;
	ev->port = 0;
	ev->walk_check = LG_WALK_CHECK_NONE;
	__builtin_memset(ev->addr, 0, sizeof(ev->addr));
}

static __always_inline void lg_count(enum lg_hook hook, enum lg_counter ctr)
{
	__u32 key = hook * LG_CTR_MAX + ctr;
	__u64 *v = bpf_map_lookup_elem(&lg_counters, &key);

	if (v)
		*v += 1; /* per-CPU: no atomic needed */
}

/* The budget events of @agent draw on: its own entry, made at its first event. */
static __always_inline struct lg_event_budget *lg_budget_of(__u64 agent, __u64 now, __u64 *key)
{
	struct lg_event_budget fresh = {
		.agent = agent,
		.credit_ns = LG_EVENT_BURST * LG_EVENT_COST_NS,
		.last_ns = now,
	};
	struct lg_event_budget *b;

	*key = agent;
	b = bpf_map_lookup_elem(&lg_event_budgets, &agent);
	if (b)
		return b;
	/* -EEXIST (another CPU made it meanwhile) is as good as success. */
	bpf_map_update_elem(&lg_event_budgets, &agent, &fresh, BPF_NOEXIST);
	b = bpf_map_lookup_elem(&lg_event_budgets, &agent);
	if (b)
		return b;
	/* The map is full or out of memory: the spill entry's budget, shared. */
	*key = LG_EVENT_SPILL;
	return bpf_map_lookup_elem(&lg_event_budgets, key);
}

/* Refill @b's credit up to @now (under its lock). */
static __always_inline void lg_budget_refill(struct lg_event_budget *b, __u64 now)
{
	/* Boot time read on another CPU may be a little behind: never go back. */
	if (now > b->last_ns) {
		b->credit_ns += now - b->last_ns;
		b->last_ns = now;
	}
	if (b->credit_ns > LG_EVENT_BURST * LG_EVENT_COST_NS)
		b->credit_ns = LG_EVENT_BURST * LG_EVENT_COST_NS;
}

/* Outcomes of lg_budget_take(). */
enum lg_budget_verdict {
	LG_BUDGET_SEND, /* within the budget: to be sent, counted when the ring answers */
	LG_BUDGET_OVER, /* over it: counted as suppressed, not to be sent */
	LG_BUDGET_NONE, /* no entry to count in: send, counted in no budget */
};

/*
 * Take one event's cost from @b (entry @key). An event over the budget is
 * counted here, as suppressed; one within it is counted by
 * lg_budget_note() once the ring has answered, as sent or as lost, so that
 * each event is counted once and no count ever goes down.
 */
static __always_inline enum lg_budget_verdict lg_budget_take(struct lg_event_budget *b, __u64 key,
							     __u64 now)
{
	enum lg_budget_verdict v = LG_BUDGET_OVER;

	bpf_spin_lock(&b->lock);
	/*
	 * Another id: userspace retired the entry (LG_EVENT_RETIRED: its agent
	 * is gone), or removed it and the element was reused while this
	 * program held it. Not this agent's to count in: the caller turns to
	 * the spill entry.
	 */
	if (b->agent != key) {
		bpf_spin_unlock(&b->lock);
		return LG_BUDGET_NONE;
	}
	lg_budget_refill(b, now);
	if (b->credit_ns >= LG_EVENT_COST_NS) {
		b->credit_ns -= LG_EVENT_COST_NS;
		v = LG_BUDGET_SEND;
	} else {
		b->suppressed++;
	}
	bpf_spin_unlock(&b->lock);
	return v;
}

/*
 * Count one event in @b as sent or as lost. False when @b is no longer
 * entry @key's (see lg_budget_take()).
 */
static __always_inline bool lg_budget_count(struct lg_event_budget *b, __u64 key, bool sent)
{
	bool mine;

	bpf_spin_lock(&b->lock);
	mine = b->agent == key;
	if (mine && sent)
		b->sent++;
	else if (mine)
		b->lost++;
	bpf_spin_unlock(&b->lock);
	return mine;
}

/* Count one event as sent or lost in @b (entry @key), or else in the spill entry. */
static __always_inline void lg_budget_note(struct lg_event_budget *b, __u64 key, bool sent)
{
	if (b && lg_budget_count(b, key, sent))
		return;
	key = LG_EVENT_SPILL;
	b = bpf_map_lookup_elem(&lg_event_budgets, &key);
	if (b)
		lg_budget_count(b, key, sent);
}

/*
 * An event of @agent that cannot be sent at all (no scratch slot): counted
 * lost, in the agent's entry (or the spill entry, as in lg_emit()) as in
 * the hook's counter.
 */
static __always_inline void lg_event_lost(__u64 agent, enum lg_hook hook)
{
	__u64 key, now = bpf_ktime_get_boot_ns();
	struct lg_event_budget *b = lg_budget_of(agent, now, &key);

	lg_count(hook, LG_CTR_EVENTS_LOST);
	lg_budget_note(b, key, false);
}

/*
 * Send @ev (header plus target_len bytes of target), if the agent's budget
 * allows: an agent denied without pause has a burst of LG_EVENT_BURST
 * events, then LG_EVENT_RATE_PER_S a second, so that its flood cannot fill
 * the ring and hide another agent's events. Over the budget the event is
 * counted as suppressed (per agent, and per hook); within it, a full ring
 * loses the event, counted as lost. Never the decision: the caller returns
 * the verdict whatever happens here.
 */
static __always_inline void lg_emit(enum lg_hook hook, struct lg_event *ev)
{
	__u64 key, now = ev->time_ns, size;
	struct lg_event_budget *b = lg_budget_of(ev->agent_cgroup_id, now, &key);
	enum lg_budget_verdict v = b ? lg_budget_take(b, key, now) : LG_BUDGET_NONE;

	/* The agent's entry went away under us: the spill entry counts it. */
	if (v == LG_BUDGET_NONE && key != LG_EVENT_SPILL) {
		key = LG_EVENT_SPILL;
		b = bpf_map_lookup_elem(&lg_event_budgets, &key);
		v = b ? lg_budget_take(b, key, now) : LG_BUDGET_NONE;
	}
	if (v == LG_BUDGET_OVER) {
		lg_count(hook, LG_CTR_EVENTS_SUPPRESSED);
		return;
	}
	/*
	 * Read the length here, next to its use: computed before the budget
	 * calls, clang kept the unbounded sum on the stack and the verifier
	 * lost the bound below ("R3 unbounded memory access").
	 */
	size = LG_EVENT_HEADER_SIZE + ev->target_len;
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	/* Keep the clamped value in the register the helper gets. */
	barrier_var(size);
	if (bpf_ringbuf_output(&lg_events, ev, size, 0)) {
		lg_count(hook, LG_CTR_EVENTS_LOST);
		if (v == LG_BUDGET_SEND)
			lg_budget_note(b, key, false);
		return;
	}
	if (v == LG_BUDGET_SEND)
		lg_budget_note(b, key, true);
}

/* What a decided denial returns: allowed in audit mode, else -EACCES. */
static __always_inline int lg_verdict(const struct lg_subject *s, enum lg_hook hook)
{
	if (s->mode == LG_MODE_AUDIT) {
		lg_count(hook, LG_CTR_AUDITED);
		return 0;
	}
	lg_count(hook, LG_CTR_DENIED);
	return -EACCES;
}

/*
 * lg_decide() without the event, for checks the kernel itself makes
 * without auditing (CAP_OPT_NOAUDIT, PTRACE_MODE_NOAUDIT): probes such as
 * "may this reader see that field", which a denial answers, not reports.
 */
static __always_inline int lg_decide_quiet(const struct lg_subject *s, enum lg_hook hook,
					   __u8 reason)
{
	if (reason == LG_REASON_NONE) {
		lg_count(hook, LG_CTR_ALLOWED);
		return 0;
	}
	return lg_verdict(s, hook);
}

/*
 * The single exit of every agent decision. @ev may be NULL when no scratch
 * slot could be claimed: the decision stands and the lost event is counted.
 * Returns what the hook must return.
 */
static __always_inline int lg_decide(const struct lg_subject *s, enum lg_hook hook, __u32 access,
				     __u8 reason, struct lg_event *ev)
{
	if (reason == LG_REASON_NONE) {
		lg_count(hook, LG_CTR_ALLOWED);
		return 0;
	}

	if (ev) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		__u64 uid_gid = bpf_get_current_uid_gid();

		ev->time_ns = bpf_ktime_get_boot_ns();
		ev->cgroup_id = s->cgroup_id;
		ev->agent_cgroup_id = s->agent_cgroup_id;
		ev->pid = (__u32)pid_tgid;
		ev->tgid = pid_tgid >> 32;
		ev->uid = (__u32)uid_gid;
		ev->gid = uid_gid >> 32;
		ev->domain = s->domain;
		ev->generation = s->generation;
		ev->hook = hook;
		ev->access = access;
		ev->reason = reason;
		ev->action = s->mode == LG_MODE_AUDIT ? LG_ACTION_AUDITED : LG_ACTION_DENIED;
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
		lg_emit(hook, ev);
	} else {
		lg_event_lost(s->agent_cgroup_id, hook);
	}

	return lg_verdict(s, hook);
}

#endif /* LG_BPF_REPORT_H */

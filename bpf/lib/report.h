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

/*
 * Send @ev (header plus target_len bytes of target). A full ring buffer
 * loses the event, never the decision; the loss is counted.
 */
static __always_inline void lg_emit(enum lg_hook hook, struct lg_event *ev)
{
	__u64 size = LG_EVENT_HEADER_SIZE + ev->target_len;

	if (size > sizeof(*ev))
		size = sizeof(*ev);
	if (bpf_ringbuf_output(&lg_events, ev, size, 0))
		lg_count(hook, LG_CTR_EVENTS_LOST);
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
		lg_count(hook, LG_CTR_EVENTS_LOST);
	}

	return lg_verdict(s, hook);
}

#endif /* LG_BPF_REPORT_H */

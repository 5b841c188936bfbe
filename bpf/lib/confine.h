/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/confine.h - decisions of the confinement hooks: actions no grant
 * allows an agent (bpf, most capabilities, mounts, namespaces, the host),
 * and actions on other processes, allowed inside the agent's scope only.
 */
#ifndef LG_BPF_CONFINE_H
#define LG_BPF_CONFINE_H

#include "report.h"
#include "scratch.h"

#define TASK_COMM_LEN 16

/*
 * Report a denial whose target is a number: @value is the capability for
 * LG_TARGET_CAPABILITY, the operation for LG_TARGET_OP (abi.h).
 */
static __always_inline int lg_confine_decide(const struct lg_subject *s, enum lg_hook hook,
					     __u32 access, __u8 reason, __u8 kind, __u32 value)
{
	struct lg_scratch *sc;
	int ret;

	if (reason == LG_REASON_NONE)
		return lg_decide(s, hook, access, reason, NULL);
	sc = lg_scratch_claim();
	if (!sc)
		return lg_decide(s, hook, access, reason, NULL);
	lg_event_clear_target(&sc->ev, kind);
	if (kind == LG_TARGET_CAPABILITY)
		sc->ev.port = value;
	else
		sc->ev.target_domain = value;
	ret = lg_decide(s, hook, access, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

/* Deny an action no grant allows an agent, with the operation asked for. */
static __always_inline int lg_confine(enum lg_hook hook, __u32 access, __u32 op)
{
	struct lg_subject s;

	if (!lg_subject_get(&s))
		return 0;
	return lg_confine_decide(&s, hook, access, LG_REASON_CONFINED, LG_TARGET_OP, op);
}

/*
 * Is @t inside the agent's scope, the subtree of s->scope_id? Its cgroup
 * must be at or below the scope's level and have the scope as its ancestor
 * at that level. Any read that fails is "outside": a deny. In an agent pod
 * the container runtime's tasks that are not judged yet (bpf/lib/agent.h)
 * are outside too: an agent that could trace or signal them could run its
 * code where nothing judges it. That needs @t's task storage, which the
 * verifier grants only for a task the hook was handed (@trusted); a task
 * found by walking kernel pointers (a terminal's session leader) is judged
 * by its cgroup alone.
 */
static __always_inline bool lg_task_in_scope(const struct lg_subject *s, struct task_struct *t,
					     bool trusted)
{
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	struct cgroup *anc = NULL;
	struct cgroup **slot;

	if (!cg)
		return false;
	if (BPF_CORE_READ(cg, level) < (int)s->scope_level)
		return false;
	/* ancestors[] has level + 1 entries: scope_level is one of them. */
	slot = (struct cgroup **)((char *)cg + bpf_core_field_offset(cg->ancestors)) +
	       s->scope_level;
	if (bpf_core_read(&anc, sizeof(anc), slot) || !anc)
		return false;
	if (BPF_CORE_READ(anc, kn, id) != s->scope_id)
		return false;
	/* Here a failed lookup is "not judged": out of reach, a deny. */
	return !trusted || !s->from_exec || lg_task_judged_or(t, s->root_since_ns, false);
}

/*
 * The decision of every hook on another process: inside the scope it is
 * the agent's own business (no grant needed), outside it is denied. A
 * @quiet check (the kernel's NOAUDIT probes) is denied without an event.
 */
static __always_inline int lg_task_decide_subject(const struct lg_subject *s, enum lg_hook hook,
						  __u32 access, struct task_struct *t, bool quiet,
						  bool trusted)
{
	struct lg_scratch *sc;
	int ret, len;

	if (lg_task_in_scope(s, t, trusted))
		return lg_decide(s, hook, access, LG_REASON_NONE, NULL);
	if (quiet)
		return lg_decide_quiet(s, hook, LG_REASON_OUT_OF_SCOPE);
	sc = lg_scratch_claim();
	if (!sc)
		return lg_decide(s, hook, access, LG_REASON_OUT_OF_SCOPE, NULL);
	lg_event_clear_target(&sc->ev, LG_TARGET_TASK);
	sc->ev.target_domain = BPF_CORE_READ(t, tgid);
	len = bpf_probe_read_kernel_str(sc->ev.target, TASK_COMM_LEN, t->comm);
	sc->ev.target_len = len > 1 ? len - 1 : 0;
	ret = lg_decide(s, hook, access, LG_REASON_OUT_OF_SCOPE, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

static __always_inline int lg_task_decide(enum lg_hook hook, __u32 access, struct task_struct *t,
					  bool quiet)
{
	struct lg_subject s;

	if (!lg_subject_get(&s))
		return 0;
	return lg_task_decide_subject(&s, hook, access, t, quiet, true);
}

#endif /* LG_BPF_CONFINE_H */

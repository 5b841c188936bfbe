// SPDX-License-Identifier: GPL-2.0
/*
 * event_budgets.c - each agent's event budget, as the programs keep it
 * (bpf/lib/report.h): what was suppressed or lost, handed to the caller
 * once, and the entries of agents that are gone removed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "enforcer.h"

/* Entries read per batch syscall. */
#define BUDGET_BATCH 1024

int lg_event_budgets_init(struct lg_enforcer *e)
{
	struct lg_event_budget spill = {
		.agent = LG_EVENT_SPILL,
		.credit_ns = LG_EVENT_BURST * LG_EVENT_COST_NS,
		.last_ns = lg_boottime_ns(),
	};
	__u64 key = LG_EVENT_SPILL;

	/* Adopted maps already have it: keep its counts. */
	if (bpf_map_update_elem(e->fds[LG_MAP_EVENT_BUDGETS], &key, &spill, BPF_NOEXIST) &&
	    errno != EEXIST)
		return lg_err(-errno, "creating the shared event budget failed: %s",
			      strerror(errno));
	return 0;
}

/* Is @id still one an event can name: a registered agent or a root? */
static bool id_in_use(struct lg_enforcer *e, __u64 id)
{
	struct lg_agent a;
	struct lg_root r;

	if (id == LG_EVENT_SPILL)
		return true;
	if (!bpf_map_lookup_elem_flags(e->fds[LG_MAP_AGENTS], &id, &a, BPF_F_LOCK) ||
	    errno != ENOENT)
		return true; /* an error reading is not proof it is gone */
	return !bpf_map_lookup_elem(e->fds[LG_MAP_ROOTS], &id, &r) || errno != ENOENT;
}

/*
 * Retire @id's entry (its agent is gone): marked LG_EVENT_RETIRED under its
 * lock, so that a program still holding it counts in the spill entry from
 * now on, and it is removed one sweep later (take_retired()), when none can
 * hold it any more. Removed at once instead, a program could still count in
 * the freed element after its last read. @v is what was just read; a
 * program on the entry between that read and this write (one whose agent
 * is gone, so one that was already running) would have its count undone.
 */
static void retire_budget(struct lg_enforcer *e, __u64 id, const struct lg_event_budget *v)
{
	struct lg_event_budget r = *v;

	r.agent = LG_EVENT_RETIRED;
	/* Failing, it stays as it is: the next sweep tries again. */
	bpf_map_update_elem(e->fds[LG_MAP_EVENT_BUDGETS], &id, &r, BPF_EXIST | BPF_F_LOCK);
}

/* Remove a retired entry, taking its last counts with it into @v. */
static int take_retired(struct lg_enforcer *e, __u64 id, struct lg_event_budget *v)
{
	if (bpf_map_lookup_and_delete_elem_flags(e->fds[LG_MAP_EVENT_BUDGETS], &id, v, BPF_F_LOCK))
		return -errno;
	return 0;
}

static void tally_one(struct lg_enforcer *e, __u64 id, const struct lg_event_budget *v, bool gone,
		      lg_tally_fn fn, void *ctx)
{
	int rfd = e->fds[LG_MAP_EVENTS_REPORTED];
	struct lg_events_reported rep = { 0 };
	struct lg_event_tally t = {
		.agent = id,
		.sent = v->sent,
		.suppressed = v->suppressed,
		.lost = v->lost,
		.gone = gone,
	};

	if ((v->suppressed || v->lost || gone) && bpf_map_lookup_elem(rfd, &id, &rep))
		memset(&rep, 0, sizeof(rep));
	/* Counts only grow while the entry lives: more reported means a new entry. */
	if (rep.suppressed > v->suppressed || rep.lost > v->lost)
		memset(&rep, 0, sizeof(rep));
	t.new_suppressed = v->suppressed - rep.suppressed;
	t.new_lost = v->lost - rep.lost;
	if (t.new_suppressed || t.new_lost || gone)
		fn(ctx, &t);
	if (gone) {
		bpf_map_delete_elem(rfd, &id);
		return;
	}
	if (!t.new_suppressed && !t.new_lost)
		return;
	rep.suppressed = v->suppressed;
	rep.lost = v->lost;
	/*
	 * Full (cannot be: it has as many entries as the budgets) or an
	 * error: the next call reports these again rather than never.
	 */
	bpf_map_update_elem(rfd, &id, &rep, BPF_ANY);
}

/*
 * One batch read: hand over its entries; with @sweep, retire those of gone
 * agents and remove those retired a sweep ago (in a visited bucket, so the
 * walk goes on unchanged).
 */
static void tally_batch(struct lg_enforcer *e, __u64 *keys, struct lg_event_budget *vals, __u32 n,
			bool sweep, lg_tally_fn fn, void *ctx)
{
	for (__u32 i = 0; i < n; i++) {
		bool gone = false;

		if (sweep && vals[i].agent == LG_EVENT_RETIRED)
			gone = !take_retired(e, keys[i], &vals[i]);
		else if (sweep && !id_in_use(e, keys[i]))
			retire_budget(e, keys[i], &vals[i]);
		/*
		 * A retired entry's counts were reported the sweep before (no
		 * program counts in it since): removing it loses nothing.
		 */
		tally_one(e, keys[i], &vals[i], gone, fn, ctx);
	}
}

int lg_event_tallies(struct lg_enforcer *e, bool sweep, lg_tally_fn fn, void *ctx)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(opts), .elem_flags = BPF_F_LOCK };
	int fd = e->fds[LG_MAP_EVENT_BUDGETS], total = 0, err = 0;
	struct lg_event_budget *vals = calloc(BUDGET_BATCH, sizeof(*vals));
	__u64 *keys = calloc(BUDGET_BATCH, sizeof(*keys));
	__u64 in = 0, out = 0;
	bool first = true;

	if (!keys || !vals)
		err = lg_err(-ENOMEM, "out of memory");
	/* The map's own bound ends the walk, whatever the cursor does. */
	while (!err && total < LG_EVENT_BUDGETS) {
		__u32 count = BUDGET_BATCH;
		/* Each entry is copied under its lock: no half-updated counts. */
		int rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count,
					      &opts);
		int why = rc ? errno : 0;

		/* ENOENT: this was the last batch, with @count entries still. */
		if (why && why != ENOENT) {
			err = lg_err(-why, "reading the event budgets failed: %s", strerror(why));
			break;
		}
		tally_batch(e, keys, vals, count, sweep, fn, ctx);
		total += count;
		if (why == ENOENT)
			break;
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return err ? err : total;
}

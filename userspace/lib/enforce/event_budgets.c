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
 * Remove @id's entry, taking its last counts with it: whatever the
 * programs added before the removal is in @v. (One still running on the
 * removed element counts in the spill entry: report.h.)
 */
static int remove_budget(struct lg_enforcer *e, __u64 id, struct lg_event_budget *v)
{
	int fd = e->fds[LG_MAP_EVENT_BUDGETS];

	if (bpf_map_lookup_and_delete_elem_flags(fd, &id, v, BPF_F_LOCK))
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

/* One batch read: hand over its entries, remove the gone ones (a visited bucket). */
static void tally_batch(struct lg_enforcer *e, __u64 *keys, struct lg_event_budget *vals, __u32 n,
			bool sweep, lg_tally_fn fn, void *ctx)
{
	for (__u32 i = 0; i < n; i++) {
		bool gone = sweep && !id_in_use(e, keys[i]);

		if (gone && remove_budget(e, keys[i], &vals[i]))
			gone = false; /* not removed: the next sweep tries again */
		tally_one(e, keys[i], &vals[i], gone, fn, ctx);
	}
}

int lg_event_tallies(struct lg_enforcer *e, bool sweep, lg_tally_fn fn, void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * test_event_budgets.c - the shared spill event budget (bpf/lib/report.h,
 * lg_budget_of()): with lg_event_budgets full, an agent without an entry of
 * its own counts its events in the entry keyed LG_EVENT_SPILL, which every
 * such agent shares. The map holds LG_EVENT_BUDGETS entries, more agents
 * than the fixture can register, so the tests fill it from userspace with
 * entries no cgroup has, and always take them out again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "enforcer.h"
#include "fixture.h"
#include "harness.h"
#include "worker.h"

/* Filler keys: ids no cgroup has (cgroup ids count up from 1). */
#define FILLER_BIT (1ULL << 62)
/* What the agents open: they have no grant, so every open is refused. */
#define DENIED_PATH FX_DIR "/secret"
/* a1's burst: well over the burst a budget allows. */
#define BURST_DENIALS (2 * LG_EVENT_BURST)
/* a2's denials just after it: enough to outrun the refill of the budget. */
#define SHARED_DENIALS 50
/* How long events get to arrive from the ring. */
#define EVENT_WAIT_MS 2000
#define DRAIN_MS 500

/* The filler entries a test put in the map, to be taken out again. */
struct filler {
	__u64 *keys;
	struct lg_event_budget *vals;
	__u32 n;
};

static int budgets_fd(void)
{
	return fx->fds[LG_MAP_EVENT_BUDGETS];
}

/* @key's entry, copied under its lock: 0 or a positive errno. */
static int budget_get(__u64 key, struct lg_event_budget *b)
{
	memset(b, 0, sizeof(*b));
	return bpf_map_lookup_elem_flags(budgets_fd(), &key, b, BPF_F_LOCK) ? errno : 0;
}

/* Every event of the entry is counted once: as sent, suppressed or lost. */
static __u64 budget_events(const struct lg_event_budget *b)
{
	return b->sent + b->suppressed + b->lost;
}

/* Entries in the map now, and of them those with the filler bit. */
static int budget_entries(int *fillers)
{
	__u64 key, next;
	int n = 0, fd = budgets_fd();
	bool first = true;

	*fillers = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		n++;
		*fillers += !!(next & FILLER_BIT);
		key = next;
		first = false;
	}
	return n;
}

static int budget_max_entries(void)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(budgets_fd(), &info, &len))
		return -errno;
	return (int)info.max_entries;
}

/*
 * Remove @agent's entry, and the record of what was reported of it: its
 * next event makes a fresh entry. The counts of the old one are gone with
 * it (nothing reports them); the reported record must go too, since
 * lg_event_tallies() would take its counts as already reported of the new
 * entry until the new one's exceed them. The element it frees is room the
 * fill below takes, so this comes first.
 */
static void budget_forget(__u64 agent)
{
	bpf_map_delete_elem(budgets_fd(), &agent);
	bpf_map_delete_elem(fx->fds[LG_MAP_EVENTS_REPORTED], &agent);
}

/*
 * Fill the map with filler entries until the kernel refuses one. Returns
 * the errno that stopped the fill (0: none did); @f->n is how many went in.
 */
static int fill(struct filler *f, int room)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(opts) };
	/* One more than there is room for, so that the kernel must refuse one. */
	__u32 n = room + 1;
	int err;

	f->keys = calloc(n, sizeof(*f->keys));
	f->vals = calloc(n, sizeof(*f->vals));
	if (!f->keys || !f->vals)
		return ENOMEM;
	for (__u32 i = 0; i < n; i++) {
		f->keys[i] = FILLER_BIT | i;
		/* As the programs make an entry: its own key in @agent. */
		f->vals[i].agent = f->keys[i];
	}
	/* Writes in order and stops at the first refusal, with the count done. */
	err = bpf_map_update_batch(budgets_fd(), f->keys, f->vals, &n, &opts) ? errno : 0;
	f->n = n;
	return err;
}

/* Take the fillers out again: 0 or a positive errno. */
static int unfill(struct filler *f)
{
	struct bpf_map_batch_opts opts = { .sz = sizeof(opts) };
	__u32 n = f->n;
	int err = 0;

	if (n && bpf_map_delete_batch(budgets_fd(), f->keys, &n, &opts))
		err = errno;
	free(f->keys);
	free(f->vals);
	memset(f, 0, sizeof(*f));
	return err;
}

/*
 * Forget a1's and a2's entries, then fill the map: true when it is full
 * with exactly the room there was, and the kernel refuses one more.
 */
static bool fill_up(struct filler *f)
{
	int max = budget_max_entries(), fillers, before, err;
	struct lg_event_budget b;
	__u64 extra;

	budget_forget(fx_a1);
	budget_forget(fx_a2);
	before = budget_entries(&fillers);
	if (!CHECK(max == LG_EVENT_BUDGETS, "max_entries %d, want LG_EVENT_BUDGETS %d", max,
		   LG_EVENT_BUDGETS) ||
	    !CHECK(fillers == 0, "no filler left by an earlier test: %d", fillers) ||
	    !CHECK(budget_get(fx_a1, &b) == ENOENT, "a1 has no entry before the fill"))
		return false;
	err = fill(f, max - before);
	printf("    filled %u of %d max_entries (%d entries there before), then %s\n", f->n, max,
	       before, ktest_errname(err));
	/* A hash map without preallocation refuses an element over max_entries. */
	CHECK_ERR(err, E2BIG, "the insert over max_entries");
	if (!CHECK((int)f->n == max - before, "filled %u, want max_entries - before = %d", f->n,
		   max - before))
		return false;
	/* One more, alone, as the programs insert (BPF_NOEXIST): a key not yet in. */
	extra = FILLER_BIT | (max - before + 1);
	err = bpf_map_update_elem(budgets_fd(), &extra, &f->vals[0], BPF_NOEXIST) ? errno : 0;
	if (!err)
		bpf_map_delete_elem(budgets_fd(), &extra);
	return CHECK_ERR(err, E2BIG, "one more entry in the full map");
}

/* In the worker: open r->path r->arg times. 0 when each was refused EACCES. */
static int open_refused_n(const struct worker_req *r)
{
	for (int i = 0; i < r->arg; i++) {
		int fd = open(r->path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			return -1; /* allowed: not what the test needs */
		}
		if (errno != EACCES)
			return errno;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool is_agent(const struct lg_event *ev, const void *agent)
{
	return ev->agent_cgroup_id == *(const uint64_t *)agent;
}

/* One denial of a1, and the event that names it. */
static bool denied_once(struct worker *w, const char *what)
{
	const struct lg_event *ev;

	if (!CHECK_ERR(w_open(w, DENIED_PATH, O_RDONLY), EACCES, what))
		return false;
	ev = fx_wait_event_if(w->pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, is_agent, &fx_a1,
			      EVENT_WAIT_MS);
	return CHECK(ev != NULL, "%s: the denial event arrives, naming agent a1 (%llu)", what,
		     (unsigned long long)fx_a1);
}

/* Spill growth from @a to @b, printed as "what". */
static void print_growth(const char *what, const struct lg_event_budget *a,
			 const struct lg_event_budget *b)
{
	printf("    %s: spill sent +%llu, suppressed +%llu, lost +%llu\n", what,
	       (unsigned long long)(b->sent - a->sent),
	       (unsigned long long)(b->suppressed - a->suppressed),
	       (unsigned long long)(b->lost - a->lost));
}

/*
 * One denial of a1 (@what), with the spill entry read before (@s0) and
 * after (@s1) it: false when any of it failed.
 */
static bool spill_around_denial(struct worker *w, const char *what, struct lg_event_budget *s0,
				struct lg_event_budget *s1)
{
	return CHECK(budget_get(LG_EVENT_SPILL, s0) == 0, "the spill entry exists") &&
	       denied_once(w, what) &&
	       CHECK(budget_get(LG_EVENT_SPILL, s1) == 0, "the spill entry, after");
}

/* The map full: a1's denial is sent from the spill entry; a1 gets none. */
static void spill_takes_one(struct worker *w)
{
	struct lg_event_budget s0, s1, own;

	if (!spill_around_denial(w, "a1 denied, the map full", &s0, &s1))
		return;
	print_growth("a1's denial", &s0, &s1);
	CHECK(s1.sent - s0.sent == 1, "the spill's sent grew by 1: %llu",
	      (unsigned long long)(s1.sent - s0.sent));
	CHECK(budget_events(&s1) - budget_events(&s0) == 1, "and nothing else grew");
	CHECK(budget_get(fx_a1, &own) == ENOENT, "a1 has no entry of its own (the map is full)");
}

/* Room again: a1's next denial makes its own entry; the spill stays. */
static void own_entry_again(struct worker *w)
{
	struct lg_event_budget s0, s1, own;

	if (!spill_around_denial(w, "a1 denied, the map with room", &s0, &s1))
		return;
	if (!CHECK(budget_get(fx_a1, &own) == 0, "a1 has an entry of its own again"))
		return;
	printf("    a1's own entry: sent %llu, suppressed %llu, lost %llu; spill +%llu\n",
	       (unsigned long long)own.sent, (unsigned long long)own.suppressed,
	       (unsigned long long)own.lost,
	       (unsigned long long)(budget_events(&s1) - budget_events(&s0)));
	CHECK(own.agent == fx_a1, "its entry names a1: %llu", (unsigned long long)own.agent);
	CHECK(own.sent == 1 && own.suppressed == 0 && own.lost == 0,
	      "its entry counts the one denial as sent: %llu/%llu/%llu",
	      (unsigned long long)own.sent, (unsigned long long)own.suppressed,
	      (unsigned long long)own.lost);
	CHECK(budget_events(&s1) == budget_events(&s0), "the spill entry did not grow: +%llu",
	      (unsigned long long)(budget_events(&s1) - budget_events(&s0)));
}

/* Take the fillers out, and show none is left. */
static void empty_again(struct filler *f)
{
	int fillers, err = unfill(f);

	CHECK_ERR(err, 0, "removing the fillers");
	budget_entries(&fillers);
	CHECK(fillers == 0, "no filler left: %d", fillers);
}

/*
 * With the map full, a1 without an entry has its denial counted in the
 * spill entry and sent; once there is room, its next denial makes its own.
 */
KTEST(event_budget_spill_when_map_full)
{
	struct filler f = { 0 };
	struct worker w;
	bool full;

	REQUIRE(worker_start(&w, FX_A1, "lg-spill") == 0, "start worker");
	full = fill_up(&f);
	if (full)
		spill_takes_one(&w);
	/* Whatever failed above: the fillers go, so later tests are unaffected. */
	empty_again(&f);
	if (full)
		own_entry_again(&w);
	worker_stop(&w);
}

/* What lg_event_tallies() handed over for the spill entry. */
struct spill_tally {
	int calls;
	struct lg_event_tally t;
};

static void on_tally(void *ctx, const struct lg_event_tally *t)
{
	struct spill_tally *st = ctx;

	if (t->agent != LG_EVENT_SPILL)
		return;
	st->calls++;
	st->t = *t;
}

/* The spill entry before, between and after the two agents' denials. */
struct spill_run {
	struct lg_event_budget s0, s1, s2;
	double burst_s; /* how long a1's burst took */
};

/*
 * a1's burst in one process, then at once a2's denials (before any wait
 * for events, in which the spill's credit would refill): the spill entry
 * read before, between and after.
 */
static bool deny_both(struct worker *a1, struct worker *a2, struct spill_run *r)
{
	double t0;

	if (!CHECK(budget_get(LG_EVENT_SPILL, &r->s0) == 0, "the spill entry, before"))
		return false;
	t0 = now_s();
	if (!CHECK_ERR(w_call(a1, open_refused_n, 0, BURST_DENIALS, DENIED_PATH), 0,
		       "a1's burst, each open refused"))
		return false;
	r->burst_s = now_s() - t0;
	if (!CHECK(budget_get(LG_EVENT_SPILL, &r->s1) == 0, "the spill entry, after a1"))
		return false;
	if (!CHECK_ERR(w_call(a2, open_refused_n, 0, SHARED_DENIALS, DENIED_PATH), 0,
		       "a2's denials, each open refused"))
		return false;
	return CHECK(budget_get(LG_EVENT_SPILL, &r->s2) == 0, "the spill entry, after a2");
}

/*
 * a1's burst: every denial counted in the spill entry, at most a budget's
 * worth of them sent (the burst, and the refill while it ran), every sent
 * one received.
 */
static void check_burst(const struct spill_run *r, int got)
{
	const struct lg_event_budget *s0 = &r->s0, *s1 = &r->s1;
	/* The credit is at most the burst at the start, then refills as time goes. */
	__u64 budget = LG_EVENT_BURST + (__u64)(r->burst_s * LG_EVENT_RATE_PER_S) + 1;
	__u64 sent = s1->sent - s0->sent;

	print_growth("a1's burst", s0, s1);
	printf("    a1: %d denials in %.3f s, %d events received\n", BURST_DENIALS, r->burst_s,
	       got);
	CHECK(budget_events(s1) - budget_events(s0) == BURST_DENIALS,
	      "the spill counted each of a1's %d denials once: %llu", BURST_DENIALS,
	      (unsigned long long)(budget_events(s1) - budget_events(s0)));
	CHECK(s1->suppressed > s0->suppressed, "some of a1's burst was suppressed");
	CHECK(sent <= budget, "at most the budget was sent: %llu of %llu", (unsigned long long)sent,
	      (unsigned long long)budget);
	CHECK((__u64)got == sent, "a1's events received (%d) equal the spill's sent growth (%llu)",
	      got, (unsigned long long)sent);
}

/*
 * a2's denials count in the same entry and find the budget a1 spent: some
 * are suppressed although a2 itself had sent nothing. With an entry of its
 * own a2 would have had a full burst to send them all.
 */
static void check_shared(const struct spill_run *r, int got)
{
	const struct lg_event_budget *s1 = &r->s1, *s2 = &r->s2;
	struct lg_event_budget own;

	print_growth("a2's denials", s1, s2);
	printf("    a2: %d denials, %d events received\n", SHARED_DENIALS, got);
	CHECK(budget_events(s2) - budget_events(s1) == SHARED_DENIALS,
	      "the spill counted each of a2's %d denials: %llu", SHARED_DENIALS,
	      (unsigned long long)(budget_events(s2) - budget_events(s1)));
	CHECK(s2->suppressed > s1->suppressed,
	      "some of a2's were suppressed: the budget a1 spent was a2's too");
	CHECK((__u64)got == s2->sent - s1->sent,
	      "a2's events received (%d) equal the sent growth (%llu)", got,
	      (unsigned long long)(s2->sent - s1->sent));
	CHECK(budget_get(fx_a2, &own) == ENOENT, "a2 has no entry of its own either");
}

/* lg_event_tallies() reports the spill's new suppressed and lost counts. */
static void tallied(const struct lg_event_budget *before, int max)
{
	struct lg_event_budget now;
	struct spill_tally st = { 0 };
	int n = lg_event_tallies(fx, false, on_tally, &st);

	if (!CHECK(n == max, "the tally read every entry of the full map: %d of %d", n, max) ||
	    !CHECK(budget_get(LG_EVENT_SPILL, &now) == 0, "the spill entry, after the tally"))
		return;
	printf("    tally: %d call(s) for the spill, new_suppressed %llu, new_lost %llu, "
	       "totals %llu/%llu/%llu\n",
	       st.calls, (unsigned long long)st.t.new_suppressed, (unsigned long long)st.t.new_lost,
	       (unsigned long long)st.t.sent, (unsigned long long)st.t.suppressed,
	       (unsigned long long)st.t.lost);
	if (!CHECK(st.calls == 1, "the spill entry handed over once: %d", st.calls))
		return;
	CHECK(st.t.new_suppressed == now.suppressed - before->suppressed,
	      "new_suppressed %llu equals the suppressed growth %llu",
	      (unsigned long long)st.t.new_suppressed,
	      (unsigned long long)(now.suppressed - before->suppressed));
	CHECK(st.t.new_lost == now.lost - before->lost, "new_lost %llu equals the lost growth %llu",
	      (unsigned long long)st.t.new_lost, (unsigned long long)(now.lost - before->lost));
	CHECK(!st.t.gone, "the spill entry is never gone");
}

/* The map full: a1's burst and a2's denials, all in the spill entry. */
static void spill_shared(struct worker *a1, struct worker *a2)
{
	struct spill_tally mark = { 0 };
	int max = budget_max_entries(), got1, got2;
	struct spill_run r;

	/* Mark what the spill entry already counted as reported. */
	REQUIRE(lg_event_tallies(fx, false, on_tally, &mark) == max, "the first tally");
	if (!deny_both(a1, a2, &r))
		return;
	/* Only now wait for the events: all of them were sent (or not) by now. */
	got1 = fx_count_events(a1->pid, DRAIN_MS);
	got2 = fx_count_events(a2->pid, 0);
	check_burst(&r, got1);
	check_shared(&r, got2);
	tallied(&r.s0, max);
}

/*
 * With the map full, agents without an entry share the spill budget: a1's
 * burst spends it, a2's denials find it spent, and the tally reports the
 * suppressed events as the spill's.
 */
KTEST(event_budget_spill_shared_by_agents)
{
	struct filler f = { 0 };
	struct worker a1, a2;

	REQUIRE(worker_start(&a1, FX_A1, "lg-spill-a1") == 0, "start a1's worker");
	if (!CHECK(worker_start(&a2, FX_A2, "lg-spill-a2") == 0, "start a2's worker")) {
		worker_stop(&a1);
		return;
	}
	if (fill_up(&f))
		spill_shared(&a1, &a2);
	empty_again(&f);
	worker_stop(&a2);
	worker_stop(&a1);
}

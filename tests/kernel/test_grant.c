// SPDX-License-Identifier: GPL-2.0
/* test_grant.c - grant lifecycle: expiry, replacement, events, pins. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <unistd.h>

#include "enforcer.h"
#include "fixture.h"
#include "pins.h"
#include "harness.h"
#include "rule_index.h"
#include "worker.h"

KTEST(grant_expires_in_the_kernel)
{
	static const char *rd[] = { FX_DIR "/ws/" };
	struct lg_grant_spec s = fx_spec(1500);
	const struct lg_event *ev;
	struct worker w;

	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-expiry") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "allowed while live");
	/* No userspace action from here on: only the kernel clock moves. */
	sleep(2);
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES, "denied after expiry");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_EXPIRED, 2000);
	CHECK(ev != NULL, "expired event");
	worker_stop(&w);
}

KTEST(grant_replaced_while_agent_runs)
{
	static const char *rd1[] = { FX_DIR "/ws/", FX_DIR "/both" };
	static const char *rd2[] = { FX_DIR "/ws2/", FX_DIR "/both" };
	struct lg_grant_spec s1 = fx_spec(60000), s2 = fx_spec(60000);
	struct worker_req loop = { .op = W_OPEN_LOOP, .flags = O_RDONLY, .arg = 2500 };
	uint32_t g1 = 0, g2 = 0;
	struct worker w;
	int rounds = 0, res;

	s1.rules[LG_RULE_READ] = STRV(rd1);
	s2.rules[LG_RULE_READ] = STRV(rd2);
	REQUIRE(lg_grant_install(fx, fx_a1, &s1, &g1) == 0, "grant 1: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-replace") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "grant 1 allows ws");
	CHECK_ERR(w_open(&w, FX_DIR "/ws2/b", O_RDONLY), EACCES, "grant 1 denies ws2");

	REQUIRE(lg_grant_install(fx, fx_a1, &s2, &g2) == 0, "grant 2: %s", lg_errmsg());
	CHECK(g2 > g1, "generation grew (%u -> %u)", g1, g2);
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES, "grant 2 denies ws");
	CHECK_ERR(w_open(&w, FX_DIR "/ws2/b", O_RDONLY), 0, "grant 2 allows ws2");

	/*
	 * Atomicity: a file both grants allow must stay readable through
	 * every replacement; a half-written grant would deny it.
	 */
	snprintf(loop.path, sizeof(loop.path), "%s", FX_DIR "/both");
	REQUIRE(worker_send(&w, &loop) == 0, "start open loop");
	/* Replace for as long as the worker loops, so the two surely overlap. */
	for (;;) {
		struct pollfd p = { .fd = w.res_fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			break;
		if (lg_grant_install(fx, fx_a1, rounds % 2 ? &s2 : &s1, NULL)) {
			CHECK(false, "replacement %d failed: %s", rounds, lg_errmsg());
			break;
		}
		rounds++;
	}
	res = worker_wait(&w);
	CHECK(rounds >= 5, "%d replacements while the agent opened the file", rounds);
	CHECK_ERR(res, 0, "opens of a file both grants allow, during replacements");
	worker_stop(&w);
}

KTEST(grant_removed_denies_at_once)
{
	static const char *rd[] = { FX_DIR "/ws/" };
	struct lg_grant_spec s = fx_spec(60000);
	struct worker w;

	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-remove") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "allowed");
	REQUIRE(lg_grant_remove(fx, fx_a1) == 0, "remove: %s", lg_errmsg());
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES, "denied after removal");
	CHECK(fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000) != NULL,
	      "no_grant event");
	worker_stop(&w);
}

KTEST(grant_event_fields)
{
	const struct lg_event *ev;
	struct worker w;
	uint64_t before = lg_boottime_ns();

	REQUIRE(worker_start(&w, FX_A1_SUB, "lg-fields") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/secret", O_WRONLY), EACCES, "denied");
	ev = fx_wait_event(w.pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, 2000);
	REQUIRE(ev != NULL, "event");
	CHECK(ev->pid == (uint32_t)w.pid && ev->tgid == (uint32_t)w.pid, "pid %u tgid %u", ev->pid,
	      ev->tgid);
	CHECK(ev->uid == 0 && ev->gid == 0, "uid %u gid %u", ev->uid, ev->gid);
	CHECK(!strcmp(ev->comm, "lg-fields"), "comm %s", ev->comm);
	CHECK(ev->time_ns >= before && ev->time_ns <= lg_boottime_ns(), "time in range");
	CHECK(ev->agent_cgroup_id == fx_a1, "agent cgroup");
	{
		uint64_t sub;

		CHECK(lg_cgroup_id(FX_A1_SUB, &sub, NULL) == 0 && ev->cgroup_id == sub,
		      "cgroup id of the sub-cgroup");
	}
	CHECK(ev->access == LG_FILE_WRITE_FILE, "access write");
	CHECK(ev->target_kind == LG_TARGET_PATH && !strcmp(ev->target, FX_DIR "/secret"),
	      "target %s", ev->target);
	CHECK(ev->action == LG_ACTION_DENIED, "denied");
	worker_stop(&w);
}

KTEST(grant_rejected_specs_change_nothing)
{
	static const char *bad_path[] = { "relative/path" };
	static const char *bad_net[] = { "10.0.0.1/24:443" };
	static const char *rd[] = { FX_DIR "/ws/" };
	struct lg_grant_spec ok = fx_spec(60000), bad = fx_spec(60000);
	struct lg_agent a;
	uint32_t gen = 0;
	struct worker w;

	ok.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &ok, &gen) == 0, "grant: %s", lg_errmsg());
	bad.rules[LG_RULE_READ] = STRV(bad_path);
	CHECK(lg_grant_install(fx, fx_a1, &bad, NULL) == -EINVAL, "relative path refused");
	CHECK(strstr(lg_errmsg(), "not absolute") != NULL, "message: %s", lg_errmsg());
	bad.rules[LG_RULE_READ] = STRV(rd);
	bad.rules[LG_RULE_CONNECT] = STRV(bad_net);
	CHECK(lg_grant_install(fx, fx_a1, &bad, NULL) == -EINVAL, "host bits refused");
	REQUIRE(lg_grant_get(fx, fx_a1, &a) == 0, "get");
	CHECK(a.generation == gen, "old grant still in force (gen %u, want %u)", a.generation, gen);
	REQUIRE(worker_start(&w, FX_A1, "lg-rejected") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "old grant still allows");
	worker_stop(&w);
}

#define PIN_DIR "/sys/fs/bpf/lgt-pins"

/* BPF links in the kernel now (ids are freed when a link's last reference goes). */
static int count_links(void)
{
	__u32 id = 0;
	int n = 0;

	while (n < 100000 && bpf_link_get_next_id(id, &id) == 0)
		n++;
	return n;
}

KTEST(grant_pins_survive_the_loader)
{
	struct lg_set_ids ids;
	static const char *rd[] = { FX_DIR "/ws/" };
	struct lg_enforcer_opts o = { .pin_dir = PIN_DIR };
	/*
	 * The test loads every program twice: under emulation that can take
	 * longer than a minute, and the fixture's grant must still be live at
	 * the end, when it decides alone.
	 */
	struct lg_grant_spec s = fx_spec(600000);
	struct lg_enforcer *e = NULL, *e2 = NULL;
	uint64_t a2;
	struct worker w;
	int res = -1;

	/*
	 * The fixture's own enforcer is attached too; grant a1 there so that
	 * only this second, pinned enforcer can decide about a2's reads.
	 */
	int links_before;

	lg_enforcer_unpin(PIN_DIR);
	links_before = count_links();
	REQUIRE(lg_enforcer_open(&o, &e) == 0, "open pinned: %s", lg_errmsg());
	CHECK(!lg_enforcer_adopted(e), "fresh load");
	REQUIRE(lg_root_add(e, FX_ROOT) == 0 && lg_agent_add(e, FX_A2, &a2) == 0, "register: %s",
		lg_errmsg());
	/* The fixture's enforcer must allow too: give a2 the same grant there. */
	s.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a2, &s, NULL) == 0, "fixture grant: %s", lg_errmsg());
	REQUIRE(lg_grant_install(e, a2, &s, NULL) == 0, "pinned grant: %s", lg_errmsg());
	lg_enforcer_close(e);

	/* The loader is gone; its pinned programs still enforce. */
	REQUIRE(worker_start(&w, FX_A2, "lg-pinned") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "pinned grant allows");
	CHECK_ERR(w_open(&w, FX_DIR "/ws2/b", O_RDONLY), EACCES, "pinned programs deny");

	REQUIRE(lg_enforcer_open(&o, &e2) == 0, "adopt: %s", lg_errmsg());
	CHECK(lg_enforcer_adopted(e2), "adopted the pins");
	REQUIRE(lg_grant_remove(e2, a2) == 0, "remove via adopted maps: %s", lg_errmsg());
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES, "adopted maps are the live ones");
	lg_enforcer_close(e2);

	/* Pins of another ABI version are replaced, never left unenforced. */
	{
		/* The first load pinned set 1; adopting it kept it. */
		int fd = bpf_obj_get(PIN_DIR "/set-1/maps/lg_state");
		struct lg_state *st =
			fd < 0 ? MAP_FAILED :
				 mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		struct lg_enforcer *e3 = NULL;
		uint64_t a2b;

		REQUIRE(st != MAP_FAILED, "map the pinned lg_state");
		st->abi_version = 999;
		munmap(st, 4096);
		close(fd);
		lg_pins_set_ids(PIN_DIR "/set-1", &ids);
		CHECK(ids.n > 20, "set 1 holds %zu programs", ids.n);
		REQUIRE(lg_enforcer_open(&o, &e3) == 0, "open over foreign pins: %s", lg_errmsg());
		CHECK(!lg_enforcer_adopted(e3) && lg_enforcer_replaced(e3),
		      "foreign pins replaced, not adopted");
		/*
		 * Unpinned links leave their hooks later, from a kernel worker:
		 * the retired set must be off every hook once the new one is in
		 * force, or it goes on deciding with its own maps.
		 */
		res = lg_pins_progs_left(&ids);
		CHECK(res == 0, "the replaced set's programs are off their hooks: %d of %zu left",
		      res, ids.n);
		CHECK(access(PIN_DIR "/set-2/manifest", F_OK) == 0 &&
			      access(PIN_DIR "/set-1", F_OK) != 0,
		      "the new set is pinned and the old one retired");
		REQUIRE(lg_root_add(e3, FX_ROOT) == 0 && lg_agent_add(e3, FX_A2, &a2b) == 0,
			"register: %s", lg_errmsg());
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES,
			  "the replacing programs enforce: a2 has no grant there");

		/*
		 * e3 loaded its programs and still holds their links, as a
		 * running livegrantd does: removing the pins cannot detach
		 * them, and the unpin must say so, not claim enforcement ended.
		 */
		lg_pins_set_ids(PIN_DIR "/set-2", &ids);
		CHECK(ids.n > 20, "set 2 holds %zu programs", ids.n);
		res = lg_enforcer_unpin(PIN_DIR);
		CHECK(res == -EBUSY && strstr(lg_errmsg(), "held open by a running process"),
		      "unpin while the loader holds the links: %d, %s", res, lg_errmsg());
		CHECK(access(PIN_DIR, F_OK) != 0, "pin dir removed all the same");
		CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), EACCES,
			  "the held programs still enforce");
		lg_enforcer_close(e3);
	}

	/*
	 * Closed, the loader's links go, and with them the programs. They
	 * knew a2 without a grant and a1 not at all: one left behind would
	 * deny the next tests' agents, silently (its events go to its own
	 * ring), on whichever hooks the kernel had not yet detached.
	 */
	for (int i = 0; i < 50 && lg_pins_progs_left(&ids); i++)
		usleep(100 * 1000);
	res = lg_pins_progs_left(&ids);
	CHECK(res == 0, "the unpinned set's programs are off their hooks: %d of %zu left", res,
	      ids.n);
	CHECK(count_links() <= links_before, "the unpinned set's links are gone");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0,
		  "after unpin only the fixture's grant decides");
	worker_stop(&w);
	/* Never leave them to a later test: wait for any left, then go on. */
	for (int i = 0; i < 300 && lg_pins_progs_left(&ids); i++)
		usleep(100 * 1000);
}

/* Entries of agent @id in lg_path_rules, and how many are of generation @gen. */
static int path_entries(uint64_t id, uint32_t gen, int *of_gen)
{
	struct lg_path_key k, cur;
	int fd = fx->fds[LG_MAP_PATH_RULES], n = 0;
	bool first = true;

	*of_gen = 0;
	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &k)) {
		first = false;
		cur = k;
		if (k.cgroup_id != id)
			continue;
		n++;
		*of_gen += k.generation == gen;
	}
	return n;
}

/*
 * Replacing a grant deletes the old generation's rules from the kernel's map,
 * found through the rule index (userspace/lib/enforce/rule_index.h), also
 * when the index is rebuilt from the maps (as after a restart), and removing
 * the grant deletes them all.
 */
KTEST(grant_replaced_rules_are_deleted)
{
	static const char *rd1[] = { FX_DIR "/ws/", FX_DIR "/both", FX_DIR "/x/y/z" };
	static const char *rd2[] = { FX_DIR "/ws2/" };
	struct lg_grant_spec s1 = fx_spec(60000), s2 = fx_spec(60000);
	uint32_t g1 = 0, g2 = 0, g3 = 0;
	int n1, n2, n3, of;

	s1.rules[LG_RULE_READ] = STRV(rd1);
	s2.rules[LG_RULE_READ] = STRV(rd2);
	REQUIRE(lg_grant_install(fx, fx_a1, &s1, &g1) == 0, "grant 1: %s", lg_errmsg());
	n1 = path_entries(fx_a1, g1, &of);
	CHECK(n1 > 3 && of == n1, "grant 1: %d entries, %d of its generation", n1, of);
	REQUIRE(lg_grant_install(fx, fx_a1, &s2, &g2) == 0, "grant 2: %s", lg_errmsg());
	n2 = path_entries(fx_a1, g2, &of);
	CHECK(n2 > 0 && n2 < n1 && of == n2, "grant 2: %d entries, %d of its generation", n2, of);
	/* Forget the index: the next install must rebuild it from the maps. */
	lg_rule_index_free(fx->rules);
	fx->rules = NULL;
	REQUIRE(lg_grant_install(fx, fx_a1, &s1, &g3) == 0, "grant 3: %s", lg_errmsg());
	n3 = path_entries(fx_a1, g3, &of);
	CHECK(n3 == n1 && of == n3,
	      "grant 3 after a rebuilt index: %d entries, %d of its generation", n3, of);
	/* The grant has path rules only: the index holds what the map holds. */
	CHECK(lg_rule_index_count(fx, fx_a1) == (size_t)n3, "the index holds %zu keys, the map %d",
	      lg_rule_index_count(fx, fx_a1), n3);
	REQUIRE(lg_grant_remove(fx, fx_a1) == 0, "remove: %s", lg_errmsg());
	CHECK(path_entries(fx_a1, g3, &of) == 0, "no entries left after removal");
	CHECK(lg_rule_index_count(fx, fx_a1) == 0, "nor in the index");
}

/* Entries of lg_net_rules whose agent is @id; all of them for ~0. */
static int net_entries(uint64_t id)
{
	struct lg_net_key k, cur;
	int fd = fx->fds[LG_MAP_NET_RULES], n = 0;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &cur, &k)) {
		first = false;
		cur = k;
		n += id == ~0ULL || k.cgroup_id == id;
	}
	return n;
}

#define FILLER_ID 0xf111f111f111ULL /* no cgroup: entries no agent can use */
#define ROOM 8

/* Fill lg_net_rules with @n entries of FILLER_ID (each its own /128), batched. */
static int fill_net_map(int n, bool remove)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct lg_net_key *k = calloc(n, sizeof(*k));
	struct lg_net_rule *v = calloc(n, sizeof(*v));
	__u32 count = n;
	int err;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		k[i].prefixlen = LG_NET_KEY_FIXED_BITS + 128;
		k[i].generation = 1;
		k[i].cgroup_id = FILLER_ID;
		memcpy(k[i].addr, &i, sizeof(i));
	}
	err = remove ? bpf_map_delete_batch(fx->fds[LG_MAP_NET_RULES], k, &count, &opts) :
		       bpf_map_update_batch(fx->fds[LG_MAP_NET_RULES], k, v, &count, &opts);
	err = err ? -errno : 0;
	free(k);
	free(v);
	return err;
}

/*
 * A grant that does not fit the network rule map is refused whole, at the
 * exact bound: with ROOM entries free, ROOM + 1 rules fail (after ROOM of
 * them were written, in one batch), nothing of them stays, the old grant
 * stays in force, and ROOM rules fit.
 */
KTEST(grant_net_map_full_refused_whole)
{
	static char bufs[ROOM + 1][32];
	static const char *nets[ROOM + 1];
	static const char *rd[] = { FX_DIR "/ws/" };
	struct lg_grant_spec ok = fx_spec(60000), big = fx_spec(60000);
	struct lg_agent a;
	int used, err;
	uint32_t gen = 0;
	struct worker w;

	for (int i = 0; i <= ROOM; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "10.9.%d.1:443", i);
		nets[i] = bufs[i];
	}
	ok.rules[LG_RULE_READ] = STRV(rd);
	REQUIRE(lg_grant_install(fx, fx_a1, &ok, &gen) == 0, "grant: %s", lg_errmsg());
	used = net_entries(~0ULL);
	REQUIRE(fill_net_map(LG_NET_RULE_ENTRIES - used - ROOM, false) == 0,
		"filling the map to %d free entries", ROOM);
	big.rules[LG_RULE_READ] = STRV(rd);
	big.rules[LG_RULE_CONNECT] = (struct lg_strv){ nets, ROOM + 1 };
	err = lg_grant_install(fx, fx_a1, &big, NULL);
	CHECK(err == -ENOSPC, "%d network rules with %d free refused: %d %s", ROOM + 1, ROOM, err,
	      lg_errmsg());
	CHECK(strstr(lg_errmsg(), "LG_NET_RULE_ENTRIES") != NULL, "message names the limit: %s",
	      lg_errmsg());
	CHECK(net_entries(fx_a1) == 0, "none of its rules stays: %d left", net_entries(fx_a1));
	REQUIRE(lg_grant_get(fx, fx_a1, &a) == 0, "get");
	CHECK(a.generation == gen, "old grant still in force (gen %u, want %u)", a.generation, gen);
	REQUIRE(worker_start(&w, FX_A1, "lg-mapfull") == 0, "start worker");
	CHECK_ERR(w_open(&w, FX_DIR "/ws/a", O_RDONLY), 0, "old grant still allows");
	worker_stop(&w);

	big.rules[LG_RULE_CONNECT].n = ROOM;
	err = lg_grant_install(fx, fx_a1, &big, NULL);
	CHECK(err == 0, "%d network rules with %d free fit: %s", ROOM, ROOM, lg_errmsg());
	CHECK(net_entries(fx_a1) == ROOM, "its %d rules are in the map: %d", ROOM,
	      net_entries(fx_a1));
	CHECK(fill_net_map(LG_NET_RULE_ENTRIES - used - ROOM, true) == 0, "removing the filler");
	CHECK(net_entries(FILLER_ID) == 0, "no filler left");
	lg_grant_remove(fx, fx_a1);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_state.c - livegrantd's records and their persistence: the agent
 * table, revocations, state.json (which a new build must read as an older
 * one wrote it, and write so that the older one can read it back), the
 * saves in the background (state_saver.c), and the decision whether a
 * domain crossing changes what is saved.
 *
 * The daemon's files are included, not linked: the Makefile builds each
 * tests/unit/test_NAME.c against the livegrant libraries only (as test_metrics.c).
 */
#include "../../userspace/livegrantd/agent_table.c"
#include "../../userspace/livegrantd/revocations.c"
#include "../../userspace/livegrantd/state_file.c"
#include "../../userspace/livegrantd/fs_sync.c"
#include "../../userspace/livegrantd/crossing.c"
#include "../../userspace/livegrantd/state_saver.c"

#include <fcntl.h>
#include <poll.h>

#include "check.h"

/* state.json as livegrantd wrote it before the reshape (tokens shortened). */
static const char todays_state[] = "{\n"
				   " \"agents\": [\n"
				   "  {\n"
				   "   \"cgroup\": \"/sys/fs/cgroup/agents/l1\",\n"
				   "   \"cgroup_id\": 57,\n"
				   "   \"suspended\": false,\n"
				   "   \"token\": \"eyJ.l1.sig\"\n"
				   "  },\n"
				   "  {\n"
				   "   \"cgroup\": \"/sys/fs/cgroup/agents/s1\",\n"
				   "   \"cgroup_id\": 40,\n"
				   "   \"reauth_domain\": \"prod\",\n"
				   "   \"suspended\": true,\n"
				   "   \"token\": \"eyJ.s1.sig\"\n"
				   "  }\n"
				   " ],\n"
				   " \"revoked\": [\n"
				   "  {\n"
				   "   \"exp\": 1796162033,\n"
				   "   \"jti\": \"37851b328133d3a35ce11a3872f65b9a\"\n"
				   "  }\n"
				   " ],\n"
				   " \"version\": 1\n"
				   "}";

static struct lg_domain_config domains[2] = {
	{ .name = "qa", .id = 1 },
	{ .name = "prod", .id = 2 },
};
static struct lg_config cfg = { .domains = domains, .n_domains = 2 };

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok = f && fputs(text, f) >= 0;

	return (f && !fclose(f) && ok) ? 0 : -1;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n = f && buf ? fread(buf, 1, 65535, f) : 0;

	if (f)
		fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}
/* A state file @path in a new directory @dir (its revoked.json beside it): an fd of it. */
static int tmp_state(char *dir, char *path)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, 64, "%s/state.json", dir);
	return open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
}

static void test_state_reads_and_writes_todays_format(void)
{
	char dir[] = "/tmp/lgd-test-state-XXXXXX", in[64], out[64];
	struct lgd_agents agents = { 0 };
	struct lgd_revocations revoked = { 0 };
	const struct lgd_agent *l1, *s1;
	char *text;

	CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(in, sizeof(in), "%s/in.json", dir);
	snprintf(out, sizeof(out), "%s/out.json", dir);
	CHECK(!write_text(in, todays_state), "write %s", in);
	CHECK(!lgd_state_read(in, &cfg, &agents, &revoked), "read: %s", lg_errmsg());
	CHECK(agents.n == 2, "2 agents, got %zu", agents.n);
	l1 = lgd_agent_by_cgroup_id(&agents, 57);
	s1 = lgd_agent_by_cgroup_id(&agents, 40);
	CHECK(l1 && l1->state == LGD_ACTIVE && !l1->suspended && !l1->reauth_domain &&
		      !strcmp(l1->token, "eyJ.l1.sig"),
	      "l1 active with its token");
	CHECK(s1 && s1->state == LGD_REAUTH_REQUIRED && s1->suspended &&
		      s1->reauth_domain == &domains[1],
	      "s1 suspended, reauth toward prod");
	CHECK(revoked.n == 1 && lgd_is_revoked(&revoked, "37851b328133d3a35ce11a3872f65b9a") &&
		      revoked.v[0].exp == 1796162033,
	      "the revoked id and its expiry");
	CHECK(!lgd_state_write(out, &agents, &revoked), "write: %s", lg_errmsg());
	text = read_text(out);
	CHECK(text && !strcmp(text, todays_state), "written byte for byte as before:\n%s",
	      text ? text : "(nothing)");
	free(text);
	unlink(in);
	unlink(out);
	check_rm_tree(dir);
	lgd_agents_free(&agents);
	lgd_revocations_free(&revoked);
}

static void test_state_missing_file_is_a_first_start(void)
{
	struct lgd_agents agents = { 0 };
	struct lgd_revocations revoked = { 0 };

	CHECK(!lgd_state_read("/nonexistent/state.json", &cfg, &agents, &revoked), "no file: 0");
	CHECK(agents.n == 0 && revoked.n == 0, "nothing read");
}

static void test_state_only_live_agents_saved(void)
{
	char dir[] = "/tmp/lgd-test-state-XXXXXX", path[64], rpath[64];
	struct lgd_agents agents = { 0 }, back = { 0 };
	struct lgd_revocations revoked = { 0 }, rback = { 0 };

	/* Records by index: a new record may move the table. */
	if (!mkdtemp(dir) || !lgd_agent_new(&agents, "/sys/fs/cgroup/agents/x", 7) ||
	    !lgd_agent_new(&agents, "/sys/fs/cgroup/agents/y", 8)) {
		CHECK(0, "setup");
		return;
	}
	snprintf(path, sizeof(path), "%s/state.json", dir);
	lgd_state_revoked_path(rpath, sizeof(rpath), path);
	agents.v[0].token = lgd_text_dup("t.a.s");
	agents.v[0].state = LGD_ACTIVE;
	agents.v[1].token = lgd_text_dup("t.b.s");
	agents.v[1].state = LGD_REVOKED;
	CHECK(!lgd_state_write(path, &agents, &revoked), "write");
	CHECK(!lgd_state_read(path, &cfg, &back, &rback), "read back");
	CHECK(back.n == 1 && back.v[0].cgroup_id == 7, "only the live agent is saved");
	unlink(path);
	unlink(rpath);
	rmdir(dir);
	lgd_agents_free(&agents);
	lgd_agents_free(&back);
}

static void put_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A corrupt state file is set aside, its revocations kept from their copy; both gone: no start. */
/*
 * A state file in a new directory @dir, at @path (64 bytes) with its copy
 * at @rpath: one active agent (x, id 7) and one revoked token (gone-jti).
 */
static bool saved_state(char *dir, char *path, char *rpath, struct lgd_agents *agents,
			struct lgd_revocations *revoked)
{
	if (!mkdtemp(dir) || !lgd_agent_new(agents, "/sys/fs/cgroup/agents/x", 7) ||
	    lgd_add_revoked(revoked, "gone-jti", 4000000000LL))
		return false;
	snprintf(path, 64, "%s/state.json", dir);
	lgd_state_revoked_path(rpath, 64, path);
	agents->v[0].token = lgd_text_dup("t.a.s");
	agents->v[0].state = LGD_ACTIVE;
	return !lgd_state_write(path, agents, revoked);
}

static void test_state_corrupt_file(void)
{
	char dir[] = "/tmp/lgd-test-state-XXXXXX", path[64], rpath[64], cmd[128];
	struct lgd_agents agents = { 0 }, back = { 0 };
	struct lgd_revocations revoked = { 0 }, rback = { 0 };

	if (!saved_state(dir, path, rpath, &agents, &revoked)) {
		CHECK(0, "setup: %s", lg_errmsg());
		return;
	}
	CHECK(access(rpath, F_OK) == 0, "the revocations' copy is written beside it");
	/* Torn mid-entry: not JSON. */
	put_text(path, "{\"version\": 1, \"agents\": [ {\"cgroup\": \"/sys/fs/cg");
	CHECK(!lgd_state_read(path, &cfg, &back, &rback), "a corrupt state file: start (%s)",
	      lg_errmsg());
	CHECK(back.n == 0, "none of its agents is trusted");
	CHECK(lgd_is_revoked(&rback, "gone-jti"), "the revocation is kept from its copy");
	CHECK(access(path, F_OK) != 0, "the corrupt file is moved away");
	snprintf(cmd, sizeof(cmd), "ls %s/state.json.corrupt-* >/dev/null 2>&1", dir);
	CHECK(system(cmd) == 0, "set aside as state.json.corrupt-SECONDS, not deleted");
	lgd_revocations_free(&rback);
	rback = (struct lgd_revocations){ 0 };
	/* Well-formed JSON, a malformed entry: none of it either. */
	put_text(path, "{\"version\": 1, \"agents\": [{\"cgroup\": 5}], \"revoked\": []}");
	CHECK(!lgd_state_read(path, &cfg, &back, &rback) && back.n == 0 &&
		      lgd_is_revoked(&rback, "gone-jti"),
	      "a malformed entry: set aside the same way");
	lgd_revocations_free(&rback);
	rback = (struct lgd_revocations){ 0 };
	/* Both corrupt: which tokens are revoked is unknown. */
	put_text(path, "garbage");
	put_text(rpath, "garbage");
	CHECK(lgd_state_read(path, &cfg, &back, &rback) == -EINVAL, "both corrupt: no start");
	CHECK(strstr(lg_errmsg(), "revoke again") && strstr(lg_errmsg(), "Repair"),
	      "the refusal says what to do: %s", lg_errmsg());
	CHECK(access(path, F_OK) == 0, "  and touches neither file");
	/* No state file, a corrupt copy: the revocations are known from nowhere. */
	unlink(path);
	CHECK(lgd_state_read(path, &cfg, &back, &rback) == -EINVAL,
	      "no state file and a corrupt copy: no start");
	/* A copy older than the state file by hours (a downgraded build saved): not trusted. */
	CHECK(!lgd_state_write(path, &agents, &revoked), "write again");
	{
		struct timespec old[2] = { { .tv_sec = time(NULL) - 7200 },
					   { .tv_sec = time(NULL) - 7200 } };

		CHECK(!utimensat(AT_FDCWD, rpath, old, 0), "age the copy");
	}
	put_text(path, "garbage");
	CHECK(lgd_state_read(path, &cfg, &back, &rback) == -EINVAL &&
		      strstr(lg_errmsg(), "older than the state file"),
	      "a corrupt state file and a stale copy: no start (%s)", lg_errmsg());
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
	lgd_agents_free(&agents);
	lgd_revocations_free(&revoked);
}

/*
 * A state file that cannot be read (a directory in its place, as an I/O
 * error would also give) is not a corrupt one: the start fails naming it,
 * and nothing is set aside, so that nothing is lost to a fault of the disk.
 */
static void test_state_unreadable_file(void)
{
	char dir[] = "/tmp/lgd-test-state-XXXXXX", path[64], rpath[64], cmd[160];
	struct lgd_agents agents = { 0 }, back = { 0 };
	struct lgd_revocations revoked = { 0 }, rback = { 0 };
	int err;

	if (!saved_state(dir, path, rpath, &agents, &revoked)) {
		CHECK(0, "setup: %s", lg_errmsg());
		return;
	}
	/* The state file unreadable, its copy fine. */
	CHECK(!unlink(path) && !mkdir(path, 0700), "a directory in the state file's place");
	err = lgd_state_read(path, &cfg, &back, &rback);
	CHECK(err == -EIO, "an unreadable state file: no start (got %d)", err);
	CHECK(strstr(lg_errmsg(), "cannot read") && strstr(lg_errmsg(), path),
	      "  the refusal names the file: %s", lg_errmsg());
	snprintf(cmd, sizeof(cmd), "ls -d %s/*.corrupt-* >/dev/null 2>&1", dir);
	CHECK(system(cmd) != 0, "  nothing is set aside");
	CHECK(back.n == 0 && rback.n == 0, "  nothing is read");
	/* The state file fine, its copy unreadable. */
	CHECK(!rmdir(path) && !lgd_state_write(path, &agents, &revoked), "write again");
	CHECK(!unlink(rpath) && !mkdir(rpath, 0700), "a directory in the copy's place");
	err = lgd_state_read(path, &cfg, &back, &rback);
	CHECK(err == -EIO && strstr(lg_errmsg(), rpath),
	      "an unreadable copy of the revocations: no start (%d: %s)", err, lg_errmsg());
	CHECK(system(cmd) != 0, "  nothing is set aside");
	CHECK(!rmdir(rpath), "  the copy's place is as it was");
	CHECK(!lgd_state_read(path, &cfg, &back, &rback) && back.n == 1 &&
		      lgd_is_revoked(&rback, "gone-jti"),
	      "readable again: the state is read whole (%s)", lg_errmsg());
	check_rm_tree(dir);
	lgd_agents_free(&agents);
	lgd_agents_free(&back);
	lgd_revocations_free(&revoked);
	lgd_revocations_free(&rback);
}

static void test_revocations(void)
{
	struct lgd_revocations r = { 0 };

	CHECK(!lgd_add_revoked(&r, "a", 100) && !lgd_add_revoked(&r, "b", 200), "add");
	CHECK(!lgd_add_revoked(&r, "a", 300) && r.n == 2, "an id is kept once");
	CHECK(!lgd_add_revoked(&r, NULL, 300) && r.n == 2, "NULL is ignored");
	CHECK(lgd_is_revoked(&r, "a") && lgd_is_revoked(&r, "b") && !lgd_is_revoked(&r, "c"),
	      "is_revoked");
	lgd_prune_revoked(&r, 150);
	CHECK(!lgd_is_revoked(&r, "a") && lgd_is_revoked(&r, "b"), "pruned past its expiry");
	lgd_revocations_free(&r);
}

static void test_agent_table(void)
{
	struct lgd_agents t = { 0 };

	if (!lgd_agent_new(&t, "/sys/fs/cgroup/agents/one", 11) ||
	    !lgd_agent_new(&t, "/sys/fs/cgroup/agents/two", 12)) {
		CHECK(0, "two records");
		return;
	}
	CHECK(t.n == 2, "two records");
	t.v[1].sub = strdup("spiffe://x/two");
	t.v[1].jti = strdup("jti-two");
	CHECK(lgd_agent_by_cgroup_id(&t, 12) == &t.v[1], "by id");
	CHECK(lgd_agent_by_target(&t, "two") == &t.v[1], "by cgroup name");
	CHECK(lgd_agent_by_target(&t, "spiffe://x/two") == &t.v[1], "by sub");
	CHECK(lgd_agent_by_target(&t, "jti-two") == &t.v[1], "by jti");
	CHECK(lgd_agent_by_target(&t, "/sys/fs/cgroup/agents/one") == &t.v[0], "by path");
	CHECK(!lgd_agent_by_target(&t, "on"), "no prefix match");
	lgd_agent_drop(&t, &t.v[0]);
	CHECK(t.n == 1 && t.v[0].cgroup_id == 12, "drop moves the last record into the slot");
	lgd_agents_free(&t);
}

/*
 * The index by cgroup id against a plain list, through 20,000 random adds
 * and drops of ids that crowd each other's probes (sequential ids, as
 * kernfs hands out, and ids that differ only in high bits): after each
 * step every id is found at its record or is absent, and a second record
 * of an id is refused.
 */
static void test_agent_index(void)
{
	enum { IDS = 3000 };
	static bool in[IDS];
	struct lgd_agents t = { 0 };
	size_t wrong = 0, steps = 0, count = 0;
	unsigned int seed = 12345;

	for (int step = 0; step < 20000; step++) {
		int k = rand_r(&seed) % IDS;
		uint64_t id = k < IDS / 2 ? 1000 + (uint64_t)k : ((uint64_t)k << 40) | 7;

		if (!in[k]) {
			in[k] = lgd_agent_new(&t, "/sys/fs/cgroup/agents/x", id) != NULL;
			count += in[k];
		} else if (rand_r(&seed) % 3) {
			struct lgd_agent *a = lgd_agent_by_cgroup_id(&t, id);

			wrong += !a;
			if (!a)
				break;
			lgd_agent_drop(&t, a);
			in[k] = false;
			count--;
		} else {
			errno = 0;
			wrong += lgd_agent_new(&t, "/sys/fs/cgroup/agents/y", id) != NULL ||
				 errno != EEXIST;
		}
		if (step % 97)
			continue;
		steps++;
		for (int j = 0; j < IDS; j++) {
			uint64_t jid = j < IDS / 2 ? 1000 + (uint64_t)j : ((uint64_t)j << 40) | 7;
			const struct lgd_agent *a = lgd_agent_by_cgroup_id(&t, jid);

			wrong += in[j] ? !a || a->cgroup_id != jid : a != NULL;
		}
	}
	CHECK(count == t.n && count > 100, "%zu records, %zu in the table", count, t.n);
	CHECK(!wrong, "%zu wrong answers over %zu checks of all %d ids", wrong, steps, IDS);
	lgd_agents_free(&t);
}

/*
 * An agent repeating a denied crossing must not make livegrantd save its
 * state each time: only a change of what state.json holds is one.
 */
static void test_crossing_changes_once(void)
{
	struct lgd_agent a = { .state = LGD_ACTIVE, .generation = 3 };
	int changes = 0;

	for (int i = 0; i < 1000; i++)
		changes += lgd_crossing_apply(&a, &domains[0], false, 1000 + i);
	CHECK(changes == 1, "1000 identical crossings: 1 change, got %d", changes);
	CHECK(a.state == LGD_REAUTH_REQUIRED && a.reauth_domain == &domains[0] &&
		      a.crossing_ns == 1999,
	      "reauth_required toward qa, the latest crossing's time");
	CHECK(!strcmp(a.reason, "tried to reach domain qa: present a token for it"), "reason: %s",
	      a.reason);
	CHECK(lgd_crossing_apply(&a, &domains[1], false, 1), "another target is a change");
	CHECK(lgd_crossing_apply(&a, &domains[1], true, 2), "a suspension is a change");
	CHECK(!lgd_crossing_apply(&a, &domains[1], true, 3), "the same suspension again is not");
	CHECK(lgd_crossing_apply(&a, NULL, true, 4), "an unknown target domain is a change");
	CHECK(!strcmp(a.reason, "tried to reach domain ?: present a token for it"), "reason: %s",
	      a.reason);
}

/* A daemon with one live agent (token @token) saving to @path. */
static void saver_daemon(struct lgd *d, const char *path, const char *token)
{
	static struct lg_config scfg = { .token_leeway_s = 30 };

	*d = (struct lgd){ .cfg = &scfg };
	snprintf(d->state_path, sizeof(d->state_path), "%s", path);
	if (!lgd_agent_new(&d->agents, "/sys/fs/cgroup/agents/w", 21))
		return;
	d->agents.v[0].token = lgd_text_dup(token);
	d->agents.v[0].state = LGD_ACTIVE;
}

/* Wait for the writer's signal as the event loop would (epoll on done_fd). */
static bool writer_signalled(struct lgd *d)
{
	struct pollfd p = { .fd = d->saver.done_fd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1;
}

/*
 * A save in the background: the event loop only takes the snapshot; the
 * writer thread writes what the records held then, the token shared, not
 * copied, and still readable after the record changed or went.
 */
static void test_saver_writes_the_snapshot(void)
{
	char dir[] = "/tmp/lgd-test-saver-XXXXXX", path[64];
	int fd = tmp_state(dir, path);
	uint64_t t_reap;
	struct lgd d;
	char *text;

	close(fd);
	saver_daemon(&d, path, "tok.one.sig");
	CHECK(!lgd_saver_open(&d.saver) && d.agents.n == 1, "setup");
	lgd_state_save_soon(&d);
	lgd_state_save_start(&d);
	CHECK(!d.saver.busy && d.saver.pending, "a save asked for soon does not start at once");
	CHECK(lgd_state_save_wait_ms(&d) > 0 && lgd_state_save_wait_ms(&d) <= LGD_SAVE_DELAY_MS + 1,
	      "the loop wakes when it is due: %d ms", lgd_state_save_wait_ms(&d));
	lgd_state_save_later(&d);
	lgd_state_save_start(&d);
	CHECK(d.saver.busy && !d.saver.pending, "a due save starts a writer");
	CHECK(lgd_state_save_wait_ms(&d) == -1,
	      "no timeout while it writes (its signal wakes the loop)");
	/* The record changes and goes while the writer holds the snapshot. */
	lgd_agent_drop(&d.agents, &d.agents.v[0]);
	lgd_state_save_start(&d);
	CHECK(writer_signalled(&d), "the writer signals");
	t_reap = lg_monotonic_ns();
	lgd_state_save_finished(&d);
	text = read_text(path);
	CHECK(!d.saver.busy && !d.saver.failures && text && strstr(text, "tok.one.sig") &&
		      strstr(text, "/sys/fs/cgroup/agents/w"),
	      "the file holds the snapshot's agent and token");
	free(text);
	/* Paced: the next write waits LGD_SAVE_PACE times as long as that one took. */
	CHECK(d.saver.write_ns > 0 &&
		      d.saver.next_ns >= t_reap + LGD_SAVE_PACE * d.saver.write_ns &&
		      d.saver.next_ns <= lg_monotonic_ns() + LGD_SAVE_PACE * d.saver.write_ns,
	      "the next write may start %d times the last one's %llu ns after it", LGD_SAVE_PACE,
	      (unsigned long long)d.saver.write_ns);
	/* As after a write of 12.5 ms: the next one waits 50 ms, even when due at once. */
	d.saver.next_ns = lg_monotonic_ns() + 50000000ULL;
	lgd_state_save_later(&d);
	lgd_state_save_start(&d);
	CHECK(!d.saver.busy && d.saver.pending, "a save due at once waits for the pace");
	CHECK(lgd_state_save_wait_ms(&d) > 0 && lgd_state_save_wait_ms(&d) <= 51,
	      "the loop wakes when the pace allows it: %d ms", lgd_state_save_wait_ms(&d));
	usleep(51000);
	lgd_state_save_start(&d);
	CHECK(writer_signalled(&d), "the next save signals");
	lgd_state_save_finished(&d);
	text = read_text(path);
	CHECK(text && !strstr(text, "tok.one.sig"), "the next save has the change");
	free(text);
	lgd_saver_close(&d);
	lgd_agents_free(&d.agents);
	check_rm_tree(dir);
}

/*
 * A save the caller waits for (a revocation) lands after the background
 * write in flight, never before it: the file ends with the newer records.
 */
static void test_saver_sync_save_comes_last(void)
{
	char dir[] = "/tmp/lgd-test-saver-XXXXXX", path[64];
	int fd = tmp_state(dir, path);
	struct lgd d;
	char *text;

	close(fd);
	saver_daemon(&d, path, "tok.old.sig");
	CHECK(!lgd_saver_open(&d.saver) && d.agents.n == 1, "setup");
	lgd_state_save_later(&d);
	lgd_state_save_start(&d);
	CHECK(d.saver.busy, "a writer runs");
	lgd_agent_set_token(&d.agents.v[0], "tok.new.sig",
			    &(struct lg_token){ .sub = "s", .jti = "j" }, &domains[0]);
	CHECK(!lgd_state_save(&d) && !d.saver.busy, "the synchronous save waits for the writer");
	text = read_text(path);
	CHECK(text && strstr(text, "tok.new.sig") && !strstr(text, "tok.old.sig"),
	      "the file holds the newer token");
	free(text);
	/* Its signal was taken with the join: the loop's event finds nothing to join. */
	lgd_state_save_finished(&d);
	CHECK(!d.saver.busy && !d.saver.failures, "no writer left, no failure");
	lgd_saver_close(&d);
	lgd_agents_free(&d.agents);
	check_rm_tree(dir);
}

/*
 * A writer whose signal never reaches the loop (its eventfd write failed)
 * is still found finished by the next pass, so that saves go on.
 */
static void test_saver_unsignalled_writer_is_reaped(void)
{
	char dir[] = "/tmp/lgd-test-saver-XXXXXX", path[64];
	int fd = tmp_state(dir, path), spare;
	struct lgd d;
	char *text;

	close(fd);
	saver_daemon(&d, path, "tok.quiet.sig");
	CHECK(!lgd_saver_open(&d.saver), "setup");
	/* The eventfd swapped for a descriptor that refuses the writer's write. */
	spare = d.saver.done_fd;
	d.saver.done_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	lgd_state_save_later(&d);
	lgd_state_save_start(&d);
	CHECK(d.saver.busy, "a writer started");
	for (int i = 0; i < 1000 && d.saver.busy; i++) {
		usleep(10000);
		lgd_state_save_start(&d);
	}
	CHECK(!d.saver.busy, "found finished without its signal");
	text = read_text(path);
	CHECK(text && strstr(text, "tok.quiet.sig"), "and its write landed");
	free(text);
	close(d.saver.done_fd);
	d.saver.done_fd = spare;
	lgd_saver_close(&d);
	lgd_agents_free(&d.agents);
	check_rm_tree(dir);
}

/* A failed write is counted, said, and tried again a second later. */
static void test_saver_failure_is_retried(void)
{
	struct lgd d;
	uint64_t t0 = lg_monotonic_ns();

	saver_daemon(&d, "/nonexistent-dir/state.json", "tok.x.sig");
	CHECK(!lgd_saver_open(&d.saver), "setup");
	lgd_state_save_later(&d);
	lgd_state_save_start(&d);
	CHECK(writer_signalled(&d), "the writer signals");
	lgd_state_save_finished(&d);
	CHECK(d.saver.failures == 1 && d.saver.pending &&
		      d.saver.due_ns >= t0 + LGD_SAVE_RETRY_MS * 1000000ULL,
	      "counted and pending again, %d ms later", LGD_SAVE_RETRY_MS);
	lgd_state_save_start(&d);
	CHECK(!d.saver.busy, "not retried before it is due");
	CHECK(lgd_state_save(&d) == -ENOENT && d.saver.failures == 2,
	      "a synchronous save says why");
	lgd_saver_close(&d);
	lgd_agents_free(&d.agents);
}

int main(void)
{
	RUN(test_state_reads_and_writes_todays_format);
	RUN(test_state_missing_file_is_a_first_start);
	RUN(test_state_only_live_agents_saved);
	RUN(test_state_corrupt_file);
	RUN(test_state_unreadable_file);
	RUN(test_revocations);
	RUN(test_agent_table);
	RUN(test_agent_index);
	RUN(test_crossing_changes_once);
	RUN(test_saver_writes_the_snapshot);
	RUN(test_saver_sync_save_comes_last);
	RUN(test_saver_failure_is_retried);
	RUN(test_saver_unsignalled_writer_is_reaped);
	return check_summary("state");
}

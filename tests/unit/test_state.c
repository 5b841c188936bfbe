// SPDX-License-Identifier: GPL-2.0
/*
 * test_state.c - livegrantd's records and their persistence: the agent
 * table, revocations, state.json (which a new build must read as an older
 * one wrote it, and write so that the older one can read it back), and the
 * decision whether a domain crossing changes what is saved.
 *
 * The daemon's files are included, not linked: the Makefile builds each
 * tests/unit/test_NAME.c against the livegrant libraries only (as test_metrics.c).
 */
#include "../../userspace/livegrantd/agent_table.c"
#include "../../userspace/livegrantd/revocations.c"
#include "../../userspace/livegrantd/state_file.c"
#include "../../userspace/livegrantd/crossing.c"

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
	rmdir(dir);
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
	char path[] = "/tmp/lgd-test-state-XXXXXX";
	struct lgd_agents agents = { 0 }, back = { 0 };
	struct lgd_revocations revoked = { 0 }, rback = { 0 };
	int fd = mkstemp(path);

	/* Records by index: a new record may move the table. */
	if (fd < 0 || !lgd_agent_new(&agents, "/sys/fs/cgroup/agents/x", 7) ||
	    !lgd_agent_new(&agents, "/sys/fs/cgroup/agents/y", 8)) {
		CHECK(0, "setup");
		return;
	}
	close(fd);
	agents.v[0].token = strdup("t.a.s");
	agents.v[0].state = LGD_ACTIVE;
	agents.v[1].token = strdup("t.b.s");
	agents.v[1].state = LGD_REVOKED;
	CHECK(!lgd_state_write(path, &agents, &revoked), "write");
	CHECK(!lgd_state_read(path, &cfg, &back, &rback), "read back");
	CHECK(back.n == 1 && back.v[0].cgroup_id == 7, "only the live agent is saved");
	unlink(path);
	lgd_agents_free(&agents);
	lgd_agents_free(&back);
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

int main(void)
{
	RUN(test_state_reads_and_writes_todays_format);
	RUN(test_state_missing_file_is_a_first_start);
	RUN(test_state_only_live_agents_saved);
	RUN(test_revocations);
	RUN(test_agent_table);
	RUN(test_crossing_changes_once);
	return check_summary("state");
}

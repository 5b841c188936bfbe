// SPDX-License-Identifier: GPL-2.0
/*
 * test_protected.c - livegrant's own files out of every grant's reach
 * (userspace/livegrantd/policy.c): which rules reach them, through the
 * baseline or ceiling check and through the token check. The daemon's file
 * is included, not linked, as in test_state.c.
 */
#include "../../userspace/livegrantd/policy.c"

#include <unistd.h>

#include "check.h"

#define STATE "/run/lgtest-state"
#define PINS "/sys/fs/bpf/lgtest"
#define CONFIG "/etc/lgtest/config.yaml"
#define BUNDLE "/etc/lgtest/qa.jwks"
#define EXE "/usr/sbin/lgtest-livegrantd"
#define ROOT "/sys/fs/cgroup/lgtest-agents"

static struct lg_domain_config dom = { .name = "qa", .id = 1, .trust_bundle = BUNDLE };
static const char *roots[] = { ROOT };
static struct lg_config cfg = {
	.agent_cgroups = { roots, 1 },
	.path = CONFIG,
	.state_dir = STATE,
	.bpffs_dir = PINS,
	.domains = &dom,
	.n_domains = 1,
};

/* One rule of @kind through the config check: 0 or -EPERM. */
static int one_rule(const struct lgd_protected *p, unsigned int kind, const char *rule,
		    const char **reason)
{
	const char *v[] = { rule };
	struct lg_rules_config r = { 0 };

	r.rules[kind] = (struct lg_strv){ v, 1 };
	*reason = NULL;
	return lgd_protected_check_config(p, &r, "baseline", reason);
}

static void test_protected_set(void)
{
	struct lgd_protected p;

	CHECK(lgd_protected_init(&p, &cfg, EXE) == 0, "init: %s", lg_errmsg());
	CHECK(p.n == 6, "six protected paths (none exists here, so no realpath twin): %zu", p.n);
	for (size_t i = 0; i < p.n; i++)
		CHECK(p.v[i].listing == (!strcmp(p.v[i].path, STATE) || !strcmp(p.v[i].path, PINS)),
		      "%s: reading it is refused only for the state and pin folders", p.v[i].path);
	lgd_protected_free(&p);
	CHECK(p.n == 0 && !p.v, "freed");
}

static void test_protected_rules_refused(void)
{
	static const struct {
		unsigned int kind;
		const char *rule;
	} refused[] = {
		{ LG_RULE_WRITE, "/run/" }, /* above the state dir, changing */
		{ LG_RULE_WRITE, "/" },
		{ LG_RULE_WRITE, "/run" }, /* its folder's entries */
		{ LG_RULE_WRITE, STATE "/" },
		{ LG_RULE_WRITE, STATE "/livegrant.sock" },
		{ LG_RULE_READ, STATE "/state.json" }, /* inside: any right */
		{ LG_RULE_READ, "/run/" }, /* reads the state dir (lists agents) */
		{ LG_RULE_READ, "/" },
		{ LG_RULE_READ, "/sys/fs/bpf/" }, /* lists the pins */
		{ LG_RULE_EXEC, STATE "/" },
		{ LG_RULE_WRITE, "/sys/" },
		{ LG_RULE_READ, PINS "/" },
		{ LG_RULE_WRITE, "/etc/" }, /* above the config and the bundle */
		{ LG_RULE_READ, CONFIG }, /* the file itself */
		{ LG_RULE_WRITE, BUNDLE },
		{ LG_RULE_EXEC, EXE }, /* the binary itself */
		{ LG_RULE_WRITE, "/usr/sbin/" },
		{ LG_RULE_WRITE, "/usr//sbin/" }, /* normalized like a rule */
		{ LG_RULE_WRITE, ROOT "/a1/" }, /* an agent cgroup: cgroup.procs, limits */
		{ LG_RULE_WRITE, "/sys/fs/cgroup/" }, /* above an agent root */
		{ LG_RULE_CONNECT, "unix:" STATE "/livegrant-admin.sock" }, /* the admin socket */
		{ LG_RULE_CONNECT, "unix:" STATE "/any.sock" }, /* any other socket there */
		{ LG_RULE_CONNECT, "unix:" PINS "/x" },
	};
	const char *reason;
	struct lgd_protected p;

	CHECK(lgd_protected_init(&p, &cfg, EXE) == 0, "init: %s", lg_errmsg());
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int err = one_rule(&p, refused[i].kind, refused[i].rule, &reason);

		CHECK(err == -EPERM, "%s %s refused: %d", lg_rule_kind(refused[i].kind)->name,
		      refused[i].rule, err);
		CHECK(reason && !strcmp(reason, "protected_path"), "%s: reason protected_path",
		      refused[i].rule);
		CHECK(strstr(lg_errmsg(), refused[i].rule) && strstr(lg_errmsg(), "baseline"),
		      "the message names the set and the rule: %s", lg_errmsg());
	}
	one_rule(&p, LG_RULE_WRITE, "/run/", &reason);
	CHECK(strstr(lg_errmsg(), "reaches " STATE ", which is state_dir"),
	      "the message names the protected path: %s", lg_errmsg());
	lgd_protected_free(&p);
}

static void test_protected_rules_allowed(void)
{
	static const struct {
		unsigned int kind;
		const char *rule;
	} allowed[] = {
		{ LG_RULE_READ, "/etc/" }, /* read above the config: not a listing dir */
		{ LG_RULE_READ, "/etc/ld.so.cache" },
		{ LG_RULE_EXEC, "/usr/" }, /* running, not changing */
		{ LG_RULE_READ, "/usr/" },
		{ LG_RULE_READ, "/run" }, /* exact: the folder itself, not below it */
		{ LG_RULE_WRITE, "/run/lgtest-state2/" }, /* a sibling sharing a prefix */
		{ LG_RULE_WRITE, "/run/lgtest-stat" },
		{ LG_RULE_WRITE, "/tmp/" },
		{ LG_RULE_WRITE, "/dev/null" },
		{ LG_RULE_CONNECT, "unix:" STATE "/livegrant.sock" }, /* presenting stays open */
		{ LG_RULE_CONNECT, "unix:/run/lgtest-state2/livegrant-admin.sock" }, /* a sibling */
		{ LG_RULE_CONNECT, "unix:@lgtest-state" }, /* an abstract name */
		{ LG_RULE_CONNECT, "127.0.0.1:443" },
		{ LG_RULE_LISTEN, "127.0.0.1:8080" },
	};
	const char *reason;
	struct lgd_protected p;

	CHECK(lgd_protected_init(&p, &cfg, EXE) == 0, "init: %s", lg_errmsg());
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		CHECK(one_rule(&p, allowed[i].kind, allowed[i].rule, &reason) == 0,
		      "%s %s allowed: %s", lg_rule_kind(allowed[i].kind)->name, allowed[i].rule,
		      lg_errmsg());
	lgd_protected_free(&p);
}

/* The token check sees the same rules the same way, and names the token. */
static void test_protected_token(void)
{
	char *write[] = { "/tmp/lgt/ws/out/", "/run/" };
	char *read[] = { "/tmp/lgt/ws/" };
	struct lg_token t = { 0 };
	struct lgd_protected p;
	const char *reason = NULL;

	CHECK(lgd_protected_init(&p, &cfg, EXE) == 0, "init: %s", lg_errmsg());
	t.rules[LG_RULE_READ] = (struct lg_token_strv){ read, 1 };
	CHECK(lgd_protected_check_token(&p, &t, &reason) == 0, "a workspace token passes: %s",
	      lg_errmsg());
	t.rules[LG_RULE_WRITE] = (struct lg_token_strv){ write, 1 };
	CHECK(lgd_protected_check_token(&p, &t, &reason) == 0, "a write of its own folder passes");
	t.rules[LG_RULE_WRITE].n = 2;
	CHECK(lgd_protected_check_token(&p, &t, &reason) == -EPERM, "write /run/ refused");
	CHECK(reason && !strcmp(reason, "protected_path"), "reason protected_path");
	CHECK(strstr(lg_errmsg(), "token write rule \"/run/\""), "message: %s", lg_errmsg());
	lgd_protected_free(&p);
}

/* A path that exists is protected as the kernel names it too. */
static void test_protected_resolved(void)
{
	char dir[] = "/tmp/lgtest-protXXXXXX", link[64], real[PATH_MAX + 8];
	struct lg_config c = cfg;
	struct lgd_protected p;
	const char *reason;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(link, sizeof(link), "%s-link", dir);
	CHECK(symlink(dir, link) == 0, "symlink");
	c.state_dir = link;
	CHECK(lgd_protected_init(&p, &c, NULL) == 0, "init: %s", lg_errmsg());
	snprintf(real, sizeof(real), "%s/", dir);
	CHECK(one_rule(&p, LG_RULE_READ, real, &reason) == -EPERM,
	      "the state dir by its resolved name is protected");
	lgd_protected_free(&p);
	unlink(link);
	rmdir(dir);
}

/*
 * The example configuration of docs/config.md (its first yaml block) loads,
 * holds the baseline docs/rules.md describes, and reaches none of
 * livegrant's own files. Run from the repository root (tests/run does).
 */
static void test_docs_example_config(void)
{
	char line[512], path[] = "/tmp/lgtest-docs-configXXXXXX";
	FILE *doc = fopen("docs/config.md", "re"), *out;
	struct lg_config *c = NULL;
	struct lgd_protected p;
	const char *reason = NULL;
	bool in = false, found = false;
	int fd = mkstemp(path);

	CHECK(doc && fd >= 0, "open docs/config.md and a temporary file");
	if (!doc || fd < 0)
		return;
	out = fdopen(fd, "w");
	while (out && fgets(line, sizeof(line), doc)) {
		if (!in && !found && !strcmp(line, "```yaml\n")) {
			in = found = true;
			continue;
		}
		if (in && !strcmp(line, "```\n"))
			in = false;
		else if (in)
			fputs(line, out);
	}
	fclose(doc);
	if (out)
		fclose(out);
	CHECK(found, "docs/config.md has a yaml example");
	CHECK(lg_config_load(path, &c) == 0, "the example loads: %s", lg_errmsg());
	unlink(path);
	if (!c)
		return;
	CHECK(lg_rule_covered(LG_RULE_EXEC, "/usr/lib/x86_64-linux-gnu/libc.so.6",
			      c->baseline.rules) &&
		      lg_rule_covered(LG_RULE_EXEC, "/lib64/ld-linux-x86-64.so.2",
				      c->baseline.rules),
	      "its baseline lets programs map ld.so and the libraries");
	CHECK(lg_rule_covered(LG_RULE_READ, "/etc/ld.so.cache", c->baseline.rules),
	      "and read the loader's cache");
	CHECK(lgd_protected_init(&p, c, NULL) == 0, "init: %s", lg_errmsg());
	CHECK(lgd_protected_check_config(&p, &c->baseline, "baseline", &reason) == 0,
	      "its baseline reaches none of livegrant's files: %s", lg_errmsg());
	for (size_t i = 0; i < c->n_domains; i++)
		if (c->domains[i].has_ceiling)
			CHECK(lgd_protected_check_config(&p, &c->domains[i].ceiling, "ceiling",
							 &reason) == 0,
			      "nor does a ceiling: %s", lg_errmsg());
	lgd_protected_free(&p);
	lg_config_free(c);
}

int main(void)
{
	RUN(test_protected_set);
	RUN(test_protected_rules_refused);
	RUN(test_protected_rules_allowed);
	RUN(test_protected_token);
	RUN(test_protected_resolved);
	RUN(test_docs_example_config);
	return check_summary("protected");
}

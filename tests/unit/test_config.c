// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - livegrantd's configuration file (userspace/lib/config.c).
 *
 * Every test writes its YAML into a fresh mkdtemp() directory and loads it
 * from there, so errors carry a real FILE:LINE: FIELD prefix to compare.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char dir[64];

static const char *const written[] = { "example.yaml", "case.yaml", "ok.yaml", "fifo" };

/* Write @text to @name in the test directory; the path is in a static buffer. */
static const char *write_cfg(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

static bool strv_is(const struct lg_strv *v, const char *const *want, size_t n)
{
	if (v->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v->v[i], want[i]))
			return false;
	return true;
}

#define STRV_IS(v, ...)                                     \
	strv_is(&(v), (const char *const[]){ __VA_ARGS__ }, \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/* The configuration of issues 3 and 4, with every optional field set. */
static const char example[] =
	"# livegrantd configuration\n"
	"state_dir: /run/livegrant          # control socket, state, denial log\n"
	"bpffs_dir: /sys/fs/bpf/livegrant\n"
	"audience: livegrant://node-1\n"
	"mode: audit\n"
	"refresh_interval: 30s\n"
	"token_leeway: 45s\n"
	"max_token_bytes: 8192\n"
	"metrics_listen: 127.0.0.1:9464\n"
	"agent_cgroups: [/sys/fs/cgroup/agents]\n"
	"baseline:\n"
	"  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]\n"
	"  write: [/dev/null]\n"
	"  exec: []\n"
	"  connect: []\n"
	"domains:\n"
	"  qa:\n"
	"    networks: [10.10.0.0/16, \"fd00:10::/32\"]\n"
	"    trust_bundle: /etc/livegrant/qa.jwks\n"
	"    max_ttl: 1h\n"
	"  prod:\n"
	"    networks: [10.20.0.0/16, \"fd00:20::/32\"]\n"
	"    trust_bundle: /etc/livegrant/prod.jwks\n"
	"    max_ttl: 10m\n"
	"    require_claims: [approver]\n"
	"    on_crossing: suspend\n"
	"    ceiling:\n"
	"      write: [/srv/deploy/]\n"
	"      connect: [\"10.20.0.0/16:443\"]\n";

/* The example `make install` ships (deploy/config/) is a valid configuration. */
static void test_shipped_example(void)
{
	static const char path[] = "deploy/config/livegrant.yaml.example";
	struct lg_config *c = NULL;
	int err;

	if (access(path, R_OK)) {
		CHECK(0, "%s: run from the top of the source tree (tests/run does)", path);
		return;
	}
	err = lg_config_load(path, &c);
	CHECK(!err && c, "%s loads: %s", path, err ? lg_errmsg() : "");
	if (!c)
		return;
	CHECK(c->n_domains == 2 && c->mode == LG_MODE_ENFORCE, "two domains, enforce");
	lg_config_free(c);
}

static void test_example(void)
{
	struct lg_config *c = NULL;
	const char *path = write_cfg("example.yaml", example);
	const struct lg_domain_config *qa, *prod;
	int err = lg_config_load(path, &c);

	CHECK(!err && c, "example loads: %d %s", err, lg_errmsg());
	if (err || !c)
		return;
	CHECK(!strcmp(c->path, path), "path %s", c->path);
	CHECK(!strcmp(c->state_dir, "/run/livegrant"), "state_dir %s", c->state_dir);
	CHECK(!strcmp(c->bpffs_dir, "/sys/fs/bpf/livegrant"), "bpffs_dir %s", c->bpffs_dir);
	CHECK(!strcmp(c->audience, "livegrant://node-1"), "audience %s", c->audience);
	CHECK(c->mode == LG_MODE_AUDIT, "mode %d", c->mode);
	CHECK(c->refresh_interval_s == 30, "refresh %llu",
	      (unsigned long long)c->refresh_interval_s);
	CHECK(c->token_leeway_s == 45, "leeway %llu", (unsigned long long)c->token_leeway_s);
	CHECK(c->max_token_bytes == 8192, "max_token_bytes %zu", c->max_token_bytes);
	CHECK(c->metrics_listen && !strcmp(c->metrics_listen, "127.0.0.1:9464"), "metrics_listen");
	CHECK(STRV_IS(c->agent_cgroups, "/sys/fs/cgroup/agents"), "agent_cgroups");
	CHECK(STRV_IS(c->baseline.rules[LG_RULE_READ], "/usr/", "/lib/", "/lib64/",
		      "/etc/ld.so.cache"),
	      "baseline.read");
	CHECK(STRV_IS(c->baseline.rules[LG_RULE_WRITE], "/dev/null"), "baseline.write");
	CHECK(c->baseline.rules[LG_RULE_EXEC].n == 0 && c->baseline.rules[LG_RULE_CONNECT].n == 0,
	      "baseline exec, connect");
	CHECK(c->n_domains == 2, "n_domains %zu", c->n_domains);
	if (c->n_domains != 2)
		goto out;

	qa = &c->domains[0];
	CHECK(!strcmp(qa->name, "qa") && qa->id == 1, "qa: %s id %u", qa->name, qa->id);
	CHECK(!strcmp(qa->trust_bundle, "/etc/livegrant/qa.jwks"), "qa trust_bundle");
	CHECK(qa->max_ttl_s == 3600, "qa max_ttl %llu", (unsigned long long)qa->max_ttl_s);
	CHECK(STRV_IS(qa->networks, "10.10.0.0/16", "fd00:10::/32"), "qa networks");
	CHECK(qa->require_claims.n == 0, "qa require_claims");
	CHECK(qa->on_crossing == LG_ON_CROSSING_DENY, "qa on_crossing default deny");
	CHECK(!qa->has_ceiling && !qa->ceiling.rules[LG_RULE_WRITE].n, "qa has no ceiling");

	prod = &c->domains[1];
	CHECK(!strcmp(prod->name, "prod") && prod->id == 2, "prod: %s id %u", prod->name, prod->id);
	CHECK(!strcmp(prod->trust_bundle, "/etc/livegrant/prod.jwks"), "prod trust_bundle");
	CHECK(prod->max_ttl_s == 600, "prod max_ttl %llu", (unsigned long long)prod->max_ttl_s);
	CHECK(STRV_IS(prod->networks, "10.20.0.0/16", "fd00:20::/32"), "prod networks");
	CHECK(STRV_IS(prod->require_claims, "approver"), "prod require_claims");
	CHECK(prod->on_crossing == LG_ON_CROSSING_SUSPEND, "prod on_crossing");
	CHECK(prod->has_ceiling, "prod has a ceiling");
	CHECK(STRV_IS(prod->ceiling.rules[LG_RULE_WRITE], "/srv/deploy/"), "prod ceiling.write");
	CHECK(STRV_IS(prod->ceiling.rules[LG_RULE_CONNECT], "10.20.0.0/16:443"),
	      "prod ceiling.connect");
	CHECK(!prod->ceiling.rules[LG_RULE_READ].n && !prod->ceiling.rules[LG_RULE_EXEC].n,
	      "prod ceiling read, exec empty");

	CHECK(lg_config_domain(c, "qa") == qa, "lookup qa");
	CHECK(lg_config_domain(c, "prod") == prod, "lookup prod");
	CHECK(!lg_config_domain(c, "dev") && !lg_config_domain(c, NULL), "unknown domain");
	CHECK(!lg_config_domain(NULL, "qa"), "no config");
out:
	lg_config_free(c);
}

static void test_defaults(void)
{
	struct lg_config *c = NULL;
	const char *path = write_cfg("ok.yaml", "audience: livegrant://n\n"
						"agent_cgroups:\n"
						"  - /sys/fs/cgroup/agents\n"
						"  - /sys/fs/cgroup/more\n"
						"domains:\n"
						"  dev_1-x:\n"
						"    trust_bundle: /k.pem\n"
						"    max_ttl: 90s\n");
	int err = lg_config_load(path, &c);

	CHECK(!err && c, "minimal config loads: %d %s", err, lg_errmsg());
	if (err || !c)
		return;
	CHECK(!strcmp(c->state_dir, "/run/livegrant"), "default state_dir %s", c->state_dir);
	CHECK(!strcmp(c->bpffs_dir, "/sys/fs/bpf/livegrant"), "default bpffs_dir");
	CHECK(c->mode == LG_MODE_ENFORCE, "default mode enforce");
	CHECK(c->refresh_interval_s == 30, "default refresh 30s");
	CHECK(c->token_leeway_s == 30, "default leeway 30s");
	CHECK(c->max_token_bytes == 16384, "default max_token_bytes %zu", c->max_token_bytes);
	CHECK(!c->metrics_listen, "metrics off by default");
	CHECK(STRV_IS(c->agent_cgroups, "/sys/fs/cgroup/agents", "/sys/fs/cgroup/more"),
	      "agent_cgroups block list");
	CHECK(!c->baseline.rules[LG_RULE_READ].n && !c->baseline.rules[LG_RULE_WRITE].n &&
		      !c->baseline.rules[LG_RULE_EXEC].n && !c->baseline.rules[LG_RULE_CONNECT].n,
	      "empty baseline");
	CHECK(c->n_domains == 1 && c->domains[0].id == 1 && c->domains[0].max_ttl_s == 90 &&
		      !c->domains[0].networks.n && c->domains[0].on_crossing == LG_ON_CROSSING_DENY,
	      "one domain, defaults");
	lg_config_free(c);
	lg_config_free(NULL);
}

/* Accepted corner cases, each loaded whole. */
static void test_valid_variants(void)
{
	static const struct {
		const char *name, *yaml;
	} cases[] = {
		{ "flow style, quoted keys, token_leeway 0s, IPv6 metrics",
		  "{\"audience\": \"aud\", agent_cgroups: [/a], token_leeway: 0s,\n"
		  " metrics_listen: \"[::1]:9464\", domains: {qa: {trust_bundle: /q, max_ttl: 1m}}}\n" },
		{ "overlap within one domain, adjacent across domains, v4 and v6 apart",
		  "audience: a\nagent_cgroups: [/a]\ndomains:\n"
		  "  qa:\n    trust_bundle: /q\n    max_ttl: 1h\n"
		  "    networks: [10.10.0.0/16, 10.10.1.0/24, 0.0.0.0/1]\n"
		  "  prod:\n    trust_bundle: /p\n    max_ttl: 1h\n"
		  "    networks: [128.0.0.0/1, \"fd00::/8\"]\n"
		  "  stage:\n    trust_bundle: /s\n    max_ttl: 1h\n"
		  "    networks: [\"fe80::/10\", \"2001:db8::/32\"]\n" },
		{ "empty ceiling, longest durations, bounds of max_token_bytes",
		  "audience: a\nagent_cgroups: [/a]\nmax_token_bytes: 1048576\n"
		  "refresh_interval: 4294967295s\ndomains:\n"
		  "  qa: {trust_bundle: /q, max_ttl: 1193046h, ceiling: {}}\n" },
		{ "document markers, comments, baseline unix and IPv6 rules",
		  "%YAML 1.1\n---\n# comment\naudience: a # trailing\nagent_cgroups: [/a]\n"
		  "baseline:\n  connect: [\"unix:/run/db.sock\", \"[fd00:10::/32]:443\", fd00::/16]\n"
		  "domains: {qa: {trust_bundle: /q, max_ttl: 1h}}\n...\n" },
		{ "listen rules in the baseline and a ceiling",
		  "audience: a\nagent_cgroups: [/a]\n"
		  "baseline:\n  listen: [\"127.0.0.1:8080\", \"[::1]:8000-8100\", unix:@mine]\n"
		  "domains: {qa: {trust_bundle: /q, max_ttl: 1h, ceiling: {listen: [\"0.0.0.0/0:9000\"]}}}\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lg_config *c = NULL;
		int err = lg_config_load(write_cfg("ok.yaml", cases[i].yaml), &c);

		CHECK(!err && c, "%s: %d %s", cases[i].name, err, lg_errmsg());
		lg_config_free(c);
	}
}

/* The kubernetes: section: defaults, and agent_cgroups no longer required. */
static void test_kubernetes(void)
{
	struct lg_config *c = NULL;
	const char *path = write_cfg("kube.yaml",
				     "audience: a\n"
				     "domains:\n  qa:\n    trust_bundle: /q\n    max_ttl: 1h\n"
				     "kubernetes:\n"
				     "  namespaces: [agents, agents-prod]\n"
				     "  labels: {livegrant.io/agent: \"true\", tier: \"\"}\n"
				     "  cgroup_driver: cgroupfs\n"
				     "  kubelet_url: https://${NODE_NAME}:10250\n");
	int err = lg_config_load(path, &c);

	CHECK(!err && c, "kubernetes config loads without agent_cgroups: %d %s", err, lg_errmsg());
	if (err || !c)
		return;
	CHECK(c->kube.enabled && !c->agent_cgroups.n, "kubernetes on, no agent_cgroups");
	CHECK(STRV_IS(c->kube.namespaces, "agents", "agents-prod"), "namespaces");
	CHECK(c->kube.label_keys.n == 2 && !strcmp(c->kube.label_keys.v[0], "livegrant.io/agent") &&
		      !strcmp(c->kube.label_values.v[0], "true") &&
		      !strcmp(c->kube.label_values.v[1], ""),
	      "labels, an empty value kept");
	CHECK(c->kube.driver == LG_KUBE_CGROUPFS, "cgroupfs driver");
	CHECK(!strcmp(c->kube.kubelet_url, "https://${NODE_NAME}:10250"), "URL kept as written: %s",
	      c->kube.kubelet_url);
	CHECK(!strcmp(c->kube.ca_file, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt") &&
		      !strcmp(c->kube.token_file,
			      "/var/run/secrets/kubernetes.io/serviceaccount/token"),
	      "service-account defaults");
	CHECK(c->kube.poll_interval_s == 5 && c->kube.timeout_s == 10, "poll 5s, timeout 10s");
	lg_config_free(c);
}

/* trust_bundle as an https URL, with and without trust_bundle_fetch. */
static void test_fetched_bundles(void)
{
	struct lg_config *c = NULL;
	const char *path = write_cfg(
		"fetch.yaml",
		"audience: a\nagent_cgroups: [/sys/fs/cgroup/agents]\n"
		"domains:\n"
		"  qa:\n    trust_bundle: https://issuer.qa.example/.well-known/jwks.json\n"
		"    max_ttl: 1h\n"
		"  prod:\n    trust_bundle: https://127.0.0.1:8443/jwks\n    max_ttl: 1h\n"
		"    trust_bundle_fetch:\n      ca_file: /etc/livegrant/prod-ca.pem\n"
		"      refresh: 20s\n      max_age: 2m\n      timeout: 3s\n"
		"  dev:\n    trust_bundle: /etc/livegrant/dev.jwks\n    max_ttl: 1h\n");
	const struct lg_domain_config *qa, *prod, *dev;
	int err = lg_config_load(path, &c);

	CHECK(!err && c, "URL bundles load: %d %s", err, lg_errmsg());
	if (err || !c)
		return;
	qa = lg_config_domain(c, "qa");
	prod = lg_config_domain(c, "prod");
	dev = lg_config_domain(c, "dev");
	CHECK(qa && qa->trust_bundle_url && !qa->has_fetch && !qa->fetch.ca_file &&
		      qa->fetch.refresh_s == 300 && qa->fetch.min_interval_s == 30 &&
		      qa->fetch.max_age_s == 86400 && qa->fetch.timeout_s == 10,
	      "defaults: the system's CAs, refresh 5m, min_interval 30s, max_age 24h, timeout 10s");
	CHECK(prod && prod->has_fetch &&
		      !strcmp(prod->fetch.ca_file, "/etc/livegrant/prod-ca.pem") &&
		      prod->fetch.refresh_s == 20 && prod->fetch.min_interval_s == 20 &&
		      prod->fetch.max_age_s == 120 && prod->fetch.timeout_s == 3,
	      "written values; min_interval no longer than refresh");
	CHECK(dev && !dev->trust_bundle_url, "a path stays a file");
	lg_config_free(c);
}

static void test_durations(void)
{
	static const struct {
		const char *in;
		int err;
		uint64_t s;
	} cases[] = {
		{ "30s", 0, 30 },
		{ "10m", 0, 600 },
		{ "1h", 0, 3600 },
		{ "1s", 0, 1 },
		{ "007m", 0, 420 },
		{ "4294967295s", 0, 4294967295ULL },
		{ "1193046h", 0, 1193046ULL * 3600 },
		{ "30", -EINVAL, 0 },
		{ "0s", -EINVAL, 0 },
		{ "0h", -EINVAL, 0 },
		{ "4294967296s", -EINVAL, 0 },
		{ "1193047h", -EINVAL, 0 },
		{ "99999999999999999999999999s", -EINVAL, 0 },
		{ "1d", -EINVAL, 0 },
		{ "1ms", -EINVAL, 0 },
		{ "1h30m", -EINVAL, 0 },
		{ "10 s", -EINVAL, 0 },
		{ " 10s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "+1s", -EINVAL, 0 },
		{ "1.5h", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "1S", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int err = lg_parse_duration(cases[i].in, &v);

		CHECK(err == cases[i].err, "\"%s\": err %d want %d (%s)", cases[i].in, err,
		      cases[i].err, lg_errmsg());
		CHECK(err ? v == 12345 : v == cases[i].s, "\"%s\": %llu want %llu", cases[i].in,
		      (unsigned long long)v, (unsigned long long)cases[i].s);
	}
	CHECK(lg_parse_duration("30", &(uint64_t){ 0 }) == -EINVAL &&
		      !strcmp(lg_errmsg(), "\"30\" has no unit; write 30s, 10m or 1h"),
	      "message: %s", lg_errmsg());
	CHECK(lg_parse_duration(NULL, &(uint64_t){ 0 }) == -EINVAL, "NULL refused");
}

/* Common lines: HEAD is lines 1-2, HEAD DOM lines 1-6. */
#define HEAD "audience: livegrant://node-1\nagent_cgroups: [/sys/fs/cgroup/agents]\n"
#define DOM "domains:\n  qa:\n    trust_bundle: /etc/livegrant/qa.jwks\n    max_ttl: 1h\n"
#define QA_NET(n) "domains:\n  qa:\n    trust_bundle: /q\n    max_ttl: 1h\n    networks: " n "\n"
#define PROD_NET(n) "  prod:\n    trust_bundle: /p\n    max_ttl: 1h\n    networks: " n "\n"

/**
 * struct err_case - a config that is refused.
 * @line, @field: the message starts "FILE:LINE: FIELD: ".
 * @also:         substrings the message must contain as well.
 */
struct err_case {
	const char *name, *yaml;
	int line;
	const char *field;
	const char *also[3];
};

static const struct err_case err_cases[] = {
	/* unknown keys */
	{ "unknown top key",
	  HEAD DOM "refresh_intervall: 30s\n",
	  7,
	  "refresh_intervall",
	  { "unknown key", "refresh_interval," } },
	{ "plain http bundle",
	  HEAD "domains:\n  qa:\n    trust_bundle: http://issuer/jwks\n    max_ttl: 1h\n",
	  5,
	  "domains.qa.trust_bundle",
	  { "is not https", "in transit" } },
	{ "bundle URL with a user part",
	  HEAD "domains:\n  qa:\n    trust_bundle: https://u@issuer/jwks\n    max_ttl: 1h\n",
	  5,
	  "domains.qa.trust_bundle",
	  { "not a usable URL" } },
	{ "bundle URL without a host",
	  HEAD "domains:\n  qa:\n    trust_bundle: https:///jwks\n    max_ttl: 1h\n",
	  5,
	  "domains.qa.trust_bundle",
	  { "not a usable URL" } },
	{ "fetch settings for a file",
	  HEAD DOM "    trust_bundle_fetch: {refresh: 1m}\n",
	  7,

	  "domains.qa.trust_bundle_fetch",
	  { "only for a trust_bundle that is an https URL" } },
	{ "fetch min_interval past refresh",
	  HEAD "domains:\n  qa:\n    trust_bundle: https://i/j\n    max_ttl: 1h\n"
	       "    trust_bundle_fetch: {refresh: 1m, min_interval: 2m}\n",
	  7,

	  "domains.qa.trust_bundle_fetch",
	  { "min_interval (120s) is longer than refresh (60s)" } },
	{ "fetch max_age under two refreshes",
	  HEAD "domains:\n  qa:\n    trust_bundle: https://i/j\n    max_ttl: 1h\n"
	       "    trust_bundle_fetch: {refresh: 1h, max_age: 90m}\n",
	  7,

	  "domains.qa.trust_bundle_fetch",
	  { "max_age (5400s) is less than two refreshes" } },
	{ "fetch timeout too long",
	  HEAD "domains:\n  qa:\n    trust_bundle: https://i/j\n    max_ttl: 1h\n"
	       "    trust_bundle_fetch: {timeout: 2m}\n",
	  7,
	  "domains.qa.trust_bundle_fetch.timeout",
	  { "longer than 60s" } },
	{ "fetch unknown key",
	  HEAD "domains:\n  qa:\n    trust_bundle: https://i/j\n    max_ttl: 1h\n"
	       "    trust_bundle_fetch: {refresh: 1m, maxage: 1h}\n",
	  7,
	  "domains.qa.trust_bundle_fetch.maxage",
	  { "unknown key", "max_age" } },
	{ "unknown domain key",
	  HEAD DOM "    max_tll: 1h\n",
	  7,
	  "domains.qa.max_tll",
	  { "unknown key", "trust_bundle, trust_bundle_fetch, max_ttl" } },
	{ "unknown baseline key",
	  HEAD DOM "baseline:\n  reads: [/usr/]\n",
	  8,
	  "baseline.reads",
	  { "unknown key" } },
	{ "merge key", HEAD DOM "<<: {mode: audit}\n", 7, "<<", { "unknown key" } },
	/* wrong node types */
	{ "list for a scalar",
	  HEAD DOM "mode: [enforce]\n",
	  7,
	  "mode",
	  { "expected enforce or audit, found a list" } },
	{ "scalar for a list",
	  "audience: a\nagent_cgroups: /sys/fs/cgroup/agents\n" DOM,
	  2,
	  "agent_cgroups",
	  { "found the single value", "write [/sys/fs/cgroup/agents]" } },
	{ "mapping for a list",
	  HEAD DOM "baseline:\n  read: {a: b}\n",
	  8,
	  "baseline.read",
	  { "found a mapping" } },
	{ "list for a mapping", HEAD "domains: [qa]\n", 3, "domains", { "found a list" } },
	{ "scalar for a mapping",
	  HEAD DOM "baseline: /usr/\n",
	  7,
	  "baseline",
	  { "found a single value" } },
	{ "list inside a list",
	  HEAD DOM "baseline:\n  read: [[/usr/]]\n",
	  8,
	  "baseline.read[0]",
	  { "found a list" } },
	{ "domain is a scalar",
	  HEAD "domains:\n  qa: /etc/livegrant/qa.jwks\n",
	  4,
	  "domains.qa",
	  { "expected a mapping" } },
	{ "duration is a list",
	  HEAD "domains:\n  qa:\n    trust_bundle: /q\n    max_ttl: [1h]\n",
	  6,
	  "domains.qa.max_ttl",
	  { "found a list" } },
	{ "key is a list", HEAD DOM "? [a]\n: b\n", 7, "(top level)", { "plain name" } },
	{ "root is a list", "- audience\n- domains\n", 1, "(top level)", { "expected a mapping" } },
	{ "root is a scalar", "audience\n", 1, "(top level)", { "expected a mapping" } },
	/* missing fields */
	{ "missing audience",
	  "agent_cgroups: [/sys/fs/cgroup/agents]\n" DOM,
	  1,
	  "audience",
	  { "is missing; add audience:" } },
	{ "missing agent_cgroups", "audience: a\n" DOM, 1, "agent_cgroups", { "is missing" } },
	{ "missing domains", HEAD "mode: audit\n", 1, "domains", { "is missing" } },
	{ "kubernetes without namespaces",
	  "audience: a\n" DOM "kubernetes:\n  cgroup_driver: systemd\n",
	  7,
	  "kubernetes.namespaces",
	  { "is missing", "namespaces: [agents]" } },
	{ "kubelet over http",
	  "audience: a\n" DOM
	  "kubernetes:\n  namespaces: [agents]\n  kubelet_url: http://10.0.0.1:10255\n",
	  8,
	  "kubernetes.kubelet_url",
	  { "not https", "authenticated kubelet" } },
	{ "kubelet URL with a path",
	  "audience: a\n" DOM
	  "kubernetes:\n  namespaces: [agents]\n  kubelet_url: https://n:10250/pods\n",
	  8,
	  "kubernetes.kubelet_url",
	  { "path, query or user part" } },
	{ "unknown cgroup driver",
	  "audience: a\n" DOM "kubernetes:\n  namespaces: [agents]\n  cgroup_driver: cgroupv1\n",
	  8,
	  "kubernetes.cgroup_driver",
	  { "systemd or cgroupfs" } },
	{ "bad namespace",
	  "audience: a\n" DOM "kubernetes:\n  namespaces: [Agents_1]\n",
	  7,
	  "kubernetes.namespaces[0]",
	  { "not a namespace name" } },
	{ "label value not a string",
	  "audience: a\n" DOM "kubernetes:\n  namespaces: [a]\n  labels: {app: [x]}\n",
	  8,
	  "kubernetes.labels.app",
	  { "expected a label value" } },
	{ "bad label name",
	  "audience: a\n" DOM "kubernetes:\n  namespaces: [a]\n  labels: {\"a b\": x}\n",
	  8,
	  "kubernetes.labels.a b",
	  { "not a label name" } },
	{ "kubelet timeout too long",
	  "audience: a\n" DOM "kubernetes:\n  namespaces: [a]\n  timeout: 5m\n",
	  8,
	  "kubernetes.timeout",
	  { "longer than 60s" } },
	{ "misspelt kubernetes key",
	  "audience: a\n" DOM "kubernetes:\n  namespace: [a]\n",
	  7,
	  "kubernetes.namespace",
	  { "unknown key" } },
	{ "missing trust_bundle",
	  HEAD "domains:\n  qa:\n    max_ttl: 1h\n",
	  4,
	  "domains.qa.trust_bundle",
	  { "is missing; add trust_bundle:" } },
	{ "missing max_ttl",
	  HEAD DOM "  prod:\n    trust_bundle: /p.jwks\n",
	  7,
	  "domains.prod.max_ttl",
	  { "is missing; add max_ttl:" } },
	{ "no domain", HEAD "domains: {}\n", 3, "domains", { "has no domain" } },
	/* empty values */
	{ "null value", "audience:\nagent_cgroups: [/a]\n" DOM, 1, "audience", { "has no value" } },
	{ "tilde value", HEAD DOM "metrics_listen: ~\n", 7, "metrics_listen", { "has no value" } },
	{ "empty string",
	  "audience: \"\"\nagent_cgroups: [/a]\n" DOM,
	  1,
	  "audience",
	  { "is empty" } },
	{ "empty list item",
	  HEAD DOM "baseline:\n  read: [/usr/, \"\"]\n",
	  8,
	  "baseline.read[1]",
	  { "is empty" } },
	{ "null domain", HEAD "domains:\n  qa:\n", 4, "domains.qa", { "has no value" } },
	{ "null list", HEAD DOM "baseline:\n  read:\n", 8, "baseline.read", { "has no value" } },
	{ "control character",
	  "audience: \"a\\nb\"\nagent_cgroups: [/a]\n" DOM,
	  1,
	  "audience",
	  { "control character 0x0a" } },
	/* durations */
	{ "duration without unit",
	  HEAD DOM "refresh_interval: \"30\"\n",
	  7,
	  "refresh_interval",
	  { "\"30\" has no unit; write 30s, 10m or 1h" } },
	{ "plain number duration",
	  HEAD DOM "refresh_interval: 30\n",
	  7,
	  "refresh_interval",
	  { "has no unit" } },
	{ "duration in days",
	  HEAD "domains:\n  qa:\n    trust_bundle: /q\n    max_ttl: 1d\n",
	  6,
	  "domains.qa.max_ttl",
	  { "unit \"d\" is not s, m or h" } },
	{ "zero duration", HEAD DOM "refresh_interval: 0s\n", 7, "refresh_interval", { "is zero" } },
	{ "duration overflow",
	  HEAD DOM "refresh_interval: 18446744073709551617s\n",
	  7,
	  "refresh_interval",
	  { "too long" } },
	{ "duration overflow by unit",
	  HEAD DOM "token_leeway: 4294967295h\n",
	  7,
	  "token_leeway",
	  { "too long" } },
	{ "leeway too long",
	  HEAD DOM "token_leeway: 1h\n",
	  7,
	  "token_leeway",
	  { "more than 300s" } },
	/* rules */
	{ "relative path rule",
	  HEAD DOM "baseline:\n  read: [/usr/, /lib/, usr/]\n",
	  8,
	  "baseline.read[2]",
	  { "path rule \"usr/\" is not absolute" } },
	{ "dotdot path rule",
	  HEAD DOM "baseline:\n  write:\n    - /tmp/\n    - /a/../b\n",
	  10,
	  "baseline.write[1]",
	  { "\"..\"" } },
	{ "bad ceiling exec rule",
	  HEAD DOM "  prod:\n    trust_bundle: /p\n    max_ttl: 10m\n    ceiling:\n"
		   "      exec: [bin/sh]\n",
	  11,
	  "domains.prod.ceiling.exec[0]",
	  { "not absolute" } },
	{ "connect rule with host bits",
	  HEAD DOM "baseline:\n  connect: [\"10.0.0.5/8:443\"]\n",
	  8,
	  "baseline.connect[0]",
	  { "bits set beyond /8" } },
	{ "connect rule bad port",
	  HEAD DOM "    ceiling:\n      connect: [10.20.0.0/16:443, 10.20.0.0/16:99999]\n",
	  8,
	  "domains.qa.ceiling.connect[1]",
	  { "port \"99999\"" } },
	{ "connect rule bad unix",
	  HEAD DOM "baseline:\n  connect: [unix:run/db.sock]\n",
	  8,
	  "baseline.connect[0]",
	  { "unix:/absolute/path" } },
	{ "listen rule for a pathname socket",
	  HEAD DOM "baseline:\n  listen: [\"127.0.0.1:8080\", unix:/run/mine.sock]\n",
	  8,
	  "baseline.listen[1]",
	  { "write rule" } },
	{ "too many port ranges",
	  HEAD DOM
	  "baseline:\n  connect: [10.0.0.0/8:1, 10.0.0.0/8:3, 10.0.0.0/8:5, 10.0.0.0/8:7,\n"
	  "    10.0.0.0/8:9, 10.0.0.0/8:11, 10.0.0.0/8:13, 10.0.0.0/8:15, 10.0.0.0/8:17,\n"
	  "    10.0.0.0/8:19, 10.0.0.0/8:21, 10.0.0.0/8:23, 10.0.0.0/8:25, 10.0.0.0/8:27,\n"
	  "    10.0.0.0/8:29, 10.0.0.0/8:31, 10.0.0.0/8:33]\n",
	  8,
	  "baseline",
	  { "LG_MAX_PORT_RANGES" } },
	/* domain networks */
	{ "overlapping IPv4 networks",
	  HEAD QA_NET("[10.10.0.0/16]") PROD_NET("[10.20.0.0/16, 10.10.5.0/24]"),
	  11,
	  "domains.prod.networks[1]",
	  { "10.10.5.0/24 of domain prod overlaps 10.10.0.0/16 of domain qa", "(line 7)" } },
	{ "overlapping IPv6 networks",
	  HEAD QA_NET("[\"fd00:10::/32\"]") PROD_NET("[\"fd00::/16\"]"),
	  11,
	  "domains.prod.networks[0]",
	  { "fd00::/16 of domain prod overlaps fd00:10::/32 of domain qa" } },
	{ "IPv6 network covering IPv4",
	  HEAD QA_NET("[10.10.0.0/16]") PROD_NET("[\"::/0\"]"),
	  11,
	  "domains.prod.networks[0]",
	  { "::/0 of domain prod overlaps 10.10.0.0/16 of domain qa" } },
	{ "IPv4-mapped network",
	  HEAD QA_NET("[10.10.0.0/16]") PROD_NET("[\"::ffff:10.10.0.0/112\"]"),
	  11,
	  "domains.prod.networks[0]",
	  { "of domain qa" } },
	{ "same network twice",
	  HEAD QA_NET("[10.10.0.0/16]") PROD_NET("[10.10.0.0/16]"),
	  11,
	  "domains.prod.networks[0]",
	  { "overlaps" } },
	{ "network with a port",
	  HEAD QA_NET("[\"10.10.0.0/16:443\"]"),
	  7,
	  "domains.qa.networks[0]",
	  { "has a port" } },
	{ "network in brackets",
	  HEAD QA_NET("[\"[fd00::/16]\"]"),
	  7,
	  "domains.qa.networks[0]",
	  { "without brackets" } },
	{ "unix network",
	  HEAD QA_NET("[\"unix:/run/x.sock\"]"),
	  7,
	  "domains.qa.networks[0]",
	  { "unix socket" } },
	{ "network without length",
	  HEAD QA_NET("[10.10.0.1]"),
	  7,
	  "domains.qa.networks[0]",
	  { "no prefix length", "/32" } },
	{ "network with host bits",
	  HEAD QA_NET("[10.10.0.1/16]"),
	  7,
	  "domains.qa.networks[0]",
	  { "bits set beyond" } },
	{ "network not an address",
	  HEAD QA_NET("[example.com/16]"),
	  7,
	  "domains.qa.networks[0]",
	  { "not an IPv4 address" } },
	/* domains */
	{ "duplicate domain",
	  HEAD DOM "  qa:\n    trust_bundle: /q2\n    max_ttl: 1m\n",
	  7,
	  "domains.qa",
	  { "first at line 4" } },
	{ "uppercase domain name",
	  HEAD "domains:\n  QA:\n    trust_bundle: /q\n    max_ttl: 1h\n",
	  4,
	  "domains.QA",
	  { "has 'Q'" } },
	{ "dotted domain name",
	  HEAD "domains:\n  q.a:\n    trust_bundle: /q\n    max_ttl: 1h\n",
	  4,
	  "domains.q.a",
	  { "has '.'" } },
	{ "long domain name",
	  HEAD
	  "domains:\n  abcdefghijklmnopqrstuvwxyz0123456:\n    trust_bundle: /q\n    max_ttl: 1h\n",
	  4,
	  "domains.abcdefghijklmnopqrstuvwxyz0123456",
	  { "longer than 32" } },
	{ "bad on_crossing",
	  HEAD DOM "    on_crossing: block\n",
	  7,
	  "domains.qa.on_crossing",
	  { "write deny or suspend" } },
	{ "relative trust_bundle",
	  HEAD "domains:\n  qa:\n    trust_bundle: qa.jwks\n    max_ttl: 1h\n",
	  5,
	  "domains.qa.trust_bundle",
	  { "relative" } },
	{ "duplicate claim",
	  HEAD DOM "    require_claims: [approver, approver]\n",
	  7,
	  "domains.qa.require_claims[1]",
	  { "twice" } },
	/* top-level scalars */
	{ "bad mode", HEAD DOM "mode: enforcing\n", 7, "mode", { "write enforce or audit" } },
	{ "max_token_bytes too small",
	  HEAD DOM "max_token_bytes: 100\n",
	  7,
	  "max_token_bytes",
	  { "1024 to 1048576" } },
	{ "max_token_bytes too large",
	  HEAD DOM "max_token_bytes: 99999999999999999999999\n",
	  7,
	  "max_token_bytes",
	  { "out of range" } },
	{ "max_token_bytes with unit",
	  HEAD DOM "max_token_bytes: 16k\n",
	  7,
	  "max_token_bytes",
	  { "not a whole number" } },
	{ "metrics_listen host name",
	  HEAD DOM "metrics_listen: localhost:9464\n",
	  7,
	  "metrics_listen",
	  { "127.0.0.1:9464" } },
	{ "metrics_listen port 0",
	  HEAD DOM "metrics_listen: 127.0.0.1:0\n",
	  7,
	  "metrics_listen",
	  { "not an address and port" } },
	{ "metrics_listen without port",
	  HEAD DOM "metrics_listen: \"[::1]\"\n",
	  7,
	  "metrics_listen",
	  { "not an address and port" } },
	{ "relative state_dir",
	  HEAD DOM "state_dir: run/livegrant\n",
	  7,
	  "state_dir",
	  { "relative" } },
	{ "state_dir too long for the socket",
	  HEAD DOM
	  "state_dir: /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  7,
	  "state_dir",
	  { "control socket" } },
	{ "bpffs_dir with dotdot",
	  HEAD DOM "bpffs_dir: /sys/fs/bpf/../livegrant\n",
	  7,
	  "bpffs_dir",
	  { "canonical" } },
	/* agent cgroups */
	{ "empty agent_cgroups",
	  "audience: a\nagent_cgroups: []\n" DOM,
	  2,
	  "agent_cgroups",
	  { "is empty" } },
	{ "relative cgroup path",
	  "audience: a\nagent_cgroups: [/sys/fs/cgroup/agents, agents/x]\n" DOM,
	  2,
	  "agent_cgroups[1]",
	  { "\"agents/x\" is relative" } },
	{ "duplicate cgroup path",
	  "audience: a\nagent_cgroups:\n  - /a/b\n  - /a//b/\n" DOM,
	  4,
	  "agent_cgroups[1]",
	  { "same cgroup" } },
	/* duplicates and YAML features */
	{ "duplicate key",
	  HEAD DOM "mode: audit\nmode: enforce\n",
	  8,
	  "mode",
	  { "twice (first at line 7)" } },
	{ "anchor",
	  HEAD "domains:\n  qa: &d\n    trust_bundle: /q\n    max_ttl: 1h\n  prod: *d\n",
	  4,
	  "domains.qa",
	  { "anchor &d" } },
	{ "alias", HEAD DOM "  prod: *d\n", 7, "domains.prod", { "alias *d" } },
	{ "alias in a list",
	  HEAD DOM "baseline:\n  read: [/usr/, *x]\n",
	  8,
	  "baseline.read[1]",
	  { "alias *x" } },
	{ "tag", HEAD DOM "max_token_bytes: !!int 2048\n", 7, "max_token_bytes", { "tag !!int:" } },
	{ "two documents",
	  HEAD DOM "---\nmode: audit\n",
	  7,
	  "(top level)",
	  { "second YAML document" } },
	{ "too deep",
	  HEAD DOM "baseline:\n  read: [[[[[[[/a]]]]]]]\n",
	  8,
	  "baseline.read[0][0][0][0][0][0]",
	  { "deeper than 8" } },
	{ "YAML syntax error",
	  HEAD "domains:\n  qa:\n    trust_bundle: /q\n   max_ttl: 1h\n",
	  6,
	  "YAML",
	  { "did not find expected key" } },
	{ "unclosed bracket",
	  HEAD DOM "baseline:\n  read: [/usr/\n",
	  9,
	  "YAML",
	  { "flow sequence" } },
	{ "tab indentation",
	  HEAD DOM "mode:\taudit\nbaseline:\n\tread: []\n",
	  9,
	  "YAML",
	  { "never tabs" } },
	{ "invalid UTF-8", HEAD DOM "audience: \xff\n", 7, "YAML", { "UTF-8" } },
	{ "control byte in the file",
	  HEAD DOM "mode: audit\x01\n",
	  7,
	  "YAML",
	  { "control characters" } },
	{ "empty file", "", 1, "(top level)", { "no configuration" } },
	{ "comments only", "# nothing\n\n", 1, "(top level)", { "no configuration" } },
};

static void check_err_case(const struct err_case *t)
{
	struct lg_config *c = (struct lg_config *)1;
	const char *path = write_cfg("case.yaml", t->yaml);
	char prefix[256];
	const char *msg;
	int err = lg_config_load(path, &c);

	msg = lg_errmsg();
	if (getenv("LG_TEST_VERBOSE"))
		printf("    %s: %s\n", t->name, msg);
	CHECK(err == -EINVAL && !c, "%s: err %d, want -EINVAL (%s)", t->name, err, msg);
	snprintf(prefix, sizeof(prefix), "%s:%d: %s: ", path, t->line, t->field);
	CHECK(!strncmp(msg, prefix, strlen(prefix)), "%s: \"%s\" does not start with \"%s\"",
	      t->name, msg, prefix);
	for (size_t i = 0; i < 3 && t->also[i]; i++)
		CHECK(strstr(msg, t->also[i]), "%s: \"%s\" lacks \"%s\"", t->name, msg, t->also[i]);
	if (!err)
		lg_config_free(c);
}

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		check_err_case(&err_cases[i]);
}

static void test_file_errors(void)
{
	struct lg_config *c = (struct lg_config *)1;
	char path[128];
	int err;

	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	err = lg_config_load(path, &c);
	CHECK(err == -ENOENT && !c, "missing file: %d (%s)", err, lg_errmsg());
	CHECK(!strncmp(lg_errmsg(), path, strlen(path)) && strstr(lg_errmsg(), "--config"),
	      "missing file message: %s", lg_errmsg());
	err = lg_config_load(dir, &c);
	CHECK(err == -EINVAL && !c && strstr(lg_errmsg(), "not a regular file"),
	      "directory: %d (%s)", err, lg_errmsg());
	/* A FIFO is refused at once, not waited on for a writer. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(!mkfifo(path, 0600), "mkfifo %s", path);
	err = lg_config_load(path, &c);
	CHECK(err == -EINVAL && !c && strstr(lg_errmsg(), "not a regular file"), "fifo: %d (%s)",
	      err, lg_errmsg());
	err = lg_config_load("", &c);
	CHECK(err == -EINVAL && !c, "empty path: %d (%s)", err, lg_errmsg());
}

/* Lists are bounded before their items are read (they are compared pairwise). */
static void test_list_limit(void)
{
	static char yaml[4096];
	struct lg_config *c = (struct lg_config *)1;
	size_t n;
	int err;

	n = snprintf(yaml, sizeof(yaml), "audience: a\nagent_cgroups: [/r0");
	for (int i = 1; i <= 64; i++)
		n += snprintf(yaml + n, sizeof(yaml) - n, ", /r%d", i);
	snprintf(yaml + n, sizeof(yaml) - n, "]\n" DOM);
	err = lg_config_load(write_cfg("case.yaml", yaml), &c);
	CHECK(err == -EINVAL && !c, "65 agent roots: %d (%s)", err, lg_errmsg());
	CHECK(strstr(lg_errmsg(), ":2: agent_cgroups: has 65 items, more than 64 (CFG_ROOTS_MAX"),
	      "message: %s", lg_errmsg());
}

/* lg_config_parse(): the same document from memory, no NUL needed, named as given. */
static void test_parse_buffer(void)
{
	static const char yaml[] = "audience: a\nagent_cgroups: [/sys/fs/cgroup/agents]\n" DOM
				   "mode: audit\nXXXX";
	struct lg_config *c = NULL;
	/* Up to the junk after the last newline: a buffer need not end in a NUL. */
	int err = lg_config_parse("inline", yaml, sizeof(yaml) - 1 - 4, &c);

	CHECK(!err && c && c->mode == LG_MODE_AUDIT && !strcmp(c->path, "inline") &&
		      !strcmp(c->state_dir, "/run/livegrant"),
	      "parsed from memory: %d %s", err, lg_errmsg());
	lg_config_free(c);
	err = lg_config_parse("inline", "audience: [\n", 12, &c);
	CHECK(err == -EINVAL && !c && !strncmp(lg_errmsg(), "inline:", 7),
	      "errors name the buffer: %s", lg_errmsg());
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lg-config-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_example);
	RUN(test_shipped_example);
	RUN(test_defaults);
	RUN(test_valid_variants);
	RUN(test_durations);
	RUN(test_kubernetes);
	RUN(test_fetched_bundles);
	RUN(test_errors);
	RUN(test_list_limit);
	RUN(test_file_errors);
	RUN(test_parse_buffer);
	for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, written[i]);
		unlink(path);
	}
	rmdir(dir);
	return check_summary("config");
}

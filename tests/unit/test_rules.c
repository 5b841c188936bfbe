// SPDX-License-Identifier: GPL-2.0
/* test_rules.c - rule parsing and compilation (userspace/lib/rules.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "check.h"
#include "rules.h"
#include <livegrant/path_hash.h>

static void test_path_rules(void)
{
	static const struct {
		const char *in, *out;
		int err;
		bool subtree;
	} cases[] = {
		{ "/workspace/", "/workspace", 0, true },
		{ "/workspace", "/workspace", 0, false },
		{ "/", "", 0, true },
		{ "//usr//lib/", "/usr/lib", 0, true },
		{ "/etc/ld.so.cache", "/etc/ld.so.cache", 0, false },
		{ "/a/./b", NULL, -EINVAL, false },
		{ "/a/../b", NULL, -EINVAL, false },
		{ "/a/..", NULL, -EINVAL, false },
		{ "/a/..b/", "/a/..b", 0, true },
		{ "relative", NULL, -EINVAL, false },
		{ "", NULL, -EINVAL, false },
	};
	char out[LG_PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len = 0;
		bool sub = false;
		int err = lg_path_rule_parse(cases[i].in, out, &len, &sub);

		CHECK(err == cases[i].err, "path \"%s\": err %d want %d (%s)", cases[i].in, err,
		      cases[i].err, lg_errmsg());
		if (!err && cases[i].out) {
			CHECK(!strcmp(out, cases[i].out) && len == strlen(cases[i].out),
			      "path \"%s\" -> \"%s\" want \"%s\"", cases[i].in, out, cases[i].out);
			CHECK(sub == cases[i].subtree, "path \"%s\" subtree %d", cases[i].in, sub);
		}
	}
}

static void test_path_too_long(void)
{
	static char rule[LG_PATH_MAX + 8];
	char out[LG_PATH_MAX];
	uint32_t len;
	bool sub;

	rule[0] = '/';
	memset(rule + 1, 'a', LG_PATH_MAX - 2);
	rule[LG_PATH_MAX - 1] = 0; /* LG_PATH_MAX - 1 bytes: fits with NUL */
	CHECK(lg_path_rule_parse(rule, out, &len, &sub) == 0 && len == LG_PATH_MAX - 1,
	      "longest rule accepted (%s)", lg_errmsg());
	rule[LG_PATH_MAX - 1] = 'a';
	rule[LG_PATH_MAX] = 0;
	CHECK(lg_path_rule_parse(rule, out, &len, &sub) == -ENAMETOOLONG,
	      "rule of LG_PATH_MAX bytes refused");
}

static void test_net_rules(void)
{
	static const struct {
		const char *in;
		int err;
		const char *addr; /* as IPv6 text */
		uint32_t plen;
		uint16_t lo, hi;
	} cases[] = {
		{ "10.10.1.0/24:443", 0, "::ffff:10.10.1.0", 120, 443, 443 },
		{ "10.10.2.5:8000-8100", 0, "::ffff:10.10.2.5", 128, 8000, 8100 },
		{ "10.10.3.0/24", 0, "::ffff:10.10.3.0", 120, 0, 65535 },
		{ "0.0.0.0/0:53", 0, "::ffff:0.0.0.0", 96, 53, 53 },
		{ "[fd00:10::/32]:443", 0, "fd00:10::", 32, 443, 443 },
		{ "[::1]:80", 0, "::1", 128, 80, 80 },
		{ "fd00::/16", 0, "fd00::", 16, 0, 65535 },
		{ "[fd00::/16]", 0, "fd00::", 16, 0, 65535 },
		{ "10.10.1.5/24:443", -EINVAL, NULL, 0, 0, 0 },
		{ "10.10.1.0/33", -EINVAL, NULL, 0, 0, 0 },
		{ "10.10.1.0:70000", -EINVAL, NULL, 0, 0, 0 },
		{ "10.10.1.0:90-80", -EINVAL, NULL, 0, 0, 0 },
		{ "10.10.1.0:", -EINVAL, NULL, 0, 0, 0 },
		{ "10.10.1:80", -EINVAL, NULL, 0, 0, 0 },
		{ "[fd00::/16", -EINVAL, NULL, 0, 0, 0 },
		{ "[fd00::]x", -EINVAL, NULL, 0, 0, 0 },
		{ "host.example:443", -EINVAL, NULL, 0, 0, 0 },
		{ "unix:relative", -EINVAL, NULL, 0, 0, 0 },
		{ "", -EINVAL, NULL, 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lg_net_rule_parsed r;
		int err = lg_net_rule_parse(cases[i].in, &r);
		uint8_t want[16];

		CHECK(err == cases[i].err, "net \"%s\": err %d want %d (%s)", cases[i].in, err,
		      cases[i].err, lg_errmsg());
		if (err || !cases[i].addr)
			continue;
		inet_pton(AF_INET6, cases[i].addr, want);
		CHECK(!memcmp(r.addr, want, 16), "net \"%s\": address", cases[i].in);
		CHECK(r.plen == cases[i].plen, "net \"%s\": plen %u want %u", cases[i].in, r.plen,
		      cases[i].plen);
		CHECK(r.port_lo == cases[i].lo && r.port_hi == cases[i].hi,
		      "net \"%s\": ports %u-%u", cases[i].in, r.port_lo, r.port_hi);
	}
}

static void test_unix_rules(void)
{
	struct lg_net_rule_parsed r;
	char longp[200] = "unix:/";

	CHECK(lg_net_rule_parse("unix:/run/db.sock", &r) == 0 && r.is_unix && r.unix_len == 12 &&
		      !memcmp(r.unix_path, "/run/db.sock", 12),
	      "unix path rule");
	CHECK(lg_net_rule_parse("unix:@abstract", &r) == 0 && r.unix_path[0] == 0 &&
		      r.unix_len == 9 && !memcmp(r.unix_path + 1, "abstract", 8),
	      "abstract rule keeps the leading NUL of the kernel's name");
	memset(longp + 6, 'x', 120);
	CHECK(lg_net_rule_parse(longp, &r) == -ENAMETOOLONG, "unix path longer than sun_path");
}

static const struct lg_net_entry *find_net(const struct lg_compiled *c, const char *v6,
					   uint32_t plen)
{
	uint8_t a[16];

	inet_pton(AF_INET6, v6, a);
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].plen == plen && !memcmp(c->nets[i].addr, a, 16))
			return &c->nets[i];
	return NULL;
}

static void test_compile_folds_ports(void)
{
	static const char *connect[] = {
		"10.10.0.0/16:443", "10.10.1.0/24:8000-8100", "10.10.1.0/24:8101-8200",
		"10.10.1.7:22",	    "unix:/run/db.sock",      "unix:/run/db.sock",
	};
	struct lg_grant_spec s = { .rules[LG_RULE_CONNECT] = { connect, 6 } };
	struct lg_compiled c;
	const struct lg_net_entry *e;

	CHECK(lg_compile(&s, &c) == 0, "compile: %s", lg_errmsg());
	CHECK(c.nnets == 3, "3 prefixes, got %zu", c.nnets);
	CHECK(c.nunix == 1, "unix rules deduplicated, got %zu", c.nunix);
	e = find_net(&c, "::ffff:10.10.1.0", 120);
	CHECK(e && e->nranges == 2, "/24 has its merged range plus the /16's port");
	if (e && e->nranges == 2) {
		CHECK(e->ranges[0].lo == 443 && e->ranges[0].hi == 443, "inherited 443");
		CHECK(e->ranges[1].lo == 8000 && e->ranges[1].hi == 8200, "merged 8000-8200");
	}
	e = find_net(&c, "::ffff:10.10.1.7", 128);
	CHECK(e && e->nranges == 3, "host entry inherits from /24 and /16");
	e = find_net(&c, "::ffff:10.10.0.0", 112);
	CHECK(e && e->nranges == 1 && e->ranges[0].lo == 443, "/16 keeps only its own port");
	lg_compiled_free(&c);
}

/* Connect and listen rules of one prefix: separate ranges, each its rights. */
static void test_compile_listen_rights(void)
{
	static const char *connect[] = { "0.0.0.0/0:443", "unix:@svc" };
	static const char *listen[] = { "127.0.0.1:8000-8100", "0.0.0.0/0:443", "unix:@svc",
					"unix:@mine" };
	static const char *bad[] = { "unix:/run/x.sock" };
	struct lg_grant_spec s = {
		.rules[LG_RULE_CONNECT] = { connect, 2 },
		.rules[LG_RULE_LISTEN] = { listen, 4 },
	};
	struct lg_compiled c;
	const struct lg_net_entry *e;
	uint32_t both = 0, lrights = 0;

	CHECK(lg_compile(&s, &c) == 0, "compile: %s", lg_errmsg());
	e = find_net(&c, "::ffff:127.0.0.1", 128);
	CHECK(e && e->nranges == 3, "host: its listen range, and 443 for connect and for listen");
	for (uint32_t i = 0; e && i < e->nranges; i++) {
		if (e->ranges[i].lo == 8000)
			CHECK(e->ranges[i].hi == 8100 &&
				      e->ranges[i].rights == LG_NET_LISTEN_RIGHTS,
			      "8000-8100 listen only");
		if (e->ranges[i].lo == 443)
			both |= e->ranges[i].rights;
	}
	CHECK(both == LG_NET_RULE_RIGHTS, "443 carries connect and listen rights, got %#x", both);
	e = find_net(&c, "::ffff:0.0.0.0", 96);
	CHECK(e && e->nranges == 2, "/0 keeps its two 443 ranges, not the host's listen range");
	CHECK(c.nunix == 2, "unix names deduplicated across kinds, got %zu", c.nunix);
	for (size_t i = 0; i < c.nunix; i++) {
		if (c.unixes[i].len == 4 && !memcmp(c.unixes[i].path, "\0svc", 4))
			CHECK(c.unixes[i].rights == LG_NET_RULE_RIGHTS, "@svc: connect and listen");
		if (c.unixes[i].len == 5 && !memcmp(c.unixes[i].path, "\0mine", 5))
			lrights = c.unixes[i].rights;
	}
	CHECK(lrights == LG_NET_LISTEN_RIGHTS, "@mine: listen only, got %#x", lrights);
	lg_compiled_free(&c);

	s.rules[LG_RULE_LISTEN] = (struct lg_strv){ bad, 1 };
	CHECK(lg_compile(&s, &c) == -EINVAL, "a listen rule for a pathname socket is refused");
	CHECK(strstr(lg_errmsg(), "write rule") != NULL, "message says what decides: %s",
	      lg_errmsg());
}

static void test_compile_paths(void)
{
	static const char *rd[] = { "/workspace/", "/etc/hosts" };
	static const char *wr[] = { "/workspace/out/", "/workspace/" };
	static const char *ex[] = { "/usr/bin/python3" };
	struct lg_grant_spec s = {
		.rules[LG_RULE_READ] = { rd, 2 },
		.rules[LG_RULE_WRITE] = { wr, 2 },
		.rules[LG_RULE_EXEC] = { ex, 1 },
	};
	struct lg_compiled c;

	CHECK(lg_compile(&s, &c) == 0, "compile: %s", lg_errmsg());
	/* 4 rule paths, and "", /etc, /usr, /usr/bin marked as having rules below. */
	CHECK(c.npaths == 8, "4 rule paths and 4 more directories above them, got %zu", c.npaths);
	for (size_t i = 0; i < c.npaths; i++) {
		if (!strcmp(c.paths[i].path, "/workspace"))
			CHECK(c.paths[i].subtree == LG_FILE_WRITE_RIGHTS &&
				      c.paths[i].exact == LG_PATH_RULE_BELOW,
			      "/workspace/ read+write subtree, rules below it");
		if (!strcmp(c.paths[i].path, "/workspace/out") ||
		    !strcmp(c.paths[i].path, "/usr/bin/python3"))
			CHECK(!(c.paths[i].exact & LG_PATH_RULE_BELOW), "%s: no rules below",
			      c.paths[i].path);
		if (!strcmp(c.paths[i].path, "/usr/bin") || !strcmp(c.paths[i].path, "/etc") ||
		    (c.paths[i].len == 0))
			CHECK(c.paths[i].exact == LG_PATH_RULE_BELOW && !c.paths[i].subtree,
			      "\"%s\" is only a rules-below marker", c.paths[i].path);
		if (!strcmp(c.paths[i].path, "/etc/hosts"))
			CHECK(c.paths[i].exact == LG_FILE_READ_RIGHTS && !c.paths[i].subtree,
			      "/etc/hosts exact read");
		if (!strcmp(c.paths[i].path, "/usr/bin/python3"))
			CHECK(c.paths[i].exact == LG_FILE_EXECUTE, "python3 exact exec");
	}
	lg_compiled_free(&c);
}

static void test_compile_limits(void)
{
	static const char *many[LG_MAX_PORT_RANGES + 1];
	static char bufs[LG_MAX_PORT_RANGES + 1][32];
	struct lg_grant_spec s = { .rules[LG_RULE_CONNECT] = { many, LG_MAX_PORT_RANGES + 1 } };
	struct lg_compiled c;

	for (int i = 0; i <= LG_MAX_PORT_RANGES; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "10.0.0.1:%d", 1000 + 2 * i);
		many[i] = bufs[i];
	}
	CHECK(lg_compile(&s, &c) == -E2BIG, "too many disjoint port ranges refused");
	CHECK(strstr(lg_errmsg(), "LG_MAX_PORT_RANGES") != NULL, "message names the limit: %s",
	      lg_errmsg());
	s.rules[LG_RULE_CONNECT].n = LG_MAX_PORT_RANGES;
	CHECK(lg_compile(&s, &c) == 0, "exactly LG_MAX_PORT_RANGES ranges fit");
	lg_compiled_free(&c);
}

/*
 * The path set at the bound: LG_MAX_PATH_RULES distinct paths fit, one more
 * is refused whole, and every path named again, by another kind and with a
 * trailing '/', lands on its one entry with both kinds' rights.
 */
static void test_compile_path_set(void)
{
	static const char *rd[LG_MAX_PATH_RULES + 1], *wr[LG_MAX_PATH_RULES];
	static char rbuf[LG_MAX_PATH_RULES + 1][32], wbuf[LG_MAX_PATH_RULES][32];
	struct lg_grant_spec s = { .rules[LG_RULE_READ] = { rd, LG_MAX_PATH_RULES },
				   .rules[LG_RULE_WRITE] = { wr, LG_MAX_PATH_RULES } };
	struct lg_compiled c;
	size_t exact = 0, both = 0, markers = 0, bad = 0;

	for (int i = 0; i <= LG_MAX_PATH_RULES; i++) {
		snprintf(rbuf[i], sizeof(rbuf[i]), "/d%d/f%d", i % 64, i);
		rd[i] = rbuf[i];
	}
	for (int i = 0; i < LG_MAX_PATH_RULES; i++) {
		snprintf(wbuf[i], sizeof(wbuf[i]), i % 2 ? "/d%d/f%d" : "/d%d//f%d/", i % 64, i);
		wr[i] = wbuf[i];
	}
	CHECK(lg_compile(&s, &c) == 0, "%d paths named by two kinds fit: %s", LG_MAX_PATH_RULES,
	      lg_errmsg());
	/* 4096 rule paths, 64 directories and "" above them. */
	CHECK(c.npaths == LG_MAX_PATH_RULES + 64 + 1, "one entry per distinct path, got %zu",
	      c.npaths);
	for (size_t i = 0; i < c.npaths; i++) {
		const struct lg_path_entry *e = &c.paths[i];

		bad += strlen(e->path) != e->len;
		markers += e->exact == LG_PATH_RULE_BELOW && !e->subtree;
		exact += e->exact == LG_FILE_WRITE_RIGHTS && !e->subtree;
		both += e->exact == LG_FILE_READ_RIGHTS && e->subtree == LG_FILE_WRITE_RIGHTS;
	}
	CHECK(!bad, "%zu entries whose path is not its length", bad);
	CHECK(markers == 65, "65 rules-below markers, got %zu", markers);
	CHECK(exact == LG_MAX_PATH_RULES / 2 && both == LG_MAX_PATH_RULES / 2,
	      "each path has both kinds' rights (%zu exact, %zu exact+subtree)", exact, both);
	lg_compiled_free(&c);
	s.rules[LG_RULE_READ].n = LG_MAX_PATH_RULES + 1;
	CHECK(lg_compile(&s, &c) == -E2BIG, "one more distinct path is refused whole");
	CHECK(strstr(lg_errmsg(), "LG_MAX_PATH_RULES") != NULL, "message names the limit: %s",
	      lg_errmsg());
}

/*
 * Connect and listen ranges of one prefix never merge: together they count
 * against LG_MAX_PORT_RANGES, at the exact bound and one past it, and the
 * same ports under both kinds are two ranges, each with its rights.
 */
static void test_compile_limits_mixed(void)
{
	static const char *conn[LG_MAX_PORT_RANGES], *lis[LG_MAX_PORT_RANGES];
	static char cbuf[LG_MAX_PORT_RANGES][32], lbuf[LG_MAX_PORT_RANGES][32];
	const int half = LG_MAX_PORT_RANGES / 2;
	struct lg_grant_spec s = { .rules[LG_RULE_CONNECT] = { conn, half },
				   .rules[LG_RULE_LISTEN] = { lis, half } };
	struct lg_compiled c;

	for (int i = 0; i < LG_MAX_PORT_RANGES; i++) {
		snprintf(cbuf[i], sizeof(cbuf[i]), "10.0.0.1:%d", 1000 + 2 * i);
		snprintf(lbuf[i], sizeof(lbuf[i]), "10.0.0.1:%d", 1000 + 2 * i);
		conn[i] = cbuf[i];
		lis[i] = lbuf[i];
	}
	CHECK(lg_compile(&s, &c) == 0, "%d connect and %d listen ranges on one prefix fit: %s",
	      half, half, lg_errmsg());
	lg_compiled_free(&c);
	s.rules[LG_RULE_LISTEN].n = half + 1;
	CHECK(lg_compile(&s, &c) == -E2BIG, "one more listen range is refused whole");
	CHECK(strstr(lg_errmsg(), "network rules") && strstr(lg_errmsg(), "LG_MAX_PORT_RANGES"),
	      "the message names both kinds' limit: %s", lg_errmsg());
}

/* SipHash-2-4-128 of @len bytes of @msg under @key, computed by OpenSSL. */
static void openssl_siphash128(const uint64_t key[2], const char *msg, size_t len,
			       unsigned char out[16])
{
	unsigned char k[16];
	size_t outlen = 0, sz = 16;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &sz),
				OSSL_PARAM_construct_end() };

	for (int i = 0; i < 8; i++) {
		k[i] = key[0] >> (8 * i);
		k[8 + i] = key[1] >> (8 * i);
	}
	memset(out, 0, 16);
	CHECK(ctx && EVP_MAC_init(ctx, k, sizeof(k), params) &&
		      EVP_MAC_update(ctx, (const unsigned char *)msg, len) &&
		      EVP_MAC_final(ctx, out, &outlen, 16) && outlen == 16,
	      "OpenSSL computes SipHash-2-4-128");
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

/* The digest as OpenSSL writes it: lo, then hi, each little-endian. */
static bool digest_is(struct lg_path_digest d, const unsigned char want[16])
{
	for (int i = 0; i < 8; i++)
		if ((unsigned char)(d.lo >> (8 * i)) != want[i] ||
		    (unsigned char)(d.hi >> (8 * i)) != want[8 + i])
			return false;
	return true;
}

static void test_hash_known_answer(void)
{
	/*
	 * Two of the SipHash authors' SipHash-2-4-128 vectors (vectors.h of
	 * the reference implementation): key 00..0f, message 00..(n-1).
	 */
	static const unsigned char empty[16] = { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
						 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 };
	static const unsigned char fifteen[16] = { 0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
						   0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9 };
	const uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	char msg[15];

	for (int i = 0; i < 15; i++)
		msg[i] = (char)i;
	CHECK(digest_is(lg_path_hash(key, msg, 0), empty), "empty message");
	CHECK(digest_is(lg_path_hash(key, msg, 15), fifteen), "15-byte message");
}

/*
 * The kernel folds the path byte by byte and finalizes a copy at every '/':
 * each prefix must hash as OpenSSL hashes it whole, for every length (every
 * tail size and word count) and for random keys.
 */
static void test_hash_matches_openssl(void)
{
	char path[300];
	unsigned char want[16];
	uint64_t key[2];
	unsigned int seed = 1;
	int bad = 0;

	for (int round = 0; round < 8; round++) {
		struct lg_path_hash_state st;

		key[0] = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^
			 (uint64_t)rand_r(&seed);
		key[1] = ((uint64_t)rand_r(&seed) << 33) ^ ((uint64_t)rand_r(&seed) << 11) ^
			 (uint64_t)rand_r(&seed);
		for (size_t i = 0; i < sizeof(path); i++)
			path[i] = (char)(rand_r(&seed) & 0xff);
		lg_path_hash_init(&st, key[0], key[1]);
		for (uint32_t len = 0; len <= sizeof(path); len++) {
			struct lg_path_digest d;

			openssl_siphash128(key, path, len, want);
			lg_path_hash_final(&st, len, &d);
			if (!digest_is(d, want) || !digest_is(lg_path_hash(key, path, len), want))
				bad++;
			if (len < sizeof(path))
				lg_path_hash_byte(&st, len, (unsigned char)path[len]);
		}
	}
	CHECK(bad == 0, "%d of %zu prefixes differ from OpenSSL's SipHash-2-4-128", bad,
	      8 * (sizeof(path) + 1));
}

static void test_hash_key_matters(void)
{
	const uint64_t k1[2] = { 1, 2 }, k2[2] = { 1, 3 }, k3[2] = { 2, 2 };
	const char *p = "/workspace";
	struct lg_path_digest a = lg_path_hash(k1, p, 10), b = lg_path_hash(k2, p, 10),
			      c = lg_path_hash(k3, p, 10);

	CHECK(a.lo != b.lo && a.hi != b.hi, "the key's second half changes both halves");
	CHECK(a.lo != c.lo && a.hi != c.hi, "the key's first half changes both halves");
}

int main(void)
{
	RUN(test_path_rules);
	RUN(test_path_too_long);
	RUN(test_net_rules);
	RUN(test_unix_rules);
	RUN(test_compile_folds_ports);
	RUN(test_compile_listen_rights);
	RUN(test_compile_paths);
	RUN(test_compile_limits);
	RUN(test_compile_path_set);
	RUN(test_compile_limits_mixed);
	RUN(test_hash_known_answer);
	RUN(test_hash_matches_openssl);
	RUN(test_hash_key_matters);
	return check_summary("rules");
}

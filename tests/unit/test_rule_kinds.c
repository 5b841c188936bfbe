// SPDX-License-Identifier: GPL-2.0
/*
 * test_rule_kinds.c - the rule-kind table (livegrant/rule_kinds.h) and the
 * access rights (livegrant/abi.h), and every place that must follow them:
 * token claims, the configured baseline and ceiling, the ceiling check, the
 * compiler and the names of rights in events.
 *
 * Most tests iterate the table, so a new row is covered without a new test;
 * the tests that name kinds or rights pin what must never change (names in
 * tokens, configs and logs, what each of today's kinds grants).
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "rules.h"
#include "token_internal.h"

#define NOW 1790000000LL
#define AUD "livegrant://node-1"

static char tmpdir[] = "/tmp/lg-test-rule-kinds-XXXXXX";

/* A rule of @kind's class naming a target of its own ("/srv/exec/"). */
static const char *sample_rule(unsigned int kind, char *buf, size_t size)
{
	const struct lg_rule_kind_info *k = lg_rule_kind(kind);

	if (k->cls == LG_CLASS_NET)
		snprintf(buf, size, "10.%u.0.0/16:443", kind + 1);
	else
		snprintf(buf, size, "/srv/%s/", k->name);
	return buf;
}

/* ---- the table ------------------------------------------------------------------ */

static void test_table(void)
{
	CHECK(lg_rule_kind(LG_RULE_KIND_MAX) == NULL, "no row past LG_RULE_KIND_MAX");
	CHECK(lg_rule_kind_by_name("exex") == -ENOENT && lg_rule_kind_by_name(NULL) == -ENOENT,
	      "unknown names are -ENOENT");
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const struct lg_rule_kind_info *r = lg_rule_kind(k);

		CHECK(r != NULL, "kind %u has a row", k);
		if (!r)
			continue;
		CHECK(r->id == k, "row %u is kind %u", k, (unsigned int)r->id);
		CHECK(r->name && *r->name, "kind %u has a name", k);
		CHECK(lg_rule_kind_by_name(r->name) == (int)k, "\"%s\" finds kind %u", r->name, k);
		CHECK(r->cls < LG_CLASS_MAX, "%s has a class", r->name);
		CHECK(r->rights != 0, "%s grants something", r->name);
		CHECK(strstr(lg_rule_kind_list(), r->name) != NULL, "\"%s\" lists %s",
		      lg_rule_kind_list(), r->name);
	}
}

/* Tokens, configs, the CLI and the grants view name kinds so: never change. */
static void test_external_names(void)
{
	static const char *const names[] = { "exec",   "read",	    "write", "connect",
					     "device", "readwrite", "listen" };

	CHECK(LG_RULE_KIND_MAX == 7, "seven kinds, got %d", LG_RULE_KIND_MAX);
	for (unsigned int k = 0; k < 7 && k < LG_RULE_KIND_MAX; k++)
		CHECK(!strcmp(lg_rule_kind(k)->name, names[k]), "kind %u is \"%s\", got \"%s\"", k,
		      names[k], lg_rule_kind(k)->name);
	CHECK(!strcmp(lg_rule_kind_list(), "exec, read, write, connect, device, readwrite, listen"),
	      "list \"%s\"", lg_rule_kind_list());
}

/* What today's kinds grant: the kernel's decisions depend on it. */
static void test_kind_rights(void)
{
	const struct lg_rule_kind_info *ex = lg_rule_kind(LG_RULE_EXEC);
	const struct lg_rule_kind_info *rd = lg_rule_kind(LG_RULE_READ);
	const struct lg_rule_kind_info *wr = lg_rule_kind(LG_RULE_WRITE);
	const struct lg_rule_kind_info *cn = lg_rule_kind(LG_RULE_CONNECT);

	CHECK(ex->cls == LG_CLASS_FILE && ex->rights == LG_FILE_EXECUTE, "exec grants execute");
	CHECK(rd->cls == LG_CLASS_FILE && rd->rights == (LG_FILE_READ_FILE | LG_FILE_READ_DIR),
	      "read grants read_file|read_dir");
	CHECK(wr->cls == LG_CLASS_FILE && (wr->rights & rd->rights) == rd->rights,
	      "write implies read");
	CHECK((wr->rights & (LG_FILE_WRITE_FILE | LG_FILE_TRUNCATE | LG_FILE_MAKE_REG |
			     LG_FILE_REMOVE_FILE)) == (LG_FILE_WRITE_FILE | LG_FILE_TRUNCATE |
						       LG_FILE_MAKE_REG | LG_FILE_REMOVE_FILE),
	      "write grants the write side");
	CHECK(!(wr->rights & (LG_FILE_EXECUTE | LG_FILE_MAKE_CHAR | LG_FILE_MAKE_BLOCK)),
	      "write grants neither execute nor device nodes");
	CHECK(!(rd->rights & LG_FILE_WRITE_FILE) && !(ex->rights & LG_FILE_READ_FILE),
	      "read does not write, exec does not read");
	CHECK(cn->cls == LG_CLASS_NET && cn->rights == (LG_NET_CONNECT | LG_NET_SEND),
	      "connect grants connect|send");
	CHECK(lg_rule_kind(LG_RULE_LISTEN)->cls == LG_CLASS_NET &&
		      lg_rule_kind(LG_RULE_LISTEN)->rights == (LG_NET_BIND | LG_NET_LISTEN),
	      "listen grants bind|listen");
	CHECK(!lg_rule_within(LG_RULE_LISTEN, "127.0.0.1:8080", LG_RULE_CONNECT, "0.0.0.0/0") &&
		      !lg_rule_within(LG_RULE_CONNECT, "127.0.0.1:8080", LG_RULE_LISTEN,
				      "0.0.0.0/0") &&
		      lg_rule_within(LG_RULE_LISTEN, "127.0.0.1:8080", LG_RULE_LISTEN,
				     "127.0.0.0/8:8000-9000"),
	      "a connect ceiling covers no listen rule, nor a listen ceiling a connect rule");
	CHECK(wr->rights & LG_FILE_CHANGE_ATTR, "write grants change_attr");
	CHECK(lg_rule_kind(LG_RULE_DEVICE)->cls == LG_CLASS_FILE &&
		      lg_rule_kind(LG_RULE_DEVICE)->rights ==
			      (LG_FILE_MAKE_CHAR | LG_FILE_MAKE_BLOCK),
	      "device grants make_char|make_block");
	CHECK(lg_rule_kind(LG_RULE_READWRITE)->cls == LG_CLASS_FILE &&
		      lg_rule_kind(LG_RULE_READWRITE)->rights ==
			      (LG_FILE_READ_FILE | LG_FILE_READ_DIR | LG_FILE_WRITE_FILE |
			       LG_FILE_TRUNCATE),
	      "readwrite grants read_file|read_dir|write_file|truncate");
	CHECK(!(lg_rule_kind(LG_RULE_READWRITE)->rights & LG_FILE_CHANGE_ATTR),
	      "readwrite grants no change_attr");
	CHECK((wr->rights & lg_rule_kind(LG_RULE_READWRITE)->rights) ==
		      lg_rule_kind(LG_RULE_READWRITE)->rights,
	      "a write ceiling covers readwrite");
	CHECK(!((wr->rights | rd->rights | ex->rights | lg_rule_kind(LG_RULE_DEVICE)->rights |
		 lg_rule_kind(LG_RULE_READWRITE)->rights) &
		LG_PATH_RULE_BELOW),
	      "no kind grants the rules-below marker");
}

/* ---- access rights and their names ---------------------------------------------- */

static void test_access_names(void)
{
	static const struct {
		enum lg_access_class cls;
		uint32_t right;
		const char *name;
	} pinned[] = {
		/* What denial lines and JSON say for today's hooks. */
		{ LG_CLASS_FILE, LG_FILE_READ_FILE, "read" },
		{ LG_CLASS_FILE, LG_FILE_WRITE_FILE, "write" },
		{ LG_CLASS_FILE, LG_FILE_EXECUTE, "exec" },
		{ LG_CLASS_FILE, LG_FILE_READ_FILE | LG_FILE_WRITE_FILE, "read,write" },
		{ LG_CLASS_NET, LG_NET_CONNECT, "connect" },
		{ LG_CLASS_NET, LG_NET_SEND, "send" },
		{ LG_CLASS_NET, LG_NET_CREATE, "create" },
		{ LG_CLASS_NET, LG_NET_SETSOCKOPT, "setsockopt" },
		{ LG_CLASS_NET, LG_NET_BIND, "bind" },
		{ LG_CLASS_NET, LG_NET_LISTEN, "listen" },
		/* The rights no hook checks yet, named as Landlock names them. */
		{ LG_CLASS_FILE, LG_FILE_TRUNCATE, "truncate" },
		{ LG_CLASS_FILE, LG_FILE_READ_DIR, "read_dir" },
		{ LG_CLASS_FILE, LG_FILE_MAKE_SYM | LG_FILE_REFER, "make_sym,refer" },
		{ LG_CLASS_FILE, LG_FILE_CHANGE_ATTR, "change_attr" },
		/* Bits without a name, or an unknown class, print nothing. */
		{ LG_CLASS_FILE, 1u << 31, "" },
		{ LG_CLASS_MAX, LG_FILE_READ_FILE, "" },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		lg_access_str(pinned[i].cls, pinned[i].right, buf, sizeof(buf));
		CHECK(!strcmp(buf, pinned[i].name), "class %d rights 0x%x: \"%s\", want \"%s\"",
		      pinned[i].cls, pinned[i].right, buf, pinned[i].name);
	}
	lg_access_str(LG_CLASS_FILE, LG_FILE_READ_FILE | LG_FILE_WRITE_FILE, buf, 8);
	CHECK(!strcmp(buf, "read"), "a short buffer holds whole names only: \"%s\"", buf);
}

/* Every right of each class has one name, and names are unique within it. */
static void test_every_right_named(void)
{
	for (int cls = 0; cls < LG_CLASS_MAX; cls++) {
		for (uint32_t bit = 0; bit < 32; bit++) {
			const char *name = lg_access_name(cls, bit);
			char buf[64];

			if (!name)
				continue;
			lg_access_str(cls, 1u << bit, buf, sizeof(buf));
			CHECK(!strcmp(buf, name), "class %d bit %u prints \"%s\"", cls, bit, buf);
			for (uint32_t other = bit + 1; other < 32; other++) {
				const char *o = lg_access_name(cls, other);

				CHECK(!o || strcmp(o, name), "class %d: bits %u and %u both \"%s\"",
				      cls, bit, other, name);
			}
		}
	}
	/* Landlock's positions, so that a Landlock ruleset can be built from a grant. */
	CHECK(LG_FILE_EXECUTE == 1 << 0 && LG_FILE_WRITE_FILE == 1 << 1 &&
		      LG_FILE_READ_FILE == 1 << 2 && LG_FILE_READ_DIR == 1 << 3 &&
		      LG_FILE_REFER == 1 << 13 && LG_FILE_TRUNCATE == 1 << 14,
	      "file rights at Landlock's bit positions");
	CHECK(LG_FILE_CHANGE_ATTR == 1 << 16, "change_attr above Landlock's bits");
	for (uint32_t bit = 0; bit <= 14; bit++)
		CHECK(lg_access_name(LG_CLASS_FILE, bit) != NULL, "file right bit %u is named",
		      bit);
	for (uint32_t bit = 0; bit <= 3; bit++)
		CHECK(lg_access_name(LG_CLASS_NET, bit) != NULL, "network right bit %u is named",
		      bit);
}

static void test_hook_classes(void)
{
	CHECK(lg_hook_class(LG_HOOK_EXEC) == LG_CLASS_FILE &&
		      lg_hook_class(LG_HOOK_FILE_OPEN) == LG_CLASS_FILE,
	      "exec and file_open ask file rights");
	CHECK(lg_hook_class(LG_HOOK_CONNECT) == LG_CLASS_NET &&
		      lg_hook_class(LG_HOOK_SENDMSG) == LG_CLASS_NET &&
		      lg_hook_class(LG_HOOK_SOCKET) == LG_CLASS_NET &&
		      lg_hook_class(LG_HOOK_SETSOCKOPT) == LG_CLASS_NET,
	      "socket hooks ask network rights");
	CHECK(lg_hook_class(LG_HOOK_MAX) == LG_CLASS_MAX, "an unknown hook has no class");
	for (unsigned int h = 0; h < LG_HOOK_MAX; h++)
		CHECK(lg_hook_class(h) < LG_CLASS_MAX, "hook %s has a class", lg_hook_name(h));
}

/* ---- the compiler ------------------------------------------------------------------ */

/* One rule of every kind: each lands with exactly its kind's rights. */
static void test_compile_every_kind(void)
{
	char bufs[LG_RULE_KIND_MAX][64];
	const char *one[LG_RULE_KIND_MAX];
	struct lg_grant_spec s = { .mode = LG_MODE_ENFORCE };
	struct lg_compiled c;
	size_t nfile = 0, nnet = 0;
	int err;

	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		one[k] = sample_rule(k, bufs[k], sizeof(bufs[k]));
		s.rules[k] = (struct lg_strv){ &one[k], 1 };
		if (lg_rule_kind(k)->cls == LG_CLASS_FILE)
			nfile++;
		else
			nnet++;
	}
	err = lg_compile(&s, &c);
	CHECK(!err, "compile one rule per kind: %s", lg_errmsg());
	if (err)
		return;
	/* Each /srv/<kind> rule, plus "" and /srv marked as having rules below. */
	CHECK(c.npaths == nfile + 2 && c.nnets == nnet, "%zu paths, %zu prefixes", c.npaths,
	      c.nnets);
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const struct lg_rule_kind_info *r = lg_rule_kind(k);
		char want[64];
		bool found = false;

		if (r->cls != LG_CLASS_FILE)
			continue;
		snprintf(want, sizeof(want), "/srv/%s", r->name);
		for (size_t i = 0; i < c.npaths; i++) {
			if (strcmp(c.paths[i].path, want))
				continue;
			found = true;
			CHECK(c.paths[i].subtree == r->rights && !c.paths[i].exact,
			      "%s: subtree 0x%x, want 0x%x", want, c.paths[i].subtree, r->rights);
		}
		CHECK(found, "%s compiled", want);
	}
	lg_compiled_free(&c);
}

/* Kinds on one path add up; a bad rule of any kind refuses the whole spec. */
static void test_compile_merge_and_refuse(void)
{
	static const char *p[] = { "/w/" };
	static const char *bad_path[] = { "relative" };
	static const char *bad_net[] = { "10.0.0.1/8" };
	struct lg_grant_spec s = { .mode = LG_MODE_ENFORCE };
	struct lg_compiled c;
	int err;

	s.rules[LG_RULE_EXEC] = (struct lg_strv){ p, 1 };
	s.rules[LG_RULE_READ] = (struct lg_strv){ p, 1 };
	err = lg_compile(&s, &c);
	CHECK(!err, "compile: %s", lg_errmsg());
	if (!err) {
		/* "/w" and the root marked as having a rule below it. */
		CHECK(c.npaths == 2 &&
			      c.paths[0].subtree == (LG_FILE_EXECUTE | LG_FILE_READ_RIGHTS),
		      "exec and read on one path merge");
		lg_compiled_free(&c);
	}
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		struct lg_grant_spec b = { .mode = LG_MODE_ENFORCE };
		bool net = lg_rule_kind(k)->cls == LG_CLASS_NET;

		b.rules[k] = (struct lg_strv){ net ? bad_net : bad_path, 1 };
		CHECK(lg_compile(&b, &c) == -EINVAL, "a bad %s rule is refused",
		      lg_rule_kind(k)->name);
	}
}

/* ---- token claims ---------------------------------------------------------------- */

static EVP_PKEY *key;
static struct lg_trust_bundle *bundle;

static int setup_issuer(void)
{
	json_t *jwk = NULL, *jwks;
	char *path = NULL;
	int err;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!key || lg_jwk_from_pkey(key, "k1", &jwk))
		return -1;
	jwks = json_pack("{s:[o]}", "keys", jwk);
	if (asprintf(&path, "%s/qa.jwks", tmpdir) < 0 || !jwks)
		return -1;
	err = json_dump_file(jwks, path, 0);
	json_decref(jwks);
	if (!err)
		err = lg_trust_bundle_load(path, &bundle);
	unlink(path);
	free(path);
	return err;
}

static char *b64_json(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	char *out = s ? lg_b64url_encode((unsigned char *)s, strlen(s)) : NULL;

	free(s);
	return out;
}

/* A token of domain qa whose "allow" is @allow (reference stolen). */
static char *mint(json_t *allow)
{
	json_t *hdr =
		json_pack("{s:s, s:s, s:s}", "alg", "EdDSA", "typ", "livegrant+jwt", "kid", "k1");
	json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "sub", "agent-1", "jti",
				   "j1", "domain", "qa", "aud", AUD, "iat", (json_int_t)NOW, "exp",
				   (json_int_t)(NOW + 600), "allow", allow);
	char *h = b64_json(hdr), *p = b64_json(claims), *input = NULL, *sig = NULL, *tok = NULL;
	unsigned char raw[LG_JWS_SIG_LEN];

	if (h && p && asprintf(&input, "%s.%s", h, p) >= 0 &&
	    !lg_jws_sign(key, input, strlen(input), raw))
		sig = lg_b64url_encode(raw, sizeof(raw));
	if (sig && asprintf(&tok, "%s.%s", input, sig) < 0)
		tok = NULL;
	json_decref(hdr);
	json_decref(claims);
	free(h);
	free(p);
	free(input);
	free(sig);
	return tok;
}

static struct lg_token *verify(const char *tok, const char **reason)
{
	static const struct lg_token_policy pol = {
		.audience = AUD,
		.domain = "qa",
		.max_ttl_s = 3600,
		.leeway_s = 30,
		.now = NOW,
	};
	struct lg_token *t = NULL;

	*reason = NULL;
	lg_token_verify(tok, strlen(tok), bundle, &pol, &t, reason);
	return t;
}

/* allow.<name> of each kind arrives in t->rules[kind], and only there. */
static void test_token_claims(void)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const char *name = lg_rule_kind(k)->name, *reason;
		char buf[64];
		char *tok = mint(json_pack("{s:[s]}", name, sample_rule(k, buf, sizeof(buf))));
		struct lg_token *t = tok ? verify(tok, &reason) : NULL;

		CHECK(t != NULL, "token with allow.%s verifies: %s", name,
		      tok ? lg_errmsg() : "no token minted");
		if (!t) {
			free(tok);
			continue;
		}
		CHECK(t->rules[k].n == 1 && !strcmp(t->rules[k].v[0], buf), "allow.%s read", name);
		for (unsigned int o = 0; o < LG_RULE_KIND_MAX; o++)
			CHECK(o == k || t->rules[o].n == 0, "allow.%s leaves %s empty", name,
			      lg_rule_kind(o)->name);
		lg_token_free(t);
		free(tok);
	}
}

static void test_token_unknown_list(void)
{
	const char *reason;
	char *tok = mint(json_pack("{s:[s]}", "exex", "/bin/sh"));
	struct lg_token *t = tok ? verify(tok, &reason) : NULL;

	CHECK(tok && !t && reason && !strcmp(reason, "bad_claims"), "allow.exex refused: %s",
	      reason ? reason : "accepted");
	CHECK(strstr(lg_errmsg(), lg_rule_kind_list()) != NULL, "the message lists the kinds: %s",
	      lg_errmsg());
	lg_token_free(t);
	free(tok);
}

/* ---- configuration: baseline and ceiling ---------------------------------------- */

static struct lg_config *load_config(const char *body)
{
	struct lg_config *c = NULL;
	char *path = NULL;
	FILE *f;

	if (asprintf(&path, "%s/config.yaml", tmpdir) < 0)
		return NULL;
	f = fopen(path, "w");
	if (f) {
		fputs(body, f);
		fclose(f);
		lg_config_load(path, &c);
	}
	unlink(path);
	free(path);
	return c;
}

/* baseline.<name> and ceiling.<name> of every kind, in one file. */
static char *config_all_kinds(void)
{
	char *base = NULL, *ceil = NULL, *doc = NULL;
	size_t bn = 0, cn = 0;
	FILE *b = open_memstream(&base, &bn), *c = open_memstream(&ceil, &cn);

	for (unsigned int k = 0; k < LG_RULE_KIND_MAX && b && c; k++) {
		char buf[64];

		sample_rule(k, buf, sizeof(buf));
		fprintf(b, "  %s: [\"%s\"]\n", lg_rule_kind(k)->name, buf);
		fprintf(c, "      %s: [\"%s\"]\n", lg_rule_kind(k)->name, buf);
	}
	if (b)
		fclose(b);
	if (c)
		fclose(c);
	if (base && ceil &&
	    asprintf(&doc,
		     "audience: " AUD "\n"
		     "agent_cgroups: [/sys/fs/cgroup/agents]\n"
		     "baseline:\n%s"
		     "domains:\n"
		     "  qa:\n"
		     "    trust_bundle: /etc/livegrant/qa.jwks\n"
		     "    max_ttl: 1h\n"
		     "    ceiling:\n%s",
		     base, ceil) < 0)
		doc = NULL;
	free(base);
	free(ceil);
	return doc;
}

static void test_config_kinds(void)
{
	char *doc = config_all_kinds();
	struct lg_config *c = doc ? load_config(doc) : NULL;
	const struct lg_domain_config *qa = c ? lg_config_domain(c, "qa") : NULL;

	free(doc);
	CHECK(c && qa, "config with every kind loads: %s", lg_errmsg());
	if (!c || !qa)
		goto out;
	CHECK(qa->has_ceiling, "qa has a ceiling");
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const char *name = lg_rule_kind(k)->name;
		char buf[64];

		sample_rule(k, buf, sizeof(buf));
		CHECK(c->baseline.rules[k].n == 1 && !strcmp(c->baseline.rules[k].v[0], buf),
		      "baseline.%s read", name);
		CHECK(qa->ceiling.rules[k].n == 1 && !strcmp(qa->ceiling.rules[k].v[0], buf),
		      "ceiling.%s read", name);
	}
out:
	lg_config_free(c);
}

/* Each kind's list is checked with its class's syntax, and misspelt keys list the kinds. */
static void test_config_syntax_per_class(void)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const char *name = lg_rule_kind(k)->name;
		/* A path is not a connect rule, nor an address a path rule. */
		const char *wrong = lg_rule_kind(k)->cls == LG_CLASS_NET ? "/etc/" : "10.0.0.0/8";
		char *doc = NULL, field[64];
		struct lg_config *c;

		if (asprintf(&doc,
			     "audience: a\nagent_cgroups: [/sys/fs/cgroup/agents]\n"
			     "baseline:\n  %s: [\"%s\"]\n"
			     "domains:\n  qa: {trust_bundle: /q, max_ttl: 1h}\n",
			     name, wrong) < 0)
			continue;
		c = load_config(doc);
		snprintf(field, sizeof(field), "baseline.%s[0]", name);
		CHECK(!c && strstr(lg_errmsg(), field), "%s refuses \"%s\": %s", name, wrong,
		      lg_errmsg());
		lg_config_free(c);
		free(doc);
	}
	lg_config_free(load_config("audience: a\nagent_cgroups: [/sys/fs/cgroup/agents]\n"
				   "baseline:\n  reads: [/usr/]\n"
				   "domains:\n  qa: {trust_bundle: /q, max_ttl: 1h}\n"));
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++)
		CHECK(strstr(lg_errmsg(), lg_rule_kind(k)->name), "unknown key lists %s: %s",
		      lg_rule_kind(k)->name, lg_errmsg());
}

/* ---- the ceiling ---------------------------------------------------------------- */

/* Which ceiling kind covers which token kind: the rights decide. */
static void test_ceiling_matrix(void)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		for (unsigned int c = 0; c < LG_RULE_KIND_MAX; c++) {
			const struct lg_rule_kind_info *rk = lg_rule_kind(k), *ck = lg_rule_kind(c);
			bool want = rk->cls == ck->cls && !(rk->rights & ~ck->rights);
			char buf[64];

			sample_rule(k, buf, sizeof(buf));
			/* The same target in the ceiling kind's syntax. */
			CHECK(lg_rule_within(k, buf, c, buf) == want,
			      "%s rule within %s ceiling: %d", rk->name, ck->name, !want);
		}
	}
	/* Today's kinds, spelt out: a write ceiling covers read, nothing else crosses. */
	CHECK(lg_rule_within(LG_RULE_READ, "/w/a", LG_RULE_WRITE, "/w/"), "write covers read");
	CHECK(!lg_rule_within(LG_RULE_WRITE, "/w/a", LG_RULE_READ, "/w/"), "read not write");
	CHECK(!lg_rule_within(LG_RULE_EXEC, "/w/a", LG_RULE_WRITE, "/w/"), "write not exec");
	CHECK(!lg_rule_within(LG_RULE_READ, "/w/a", LG_RULE_EXEC, "/w/"), "exec not read");
	CHECK(!lg_rule_within(LG_RULE_CONNECT, "/w/", LG_RULE_READ, "/w/"), "classes never mix");
}

static void test_ceiling_targets(void)
{
	static const char *const paths[] = { "/srv/deploy/", "/etc/hosts" };
	static const char *const nets[] = { "10.20.0.0/16:400-500", "unix:/run/db.sock" };
	struct lg_strv caps[LG_RULE_KIND_MAX] = { 0 };
	static const struct {
		enum lg_rule_kind kind;
		const char *rule;
		bool covered;
	} cases[] = {
		{ LG_RULE_WRITE, "/srv/deploy/", true },
		{ LG_RULE_WRITE, "/srv/deploy/app/x", true },
		{ LG_RULE_WRITE, "/srv/deploy2/", false },
		{ LG_RULE_WRITE, "/srv/", false },
		{ LG_RULE_READ, "/srv/deploy/a/", true },
		{ LG_RULE_READ, "/etc/hosts", true },
		{ LG_RULE_READ, "/etc/hosts/", false }, /* an exact ceiling is no subtree */
		{ LG_RULE_EXEC, "/srv/deploy/run", false },
		{ LG_RULE_CONNECT, "10.20.1.0/24:443", true },
		{ LG_RULE_CONNECT, "10.20.1.0/24:443-501", false },
		{ LG_RULE_CONNECT, "10.0.0.0/8:443", false },
		{ LG_RULE_CONNECT, "unix:/run/db.sock", true },
		{ LG_RULE_CONNECT, "unix:@db.sock", false },
		{ LG_RULE_CONNECT, "not a rule", false },
	};

	caps[LG_RULE_WRITE] = (struct lg_strv){ paths, 2 };
	caps[LG_RULE_CONNECT] = (struct lg_strv){ nets, 2 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(lg_rule_covered(cases[i].kind, cases[i].rule, caps) == cases[i].covered,
		      "%s \"%s\" covered: %d", lg_rule_kind(cases[i].kind)->name, cases[i].rule,
		      !cases[i].covered);
}

int main(void)
{
	if (!mkdtemp(tmpdir) || setup_issuer()) {
		printf("setup failed: %s\n", lg_errmsg());
		return 1;
	}
	RUN(test_table);
	RUN(test_external_names);
	RUN(test_kind_rights);
	RUN(test_access_names);
	RUN(test_every_right_named);
	RUN(test_hook_classes);
	RUN(test_compile_every_kind);
	RUN(test_compile_merge_and_refuse);
	RUN(test_token_claims);
	RUN(test_token_unknown_list);
	RUN(test_config_kinds);
	RUN(test_config_syntax_per_class);
	RUN(test_ceiling_matrix);
	RUN(test_ceiling_targets);
	lg_trust_bundle_free(bundle);
	EVP_PKEY_free(key);
	rmdir(tmpdir);
	return check_summary("rule_kinds");
}

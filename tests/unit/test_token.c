// SPDX-License-Identifier: GPL-2.0
/*
 * test_token.c - grant tokens (userspace/lib/token.c, trust_bundle.c,
 * b64url.c) and the development issuer (tools/issuer).
 *
 * The vectors are signed here with keys made here, so each hostile token
 * differs from a valid one in exactly the way its name says. Tokens from an
 * independent implementation (PyJWT, tests/unit/token/pyjwt_mint.py) check
 * that the verifier does not only agree with itself; PyJWT also verifies the
 * issuer's tokens. The issuer is found next to this binary's directory
 * (BUILD/livegrant-issuer), the sources in the current directory or two
 * levels above this binary; LG_ISSUER and LG_SRCDIR override both. -v prints
 * the verdict on every vector.
 */
#define _GNU_SOURCE /* open_memstream, asprintf */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "check.h"
#include "token_internal.h"

#define NOW 1790000000LL
#define AUD "livegrant://node-1"
#define PYTHON "/usr/bin/python3"
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA63 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"
#define SHA_G "gf86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_UPPER "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

static char tmpdir[] = "/tmp/lg-test-token-XXXXXX";
static const char *srcdir = ".";
static char srcdir_buf[PATH_MAX + 8];
static bool verbose; /* -v: print every vector's verdict */
static char issuer[PATH_MAX + 32];

/* The qa issuer's keys (kids qa-ed, qa-ec) and another domain's (prod-*). */
static EVP_PKEY *ed, *ec, *ed_prod, *ec_prod;
static struct lg_trust_bundle *qa_jwks;

static const struct lg_token_policy policy = {
	.audience = AUD,
	.domain = "qa",
	.max_ttl_s = 3600,
	.leeway_s = 30,
	.now = NOW,
};

static const char default_claims[] =
	"{\"iss\":\"https://issuer.qa.example\",\"sub\":\"spiffe://example.org/agent/codegen-7\","
	"\"aud\":\"" AUD "\",\"iat\":${now},\"nbf\":${now},\"exp\":${now+600},"
	"\"jti\":\"4f1c0a9e\",\"domain\":\"qa\",\"task\":\"run the integration tests of PR 812\","
	"\"workload\":{\"uid\":1000,\"exe_sha256\":\"" SHA "\"},"
	"\"allow\":{\"exec\":[\"/usr/bin/python3\"],\"read\":[\"/workspace/\"],"
	"\"write\":[\"/workspace/out/\"],"
	"\"connect\":[\"10.10.1.0/24:443\",\"unix:/run/db.sock\"]}}";

static const char default_header[] =
	"{\"alg\":\"${alg}\",\"typ\":\"livegrant+jwt\",\"kid\":\"${kid}\"}";

/* ---- helpers ------------------------------------------------------------------ */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t n;

	if (!f)
		return -errno;
	n = fwrite(data, 1, len, f);
	return fclose(f) || n != len ? -EIO : 0;
}

static int write_tmp(const char *name, const char *data)
{
	char *p = tpath(name);
	int err = write_file(p, data, strlen(data));

	free(p);
	return err;
}

static int write_pub(const char *name, EVP_PKEY *pkey)
{
	char *p = tpath(name);
	FILE *f = fopen(p, "w");
	int ok = f && PEM_write_PUBKEY(f, pkey) == 1;

	if (f)
		ok = !fclose(f) && ok;
	free(p);
	return ok ? 0 : -EIO;
}

static int write_priv(const char *name, EVP_PKEY *pkey)
{
	char *p = tpath(name);
	FILE *f = fopen(p, "w");
	int ok = f && PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;

	if (f)
		ok = !fclose(f) && ok;
	free(p);
	return ok ? 0 : -EIO;
}

/* The public key's PEM text: what the HMAC key-confusion attack keys with. */
static char *pub_pem(EVP_PKEY *pkey)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_PUBKEY(mem, pkey);
	n = BIO_get_mem_data(mem, &data);
	out = strndup(data, n);
	BIO_free(mem);
	return out;
}

/* A JSON string member of @pkey's JWK (for "x", "y"). */
static char *jwk_member(EVP_PKEY *pkey, const char *name)
{
	json_t *jwk;
	char *s;

	if (lg_jwk_from_pkey(pkey, NULL, &jwk))
		return strdup("");
	s = strdup(json_string_value(json_object_get(jwk, name)));
	json_decref(jwk);
	return s;
}

static int write_jwks(const char *name, size_t n, const char *const *kids, EVP_PKEY **keys)
{
	json_t *arr = json_array(), *jwks, *jwk;
	char *p = tpath(name);
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		err = lg_jwk_from_pkey(keys[i], kids[i], &jwk);
		if (!err)
			json_array_append_new(arr, jwk);
	}
	jwks = json_pack("{so}", "keys", arr);
	if (!err && json_dump_file(jwks, p, 0))
		err = -EIO;
	json_decref(jwks);
	free(p);
	return err;
}

static struct lg_trust_bundle *load_tmp_bundle(const char *name)
{
	struct lg_trust_bundle *b = NULL;
	char *p = tpath(name);
	int err = lg_trust_bundle_load(p, &b);

	CHECK(!err, "load %s: %s", name, lg_errmsg());
	free(p);
	return b;
}

/* Run @cmd with sh; its stdout in *out (if @out), the exit status returned. */
static int run(char **out, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char buf[4096];
	size_t n, len = 0;
	char *s = NULL;
	int status;

	if (!p)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		char *bigger = realloc(s, len + n + 1);

		if (!bigger)
			abort();
		s = bigger;
		memcpy(s + len, buf, n);
		len += n;
	}
	if (!s)
		s = calloc(1, 1);
	s[len] = 0;
	status = pclose(p);
	if (out)
		*out = s;
	else
		free(s);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/* ---- templates --------------------------------------------------------------- */

/* What ${name} stands for in a vector, for the algorithm under test. */
struct tvars {
	const char *alg, *kid, *other_alg, *other_kid, *prod_kid;
	char *edx, *ecx, *ecy;
};

static void expand_var(FILE *f, const char *name, size_t len, const struct tvars *v)
{
	if (len > 3 && !strncmp(name, "now", 3)) {
		fprintf(f, "%lld", NOW + strtoll(name + 3, NULL, 10));
		return;
	}
#define VAR(n, val)                                       \
	if (len == strlen(n) && !strncmp(name, n, len)) { \
		fputs(val, f);                            \
		return;                                   \
	}
	VAR("now", "1790000000");
	VAR("alg", v->alg);
	VAR("kid", v->kid);
	VAR("otheralg", v->other_alg);
	VAR("otherkid", v->other_kid);
	VAR("prodkid", v->prod_kid);
	VAR("edx", v->edx);
	VAR("ecx", v->ecx);
	VAR("ecy", v->ecy);
#undef VAR
	if (len == 3 && !strncmp(name, "big", 3)) {
		for (int i = 0; i < LG_TOKEN_MAX_BYTES; i++)
			fputc('a', f);
		return;
	}
	fprintf(f, "${%.*s}", (int)len, name);
}

/* @t with "${now+600}", "${alg}"... replaced. */
static char *expand(const char *t, const struct tvars *v)
{
	size_t size;
	char *out;
	FILE *f = open_memstream(&out, &size);

	while (*t) {
		const char *end = t[0] == '$' && t[1] == '{' ? strchr(t, '}') : NULL;

		if (!end) {
			fputc(*t++, f);
			continue;
		}
		expand_var(f, t + 2, end - t - 2, v);
		t = end + 1;
	}
	fclose(f);
	return out;
}

/* The default claims with @patch merged in: a null member deletes. */
static char *claims_patched(const char *patch, const struct tvars *v)
{
	char *base = expand(default_claims, v), *p, *out;
	json_t *c = json_loads(base, 0, NULL), *pj;

	free(base);
	if (patch) {
		p = expand(patch, v);
		pj = json_loads(p, 0, NULL);
		if (!pj)
			fprintf(stderr, "test_token: bad patch %s\n", p);
		free(p);
		for (void *it = json_object_iter(pj); it; it = json_object_iter_next(pj, it)) {
			const char *key = json_object_iter_key(it);
			json_t *val = json_object_iter_value(it);

			if (json_is_null(val))
				json_object_del(c, key);
			else
				json_object_set(c, key, val);
		}
		json_decref(pj);
	}
	out = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return out;
}

/* ---- making tokens -------------------------------------------------------------- */

enum sig_mode {
	SIG_KEY, /* the key of the algorithm under test */
	SIG_PROD, /* the same algorithm, another domain's key */
	SIG_OTHER_ALG, /* the qa key of the other algorithm */
	SIG_EMPTY, /* no signature bytes */
	SIG_HS256_PUB, /* HMAC-SHA256 keyed with the PEM public key */
};

static char *sign_compact(const char *header, const char *payload, enum sig_mode mode,
			  EVP_PKEY *key, EVP_PKEY *prod, EVP_PKEY *other)
{
	char *h = lg_b64url_encode((const unsigned char *)header, strlen(header));
	char *p = lg_b64url_encode((const unsigned char *)payload, strlen(payload));
	char *input = xasprintf("%s.%s", h, p), *s, *tok;
	unsigned char sig[EVP_MAX_MD_SIZE];
	unsigned int n = LG_JWS_SIG_LEN;
	char *pem;

	switch (mode) {
	case SIG_KEY:
	case SIG_PROD:
	case SIG_OTHER_ALG:
		lg_jws_sign(mode == SIG_KEY  ? key :
			    mode == SIG_PROD ? prod :
					       other,
			    input, strlen(input), sig);
		break;
	case SIG_EMPTY:
		n = 0;
		break;
	case SIG_HS256_PUB:
		pem = pub_pem(key);
		HMAC(EVP_sha256(), pem, (int)strlen(pem), (unsigned char *)input, strlen(input),
		     sig, &n);
		free(pem);
		break;
	}
	s = lg_b64url_encode(sig, n);
	tok = xasprintf("%s.%s", input, s);
	free(h);
	free(p);
	free(input);
	free(s);
	return tok;
}

enum mutation {
	MUT_NONE,
	MUT_PAYLOAD_CHAR, /* one base64url character of the payload changed */
	MUT_SIG_CHAR, /* one base64url character of the signature changed */
	MUT_SIG_SHORT, /* the signature's first 48 bytes only */
	MUT_PAD, /* "==" padding after the signature */
	MUT_STD_B64, /* '-' and '_' spelled as standard base64 '+' and '/' */
	MUT_SLASH, /* a '/' in the signature */
	MUT_NEWLINE, /* a trailing newline */
	MUT_SPACE, /* a space inside the payload */
	MUT_NUL, /* a NUL byte inside the payload */
	MUT_NONCANONICAL, /* the last character's unused bits set */
	MUT_TWO_SEGMENTS, /* HEADER.PAYLOAD */
	MUT_FOUR_SEGMENTS, /* one more segment */
	MUT_FIVE_SEGMENTS, /* shaped like a JWE */
	MUT_EMPTY, /* "" */
	MUT_DOTS, /* ".." */
};

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void change_char(char *c)
{
	*c = *c == 'A' ? 'B' : 'A';
}

/* Apply @m to *@tok (reallocated), with its length in *@len. */
static void mutate(char **tok, size_t *len, enum mutation m)
{
	char *t = *tok, *pay = strchr(t, '.') + 1, *sig = strrchr(t, '.') + 1, *n = NULL;
	unsigned char *raw;
	size_t rawlen;

	switch (m) {
	case MUT_NONE:
		break;
	case MUT_PAYLOAD_CHAR:
		change_char(pay + 5);
		break;
	case MUT_SIG_CHAR:
		change_char(sig + 10);
		break;
	case MUT_SIG_SHORT:
		lg_b64url_decode(sig, strlen(sig), &raw, &rawlen);
		*sig = 0;
		n = lg_b64url_encode(raw, rawlen < 48 ? rawlen : 48);
		free(raw);
		raw = (unsigned char *)n;
		n = xasprintf("%s%s", t, (char *)raw);
		free(raw);
		break;
	case MUT_PAD:
		n = xasprintf("%s==", t);
		break;
	case MUT_STD_B64:
		for (char *c = t; *c; c++)
			*c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
		if (!strpbrk(t, "+/"))
			sig[0] = '+';
		break;
	case MUT_SLASH:
		sig[0] = '/';
		break;
	case MUT_NEWLINE:
		n = xasprintf("%s\n", t);
		break;
	case MUT_SPACE:
		n = xasprintf("%.*s %s", (int)(pay + 4 - t), t, pay + 4);
		break;
	case MUT_NUL:
		pay[3] = 0;
		return; /* *len stays: the NUL is inside the token */
	case MUT_NONCANONICAL:
		/* 64 bytes are 86 characters: the last one carries 4 unused bits. */
		sig[strlen(sig) - 1] = b64url[(strchr(b64url, sig[strlen(sig) - 1]) - b64url) | 1];
		break;
	case MUT_TWO_SEGMENTS:
		sig[-1] = 0;
		break;
	case MUT_FOUR_SEGMENTS:
		n = xasprintf("%s.AAAA", t);
		break;
	case MUT_FIVE_SEGMENTS:
		n = xasprintf("%s.AAAA.AAAA", t);
		break;
	case MUT_EMPTY:
		t[0] = 0;
		break;
	case MUT_DOTS:
		n = strdup("..");
		break;
	}
	if (n) {
		free(t);
		*tok = n;
	}
	*len = strlen(*tok);
}

/* ---- the vectors ------------------------------------------------------------------ */

/**
 * struct vector - one token and what the verifier must say.
 * @header:  header template (NULL: default_header).
 * @patch:   members merged into default_claims (null deletes one).
 * @payload: payload template used verbatim instead (for bytes jansson
 *           would not produce: duplicates, broken JSON).
 * @reason:  the expected refusal; NULL: accepted.
 */
struct vector {
	const char *name;
	const char *header, *patch, *payload;
	enum sig_mode sig;
	enum mutation mut;
	const char *reason;
};

#define H(...) "{" __VA_ARGS__ "}"
#define TYP "\"typ\":\"livegrant+jwt\""
#define ALG "\"alg\":\"${alg}\""
#define KID "\"kid\":\"${kid}\""

static const struct vector vectors[] = {
	/* accepted */
	{ "valid" },
	{ "valid: aud is an array holding ours",
	  .patch = H("\"aud\":[\"livegrant://x\",\"" AUD "\"]") },
	{ "valid: typ with application/ prefix",
	  .header = H(ALG ",\"typ\":\"application/livegrant+jwt\"," KID) },
	{ "valid: typ in other case", .header = H(ALG ",\"typ\":\"LiveGrant+JWT\"," KID) },
	{ "valid: no iat, no nbf", .patch = H("\"iat\":null,\"nbf\":null") },
	{ "valid: exp 29 s ago, within leeway",
	  .patch = H("\"iat\":${now-600},\"nbf\":${now-600},\"exp\":${now-29}") },
	{ "valid: nbf 30 s ahead, within leeway", .patch = H("\"nbf\":${now+30}") },
	{ "valid: iat 30 s ahead, within leeway", .patch = H("\"iat\":${now+30},\"nbf\":null") },
	{ "valid: lifetime exactly max_ttl", .patch = H("\"exp\":${now+3600}") },
	{ "valid: empty allow", .patch = H("\"allow\":{}") },
	{ "valid: no workload, task, iss",
	  .patch = H("\"workload\":null,\"task\":null,\"iss\":null") },
	{ "valid: unknown claims are ignored", .patch = H("\"x-extra\":{\"a\":[1,2]}") },
	{ "valid: uppercase exe_sha256",
	  .patch = H("\"workload\":{\"exe_sha256\":\"" SHA_UPPER "\"}") },
	{ "valid: uid 4294967294", .patch = H("\"workload\":{\"uid\":4294967294}") },
	{ "valid: embedded jwk and jku are ignored",
	  .header = H(ALG "," TYP "," KID ",\"jku\":\"https://evil.example/jwks\","
			  "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\"}") },
	{ "embedded jwk and jku, signed by another key",
	  .header = H(ALG "," TYP "," KID ",\"jku\":\"https://evil.example/jwks\","
			  "\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\"}"),
	  .sig = SIG_PROD, .reason = "bad_signature" },

	/* algorithm */
	{ "alg none, empty signature", .header = H("\"alg\":\"none\"," TYP "," KID),
	  .sig = SIG_EMPTY, .reason = "alg_not_allowed" },
	{ "alg none, typ JWT, no kid", .header = H("\"alg\":\"none\",\"typ\":\"JWT\""),
	  .sig = SIG_EMPTY, .reason = "alg_not_allowed" },
	{ "alg NONE", .header = H("\"alg\":\"NONE\"," TYP "," KID), .sig = SIG_EMPTY,
	  .reason = "alg_not_allowed" },
	{ "alg HS256 keyed with the public key PEM", .header = H("\"alg\":\"HS256\"," TYP "," KID),
	  .sig = SIG_HS256_PUB, .reason = "alg_not_allowed" },
	{ "alg RS256", .header = H("\"alg\":\"RS256\"," TYP "," KID), .reason = "alg_not_allowed" },
	{ "alg eddsa (case)", .header = H("\"alg\":\"eddsa\"," TYP "," KID),
	  .reason = "alg_not_allowed" },
	{ "alg missing", .header = H(TYP "," KID), .reason = "alg_not_allowed" },
	{ "alg not a string", .header = H("\"alg\":[\"${alg}\"]," TYP "," KID),
	  .reason = "alg_not_allowed" },
	{ "alg confusion: other alg, this kid, signed by the other alg's key",
	  .header = H("\"alg\":\"${otheralg}\"," TYP "," KID), .sig = SIG_OTHER_ALG,
	  .reason = "alg_not_allowed" },
	{ "alg confusion: other alg, this kid, signed by this key",
	  .header = H("\"alg\":\"${otheralg}\"," TYP "," KID), .reason = "alg_not_allowed" },
	{ "other alg's kid and alg, signed by this key",
	  .header = H("\"alg\":\"${otheralg}\"," TYP ",\"kid\":\"${otherkid}\""),
	  .reason = "bad_signature" },

	/* key selection */
	{ "kid unknown", .header = H(ALG "," TYP ",\"kid\":\"nope\""), .reason = "unknown_kid" },
	{ "kid missing", .header = H(ALG "," TYP), .reason = "unknown_kid" },
	{ "kid not a string", .header = H(ALG "," TYP ",\"kid\":7"), .reason = "unknown_kid" },
	{ "another domain's key and kid", .header = H(ALG "," TYP ",\"kid\":\"${prodkid}\""),
	  .sig = SIG_PROD, .reason = "unknown_kid" },
	{ "this kid, another domain's key", .sig = SIG_PROD, .reason = "bad_signature" },

	/* signature */
	{ "tampered payload", .mut = MUT_PAYLOAD_CHAR, .reason = "bad_signature" },
	{ "tampered signature", .mut = MUT_SIG_CHAR, .reason = "bad_signature" },
	{ "truncated signature", .mut = MUT_SIG_SHORT, .reason = "bad_signature" },
	{ "empty signature", .sig = SIG_EMPTY, .reason = "bad_signature" },

	/* encoding */
	{ "padding", .mut = MUT_PAD, .reason = "bad_base64" },
	{ "standard base64 + and /", .mut = MUT_STD_B64, .reason = "bad_base64" },
	{ "a / in the signature", .mut = MUT_SLASH, .reason = "bad_base64" },
	{ "trailing newline", .mut = MUT_NEWLINE, .reason = "bad_base64" },
	{ "space in the payload", .mut = MUT_SPACE, .reason = "bad_base64" },
	{ "NUL byte in the payload", .mut = MUT_NUL, .reason = "bad_base64" },
	{ "non-canonical last character", .mut = MUT_NONCANONICAL, .reason = "bad_base64" },
	{ "2 segments", .mut = MUT_TWO_SEGMENTS, .reason = "malformed" },
	{ "4 segments", .mut = MUT_FOUR_SEGMENTS, .reason = "malformed" },
	{ "5 segments (JWE)", .mut = MUT_FIVE_SEGMENTS, .reason = "malformed" },
	{ "empty token", .mut = MUT_EMPTY, .reason = "malformed" },
	{ "three empty segments", .mut = MUT_DOTS, .reason = "bad_json" },

	/* header */
	{ "header not JSON", .header = "alg: EdDSA", .reason = "bad_json" },
	{ "header a JSON array", .header = "[\"${alg}\"]", .reason = "bad_json" },
	{ "header with trailing bytes", .header = H(ALG "," TYP "," KID) " x",
	  .reason = "bad_json" },
	{ "crit [exp]", .header = H(ALG "," TYP "," KID ",\"crit\":[\"exp\"]"),
	  .reason = "crit_unsupported" },
	{ "crit []", .header = H(ALG "," TYP "," KID ",\"crit\":[]"),
	  .reason = "crit_unsupported" },
	{ "crit b64 (RFC 7797)",
	  .header = H(ALG "," TYP "," KID ",\"b64\":false,\"crit\":[\"b64\"]"),
	  .reason = "crit_unsupported" },
	{ "duplicate alg in the header", .header = H(ALG "," TYP "," KID ",\"alg\":\"none\""),
	  .reason = "duplicate_member" },
	{ "duplicate kid in the header, escaped",
	  .header = H(ALG "," TYP "," KID ",\"\\u006bid\":\"nope\""),
	  .reason = "duplicate_member" },
	{ "typ JWT", .header = H(ALG ",\"typ\":\"JWT\"," KID), .reason = "bad_typ" },
	{ "typ missing", .header = H(ALG "," KID), .reason = "bad_typ" },
	{ "typ not a string", .header = H(ALG ",\"typ\":1," KID), .reason = "bad_typ" },
	{ "typ livegrant+jwt+x", .header = H(ALG ",\"typ\":\"livegrant+jwt+x\"," KID),
	  .reason = "bad_typ" },

	/* payload as JSON */
	{ "payload not JSON", .payload = "hello", .reason = "bad_json" },
	{ "payload a JSON array", .payload = "[1,2]", .reason = "bad_json" },
	{ "payload with trailing bytes", .payload = "{\"sub\":\"a\"}{}", .reason = "bad_json" },
	{ "payload not UTF-8", .payload = "{\"sub\":\"\xff\xfe\"}", .reason = "bad_json" },
	{ "payload with \\u0000 in a string", .payload = "{\"sub\":\"a\\u0000b\"}",
	  .reason = "bad_json" },
	{ "duplicate aud in the payload",
	  .payload = "{\"aud\":\"livegrant://evil\",\"aud\":\"" AUD "\",\"sub\":\"s\"}",
	  .reason = "duplicate_member" },
	{ "duplicate domain, escaped", .payload = "{\"domain\":\"qa\",\"\\u0064omain\":\"prod\"}",
	  .reason = "duplicate_member" },
	{ "duplicate inside allow", .payload = "{\"allow\":{\"read\":[\"/a/\"],\"read\":[\"/\"]}}",
	  .reason = "duplicate_member" },

	/* audience, domain, time */
	{ "wrong aud", .patch = H("\"aud\":\"livegrant://node-2\""), .reason = "wrong_audience" },
	{ "aud with our name as prefix", .patch = H("\"aud\":\"" AUD "0\""),
	  .reason = "wrong_audience" },
	{ "aud array without ours", .patch = H("\"aud\":[\"livegrant://node-2\"]"),
	  .reason = "wrong_audience" },
	{ "aud empty array", .patch = H("\"aud\":[]"), .reason = "wrong_audience" },
	{ "aud missing", .patch = H("\"aud\":null"), .reason = "wrong_audience" },
	{ "aud a number", .patch = H("\"aud\":1"), .reason = "bad_claims" },
	{ "aud array with a number", .patch = H("\"aud\":[\"" AUD "\",1]"),
	  .reason = "bad_claims" },
	{ "wrong domain", .patch = H("\"domain\":\"prod\""), .reason = "wrong_domain" },
	{ "expired 31 s ago (leeway 30)",
	  .patch = H("\"iat\":${now-600},\"nbf\":${now-600},\"exp\":${now-31}"),
	  .reason = "expired" },
	{ "expired exactly at the leeway",
	  .patch = H("\"iat\":${now-600},\"nbf\":${now-600},\"exp\":${now-30}"),
	  .reason = "expired" },
	{ "nbf 31 s ahead", .patch = H("\"nbf\":${now+31}"), .reason = "not_yet_valid" },
	{ "iat 31 s ahead", .patch = H("\"iat\":${now+31},\"nbf\":null"),
	  .reason = "not_yet_valid" },
	{ "lifetime max_ttl + 1", .patch = H("\"exp\":${now+3601}"), .reason = "ttl_too_long" },
	{ "lifetime too long, no iat nor nbf",
	  .patch = H("\"iat\":null,\"nbf\":null,\"exp\":${now+3601}"), .reason = "ttl_too_long" },
	{ "lifetime too long from an old iat",
	  .patch = H("\"iat\":${now-3000},\"nbf\":null,\"exp\":${now+601}"),
	  .reason = "ttl_too_long" },
	{ "exp before nbf", .patch = H("\"nbf\":${now+10},\"exp\":${now+5}"),
	  .reason = "bad_claims" },
	{ "exp equal to iat", .patch = H("\"nbf\":null,\"exp\":${now}"), .reason = "bad_claims" },

	/* claim types */
	{ "exp missing", .patch = H("\"exp\":null"), .reason = "bad_claims" },
	{ "exp a string", .patch = H("\"exp\":\"${now+600}\""), .reason = "bad_claims" },
	{ "exp a real number", .patch = H("\"exp\":1790000600.5"), .reason = "bad_claims" },
	{ "exp negative", .patch = H("\"exp\":-1"), .reason = "bad_claims" },
	{ "nbf a string", .patch = H("\"nbf\":\"now\""), .reason = "bad_claims" },
	{ "iat true", .patch = H("\"iat\":true"), .reason = "bad_claims" },
	{ "domain missing", .patch = H("\"domain\":null"), .reason = "bad_claims" },
	{ "domain a number", .patch = H("\"domain\":1"), .reason = "bad_claims" },
	{ "sub missing", .patch = H("\"sub\":null"), .reason = "bad_claims" },
	{ "sub empty", .patch = H("\"sub\":\"\""), .reason = "bad_claims" },
	{ "sub a number", .patch = H("\"sub\":7"), .reason = "bad_claims" },
	{ "jti missing", .patch = H("\"jti\":null"), .reason = "bad_claims" },
	{ "jti an object", .patch = H("\"jti\":{}"), .reason = "bad_claims" },
	{ "iss a number", .patch = H("\"iss\":1"), .reason = "bad_claims" },
	{ "task a list", .patch = H("\"task\":[\"x\"]"), .reason = "bad_claims" },
	{ "allow missing", .patch = H("\"allow\":null"), .reason = "bad_claims" },
	{ "allow an array", .patch = H("\"allow\":[\"/\"]"), .reason = "bad_claims" },
	{ "allow.exec a string", .patch = H("\"allow\":{\"exec\":\"/bin/sh\"}"),
	  .reason = "bad_claims" },
	{ "allow.read holding a number", .patch = H("\"allow\":{\"read\":[\"/a/\",1]}"),
	  .reason = "bad_claims" },
	{ "allow.connect holding null", .patch = H("\"allow\":{\"connect\":[null]}"),
	  .reason = "bad_claims" },
	{ "allow with an unknown list", .patch = H("\"allow\":{\"exex\":[\"/bin/sh\"]}"),
	  .reason = "bad_claims" },
	{ "workload a string", .patch = H("\"workload\":\"codegen\""), .reason = "bad_claims" },
	{ "workload.uid -1", .patch = H("\"workload\":{\"uid\":-1}"), .reason = "bad_claims" },
	{ "workload.uid 4294967295", .patch = H("\"workload\":{\"uid\":4294967295}"),
	  .reason = "bad_claims" },
	{ "workload.uid a string", .patch = H("\"workload\":{\"uid\":\"1000\"}"),
	  .reason = "bad_claims" },
	{ "workload.uid a real number", .patch = H("\"workload\":{\"uid\":1000.0}"),
	  .reason = "bad_claims" },
	{ "exe_sha256 of 63 digits", .patch = H("\"workload\":{\"exe_sha256\":\"" SHA63 "\"}"),
	  .reason = "bad_claims" },
	{ "exe_sha256 of 65 digits", .patch = H("\"workload\":{\"exe_sha256\":\"" SHA "0\"}"),
	  .reason = "bad_claims" },
	{ "exe_sha256 with a non-hex digit",
	  .patch = H("\"workload\":{\"exe_sha256\":\"" SHA_G "\"}"), .reason = "bad_claims" },
	{ "exe_sha256 a number", .patch = H("\"workload\":{\"exe_sha256\":12}"),
	  .reason = "bad_claims" },
	{ "workload with an unknown selector", .patch = H("\"workload\":{\"gid\":0}"),
	  .reason = "bad_claims" },

	/* size */
	{ "larger than the size limit", .patch = H("\"task\":\"${big}\""), .reason = "too_large" },
};

static struct tvars vars_for(bool es256)
{
	struct tvars v = {
		.alg = es256 ? "ES256" : "EdDSA",
		.kid = es256 ? "qa-ec" : "qa-ed",
		.other_alg = es256 ? "EdDSA" : "ES256",
		.other_kid = es256 ? "qa-ed" : "qa-ec",
		.prod_kid = es256 ? "prod-ec" : "prod-ed",
		.edx = jwk_member(ed, "x"),
		.ecx = jwk_member(ec, "x"),
		.ecy = jwk_member(ec, "y"),
	};
	return v;
}

static void vars_free(struct tvars *v)
{
	free(v->edx);
	free(v->ecx);
	free(v->ecy);
}

/* The compact token of @vec for the algorithm of @v; its length in *len. */
static char *vector_token(const struct vector *vec, const struct tvars *v, bool es256, size_t *len)
{
	char *header = expand(vec->header ? vec->header : default_header, v);
	char *payload = vec->payload ? expand(vec->payload, v) : claims_patched(vec->patch, v);
	char *tok = sign_compact(header, payload, vec->sig, es256 ? ec : ed,
				 es256 ? ec_prod : ed_prod, es256 ? ed : ec);

	free(header);
	free(payload);
	*len = strlen(tok);
	mutate(&tok, len, vec->mut);
	return tok;
}

static bool same_reason(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void run_vectors(const struct lg_trust_bundle *b, bool es256)
{
	struct tvars v = vars_for(es256);

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *vec = &vectors[i];
		struct lg_token *t = (struct lg_token *)1;
		const char *reason = "unset";
		size_t len;
		char *tok = vector_token(vec, &v, es256, &len);
		int err = lg_token_verify(tok, len, b, &policy, &t, &reason);

		CHECK(same_reason(reason, vec->reason) && (err == 0) == !vec->reason &&
			      (t != NULL) == !vec->reason,
		      "%s: \"%s\": got %d %s, want %s (%s)", v.alg, vec->name, err,
		      reason ? reason : "accepted", vec->reason ? vec->reason : "accepted",
		      err ? lg_errmsg() : "");
		if (verbose)
			printf("    %s: %-60s %s\n", v.alg, vec->name,
			       err ? lg_errmsg() : "accepted");
		if (err && vec->reason)
			CHECK(strstr(lg_errmsg(), vec->reason) != NULL,
			      "%s: \"%s\": message names the reason: %s", v.alg, vec->name,
			      lg_errmsg());
		lg_token_free(t);
		free(tok);
	}
	vars_free(&v);
}

static void test_vectors_eddsa(void)
{
	run_vectors(qa_jwks, false);
}

static void test_vectors_es256(void)
{
	run_vectors(qa_jwks, true);
}

/* Every reason a token can earn has a vector, and docs/tokens.md lists them all. */
static void test_reasons_covered(void)
{
	const char *const *r = lg_token_reasons();
	char *docs_path = xasprintf("%s/docs/tokens.md", srcdir), *docs = NULL;
	size_t docs_len;
	int err = lg_token_file_read(docs_path, 1 << 20, &docs, &docs_len);

	CHECK(!err, "read %s (run from the repository root): %s", docs_path, lg_errmsg());
	for (; *r && docs; r++) {
		bool seen = false;
		char *quoted = xasprintf("`%s`", *r);

		for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
			seen = seen || same_reason(vectors[i].reason, *r);
		/* These two come from the caller or the machine, never from a token. */
		if (strcmp(*r, "bad_policy") && strcmp(*r, "internal"))
			CHECK(seen, "reason %s has no vector", *r);
		CHECK(docs && strstr(docs, quoted), "reason %s is not in docs/tokens.md", *r);
		free(quoted);
	}
	free(docs);
	free(docs_path);
}

/* ---- fields, policy, peek ------------------------------------------------------------ */

static struct lg_token *verify_str(const char *tok, const struct lg_trust_bundle *b,
				   const struct lg_token_policy *p, const char **reason)
{
	struct lg_token *t = NULL;

	lg_token_verify(tok, strlen(tok), b, p, &t, reason);
	return t;
}

static char *default_token(bool es256, const char *patch)
{
	struct vector vec = { "default", .patch = patch };
	struct tvars v = vars_for(es256);
	size_t len;
	char *tok = vector_token(&vec, &v, es256, &len);

	vars_free(&v);
	return tok;
}

static void test_fields(void)
{
	char *tok = default_token(false, NULL);
	const char *reason = NULL;
	struct lg_token *t = verify_str(tok, qa_jwks, &policy, &reason);

	CHECK(t, "default token verifies: %s", reason);
	if (!t)
		goto out;
	CHECK(!strcmp(t->alg, "EdDSA") && !strcmp(t->kid, "qa-ed"), "alg %s kid %s", t->alg,
	      t->kid);
	CHECK(!strcmp(t->iss, "https://issuer.qa.example") &&
		      !strcmp(t->sub, "spiffe://example.org/agent/codegen-7") &&
		      !strcmp(t->aud, AUD) && !strcmp(t->jti, "4f1c0a9e") &&
		      !strcmp(t->domain, "qa") &&
		      !strcmp(t->task, "run the integration tests of PR 812"),
	      "string claims");
	CHECK(t->times.has_iat && t->times.iat == NOW && t->times.has_nbf && t->times.nbf == NOW &&
		      t->times.exp == NOW + 600,
	      "times");
	CHECK(t->workload.has_uid && t->workload.uid == 1000 && t->workload.has_exe_sha256 &&
		      !strcmp(t->workload.exe_sha256, SHA),
	      "workload");
	CHECK(t->rules[LG_RULE_EXEC].n == 1 &&
		      !strcmp(t->rules[LG_RULE_EXEC].v[0], "/usr/bin/python3") &&
		      !t->rules[LG_RULE_EXEC].v[1],
	      "allow.exec, NULL-terminated");
	CHECK(t->rules[LG_RULE_READ].n == 1 &&
		      !strcmp(t->rules[LG_RULE_READ].v[0], "/workspace/") &&
		      t->rules[LG_RULE_WRITE].n == 1 &&
		      !strcmp(t->rules[LG_RULE_WRITE].v[0], "/workspace/out/"),
	      "allow.read, allow.write");
	CHECK(t->rules[LG_RULE_CONNECT].n == 2 &&
		      !strcmp(t->rules[LG_RULE_CONNECT].v[1], "unix:/run/db.sock"),
	      "allow.connect");
	CHECK(json_is_object(t->claims) &&
		      !strcmp(json_string_value(json_object_get(t->claims, "sub")), t->sub),
	      "whole payload kept");
	lg_token_free(t);
	free(tok);

	tok = default_token(true, H("\"workload\":{\"exe_sha256\":\"" SHA_UPPER "\"},"
				    "\"iat\":null,\"nbf\":null,\"task\":null,\"iss\":null,"
				    "\"allow\":{\"read\":[]}"));
	t = verify_str(tok, qa_jwks, &policy, &reason);
	CHECK(t, "ES256 token verifies: %s", reason);
	if (!t)
		goto out;
	CHECK(!strcmp(t->alg, "ES256") && !strcmp(t->workload.exe_sha256, SHA) &&
		      !t->workload.has_uid,
	      "exe_sha256 stored lowercase, no uid");
	CHECK(!t->times.has_iat && !t->times.has_nbf && !t->task && !t->iss,
	      "absent optional claims");
	CHECK(t->rules[LG_RULE_READ].n == 0 && t->rules[LG_RULE_READ].v &&
		      !t->rules[LG_RULE_READ].v[0] && t->rules[LG_RULE_EXEC].n == 0,
	      "empty and absent lists");
	lg_token_free(t);
out:
	free(tok);
}

static void test_policy(void)
{
	char *tok = default_token(false, NULL);
	struct lg_token_policy p = policy;
	struct lg_token *t = NULL;
	const char *reason = NULL;
	size_t len = strlen(tok);

	p.max_bytes = len;
	CHECK(lg_token_verify(tok, len, qa_jwks, &p, &t, &reason) == 0, "max_bytes = length: %s",
	      reason);
	lg_token_free(t);
	p.max_bytes = len - 1;
	CHECK(lg_token_verify(tok, len, qa_jwks, &p, &t, &reason) == -EMSGSIZE && !t &&
		      !strcmp(reason, "too_large"),
	      "max_bytes = length - 1: %s", reason);

	p = policy;
	p.leeway_s = 0;
	p.now = NOW + 599;
	CHECK(lg_token_verify(tok, len, qa_jwks, &p, &t, NULL) == 0, "valid 1 s before exp");
	lg_token_free(t);
	p.now = NOW + 600;
	CHECK(lg_token_verify(tok, len, qa_jwks, &p, &t, &reason) == -EKEYEXPIRED &&
		      !strcmp(reason, "expired"),
	      "no leeway: expired at exp");
	p.now = NOW - 1;
	CHECK(lg_token_verify(tok, len, qa_jwks, &p, &t, &reason) < 0 &&
		      !strcmp(reason, "not_yet_valid"),
	      "no leeway: not valid 1 s before nbf");

	p = policy;
	p.max_ttl_s = 599;
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "ttl_too_long"),
	      "max_ttl 599 < 600");
	p.max_ttl_s = 0;
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "bad_policy"),
	      "max_ttl 0 is a bad policy");
	p = policy;
	p.audience = NULL;
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "bad_policy"),
	      "no audience is a bad policy");
	p = policy;
	p.domain = "prod";
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "wrong_domain"),
	      "policy domain prod: %s", reason);
	CHECK(lg_token_verify(tok, len, NULL, &policy, &t, &reason) == -EINVAL &&
		      !strcmp(reason, "bad_policy"),
	      "no bundle");
	free(tok);
}

/*
 * signature_known_good (a refresh of a token already verified) skips the
 * signature only: a token whose signature is broken passes with it and
 * fails without it, and with it the claims and the kid are still checked.
 */
static void test_signature_known_good(void)
{
	static const char *const other_kid[] = { "another-kid" };
	char *tok = default_token(false, NULL);
	struct lg_token_policy p = policy;
	struct lg_trust_bundle *other;
	const char *reason = NULL;
	size_t len = strlen(tok);
	struct lg_token *t = NULL;

	/* The signature's last character changed: no longer the issuer's. */
	tok[len - 2] = tok[len - 2] == 'A' ? 'B' : 'A';
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "bad_signature"),
	      "without the flag a broken signature is refused: %s", reason);
	p.signature_known_good = true;
	CHECK(lg_token_verify(tok, len, qa_jwks, &p, &t, &reason) == 0 && t,
	      "with it the signature is not checked: %s", reason);
	lg_token_free(t);
	p.leeway_s = 0;
	p.now = NOW + 600;
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "expired"),
	      "with it the expiry still is: %s", reason);
	p = policy;
	p.signature_known_good = true;
	p.audience = "livegrant://another-node";
	CHECK(!verify_str(tok, qa_jwks, &p, &reason) && !strcmp(reason, "wrong_audience"),
	      "with it the audience still is: %s", reason);
	p = policy;
	p.signature_known_good = true;
	CHECK(write_jwks("other.jwks", 1, other_kid, &ed) == 0, "write other.jwks");
	other = load_tmp_bundle("other.jwks");
	CHECK(other && !verify_str(tok, other, &p, &reason) && !strcmp(reason, "unknown_kid"),
	      "with it a bundle without the token's kid still refuses: %s", reason);
	lg_trust_bundle_free(other);
	free(tok);
}

/*
 * livegrantd's refresh re-checks a token it verified with
 * lg_token_check_times() alone: at every instant, with and without leeway,
 * it must answer as the full verification does, reason included.
 */
static void test_check_times_agrees(void)
{
	char *tok = default_token(false, NULL);
	struct lg_token *t = verify_str(tok, qa_jwks, &policy, NULL);
	const char *full = NULL, *times = NULL;
	int disagree = 0, refused = 0, checked = 0;

	CHECK(t != NULL, "the default token verifies");
	for (int leeway = 0; t && leeway <= 30; leeway += 30) {
		for (int64_t at = NOW - 120; at <= NOW + 720; at += 7) {
			struct lg_token_policy p = policy;
			struct lg_token *u;
			int a, b;

			p.leeway_s = (uint64_t)leeway;
			p.now = at;
			u = verify_str(tok, qa_jwks, &p, &full);
			a = u ? 0 : -1;
			b = lg_token_check_times(&t->times, &p, &times) ? -1 : 0;
			lg_token_free(u);
			disagree += a != b || (a && strcmp(full, times));
			refused += a != 0;
			checked++;
		}
	}
	CHECK(checked > 200 && refused > 0 && refused < checked && !disagree,
	      "check_times agrees with the full verification at %d instants (%d refused, %d disagree)",
	      checked, refused, disagree);
	CHECK(lg_token_check_times(NULL, &policy, &times) && !strcmp(times, "bad_policy"),
	      "no times: bad_policy (%s)", times);
	lg_token_free(t);
	free(tok);
}

/* A refusal message quotes the token: never with a newline or escape in it. */
static void test_message_printable(void)
{
	struct vector vec = { "kid with control characters",
			      .header = H(ALG "," TYP
					      ",\"kid\":\"a\\nforged line\\u001b[31m\\u00e9\"") };
	struct tvars v = vars_for(false);
	const char *reason = NULL;
	struct lg_token *t = NULL;
	size_t len;
	char *tok = vector_token(&vec, &v, false, &len);
	int err = lg_token_verify(tok, len, qa_jwks, &policy, &t, &reason);
	bool printable = true;

	for (const char *c = lg_errmsg(); *c; c++)
		printable = printable && *c >= 0x20 && *c < 0x7f;
	CHECK(err && !strcmp(reason, "unknown_kid") && printable && strstr(lg_errmsg(), "a?forged"),
	      "message printable: %s", lg_errmsg());
	free(tok);
	vars_free(&v);
}

static void test_peek_domain(void)
{
	char *tok = default_token(false, NULL),
	     *nodomain = default_token(false, H("\"domain\":null"));
	char d[16];
	const char *reason = NULL;
	size_t len = strlen(tok);

	CHECK(lg_token_peek_domain(tok, len, d, sizeof(d), &reason) == 0 && !strcmp(d, "qa"),
	      "peek: qa (%s)", reason);
	/* Peeking verifies nothing: a broken signature still shows the domain. */
	tok[len - 5] = tok[len - 5] == 'A' ? 'B' : 'A';
	CHECK(lg_token_peek_domain(tok, len, d, sizeof(d), &reason) == 0 && !strcmp(d, "qa"),
	      "peek ignores the signature");
	CHECK(lg_token_peek_domain(tok, len, d, 2, &reason) < 0 && !strcmp(reason, "bad_claims"),
	      "peek: domain longer than the buffer");
	CHECK(lg_token_peek_domain(nodomain, strlen(nodomain), d, sizeof(d), &reason) < 0 &&
		      !strcmp(reason, "bad_claims"),
	      "peek: no domain");
	CHECK(lg_token_peek_domain("a.b", 3, d, sizeof(d), &reason) < 0 &&
		      !strcmp(reason, "malformed"),
	      "peek: 2 segments");
	CHECK(lg_token_peek_domain("a.b=.c", 6, d, sizeof(d), &reason) < 0 &&
		      !strcmp(reason, "bad_base64"),
	      "peek: padding");
	CHECK(lg_token_peek_domain("e30.W10.", 8, d, sizeof(d), &reason) < 0 &&
		      !strcmp(reason, "bad_json"),
	      "peek: payload an array");
	free(tok);
	free(nodomain);
}

/* ---- base64url ------------------------------------------------------------------------- */

static void test_b64url(void)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} cases[] = {
		{ "", "" },
		{ "Zg", "f" },
		{ "Zm8", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg", "foob" },
		{ "Zm9vYmE", "fooba" },
		{ "Zm9vYmFy", "foobar" },
		{ "-_8", "\xfb\xff" }, /* the two url-safe characters */
		{ "Zg==", NULL }, /* padding */
		{ "Zm8=", NULL },
		{ "+/8", NULL }, /* standard base64 */
		{ "Zm9 v", NULL },
		{ "Zm9v\n", NULL },
		{ "Z", NULL }, /* 1 mod 4 */
		{ "Zh", NULL }, /* non-zero unused bits: "f" is only "Zg" */
		{ "Zm9", NULL }, /* "fo" is only "Zm8" */
		{ "Zm9vYg.", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char *out = NULL;
		size_t len = 0;
		int err = lg_b64url_decode(cases[i].in, strlen(cases[i].in), &out, &len);
		char *enc;

		if (!cases[i].out) {
			CHECK(err == -EINVAL && !out, "decode \"%s\" refused", cases[i].in);
			continue;
		}
		CHECK(!err && len == strlen(cases[i].out) && !memcmp(out, cases[i].out, len),
		      "decode \"%s\" (%s)", cases[i].in, lg_errmsg());
		free(out);
		enc = lg_b64url_encode((const unsigned char *)cases[i].out, strlen(cases[i].out));
		CHECK(enc && !strcmp(enc, cases[i].in), "encode -> \"%s\" want \"%s\"",
		      enc ? enc : "(null)", cases[i].in);
		free(enc);
	}
}

/* Every byte value round-trips. */
static void test_b64url_all_bytes(void)
{
	unsigned char all[256], *back = NULL;
	char *enc;
	size_t n = 0;

	for (int i = 0; i < 256; i++)
		all[i] = i;
	enc = lg_b64url_encode(all, sizeof(all));
	CHECK(enc && !lg_b64url_decode(enc, strlen(enc), &back, &n) && n == 256 &&
		      !memcmp(back, all, n),
	      "256 bytes round-trip");
	free(back);
	free(enc);
}

/* ---- trust bundles ---------------------------------------------------------------------- */

static void test_bundle_jwks(void)
{
	const struct lg_trust_key *k;

	CHECK(lg_trust_bundle_size(qa_jwks) == 2, "qa JWKS holds 2 keys");
	k = lg_trust_bundle_find(qa_jwks, "qa-ed");
	CHECK(k && k->alg == LG_JWS_ALG_EDDSA, "qa-ed is EdDSA");
	k = lg_trust_bundle_find(qa_jwks, "qa-ec");
	CHECK(k && k->alg == LG_JWS_ALG_ES256, "qa-ec is ES256");
	CHECK(!lg_trust_bundle_find(qa_jwks, NULL) && !lg_trust_bundle_find(qa_jwks, "qa"),
	      "no kid, or a wrong one, finds nothing");
}

static void test_bundle_errors(void)
{
	static const struct {
		const char *name, *content, *msg; /* msg: a part of the message */
	} cases[] = {
		{ "not JSON", "{\"keys\": [", "not valid JSON" },
		{ "neither JSON nor PEM", "hello", "neither a JWKS" },
		{ "empty file", "", "neither a JWKS" },
		{ "no keys", "{}", "\"keys\"" },
		{ "empty keys", "{\"keys\":[]}", "\"keys\"" },
		{ "key not an object", "{\"keys\":[1]}", "not a JSON object" },
		{ "no kid", "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\"}]}",
		  "no \"kid\"" },
		{ "duplicate kid",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\"},"
		  "{\"kid\":\"a\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"${ecx}\",\"y\":\"${ecy}\"}]}",
		  "more than once" },
		{ "duplicate member",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\",\"x\":\"${edx}\"}]}",
		  "duplicate" },
		{ "RSA key",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
		  "RSA" },
		{ "symmetric key",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "oct" },
		{ "Ed448",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"${edx}\"}]}",
		  "Ed25519" },
		{ "P-384",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"${ecx}\",\"y\":\"${ecy}\"}]}",
		  "P-256" },
		{ "x of 31 bytes",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
		  "31 bytes" },
		{ "x padded",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}=\"}]}",
		  "padding" },
		{ "EC point off the curve",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"${ecx}\",\"y\":\"${ecx}\"}]}",
		  "P-256" },
		{ "private key in JWKS",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\",\"d\":\"${edx}\"}]}",
		  "private" },
		{ "use enc",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\",\"use\":\"enc\"}]}",
		  "\"use\"" },
		{ "key_ops sign only",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\",\"key_ops\":[\"sign\"]}]}",
		  "key_ops" },
		{ "alg disagreeing with the key",
		  "{\"keys\":[{\"kid\":\"a\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"${edx}\",\"alg\":\"ES256\"}]}",
		  "\"alg\"" },
		{ "PEM garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		  "PEM public key" },
	};
	struct tvars v = vars_for(false);
	struct lg_trust_bundle *b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *content = expand(cases[i].content, &v), *p = tpath("bad-bundle");
		int err;

		write_file(p, content, strlen(content));
		b = (struct lg_trust_bundle *)1;
		err = lg_trust_bundle_load(p, &b);
		CHECK(err == -EINVAL && !b, "%s: refused (%d)", cases[i].name, err);
		CHECK(strstr(lg_errmsg(), cases[i].msg) && strstr(lg_errmsg(), p) &&
			      !strncmp(lg_errmsg(), "trust bundle ", 13),
		      "%s: message \"%s\" names the file and \"%s\"", cases[i].name, lg_errmsg(),
		      cases[i].msg);
		free(content);
		free(p);
	}
	vars_free(&v);
	CHECK(lg_trust_bundle_load("/nonexistent/qa.jwks", &b) == -ENOENT &&
		      strstr(lg_errmsg(), "/nonexistent/qa.jwks"),
	      "missing file: %s", lg_errmsg());
}

static void test_bundle_pem(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	struct lg_trust_bundle *b = NULL;
	char *tok, *two, *p;
	const char *reason = NULL;
	struct lg_token *t;
	int err;

	/* A PEM bundle's one key has no kid: it matches any kid, or none. */
	b = load_tmp_bundle("qa-ed.pub");
	if (!b)
		return;
	CHECK(b->pem && lg_trust_bundle_size(b) == 1 && !b->keys[0].kid, "one key, no kid");
	tok = default_token(false, NULL);
	t = verify_str(tok, b, &policy, &reason);
	CHECK(t && !strcmp(t->kid, "qa-ed"), "PEM: token with a kid (%s)", reason);
	lg_token_free(t);
	free(tok);
	{
		struct vector vec[] = {
			{ "no kid", .header = H(ALG "," TYP) },
			{ "any kid", .header = H(ALG "," TYP ",\"kid\":\"whatever\"") },
			{ "ES256 against an Ed25519 PEM key", .header = H("\"alg\":\"ES256\"," TYP),
			  .sig = SIG_OTHER_ALG, .reason = "alg_not_allowed" },
			{ "HS256 keyed with the PEM", .header = H("\"alg\":\"HS256\"," TYP),
			  .sig = SIG_HS256_PUB, .reason = "alg_not_allowed" },
			{ "another key", .sig = SIG_PROD, .reason = "bad_signature" },
			{ "alg none", .header = H("\"alg\":\"none\"," TYP), .sig = SIG_EMPTY,
			  .reason = "alg_not_allowed" },
		};
		struct tvars v = vars_for(false);

		for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
			size_t len;

			tok = vector_token(&vec[i], &v, false, &len);
			t = NULL;
			err = lg_token_verify(tok, len, b, &policy, &t, &reason);
			CHECK(same_reason(err ? reason : NULL, vec[i].reason),
			      "PEM: %s: got %s want %s", vec[i].name, err ? reason : "accepted",
			      vec[i].reason ? vec[i].reason : "accepted");
			lg_token_free(t);
			free(tok);
		}
		vars_free(&v);
	}
	lg_trust_bundle_free(b);

	b = load_tmp_bundle("qa-ec.pub");
	tok = default_token(true, NULL);
	t = b ? verify_str(tok, b, &policy, &reason) : NULL;
	CHECK(t && !strcmp(t->alg, "ES256"), "PEM P-256 bundle (%s)", reason);
	lg_token_free(t);
	free(tok);
	lg_trust_bundle_free(b);

	/* Refused PEM files: a private key, two keys, an RSA key. */
	p = tpath("qa-ed.key");
	CHECK(lg_trust_bundle_load(p, &b) == -EINVAL && strstr(lg_errmsg(), "private key"),
	      "private key PEM refused: %s", lg_errmsg());
	free(p);
	p = tpath("qa-ed.pub");
	lg_token_file_read(p, 4096, &tok, &(size_t){ 0 });
	free(p);
	p = tpath("qa-ec.pub");
	lg_token_file_read(p, 4096, &two, &(size_t){ 0 });
	free(p);
	p = xasprintf("%s%s", tok, two);
	write_tmp("two.pem", p);
	free(p);
	free(tok);
	free(two);
	p = tpath("two.pem");
	CHECK(lg_trust_bundle_load(p, &b) == -EINVAL && strstr(lg_errmsg(), "more than one"),
	      "two PEM keys refused: %s", lg_errmsg());
	free(p);
	CHECK(rsa && !write_pub("rsa.pub", rsa), "RSA key written");
	p = tpath("rsa.pub");
	CHECK(lg_trust_bundle_load(p, &b) == -EINVAL && strstr(lg_errmsg(), "RSA"),
	      "RSA PEM refused: %s", lg_errmsg());
	free(p);
	EVP_PKEY_free(rsa);
}

/* ---- an independent implementation: PyJWT ----------------------------------------------- */

static char *pyjwt_script(void)
{
	return xasprintf("%s/tests/unit/token/pyjwt_mint.py", srcdir);
}

/* Python and PyJWT are test dependencies: missing is a failure, not a skip. */
static bool python_ready(void)
{
	char *script = pyjwt_script();
	bool ok = access(script, R_OK) == 0;

	CHECK(ok, "%s is missing: run the tests from the repository root (or set LG_SRCDIR)",
	      script);
	free(script);
	if (!ok)
		return false;
	ok = run(NULL, PYTHON " -c 'import jwt, cryptography' 2>/dev/null") == 0;
	CHECK(ok, PYTHON " with python3-jwt and python3-cryptography is missing: run "
			 "tools/install-deps (as root)");
	return ok;
}

static int pyjwt(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int pyjwt(char **out, const char *fmt, ...)
{
	char *script = pyjwt_script(), *args, *cmd;
	va_list ap;
	int status;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		abort();
	va_end(ap);
	cmd = xasprintf(PYTHON " %s %s", script, args);
	status = run(out, cmd);
	if (out)
		chomp(*out);
	free(script);
	free(args);
	free(cmd);
	return status;
}

/* Python's keys and JWKS: py-ed, py-ec (in py.jwks) and py-ed2, py-ec2 (not). */
static bool pyjwt_keys(void)
{
	char *out = NULL;
	bool ok;

	ok = pyjwt(NULL, "keygen EdDSA %1$s/py-ed %1$s/py-ed2", tmpdir) == 0 &&
	     pyjwt(NULL, "keygen ES256 %1$s/py-ec %1$s/py-ec2", tmpdir) == 0 &&
	     pyjwt(&out, "jwks py-ed=%1$s/py-ed.pub py-ec=%1$s/py-ec.pub", tmpdir) == 0;
	CHECK(ok, "PyJWT made keys and a JWKS");
	if (ok)
		write_tmp("py.jwks", out);
	free(out);
	return ok;
}

struct py_case {
	const char *name, *key, *alg, *kid, *patch, *typ, *reason;
	bool pem; /* verify against py-ed.pub rather than py.jwks */
};

/* All tokens in one run of Python: one per line of *out. */
static int pyjwt_mint_all(const struct py_case *cases, size_t n, char **out)
{
	struct tvars v = vars_for(false);
	json_t *specs = json_array();
	char *claims, *path;
	int status;

	for (size_t i = 0; i < n; i++) {
		char *key = xasprintf("%s/%s", tmpdir, cases[i].key);

		claims = claims_patched(cases[i].patch, &v);
		json_array_append_new(specs, json_pack("{ss ss ss so ss}", "key", key, "alg",
						       cases[i].alg, "kid", cases[i].kid, "claims",
						       json_loads(claims, 0, NULL), "typ",
						       cases[i].typ ? cases[i].typ : LG_TOKEN_TYP));
		free(claims);
		free(key);
	}
	path = tpath("py-specs.json");
	json_dump_file(specs, path, 0);
	json_decref(specs);
	vars_free(&v);
	status = pyjwt(out, "mint-batch %s", path);
	free(path);
	return status;
}

static void test_pyjwt_tokens(void)
{
	static const struct py_case cases[] = {
		{ "EdDSA", "py-ed.key", "EdDSA", "py-ed" },
		{ "ES256", "py-ec.key", "ES256", "py-ec" },
		{ "EdDSA, no kid, PEM bundle", "py-ed.key", "EdDSA", "-", .pem = true },
		{ "ES256, aud array", "py-ec.key", "ES256", "py-ec",
		  H("\"aud\":[\"a\",\"" AUD "\"]") },
		{ "EdDSA, expired", "py-ed.key", "EdDSA", "py-ed",
		  H("\"iat\":${now-700},\"nbf\":${now-700},\"exp\":${now-100}"),
		  .reason = "expired" },
		{ "ES256, expired", "py-ec.key", "ES256", "py-ec",
		  H("\"iat\":${now-700},\"nbf\":${now-700},\"exp\":${now-100}"),
		  .reason = "expired" },
		{ "EdDSA, wrong key under the right kid", "py-ed2.key", "EdDSA", "py-ed",
		  .reason = "bad_signature" },
		{ "ES256, wrong key under the right kid", "py-ec2.key", "ES256", "py-ec",
		  .reason = "bad_signature" },
		{ "EdDSA, wrong key, PEM bundle", "py-ed2.key", "EdDSA", "-", .pem = true,
		  .reason = "bad_signature" },
		{ "EdDSA, kid of the ES256 key", "py-ed.key", "EdDSA", "py-ec",
		  .reason = "alg_not_allowed" },
		{ "ES256, wrong aud", "py-ec.key", "ES256", "py-ec",
		  H("\"aud\":\"livegrant://n2\""), .reason = "wrong_audience" },
		{ "EdDSA, PyJWT's default typ JWT", "py-ed.key", "EdDSA", "py-ed", .typ = "JWT",
		  .reason = "bad_typ" },
		{ "EdDSA, wrong domain", "py-ed.key", "EdDSA", "py-ed", H("\"domain\":\"prod\""),
		  .reason = "wrong_domain" },
		{ "ES256, ttl too long", "py-ec.key", "ES256", "py-ec", H("\"exp\":${now+7200}"),
		  .reason = "ttl_too_long" },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	struct lg_trust_bundle *jwks = NULL, *pem = NULL;
	char *out = NULL, *line, *save = NULL;
	size_t i = 0;

	if (!python_ready() || !pyjwt_keys())
		return;
	jwks = load_tmp_bundle("py.jwks");
	pem = load_tmp_bundle("py-ed.pub");
	CHECK(jwks && lg_trust_bundle_size(jwks) == 2, "PyJWT's JWKS holds 2 keys");
	CHECK(pyjwt_mint_all(cases, n, &out) == 0, "PyJWT minted the tokens");
	for (line = strtok_r(out, "\n", &save); line && i < n && jwks && pem;
	     line = strtok_r(NULL, "\n", &save), i++) {
		const char *reason = NULL;
		struct lg_token *t = verify_str(line, cases[i].pem ? pem : jwks, &policy, &reason);

		CHECK(same_reason(t ? NULL : reason, cases[i].reason),
		      "PyJWT %s: got %s want %s (%s)", cases[i].name, t ? "accepted" : reason,
		      cases[i].reason ? cases[i].reason : "accepted", t ? "" : lg_errmsg());
		if (t && !cases[i].patch)
			CHECK(t->times.exp == NOW + 600 &&
				      !strcmp(t->sub, "spiffe://example.org/agent/codegen-7") &&
				      t->workload.uid == 1000 && t->rules[LG_RULE_CONNECT].n == 2 &&
				      !strcmp(t->alg, cases[i].alg),
			      "PyJWT %s: claims read back", cases[i].name);
		lg_token_free(t);
	}
	CHECK(i == n, "PyJWT minted %zu tokens of %zu", i, n);
	free(out);
	lg_trust_bundle_free(jwks);
	lg_trust_bundle_free(pem);
}

/* ---- the development issuer, end to end ------------------------------------------------- */

static int iss(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run the issuer with @fmt's arguments (stderr captured too when @out). */
static int iss(char **out, const char *fmt, ...)
{
	char *args, *cmd;
	va_list ap;
	int status;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		abort();
	va_end(ap);
	cmd = xasprintf("%s %s", issuer, args);
	status = run(out, cmd);
	if (out)
		chomp(*out);
	free(args);
	free(cmd);
	return status;
}

static bool issuer_ready(void)
{
	bool ok = access(issuer, X_OK) == 0;

	CHECK(ok, "%s is missing: build it with 'make build/livegrant-issuer' (or set LG_ISSUER)",
	      issuer);
	return ok;
}

/* Verify @tok against @b; returns the reason, "accepted", and the token in *out. */
static const char *check_token(const char *tok, const struct lg_trust_bundle *b,
			       struct lg_token **out)
{
	const char *reason = NULL;
	struct lg_token *t = verify_str(tok, b, &policy, &reason);

	if (out)
		*out = t;
	else
		lg_token_free(t);
	return t ? "accepted" : reason;
}

static void test_issuer_keys_and_tokens(void)
{
	char *out = NULL, *tok = NULL;
	struct lg_trust_bundle *b;
	struct lg_token *t = NULL;
	struct stat st;
	char *p;

	if (!issuer_ready())
		return;
	CHECK(iss(NULL, "keygen --alg EdDSA --out %s/iss-ed", tmpdir) == 0, "keygen EdDSA");
	CHECK(iss(NULL, "keygen --alg ES256 --out %s/iss-ec", tmpdir) == 0, "keygen ES256");
	p = tpath("iss-ed.key");
	CHECK(!stat(p, &st) && (st.st_mode & 0777) == 0600, "private key mode 0600");
	free(p);
	CHECK(iss(&out, "jwks --kid iss-ed %s/iss-ed.pub --kid iss-ec %s/iss-ec.pub", tmpdir,
		  tmpdir) == 0,
	      "jwks");
	write_tmp("iss.jwks", out);
	free(out);
	b = load_tmp_bundle("iss.jwks");
	if (!b)
		return;
	CHECK(lg_trust_bundle_find(b, "iss-ed") &&
		      lg_trust_bundle_find(b, "iss-ed")->alg == LG_JWS_ALG_EDDSA &&
		      lg_trust_bundle_find(b, "iss-ec") &&
		      lg_trust_bundle_find(b, "iss-ec")->alg == LG_JWS_ALG_ES256,
	      "issuer JWKS: kids bound to their keys");

	/* Claims without iat, nbf, exp, jti: the issuer fills them in. */
	{
		struct tvars v = vars_for(false);
		char *c = claims_patched(H("\"iat\":null,\"nbf\":null,\"exp\":null,\"jti\":null"),
					 &v);

		write_tmp("iss-claims.json", c);
		free(c);
		c = claims_patched(H("\"exp\":${now+100},\"jti\":\"mine\""), &v);
		write_tmp("iss-claims-exp.json", c);
		free(c);
		vars_free(&v);
	}
	for (int es = 0; es < 2; es++) {
		const char *k = es ? "iss-ec" : "iss-ed";

		CHECK(iss(&tok,
			  "mint --key %s/%s.key --kid %s --ttl 10m --now %lld --claims %s/iss-claims.json",
			  tmpdir, k, k, NOW, tmpdir) == 0,
		      "mint %s", k);
		CHECK(!strcmp(check_token(tok, b, &t), "accepted"), "%s token verifies: %s", k,
		      lg_errmsg());
		if (t)
			CHECK(t->times.iat == NOW && t->times.nbf == NOW &&
				      t->times.exp == NOW + 600 && strlen(t->jti) == 32 &&
				      strspn(t->jti, "0123456789abcdef") == 32 &&
				      !strcmp(t->kid, k) && !strcmp(t->alg, es ? "ES256" : "EdDSA"),
			      "%s: iat, nbf, exp, jti filled in", k);
		lg_token_free(t);
		t = NULL;
		free(tok);
	}
	CHECK(iss(&tok,
		  "mint --key %s/iss-ed.key --kid iss-ed --now %lld --claims - < %s/iss-claims-exp.json",
		  tmpdir, NOW, tmpdir) == 0,
	      "mint from stdin");
	CHECK(!strcmp(check_token(tok, b, &t), "accepted") && t && t->times.exp == NOW + 100 &&
		      !strcmp(t->jti, "mine"),
	      "exp and jti from the claims are kept");
	lg_token_free(t);
	free(tok);
	CHECK(iss(&tok,
		  "mint --key %s/iss-ec.key --kid iss-ec --ttl 2h --now %lld --claims %s/iss-claims.json",
		  tmpdir, NOW, tmpdir) == 0,
	      "mint --ttl 2h");
	CHECK(!strcmp(check_token(tok, b, NULL), "ttl_too_long"), "2h > max_ttl 1h");
	free(tok);

	/* --count N: N tokens, one a line, each verifying, each its own jti. */
	CHECK(iss(&out,
		  "mint --key %s/iss-ed.key --kid iss-ed --now %lld --count 3 --claims %s/iss-claims.json",
		  tmpdir, NOW, tmpdir) == 0,
	      "mint --count 3");
	{
		char *save = NULL, *line = out ? strtok_r(out, "\n", &save) : NULL;
		char jtis[3][40] = { "" };
		int n = 0;

		for (; line; line = strtok_r(NULL, "\n", &save), n++) {
			CHECK(n < 3 && !strcmp(check_token(line, b, &t), "accepted") && t,
			      "token %d of --count 3 verifies", n);
			if (n < 3 && t)
				snprintf(jtis[n], sizeof(jtis[n]), "%s", t->jti);
			lg_token_free(t);
			t = NULL;
		}
		CHECK(n == 3, "--count 3 printed %d tokens", n);
		CHECK(strcmp(jtis[0], jtis[1]) && strcmp(jtis[1], jtis[2]) &&
			      strcmp(jtis[0], jtis[2]),
		      "each with its own jti");
	}
	free(out);
	out = NULL;
	CHECK(iss(NULL, "mint --key %s/iss-ed.key --count 0 --claims %s/iss-claims.json", tmpdir,
		  tmpdir) == 2,
	      "--count 0 is a usage error");
	/* Claims from stdin are read once, for every token. */
	CHECK(iss(&out,
		  "mint --key %s/iss-ed.key --kid iss-ed --now %lld --count 2 --claims - < %s/iss-claims.json",
		  tmpdir, NOW, tmpdir) == 0,
	      "mint --count 2 from stdin");
	{
		char *nl = out ? strchr(out, '\n') : NULL;
		char *end = nl ? strchr(nl + 1, '\n') : NULL;

		/* iss() drops the last newline: two tokens are one newline apart. */
		CHECK(nl && !end && nl[1] && !strcmp(check_token(nl + 1, b, NULL), "accepted"),
		      "two tokens, the second from stdin claims verifies");
	}
	free(out);
	out = NULL;
	lg_trust_bundle_free(b);

	/* Without --kid: the RFC 7638 thumbprint, the same in jwks and mint. */
	CHECK(iss(&out, "jwks %s/iss-ec.pub", tmpdir) == 0, "jwks without --kid");
	write_tmp("iss-thumb.jwks", out);
	free(out);
	b = load_tmp_bundle("iss-thumb.jwks");
	CHECK(iss(&tok, "mint --key %s/iss-ec.key --now %lld --claims %s/iss-claims.json", tmpdir,
		  NOW, tmpdir) == 0,
	      "mint without --kid");
	CHECK(b && !strcmp(check_token(tok, b, &t), "accepted") && t && strlen(t->kid) == 43,
	      "thumbprint kids agree");
	lg_token_free(t);
	free(tok);
	lg_trust_bundle_free(b);

	/* The .pub file is a PEM bundle. */
	b = load_tmp_bundle("iss-ed.pub");
	CHECK(iss(&tok, "mint --key %s/iss-ed.key --kid x --now %lld --claims %s/iss-claims.json",
		  tmpdir, NOW, tmpdir) == 0,
	      "mint for the PEM bundle");
	CHECK(b && !strcmp(check_token(tok, b, NULL), "accepted"), "PEM bundle from keygen");
	free(tok);
	lg_trust_bundle_free(b);
}

static void test_issuer_test_aids(void)
{
	static const struct {
		const char *name, *args, *reason;
	} cases[] = {
		{ "--alg none", "--alg none", "alg_not_allowed" },
		{ "--alg HS256", "--alg HS256", "alg_not_allowed" },
		{ "--alg ES256 with an Ed25519 key", "--alg ES256", "alg_not_allowed" },
		{ "--header with crit", "--header %1$s/iss-crit.json", "crit_unsupported" },
		{ "--raw-claims with duplicates", "--raw-claims --claims %1$s/iss-dup.json",
		  "duplicate_member" },
		{ "--now in the past", "--now 1700000000", "expired" },
	};
	struct lg_trust_bundle *b;

	if (!issuer_ready())
		return;
	write_tmp(
		"iss-crit.json",
		"{\"alg\":\"EdDSA\",\"typ\":\"livegrant+jwt\",\"kid\":\"iss-ed\",\"crit\":[\"x\"]}\n");
	write_tmp("iss-dup.json", "{\"domain\":\"qa\",\"domain\":\"prod\"}");
	b = load_tmp_bundle("iss.jwks");
	if (!b)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *extra = NULL, *tok = NULL;

		/* %1$s in args is the temp dir. */
		if (asprintf(&extra, cases[i].args, tmpdir) < 0)
			abort();
		CHECK(iss(&tok,
			  "mint --key %s/iss-ed.key --kid iss-ed --now %lld --claims %s/iss-claims.json %s",
			  tmpdir, NOW, tmpdir, extra) == 0,
		      "mint %s", cases[i].name);
		CHECK(!strcmp(check_token(tok, b, NULL), cases[i].reason), "%s: got %s want %s",
		      cases[i].name, check_token(tok, b, NULL), cases[i].reason);
		free(extra);
		free(tok);
	}
	lg_trust_bundle_free(b);
}

static void test_issuer_usage(void)
{
	static const struct {
		const char *args;
		int status;
		const char *says;
	} cases[] = {
		{ "", 2, "usage:" },
		{ "--help", 0, "keygen" },
		{ "frobnicate", 2, "unknown command" },
		{ "keygen --help", 0, "--alg EdDSA|ES256" },
		{ "jwks --help", 0, "RFC 7638" },
		{ "mint --help", 0, "test aids" },
		{ "keygen --alg RS256 --out %1$s/x", 2, "EdDSA or ES256" },
		{ "keygen --alg EdDSA", 2, "--out" },
		{ "keygen --alg EdDSA --out %1$s/iss-ed", 1, "--force" },
		{ "keygen --alg EdDSA --out %1$s/nodir/x", 1, "cannot create" },
		{ "keygen --bogus", 2, "usage:" },
		{ "jwks", 2, "no PUB" },
		{ "jwks --kid a", 2, "names no PUB" },
		{ "jwks --kid a %1$s/iss-ed.pub --kid a %1$s/iss-ec.pub", 1, "unique" },
		{ "jwks %1$s/iss-ed.key", 1, "public key" },
		{ "mint --key %1$s/iss-ed.key", 2, "--claims" },
		{ "mint --key %1$s/iss-ed.key --claims %1$s/iss-claims.json --ttl 10", 2,
		  "duration" },
		{ "mint --key %1$s/missing.key --claims %1$s/iss-claims.json", 1, "cannot open" },
		{ "mint --key %1$s/iss-ed.pub --claims %1$s/iss-claims.json", 1, "private" },
		{ "mint --key %1$s/iss-ed.key --claims %1$s/iss-dup.json", 1, "not a JSON object" },
	};

	if (!issuer_ready())
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *args = NULL, *out = NULL;
		int status;

		if (asprintf(&args, cases[i].args, tmpdir) < 0)
			abort();
		status = iss(&out, "%s 2>&1", args);
		CHECK(status == cases[i].status && strstr(out, cases[i].says),
		      "issuer %s: status %d want %d, output has \"%s\": %s", args, status,
		      cases[i].status, cases[i].says, out);
		free(args);
		free(out);
	}
}

/* PyJWT accepts what the issuer mints (its ES256 signatures are raw R||S). */
static void test_issuer_with_pyjwt(void)
{
	if (!issuer_ready() || !python_ready())
		return;
	for (int es = 0; es < 2; es++) {
		const char *k = es ? "iss-ec" : "iss-ed", *alg = es ? "ES256" : "EdDSA";
		char *tok = NULL, *out = NULL;

		/* The real clock: PyJWT checks exp against it. */
		CHECK(iss(&tok, "mint --key %s/%s.key --kid %s --claims %s/iss-claims.json", tmpdir,
			  k, k, tmpdir) == 0,
		      "mint %s", k);
		write_tmp("iss-token", tok);
		CHECK(pyjwt(&out, "verify %s/%s.pub %s " AUD " %s/iss-token", tmpdir, k, alg,
			    tmpdir) == 0 &&
			      strstr(out, "codegen-7"),
		      "PyJWT verifies the issuer's %s token: %s", alg, out);
		free(out);
		CHECK(pyjwt(NULL, "verify %s/%s.pub %s " AUD " %s/iss-token 2>/dev/null", tmpdir,
			    es ? "iss-ed" : "iss-ec", alg, tmpdir) == 1,
		      "PyJWT refuses it with the other key");
		free(tok);
	}
}

/* ---- setup ------------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void)
{
	static const char *const kids[] = { "qa-ed", "qa-ec" };
	static char self[PATH_MAX];
	EVP_PKEY *keys[2];
	ssize_t n;

	/* This binary is BUILD/tests/test_token; the issuer BUILD/livegrant-issuer. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	if (strrchr(self, '/'))
		*strrchr(self, '/') = 0;
	snprintf(issuer, sizeof(issuer), "%s/../livegrant-issuer", self);
	if (getenv("LG_ISSUER"))
		snprintf(issuer, sizeof(issuer), "%s", getenv("LG_ISSUER"));
	/* The sources: the current directory, else the checkout holding build/. */
	snprintf(srcdir_buf, sizeof(srcdir_buf), "%s/../..", self);
	if (access("tests/unit/token/pyjwt_mint.py", R_OK))
		srcdir = srcdir_buf;
	if (getenv("LG_SRCDIR"))
		srcdir = getenv("LG_SRCDIR");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return -1;
	}
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ed_prod = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ec_prod = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!ed || !ec || !ed_prod || !ec_prod)
		return -1;
	keys[0] = ed;
	keys[1] = ec;
	if (write_jwks("qa.jwks", 2, kids, keys) || write_pub("qa-ed.pub", ed) ||
	    write_pub("qa-ec.pub", ec) || write_priv("qa-ed.key", ed))
		return -1;
	qa_jwks = load_tmp_bundle("qa.jwks");
	return qa_jwks ? 0 : -1;
}

static void teardown(void)
{
	lg_trust_bundle_free(qa_jwks);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed_prod);
	EVP_PKEY_free(ec_prod);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	if (setup()) {
		printf("test_token: setup failed: %s\n", lg_errmsg());
		return check_summary("token") | 1;
	}
	RUN(test_b64url);
	RUN(test_b64url_all_bytes);
	RUN(test_bundle_jwks);
	RUN(test_bundle_errors);
	RUN(test_bundle_pem);
	RUN(test_vectors_eddsa);
	RUN(test_vectors_es256);
	RUN(test_reasons_covered);
	RUN(test_fields);
	RUN(test_policy);
	RUN(test_signature_known_good);
	RUN(test_check_times_agrees);
	RUN(test_peek_domain);
	RUN(test_message_printable);
	RUN(test_pyjwt_tokens);
	RUN(test_issuer_keys_and_tokens);
	RUN(test_issuer_test_aids);
	RUN(test_issuer_usage);
	RUN(test_issuer_with_pyjwt);
	teardown();
	return check_summary("token");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_token.c - grant tokens: lg_token_peek_domain() and lg_token_verify()
 * (userspace/lib/policy/token.c) against a JWKS and a PEM trust bundle.
 *
 * The bundles hold the fuzzer's own public keys (tests/fuzz/keys/, trusted
 * by nothing else); the seeds are tokens those keys signed
 * (tests/fuzz/mint-seeds). A fuzzer cannot forge a signature, so a mutated
 * token stops at the signature check; to reach the payload's decoding and
 * every claim check, each input is verified a second time with
 * signature_known_good, the policy flag livegrantd's refresh sets for a
 * token whose signature it verified before. No build of the library is
 * special: this is the same code livegrantd runs. Half the mutations are
 * made to the decoded header or payload, encoded again (token_mutate()):
 * a byte changed in base64 text mostly breaks the encoding, so the JSON
 * inside would hardly change otherwise.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "token.h"

/* The seeds' clock: their iat and nbf, their exp 600 s later. */
#define FUZZ_NOW 1790000000LL

static const char jwks[] =
	"{\"keys\":["
	"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"6vBWdsKAByw_XW_wNEb-8eGgPlcu09o1ZoRQz4Aiivo\","
	"\"use\":\"sig\",\"alg\":\"EdDSA\",\"kid\":\"fuzz-ed\"},"
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"nPY3b4DG_SWaU1fSuxUS_pTXHi_5A0TjyrCb46R_KZU\","
	"\"y\":\"3268VBRSefj9_3AvrOMD0AUyZIXMjNpHgzYYR0i8awk\",\"use\":\"sig\",\"alg\":\"ES256\","
	"\"kid\":\"fuzz-ec\"}]}";

/* fuzz-ed.pub: a PEM bundle's one key matches any kid. */
static const char pem[] = "-----BEGIN PUBLIC KEY-----\n"
			  "MCowBQYDK2VwAyEA6vBWdsKAByw/XW/wNEb+8eGgPlcu09o1ZoRQz4Aiivo=\n"
			  "-----END PUBLIC KEY-----\n";

static struct lg_trust_bundle *bundles[2];

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Held for the whole run: reachable at exit, so no leak. */
	if (lg_trust_bundle_parse("fuzz.jwks", jwks, sizeof(jwks) - 1, false, &bundles[0]) ||
	    lg_trust_bundle_parse("fuzz.pem", pem, sizeof(pem) - 1, false, &bundles[1]))
		abort();
	return 0;
}

/*
 * Segment @seg (0 header, 1 payload) of the token at @data, decoded,
 * mutated and encoded again in place. Returns the new size, 0 when the
 * token has no such segment, it is not base64url or the result is too big.
 */
static size_t segment_mutate(uint8_t *data, size_t size, size_t max_size, int seg)
{
	const uint8_t *dot0 = memchr(data, '.', size), *start, *end;
	unsigned char *raw = NULL, *buf;
	size_t raw_len, len, new_len = 0, cap = max_size * 3 / 4;
	char *enc;

	if (!dot0)
		return 0;
	start = seg ? dot0 + 1 : data;
	end = seg ? memchr(start, '.', data + size - start) : dot0;
	if (!end || lg_b64url_decode((const char *)start, end - start, &raw, &raw_len))
		return 0;
	/* Room to grow: base64 takes 4 bytes for every 3. */
	buf = malloc(max_size);
	if (!buf)
		abort();
	len = raw_len < cap ? raw_len : cap;
	if (len)
		memcpy(buf, raw, len);
	len = LLVMFuzzerMutate(buf, len, cap);
	enc = lg_b64url_encode(buf, len);
	if (enc && (start - data) + strlen(enc) + (data + size - end) <= max_size) {
		size_t tail = data + size - end, head = start - data;

		memmove(data + head + strlen(enc), end, tail);
		memcpy(data + head, enc, strlen(enc));
		new_len = head + strlen(enc) + tail;
	}
	free(enc);
	free(buf);
	free(raw);
	return new_len;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	size_t n = 0;

	if (seed % 2)
		n = segment_mutate(data, size, max_size, (seed / 2) % 2);
	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

/* What a verified token promises its users (admission.c, views.c). */
static void check_token(const struct lg_token *t, const struct lg_token_policy *p)
{
	const char *reason;

	FUZZ_ASSERT(t->alg && t->sub && t->jti && t->domain && t->aud);
	FUZZ_ASSERT(!strcmp(t->domain, p->domain) && !strcmp(t->aud, p->audience));
	fuzz_touch(t->kid);
	fuzz_touch(t->iss);
	fuzz_touch(t->task);
	FUZZ_ASSERT(!t->workload.has_exe_sha256 || strlen(t->workload.exe_sha256) == 64);
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		for (size_t i = 0; i < t->rules[k].n; i++)
			fuzz_touch(t->rules[k].v[i]);
		/* The lists are NULL-terminated too. */
		FUZZ_ASSERT(!t->rules[k].v || !t->rules[k].v[t->rules[k].n]);
	}
	/* The times of a token just accepted pass again at the same clock. */
	FUZZ_ASSERT(lg_token_check_times(&t->times, p, &reason) == 0);
}

/* Verify with @b; returns whether the token was accepted. */
static bool verify(const uint8_t *data, size_t size, const struct lg_trust_bundle *b,
		   bool known_good)
{
	const struct lg_token_policy p = {
		.audience = "livegrant://node-1",
		.domain = "qa",
		.max_ttl_s = 3600,
		.leeway_s = 30,
		.now = FUZZ_NOW + 60,
		.signature_known_good = known_good,
	};
	struct lg_token *t = NULL;
	const char *reason = NULL;
	int err = lg_token_verify((const char *)data, size, b, &p, &t, &reason);

	/* Every refusal carries its stable reason; an acceptance a token. */
	FUZZ_ASSERT(err ? reason && !t : t != NULL);
	if (t)
		check_token(t, &p);
	lg_token_free(t);
	return !err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char domain[64];
	const char *reason = NULL;

	/* The data is not NUL-terminated: a read past @size is a bug ASan reports. */
	if (!lg_token_peek_domain((const char *)data, size, domain, sizeof(domain), &reason))
		FUZZ_ASSERT(strlen(domain) < sizeof(domain));
	for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++) {
		bool signed_ok = verify(data, size, bundles[i], false);
		bool known_ok = verify(data, size, bundles[i], true);

		/* Skipping the signature can only accept more, never less. */
		FUZZ_ASSERT(!signed_ok || known_ok);
	}
	return 0;
}

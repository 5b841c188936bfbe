/* SPDX-License-Identifier: GPL-2.0 */
/*
 * token.h - grant tokens: JWS compact serialization (RFC 7515/7519/8725)
 * signed with EdDSA (Ed25519) or ES256, verified against one trust domain's
 * bundle of keys (JWKS, RFC 7517, or a PEM public key).
 *
 * Every refusal comes with a stable reason string (docs/tokens.md lists
 * them); logs, the CLI and tests rely on these strings: never rename one.
 */
#ifndef LG_TOKEN_H
#define LG_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "livegrant.h"

/* Default size limit of a token in bytes (lg_token_policy.max_bytes = 0). */
#define LG_TOKEN_MAX_BYTES 16384

/* The token's header "typ". */
#define LG_TOKEN_TYP "livegrant+jwt"

struct lg_trust_bundle;

/*
 * Load a trust bundle: a JWKS file (OKP/Ed25519 and EC/P-256 keys, each with
 * a "kid") or a PEM public key file (one key, no kid). Returns 0 or a
 * negative errno with lg_errmsg() naming the file and what is wrong.
 */
int lg_trust_bundle_load(const char *path, struct lg_trust_bundle **out);
/*
 * The same from @len bytes at @buf (NUL-terminated at @len), named @name in
 * messages. @fetched: a JWKS fetched from the issuer, not a file of the
 * configuration: JWKS only, and keys of kinds livegrant does not verify
 * with are skipped rather than refused (trust_bundle.c).
 */
int lg_trust_bundle_parse(const char *name, const char *buf, size_t len, bool fetched,
			  struct lg_trust_bundle **out);
void lg_trust_bundle_free(struct lg_trust_bundle *b);
size_t lg_trust_bundle_size(const struct lg_trust_bundle *b);
/* Keys of a fetched JWKS that were skipped; its spiffe_refresh_hint (s, 0: none). */
size_t lg_trust_bundle_skipped(const struct lg_trust_bundle *b);
uint64_t lg_trust_bundle_refresh_hint(const struct lg_trust_bundle *b);

/**
 * struct lg_token_policy - what the verifier requires besides a signature.
 * @audience:  the token's "aud" must be exactly this (a string, or an array
 *             holding it).
 * @domain:    the token's "domain" must be exactly this.
 * @max_ttl_s: exp - max(iat, nbf) must not exceed this.
 * @leeway_s:  clock skew allowed on exp and nbf.
 * @now:       current time, seconds since the epoch.
 * @max_bytes: size limit of the compact token; 0: LG_TOKEN_MAX_BYTES.
 */
struct lg_token_policy {
	const char *audience;
	const char *domain;
	uint64_t max_ttl_s;
	uint64_t leeway_s;
	int64_t now;
	size_t max_bytes;
	/*
	 * The caller verified this very token's signature against this very
	 * bundle before (livegrantd's refresh of a token it admitted): the
	 * signature is not checked again. Everything else is: the header,
	 * that the bundle still holds the kid, every claim against @now.
	 */
	bool signature_known_good;
};

/* A list of strings owned by the token. */
struct lg_token_strv {
	char **v;
	size_t n;
};

/**
 * struct lg_token_times - the claims that date a token. Of what verification
 * decides, only these change their answer as the clock moves; the rest is
 * fixed by the token, the bundle and the policy (lg_token_check_times()).
 */
struct lg_token_times {
	int64_t iat, nbf, exp;
	bool has_iat, has_nbf;
};

/**
 * struct lg_token - a verified token. Strings are NUL-terminated copies.
 * @workload: selectors; each has_* says whether the token carries it.
 * @rules:    the "allow" lists, one per enum lg_rule_kind, named as in
 *            livegrant/rule_kinds.h; an absent list is empty (rule syntax
 *            unchecked: lg_compile() checks them).
 * @claims:   the whole payload, for claims the caller checks itself.
 */
struct lg_token {
	char *alg, *kid;
	char *iss, *sub, *aud, *jti, *domain, *task;
	struct lg_token_times times;
	struct {
		bool has_uid;
		uint32_t uid;
		bool has_exe_sha256;
		char exe_sha256[65]; /* lowercase hex */
	} workload;
	struct lg_token_strv rules[LG_RULE_KIND_MAX];
	json_t *claims;
};

/*
 * Read the "domain" claim WITHOUT verifying anything, only to choose which
 * domain's bundle and policy to verify with. Returns 0 or a negative errno
 * with *reason set.
 */
int lg_token_peek_domain(const char *token, size_t len, char *domain, size_t size,
			 const char **reason);

/*
 * Verify @token against @bundle and @policy. Returns 0 and a token in *out,
 * or a negative errno, *reason set to a stable reason and lg_errmsg() to a
 * sentence with the detail.
 */
int lg_token_verify(const char *token, size_t len, const struct lg_trust_bundle *bundle,
		    const struct lg_token_policy *policy, struct lg_token **out,
		    const char **reason);
/*
 * Check @times, of a token lg_token_verify() accepted under a policy like
 * @policy (same audience, domain, max_ttl and leeway), against @policy->now
 * as verification does: what is left to decide for a token, a bundle and a
 * policy that have not changed since (livegrantd's refresh). Returns 0 or a
 * negative errno with *reason ("expired", "not_yet_valid", ...).
 */
int lg_token_check_times(const struct lg_token_times *times, const struct lg_token_policy *policy,
			 const char **reason);
void lg_token_free(struct lg_token *t);

/* Every stable refusal reason, NULL-terminated (docs/tokens.md explains each). */
const char *const *lg_token_reasons(void);

/* Strict base64url without padding (RFC 7515 section 2). */
int lg_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len);
char *lg_b64url_encode(const unsigned char *in, size_t len);

#endif /* LG_TOKEN_H */

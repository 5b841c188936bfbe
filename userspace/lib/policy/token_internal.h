/* SPDX-License-Identifier: GPL-2.0 */
/*
 * token_internal.h - what token.c, trust_bundle.c, the development issuer
 * (tools/issuer) and the unit tests share beyond token.h: the trust bundle's
 * layout and the JWS signature primitives. Not a stable interface.
 */
#ifndef LG_TOKEN_INTERNAL_H
#define LG_TOKEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "token.h"

/* Both EdDSA (Ed25519) and ES256 (raw R||S) signatures are 64 bytes. */
#define LG_JWS_SIG_LEN 64

/* Largest trust bundle read or fetched: a JWKS of many keys is a few KiB. */
#define LG_TRUST_BUNDLE_MAX_BYTES (1024 * 1024)
/* Most keys in one bundle: issuers publish a handful (the current, the next). */
#define LG_TRUST_BUNDLE_MAX_KEYS 100

enum lg_jws_alg {
	LG_JWS_ALG_NONE = 0, /* unsupported: never verifies anything */
	LG_JWS_ALG_EDDSA,
	LG_JWS_ALG_ES256,
};

/**
 * struct lg_trust_key - one trusted public key.
 * @kid:  its JWKS "kid"; NULL for the key of a PEM bundle.
 * @alg:  the only algorithm it verifies, fixed by the key's type.
 * @pkey: the public key.
 */
struct lg_trust_key {
	char *kid;
	enum lg_jws_alg alg;
	EVP_PKEY *pkey;
};

/**
 * struct lg_trust_bundle - the keys of one trust domain's issuer.
 * @path: the file it was loaded from (for messages).
 * @pem:  true for a PEM bundle: exactly one key, which has no kid.
 */
struct lg_trust_bundle {
	char *path;
	bool pem;
	size_t n;
	struct lg_trust_key *keys;
	size_t skipped; /* keys of a fetched JWKS not for us (jwk_not_for_us()) */
	uint64_t refresh_hint_s; /* a SPIFFE bundle's spiffe_refresh_hint; 0: none */
};

/* "EdDSA", "ES256", or NULL for LG_JWS_ALG_NONE. */
const char *lg_jws_alg_name(enum lg_jws_alg alg);
/* The JWS "alg" name to enum; LG_JWS_ALG_NONE for anything unsupported. */
enum lg_jws_alg lg_jws_alg_parse(const char *name);
/* The algorithm @pkey signs with: Ed25519 or P-256; NONE for other keys. */
enum lg_jws_alg lg_jws_alg_of_key(EVP_PKEY *pkey);

/*
 * The key that verifies a token with header "kid" @kid (NULL: absent). A
 * JWKS bundle matches kids exactly; a PEM bundle's single key has no kid and
 * matches any kid or none (docs/tokens.md).
 */
const struct lg_trust_key *lg_trust_bundle_find(const struct lg_trust_bundle *b, const char *kid);

/*
 * Sign @in with the private key @pkey: Ed25519, or ECDSA P-256 over SHA-256
 * converted to JWS's raw R||S. Returns 0 with LG_JWS_SIG_LEN bytes in @sig.
 */
int lg_jws_sign(EVP_PKEY *pkey, const void *in, size_t len, unsigned char sig[LG_JWS_SIG_LEN]);

/*
 * Verify @sig over @in with @key, in @key's algorithm. Returns 0, -EBADMSG
 * for a signature that does not verify, or another negative errno when
 * OpenSSL itself failed.
 */
int lg_jws_verify(const struct lg_trust_key *key, const void *in, size_t len,
		  const unsigned char *sig, size_t sig_len);

/* The public JWK (RFC 7517/8037) of @pkey, with "kid" @kid if not NULL. */
int lg_jwk_from_pkey(EVP_PKEY *pkey, const char *kid, json_t **out);

/* Read a whole file of at most @max bytes; *buf is NUL-terminated. */
int lg_token_file_read(const char *path, size_t max, char **buf, size_t *len);

#endif /* LG_TOKEN_INTERNAL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * trust_bundle.c - the issuer keys one trust domain trusts, from a JWKS
 * (RFC 7517; OKP/Ed25519 per RFC 8037, EC/P-256 per RFC 7518) or a PEM public
 * key, and the JWS signature primitives over them.
 *
 * A bundle file is configuration: every key in it must be usable, so a
 * mistake (an RSA key, a private key, a duplicate kid, a point off the
 * curve) stops livegrantd at start instead of surfacing at the first token.
 * This is stricter than RFC 7517 section 5, which lets readers skip keys
 * they do not understand. A fetched JWKS (an issuer's jwks_uri, a SPIFFE
 * bundle endpoint) is the issuer's: keys of other kinds are skipped, but a
 * document with a private key, a duplicate kid, a broken key of a kind we
 * use, or no usable key at all is refused whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "token_internal.h"

#define COORD_LEN 32 /* Ed25519 public keys, P-256 coordinates */

/* The last OpenSSL error as text, and the error queue emptied. */
static const char *ossl_err(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (!e) {
		snprintf(buf, sizeof(buf), "no detail from OpenSSL");
		return buf;
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* ---- algorithms ---------------------------------------------------------- */

const char *lg_jws_alg_name(enum lg_jws_alg alg)
{
	switch (alg) {
	case LG_JWS_ALG_EDDSA:
		return "EdDSA";
	case LG_JWS_ALG_ES256:
		return "ES256";
	default:
		return NULL;
	}
}

enum lg_jws_alg lg_jws_alg_parse(const char *name)
{
	/* Case-sensitive (RFC 7515 section 4.1.1): "none", "NONE", "eddsa" are unknown. */
	if (!strcmp(name, "EdDSA"))
		return LG_JWS_ALG_EDDSA;
	if (!strcmp(name, "ES256"))
		return LG_JWS_ALG_ES256;
	return LG_JWS_ALG_NONE;
}

enum lg_jws_alg lg_jws_alg_of_key(EVP_PKEY *pkey)
{
	char group[64];

	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return LG_JWS_ALG_EDDSA;
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return LG_JWS_ALG_NONE;
	/* Only a named P-256 group: explicit curve parameters are refused. */
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   NULL) != 1) {
		ERR_clear_error();
		return LG_JWS_ALG_NONE;
	}
	if (strcmp(group, SN_X9_62_prime256v1) && strcmp(group, "P-256"))
		return LG_JWS_ALG_NONE;
	return LG_JWS_ALG_ES256;
}

/* ---- files ------------------------------------------------------------------ */

int lg_token_file_read(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t n;
	char *b;
	int err;

	*buf = NULL;
	*len = 0;
	if (!f) {
		err = errno;
		return lg_err(-err, "%s: cannot open: %s", path, strerror(err));
	}
	b = malloc(max + 1);
	if (!b) {
		fclose(f);
		return lg_err(-ENOMEM, "%s: out of memory", path);
	}
	n = fread(b, 1, max + 1, f);
	err = ferror(f) ? errno : 0;
	fclose(f);
	if (err) {
		free(b);
		return lg_err(-err, "%s: cannot read: %s", path, strerror(err));
	}
	if (n > max) {
		free(b);
		return lg_err(-EFBIG, "%s: larger than %zu bytes", path, max);
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

/* ---- checking keys ---------------------------------------------------------- */

/* @pkey is an Ed25519 or P-256 public key whose point is on its curve. */
static int key_usable(const char *where, EVP_PKEY *pkey, enum lg_jws_alg *alg)
{
	const char *type = EVP_PKEY_get0_type_name(pkey);
	EVP_PKEY_CTX *ctx;
	int ok;

	*alg = lg_jws_alg_of_key(pkey);
	if (*alg == LG_JWS_ALG_NONE)
		return lg_err(
			-EINVAL,
			"%s: a %s key is not accepted: issuer keys are Ed25519 (EdDSA) or EC P-256 (ES256)",
			where, type ? type : "unknown");
	if (*alg != LG_JWS_ALG_ES256)
		return 0;
	/* A point off the curve invites invalid-curve attacks: check it once here. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	ok = ctx && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return lg_err(-EINVAL, "%s: the EC public key is not a valid P-256 point: %s",
			      where, ossl_err());
	return 0;
}

/* ---- PEM bundles -------------------------------------------------------------- */

static int load_pem(struct lg_trust_bundle *b, const char *buf, size_t len)
{
	EVP_PKEY *pkey, *extra;
	enum lg_jws_alg alg;
	BIO *bio;
	int err;

	if (strstr(buf, "PRIVATE KEY"))
		return lg_err(
			-EINVAL,
			"%s: holds a private key: a trust bundle holds only the issuer's public key (PREFIX.pub, not PREFIX.key)",
			b->path);
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio)
		return lg_err(-ENOMEM, "%s: out of memory", b->path);
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey) {
		BIO_free(bio);
		return lg_err(
			-EINVAL,
			"%s: no PEM public key (\"-----BEGIN PUBLIC KEY-----\") could be read: %s",
			b->path, ossl_err());
	}
	/* Without kids, several keys could not be told apart: one key per PEM file. */
	extra = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (extra) {
		EVP_PKEY_free(extra);
		EVP_PKEY_free(pkey);
		return lg_err(
			-EINVAL,
			"%s: holds more than one public key: a PEM bundle holds one key; use a JWKS with a kid per key",
			b->path);
	}
	err = key_usable(b->path, pkey, &alg);
	if (!err) {
		b->keys = calloc(1, sizeof(*b->keys));
		if (!b->keys)
			err = lg_err(-ENOMEM, "%s: out of memory", b->path);
	}
	if (err) {
		EVP_PKEY_free(pkey);
		return err;
	}
	b->keys[0].alg = alg;
	b->keys[0].pkey = pkey;
	b->n = 1;
	b->pem = true;
	return 0;
}

/* ---- JWKS bundles -------------------------------------------------------------- */

/* The base64url member @name of @jwk, exactly @len bytes, into @out. */
static int jwk_bytes(const char *where, json_t *jwk, const char *name, unsigned char *out,
		     size_t len)
{
	const char *s = json_string_value(json_object_get(jwk, name));
	unsigned char *raw;
	size_t n;
	int err;

	if (!s)
		return lg_err(-EINVAL, "%s: \"%s\" is missing or not a string", where, name);
	err = lg_b64url_decode(s, strlen(s), &raw, &n);
	if (err) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", lg_errmsg());
		return lg_err(err, "%s: \"%s\": %s", where, name, msg);
	}
	if (n != len) {
		free(raw);
		return lg_err(-EINVAL, "%s: \"%s\" is %zu bytes, must be %zu", where, name, n, len);
	}
	memcpy(out, raw, len);
	free(raw);
	return 0;
}

/* Is member @name of @jwk the string @want? */
static int jwk_want(const char *where, json_t *jwk, const char *name, const char *want)
{
	const char *s = json_string_value(json_object_get(jwk, name));

	if (s && !strcmp(s, want))
		return 0;
	return lg_err(-EINVAL, "%s: \"%s\" must be \"%s\"", where, name, want);
}

static int jwk_okp(const char *where, json_t *jwk, EVP_PKEY **pkey)
{
	unsigned char x[COORD_LEN];
	int err;

	err = jwk_want(where, jwk, "crv", "Ed25519");
	if (!err)
		err = jwk_bytes(where, jwk, "x", x, sizeof(x));
	if (err)
		return err;
	*pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, sizeof(x));
	if (!*pkey)
		return lg_err(-EINVAL, "%s: not an Ed25519 public key: %s", where, ossl_err());
	return 0;
}

static int jwk_ec(const char *where, json_t *jwk, EVP_PKEY **pkey)
{
	/* The uncompressed SEC1 point: 0x04 || x || y. */
	unsigned char point[1 + 2 * COORD_LEN] = { 0x04 };
	char group[] = SN_X9_62_prime256v1;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
		OSSL_PARAM_END,
	};
	EVP_PKEY_CTX *ctx;
	int err, ok;

	err = jwk_want(where, jwk, "crv", "P-256");
	if (!err)
		err = jwk_bytes(where, jwk, "x", point + 1, COORD_LEN);
	if (!err)
		err = jwk_bytes(where, jwk, "y", point + 1 + COORD_LEN, COORD_LEN);
	if (err)
		return err;
	*pkey = NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return lg_err(-EINVAL, "%s: not a P-256 public key: %s", where, ossl_err());
	return 0;
}

/* What the key is for: verifying signatures, and nothing private. */
static int jwk_purpose(const char *where, json_t *jwk)
{
	json_t *use = json_object_get(jwk, "use"), *ops = json_object_get(jwk, "key_ops");

	if (json_object_get(jwk, "d"))
		return lg_err(
			-EINVAL,
			"%s: holds a private key (\"d\"): a trust bundle holds only public keys",
			where);
	/* "jwt-svid": a SPIFFE bundle's key for JWT-SVIDs, a signing key too. */
	if (use && (!json_is_string(use) || (strcmp(json_string_value(use), "sig") &&
					     strcmp(json_string_value(use), "jwt-svid"))))
		return lg_err(-EINVAL, "%s: \"use\" must be \"sig\" (or \"jwt-svid\") when present",
			      where);
	if (!ops)
		return 0;
	for (size_t i = 0; i < json_array_size(ops); i++) {
		const char *op = json_string_value(json_array_get(ops, i));

		if (op && !strcmp(op, "verify"))
			return 0;
	}
	return lg_err(-EINVAL, "%s: \"key_ops\" must hold \"verify\" when present", where);
}

static int jwk_key(const char *where, json_t *jwk, EVP_PKEY **pkey, enum lg_jws_alg *alg)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *jalg = json_string_value(json_object_get(jwk, "alg"));
	int err;

	*pkey = NULL;
	err = jwk_purpose(where, jwk);
	if (err)
		return err;
	if (kty && !strcmp(kty, "OKP"))
		err = jwk_okp(where, jwk, pkey);
	else if (kty && !strcmp(kty, "EC"))
		err = jwk_ec(where, jwk, pkey);
	else
		err = lg_err(
			-EINVAL,
			"%s: \"kty\" %s is not accepted: issuer keys are OKP (Ed25519) or EC (P-256)",
			where, kty ? kty : "is missing and");
	if (!err)
		err = key_usable(where, *pkey, alg);
	/* A JWK's "alg" pins the algorithm too: it must agree with the key type. */
	if (!err && json_object_get(jwk, "alg") && (!jalg || strcmp(jalg, lg_jws_alg_name(*alg))))
		err = lg_err(-EINVAL, "%s: \"alg\" must be \"%s\" for this key", where,
			     lg_jws_alg_name(*alg));
	if (err) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
	}
	return err;
}

static int load_jwk(struct lg_trust_bundle *b, size_t i, json_t *jwk)
{
	struct lg_trust_key *k = &b->keys[b->n];
	char where[512];
	const char *kid;
	enum lg_jws_alg alg;
	EVP_PKEY *pkey;
	int err;

	kid = json_string_value(json_object_get(jwk, "kid"));
	snprintf(where, sizeof(where), "%s: keys[%zu] (kid \"%.64s\")", b->path, i, kid ? kid : "");
	if (!json_is_object(jwk))
		return lg_err(-EINVAL, "%s: keys[%zu] is not a JSON object", b->path, i);
	if (!kid || !*kid)
		return lg_err(
			-EINVAL,
			"%s: keys[%zu] has no \"kid\" string: tokens select keys by kid, so every key needs one",
			b->path, i);
	if (lg_trust_bundle_find(b, kid))
		return lg_err(-EINVAL, "%s: kid \"%s\" appears more than once: kids must be unique",
			      b->path, kid);
	err = jwk_key(where, jwk, &pkey, &alg);
	if (err)
		return err;
	k->kid = strdup(kid);
	if (!k->kid) {
		EVP_PKEY_free(pkey);
		return lg_err(-ENOMEM, "%s: out of memory", b->path);
	}
	k->alg = alg;
	k->pkey = pkey;
	b->n++;
	return 0;
}

static bool str_is(json_t *v, const char *want)
{
	return json_is_string(v) && !strcmp(json_string_value(v), want);
}

/*
 * A fetched document is the issuer's, not our configuration: a key of a
 * kind livegrant does not verify with (RSA, another curve, an encryption
 * key, a SPIFFE X.509-SVID authority, one without a kid) is skipped, as
 * RFC 7517 section 5 lets a reader do. Why, or NULL for a key to load (and
 * then to check as strictly as a file's).
 */
static const char *jwk_not_for_us(json_t *jwk)
{
	json_t *kty = json_object_get(jwk, "kty"), *crv = json_object_get(jwk, "crv");
	json_t *use = json_object_get(jwk, "use"), *ops = json_object_get(jwk, "key_ops");
	json_t *alg = json_object_get(jwk, "alg"), *kid = json_object_get(jwk, "kid");
	bool verify = !ops;

	if (!(str_is(kty, "OKP") && str_is(crv, "Ed25519")) &&
	    !(str_is(kty, "EC") && str_is(crv, "P-256")))
		return "not an Ed25519 or P-256 key";
	if (use && !str_is(use, "sig") && !str_is(use, "jwt-svid"))
		return "not a signing key (\"use\")";
	for (size_t i = 0; i < json_array_size(ops); i++)
		verify = verify || str_is(json_array_get(ops, i), "verify");
	if (!verify)
		return "not a verifying key (\"key_ops\")";
	if (alg && !str_is(alg, "EdDSA") && !str_is(alg, "ES256"))
		return "another algorithm (\"alg\")";
	if (!json_is_string(kid) || !*json_string_value(kid))
		return "no \"kid\"";
	return NULL;
}

/* SPIFFE's "spiffe_refresh_hint": seconds, a positive integer when present. */
static int refresh_hint(struct lg_trust_bundle *b, json_t *root)
{
	json_t *h = json_object_get(root, "spiffe_refresh_hint");

	if (!h)
		return 0;
	if (!json_is_integer(h) || json_integer_value(h) <= 0)
		return lg_err(-EINVAL, "%s: \"spiffe_refresh_hint\" must be a positive integer",
			      b->path);
	b->refresh_hint_s = (uint64_t)json_integer_value(h);
	return 0;
}

static int load_jwks(struct lg_trust_bundle *b, const char *buf, size_t len, bool fetched)
{
	json_t *root, *keys;
	json_error_t jerr;
	size_t nkeys;
	int err = 0;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return lg_err(-EINVAL, "%s:%d: not valid JSON: %s", b->path, jerr.line, jerr.text);
	keys = json_object_get(root, "keys");
	nkeys = json_array_size(keys);
	if (!json_is_object(root) || !json_is_array(keys) || !nkeys)
		err = lg_err(
			-EINVAL,
			"%s: a JWKS is a JSON object whose \"keys\" array holds at least one key",
			b->path);
	else if (nkeys > LG_TRUST_BUNDLE_MAX_KEYS)
		err = lg_err(-E2BIG, "%s: holds %zu keys; a trust bundle holds at most %d", b->path,
			     nkeys, LG_TRUST_BUNDLE_MAX_KEYS);
	if (!err && fetched)
		err = refresh_hint(b, root);
	if (!err) {
		b->keys = calloc(nkeys, sizeof(*b->keys));
		if (!b->keys)
			err = lg_err(-ENOMEM, "%s: out of memory", b->path);
	}
	for (size_t i = 0; !err && i < nkeys; i++) {
		json_t *jwk = json_array_get(keys, i);

		/* Skipped or not, a key element is an object, and nothing private. */
		if (!json_is_object(jwk))
			err = lg_err(-EINVAL, "%s: keys[%zu] is not a JSON object", b->path, i);
		else if (json_object_get(jwk, "d"))
			err = lg_err(
				-EINVAL,
				"%s: keys[%zu] holds a private key (\"d\"): a trust bundle holds only public keys",
				b->path, i);
		else if (fetched && jwk_not_for_us(jwk))
			b->skipped++;
		else
			err = load_jwk(b, i, jwk);
	}
	if (!err && !b->n)
		err = lg_err(
			-EINVAL,
			"%s: none of its %zu keys is one livegrant verifies with (an Ed25519 or P-256 signing key with a kid)",
			b->path, nkeys);
	json_decref(root);
	return err;
}

/* ---- bundles -------------------------------------------------------------------- */

/* Every message above starts with the path; say what the file is for. */
static int bundle_err(int err)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", lg_errmsg());
	return lg_err(err, "trust bundle %s", msg);
}

int lg_trust_bundle_parse(const char *name, const char *buf, size_t len, bool fetched,
			  struct lg_trust_bundle **out)
{
	struct lg_trust_bundle *b;
	const char *p = buf;
	int err;

	*out = NULL;
	if (len > LG_TRUST_BUNDLE_MAX_BYTES)
		return lg_err(-EFBIG, "trust bundle %s: larger than %d bytes", name,
			      LG_TRUST_BUNDLE_MAX_BYTES);
	if (memchr(buf, 0, len))
		return lg_err(-EINVAL, "trust bundle %s: holds a NUL byte: not a JWKS", name);
	b = calloc(1, sizeof(*b));
	if (b)
		b->path = strdup(name);
	if (!b || !b->path) {
		free(b);
		return lg_err(-ENOMEM, "trust bundle %s: out of memory", name);
	}
	while (p < buf + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	/* @buf is NUL-terminated (checked above: no NUL before len). */
	if (!fetched && !strncmp(p, "-----BEGIN ", 11))
		err = load_pem(b, buf, len);
	else if (p < buf + len && *p == '{')
		err = load_jwks(b, buf, len, fetched);
	else
		err = lg_err(-EINVAL,
			     fetched ? "%s: not a JWKS (a JSON object)" :
				       "%s: neither a JWKS (a JSON object) nor a PEM public key",
			     name);
	if (err) {
		lg_trust_bundle_free(b);
		return bundle_err(err);
	}
	*out = b;
	return 0;
}

int lg_trust_bundle_load(const char *path, struct lg_trust_bundle **out)
{
	size_t len;
	char *buf;
	int err;

	*out = NULL;
	err = lg_token_file_read(path, LG_TRUST_BUNDLE_MAX_BYTES, &buf, &len);
	if (err)
		return bundle_err(err);
	err = lg_trust_bundle_parse(path, buf, len, false, out);
	free(buf);
	return err;
}

void lg_trust_bundle_free(struct lg_trust_bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->keys[i].kid);
		EVP_PKEY_free(b->keys[i].pkey);
	}
	free(b->keys);
	free(b->path);
	free(b);
}

size_t lg_trust_bundle_size(const struct lg_trust_bundle *b)
{
	return b ? b->n : 0;
}

size_t lg_trust_bundle_skipped(const struct lg_trust_bundle *b)
{
	return b ? b->skipped : 0;
}

uint64_t lg_trust_bundle_refresh_hint(const struct lg_trust_bundle *b)
{
	return b ? b->refresh_hint_s : 0;
}

const struct lg_trust_key *lg_trust_bundle_find(const struct lg_trust_bundle *b, const char *kid)
{
	if (b->pem)
		return b->n ? &b->keys[0] : NULL;
	if (!kid)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->keys[i].kid, kid))
			return &b->keys[i];
	return NULL;
}

/* ---- JWK export (the development issuer's "jwks") -------------------------------- */

static int jwk_set_b64(json_t *jwk, const char *name, const unsigned char *raw, size_t len)
{
	char *s = lg_b64url_encode(raw, len);
	int rc;

	if (!s)
		return -ENOMEM;
	rc = json_object_set_new(jwk, name, json_string(s));
	free(s);
	return rc ? -ENOMEM : 0;
}

static int jwk_ec_coords(EVP_PKEY *pkey, json_t *jwk)
{
	unsigned char x[COORD_LEN], y[COORD_LEN];
	BIGNUM *bx = NULL, *by = NULL;
	int ok;

	ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
	     EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
	     BN_bn2binpad(bx, x, sizeof(x)) == COORD_LEN &&
	     BN_bn2binpad(by, y, sizeof(y)) == COORD_LEN;
	BN_free(bx);
	BN_free(by);
	if (!ok)
		return lg_err(-EIO, "cannot read the EC public point: %s", ossl_err());
	if (json_object_set_new(jwk, "kty", json_string("EC")) ||
	    json_object_set_new(jwk, "crv", json_string("P-256")) ||
	    jwk_set_b64(jwk, "x", x, sizeof(x)) || jwk_set_b64(jwk, "y", y, sizeof(y)))
		return lg_err(-ENOMEM, "out of memory");
	return 0;
}

static int jwk_okp_x(EVP_PKEY *pkey, json_t *jwk)
{
	unsigned char x[COORD_LEN];
	size_t len = sizeof(x);

	if (EVP_PKEY_get_raw_public_key(pkey, x, &len) != 1 || len != sizeof(x))
		return lg_err(-EIO, "cannot read the Ed25519 public key: %s", ossl_err());
	if (json_object_set_new(jwk, "kty", json_string("OKP")) ||
	    json_object_set_new(jwk, "crv", json_string("Ed25519")) ||
	    jwk_set_b64(jwk, "x", x, sizeof(x)))
		return lg_err(-ENOMEM, "out of memory");
	return 0;
}

int lg_jwk_from_pkey(EVP_PKEY *pkey, const char *kid, json_t **out)
{
	enum lg_jws_alg alg = lg_jws_alg_of_key(pkey);
	json_t *jwk;
	int err;

	*out = NULL;
	if (alg == LG_JWS_ALG_NONE)
		return lg_err(-EINVAL, "only Ed25519 and P-256 keys have a JWK here");
	jwk = json_object();
	if (!jwk)
		return lg_err(-ENOMEM, "out of memory");
	err = alg == LG_JWS_ALG_EDDSA ? jwk_okp_x(pkey, jwk) : jwk_ec_coords(pkey, jwk);
	if (!err && (json_object_set_new(jwk, "use", json_string("sig")) ||
		     json_object_set_new(jwk, "alg", json_string(lg_jws_alg_name(alg))) ||
		     (kid && json_object_set_new(jwk, "kid", json_string(kid)))))
		err = lg_err(-ENOMEM, "out of memory");
	if (err) {
		json_decref(jwk);
		return err;
	}
	*out = jwk;
	return 0;
}

/* ---- signatures -------------------------------------------------------------------- */

/* JWS carries ECDSA signatures as raw R||S (RFC 7518 section 3.4); OpenSSL as DER. */
static int ecdsa_der_to_raw(const unsigned char *der, size_t len, unsigned char raw[LG_JWS_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (!sig)
		return lg_err(-EIO, "OpenSSL produced an unreadable ECDSA signature: %s",
			      ossl_err());
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, COORD_LEN) == COORD_LEN &&
	     BN_bn2binpad(s, raw + COORD_LEN, COORD_LEN) == COORD_LEN;
	ECDSA_SIG_free(sig);
	return ok ? 0 : lg_err(-EIO, "ECDSA signature values do not fit 32 bytes");
}

static int ecdsa_raw_to_der(const unsigned char raw[LG_JWS_SIG_LEN], unsigned char **der,
			    size_t *len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, COORD_LEN, NULL);
	BIGNUM *s = BN_bin2bn(raw + COORD_LEN, COORD_LEN, NULL);
	int n;

	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return lg_err(-ENOMEM, "out of memory");
	}
	*der = NULL;
	n = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return lg_err(-ENOMEM, "cannot encode an ECDSA signature: %s", ossl_err());
	*len = n;
	return 0;
}

int lg_jws_sign(EVP_PKEY *pkey, const void *in, size_t len, unsigned char sig[LG_JWS_SIG_LEN])
{
	enum lg_jws_alg alg = lg_jws_alg_of_key(pkey);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[EVP_MAX_MD_SIZE * 4];
	size_t n = sizeof(buf);
	int ok;

	if (!md)
		return lg_err(-ENOMEM, "out of memory");
	ok = alg != LG_JWS_ALG_NONE &&
	     EVP_DigestSignInit_ex(md, NULL, alg == LG_JWS_ALG_ES256 ? "SHA256" : NULL, NULL, NULL,
				   pkey, NULL) == 1 &&
	     EVP_DigestSign(md, buf, &n, in, len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return lg_err(-EINVAL,
			      "cannot sign: the key must be an Ed25519 or P-256 private key (%s)",
			      ossl_err());
	if (alg == LG_JWS_ALG_ES256)
		return ecdsa_der_to_raw(buf, n, sig);
	if (n != LG_JWS_SIG_LEN)
		return lg_err(-EIO, "Ed25519 signature of %zu bytes", n);
	memcpy(sig, buf, n);
	return 0;
}

int lg_jws_verify(const struct lg_trust_key *key, const void *in, size_t len,
		  const unsigned char *sig, size_t sig_len)
{
	const char *name = lg_jws_alg_name(key->alg);
	unsigned char *der = NULL;
	const unsigned char *s = sig;
	EVP_MD_CTX *md;
	int err = 0;

	if (sig_len != LG_JWS_SIG_LEN)
		return lg_err(-EBADMSG, "the signature is %zu bytes; %s signatures are %d bytes",
			      sig_len, name, LG_JWS_SIG_LEN);
	if (key->alg == LG_JWS_ALG_ES256) {
		err = ecdsa_raw_to_der(sig, &der, &sig_len);
		if (err)
			return err;
		s = der;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, NULL, key->alg == LG_JWS_ALG_ES256 ? "SHA256" : NULL,
					   NULL, NULL, key->pkey, NULL) != 1)
		err = lg_err(-EIO, "OpenSSL cannot set up %s verification: %s", name, ossl_err());
	else if (EVP_DigestVerify(md, s, sig_len, in, len) != 1)
		err = lg_err(-EBADMSG, "the %s signature does not verify with the trusted key",
			     name);
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return err;
}

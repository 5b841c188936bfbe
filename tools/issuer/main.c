// SPDX-License-Identifier: GPL-2.0
/*
 * livegrant-issuer - the development issuer: issuer keys, the JWKS a trust
 * domain trusts, and signed grant tokens (docs/tokens.md).
 *
 * It is for development and tests, not a production issuer: keys sit
 * unencrypted in files and nothing records what was minted. Exit codes: 0
 * done, 1 failure (the message says what to change), 2 usage error.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "token_internal.h"

#define EXIT_USAGE 2
#define CLAIMS_MAX_BYTES (1024 * 1024)
#define DEFAULT_TTL_S 600

static const char usage_main[] =
	"usage: livegrant-issuer COMMAND [OPTIONS]\n"
	"\n"
	"The development issuer of livegrant grant tokens (docs/tokens.md).\n"
	"\n"
	"commands:\n"
	"  keygen --alg EdDSA|ES256 --out PREFIX   write PREFIX.key and PREFIX.pub (PEM)\n"
	"  jwks [--kid ID] PUB...                  print a JWKS of public keys\n"
	"  mint --key KEY --kid ID --claims FILE   print a signed token\n"
	"\n"
	"'livegrant-issuer COMMAND --help' describes each command.\n"
	"Exit status: 0 done, 1 failure, 2 usage error.\n";

static const char usage_keygen[] =
	"usage: livegrant-issuer keygen --alg EdDSA|ES256 --out PREFIX [--force]\n"
	"\n"
	"Generate an issuer key pair: PREFIX.key (PKCS#8 private key, mode 0600)\n"
	"and PREFIX.pub (SubjectPublicKeyInfo public key), both PEM.\n"
	"\n"
	"  --alg EdDSA|ES256  EdDSA: an Ed25519 key; ES256: an EC P-256 key\n"
	"  --out PREFIX       where to write the two files\n"
	"  --force            replace existing files (otherwise refused)\n";

static const char usage_jwks[] =
	"usage: livegrant-issuer jwks [--kid ID] PUB [[--kid ID] PUB]...\n"
	"\n"
	"Print a JWKS (RFC 7517) holding the public keys PUB (PEM files written\n"
	"by keygen), for a trust domain's trust_bundle.\n"
	"\n"
	"  --kid ID  the kid of the PUB file that follows it, and of that one only\n"
	"            ('--kid a a.pub --kid b b.pub'). A PUB without --kid gets its\n"
	"            RFC 7638 JWK thumbprint as kid, as 'mint' does without --kid.\n"
	"Kids must be unique.\n";

static const char usage_mint[] =
	"usage: livegrant-issuer mint --key KEY [--kid ID] [--ttl DURATION] --claims FILE\n"
	"\n"
	"Print a grant token (JWS compact serialization) signed with KEY. The header\n"
	"is {\"alg\": the key's algorithm, \"typ\": \"livegrant+jwt\", \"kid\": ID}.\n"
	"\n"
	"  --key KEY        private key written by keygen (PREFIX.key)\n"
	"  --kid ID         kid in the header; default: the key's RFC 7638 thumbprint\n"
	"  --ttl DURATION   lifetime, e.g. 30s, 10m, 1h (default 10m)\n"
	"  --claims FILE    JSON object of claims ('-': stdin). iat and nbf (now),\n"
	"                   exp (now + ttl) and jti (128 random bits, hex) are filled\n"
	"                   in unless the file has them.\n"
	"  --count N        print N tokens, one a line, each with its own jti\n"
	"                   (for load tests; default 1)\n"
	"\n"
	"test aids: these make deliberately wrong tokens for tests; never use them\n"
	"to issue real grants.\n"
	"  --now SECONDS    take this as the current time (seconds since the epoch)\n"
	"  --alg ALG        put ALG in the header instead of the key's algorithm; the\n"
	"                   key still signs, except: 'none' leaves the signature\n"
	"                   empty, 'HS256' signs with HMAC-SHA256 keyed with the PEM\n"
	"                   public key (the classic key-confusion token)\n"
	"  --header FILE    use FILE's bytes as the header, verbatim (--kid and --alg\n"
	"                   then only choose how to sign)\n"
	"  --raw-claims     use the claims file's bytes as the payload, verbatim:\n"
	"                   nothing is filled in, duplicates are kept\n";

/* ---- small helpers ---------------------------------------------------------- */

static int fail(const char *what)
{
	fprintf(stderr, "livegrant-issuer: %s: %s\n", what, lg_errmsg());
	return EXIT_FAILURE;
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
	__attribute__((format(printf, 2, 0)));

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "livegrant-issuer: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage);
	return EXIT_USAGE;
}

static const char *ossl_err(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();

	snprintf(buf, sizeof(buf), "no detail from OpenSSL");
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* "30s", "10m", "1h": seconds in *out. A bare number is refused, as in the config. */
static int parse_duration(const char *s, uint64_t *out)
{
	uint64_t mult;
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (end == s || *s == '-' || errno || !end[0] || end[1])
		return -EINVAL;
	switch (*end) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	default:
		return -EINVAL;
	}
	if (!n || n > UINT32_MAX)
		return -EINVAL;
	*out = n * mult;
	return 0;
}

/* A file's bytes; "-" is stdin. */
static int read_input(const char *path, char **buf, size_t *len)
{
	size_t n = 0;
	char *b;

	if (strcmp(path, "-"))
		return lg_token_file_read(path, CLAIMS_MAX_BYTES, buf, len);
	b = malloc(CLAIMS_MAX_BYTES + 1);
	if (!b)
		return lg_err(-ENOMEM, "out of memory");
	n = fread(b, 1, CLAIMS_MAX_BYTES + 1, stdin);
	if (ferror(stdin) || n > CLAIMS_MAX_BYTES) {
		free(b);
		return lg_err(-EINVAL, "stdin: unreadable or larger than %d bytes",
			      CLAIMS_MAX_BYTES);
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

/* Refuse the terminal prompt OpenSSL would show for an encrypted key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int read_pem_key(const char *path, bool private, EVP_PKEY **out)
{
	FILE *f = fopen(path, "re");
	int err;

	*out = NULL;
	if (!f) {
		err = errno;
		return lg_err(-err, "%s: cannot open: %s", path, strerror(err));
	}
	*out = private ? PEM_read_PrivateKey(f, NULL, no_passphrase, NULL) :
			 PEM_read_PUBKEY(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!*out)
		return lg_err(-EINVAL, "%s: no unencrypted PEM %s key could be read (%s)", path,
			      private ? "private" : "public", ossl_err());
	if (lg_jws_alg_of_key(*out) == LG_JWS_ALG_NONE) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return lg_err(-EINVAL, "%s: not an Ed25519 or P-256 key", path);
	}
	return 0;
}

/* RFC 7638 thumbprint: SHA-256 of the required members, sorted, no spaces. */
static int jwk_thumbprint(EVP_PKEY *pkey, char **out)
{
	unsigned char md[32];
	unsigned int md_len = sizeof(md);
	char canon[256];
	json_t *jwk;
	const char *y;
	int err, n;

	err = lg_jwk_from_pkey(pkey, NULL, &jwk);
	if (err)
		return err;
	y = json_string_value(json_object_get(jwk, "y"));
	if (y)
		n = snprintf(canon, sizeof(canon),
			     "{\"crv\":\"%s\",\"kty\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
			     json_string_value(json_object_get(jwk, "crv")),
			     json_string_value(json_object_get(jwk, "kty")),
			     json_string_value(json_object_get(jwk, "x")), y);
	else
		n = snprintf(canon, sizeof(canon), "{\"crv\":\"%s\",\"kty\":\"%s\",\"x\":\"%s\"}",
			     json_string_value(json_object_get(jwk, "crv")),
			     json_string_value(json_object_get(jwk, "kty")),
			     json_string_value(json_object_get(jwk, "x")));
	json_decref(jwk);
	if (n < 0 || (size_t)n >= sizeof(canon) ||
	    EVP_Digest(canon, n, md, &md_len, EVP_sha256(), NULL) != 1)
		return lg_err(-EIO, "cannot compute the JWK thumbprint");
	*out = lg_b64url_encode(md, md_len);
	return *out ? 0 : lg_err(-ENOMEM, "out of memory");
}

/* ---- keygen ------------------------------------------------------------------ */

/* Create @path afresh with @mode (a key never inherits an old file's mode). */
static FILE *create_file(const char *path, mode_t mode, bool force)
{
	int fd, err;
	FILE *f;

	if (force && unlink(path) && errno != ENOENT) {
		err = errno;
		lg_err(-err, "%s: cannot replace: %s", path, strerror(err));
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		err = errno;
		lg_err(-err, "%s: cannot create: %s%s", path, strerror(err),
		       err == EEXIST ? " (--force replaces it)" : "");
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		lg_err(-ENOMEM, "%s: out of memory", path);
	}
	return f;
}

static int write_key(const char *path, EVP_PKEY *pkey, bool private, bool force)
{
	FILE *f = create_file(path, private ? 0600 : 0644, force);
	int ok;

	if (!f)
		return -EIO;
	ok = private ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) :
		       PEM_write_PUBKEY(f, pkey);
	ok = fclose(f) == 0 && ok == 1;
	if (!ok) {
		unlink(path);
		return lg_err(-EIO, "%s: cannot write the key (%s)", path, ossl_err());
	}
	return 0;
}

static int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *alg = NULL, *prefix = NULL;
	char path[PATH_MAX];
	bool force = false;
	EVP_PKEY *pkey;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			alg = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(usage_keygen, stdout);
			return 0;
		default:
			return usage_error(usage_keygen, "keygen: %s", "unknown option");
		}
	}
	if (optind != argc)
		return usage_error(usage_keygen, "keygen: unexpected argument %s", argv[optind]);
	if (!alg || !prefix)
		return usage_error(usage_keygen, "keygen: %s", "--alg and --out are required");
	if (lg_jws_alg_parse(alg) == LG_JWS_ALG_NONE)
		return usage_error(usage_keygen, "keygen: --alg %s: use EdDSA or ES256", alg);
	if (strlen(prefix) + 5 > sizeof(path))
		return usage_error(usage_keygen, "keygen: --out %s is too long", prefix);

	pkey = lg_jws_alg_parse(alg) == LG_JWS_ALG_EDDSA ?
		       EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
		       EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pkey) {
		lg_err(-EIO, "OpenSSL could not generate the key (%s)", ossl_err());
		return fail("keygen");
	}
	snprintf(path, sizeof(path), "%s.key", prefix);
	err = write_key(path, pkey, true, force);
	if (!err) {
		snprintf(path, sizeof(path), "%s.pub", prefix);
		err = write_key(path, pkey, false, force);
	}
	EVP_PKEY_free(pkey);
	return err ? fail("keygen") : 0;
}

/* ---- jwks -------------------------------------------------------------------- */

static int jwks_add(json_t *keys, const char *kid, const char *pub)
{
	char *thumb = NULL;
	EVP_PKEY *pkey;
	json_t *jwk = NULL;
	int err;

	err = read_pem_key(pub, false, &pkey);
	if (!err && !kid) {
		err = jwk_thumbprint(pkey, &thumb);
		kid = thumb;
	}
	if (!err)
		err = lg_jwk_from_pkey(pkey, kid, &jwk);
	EVP_PKEY_free(pkey);
	for (size_t i = 0; !err && i < json_array_size(keys); i++) {
		json_t *other = json_object_get(json_array_get(keys, i), "kid");

		if (!strcmp(json_string_value(other), kid))
			err = lg_err(-EINVAL, "%s: kid \"%s\" is already used: kids must be unique",
				     pub, kid);
	}
	free(thumb);
	if (err) {
		/* A kid used twice: its JWK was made, and is not kept. */
		json_decref(jwk);
		return err;
	}
	if (json_array_append_new(keys, jwk))
		return lg_err(-ENOMEM, "out of memory");
	return 0;
}

static int cmd_jwks(int argc, char **argv)
{
	/* "-": non-options come back in order, so each --kid binds to the next PUB. */
	static const struct option opts[] = {
		{ "kid", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *keys = json_array(), *jwks;
	const char *kid = NULL;
	int c, err = 0;
	char *out;

	while (!err && (c = getopt_long(argc, argv, "-", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (kid)
				err = usage_error(usage_jwks, "jwks: --kid %s names no PUB file",
						  kid);
			else if (!*optarg)
				err = usage_error(usage_jwks, "jwks: %s",
						  "--kid must not be empty");
			kid = optarg;
			break;
		case 1:
			err = jwks_add(keys, kid, optarg) ? fail("jwks") : 0;
			kid = NULL;
			break;
		case 'h':
			fputs(usage_jwks, stdout);
			json_decref(keys);
			return 0;
		default:
			err = usage_error(usage_jwks, "jwks: %s", "unknown option");
		}
	}
	if (!err && kid)
		err = usage_error(usage_jwks, "jwks: --kid %s names no PUB file", kid);
	if (!err && !json_array_size(keys))
		err = usage_error(usage_jwks, "jwks: %s", "no PUB file given");
	if (err) {
		json_decref(keys);
		return err;
	}
	jwks = json_pack("{so}", "keys", keys);
	out = jwks ? json_dumps(jwks, JSON_INDENT(2)) : NULL;
	json_decref(jwks);
	if (!out) {
		lg_err(-ENOMEM, "out of memory");
		return fail("jwks");
	}
	printf("%s\n", out);
	free(out);
	return 0;
}

/* ---- mint -------------------------------------------------------------------- */

struct mint_opts {
	const char *key, *kid, *claims, *header, *alg;
	uint64_t ttl_s;
	int64_t now;
	long count;
	bool raw_claims;
};

/* iat, nbf, exp and jti, each unless the claims already hold it. */
static int fill_claims(json_t *c, const struct mint_opts *o)
{
	unsigned char rnd[16];
	char jti[33];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return lg_err(-EIO, "no random bytes for jti (%s)", ossl_err());
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	if ((!json_object_get(c, "iat") && json_object_set_new(c, "iat", json_integer(o->now))) ||
	    (!json_object_get(c, "nbf") && json_object_set_new(c, "nbf", json_integer(o->now))) ||
	    (!json_object_get(c, "exp") &&
	     json_object_set_new(c, "exp", json_integer(o->now + (int64_t)o->ttl_s))) ||
	    (!json_object_get(c, "jti") && json_object_set_new(c, "jti", json_string(jti))))
		return lg_err(-ENOMEM, "out of memory");
	return 0;
}

/* The payload's bytes from the claims input @buf: filled in, or verbatim. */
static int mint_payload(const struct mint_opts *o, const char *buf, size_t len, char **out)
{
	json_error_t e;
	json_t *c;
	int err;

	if (o->raw_claims) {
		*out = strndup(buf, len);
		return *out ? 0 : lg_err(-ENOMEM, "out of memory");
	}
	c = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(c)) {
		json_decref(c);
		return lg_err(-EINVAL, "%s:%d: not a JSON object: %s", o->claims, e.line,
			      c ? "another JSON value" : e.text);
	}
	err = fill_claims(c, o);
	*out = err ? NULL : json_dumps(c, JSON_COMPACT);
	json_decref(c);
	if (!err && !*out)
		err = lg_err(-ENOMEM, "out of memory");
	return err;
}

static int mint_header(const struct mint_opts *o, const char *alg, const char *kid, char **out)
{
	json_t *h;
	size_t len;
	int err;

	if (o->header) {
		err = read_input(o->header, out, &len);
		/* A file ends with a newline that is not part of the JSON. */
		while (!err && len && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
			(*out)[--len] = 0;
		return err;
	}
	h = json_pack("{ssssss}", "alg", alg, "typ", LG_TOKEN_TYP, "kid", kid);
	*out = h ? json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	return *out ? 0 : lg_err(-ENOMEM, "out of memory");
}

/* HMAC-SHA256 keyed with the public key's PEM: what a verifier that took the
 * algorithm from the token would check. */
static int sign_hs256_confusion(EVP_PKEY *pkey, const char *in, unsigned char *sig, size_t *sig_len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	unsigned int n = 0;
	char *pem;
	long pem_len;
	int ok;

	ok = mem && PEM_write_bio_PUBKEY(mem, pkey) == 1;
	pem_len = ok ? BIO_get_mem_data(mem, &pem) : 0;
	ok = ok &&
	     HMAC(EVP_sha256(), pem, (int)pem_len, (const unsigned char *)in, strlen(in), sig, &n);
	BIO_free(mem);
	*sig_len = n;
	return ok ? 0 : lg_err(-EIO, "HMAC failed (%s)", ossl_err());
}

static int mint_sign(const struct mint_opts *o, EVP_PKEY *pkey, const char *input, char **out)
{
	unsigned char sig[EVP_MAX_MD_SIZE > LG_JWS_SIG_LEN ? EVP_MAX_MD_SIZE : LG_JWS_SIG_LEN];
	size_t sig_len = LG_JWS_SIG_LEN;
	int err = 0;

	if (o->alg && !strcmp(o->alg, "none"))
		sig_len = 0;
	else if (o->alg && !strcmp(o->alg, "HS256"))
		err = sign_hs256_confusion(pkey, input, sig, &sig_len);
	else
		err = lg_jws_sign(pkey, input, strlen(input), sig);
	if (err)
		return err;
	*out = lg_b64url_encode(sig, sig_len);
	return *out ? 0 : lg_err(-ENOMEM, "out of memory");
}

/* One token of the claims @claims signed with @pkey, printed on its own line. */
static int mint_one(const struct mint_opts *o, EVP_PKEY *pkey, const char *kid, const char *claims,
		    size_t claims_len)
{
	char *header = NULL, *payload = NULL, *h64 = NULL, *p64 = NULL;
	char *input = NULL, *s64 = NULL;
	int err;

	err = mint_header(o, o->alg ? o->alg : lg_jws_alg_name(lg_jws_alg_of_key(pkey)), kid,
			  &header);
	if (!err)
		err = mint_payload(o, claims, claims_len, &payload);
	if (!err) {
		h64 = lg_b64url_encode((const unsigned char *)header, strlen(header));
		p64 = lg_b64url_encode((const unsigned char *)payload, strlen(payload));
		if (!h64 || !p64 || asprintf(&input, "%s.%s", h64, p64) < 0) {
			input = NULL;
			err = lg_err(-ENOMEM, "out of memory");
		}
	}
	if (!err)
		err = mint_sign(o, pkey, input, &s64);
	if (!err)
		printf("%s.%s\n", input, s64);
	free(header);
	free(payload);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	return err;
}

static int mint(const struct mint_opts *o)
{
	char *thumb = NULL, *claims = NULL;
	const char *kid = o->kid;
	size_t claims_len = 0;
	EVP_PKEY *pkey;
	int err;

	err = read_pem_key(o->key, true, &pkey);
	if (err)
		return err;
	if (!kid)
		err = jwk_thumbprint(pkey, &thumb);
	kid = kid ? kid : thumb;
	/* Read once: the claims may come from stdin. */
	if (!err)
		err = read_input(o->claims, &claims, &claims_len);
	/* Each token gets its own jti (fill_claims), unless the claims fix one. */
	for (long i = 0; !err && i < o->count; i++)
		err = mint_one(o, pkey, kid, claims, claims_len);
	EVP_PKEY_free(pkey);
	free(claims);
	free(thumb);
	return err;
}

static int parse_now(const char *s, int64_t *now)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || *end || errno || n < 0)
		return -EINVAL;
	*now = n;
	return 0;
}

static int cmd_mint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "kid", required_argument, NULL, 'i' },
		{ "ttl", required_argument, NULL, 't' },
		{ "claims", required_argument, NULL, 'c' },
		{ "now", required_argument, NULL, 'n' },
		{ "alg", required_argument, NULL, 'a' },
		{ "header", required_argument, NULL, 'H' },
		{ "raw-claims", no_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mint_opts o = { .ttl_s = DEFAULT_TTL_S, .now = time(NULL), .count = 1 };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.key = optarg;
			break;
		case 'i':
			o.kid = optarg;
			break;
		case 't':
			if (parse_duration(optarg, &o.ttl_s))
				return usage_error(
					usage_mint,
					"mint: --ttl %s: a duration is N followed by s, m or h",
					optarg);
			break;
		case 'c':
			o.claims = optarg;
			break;
		case 'n':
			if (parse_now(optarg, &o.now))
				return usage_error(usage_mint,
						   "mint: --now %s: seconds since the epoch",
						   optarg);
			break;
		case 'a':
			o.alg = optarg;
			break;
		case 'H':
			o.header = optarg;
			break;
		case 'r':
			o.raw_claims = true;
			break;
		case 'N': {
			char *end;

			errno = 0;
			o.count = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || o.count < 1 || o.count > 1000000)
				return usage_error(usage_mint, "mint: --count %s: 1 to 1000000",
						   optarg);
			break;
		}
		case 'h':
			fputs(usage_mint, stdout);
			return 0;
		default:
			return usage_error(usage_mint, "mint: %s", "unknown option");
		}
	}
	if (optind != argc)
		return usage_error(usage_mint, "mint: unexpected argument %s", argv[optind]);
	if (!o.key || !o.claims)
		return usage_error(usage_mint, "mint: %s", "--key and --claims are required");
	return mint(&o) ? fail("mint") : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error(usage_main, "%s", "no command given");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	/* Each command parses its own options from argv[1] on. */
	if (!strcmp(cmd, "keygen"))
		return cmd_keygen(argc - 1, argv + 1);
	if (!strcmp(cmd, "jwks"))
		return cmd_jwks(argc - 1, argv + 1);
	if (!strcmp(cmd, "mint"))
		return cmd_mint(argc - 1, argv + 1);
	return usage_error(usage_main, "unknown command %s", cmd);
}

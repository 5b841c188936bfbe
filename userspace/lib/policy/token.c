// SPDX-License-Identifier: GPL-2.0
/*
 * token.c - verify grant tokens: JWS compact serialization (RFC 7515) of a
 * JWT (RFC 7519), following the JWT best current practices (RFC 8725).
 *
 * The checks run in a fixed order and the first that fails decides the
 * refusal reason (docs/tokens.md has the order and the table). Nothing from
 * the payload is believed before the signature over the received bytes has
 * verified with a key of the trust bundle, and the algorithm is the key's,
 * never the token's: the header's "alg" only has to agree with it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "token_internal.h"

/* The refusal reasons. Stable: logs, the CLI and tests use the names. */
enum reason {
	R_TOO_LARGE,
	R_MALFORMED,
	R_BAD_BASE64,
	R_BAD_JSON,
	R_DUPLICATE_MEMBER,
	R_ALG_NOT_ALLOWED,
	R_BAD_TYP,
	R_CRIT_UNSUPPORTED,
	R_UNKNOWN_KID,
	R_BAD_SIGNATURE,
	R_BAD_CLAIMS,
	R_WRONG_DOMAIN,
	R_WRONG_AUDIENCE,
	R_EXPIRED,
	R_NOT_YET_VALID,
	R_TTL_TOO_LONG,
	R_BAD_POLICY,
	R_INTERNAL,
	R_COUNT,
};

static const char *const reason_names[R_COUNT + 1] = {
	[R_TOO_LARGE] = "too_large",
	[R_MALFORMED] = "malformed",
	[R_BAD_BASE64] = "bad_base64",
	[R_BAD_JSON] = "bad_json",
	[R_DUPLICATE_MEMBER] = "duplicate_member",
	[R_ALG_NOT_ALLOWED] = "alg_not_allowed",
	[R_BAD_TYP] = "bad_typ",
	[R_CRIT_UNSUPPORTED] = "crit_unsupported",
	[R_UNKNOWN_KID] = "unknown_kid",
	[R_BAD_SIGNATURE] = "bad_signature",
	[R_BAD_CLAIMS] = "bad_claims",
	[R_WRONG_DOMAIN] = "wrong_domain",
	[R_WRONG_AUDIENCE] = "wrong_audience",
	[R_EXPIRED] = "expired",
	[R_NOT_YET_VALID] = "not_yet_valid",
	[R_TTL_TOO_LONG] = "ttl_too_long",
	[R_BAD_POLICY] = "bad_policy",
	[R_INTERNAL] = "internal",
	[R_COUNT] = NULL,
};

/* Coarse errno per reason: callers that care use the reason. */
static const int reason_errno[R_COUNT] = {
	[R_TOO_LARGE] = EMSGSIZE,	[R_MALFORMED] = EBADMSG,
	[R_BAD_BASE64] = EBADMSG,	[R_BAD_JSON] = EBADMSG,
	[R_DUPLICATE_MEMBER] = EBADMSG, [R_ALG_NOT_ALLOWED] = EKEYREJECTED,
	[R_BAD_TYP] = EBADMSG,		[R_CRIT_UNSUPPORTED] = EBADMSG,
	[R_UNKNOWN_KID] = EKEYREJECTED, [R_BAD_SIGNATURE] = EKEYREJECTED,
	[R_BAD_CLAIMS] = EBADMSG,	[R_WRONG_DOMAIN] = EACCES,
	[R_WRONG_AUDIENCE] = EACCES,	[R_EXPIRED] = EKEYEXPIRED,
	[R_NOT_YET_VALID] = EACCES,	[R_TTL_TOO_LONG] = EACCES,
	[R_BAD_POLICY] = EINVAL,	[R_INTERNAL] = EIO,
};

const char *const *lg_token_reasons(void)
{
	return reason_names;
}

/* Record @r in *@why and a message (printable ASCII), and return its negative errno. */
static int refuse(const char **why, enum reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(const char **why, enum reason r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Token bytes end up in logs: no newline or escape may forge a log line. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	*why = reason_names[r];
	return lg_err(-reason_errno[r], "token refused (%s): %s", reason_names[r], msg);
}

static int oom(const char **why)
{
	*why = reason_names[R_INTERNAL];
	return lg_err(-ENOMEM, "token refused (internal): out of memory");
}

/* ---- the compact serialization ------------------------------------------ */

/**
 * struct jws - a token taken apart.
 * @seg, @seg_len: the three segments as received (header, payload, signature).
 * @raw, @raw_len: their base64url-decoded bytes.
 */
struct jws {
	const char *seg[3];
	size_t seg_len[3];
	unsigned char *raw[3];
	size_t raw_len[3];
	json_t *header, *claims;
};

static const char *const seg_names[3] = { "header", "payload", "signature" };

static void jws_release(struct jws *j)
{
	for (int i = 0; i < 3; i++)
		free(j->raw[i]);
	json_decref(j->header);
	json_decref(j->claims);
}

/* Exactly three segments: a JWE has five, a JWS always three (even unsigned). */
static int jws_split(const char *token, size_t len, struct jws *j, const char **why)
{
	const char *p = token, *end = token + len;
	size_t n = 0;

	for (const char *q = token; q < end; q++)
		n += *q == '.';
	if (!n)
		return refuse(why, R_MALFORMED,
			      "no '.': a JWS compact token is HEADER.PAYLOAD.SIGNATURE");
	if (n != 2)
		return refuse(
			why, R_MALFORMED,
			"%zu segments: a JWS compact token has exactly 3, HEADER.PAYLOAD.SIGNATURE",
			n + 1);
	for (int i = 0; i < 3; i++) {
		const char *dot = memchr(p, '.', end - p);

		j->seg[i] = p;
		j->seg_len[i] = (dot ? dot : end) - p;
		if (dot)
			p = dot + 1;
	}
	return 0;
}

static int jws_decode_segments(struct jws *j, const char **why)
{
	for (int i = 0; i < 3; i++) {
		int err = lg_b64url_decode(j->seg[i], j->seg_len[i], &j->raw[i], &j->raw_len[i]);

		if (err == -ENOMEM)
			return oom(why);
		if (err)
			return refuse(why, R_BAD_BASE64, "%s segment: %s", seg_names[i],
				      lg_errmsg());
	}
	return 0;
}

/*
 * Parse a JSON object, refusing duplicate members. RFC 7515 section 5.2 and
 * RFC 7519 section 4 also allow keeping the last one, but then two parsers
 * (the issuer's audit log and ours) could read two different tokens.
 */
static int json_object_decode(const unsigned char *buf, size_t len, const char *what, json_t **out,
			      const char **why)
{
	json_error_t e;
	json_t *v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &e);

	if (!v && json_error_code(&e) == json_error_duplicate_key)
		return refuse(why, R_DUPLICATE_MEMBER, "the %s has a duplicate member: %s", what,
			      e.text);
	if (!v && json_error_code(&e) == json_error_out_of_memory)
		return oom(why);
	if (!v)
		return refuse(why, R_BAD_JSON, "the %s is not valid JSON: %s (byte %d)", what,
			      e.text, e.position);
	if (!json_is_object(v)) {
		json_decref(v);
		return refuse(why, R_BAD_JSON, "the %s is JSON but not an object", what);
	}
	*out = v;
	return 0;
}

static int jws_parse(const char *token, size_t len, size_t max, struct jws *j, const char **why)
{
	int err;

	if (len > max)
		return refuse(why, R_TOO_LARGE, "%zu bytes, the limit is %zu", len, max);
	err = jws_split(token, len, j, why);
	if (!err)
		err = jws_decode_segments(j, why);
	if (!err)
		err = json_object_decode(j->raw[0], j->raw_len[0], "header", &j->header, why);
	return err;
}

/* ---- the header ------------------------------------------------------------ */

/* RFC 7515 section 4.1.9: "livegrant+jwt" means "application/livegrant+jwt";
 * media types compare case-insensitively. */
static bool typ_ok(const char *typ)
{
	if (!strncasecmp(typ, "application/", 12))
		typ += 12;
	return !strcasecmp(typ, LG_TOKEN_TYP);
}

static int header_alg(json_t *h, enum lg_jws_alg *alg, const char **why)
{
	json_t *v = json_object_get(h, "alg");

	if (!json_is_string(v))
		return refuse(why, R_ALG_NOT_ALLOWED, "the header has no \"alg\" string");
	*alg = lg_jws_alg_parse(json_string_value(v));
	if (*alg == LG_JWS_ALG_NONE)
		return refuse(
			why, R_ALG_NOT_ALLOWED,
			"alg \"%.32s\" is not accepted: only EdDSA and ES256, and only the algorithm of the trusted key",
			json_string_value(v));
	return 0;
}

static int header_typ(json_t *h, const char **why)
{
	const char *typ = json_string_value(json_object_get(h, "typ"));

	if (!typ)
		return refuse(why, R_BAD_TYP,
			      "the header has no \"typ\" string: grant tokens carry typ \"%s\"",
			      LG_TOKEN_TYP);
	if (!typ_ok(typ))
		return refuse(why, R_BAD_TYP,
			      "typ \"%.64s\" is not \"%s\": this is another kind of token", typ,
			      LG_TOKEN_TYP);
	return 0;
}

static int header_key(json_t *h, const struct lg_trust_bundle *b, enum lg_jws_alg alg,
		      const struct lg_trust_key **key, const char **why)
{
	json_t *v = json_object_get(h, "kid");
	const char *kid = json_string_value(v);

	if (v && !kid)
		return refuse(why, R_UNKNOWN_KID, "\"kid\" is not a string");
	*key = lg_trust_bundle_find(b, kid);
	if (!*key && !kid)
		return refuse(
			why, R_UNKNOWN_KID,
			"the header has no \"kid\": trust bundle %s is a JWKS, a kid selects its key",
			b->path);
	if (!*key)
		return refuse(
			why, R_UNKNOWN_KID,
			"kid \"%.64s\" is not in trust bundle %s (a key of another domain, or a bundle that is not current)",
			kid, b->path);
	if ((*key)->alg != alg)
		return refuse(
			why, R_ALG_NOT_ALLOWED,
			"alg \"%s\" is not the algorithm of the trusted key (%s): algorithm confusion",
			lg_jws_alg_name(alg), lg_jws_alg_name((*key)->alg));
	return 0;
}

static int header_check(json_t *h, const struct lg_trust_bundle *b, const struct lg_trust_key **key,
			const char **why)
{
	enum lg_jws_alg alg;
	int err;

	err = header_alg(h, &alg, why);
	if (!err)
		err = header_typ(h, why);
	/* We implement no extension, so any "crit" names one we do not understand. */
	if (!err && json_object_get(h, "crit"))
		err = refuse(why, R_CRIT_UNSUPPORTED,
			     "the header has \"crit\": no JWS extension is supported");
	if (!err)
		err = header_key(h, b, alg, key, why);
	return err;
}

static int signature_check(const struct jws *j, const struct lg_trust_key *key, const char **why)
{
	/* The signing input is the received "HEADER.PAYLOAD", never a re-encoding. */
	size_t len = j->seg_len[0] + 1 + j->seg_len[1];
	int err = lg_jws_verify(key, j->seg[0], len, j->raw[2], j->raw_len[2]);

	if (err == -EBADMSG)
		return refuse(why, R_BAD_SIGNATURE, "%s (kid \"%s\")", lg_errmsg(),
			      key->kid ? key->kid : "(PEM key)");
	if (err)
		return refuse(why, R_INTERNAL, "%s", lg_errmsg());
	return 0;
}

/* ---- claims ------------------------------------------------------------------ */

static int claim_string(json_t *c, const char *name, bool required, char **out, const char **why)
{
	json_t *v = json_object_get(c, name);

	if (!v && !required)
		return 0;
	if (!v)
		return refuse(why, R_BAD_CLAIMS, "the required claim \"%s\" is missing", name);
	if (!json_is_string(v))
		return refuse(why, R_BAD_CLAIMS, "claim \"%s\" must be a string", name);
	if (required && !json_string_length(v))
		return refuse(why, R_BAD_CLAIMS, "claim \"%s\" must not be empty", name);
	/* No NUL inside: jansson refuses "\u0000" unless asked to allow it. */
	*out = strdup(json_string_value(v));
	return *out ? 0 : oom(why);
}

/* A NumericDate, in whole seconds since the epoch, not before it. */
static int claim_time(json_t *c, const char *name, bool required, int64_t *out, bool *has,
		      const char **why)
{
	json_t *v = json_object_get(c, name);

	if (has)
		*has = v != NULL;
	if (!v && !required)
		return 0;
	if (!v)
		return refuse(why, R_BAD_CLAIMS, "the required claim \"%s\" is missing", name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return refuse(
			why, R_BAD_CLAIMS,
			"claim \"%s\" must be a non-negative integer (seconds since the epoch)",
			name);
	*out = json_integer_value(v);
	return 0;
}

/* "aud": a string or an array of strings (RFC 7519 section 4.1.3). */
static int claim_aud_type(json_t *c, const char **why)
{
	json_t *aud = json_object_get(c, "aud");

	if (!aud || json_is_string(aud))
		return 0;
	if (!json_is_array(aud))
		return refuse(why, R_BAD_CLAIMS,
			      "claim \"aud\" must be a string or an array of strings");
	for (size_t i = 0; i < json_array_size(aud); i++)
		if (!json_is_string(json_array_get(aud, i)))
			return refuse(why, R_BAD_CLAIMS, "claim \"aud\"[%zu] must be a string", i);
	return 0;
}

static int strv_from_json(json_t *arr, const char *name, struct lg_token_strv *out,
			  const char **why)
{
	size_t n = json_array_size(arr);

	if (!json_is_array(arr))
		return refuse(why, R_BAD_CLAIMS, "claim \"allow.%s\" must be an array of strings",
			      name);
	/* One more: the list is also NULL-terminated. */
	out->v = calloc(n + 1, sizeof(*out->v));
	if (!out->v)
		return oom(why);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);

		if (!json_is_string(v))
			return refuse(why, R_BAD_CLAIMS, "claim \"allow.%s\"[%zu] must be a string",
				      name, i);
		out->v[i] = strdup(json_string_value(v));
		if (!out->v[i])
			return oom(why);
		out->n++;
	}
	return 0;
}

static int claim_allow(json_t *c, struct lg_token *t, const char **why)
{
	json_t *allow = json_object_get(c, "allow");

	if (!allow)
		return refuse(
			why, R_BAD_CLAIMS,
			"the required claim \"allow\" is missing (an object, {} to grant only the baseline)");
	if (!json_is_object(allow))
		return refuse(why, R_BAD_CLAIMS, "claim \"allow\" must be an object");
	/* An unknown list is refused: the issuer meant a grant we cannot give. */
	for (void *it = json_object_iter(allow); it; it = json_object_iter_next(allow, it)) {
		const char *name = json_object_iter_key(it);
		int kind = lg_rule_kind_by_name(name);
		int err;

		if (kind < 0)
			return refuse(why, R_BAD_CLAIMS,
				      "\"allow.%.64s\" is unknown: allow holds %s", name,
				      lg_rule_kind_list());
		err = strv_from_json(json_object_iter_value(it), name, &t->rules[kind], why);
		if (err)
			return err;
	}
	return 0;
}

static int workload_uid(json_t *v, struct lg_token *t, const char **why)
{
	json_int_t uid = json_integer_value(v);

	/* (uid_t)-1 is no user: chown(2) and setreuid(2) use it for "unchanged". */
	if (!json_is_integer(v) || uid < 0 || uid >= (json_int_t)UINT32_MAX)
		return refuse(why, R_BAD_CLAIMS,
			      "claim \"workload.uid\" must be an integer from 0 to 4294967294");
	t->workload.has_uid = true;
	t->workload.uid = (uint32_t)uid;
	return 0;
}

static int workload_sha256(json_t *v, struct lg_token *t, const char **why)
{
	const char *s = json_string_value(v);
	size_t i;

	if (!s || json_string_length(v) != 64)
		return refuse(why, R_BAD_CLAIMS,
			      "claim \"workload.exe_sha256\" must be a string of 64 hex digits");
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return refuse(
				why, R_BAD_CLAIMS,
				"claim \"workload.exe_sha256\" has a non-hex character at %zu", i);
		t->workload.exe_sha256[i] = tolower((unsigned char)s[i]);
	}
	t->workload.exe_sha256[64] = 0;
	t->workload.has_exe_sha256 = true;
	return 0;
}

static int claim_workload(json_t *c, struct lg_token *t, const char **why)
{
	json_t *w = json_object_get(c, "workload");

	if (!w)
		return 0;
	if (!json_is_object(w))
		return refuse(why, R_BAD_CLAIMS, "claim \"workload\" must be an object");
	/* An unknown selector is refused: ignoring it would loosen the grant. */
	for (void *it = json_object_iter(w); it; it = json_object_iter_next(w, it)) {
		const char *name = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);
		int err;

		if (!strcmp(name, "uid"))
			err = workload_uid(v, t, why);
		else if (!strcmp(name, "exe_sha256"))
			err = workload_sha256(v, t, why);
		else
			err = refuse(
				why, R_BAD_CLAIMS,
				"\"workload.%.64s\" is not a selector livegrantd can check (uid, exe_sha256)",
				name);
		if (err)
			return err;
	}
	return 0;
}

static int claim_times(json_t *c, struct lg_token *tok, const char **why)
{
	struct lg_token_times *t = &tok->times;
	int64_t start;
	int err;

	err = claim_time(c, "exp", true, &t->exp, NULL, why);
	if (!err)
		err = claim_time(c, "nbf", false, &t->nbf, &t->has_nbf, why);
	if (!err)
		err = claim_time(c, "iat", false, &t->iat, &t->has_iat, why);
	if (err || (!t->has_iat && !t->has_nbf))
		return err;
	start = t->has_iat ? t->iat : t->nbf;
	if (t->has_nbf && t->nbf > start)
		start = t->nbf;
	if (t->exp <= start)
		return refuse(why, R_BAD_CLAIMS,
			      "exp %lld is not after iat/nbf %lld: the token is never valid",
			      (long long)t->exp, (long long)start);
	return 0;
}

static int claims_parse(json_t *c, struct lg_token *t, const char **why)
{
	int err;

	err = claim_string(c, "sub", true, &t->sub, why);
	if (!err)
		err = claim_string(c, "jti", true, &t->jti, why);
	if (!err)
		err = claim_string(c, "domain", true, &t->domain, why);
	if (!err)
		err = claim_string(c, "iss", false, &t->iss, why);
	if (!err)
		err = claim_string(c, "task", false, &t->task, why);
	if (!err)
		err = claim_aud_type(c, why);
	if (!err)
		err = claim_times(c, t, why);
	if (!err)
		err = claim_allow(c, t, why);
	if (!err)
		err = claim_workload(c, t, why);
	return err;
}

/* ---- claims against the policy ------------------------------------------------- */

static int check_audience(json_t *c, struct lg_token *t, const char *audience, const char **why)
{
	json_t *aud = json_object_get(c, "aud");
	bool match = false;

	if (!aud)
		return refuse(why, R_WRONG_AUDIENCE,
			      "the token has no \"aud\": it must name this node, \"%s\"", audience);
	if (json_is_string(aud))
		match = !strcmp(json_string_value(aud), audience);
	/* An array holds only strings here: claim_aud_type() checked. */
	for (size_t i = 0; i < json_array_size(aud) && !match; i++)
		match = !strcmp(json_string_value(json_array_get(aud, i)), audience);
	if (!match)
		return refuse(
			why, R_WRONG_AUDIENCE,
			"\"aud\" does not name this node, \"%s\": the token is for another audience",
			audience);
	t->aud = strdup(audience);
	return t->aud ? 0 : oom(why);
}

/* exp, nbf and iat against @p->now, with @p->leeway_s of clock skew. */
static int check_times(const struct lg_token_times *t, const struct lg_token_policy *p,
		       const char **why)
{
	uint64_t leeway = p->leeway_s;
	int64_t now = p->now;

	/* All values are >= 0, so the differences cannot overflow. */
	if (now >= t->exp && (uint64_t)(now - t->exp) >= leeway)
		return refuse(why, R_EXPIRED, "exp %lld is %lld s ago (leeway %llu s)",
			      (long long)t->exp, (long long)(now - t->exp),
			      (unsigned long long)leeway);
	if (t->has_nbf && t->nbf > now && (uint64_t)(t->nbf - now) > leeway)
		return refuse(why, R_NOT_YET_VALID, "nbf %lld is %lld s ahead (leeway %llu s)",
			      (long long)t->nbf, (long long)(t->nbf - now),
			      (unsigned long long)leeway);
	if (t->has_iat && t->iat > now && (uint64_t)(t->iat - now) > leeway)
		return refuse(why, R_NOT_YET_VALID,
			      "iat %lld is %lld s ahead: issued in the future (leeway %llu s)",
			      (long long)t->iat, (long long)(t->iat - now),
			      (unsigned long long)leeway);
	return 0;
}

/*
 * The lifetime runs from max(iat, nbf) to exp; without either, from now, so
 * leaving them out cannot lift the cap.
 */
static int check_ttl(const struct lg_token_times *t, const struct lg_token_policy *p,
		     const char **why)
{
	int64_t start = p->now;
	uint64_t life;

	if (t->has_iat || t->has_nbf) {
		start = t->has_iat ? t->iat : t->nbf;
		if (t->has_nbf && t->nbf > start)
			start = t->nbf;
	}
	life = t->exp > start ? (uint64_t)(t->exp - start) : 0;
	if (life > p->max_ttl_s)
		return refuse(why, R_TTL_TOO_LONG,
			      "lifetime %llu s exceeds the domain's max_ttl of %llu s",
			      (unsigned long long)life, (unsigned long long)p->max_ttl_s);
	return 0;
}

static int claims_check(json_t *c, struct lg_token *t, const struct lg_token_policy *p,
			const char **why)
{
	int err;

	if (strcmp(t->domain, p->domain))
		return refuse(why, R_WRONG_DOMAIN,
			      "domain \"%.64s\" is not \"%s\", the domain whose keys verified it",
			      t->domain, p->domain);
	err = check_audience(c, t, p->audience, why);
	if (!err)
		err = check_times(&t->times, p, why);
	if (!err)
		err = check_ttl(&t->times, p, why);
	return err;
}

/* ---- verification ---------------------------------------------------------------- */

static int check_args(const char *token, const struct lg_trust_bundle *b,
		      const struct lg_token_policy *p, const char **why)
{
	if (!token || !b || !p)
		return refuse(why, R_BAD_POLICY, "no token, trust bundle or policy given");
	if (!p->audience || !*p->audience || !p->domain || !*p->domain)
		return refuse(why, R_BAD_POLICY, "the policy has no audience or domain");
	if (!p->max_ttl_s)
		return refuse(why, R_BAD_POLICY, "the policy's max_ttl is 0: no token could pass");
	if (p->now < 0)
		return refuse(why, R_BAD_POLICY, "the policy's clock is before the epoch");
	return 0;
}

static int token_build(const struct jws *j, const struct lg_trust_key *key,
		       const struct lg_token_policy *p, struct lg_token **out, const char **why)
{
	const char *kid = json_string_value(json_object_get(j->header, "kid"));
	struct lg_token *t = calloc(1, sizeof(*t));
	int err;

	*out = t;
	if (!t)
		return oom(why);
	t->alg = strdup(lg_jws_alg_name(key->alg));
	t->kid = kid ? strdup(kid) : NULL;
	if (!t->alg || (kid && !t->kid))
		return oom(why);
	t->claims = json_incref(j->claims);
	err = claims_parse(j->claims, t, why);
	if (!err)
		err = claims_check(j->claims, t, p, why);
	return err;
}

int lg_token_verify(const char *token, size_t len, const struct lg_trust_bundle *bundle,
		    const struct lg_token_policy *policy, struct lg_token **out,
		    const char **reason)
{
	const struct lg_trust_key *key = NULL;
	struct lg_token *t = NULL;
	struct jws j = { 0 };
	const char *why = NULL;
	int err;

	*out = NULL;
	err = check_args(token, bundle, policy, &why);
	if (!err)
		err = jws_parse(token, len,
				policy->max_bytes ? policy->max_bytes : LG_TOKEN_MAX_BYTES, &j,
				&why);
	if (!err)
		err = header_check(j.header, bundle, &key, &why);
	if (!err && !policy->signature_known_good)
		err = signature_check(&j, key, &why);
	/* Only now, with the signature good, is the payload read. */
	if (!err)
		err = json_object_decode(j.raw[1], j.raw_len[1], "payload", &j.claims, &why);
	if (!err)
		err = token_build(&j, key, policy, &t, &why);
	jws_release(&j);
	if (reason)
		*reason = why;
	if (err) {
		lg_token_free(t);
		return err;
	}
	*out = t;
	return 0;
}

int lg_token_check_times(const struct lg_token_times *times, const struct lg_token_policy *policy,
			 const char **reason)
{
	const char *why = NULL;
	int err = 0;

	if (!times || !policy || policy->now < 0)
		err = refuse(&why, R_BAD_POLICY, "no token times or no clock given");
	if (!err)
		err = check_times(times, policy, &why);
	if (!err)
		err = check_ttl(times, policy, &why);
	if (reason)
		*reason = why;
	return err;
}

int lg_token_peek_domain(const char *token, size_t len, char *domain, size_t size,
			 const char **reason)
{
	struct jws j = { 0 };
	const char *why = NULL, *d;
	int err = 0;

	if (!token || !domain || !size)
		err = refuse(&why, R_BAD_POLICY, "no token or no room for the domain");
	if (!err)
		err = jws_split(token, len, &j, &why);
	if (!err)
		err = jws_decode_segments(&j, &why);
	if (!err)
		err = json_object_decode(j.raw[1], j.raw_len[1], "payload", &j.claims, &why);
	d = err ? NULL : json_string_value(json_object_get(j.claims, "domain"));
	if (!err && !d)
		err = refuse(&why, R_BAD_CLAIMS, "the claim \"domain\" is missing or not a string");
	if (!err && strlen(d) >= size)
		err = refuse(&why, R_BAD_CLAIMS, "the claim \"domain\" is longer than %zu bytes",
			     size - 1);
	if (!err)
		memcpy(domain, d, strlen(d) + 1);
	jws_release(&j);
	if (reason)
		*reason = why;
	return err;
}

static void strv_free(struct lg_token_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

void lg_token_free(struct lg_token *t)
{
	if (!t)
		return;
	free(t->alg);
	free(t->kid);
	free(t->iss);
	free(t->sub);
	free(t->aud);
	free(t->jti);
	free(t->domain);
	free(t->task);
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++)
		strv_free(&t->rules[k]);
	json_decref(t->claims);
	free(t);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bundle_fetch.h - the fetcher of trust bundles that are https URLs: one
 * thread, with no capabilities, that GETs a domain's JWKS when asked and
 * parses it (lg_trust_bundle_parse(), fetched), so that neither a slow
 * issuer nor a hostile document ever holds up the event loop. It touches
 * nothing but its own queue; what a result does is trust_bundles.c's.
 * One fetch at a time, in the order asked: a domain whose issuer hangs
 * delays the others by at most its timeout.
 */
#ifndef LGD_BUNDLE_FETCH_H
#define LGD_BUNDLE_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "token.h"

/* How a fetch ended; bundle_fetch.c names each (status, metrics, the log). */
#define LGD_FETCH_RESULTS(X)                                                       \
	X(OK, "ok") /* a JWKS, parsed, with at least one usable key */             \
	X(UNREACHABLE, "unreachable") /* no connection: refused, no route, DNS */  \
	X(TIMEOUT, "timeout") /* no whole answer within timeout */                 \
	X(TLS, "tls") /* the server's certificate did not verify, or TLS failed */ \
	X(HTTP_STATUS, "http_status") /* another status than 200 */                \
	X(TOO_LARGE, "too_large") /* an answer past LG_TRUST_BUNDLE_MAX_BYTES */   \
	X(BAD_DOCUMENT, "bad_document") /* not a JWKS we can use: refused whole */ \
	X(INTERNAL, "internal") /* out of memory, libcurl setup, capabilities kept */

#define LGD_FETCH_ENUM(name, str) LGD_FETCH_##name,
enum lgd_fetch_result { LGD_FETCH_RESULTS(LGD_FETCH_ENUM) LGD_FETCH_RESULT_MAX };
#undef LGD_FETCH_ENUM

/* "ok", "unreachable", ... for @kind; "internal" when out of range. */
static inline const char *lgd_fetch_result_name(unsigned int kind)
{
#define LGD_FETCH_NAME(name, str) [LGD_FETCH_##name] = str,
	static const char *const names[] = { LGD_FETCH_RESULTS(LGD_FETCH_NAME) };
#undef LGD_FETCH_NAME
	_Static_assert(sizeof(names) / sizeof(names[0]) == LGD_FETCH_RESULT_MAX,
		       "every fetch result has a name");

	return kind < LGD_FETCH_RESULT_MAX ? names[kind] : "internal";
}

/* What to fetch: @id is the caller's (a domain's index); strings are copied. */
struct lgd_fetch_job {
	size_t id;
	const char *url;
	const char *ca_file; /* NULL: the system's CAs */
	unsigned int timeout_s;
};

/**
 * struct lgd_fetch_done - one fetch's outcome.
 * @bundle: the parsed bundle (OK only), now the taker's.
 * @doc, @len: the document as fetched (OK only), malloc'd, NUL-terminated.
 * @error:  what went wrong ("" when OK).
 * @at_ns:  CLOCK_BOOTTIME when the fetch ended.
 */
struct lgd_fetch_done {
	size_t id;
	enum lgd_fetch_result kind;
	struct lg_trust_bundle *bundle;
	char *doc;
	size_t len;
	char error[768];
	uint64_t at_ns;
	struct lgd_fetch_done *next; /* the fetcher's list */
};

struct lgd_fetcher;

/* Start the thread, for ids below @n. */
int lgd_fetcher_start(size_t n, struct lgd_fetcher **out);
/* Readable (EPOLLIN) while a result waits for lgd_fetcher_take(). */
int lgd_fetcher_fd(const struct lgd_fetcher *f);
/* Queue @job, after those queued before; one already queued for its id is replaced. */
int lgd_fetcher_ask(struct lgd_fetcher *f, const struct lgd_fetch_job *job);
/* The oldest result not taken yet, or NULL. */
struct lgd_fetch_done *lgd_fetcher_take(struct lgd_fetcher *f);
void lgd_fetch_done_free(struct lgd_fetch_done *r);
/* Stop the thread (a fetch under way is aborted) and free everything. */
void lgd_fetcher_stop(struct lgd_fetcher *f);

#endif /* LGD_BUNDLE_FETCH_H */

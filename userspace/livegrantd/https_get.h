/* SPDX-License-Identifier: GPL-2.0 */
/*
 * https_get.h - one GET over HTTPS with libcurl, for livegrantd's clients
 * (the kubelet's pod list, kubelet.c; an issuer's JWKS, bundle_fetch.c):
 * https only, the peer's certificate and host name verified, a cap on the
 * body, a whole-request timeout, and an abort when the caller stops. It
 * runs on the caller's thread and touches nothing else.
 */
#ifndef LGD_HTTPS_GET_H
#define LGD_HTTPS_GET_H

#include <stdbool.h>
#include <stddef.h>

/* How a GET ended, before anything looks at the body. */
enum lgd_https_kind {
	LGD_HTTPS_OK, /* a whole answer; its status in @status */
	LGD_HTTPS_UNREACHABLE, /* no connection: refused, no route, DNS, cut off */
	LGD_HTTPS_TIMEOUT, /* no whole answer within the timeout */
	LGD_HTTPS_TLS, /* the certificate did not verify, or TLS failed */
	LGD_HTTPS_TOO_LARGE, /* an answer past max_body */
	LGD_HTTPS_INTERNAL, /* out of memory, libcurl setup */
};

/**
 * struct lgd_https_req - what to get, and how.
 * @url:       https://... (anything else is refused by libcurl).
 * @ca_file:   the only CAs that may vouch for the server; NULL: the
 *             system's store (an issuer with a public certificate).
 * @headers:   extra request headers, NULL-terminated; may be NULL.
 * @timeout_s: the whole request; connecting gets at most 5 s of it.
 * @max_body:  a longer answer is LGD_HTTPS_TOO_LARGE, read no further.
 * @redirects: follow up to this many redirects, to https only.
 * @no_proxy:  never through a proxy (the environment's are used otherwise).
 * @stop:      when it reads true, a transfer under way is aborted.
 */
struct lgd_https_req {
	const char *url;
	const char *ca_file;
	const char *const *headers;
	unsigned int timeout_s;
	size_t max_body;
	long redirects;
	bool no_proxy;
	const bool *stop;
};

/**
 * struct lgd_https_resp - the outcome.
 * @kind:   how it ended.
 * @status: the HTTP status (LGD_HTTPS_OK only).
 * @body:   the answer, NUL-terminated, malloc'd (LGD_HTTPS_OK only).
 * @error:  "GET URL: what went wrong" ("" when OK).
 */
struct lgd_https_resp {
	enum lgd_https_kind kind;
	long status;
	char *body;
	size_t len;
	char error[512];
};

/* GET @r->url into @out (which lgd_https_resp_free() then frees). */
void lgd_https_get(const struct lgd_https_req *r, struct lgd_https_resp *out);
void lgd_https_resp_free(struct lgd_https_resp *out);

/*
 * Drop every capability of the calling thread (they are per thread): a
 * thread that parses what the network sends needs none of the daemon's.
 */
bool lgd_thread_drop_caps(void);

#endif /* LGD_HTTPS_GET_H */

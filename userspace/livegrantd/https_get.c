// SPDX-License-Identifier: GPL-2.0
/* https_get.c - see https_get.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include <curl/curl.h>

#include "https_get.h"

/* Connecting is quick or not at all: the rest of the timeout is for the answer. */
#define CONNECT_TIMEOUT_S 5

struct body {
	char *buf;
	size_t len, cap, max;
	bool too_large, oom;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t len = size * n;

	if (b->len + len > b->max) {
		b->too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16 << 10;
		char *t;

		while (cap < b->len + len + 1)
			cap *= 2;
		t = realloc(b->buf, cap);
		if (!t) {
			b->oom = true;
			return 0;
		}
		b->buf = t;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = 0;
	return len;
}

/* Abort a transfer under way when the caller stops. */
static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const bool *stop = ctx;

	(void)a, (void)b, (void)c, (void)d;
	return stop && __atomic_load_n(stop, __ATOMIC_RELAXED);
}

static enum lgd_https_kind curl_kind(CURLcode rc, const struct body *b)
{
	if (b->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return LGD_HTTPS_TOO_LARGE;
	if (b->oom || rc == CURLE_OUT_OF_MEMORY)
		return LGD_HTTPS_INTERNAL;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return LGD_HTTPS_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return LGD_HTTPS_TLS;
	default:
		/* Refused, no route, DNS, cut off, a redirect elsewhere: no answer. */
		return LGD_HTTPS_UNREACHABLE;
	}
}

static int set_options(CURL *c, const struct lgd_https_req *r, struct curl_slist *hdr,
		       struct body *b)
{
	long t = (long)r->timeout_s;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_URL, r->url);
	/* https only, also where a redirect leads. */
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, r->redirects > 0 ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, r->redirects);
	if (r->no_proxy)
		SET(CURLOPT_NOPROXY, "*");
	/* A CA file: it, and nothing else. None: the system's store. */
	if (r->ca_file) {
		SET(CURLOPT_CAINFO, r->ca_file);
		SET(CURLOPT_CAPATH, NULL);
	}
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_HTTPHEADER, hdr);
	SET(CURLOPT_TIMEOUT, t);
	SET(CURLOPT_CONNECTTIMEOUT, t < CONNECT_TIMEOUT_S ? t : CONNECT_TIMEOUT_S);
	SET(CURLOPT_NOSIGNAL, 1L); /* a thread: no SIGALRM for DNS timeouts */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, b);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, (void *)r->stop);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

void lgd_https_get(const struct lgd_https_req *r, struct lgd_https_resp *out)
{
	struct body b = { .max = r->max_body };
	struct curl_slist *hdr = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	out->kind = LGD_HTTPS_INTERNAL;
	snprintf(out->error, sizeof(out->error),
		 "GET %.300s: out of memory, or libcurl could not start", r->url);
	for (size_t i = 0; c && r->headers && r->headers[i]; i++) {
		struct curl_slist *t = curl_slist_append(hdr, r->headers[i]);

		if (!t)
			goto out;
		hdr = t;
	}
	if (!c || set_options(c, r, hdr, &b))
		goto out;
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		out->kind = curl_kind(rc, &b);
		snprintf(out->error, sizeof(out->error), "GET %.300s: %s", r->url,
			 out->kind == LGD_HTTPS_TOO_LARGE ? "the answer is larger than its cap" :
			 b.oom				  ? "out of memory for the answer" :
							    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->kind = LGD_HTTPS_OK;
	out->error[0] = 0;
	out->body = b.buf ? b.buf : strdup("");
	out->len = b.len;
	b.buf = NULL;
	if (!out->body) {
		out->kind = LGD_HTTPS_INTERNAL;
		snprintf(out->error, sizeof(out->error), "GET %.300s: out of memory", r->url);
	}
out:
	free(b.buf);
	curl_slist_free_all(hdr);
	if (c)
		curl_easy_cleanup(c);
}

void lgd_https_resp_free(struct lgd_https_resp *out)
{
	free(out->body);
	out->body = NULL;
	out->len = 0;
}

bool lgd_thread_drop_caps(void)
{
	cap_t none = cap_init();
	bool ok = none && !cap_set_proc(none);

	cap_free(none);
	return ok;
}

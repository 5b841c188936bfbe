// SPDX-License-Identifier: GPL-2.0
/* bundle_fetch.c - see bundle_fetch.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <curl/curl.h>

#include "livegrant.h"
#include "bundle_fetch.h"
#include "https_get.h"
#include "token_internal.h"

/* An OIDC provider may move its keys behind a redirect; a few, https only. */
#define FETCH_REDIRECTS 3

struct job {
	bool queued;
	uint64_t seq; /* when it was queued: the oldest goes first */
	char *url, *ca_file;
	unsigned int timeout_s;
};

struct lgd_fetcher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop; /* under lock; also read by a transfer under way */
	struct job *jobs; /* under lock, one per id */
	size_t n;
	uint64_t seq; /* under lock: the last job's */
	struct lgd_fetch_done *done, **done_tail; /* under lock */
	int efd;
};

static enum lgd_fetch_result kind_of(enum lgd_https_kind kind)
{
	switch (kind) {
	case LGD_HTTPS_OK:
		return LGD_FETCH_OK;
	case LGD_HTTPS_UNREACHABLE:
		return LGD_FETCH_UNREACHABLE;
	case LGD_HTTPS_TIMEOUT:
		return LGD_FETCH_TIMEOUT;
	case LGD_HTTPS_TLS:
		return LGD_FETCH_TLS;
	case LGD_HTTPS_TOO_LARGE:
		return LGD_FETCH_TOO_LARGE;
	default:
		return LGD_FETCH_INTERNAL;
	}
}

/* GET and parse one job's JWKS, into @r. */
static void fetch(struct lgd_fetcher *f, const struct job *j, struct lgd_fetch_done *r)
{
	static const char *const headers[] = { "Accept: application/jwk-set+json, application/json",
					       NULL };
	struct lgd_https_req req = {
		.url = j->url,
		.ca_file = j->ca_file,
		.headers = headers,
		.timeout_s = j->timeout_s,
		.max_body = LG_TRUST_BUNDLE_MAX_BYTES,
		.redirects = FETCH_REDIRECTS,
		.stop = &f->stop,
	};
	struct lgd_https_resp resp;

	lgd_https_get(&req, &resp);
	r->kind = kind_of(resp.kind);
	snprintf(r->error, sizeof(r->error), "%s", resp.error);
	if (r->kind == LGD_FETCH_OK && resp.status != 200) {
		r->kind = LGD_FETCH_HTTP_STATUS;
		snprintf(r->error, sizeof(r->error), "GET %.300s: HTTP %ld", j->url, resp.status);
	} else if (r->kind == LGD_FETCH_OK &&
		   lg_trust_bundle_parse(j->url, resp.body, resp.len, true, &r->bundle)) {
		/* A document refused whole: nothing of it reaches the event loop. */
		r->kind = LGD_FETCH_BAD_DOCUMENT;
		snprintf(r->error, sizeof(r->error), "%s", lg_errmsg());
	} else if (r->kind == LGD_FETCH_OK) {
		r->doc = resp.body;
		r->len = resp.len;
		resp.body = NULL;
	}
	lgd_https_resp_free(&resp);
}

static void publish(struct lgd_fetcher *f, struct lgd_fetch_done *r)
{
	uint64_t one = 1;

	pthread_mutex_lock(&f->lock);
	*f->done_tail = r;
	f->done_tail = &r->next;
	pthread_mutex_unlock(&f->lock);
	if (write(f->efd, &one, sizeof(one)) < 0) {
		/* The counter is far from full: the event loop reads it every time. */
	}
}

/* The oldest queued job, taken off the queue; false when stopping. */
static bool next_job(struct lgd_fetcher *f, size_t *id, struct job *out)
{
	bool got = false;

	pthread_mutex_lock(&f->lock);
	while (!f->stop && !got) {
		for (size_t i = 0; i < f->n; i++)
			if (f->jobs[i].queued && (!got || f->jobs[i].seq < f->jobs[*id].seq)) {
				*id = i;
				got = true;
			}
		if (got) {
			*out = f->jobs[*id];
			memset(&f->jobs[*id], 0, sizeof(f->jobs[*id]));
		} else {
			pthread_cond_wait(&f->wake, &f->lock);
		}
	}
	pthread_mutex_unlock(&f->lock);
	return got;
}

static void *fetcher_main(void *arg)
{
	struct lgd_fetcher *f = arg;
	/* Capabilities are per thread: this one parses what the network sends. */
	bool dropped = lgd_thread_drop_caps();
	struct job j;
	size_t id;

	while (next_job(f, &id, &j)) {
		struct lgd_fetch_done *r = calloc(1, sizeof(*r));

		if (r) {
			r->id = id;
			r->kind = LGD_FETCH_INTERNAL;
			if (dropped)
				fetch(f, &j, r);
			else
				snprintf(r->error, sizeof(r->error),
					 "the bundle fetcher could not drop its capabilities");
			r->at_ns = lg_boottime_ns();
			publish(f, r);
		}
		free(j.url);
		free(j.ca_file);
	}
	return NULL;
}

static void free_fetcher(struct lgd_fetcher *f)
{
	while (f->done) {
		struct lgd_fetch_done *r = f->done;

		f->done = r->next;
		lgd_fetch_done_free(r);
	}
	for (size_t i = 0; f->jobs && i < f->n; i++) {
		free(f->jobs[i].url);
		free(f->jobs[i].ca_file);
	}
	free(f->jobs);
	if (f->efd >= 0)
		close(f->efd);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int lgd_fetcher_start(size_t n, struct lgd_fetcher **out)
{
	struct lgd_fetcher *f = calloc(1, sizeof(*f));
	int err;

	*out = NULL;
	if (!f)
		return lg_err(-ENOMEM, "out of memory");
	f->n = n;
	f->done_tail = &f->done;
	f->jobs = calloc(n ? n : 1, sizeof(*f->jobs));
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	err = !f->jobs	 ? lg_err(-ENOMEM, "out of memory") :
	      f->efd < 0 ? lg_err(-errno, "eventfd: %s", strerror(errno)) :
			   0;
	if (!err && curl_global_init(CURL_GLOBAL_DEFAULT))
		err = lg_err(-ENOMEM, "libcurl could not initialize");
	else if (!err) {
		err = -pthread_create(&f->thread, NULL, fetcher_main, f);
		if (err) {
			curl_global_cleanup();
			lg_err(err, "starting the trust bundle fetcher: %s", strerror(-err));
		}
	}
	if (err) {
		free_fetcher(f);
		return err;
	}
	*out = f;
	return 0;
}

int lgd_fetcher_fd(const struct lgd_fetcher *f)
{
	return f->efd;
}

int lgd_fetcher_ask(struct lgd_fetcher *f, const struct lgd_fetch_job *job)
{
	char *url = strdup(job->url), *ca = job->ca_file ? strdup(job->ca_file) : NULL;
	struct job *j;

	if (job->id >= f->n || !url || (job->ca_file && !ca)) {
		free(url);
		free(ca);
		return lg_err(job->id >= f->n ? -EINVAL : -ENOMEM, "cannot queue a fetch of %s",
			      job->url);
	}
	pthread_mutex_lock(&f->lock);
	j = &f->jobs[job->id];
	free(j->url);
	free(j->ca_file);
	*j = (struct job){ .queued = true,
			   .seq = ++f->seq,
			   .url = url,
			   .ca_file = ca,
			   .timeout_s = job->timeout_s };
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

struct lgd_fetch_done *lgd_fetcher_take(struct lgd_fetcher *f)
{
	struct lgd_fetch_done *r;
	uint64_t v;

	if (read(f->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new since the last take; the list says so too. */
	}
	pthread_mutex_lock(&f->lock);
	r = f->done;
	if (r) {
		f->done = r->next;
		if (!f->done)
			f->done_tail = &f->done;
		r->next = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

void lgd_fetch_done_free(struct lgd_fetch_done *r)
{
	if (!r)
		return;
	lg_trust_bundle_free(r->bundle);
	free(r->doc);
	free(r);
}

void lgd_fetcher_stop(struct lgd_fetcher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	__atomic_store_n(&f->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	free_fetcher(f);
	curl_global_cleanup();
}

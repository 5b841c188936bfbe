/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trust_bundles.h - each trust domain's bundle of issuer keys, as the
 * admission pipeline verifies tokens with it: a file, read once at start,
 * or an https URL of a JWKS (an OIDC jwks_uri, a SPIFFE bundle endpoint),
 * fetched by bundle_fetch.c and refreshed:
 *   - every trust_bundle_fetch.refresh (sooner for a SPIFFE
 *     spiffe_refresh_hint), and when a token names a kid the bundle lacks
 *     (lgd_bundles_kid_miss()), never two fetches closer than min_interval;
 *   - a failure (no answer, bad TLS, another status, a document refused
 *     whole) changes no key: the last good bundle stays, and the failure is
 *     in status, the metrics and the log, with its reason;
 *   - the last good bundle is kept until max_age after its fetch, never
 *     beyond: then the domain has no keys, and its tokens are refused
 *     (no_trust_bundle) until a fetch succeeds;
 *   - the last good document is kept in <state_dir>/bundles/DOMAIN.json,
 *     so that a restart during an issuer's outage keeps it (to max_age).
 * Every change of a domain's keys gets a new generation, so that a token
 * verified under the old keys is verified again in full (admission.c).
 */
#ifndef LGD_TRUST_BUNDLES_H
#define LGD_TRUST_BUNDLES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bundle_fetch.h"
#include "config.h"
#include "token.h"

struct lgd;

/**
 * struct lgd_bundle - one domain's bundle.
 * @b:          the keys in force; NULL: none (a URL never fetched, or past
 *              max_age).
 * @gen:        changes whenever @b does; never 0, never reused.
 * @doc:        a URL's last good document, as fetched (the cache).
 * @expires_ns: CLOCK_BOOTTIME at which @b reaches max_age (URL, @b set).
 * @fetched_wall: when @b was fetched, in wall-clock seconds, for the cache.
 * @next_ns:    the next fetch is due then; @in_flight: one is under way.
 * @attempt_ns: when the last one was asked for.
 * @failures:   failed fetches in a row (the retry backs off).
 * @last:       the last fetch's result; @error its detail.
 * @from_cache: @b came from the cache at start, not fetched yet this run.
 */
struct lgd_bundle {
	const struct lg_domain_config *dom;
	struct lg_trust_bundle *b;
	uint64_t gen;
	char *doc;
	size_t doc_len;
	uint64_t expires_ns;
	int64_t fetched_wall;
	uint64_t next_ns, attempt_ns;
	uint64_t cached_ns; /* CLOCK_BOOTTIME of the fetch the cache file holds */
	bool in_flight, from_cache, fetched_once;
	unsigned int failures;
	enum lgd_fetch_result last;
	char error[768];
	uint64_t results[LGD_FETCH_RESULT_MAX];
};

struct lgd_bundles {
	struct lgd_bundle *v; /* per cfg->domains[i] */
	size_t n;
	struct lgd_fetcher *fetcher; /* NULL without URL bundles, or paused */
	bool paused;
	uint64_t next_gen;
	char cache_dir[4096];
};

/*
 * Read every domain's bundle: files (a bad one is a start error, naming
 * it), and for URLs the cached document when it is still within max_age.
 * With @cache_dir NULL (--check-config) no cache is read.
 */
int lgd_bundles_load(struct lgd_bundles *bs, const struct lg_config *cfg, const char *cache_dir);
/*
 * Start the fetcher and ask for every URL at once, those without cached
 * keys first; those are waited for, at most @max_wait_s in all, so that
 * the agents restored next are verified with them.
 */
int lgd_bundles_start(struct lgd_bundles *bs, uint64_t max_wait_s);
/*
 * Stop the fetcher thread around livegrantd's privilege drop (which needs
 * one thread: capabilities, the bounding set and no_new_privs are per
 * thread), and start it again after, born with the reduced sets. What was
 * under way is asked again.
 */
void lgd_bundles_pause(struct lgd_bundles *bs);
int lgd_bundles_resume(struct lgd_bundles *bs);
void lgd_bundles_free(struct lgd_bundles *bs);

/* The keys that verify tokens of @dom now (NULL: none), and their generation. */
const struct lg_trust_bundle *lgd_bundle_of(const struct lgd_bundles *bs,
					    const struct lg_domain_config *dom, uint64_t *gen);
/* Why @dom has no keys (lgd_bundle_of() returned NULL), for a refusal. */
const char *lgd_bundles_why_none(const struct lgd_bundles *bs, const struct lg_domain_config *dom);
/*
 * A token of @dom named a kid its bundle lacks: for a URL, a refetch is
 * asked for (at once, or once min_interval has passed since the last).
 * Returns the milliseconds after which presenting again can be expected to
 * see its result; 0 for a file bundle (nothing will change).
 */
uint32_t lgd_bundles_kid_miss(struct lgd_bundles *bs, const struct lg_domain_config *dom);

/* Readable when a fetch ended (-1 without URL bundles). */
int lgd_bundles_fd(const struct lgd_bundles *bs);
/* Take every fetch that ended: new keys in force, or a failure recorded. */
void lgd_bundles_take(struct lgd_bundles *bs);
/* Once a second: bundles past max_age go, due fetches are asked for. */
void lgd_bundles_tick(struct lgd_bundles *bs);

/* The age of @b's keys in seconds (a URL's; 0 for a file or no keys). */
double lgd_bundle_age_s(const struct lgd_bundle *b);
/* The status object: {"DOMAIN": {"source","keys",...}} (docs/livegrantd.md). */
json_t *lgd_bundles_status(const struct lgd_bundles *bs);

#endif /* LGD_TRUST_BUNDLES_H */

// SPDX-License-Identifier: GPL-2.0
/* trust_bundles.c - see trust_bundles.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fs_sync.h"
#include "livegrant.h"
#include "token_internal.h"
#include "trust_bundles.h"

#define NS_PER_S 1000000000ULL
/* A cache file: the document, JSON-escaped (at most six bytes a byte), and a little more. */
#define CACHE_MAX_BYTES (6 * LG_TRUST_BUNDLE_MAX_BYTES + 4096)

static uint64_t secs(uint64_t s)
{
	return s * NS_PER_S;
}

static bool is_url(const struct lgd_bundle *b)
{
	return b->dom->trust_bundle_url;
}

/* ---- the cache ------------------------------------------------------------ */

static int cache_path(const struct lgd_bundles *bs, const struct lgd_bundle *b, char *out,
		      size_t size)
{
	int n = snprintf(out, size, "%s/%s.json", bs->cache_dir, b->dom->name);

	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable. */
static void boot_id(char out[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = 0;
	if (f) {
		if (!fgets(out, 40, f))
			out[0] = 0;
		fclose(f);
	}
	out[strcspn(out, "\n")] = 0;
}

/*
 * Written whole or not at all: a temporary file, synced, renamed into
 * place, the directory synced. With the URL and CA file it was fetched
 * with, and its fetch time on both clocks (the boot clock's counts on the
 * same boot, whatever the wall clock did since).
 */
static int cache_write(struct lgd_bundles *bs, struct lgd_bundle *b, uint64_t fetched_ns)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], id[40];
	json_t *o;
	int err = cache_path(bs, b, path, sizeof(path)), fd;

	if (err || !bs->cache_dir[0])
		return err;
	if (mkdir(bs->cache_dir, 0700) && errno != EEXIST)
		return -errno;
	boot_id(id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s%}", "url", b->dom->trust_bundle, "ca_file",
		      b->dom->fetch.ca_file ? b->dom->fetch.ca_file : "", "fetched_at",
		      (json_int_t)b->fetched_wall, "boot_id", id, "fetched_boot_ns",
		      (json_int_t)fetched_ns, "document", b->doc, b->doc_len);
	if (!o)
		return -ENOMEM;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		err = -errno;
	else if (json_dumpfd(o, fd, JSON_COMPACT))
		err = -EIO;
	else if (fsync(fd))
		err = -errno;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	json_decref(o);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		err = lgd_fsync_path(bs->cache_dir);
	if (!err)
		b->cached_ns = fetched_ns;
	return err;
}

/*
 * The cache file, when it is livegrantd's own: a regular file (no
 * symlink), owned by our user, written by nobody else.
 */
static int cache_open(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	*buf = NULL;
	if (fd < 0)
		return errno == ENOENT ? 1 : lg_err(-errno, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || st.st_size > CACHE_MAX_BYTES) {
		close(fd);
		return lg_err(
			-EPERM,
			"not a regular file of livegrantd's user, writable by it alone, of at most %d bytes",
			CACHE_MAX_BYTES);
	}
	*buf = malloc((size_t)st.st_size + 1);
	n = *buf ? read(fd, *buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		*buf = NULL;
		return lg_err(-EIO, "cannot read it whole");
	}
	(*buf)[n] = 0;
	*len = (size_t)n;
	return 0;
}

/*
 * How old the cached document is, in ns; -1 when that cannot be told: on
 * this boot, by the boot clock; else by the wall clock, a fetch time in
 * the future (the clock was set back since) or before 1970 telling nothing.
 */
static int64_t cache_age_ns(json_t *o, int64_t at)
{
	const char *id = json_string_value(json_object_get(o, "boot_id"));
	json_int_t fetched = json_integer_value(json_object_get(o, "fetched_boot_ns"));
	uint64_t now = lg_boottime_ns();
	int64_t wall = time(NULL);
	char mine[40];

	boot_id(mine);
	if (id && *mine && !strcmp(id, mine))
		return fetched > 0 && (uint64_t)fetched <= now ?
			       (int64_t)(now - (uint64_t)fetched) :
			       -1;
	if (at <= 0 || at > wall)
		return -1;
	/* Whole seconds: a second more, never less. */
	return (int64_t)secs((uint64_t)(wall - at) + 1);
}

/*
 * The cached document of @b's URL, when it was fetched with the same URL
 * and CA file and is younger than max_age.
 */
static void cache_read(struct lgd_bundles *bs, struct lgd_bundle *b)
{
	char path[PATH_MAX], *buf = NULL;
	const char *url = NULL, *ca = NULL, *doc = NULL;
	json_int_t at = 0;
	size_t len = 0, doc_len = 0;
	json_t *o = NULL;
	struct lg_trust_bundle *tb = NULL;
	int64_t age;
	int err;

	if (cache_path(bs, b, path, sizeof(path)))
		return;
	err = cache_open(path, &buf, &len);
	if (err > 0)
		return; /* none */
	if (err)
		goto bad;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!o || json_unpack(o, "{s:s, s:s, s:I, s:s%}", "url", &url, "ca_file", &ca, "fetched_at",
			      &at, "document", &doc, &doc_len)) {
		lg_err(-EINVAL, "not a cache file (url, ca_file, fetched_at, document)");
		goto bad;
	}
	age = cache_age_ns(o, at);
	if (strcmp(url, b->dom->trust_bundle) ||
	    strcmp(ca, b->dom->fetch.ca_file ? b->dom->fetch.ca_file : "") || age < 0 ||
	    (uint64_t)age >= secs(b->dom->fetch.max_age_s))
		goto out; /* another URL's or CA's, or too old: a fetch decides */
	if (lg_trust_bundle_parse(b->dom->trust_bundle, doc, doc_len, true, &tb))
		goto bad;
	b->doc = malloc(doc_len + 1);
	if (!b->doc) {
		lg_trust_bundle_free(tb);
		goto out;
	}
	memcpy(b->doc, doc, doc_len + 1);
	b->doc_len = doc_len;
	b->b = tb;
	b->gen = ++bs->next_gen;
	b->fetched_wall = at;
	b->expires_ns = lg_boottime_ns() + secs(b->dom->fetch.max_age_s) - (uint64_t)age;
	b->cached_ns = lg_boottime_ns() > (uint64_t)age ? lg_boottime_ns() - (uint64_t)age : 0;
	b->from_cache = true;
	fprintf(stderr,
		"livegrantd: domain %s: %zu issuer keys from the cached JWKS of %s (%llds old), until the first fetch\n",
		b->dom->name, lg_trust_bundle_size(tb), url, (long long)(age / (int64_t)NS_PER_S));
	goto out;
bad:
	fprintf(stderr, "livegrantd: domain %s: cached JWKS %s is not usable, ignored: %s\n",
		b->dom->name, path, lg_errmsg());
out:
	json_decref(o);
	free(buf);
}

/* ---- loading ------------------------------------------------------------- */

int lgd_bundles_load(struct lgd_bundles *bs, const struct lg_config *cfg, const char *cache_dir)
{
	memset(bs, 0, sizeof(*bs));
	bs->v = calloc(cfg->n_domains ? cfg->n_domains : 1, sizeof(*bs->v));
	if (!bs->v)
		return lg_err(-ENOMEM, "out of memory");
	bs->n = cfg->n_domains;
	if (cache_dir)
		snprintf(bs->cache_dir, sizeof(bs->cache_dir), "%s/bundles", cache_dir);
	for (size_t i = 0; i < bs->n; i++) {
		struct lgd_bundle *b = &bs->v[i];
		int err;

		b->dom = &cfg->domains[i];
		if (is_url(b)) {
			if (cache_dir)
				cache_read(bs, b);
			continue;
		}
		err = lg_trust_bundle_load(b->dom->trust_bundle, &b->b);
		if (err)
			return lg_err(err, "domain %s: %s", b->dom->name, lg_errmsg());
		b->gen = ++bs->next_gen;
	}
	return 0;
}

static void ask(struct lgd_bundles *bs, struct lgd_bundle *b, uint64_t now)
{
	struct lgd_fetch_job job = {
		.id = (size_t)(b - bs->v),
		.url = b->dom->trust_bundle,
		.ca_file = b->dom->fetch.ca_file,
		.timeout_s = (unsigned int)b->dom->fetch.timeout_s,
	};

	b->attempt_ns = now;
	/* Asked again after a failure's backoff, or at the next tick, if this fails. */
	b->next_ns = now + secs(b->dom->fetch.min_interval_s);
	if (lgd_fetcher_ask(bs->fetcher, &job)) {
		fprintf(stderr, "livegrantd: domain %s: %s\n", b->dom->name, lg_errmsg());
		return;
	}
	b->in_flight = true;
}

/* ---- results ------------------------------------------------------------- */

/* When the next scheduled fetch is due after a good one: refresh, or a SPIFFE hint. */
static uint64_t refresh_after(const struct lgd_bundle *b)
{
	uint64_t s = b->dom->fetch.refresh_s, hint = lg_trust_bundle_refresh_hint(b->b);

	if (hint && hint < s)
		s = hint < b->dom->fetch.min_interval_s ? b->dom->fetch.min_interval_s : hint;
	return secs(s);
}

/* A failure's retry: min_interval, doubled each time, up to refresh. */
static uint64_t retry_after(const struct lgd_bundle *b)
{
	uint64_t s = b->dom->fetch.min_interval_s;

	for (unsigned int i = 1; i < b->failures && s < b->dom->fetch.refresh_s; i++)
		s *= 2;
	return secs(s < b->dom->fetch.refresh_s ? s : b->dom->fetch.refresh_s);
}

static void kids(const struct lg_trust_bundle *tb, char *out, size_t size)
{
	size_t at = 0;

	out[0] = 0;
	for (size_t i = 0; i < tb->n && at + 1 < size; i++) {
		int n = snprintf(out + at, size - at, "%s%.64s", i ? ", " : "", tb->keys[i].kid);

		if (n < 0)
			break;
		at += (size_t)n;
	}
}

static void took_good(struct lgd_bundles *bs, struct lgd_bundle *b, struct lgd_fetch_done *r)
{
	bool same = b->b && b->doc && b->doc_len == r->len && !memcmp(b->doc, r->doc, r->len);
	char names[512];
	int err;

	b->expires_ns = r->at_ns + secs(b->dom->fetch.max_age_s);
	b->fetched_wall = time(NULL);
	b->fetched_once = true;
	b->from_cache = false;
	if (b->failures || !same) {
		kids(r->bundle, names, sizeof(names));
		fprintf(stderr,
			"livegrantd: domain %s: JWKS %s fetched%s: %zu issuer keys (%s)%s%zu skipped\n",
			b->dom->name, b->dom->trust_bundle, same ? " again, unchanged" : "",
			lg_trust_bundle_size(r->bundle), names, ", ",
			lg_trust_bundle_skipped(r->bundle));
	}
	b->failures = 0;
	/* The same document: the same keys, the same generation (no re-verification). */
	if (!same) {
		lg_trust_bundle_free(b->b);
		free(b->doc);
		b->b = r->bundle;
		b->doc = r->doc;
		b->doc_len = r->len;
		r->bundle = NULL;
		r->doc = NULL;
		b->gen = ++bs->next_gen;
	}
	/* An unchanged document is written again only when its copy is getting old. */
	err = 0;
	if (!same || r->at_ns - b->cached_ns >= secs(b->dom->fetch.max_age_s) / 4)
		err = cache_write(bs, b, r->at_ns);
	if (err)
		fprintf(stderr,
			"livegrantd: domain %s: cannot keep the JWKS in %s (%s): a restart during an outage will not have it\n",
			b->dom->name, bs->cache_dir, strerror(-err));
	b->next_ns = r->at_ns + refresh_after(b);
}

static void took_bad(struct lgd_bundle *b, const struct lgd_fetch_done *r)
{
	bool again = b->failures && b->last == r->kind && !strcmp(b->error, r->error);

	b->failures++;
	b->next_ns = r->at_ns + retry_after(b);
	if (again && b->failures % 10)
		return; /* the same failure: logged on the first and every tenth */
	fprintf(stderr,
		"livegrantd: domain %s: fetching its JWKS failed (%s, %u in a row): %s; %s\n",
		b->dom->name, lgd_fetch_result_name(r->kind), b->failures, r->error,
		b->b ? "the last good keys stay in force until max_age" :
		       "it has no keys: its tokens are refused until a fetch succeeds");
}

void lgd_bundles_take(struct lgd_bundles *bs)
{
	struct lgd_fetch_done *r;

	if (!bs->fetcher)
		return;
	while ((r = lgd_fetcher_take(bs->fetcher))) {
		struct lgd_bundle *b = r->id < bs->n ? &bs->v[r->id] : NULL;

		if (b) {
			b->in_flight = false;
			b->results[r->kind < LGD_FETCH_RESULT_MAX ? r->kind : LGD_FETCH_INTERNAL]++;
			if (r->kind == LGD_FETCH_OK)
				took_good(bs, b, r);
			else
				took_bad(b, r);
			b->last = r->kind;
			snprintf(b->error, sizeof(b->error), "%s", r->error);
		}
		lgd_fetch_done_free(r);
	}
}

/* ---- time ------------------------------------------------------------------ */

void lgd_bundles_tick(struct lgd_bundles *bs)
{
	uint64_t now = lg_boottime_ns();

	for (size_t i = 0; i < bs->n && bs->fetcher; i++) {
		struct lgd_bundle *b = &bs->v[i];

		if (!is_url(b))
			continue;
		/* Kept until max_age, never beyond. */
		if (b->b && now >= b->expires_ns) {
			fprintf(stderr,
				"livegrantd: domain %s: its JWKS is past max_age (%llus) with no good fetch since: no keys, its tokens are refused until a fetch succeeds\n",
				b->dom->name, (unsigned long long)b->dom->fetch.max_age_s);
			lg_trust_bundle_free(b->b);
			b->b = NULL;
			b->gen = ++bs->next_gen;
		}
		if (!b->in_flight && now >= b->next_ns)
			ask(bs, b, now);
	}
}

int lgd_bundles_start(struct lgd_bundles *bs, uint64_t max_wait_s)
{
	uint64_t now = lg_boottime_ns(), until = now + secs(max_wait_s);
	size_t urls = 0, waiting = 0;
	int err;

	for (size_t i = 0; i < bs->n; i++)
		urls += is_url(&bs->v[i]);
	if (!urls)
		return 0;
	err = lgd_fetcher_start(bs->n, &bs->fetcher);
	if (err)
		return err;
	/* Those without cached keys first: they are waited for. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < bs->n; i++) {
			struct lgd_bundle *b = &bs->v[i];

			if (is_url(b) && !b->b == !pass) {
				ask(bs, b, now);
				waiting += !pass;
			}
		}
	/*
	 * Their first fetch, before any token is verified: at most @max_wait_s
	 * in all (the grants of a restart are not bridged yet), and no longer
	 * than the timeouts of what is waited for.
	 */
	while (waiting) {
		struct pollfd p = { .fd = lgd_fetcher_fd(bs->fetcher), .events = POLLIN };
		uint64_t t = lg_boottime_ns();

		lgd_bundles_take(bs);
		waiting = 0;
		for (size_t i = 0; i < bs->n; i++)
			waiting += is_url(&bs->v[i]) && !bs->v[i].b && bs->v[i].in_flight;
		if (!waiting || t >= until)
			break;
		poll(&p, 1, (int)((until - t) / 1000000ULL) + 1);
	}
	return 0;
}

void lgd_bundles_pause(struct lgd_bundles *bs)
{
	if (!bs->fetcher)
		return;
	lgd_bundles_take(bs);
	lgd_fetcher_stop(bs->fetcher);
	bs->fetcher = NULL;
	bs->paused = true;
	/* What was asked and not answered is asked again after the resume. */
	for (size_t i = 0; i < bs->n; i++)
		if (bs->v[i].in_flight) {
			bs->v[i].in_flight = false;
			bs->v[i].next_ns = 0;
		}
}

int lgd_bundles_resume(struct lgd_bundles *bs)
{
	int err;

	if (!bs->paused)
		return 0;
	err = lgd_fetcher_start(bs->n, &bs->fetcher);
	if (err)
		return err;
	bs->paused = false;
	lgd_bundles_tick(bs);
	return 0;
}

void lgd_bundles_free(struct lgd_bundles *bs)
{
	lgd_fetcher_stop(bs->fetcher);
	bs->fetcher = NULL;
	for (size_t i = 0; bs->v && i < bs->n; i++) {
		lg_trust_bundle_free(bs->v[i].b);
		free(bs->v[i].doc);
	}
	free(bs->v);
	bs->v = NULL;
	bs->n = 0;
}

/* ---- asking -------------------------------------------------------------- */

const struct lg_trust_bundle *lgd_bundle_of(const struct lgd_bundles *bs,
					    const struct lg_domain_config *dom, uint64_t *gen)
{
	const struct lgd_bundle *b = &bs->v[dom->id - 1];
	/* Past max_age is no key, even before the tick drops it (a pure read: any thread). */
	bool in_force = b->b && (!is_url(b) || lg_boottime_ns() < b->expires_ns);

	if (gen)
		*gen = in_force ? b->gen : 0;
	return in_force ? b->b : NULL;
}

const char *lgd_bundles_why_none(const struct lgd_bundles *bs, const struct lg_domain_config *dom)
{
	const struct lgd_bundle *b = &bs->v[dom->id - 1];

	if (b->failures)
		return b->error;
	if (b->fetched_once || b->from_cache)
		return "its last good JWKS is past max_age";
	return "its JWKS has not been fetched yet";
}

uint32_t lgd_bundles_kid_miss(struct lgd_bundles *bs, const struct lg_domain_config *dom)
{
	struct lgd_bundle *b = &bs->v[dom->id - 1];
	uint64_t now = lg_boottime_ns(), gap = secs(dom->fetch.min_interval_s), at;

	if (!is_url(b) || !bs->fetcher)
		return 0;
	/* Rate-limited: a flood of made-up kids costs one fetch per min_interval. */
	at = b->attempt_ns && now < b->attempt_ns + gap ? b->attempt_ns + gap : now;
	/* An issuer that is failing is not asked sooner than its backoff says. */
	if (b->failures && at < b->next_ns)
		at = b->next_ns;
	if (!b->in_flight && at <= now)
		ask(bs, b, now);
	else if (!b->in_flight && at < b->next_ns)
		b->next_ns = at;
	return (uint32_t)((at - now) / 1000000ULL) + 1000;
}

int lgd_bundles_fd(const struct lgd_bundles *bs)
{
	return bs->fetcher ? lgd_fetcher_fd(bs->fetcher) : -1;
}

double lgd_bundle_age_s(const struct lgd_bundle *b)
{
	uint64_t now = lg_boottime_ns(), left;

	if (!is_url(b) || !b->b)
		return 0;
	left = b->expires_ns > now ? b->expires_ns - now : 0;
	return (double)(secs(b->dom->fetch.max_age_s) - left) / 1e9;
}

static json_t *bundle_status(const struct lgd_bundle *b)
{
	uint64_t now = lg_boottime_ns();
	json_t *o = json_pack("{s:s, s:s, s:I, s:b}", "source", is_url(b) ? "url" : "file",
			      "location", b->dom->trust_bundle, "keys",
			      (json_int_t)lg_trust_bundle_size(b->b), "usable", b->b != NULL);

	if (!o || !is_url(b))
		return o;
	json_object_set_new(o, "skipped_keys",
			    json_integer((json_int_t)lg_trust_bundle_skipped(b->b)));
	if (b->b)
		json_object_set_new(o, "age_s", json_integer((json_int_t)lgd_bundle_age_s(b)));
	json_object_set_new(o, "max_age_s", json_integer((json_int_t)b->dom->fetch.max_age_s));
	json_object_set_new(o, "from_cache", json_boolean(b->from_cache));
	json_object_set_new(o, "fetching", json_boolean(b->in_flight));
	json_object_set_new(
		o, "next_fetch_s",
		json_integer(b->next_ns > now ? (json_int_t)((b->next_ns - now) / NS_PER_S) : 0));
	if (b->attempt_ns) {
		json_object_set_new(o, "last_result",
				    json_string(b->in_flight && !b->fetched_once && !b->failures ?
							"pending" :
							lgd_fetch_result_name(b->last)));
		json_object_set_new(o, "failures", json_integer(b->failures));
		if (b->failures)
			json_object_set_new(o, "error", json_string(b->error));
	}
	return o;
}

json_t *lgd_bundles_status(const struct lgd_bundles *bs)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < bs->n; i++)
		json_object_set_new(o, bs->v[i].dom->name, bundle_status(&bs->v[i]));
	return o;
}

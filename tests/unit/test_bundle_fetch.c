// SPDX-License-Identifier: GPL-2.0
/*
 * test_bundle_fetch.c - trust bundles that are https URLs: a fetched JWKS
 * parsed leniently but never trusted blindly (lg_trust_bundle_parse()), the
 * fetcher against a stand-in issuer over real HTTPS (build/tests/lg-https-stub)
 * with each failure its own result, and the domain's bundle over time
 * (trust_bundles.c): rotation, an unknown kid's rate-limited refetch, an
 * outage that keeps the last good keys until max_age and never beyond, the
 * cache a restart reads. What a daemon does with it is tests/kernel/jwks.sh's.
 */
#include "../../userspace/livegrantd/trust_bundles.c"
#include "../../userspace/livegrantd/fs_sync.c"
#include "../../userspace/livegrantd/bundle_fetch.c"
#include "../../userspace/livegrantd/https_get.c"

#include <poll.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "check.h"
#include "https_stub.h"

/* Setup the rest of a test depends on. */
#define REQUIRE(cond, ...)                    \
	do {                                  \
		int failed_ = checks_failed;  \
		CHECK(cond, __VA_ARGS__);     \
		if (checks_failed != failed_) \
			return;               \
	} while (0)

static EVP_PKEY *new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

/* {"keys":[JWK of keys[i] with kid kids[i]...]} plus @extra members of the JWKS. */
static char *jwks(EVP_PKEY **keys, const char **kids, size_t n, const char *extra_key)
{
	json_t *arr = json_array(), *o = json_object();
	char *s;

	for (size_t i = 0; i < n; i++) {
		json_t *jwk = NULL;

		if (lg_jwk_from_pkey(keys[i], kids[i], &jwk) == 0)
			json_array_append_new(arr, jwk);
	}
	if (extra_key)
		json_array_append_new(arr, json_loads(extra_key, 0, NULL));
	json_object_set_new(o, "keys", arr);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void put_jwks(EVP_PKEY **keys, const char **kids, size_t n)
{
	char *s = jwks(keys, kids, n, NULL);

	put("jwks.json", s);
	free(s);
}

/* GET /jwks lines in the stub's log. */
static int jwks_requests(void)
{
	char path[128], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/requests.log", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "GET /jwks ", 10);
	fclose(f);
	return n;
}

/* ---- parsing a fetched document ------------------------------------------ */

static const char rsa_key[] =
	"{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"}";
static const char x509_svid_key[] =
	"{\"kty\":\"EC\",\"crv\":\"P-384\",\"use\":\"x509-svid\",\"x\":\"AA\",\"y\":\"AA\",\"x5c\":[\"MII\"]}";

static int parse(const char *doc, bool fetched, struct lg_trust_bundle **b)
{
	return lg_trust_bundle_parse("https://issuer/jwks", doc, strlen(doc), fetched, b);
}

static void test_parse_fetched(void)
{
	EVP_PKEY *k[2] = { new_key(), new_key() };
	const char *kids[2] = { "k1", "k1" };
	struct lg_trust_bundle *b = NULL;
	char *doc, big[64];
	json_t *o;
	int err;

	/* Keys not for us are skipped; a SPIFFE hint is read. */
	doc = jwks(k, kids, 1, rsa_key);
	o = json_loads(doc, 0, NULL);
	free(doc);
	json_array_append_new(json_object_get(o, "keys"), json_loads(x509_svid_key, 0, NULL));
	json_object_set_new(o, "spiffe_refresh_hint", json_integer(42));
	json_object_set_new(o, "spiffe_sequence", json_integer(7));
	doc = json_dumps(o, JSON_COMPACT);
	err = parse(doc, true, &b);
	CHECK(!err && lg_trust_bundle_size(b) == 1 && lg_trust_bundle_skipped(b) == 2 &&
		      lg_trust_bundle_refresh_hint(b) == 42 && lg_trust_bundle_find(b, "k1"),
	      "fetched: RSA and X.509-SVID keys skipped, the Ed25519 key kept, hint 42: %d %s", err,
	      err ? lg_errmsg() : "");
	lg_trust_bundle_free(b);
	/* A file is configuration: the same document is refused there. */
	CHECK(parse(doc, false, &b) == -EINVAL && strstr(lg_errmsg(), "is not accepted"),
	      "a file with an RSA key is refused: %s", lg_errmsg());
	free(doc);
	json_decref(o);

	/* Refused whole: a private key, even on a skipped key. */
	CHECK(parse("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"d\":\"AQAB\"}]}",
		    true, &b) == -EINVAL &&
		      strstr(lg_errmsg(), "holds a private key"),
	      "a private key refuses the document: %s", lg_errmsg());
	/* A duplicate kid among usable keys. */
	doc = jwks(k, kids, 2, NULL);
	CHECK(parse(doc, true, &b) == -EINVAL && strstr(lg_errmsg(), "appears more than once"),
	      "a duplicate kid refuses the document: %s", lg_errmsg());
	free(doc);
	/* A broken key of a kind we use. */
	CHECK(parse("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"b\",\"x\":\"AAAA\"}]}",
		    true, &b) == -EINVAL &&
		      strstr(lg_errmsg(), "must be 32"),
	      "a short Ed25519 key refuses the document: %s", lg_errmsg());
	/* Nothing usable at all. */
	CHECK(parse("{\"keys\":["
		    "{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"AQAB\",\"e\":\"AQAB\"}"
		    "]}",
		    true, &b) == -EINVAL &&
		      strstr(lg_errmsg(), "none of its 1 keys"),
	      "no usable key refuses the document: %s", lg_errmsg());
	CHECK(parse("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
		    true, &b) == -EINVAL &&
		      strstr(lg_errmsg(), "not a JWKS"),
	      "PEM is for files only: %s", lg_errmsg());
	CHECK(parse("{\"keys\":[],\"spiffe_refresh_hint\":-1}", true, &b) == -EINVAL,
	      "an empty key set refused");
	CHECK(parse("[1,2]", true, &b) == -EINVAL && parse("{\"keys\":{}}", true, &b) == -EINVAL &&
		      parse("{\"keys\":[1]}", true, &b) == -EINVAL,
	      "other JSON refused");
	CHECK(lg_trust_bundle_parse("u", "{\"keys\"\0:[]}", 12, true, &b) == -EINVAL &&
		      strstr(lg_errmsg(), "NUL byte"),
	      "a NUL byte refused: %s", lg_errmsg());
	/* More keys than any issuer publishes. */
	{
		json_t *many = json_object(), *arr = json_array();

		for (int i = 0; i <= LG_TRUST_BUNDLE_MAX_KEYS; i++) {
			snprintf(big, sizeof(big), "r%d", i);
			json_array_append_new(arr,
					      json_pack("{s:s, s:s}", "kty", "RSA", "kid", big));
		}
		json_object_set_new(many, "keys", arr);
		doc = json_dumps(many, JSON_COMPACT);
		CHECK(parse(doc, true, &b) == -E2BIG && strstr(lg_errmsg(), "at most 100"),
		      "101 keys refused: %s", lg_errmsg());
		free(doc);
		json_decref(many);
	}
	EVP_PKEY_free(k[0]);
	EVP_PKEY_free(k[1]);
}

/* ---- the fetcher ----------------------------------------------------------- */

static char url[128], ca[128], other_ca[128];

static struct lgd_fetch_done *fetch_once(struct lgd_fetcher *f, const char *ca_file,
					 unsigned int timeout_s)
{
	struct lgd_fetch_job job = {
		.id = 0, .url = url, .ca_file = ca_file, .timeout_s = timeout_s
	};
	struct pollfd p = { .fd = lgd_fetcher_fd(f), .events = POLLIN };

	if (lgd_fetcher_ask(f, &job))
		return NULL;
	for (int i = 0; i < 150; i++) {
		struct lgd_fetch_done *r = lgd_fetcher_take(f);

		if (r)
			return r;
		poll(&p, 1, 100);
	}
	return NULL;
}

/* One fetch must end as @want; its error must hold @says. */
static void expect(struct lgd_fetcher *f, const char *ca_file, unsigned int timeout_s,
		   enum lgd_fetch_result want, const char *says, const char *what)
{
	struct lgd_fetch_done *r = fetch_once(f, ca_file, timeout_s);

	CHECK(r && r->kind == want && (!says || strstr(r->error, says)) &&
		      (want == LGD_FETCH_OK) == (r->bundle != NULL),
	      "%s: got %s (%s), want %s", what, r ? lgd_fetch_result_name(r->kind) : "nothing",
	      r ? r->error : "", lgd_fetch_result_name(want));
	lgd_fetch_done_free(r);
}

static void test_fetch_results(void)
{
	EVP_PKEY *k = new_key();
	const char *kid = "k1";
	struct lgd_fetcher *f = NULL;

	put_jwks(&k, &kid, 1);
	REQUIRE(lgd_fetcher_start(1, &f) == 0, "fetcher starts: %s", lg_errmsg());
	expect(f, ca, 2, LGD_FETCH_OK, NULL, "a good JWKS");
	put("mode", "500");
	expect(f, ca, 2, LGD_FETCH_HTTP_STATUS, "HTTP 500", "a 500");
	put("mode", "garbage");
	expect(f, ca, 2, LGD_FETCH_BAD_DOCUMENT, "NUL byte", "garbage");
	put("mode", "huge");
	expect(f, ca, 5, LGD_FETCH_TOO_LARGE, NULL, "64 MiB");
	put("mode", "ok");
	put("jwks.json",
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"x\",\"x\":\"AAAA\",\"d\":\"AAAA\"}]}");
	expect(f, ca, 2, LGD_FETCH_BAD_DOCUMENT, "private key", "a document with a private key");
	put_jwks(&k, &kid, 1);
	expect(f, other_ca, 2, LGD_FETCH_TLS, NULL, "a server the CA file does not vouch for");
	expect(f, NULL, 2, LGD_FETCH_TLS, NULL, "a self-signed server and the system's CAs");
	put("mode", "slow");
	expect(f, ca, 1, LGD_FETCH_TIMEOUT, NULL, "a server slower than the timeout");
	put("mode", "ok");
	stop_stub();
	expect(f, ca, 2, LGD_FETCH_UNREACHABLE, NULL, "nobody listening");
	lgd_fetcher_stop(f);
	EVP_PKEY_free(k);
	REQUIRE(start_stub() == 0, "the stub starts again");
	snprintf(url, sizeof(url), "https://127.0.0.1:%s/jwks", port);
}

/* ---- a domain's bundle over time ------------------------------------------- */

static struct lg_config *cfg;
static char cache_dir[160]; /* each test's own state_dir */
static int cache_n;

/*
 * Domain prod at the stub: refresh @refresh s, min_interval 1s, max_age
 * @max_age s, timeout 2s; a fresh cache directory.
 */
static int load_cfg(int refresh, int max_age)
{
	char path[128], text[1024];

	snprintf(cache_dir, sizeof(cache_dir), "%s/state-%d", dir, ++cache_n);
	mkdir(cache_dir, 0700);
	snprintf(
		text, sizeof(text),
		"audience: a\nagent_cgroups: [/sys/fs/cgroup/agents]\n"
		"domains:\n  prod:\n    trust_bundle: %s\n    max_ttl: 1h\n"
		"    trust_bundle_fetch: {ca_file: %s, refresh: %ds, min_interval: 1s, max_age: %ds, timeout: 2s}\n",
		url, ca, refresh, max_age);
	put("config.yaml", text);
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	lg_config_free(cfg);
	cfg = NULL;
	return lg_config_load(path, &cfg);
}

static uint64_t now_ms(void)
{
	return lg_boottime_ns() / 1000000ULL;
}

/* Tick and take for @ms, as the event loop would. */
static void run_for(struct lgd_bundles *bs, int ms)
{
	uint64_t until = now_ms() + (uint64_t)ms;

	while (now_ms() < until) {
		struct pollfd p = { .fd = lgd_bundles_fd(bs), .events = POLLIN };

		lgd_bundles_tick(bs);
		poll(&p, 1, 50);
		lgd_bundles_take(bs);
	}
}

static const struct lg_trust_bundle *prod(const struct lgd_bundles *bs, uint64_t *gen)
{
	return lgd_bundle_of(bs, lg_config_domain(cfg, "prod"), gen);
}

static const struct lg_domain_config *prod_dom(void)
{
	return lg_config_domain(cfg, "prod");
}

static int start(struct lgd_bundles *bs)
{
	int err = lgd_bundles_load(bs, cfg, cache_dir);

	return err ? err : lgd_bundles_start(bs, 5);
}

static void test_rotation(void)
{
	EVP_PKEY *k[2] = { new_key(), new_key() };
	const char *kids[2] = { "k1", "k2" };
	struct lgd_bundles bs;
	uint64_t g1 = 0, g2 = 0, g3 = 0;
	int before, after;
	uint32_t ms;

	int first = jwks_requests();

	put_jwks(k, kids, 1);
	/* refresh 1h: every fetch after the first is one this test asks for. */
	REQUIRE(load_cfg(3600, 7200) == 0, "config: %s", lg_errmsg());
	REQUIRE(lgd_bundles_load(&bs, cfg, cache_dir) == 0, "load: %s", lg_errmsg());
	CHECK(!prod(&bs, NULL), "no keys before the first fetch (no cache yet)");
	REQUIRE(lgd_bundles_start(&bs, 5) == 0, "start: %s", lg_errmsg());
	CHECK(prod(&bs, &g1) && lg_trust_bundle_find(prod(&bs, NULL), "k1"),
	      "the start waited for the first fetch: k1 in force");
	/* A kid miss refetches; the document is unchanged: the same generation. */
	run_for(&bs, 1100); /* past min_interval */
	before = jwks_requests();
	ms = lgd_bundles_kid_miss(&bs, prod_dom());
	CHECK(ms >= 1000 && ms <= 1100, "a kid miss past min_interval: at once (%u ms to retry)",
	      ms);
	CHECK(jwks_requests() == before || bs.v[0].in_flight, "the refetch is under way");
	run_for(&bs, 600);
	CHECK(jwks_requests() == before + 1 && prod(&bs, &g2) && g2 == g1,
	      "one fetch (%d), an unchanged document keeps generation %llu (now %llu)",
	      jwks_requests() - before, (unsigned long long)g1, (unsigned long long)g2);

	/* The issuer rotates to k2 and retires k1; a token naming k2 asks for a refetch. */
	put_jwks(&k[1], &kids[1], 1);
	run_for(&bs, 1000);
	before = jwks_requests();
	CHECK(before - first == 2 && lg_trust_bundle_find(prod(&bs, NULL), "k1"),
	      "no fetch unasked (refresh 1h): still k1 (%d fetches)", before - first);
	ms = lgd_bundles_kid_miss(&bs, prod_dom());
	/* 50 more at once: rate-limited, min_interval 1s. */
	for (int i = 0; i < 50; i++)
		lgd_bundles_kid_miss(&bs, prod_dom());
	run_for(&bs, 600);
	after = jwks_requests();
	CHECK(after - before == 1, "51 kid misses made %d fetch(es) in 0.6 s, want 1",
	      after - before);
	CHECK(prod(&bs, &g3) && g3 != g1 && lg_trust_bundle_find(prod(&bs, NULL), "k2") &&
		      !lg_trust_bundle_find(prod(&bs, NULL), "k1"),
	      "after the refetch: k2 in force, k1 gone, a new generation");
	/* Within min_interval of that fetch, a miss waits for it. */
	ms = lgd_bundles_kid_miss(&bs, prod_dom());
	CHECK(ms > 1000 && ms <= 2000 && !bs.v[0].in_flight,
	      "a miss within min_interval is put off (%u ms)", ms);
	lgd_bundles_free(&bs);
	EVP_PKEY_free(k[0]);
	EVP_PKEY_free(k[1]);
}

static void test_outage(void)
{
	EVP_PKEY *k = new_key();
	const char *kid = "k1";
	struct lgd_bundles bs;
	uint64_t g1 = 0, g2 = 0;
	int before;
	json_t *st;
	char *txt;

	put_jwks(&k, &kid, 1);
	REQUIRE(load_cfg(2, 4) == 0, "config: %s", lg_errmsg());
	REQUIRE(start(&bs) == 0, "start: %s", lg_errmsg());
	REQUIRE(prod(&bs, &g1) && lg_trust_bundle_find(prod(&bs, NULL), "k1") &&
			bs.v[0].results[LGD_FETCH_OK] == 1 && !bs.v[0].from_cache,
		"k1 fetched at start, no cache");
	/* The issuer fails: the last good keys stay... */
	put("mode", "500");
	run_for(&bs, 2500);
	CHECK(prod(&bs, NULL) && bs.v[0].failures >= 1 &&
		      bs.v[0].results[LGD_FETCH_HTTP_STATUS] >= 1,
	      "2.5 s into an outage: the keys stay (%u failures)", bs.v[0].failures);
	/* A kid miss does not hurry a failing issuer past its backoff. */
	before = jwks_requests();
	for (int i = 0; i < 20; i++)
		lgd_bundles_kid_miss(&bs, prod_dom());
	CHECK(jwks_requests() == before && !bs.v[0].in_flight, "no fetch before the backoff ends");
	/* ...until max_age (4 s after their fetch), never beyond. */
	run_for(&bs, 1700);
	CHECK(!prod(&bs, &g2) && g2 == 0, "past max_age: no keys (generation 0)");
	CHECK(strstr(lgd_bundles_why_none(&bs, prod_dom()), "HTTP 500"), "why none: %s",
	      lgd_bundles_why_none(&bs, prod_dom()));
	st = lgd_bundles_status(&bs);
	txt = json_dumps(st, JSON_COMPACT);
	CHECK(txt && strstr(txt, "\"usable\":false") &&
		      strstr(txt, "\"last_result\":\"http_status\"") && strstr(txt, "HTTP 500"),
	      "status says so: %s", txt ? txt : "(nothing)");
	free(txt);
	json_decref(st);
	/* The issuer is back: the next fetch (backed off, at most refresh away) brings keys. */
	put("mode", "ok");
	run_for(&bs, 2600);
	CHECK(prod(&bs, &g2) && g2 != g1 && bs.v[0].failures == 0,
	      "back: keys in force again, a new generation");
	lgd_bundles_free(&bs);
	EVP_PKEY_free(k);
}

/* Rewrite members of the cache to test what a restart reads. */
static void forge_cache(const char *member, json_t *value)
{
	char path[256];
	json_t *o;

	snprintf(path, sizeof(path), "%s/bundles/prod.json", cache_dir);
	o = json_load_file(path, 0, NULL);
	if (o) {
		json_object_set(o, member, value);
		json_dump_file(o, path, JSON_COMPACT);
		json_decref(o);
	}
	json_decref(value);
}

static int copy_file(const char *from, const char *to)
{
	char buf[8192];
	FILE *in = fopen(from, "re"), *out = in ? fopen(to, "we") : NULL;
	size_t n;
	int err = in && out ? 0 : -1;

	while (!err && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err = -1;
	if (in)
		fclose(in);
	if (out && fclose(out))
		err = -1;
	if (!err)
		chmod(to, 0600);
	return err;
}

static bool cached(void)
{
	struct lgd_bundles bs;
	bool got = !lgd_bundles_load(&bs, cfg, cache_dir) && prod(&bs, NULL) && bs.v[0].from_cache;

	lgd_bundles_free(&bs);
	return got;
}

static void test_cache(void)
{
	EVP_PKEY *k = new_key();
	const char *kid = "k1";
	struct lgd_bundles bs;
	char path[256], good[300];
	struct stat st;
	FILE *f;
	uint64_t now = lg_boottime_ns();

	put_jwks(&k, &kid, 1);
	REQUIRE(load_cfg(2, 4) == 0, "config: %s", lg_errmsg());
	REQUIRE(start(&bs) == 0, "start: %s", lg_errmsg());
	lgd_bundles_free(&bs);
	snprintf(path, sizeof(path), "%s/bundles/prod.json", cache_dir);
	snprintf(good, sizeof(good), "%s.good", path);
	CHECK(!stat(path, &st) && (st.st_mode & 0777) == 0600, "the good document is cached, 0600");
	REQUIRE(!copy_file(path, good), "keep a copy");
	/* A restart while the issuer is down: the cache, within max_age. */
	stop_stub();
	CHECK(cached(), "a restart reads the cached keys");
	/* This boot: its age is the boot clock's, whatever the wall clock says. */
	forge_cache("fetched_at", json_integer(time(NULL) + 3600));
	CHECK(cached(), "on this boot, a wall clock set back changes nothing");
	forge_cache("fetched_boot_ns", json_integer((json_int_t)(now - 5000000000ULL)));
	CHECK(!cached(), "older than max_age (4 s) by the boot clock: not used");
	/* Another boot: the wall clock is all there is. */
	forge_cache("boot_id", json_string("00000000-0000-0000-0000-000000000000"));
	forge_cache("fetched_at", json_integer(time(NULL) - 1));
	CHECK(cached(), "another boot, 1 s old by the wall clock: used");
	forge_cache("fetched_at", json_integer(time(NULL) - 5));
	CHECK(!cached(), "another boot, older than max_age: not used");
	forge_cache("fetched_at", json_integer(time(NULL) + 3600));
	CHECK(!cached(), "another boot, from the future (the clock was set back): not used");
	forge_cache("fetched_at", json_integer(-5));
	CHECK(!cached(), "a fetch time before 1970: not used");
	rename(good, path);
	REQUIRE(!copy_file(path, good), "keep a copy");
	forge_cache("url", json_string("https://elsewhere/jwks"));
	CHECK(!cached(), "a cache of another URL is not used");
	rename(good, path);
	REQUIRE(!copy_file(path, good), "keep a copy");
	forge_cache("ca_file", json_string("/etc/other-ca.pem"));
	CHECK(!cached(), "a cache fetched with another CA file is not used");
	rename(good, path);
	chmod(path, 0620);
	CHECK(!cached(), "a cache others may write is not used");
	chmod(path, 0600);
	CHECK(cached(), "0600 again: used");
	REQUIRE(!rename(path, good) && !symlink(good, path),
		"the cache as a symlink to a good copy");
	CHECK(!cached(), "a symlink is not followed");
	unlink(path);
	f = fopen(path, "we");
	if (f) {
		fputs("{\"url\":", f);
		fclose(f);
	}
	chmod(path, 0600);
	CHECK(!cached(), "a torn cache is not used");
	REQUIRE(start_stub() == 0, "the stub starts again");
	snprintf(url, sizeof(url), "https://127.0.0.1:%s/jwks", port);
	EVP_PKEY_free(k);
}

int main(void)
{
	if (stub_init("bundle-fetch"))
		return 2;
	RUN(test_parse_fetched);
	if (start_stub()) {
		fprintf(stderr, "lg-https-stub did not start\n");
		return 2;
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%s/jwks", port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(other_ca, sizeof(other_ca), "%s/other-ca.pem", dir);
	RUN(test_fetch_results);
	RUN(test_rotation);
	RUN(test_outage);
	RUN(test_cache);
	lg_config_free(cfg);
	stub_cleanup();
	return check_summary("bundle_fetch");
}

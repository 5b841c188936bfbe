// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_trust_bundle.c - trust bundles: lg_trust_bundle_parse()
 * (userspace/lib/policy/trust_bundle.c) on a JWKS or PEM document, both as
 * a file of the configuration would be read and as a JWKS fetched from an
 * issuer (keys not for us skipped, spiffe_refresh_hint read). The fetched
 * case is the hostile one: whoever answers at the issuer's URL writes it.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "token_internal.h"

/* What a bundle that parsed promises lg_token_verify(). */
static void check_bundle(const struct lg_trust_bundle *b, bool fetched)
{
	FUZZ_ASSERT(lg_trust_bundle_size(b) == b->n && b->n > 0);
	FUZZ_ASSERT(!b->pem || (!fetched && b->n == 1 && !b->keys[0].kid));
	FUZZ_ASSERT(fetched || (!b->skipped && !b->refresh_hint_s));
	for (size_t i = 0; i < b->n; i++) {
		const struct lg_trust_key *k = &b->keys[i];

		FUZZ_ASSERT(k->pkey && lg_jws_alg_name(k->alg));
		FUZZ_ASSERT(lg_jws_alg_of_key(k->pkey) == k->alg);
		/* Kids are unique: each finds its own key. */
		FUZZ_ASSERT(b->pem || (k->kid && lg_trust_bundle_find(b, k->kid) == k));
	}
	FUZZ_ASSERT(!b->pem || lg_trust_bundle_find(b, "any kid") == &b->keys[0]);
	FUZZ_ASSERT(b->pem || !lg_trust_bundle_find(b, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* lg_trust_bundle_parse() wants the NUL at @len that a file read leaves. */
	char *buf = fuzz_strndup(data, size);

	for (int fetched = 0; fetched < 2; fetched++) {
		struct lg_trust_bundle *b = NULL;

		if (!lg_trust_bundle_parse("fuzz", buf, size, fetched, &b))
			check_bundle(b, fetched);
		else
			FUZZ_ASSERT(!b);
		lg_trust_bundle_free(b);
	}
	free(buf);
	return 0;
}

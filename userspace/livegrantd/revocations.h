/* SPDX-License-Identifier: GPL-2.0 */
/*
 * revocations.h - revoked token ids, each kept until its token's expiry:
 * after that the token is refused as expired anyway.
 */
#ifndef LGD_REVOCATIONS_H
#define LGD_REVOCATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lgd_revoked {
	char *jti;
	int64_t exp;
};

struct lgd_revocations {
	struct lgd_revoked *v;
	size_t n, cap;
};

bool lgd_is_revoked(const struct lgd_revocations *r, const char *jti);
/* Remember @jti until @exp (epoch seconds); 0 or -ENOMEM. A NULL @jti is ignored. */
int lgd_add_revoked(struct lgd_revocations *r, const char *jti, int64_t exp);
/* Forget ids whose token expired before @before (epoch seconds). */
void lgd_prune_revoked(struct lgd_revocations *r, int64_t before);
void lgd_revocations_free(struct lgd_revocations *r);

#endif /* LGD_REVOCATIONS_H */

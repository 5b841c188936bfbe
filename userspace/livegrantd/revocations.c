// SPDX-License-Identifier: GPL-2.0
/* revocations.c - see revocations.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "livegrant.h"
#include "revocations.h"

bool lgd_is_revoked(const struct lgd_revocations *r, const char *jti)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].jti, jti))
			return true;
	return false;
}

int lgd_add_revoked(struct lgd_revocations *r, const char *jti, int64_t exp)
{
	if (!jti || lgd_is_revoked(r, jti))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct lgd_revoked *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return lg_err(-ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].jti = strdup(jti);
	if (!r->v[r->n].jti)
		return lg_err(-ENOMEM, "out of memory");
	r->v[r->n++].exp = exp;
	return 0;
}

/* A revoked id past its token's expiry can never be presented again anyway. */
void lgd_prune_revoked(struct lgd_revocations *r, int64_t before)
{
	for (size_t i = 0; i < r->n;) {
		if (r->v[i].exp < before) {
			free(r->v[i].jti);
			r->v[i] = r->v[--r->n];
			continue;
		}
		i++;
	}
}

void lgd_revocations_free(struct lgd_revocations *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].jti);
	free(r->v);
	*r = (struct lgd_revocations){ 0 };
}

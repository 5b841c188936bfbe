/* SPDX-License-Identifier: GPL-2.0 */
/* policy.h - a trust domain's require_claims and ceiling on a verified token. */
#ifndef LGD_POLICY_H
#define LGD_POLICY_H

#include "config.h"
#include "token.h"

/* 0, or a negative errno with *reason (missing_claim, beyond_ceiling) and lg_errmsg(). */
int lgd_domain_policy(const struct lg_domain_config *dom, const struct lg_token *t,
		      const char **reason);

#endif /* LGD_POLICY_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* policy.h - a trust domain's require_claims and ceiling on a verified token. */
#ifndef LGD_POLICY_H
#define LGD_POLICY_H

#include "config.h"
#include "token.h"

/* 0, or a negative errno with *reason (missing_claim, beyond_ceiling) and lg_errmsg(). */
int lgd_domain_policy(const struct lg_domain_config *dom, const struct lg_token *t,
		      const char **reason);

/**
 * struct lgd_protected_path - one of livegrant's own files or folders.
 * @path:    absolute and normalized like a rule path (no trailing '/').
 * @what:    what it is, for messages ("state_dir").
 * @listing: reading it gives something away (the state directory lists
 *           agents): a rule that lets an agent read below it is refused too.
 */
struct lgd_protected_path {
	char *path;
	const char *what;
	bool listing;
};

/* livegrant's own files: out of every grant's reach (docs/rules.md). */
struct lgd_protected {
	struct lgd_protected_path *v;
	size_t n;
};

/*
 * Collect them from @cfg: state_dir (the control socket's folder too),
 * bpffs_dir, the config file, every trust bundle, and @exe (livegrantd's
 * binary; NULL: left out). Each as written and, where it exists, as the
 * kernel names it (realpath): rules are matched on the resolved path.
 */
int lgd_protected_init(struct lgd_protected *p, const struct lg_config *cfg, const char *exe);
void lgd_protected_free(struct lgd_protected *p);

/*
 * Refuse a rule set that reaches one of @p: a file rule whose target lies
 * inside a protected path (any right), or that is an ancestor of one with
 * a right that changes files or folders (everything but read and exec), or
 * a subtree rule above a @listing path that grants read. Connect rules are
 * not file rules (agents may connect to the control socket). @where names
 * the set in the message ("baseline", "token"). 0, or -EPERM with *reason
 * "protected_path" and lg_errmsg() naming the rule and the path.
 */
int lgd_protected_check_config(const struct lgd_protected *p, const struct lg_rules_config *r,
			       const char *where, const char **reason);
int lgd_protected_check_token(const struct lgd_protected *p, const struct lg_token *t,
			      const char **reason);

#endif /* LGD_POLICY_H */

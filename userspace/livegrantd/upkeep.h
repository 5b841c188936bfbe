/* SPDX-License-Identifier: GPL-2.0 */
/*
 * upkeep.h - grants after their admission: refreshed while their
 * attestation holds, brought back after a restart, revoked by an admin.
 */
#ifndef LGD_UPKEEP_H
#define LGD_UPKEEP_H

#include <jansson.h>

struct lgd;
struct lg_enforcer;

/* Re-attest every agent and extend or remove its grant. */
void lgd_refresh(struct lgd *d);
/*
 * lg_enforcer_opts.bridge (@ctx: the struct lgd): while this build loads,
 * keep the saved agents' grants alive in the pins in force, each one
 * through the admission pipeline (LGD_ADMIT_BRIDGE).
 */
void lgd_bridge(struct lg_enforcer *e, void *ctx);
/* After start: bring saved agents back into the kernel, drop strangers. */
int lgd_restore(struct lgd *d);
/*
 * Remove the grants matching @target (sub, cgroup path or name, jti) and
 * remember their token ids; fills @resp ({"ok":...,"revoked":[...]}).
 */
int lgd_revoke(struct lgd *d, const char *target, json_t *resp);

#endif /* LGD_UPKEEP_H */

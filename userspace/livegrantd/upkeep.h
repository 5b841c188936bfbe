/* SPDX-License-Identifier: GPL-2.0 */
/*
 * upkeep.h - grants after their admission: refreshed while their
 * attestation holds, brought back after a restart, revoked by an admin.
 */
#ifndef LGD_UPKEEP_H
#define LGD_UPKEEP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct lgd;
struct lg_enforcer;

/* Re-attest every agent and extend or remove its grant, all at once. */
void lgd_refresh(struct lgd *d);
/*
 * The same pass in slices, so that presentations and the event ring are
 * served between them (a pass over thousands of agents takes seconds):
 * lgd_refresh_begin() starts one unless one is running (then it returns
 * false and the running pass goes on), and lgd_refresh_slice() refreshes
 * agents for about @budget_ns (0: to the end). It returns true while
 * agents of the pass are left. An agent added or moved during the pass is
 * still refreshed in it: each record notes the pass that refreshed it.
 */
bool lgd_refresh_begin(struct lgd *d);
bool lgd_refresh_slice(struct lgd *d, uint64_t budget_ns);
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * upkeep.h - grants after their admission: refreshed while their
 * attestation holds, brought back after a restart, revoked by an admin.
 */
#ifndef LGD_UPKEEP_H
#define LGD_UPKEEP_H

#include <jansson.h>

struct lgd;

/* Re-attest every agent and extend or remove its grant. */
void lgd_refresh(struct lgd *d);
/* After start: bring saved agents back into the kernel, drop strangers. */
int lgd_restore(struct lgd *d);
/*
 * Remove the grants matching @target (sub, cgroup path or name, jti) and
 * remember their token ids; fills @resp ({"ok":...,"revoked":[...]}).
 */
int lgd_revoke(struct lgd *d, const char *target, json_t *resp);

#endif /* LGD_UPKEEP_H */

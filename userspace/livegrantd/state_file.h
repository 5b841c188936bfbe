/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state_file.h - what livegrantd must remember across a restart, in
 * <state_dir>/state.json: the agents holding a grant, with their tokens,
 * and the revoked token ids.
 */
#ifndef LGD_STATE_FILE_H
#define LGD_STATE_FILE_H

#include "agent_table.h"
#include "config.h"
#include "revocations.h"

struct lgd;

/*
 * Write the records of @agents that hold a grant, and @revoked, to @path:
 * via a temporary file, synced and renamed, so a crash leaves the old file
 * or the new one. Returns 0 or a negative errno with lg_errmsg().
 */
int lgd_state_write(const char *path, const struct lgd_agents *agents,
		    const struct lgd_revocations *revoked);
/*
 * Read @path into @agents and @revoked (domains named by @cfg). No file is
 * a first start: 0 and nothing read.
 */
int lgd_state_read(const char *path, const struct lg_config *cfg, struct lgd_agents *agents,
		   struct lgd_revocations *revoked);

/*
 * The daemon's state now: expired revocations pruned, then written. A
 * failure is logged and retried by the event loop (lgd_state_save_later).
 */
int lgd_state_save(struct lgd *d);
/* Save after the event loop's current pass: off hot paths, many changes one write. */
void lgd_state_save_later(struct lgd *d);
int lgd_state_load(struct lgd *d);

#endif /* LGD_STATE_FILE_H */

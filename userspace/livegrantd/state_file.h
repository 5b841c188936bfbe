/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state_file.h - what livegrantd must remember across a restart, in
 * <state_dir>/state.json: the agents holding a grant, with their tokens,
 * and the revoked token ids. When it is saved: state_saver.h.
 */
#ifndef LGD_STATE_FILE_H
#define LGD_STATE_FILE_H

#include "agent_table.h"
#include "config.h"
#include "revocations.h"

struct lgd;

/* What one save writes (state_file.c): taken on the event loop, written anywhere. */
struct lgd_state_snapshot;

/*
 * The records of @agents that hold a grant, and @revoked, as a save will
 * write them; the tokens are shared, not copied. NULL without memory.
 */
struct lgd_state_snapshot *lgd_state_snapshot(const struct lgd_agents *agents,
					      const struct lgd_revocations *revoked);
void lgd_state_snapshot_free(struct lgd_state_snapshot *s);
/*
 * Write @s to @path: via a temporary file, synced and renamed, so a crash
 * leaves the old file or the new one. Touches nothing but @s and the files,
 * so any thread may call it. Returns 0 or a negative errno with lg_errmsg().
 */
int lgd_state_snapshot_write(const char *path, const struct lgd_state_snapshot *s);
/* Both at once, on the calling thread. */
int lgd_state_write(const char *path, const struct lgd_agents *agents,
		    const struct lgd_revocations *revoked);
/*
 * Read @path into @agents and @revoked (domains named by @cfg). No file is
 * a first start: 0 and nothing read.
 */
int lgd_state_read(const char *path, const struct lg_config *cfg, struct lgd_agents *agents,
		   struct lgd_revocations *revoked);
/* lgd_state_read() of the daemon's own state file, into its records. */
int lgd_state_load(struct lgd *d);

#endif /* LGD_STATE_FILE_H */

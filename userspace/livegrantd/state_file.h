/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state_file.h - what livegrantd must remember across a restart, in
 * <state_dir>/state.json: the agents holding a grant, with their tokens,
 * and the revoked token ids, which also go to <state_dir>/revoked.json, so
 * that a state file found corrupt can be set aside without forgetting them.
 * When it is saved: state_saver.h.
 */
#ifndef LGD_STATE_FILE_H
#define LGD_STATE_FILE_H

#include "agent_table.h"
#include "config.h"
#include "revocations.h"

struct lgd;

#define LGD_REVOKED_NAME "revoked.json"

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
/* The revocations' second copy beside state file @state_path, into @out. */
void lgd_state_revoked_path(char *out, size_t size, const char *state_path);
/*
 * Read @path and the revocations' copy beside it into @agents and @revoked
 * (domains named by @cfg); a revocation in either counts. No file is a
 * first start: 0 and nothing read. A corrupt state file is set aside
 * (PATH.corrupt-SECONDS) and none of it trusted, its agents then present
 * again, as long as the revocations' copy is whole: else -EINVAL, with a
 * message that says what to do. A corrupt copy is set aside; the next
 * save writes it again.
 */
int lgd_state_read(const char *path, const struct lg_config *cfg, struct lgd_agents *agents,
		   struct lgd_revocations *revoked);
/* lgd_state_read() of the daemon's own state file, into its records. */
int lgd_state_load(struct lgd *d);

#endif /* LGD_STATE_FILE_H */

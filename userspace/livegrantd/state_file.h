/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state_file.h - what livegrantd must remember across a restart, in
 * <state_dir>/state.json: the agents holding a grant, with their tokens,
 * and the revoked token ids.
 */
#ifndef LGD_STATE_FILE_H
#define LGD_STATE_FILE_H

#include <stdbool.h>

#include "agent_table.h"
#include "config.h"
#include "revocations.h"

struct lgd;

/* How long a new grant may wait for the save it shares (lgd_state_save_soon()). */
#define LGD_SAVE_DELAY_MS 500

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
/*
 * Save within LGD_SAVE_DELAY_MS, together with whatever else changes
 * meanwhile: a new grant. The state file holds every agent's token, so a
 * save costs the whole fleet; presentations in a burst share one. If
 * livegrantd dies before the save, the restart knows what the last save
 * held: a new agent is unknown and loses its grant (fail closed) until it
 * presents again; an agent that presented a newer token gets back the
 * grant of its earlier one, still valid and not revoked (the restart
 * re-verifies it), never more. Revocations and lapses are saved at once
 * (lgd_state_save()).
 */
void lgd_state_save_soon(struct lgd *d);
/* Is a save due now (the event loop checks after each pass)? */
bool lgd_state_save_due(const struct lgd *d);
/* The event loop's wait: milliseconds until a pending save is due, else -1. */
int lgd_state_save_wait_ms(const struct lgd *d);
int lgd_state_load(struct lgd *d);

#endif /* LGD_STATE_FILE_H */

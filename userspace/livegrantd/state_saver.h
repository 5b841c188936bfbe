/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state_saver.h - when livegrantd's state file (state_file.h) is saved, and
 * on which thread. The file holds every agent's token, so writing it costs
 * the whole fleet: a save the event loop waited for would stall every
 * presentation behind it. The loop only takes a snapshot (the records, the
 * tokens shared), and a writer thread serializes, writes and syncs it.
 * One write runs at a time; changes made meanwhile go into the next one.
 */
#ifndef LGD_STATE_SAVER_H
#define LGD_STATE_SAVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct lgd;
struct lgd_state_snapshot;

/* How long a new grant may wait for the save it shares (lgd_state_save_soon()). */
#define LGD_SAVE_DELAY_MS 500
/* How long after a failed save (a full disk) the next is tried. */
#define LGD_SAVE_RETRY_MS 1000
/*
 * After a write that took T, the next starts no sooner than this many T
 * later: the writer keeps at most a fifth of a CPU however large the fleet
 * (10,000 agents' tokens are about 40 MB of JSON), and the loop's own share
 * of a save (the snapshot) stays as small.
 */
#define LGD_SAVE_PACE 4

/**
 * struct lgd_saver - the saves wanted and the one being written.
 * @pending:  a save is wanted: a change since the last snapshot, or the
 *            last write failed.
 * @due_ns:   CLOCK_MONOTONIC the wanted save is due at; 0: at once.
 * @busy:     a writer thread holds @snap; joined by the event loop.
 * @done_fd:  eventfd the writer signals when done (in main's epoll set).
 * @result:   the writer's outcome (0 or a negative errno), @msg its
 *            message; read only after the join.
 * @failures: writes that failed since livegrantd started.
 * @write_ns: how long the last write took (set by whoever wrote it, read
 *            after the join).
 * @next_ns:  CLOCK_MONOTONIC before which no background write starts
 *            (LGD_SAVE_PACE).
 */
struct lgd_saver {
	bool pending;
	uint64_t due_ns;
	bool busy;
	int done_fd;
	pthread_t thread;
	struct lgd_state_snapshot *snap;
	int result;
	char msg[512];
	uint64_t failures; /* since start */
	uint64_t failing; /* in a row now; 0: the last save succeeded */
	uint64_t failing_since_ns; /* CLOCK_BOOTTIME, of the first of them */
	char error[512]; /* the last failure's, while failing */
	uint64_t write_ns;
	uint64_t next_ns;
};

/* Set @s up (its eventfd). Returns 0 or a negative errno with lg_errmsg(). */
int lgd_saver_open(struct lgd_saver *s);
/* Wait for the write in flight, if any, and close @s. */
void lgd_saver_close(struct lgd *d);

/*
 * Save now, on the calling thread, after the write in flight: for what a
 * caller must know is on disk before it answers (a revocation), and at
 * start and stop. Expired revocations are pruned first. A failure is
 * logged and retried by the event loop; returns 0 or a negative errno.
 */
int lgd_state_save(struct lgd *d);
/* Save at the event loop's next pass, in the background: a lapse, a crossing. */
void lgd_state_save_later(struct lgd *d);
/*
 * Save within LGD_SAVE_DELAY_MS, together with whatever else changes
 * meanwhile: a new grant. Presentations in a burst share one save. If
 * livegrantd dies before the save, the restart knows what the last save
 * held: a new agent is unknown and loses its grant (fail closed) until it
 * presents again; an agent that presented a newer token gets back the
 * grant of its earlier one, still valid and not revoked (the restart
 * re-verifies it), never more. Revocations are saved at once
 * (lgd_state_save()).
 */
void lgd_state_save_soon(struct lgd *d);
/*
 * The event loop, after each pass: start the writer on a snapshot when a
 * save is due and none runs (if no thread can be started, write here).
 */
void lgd_state_save_start(struct lgd *d);
/* The event loop, when @done_fd is readable: join the writer, take its outcome. */
void lgd_state_save_finished(struct lgd *d);
/* The event loop's wait: milliseconds until a save is due to start, else -1. */
int lgd_state_save_wait_ms(const struct lgd *d);

#endif /* LGD_STATE_SAVER_H */

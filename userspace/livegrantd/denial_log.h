/* SPDX-License-Identifier: GPL-2.0 */
/*
 * denial_log.h - <state_dir>/denials.jsonl (names: lib/denial_log_names.h):
 * every denial the kernel sent as one JSON line, and the summaries of
 * those it did not (events_log.c), rotated by size into gzip-compressed
 * files (denials.jsonl.1.gz is the newest). Nothing is dropped without a
 * count: the per-agent rate is kept by the programs (bpf/lib/report.h).
 *
 * A write that fails (a full disk, a read-only state directory) leaves no
 * half line: the file is cut back to its last whole line. The lines that
 * could not be written are counted (status, metrics) and still go to
 * standard output; once writing works again, a "log_unwritten" summary line
 * says how many are missing and why, before the next line.
 *
 * A write the file system took is not yet on its disk: a file system that
 * failed (ext4 with errors=remount-ro, its journal aborted) still takes
 * lines into the page cache, and drops them. So once a second the lines
 * written since the last sync are synced (fdatasync, on a thread of its
 * own: a slow disk must not hold the event loop); when that fails, they
 * are counted as not written, with the counts of the summaries among
 * them and the lines written while it ran (an error it reports may be
 * theirs), and nothing more is written until a sync works again: tried
 * after 1 s, then 2, 4 ... up to LGD_LOG_SYNC_BACKOFF_MAX_S while they go
 * on failing, so that a disk whose errors come and go does not make the
 * log stop and start every second. A rotation compresses and syncs the
 * rotated file on the loop (once per denial_log_max_bytes) before it
 * empties the live one.
 */
#ifndef LGD_DENIAL_LOG_H
#define LGD_DENIAL_LOG_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* The longest wait between two tries of a sync that fails. */
#define LGD_LOG_SYNC_BACKOFF_MAX_S 64U
/* A sync running longer than this is shown in status (sync_running_for_s). */
#define LGD_LOG_SYNC_SLOW_NS (5ULL * 1000000000ULL)
/* How long a stopping livegrantd waits for a sync that has not returned. */
#define LGD_LOG_SYNC_STOP_WAIT_S 10U

struct lgd_log_sync;

struct lgd_denial_log {
	char path[PATH_MAX];
	int fd;
	uint64_t size;
	uint64_t max_bytes;
	uint32_t keep;
	int write_err; /* 0, or the errno of the failure that stops writing */
	uint64_t unwritten; /* lines not written since writing stopped */
	uint64_t unwritten_total; /* since start */
	uint64_t failing_since_ns; /* CLOCK_BOOTTIME */
	uint64_t rotate_failed_ns; /* CLOCK_BOOTTIME of a failed rotation; 0: none */
	/* Written since the last sync began: lines, and the counts their summaries carry. */
	uint64_t unsynced, unsynced_carried;
	/* The sync in flight (while @sync_job is set), what it covers, and since when. */
	struct lgd_log_sync *sync_job;
	pthread_t sync_thread;
	uint64_t sync_lines, sync_carried;
	uint64_t sync_started_ns; /* CLOCK_BOOTTIME */
	int sync_err; /* the last sync's failure, while it lasts: nothing is written */
	/* Failures in a row make the retries rarer (LGD_LOG_SYNC_BACKOFF_MAX_S at most). */
	uint32_t sync_backoff_s;
	uint64_t sync_retry_ns; /* CLOCK_BOOTTIME before which no retry starts */
	uint64_t sync_failures; /* syncs that failed with lines to confirm, since start */
};

struct lgd;

/*
 * Open (create) the log in @state_dir. A last line left half-written (a
 * crash, a full disk) is cut off, and said, so that the next line starts a
 * line of its own.
 */
int lgd_denial_log_open(struct lgd_denial_log *l, const char *state_dir, uint64_t max_bytes,
			uint32_t keep);
/* Record one line: to standard output and the file. */
void lgd_denial_log_write(struct lgd_denial_log *l, const char *line);
/* Record summary @o (its reference is taken), stamped with the time now. */
void lgd_denial_log_summary(struct lgd_denial_log *l, json_t *o);
/*
 * Once a second: take the last sync's outcome and start the next, and while
 * writes fail, try again.
 */
void lgd_denial_log_tick(struct lgd_denial_log *l);
/* Sync what is written (waiting for it), say what was not written, and close. */
void lgd_denial_log_close(struct lgd_denial_log *l);

#endif /* LGD_DENIAL_LOG_H */

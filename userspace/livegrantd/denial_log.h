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
 */
#ifndef LGD_DENIAL_LOG_H
#define LGD_DENIAL_LOG_H

#include <limits.h>
#include <stdint.h>

#include <jansson.h>

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
/* Once a second: while writes fail, try again. */
void lgd_denial_log_tick(struct lgd_denial_log *l);
void lgd_denial_log_close(struct lgd_denial_log *l);

#endif /* LGD_DENIAL_LOG_H */

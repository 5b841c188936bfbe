/* SPDX-License-Identifier: GPL-2.0 */
/*
 * denial_log.h - <state_dir>/denials.jsonl (names: lib/denial_log_names.h): every denial as one JSON line,
 * rotated by size into gzip-compressed files (denials.jsonl.1.gz is the
 * newest), rate-limited per agent with a counted summary, and a line for
 * events the kernel could not deliver. Nothing is dropped without a count.
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

/* Per agent: a burst of this many lines, then this many per second. */
#define LGD_RATE_BURST 200
#define LGD_RATE_PER_S 100
#define LGD_RATE_SLOTS 256

struct lgd_rate {
	uint64_t agent; /* agent cgroup id; 0: free slot */
	uint64_t last_ns;
	double tokens;
	uint64_t suppressed;
	char sub[128];
	char cgroup[256];
};

struct lgd_denial_log {
	char path[PATH_MAX];
	int fd;
	uint64_t size;
	uint64_t max_bytes;
	uint32_t keep;
	uint64_t lost_seen; /* kernel events_lost already reported */
	int write_err; /* 0, or the errno of the failure that stops writing */
	uint64_t unwritten; /* lines not written since writing stopped */
	uint64_t unwritten_total; /* since start */
	uint64_t failing_since_ns; /* CLOCK_BOOTTIME */
	uint64_t rotate_failed_ns; /* CLOCK_BOOTTIME of a failed rotation; 0: none */
	struct lgd_rate rate[LGD_RATE_SLOTS];
};

struct lgd;

/*
 * Open (create) the log in @state_dir. A last line left half-written (a
 * crash, a full disk) is cut off, and said, so that the next line starts a
 * line of its own.
 */
int lgd_denial_log_open(struct lgd_denial_log *l, const char *state_dir, uint64_t max_bytes,
			uint32_t keep);
/*
 * Record one denial line of agent @agent (@sub, @cgroup for a summary): to
 * standard output and the file, unless the agent is over its rate.
 */
void lgd_denial_log_write(struct lgd_denial_log *l, uint64_t agent, const char *sub,
			  const char *cgroup, const char *line);
/* Once a second: summaries of suppressed lines, and of events lost. */
void lgd_denial_log_tick(struct lgd_denial_log *l, uint64_t events_lost);
void lgd_denial_log_close(struct lgd_denial_log *l);

#endif /* LGD_DENIAL_LOG_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workloads.h - the operations the benchmark times: one syscall (or the
 * shortest sequence a user would call one operation) per iteration, on
 * targets an agent's grant allows, or (the denied variants) refuses.
 */
#ifndef LG_BENCH_WORKLOADS_H
#define LG_BENCH_WORKLOADS_H

#include <stdbool.h>

/* The files, folders and ports the workloads use (made by wl_setup()). */
#define WL_DIR "/tmp/lgb"
#define WL_SECRET_DIR "/tmp/lgb-secret"
#define WL_READ_DIRS 32 /* WL_DIR/d0..d31: read rules */
#define WL_WRITE_DIRS 30 /* WL_DIR/d32..d61: write rules */
#define WL_OPEN_FILE WL_DIR "/d17/f" /* inside a read rule */
#define WL_RENAME_DIR WL_DIR "/d40" /* inside a write rule */
#define WL_RENAME_RO_DIR WL_DIR "/d18" /* inside a read rule: renames are denied */
#define WL_SECRET_FILE WL_SECRET_DIR "/f" /* outside every rule */
#define WL_SECRET_EXEC WL_SECRET_DIR "/noop" /* a copy of the noop program */
#define WL_NET_RULES 32 /* 127.0.0.1:7100-7131 */
#define WL_PORT_BASE 7100
#define WL_TCP_OK 7100
#define WL_UDP_OK 7101
#define WL_TCP_NO 7200
#define WL_UDP_NO 7201

enum wl_id {
	WL_OPEN,
	WL_STAT,
	WL_CONNECT,
	WL_UDP,
	WL_EXEC,
	WL_RENAME,
	WL_MAX,
};

/* What one iteration works on: the allowed or the denied variant. */
struct wl_target {
	const char *path;
	const char *path2;
	int port;
	bool denied; /* the operation must fail with EACCES or EPERM */
};

struct workload {
	const char *name;
	const char *what;
	long iters; /* per round: about 0.1-0.7 s under emulation */
	bool has_denied; /* livegrant can deny it (stat: not mediated) */
	/* One iteration: 0 when the result is the expected one. */
	int (*op)(const struct wl_target *t, int *fd);
	/* Per-process set-up before the timed loop (a socket), may be NULL. */
	int (*open)(const struct wl_target *t, int *fd);
};

extern const struct workload workloads[WL_MAX];

/*
 * Make the folders, files and listeners; @noop is the static program the
 * exec workload runs. 0 or -1 with a message on stderr.
 */
int wl_setup(const char *noop);
/* The target of workload @id, allowed or denied; @noop as for wl_setup(). */
struct wl_target wl_target(enum wl_id id, bool denied, const char *noop);
/* Drop what the listeners hold (connections, datagrams) between rounds. */
void wl_drain(void);

#endif /* LG_BENCH_WORKLOADS_H */

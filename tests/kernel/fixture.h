/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture.h - the world every kernel test runs in: the enforcer loaded in
 * the guest kernel, an agent root with two registered agents, a non-agent
 * cgroup, files, real listeners and a log of the events that arrived.
 *
 *   /sys/fs/cgroup/lgt-agents           agent root (FX_ROOT)
 *   /sys/fs/cgroup/lgt-agents/a1        registered agent (FX_A1)
 *   /sys/fs/cgroup/lgt-agents/a1/sub    sub-cgroup of a1, not registered
 *   /sys/fs/cgroup/lgt-agents/a2        registered agent (FX_A2)
 *   /sys/fs/cgroup/lgt-other            not an agent (FX_OTHER)
 *   /tmp/lgt/...                         files (FX_DIR)
 */
#ifndef LG_KTEST_FIXTURE_H
#define LG_KTEST_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "livegrant.h"

#define FX_ROOT "/sys/fs/cgroup/lgt-agents"
#define FX_A1 FX_ROOT "/a1"
#define FX_A1_SUB FX_A1 "/sub"
#define FX_A2 FX_ROOT "/a2"
#define FX_OTHER "/sys/fs/cgroup/lgt-other"
#define FX_DIR "/tmp/lgt"
#define FX_CONTROL_SOCK FX_DIR "/control.sock"

/* TCP listeners on loopback (IPv4 and IPv6 both where noted). */
#define FX_PORT_OK 8080 /* 127.0.0.1 and ::1 */
#define FX_PORT_NO 9090 /* 127.0.0.1 and ::1 */
#define FX_PORT_RANGE_IN 8050 /* 127.0.0.2 */
#define FX_PORT_RANGE_OUT 8101 /* 127.0.0.2 */
/* UDP receivers. */
#define FX_UDP_OK 5353 /* 127.0.0.1 and ::1 */
#define FX_UDP_NO 5454 /* 127.0.0.1 and ::1 */

#define STRV(a) ((struct lg_strv){ (a), sizeof(a) / sizeof((a)[0]) })

extern struct lg_enforcer *fx;
extern uint64_t fx_a1, fx_a2, fx_root;
extern bool fixture_verbose;
extern char fixture_error[512];

int fixture_setup(void);
void fixture_before_test(void);
void fixture_after_test(void);
/* After a failed test: print the last of its events (what was denied, and why). */
void fixture_explain_failure(void);
void fixture_teardown(void);

/* A grant spec that expires in @ttl_ms; fill the rule lists yourself. */
struct lg_grant_spec fx_spec(int ttl_ms);

/*
 * Wait up to @timeout_ms for an event from @pid (0: any) of @hook and
 * @reason. Returns a copy owned by the fixture, or NULL.
 */
const struct lg_event *fx_wait_event(uint32_t pid, int hook, int reason, int timeout_ms);
/* Like fx_wait_event(), for the first such event that @match also accepts. */
const struct lg_event *fx_wait_event_if(uint32_t pid, int hook, int reason,
					bool (*match)(const struct lg_event *ev, const void *arg),
					const void *arg, int timeout_ms);
/* fx_wait_event() for the event whose target is @target. */
const struct lg_event *fx_wait_event_at(uint32_t pid, int hook, int reason, const char *target,
					int timeout_ms);
/* Poll events for @ms; the number that came from @pid. */
int fx_count_events(uint32_t pid, int ms);
/*
 * Like fx_wait_event(), from any process, for the event whose target is
 * @target (its first strlen(@target) bytes when @prefix).
 */
const struct lg_event *fx_wait_event_target(int hook, int reason, const char *target, bool prefix,
					    int timeout_ms);
/* Poll events for @ms; the number of this test's events of @hook. */
int fx_count_hook_events(int hook, int ms);
/* Bytes waiting on the UDP receiver at @family/@port (0: none). */
int fx_udp_pending(int family, int port);

#endif /* LG_KTEST_FIXTURE_H */

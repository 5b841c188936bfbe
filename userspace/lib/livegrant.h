/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant.h - the library livegrantd, the CLI and the tests share: it loads
 * and pins the BPF programs, registers agent cgroups and writes grants.
 *
 * Conventions: functions return 0 or a negative errno. On failure,
 * lg_errmsg() holds a sentence a person can act on (it names what to change).
 * One writer at a time: grant and root updates of one enforcer are not safe
 * from several threads or processes at once (livegrantd is the only writer).
 */
#ifndef LIVEGRANT_H
#define LIVEGRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <livegrant/abi.h>
#include <livegrant/hook_set.h>
#include <livegrant/rule_kinds.h>

/* The release, shown by `livegrant status`. */
#define LIVEGRANT_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------- */

/* The message of the last failure in this thread. */
const char *lg_errmsg(void);
/* Record a message for @err (negative errno) and return @err. */
int lg_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- names of ABI values (stable: used in logs and JSON) -------------- */

const char *lg_reason_name(unsigned int reason);
/* The hook's stable name; "unknown" for an id outside the registry. */
const char *lg_hook_name(unsigned int hook);
const char *lg_action_name(unsigned int action);
/* The class of the rights a hook asks for (lg_event.access); LG_CLASS_MAX if unknown. */
enum lg_access_class lg_hook_class(unsigned int hook);
/* The name of the one right @bit of class @cls ("read", "connect"); NULL if none. */
const char *lg_access_name(enum lg_access_class cls, uint32_t bit);
/* "cap_sys_admin" for CAP_SYS_ADMIN; NULL for a number the table lacks. */
const char *lg_capability_name(unsigned int cap);
/*
 * "read,write" style, from the rights tables of livegrant/abi.h; @buf of
 * @size bytes. Bits without a name (or of an unknown class) are left out.
 */
const char *lg_access_str(enum lg_access_class cls, uint32_t access, char *buf, size_t size);

/* ---- rule kinds (livegrant/rule_kinds.h) ------------------------------- */

/* One row of LG_RULE_KINDS. */
struct lg_rule_kind_info {
	enum lg_rule_kind id;
	const char *name;
	enum lg_access_class cls;
	uint32_t rights;
};

/* The row of @kind; NULL when @kind is not below LG_RULE_KIND_MAX. */
const struct lg_rule_kind_info *lg_rule_kind(unsigned int kind);
/* The kind named @name ("exec"), or -ENOENT. */
int lg_rule_kind_by_name(const char *name);
/* "exec, read, write and connect": the kinds' names for messages. */
const char *lg_rule_kind_list(void);

/**
 * struct lg_hook_info - one row of the hook registry (livegrant/hooks.h).
 * @name:    stable name ("file_open").
 * @prog:    the BPF program ("lg_file_open"), also its link's pin name.
 * @lsm:     the LSM hook it attaches to ("file_open").
 * @cls:     the space of the rights it checks (enum lg_access_class).
 * @flags:   LG_HOOK_F_*.
 */
struct lg_hook_info {
	const char *name;
	const char *prog;
	const char *lsm;
	enum lg_access_class cls;
	unsigned int flags;
};

/* The registry row of @hook; NULL outside the registry. */
const struct lg_hook_info *lg_hook_info(unsigned int hook);
/* The hook whose program is @prog, or -ENOENT. */
int lg_hook_by_prog(const char *prog);
/*
 * Does the BPF object of this build match the registry: a row for every
 * program, in the section the row names, and a program for every row?
 * Needs no kernel (the object is opened, not loaded).
 */
int lg_bpf_object_check(void);

/* ---- durations (duration.c) ------------------------------------------ */

/* "30s", "10m", "1h" (a number alone is refused): seconds in *out. */
int lg_parse_duration(const char *s, uint64_t *out);
/* The same, with "0s" allowed when @allow_zero. */
int lg_duration_parse(const char *s, bool allow_zero, uint64_t *out);
/* CLOCK_MONOTONIC in nanoseconds: for intervals inside one process. */
uint64_t lg_monotonic_ns(void);

/* ---- kernel support -------------------------------------------------- */

/* One check of lg_kernel_probe(): what it saw, and on failure what to change. */
enum lg_kcheck_state { LG_KCHECK_OK, LG_KCHECK_FAIL, LG_KCHECK_SKIPPED };
struct lg_kcheck {
	const char *name;
	enum lg_kcheck_state state;
	char detail[256];
	char fix[384];
};
#define LG_KCHECK_MAX 6
struct lg_kernel_report {
	struct lg_kcheck checks[LG_KCHECK_MAX];
	size_t n;
};
/* lg_kernel_probe() may mount securityfs where it is missing (livegrantd does). */
#define LG_KCHECK_MOUNT 0x1
/*
 * Can this kernel run livegrant? securityfs, bpf among the active LSMs,
 * BTF, cgroup v2, a bpffs mounted where the pin directory @pin_dir goes
 * (NULL: /sys/fs/bpf/livegrant), and then a trial BPF LSM program loaded,
 * attached, and seen to refuse an open. Every check goes into @r; after a
 * failure the rest are skipped. Returns 0, or the first failure's negative
 * errno with lg_errmsg() naming it and its fix.
 */
int lg_kernel_probe(const char *pin_dir, unsigned int flags, struct lg_kernel_report *r);
/* lg_kernel_probe() without the report, and without mounting anything. */
int lg_kernel_check(const char *pin_dir);
/* 1 if "bpf" is in the active LSM list, 0 if not, negative errno on error. */
int lg_bpf_lsm_active(void);
/*
 * The per-program feature probe: *@supported holds each hook of the
 * registry whose LSM hook this kernel has (bpf_lsm_<hook> in its BTF). 0,
 * or a negative errno when the kernel's BTF cannot be read.
 */
int lg_hooks_supported(struct lg_hook_set *supported);

/* ---- the enforcer: programs, maps and links --------------------------- */

struct lg_enforcer;

struct lg_enforcer_opts {
	/* bpffs directory for pins; NULL: do not pin (tests). */
	const char *pin_dir;
	/* Print libbpf's debug output (verifier logs) to stderr. */
	bool verbose;
	/* Event ring size in bytes (power of two pages); 0: default. */
	uint32_t ring_bytes;
	/*
	 * Load, but attach and pin only at lg_enforcer_commit(), so that the
	 * caller can fill the maps first (livegrantd reinstalls every grant
	 * before this build's programs decide anything).
	 */
	bool staged;
	/*
	 * Called when this build must load and attach its programs while an
	 * earlier set of pins enforces: before each step and after it. Both
	 * take seconds on a slow machine; the callback keeps the grants in
	 * force alive meanwhile (lg_bridge_grant_extend()). May be NULL.
	 */
	void (*bridge)(struct lg_enforcer *e, void *ctx);
	void *bridge_ctx;
	/*
	 * And every this many milliseconds during each step, from a thread of
	 * its own (0: before and after only). The callback must then touch
	 * nothing but its own records and the grants, through
	 * lg_bridge_grant_extend().
	 */
	unsigned int bridge_interval_ms;
	/*
	 * The caller ran lg_kernel_probe() for @pin_dir just before and it
	 * passed: do not run the checks (and their trial program) again.
	 */
	bool kernel_checked;
};

/* How an enforcer came to be. */
enum lg_start {
	LG_START_FRESH, /* no pins: loaded and attached afresh */
	LG_START_ADOPTED, /* pins of this very build: adopted as they are */
	LG_START_UPGRADED, /* pins of another build, same maps: maps kept, programs new */
	LG_START_REPLACED, /* pins of another ABI: new maps, every grant reinstalled */
};

/*
 * Load the programs, or adopt the ones pinned under opts->pin_dir by an
 * earlier run. Pins of another build are never removed before this
 * build's programs are attached beside them: enforcement never stops.
 * Pins written here stay after lg_enforcer_close(): only
 * lg_enforcer_unpin() removes them and so ends enforcement.
 */
int lg_enforcer_open(const struct lg_enforcer_opts *opts, struct lg_enforcer **out);
/*
 * For opts->staged: attach this build's programs, pin them as the newest
 * set, then retire every other set. Idempotent.
 */
int lg_enforcer_commit(struct lg_enforcer *e);
void lg_enforcer_close(struct lg_enforcer *e);
/*
 * Retry removing the sets older than this one when a commit could not
 * (livegrantd calls it at every refresh). 0 when nothing is left to do.
 */
int lg_enforcer_tidy(struct lg_enforcer *e);
/*
 * Remove every pin under @pin_dir and return once the programs have left
 * their hooks: -EBUSY when a running process (livegrantd) still holds the
 * links (its programs detach when it stops), -ETIMEDOUT when the kernel
 * has not detached them in 30 s. The pins are gone either way.
 */
int lg_enforcer_unpin(const char *pin_dir);
enum lg_start lg_enforcer_start(const struct lg_enforcer *e);
/* "fresh", "adopted", "upgraded" or "replaced". */
const char *lg_start_name(enum lg_start s);
/* True when the maps came from pins (adopted or upgraded). */
bool lg_enforcer_adopted(const struct lg_enforcer *e);
/*
 * True when pins were found whose maps this build cannot use (another ABI
 * version, a map of another shape) and new maps were loaded: every grant
 * must be installed again.
 */
bool lg_enforcer_replaced(const struct lg_enforcer *e);
/*
 * Hooks whose program is attached, and hooks this kernel lacks, which are
 * therefore not enforced. Either pointer may be NULL.
 */
void lg_enforcer_hooks(const struct lg_enforcer *e, struct lg_hook_set *attached,
		       struct lg_hook_set *missing);
/* How many of livegrant's programs are attached through pins under @pin_dir. */
int lg_enforcer_links_pinned(const char *pin_dir, int *total);
/*
 * Extend the live grant of @id in the set of pins that enforced when this
 * enforcer was opened (see opts->bridge), and, when this build has maps of
 * its own (a replacing start), there too once a grant was reinstalled:
 * between the reinstall and the attach, and while attached beside the old
 * set, both sets judge. -ENOENT without an earlier set.
 */
int lg_bridge_grant_extend(struct lg_enforcer *e, uint64_t id, uint64_t expires_ns);
/*
 * The live grant of @id in that earlier set: its generation, and whether
 * that set's programs suspended it (a crossing livegrantd may never have
 * heard of). -ENOENT without one. Readable until lg_prev_release(), for a
 * replaced set; until commit otherwise.
 */
int lg_prev_agent_state(struct lg_enforcer *e, uint64_t id, uint32_t *generation, bool *suspended);

/* Mode for agents without a live grant (LG_MODE_ENFORCE or LG_MODE_AUDIT). */
int lg_set_default_mode(struct lg_enforcer *e, enum lg_mode mode);
/*
 * The AF_UNIX path every agent may connect to, with or without a grant (the
 * control socket). Replaces any previous one.
 */
int lg_set_control_socket(struct lg_enforcer *e, const char *path);
/*
 * Name the listening socket @fd as the control socket: the exception of
 * lg_set_control_socket() holds only for connections to this very socket
 * (its SO_COOKIE), not to whatever else is bound at the path. Until it is
 * called, no agent reaches anything through the exception.
 */
int lg_set_control_listener(struct lg_enforcer *e, int fd);

/* ---- cgroups --------------------------------------------------------- */

/* Cgroup v2 id and level of the cgroup directory @path. */
int lg_cgroup_id(const char *path, uint64_t *id, uint32_t *level);
/*
 * lg_cgroup_id(), calling @visit with the id of @path's cgroup and then of
 * each ancestor up to the root, in one walk of the path.
 */
typedef void (*lg_cgroup_visit_fn)(void *ctx, uint64_t id);
int lg_cgroup_walk(const char *path, uint64_t *id, uint32_t *level, lg_cgroup_visit_fn visit,
		   void *ctx);
/*
 * Is the cgroup at @path, resolved by lg_cgroup_id() before, still cgroup
 * @id? Two syscalls, where lg_cgroup_id() walks the whole path: for checks
 * repeated on every agent (livegrantd's refresh).
 */
bool lg_cgroup_is(const char *path, uint64_t id);

/* Every process at or below the cgroup @path becomes an agent. */
int lg_root_add(struct lg_enforcer *e, const char *path);
/*
 * The same with LG_ROOT_F_* @flags: LG_ROOT_F_FROM_EXEC for an agent pod,
 * whose tasks the container runtime brings in are agents from their exec
 * of the container's program on (include/livegrant/abi.h). The time of
 * registration is kept when the root is registered already.
 */
int lg_root_add_flags(struct lg_enforcer *e, const char *path, uint32_t flags);
/*
 * Set the time of registration of root @id to now: every task alive is
 * judged below it from then on (LG_ROOT_F_FROM_EXEC). Called once a root
 * is visible to the programs, and after a replacing commit.
 */
int lg_root_restamp(struct lg_enforcer *e, uint64_t id);
/*
 * Register root @id at @level with no flags, for a root of the set in
 * force whose directory cannot be found (it stays governed in this build).
 */
int lg_root_add_id(struct lg_enforcer *e, uint64_t id, uint32_t level);
/* The level of root @id in the set in force (another build's). -ENOENT if none. */
int lg_prev_root_level(struct lg_enforcer *e, uint64_t id, uint32_t *level);
/* Would lg_root_add() accept @path (level, not the root cgroup)? No kernel needed. */
int lg_root_check(const char *path);
int lg_root_remove(struct lg_enforcer *e, const char *path);
/* The same by cgroup id, for a root whose directory is gone. */
int lg_root_remove_id(struct lg_enforcer *e, uint64_t id);
/*
 * The cgroup ids of every registered root (malloc'd, *@n of them): this
 * build's, and when it replaces a set of another ABI, that set's too (its
 * roots are not in this build's new map yet). Duplicates are possible.
 */
int lg_root_ids(struct lg_enforcer *e, uint64_t **ids, size_t *n);
/*
 * Is the cgroup at @path at or below a root as the programs see it (in
 * lg_roots, its level marked in lg_state), so that its processes are
 * agents? What `livegrant wait` waits for.
 */
int lg_cgroup_governed(struct lg_enforcer *e, const char *path, bool *governed);
/*
 * Register the agent cgroup @path (at or below a root), with no grant: its
 * processes are denied everything until a grant is installed.
 */
int lg_agent_add(struct lg_enforcer *e, const char *path, uint64_t *id);
/* Forget an agent cgroup and its grant (for a cgroup that is gone). */
int lg_agent_remove(struct lg_enforcer *e, uint64_t id);
/* The ids of every registered agent cgroup; free(*ids) when done. */
int lg_agent_ids(struct lg_enforcer *e, uint64_t **ids, size_t *n);

/* ---- grants ------------------------------------------------------------ */

/* A list of rule strings. */
struct lg_strv {
	const char *const *v;
	size_t n;
};

/**
 * struct lg_grant_spec - what a grant allows, in rule syntax (docs/rules.md).
 * @rules: one list per enum lg_rule_kind. LG_CLASS_FILE kinds hold absolute
 *         paths, a trailing '/' covering the subtree; LG_CLASS_NET kinds
 *         hold "ADDR[/LEN][:PORT[-PORT]]", "[V6[/LEN]][:PORT[-PORT]]",
 *         "unix:/path" or "unix:@abstract".
 * @expires_ns: CLOCK_BOOTTIME deadline (lg_boottime_ns() + ttl).
 * @domain: trust-domain id. @mode: enum lg_mode.
 */
struct lg_grant_spec {
	struct lg_strv rules[LG_RULE_KIND_MAX];
	uint64_t expires_ns;
	uint32_t domain;
	enum lg_mode mode;
};

uint64_t lg_boottime_ns(void);

/*
 * Install @spec as the grant of agent cgroup @id, replacing any grant
 * atomically: until the call returns the agent sees the old grant whole,
 * afterwards the new one whole, never a mix. A spec that is invalid or does
 * not fit the limits changes nothing. On success *generation (if not NULL)
 * is the new grant's generation.
 */
int lg_grant_install(struct lg_enforcer *e, uint64_t id, const struct lg_grant_spec *spec,
		     uint32_t *generation);
/* Set a new expiry on the live grant of @id (refresh). */
int lg_grant_set_expiry(struct lg_enforcer *e, uint64_t id, uint64_t expires_ns);
/* Remove the grant of @id: its processes are denied everything at once. */
int lg_grant_remove(struct lg_enforcer *e, uint64_t id);
/* The live grant header of @id. -ENOENT if @id is not registered. */
int lg_grant_get(struct lg_enforcer *e, uint64_t id, struct lg_agent *out);

/* ---- trust domains ----------------------------------------------------- */

/*
 * Classify destinations in @cidr ("10.20.0.0/16", "fd00:20::/32") as trust
 * domain @domain (flags: LG_DOMAIN_F_*). A connect or send of an agent to
 * a domain other than its grant's is denied as a crossing.
 */
int lg_domain_net_add(struct lg_enforcer *e, const char *cidr, uint32_t domain, uint32_t flags);
struct lg_domain_net_spec {
	const char *cidr;
	uint32_t domain;
	uint32_t flags;
};

/*
 * Make the kernel's domain networks exactly @nets: all are added or
 * updated before stale ones are removed, so no destination is ever left
 * unclassified while the set changes.
 */
int lg_domain_nets_sync(struct lg_enforcer *e, const struct lg_domain_net_spec *nets, size_t n);
/*
 * The generation of @id's grant that a crossing suspended (0: none). A new
 * grant has a new generation and so is not suspended.
 */
int lg_agent_suspended(struct lg_enforcer *e, uint64_t id, uint32_t *generation);
/* Suspend generation @generation of @id's grant (restoring after a restart). */
int lg_agent_suspend(struct lg_enforcer *e, uint64_t id, uint32_t generation);

/* ---- events and counters --------------------------------------------- */

typedef int (*lg_event_fn)(void *ctx, const struct lg_event *ev);

struct lg_event_reader;

/* Read events of @e; @fn returning non-zero stops lg_events_poll(). */
int lg_events_open(struct lg_enforcer *e, lg_event_fn fn, void *ctx, struct lg_event_reader **out);
/*
 * After a commit that replaced another ABI's pins: read what the old
 * programs recorded before they detached (downtime and switch included)
 * and hand each event, in today's layout, to @fn. An event of the grant
 * the old set held at the switch carries the generation this build
 * installed for it. At most about @budget_ms per call: *more says that
 * records are left for the next call. The kernel releases old links
 * asynchronously, so keep calling for a few seconds, then
 * lg_prev_release(). Returns the number of events, or a negative errno
 * (-EPROTO: some could not be decoded).
 */
int lg_prev_events_drain(struct lg_enforcer *e, lg_event_fn fn, void *ctx, unsigned int budget_ms,
			 bool *more);
/* Is there a replaced set's ring to drain? */
bool lg_prev_events_pending(const struct lg_enforcer *e);
/* Close what is left of the replaced set (its maps go with the last fd). */
void lg_prev_release(struct lg_enforcer *e);
/* Wait up to @timeout_ms; returns events handled or a negative errno. */
int lg_events_poll(struct lg_event_reader *r, int timeout_ms);
/*
 * Without waiting, read events for about @budget_ms at most, so that a
 * flood of them never holds the caller's loop: *more says that records are
 * left for the next call. Returns the number of events read, or a negative
 * errno.
 */
int lg_events_consume(struct lg_event_reader *r, unsigned int budget_ms, bool *more);
/* The fd to add to an epoll/poll set. */
int lg_events_fd(struct lg_event_reader *r);
void lg_events_close(struct lg_event_reader *r);

/**
 * struct lg_event_tally - what became of one agent's events
 * (lg_event_budgets, bpf/lib/report.h).
 * @agent:          the agent id events name; LG_EVENT_SPILL for agents that
 *                  shared the spill entry.
 * @sent, @suppressed, @lost: totals since the entry was made.
 * @new_suppressed, @new_lost: of those, not reported before.
 * @gone:           the entry was removed with this call: its id is neither
 *                  a registered agent nor an agent root any more (it was
 *                  retired a sweep before).
 */
struct lg_event_tally {
	uint64_t agent;
	uint64_t sent, suppressed, lost;
	uint64_t new_suppressed, new_lost;
	bool gone;
};

typedef void (*lg_tally_fn)(void *ctx, const struct lg_event_tally *t);

/*
 * Hand every agent whose events were suppressed or lost since the last
 * call to @fn, then mark them reported (kept with the pins: a caller
 * restarted on the same pins neither repeats nor misses one, except that a
 * crash between @fn and the mark repeats). With @sweep, also retire the
 * entries of agents that are gone (programs count in the spill entry from
 * then on) and remove those retired by the sweep before, @gone set.
 * Returns the number of entries read, or a negative errno.
 */
int lg_event_tallies(struct lg_enforcer *e, bool sweep, lg_tally_fn fn, void *ctx);

/* Counters summed over CPUs: out[hook * LG_CTR_MAX + counter]. */
int lg_counters_read(struct lg_enforcer *e, uint64_t out[LG_COUNTERS]);

/* Render @ev's target ("/path", "10.0.0.1:443", "[::1]:80", "unix:/p"). */
const char *lg_event_target(const struct lg_event *ev, char *buf, size_t size);

#endif /* LIVEGRANT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/path_match.h - does a grant cover this path for this access?
 *
 * The path comes from bpf_d_path(): absolute, canonical (no "." or ".."),
 * symlinks already followed by the VFS, relative to the task's root and as
 * seen in its mount namespace. One pass over its bytes folds the keyed path
 * hash (livegrant/path_hash.h) and, at every component boundary, looks the
 * prefix up as a subtree rule; the whole path is also looked up as an exact
 * rule. A rule is named by its 128-bit keyed hash and length alone, so a
 * probe is one lookup, with no bytes to compare (path_hash.h says why).
 *
 * Example: "/workspace/a/b" probes "" (the rule "/"), "/workspace",
 * "/workspace/a" as subtrees and "/workspace/a/b" as exact file or subtree.
 * "/workspace2" never matches "/workspace/": the prefix "/workspace" is only
 * probed where a '/' or the end of the path follows it.
 */
#ifndef LG_BPF_PATH_MATCH_H
#define LG_BPF_PATH_MATCH_H

#include "report.h"
#include "scratch.h"
#include <livegrant/path_hash.h>

struct lg_path_walk {
	struct lg_scratch *sc;
	__u64 agent;
	struct lg_path_hash_state hash;
	__u32 generation;
	__u32 len;
	__u32 granted; /* enum lg_file_access */
	__u32 need;
	__u32 done; /* the end of the path was probed */
};

/* Look up the prefix [0, @plen) of the path; @whole: it is the full path. */
static __always_inline void lg_path_probe(struct lg_path_walk *w, __u32 plen, bool whole)
{
	struct lg_path_key key = {
		.cgroup_id = w->agent,
		.generation = w->generation,
		.len = plen,
	};
	struct lg_path_rule *rule;
	struct lg_path_digest d;

	lg_path_hash_final(&w->hash, plen, &d);
	key.hash[0] = d.lo;
	key.hash[1] = d.hi;
	rule = bpf_map_lookup_elem(&lg_path_rules, &key);

	if (!rule)
		return;
	/* An element being freed and reused for another grant: ignore it. */
	if (rule->cgroup_id != w->agent || rule->generation != w->generation)
		return;
	w->granted |= rule->subtree;
	if (whole)
		w->granted |= rule->exact;
}

static long lg_path_walk_cb(__u32 i, void *ctx)
{
	struct lg_path_walk *w = ctx;
	unsigned char c;

	/* Structural end: every byte and the end of the path were seen. */
	if (i > w->len || i >= LG_PATH_MAX)
		return 1;
	/*
	 * The end of the path is a boundary like a '/'. The mask bounds the
	 * byte offset into the LG_PATH_MAX-byte target for the verifier, which
	 * cannot bound a bpf_loop index; identity for i < LG_PATH_MAX (a power
	 * of two, limits.h).
	 */
	c = i < w->len ? w->sc->ev.target[i & (LG_PATH_MAX - 1)] : '/';
	if (c == '/') {
		/*
		 * Path "/" is the root rule, already probed as the empty
		 * prefix at i == 0; probing "/" again would look up a key no
		 * rule can have.
		 */
		if (!(i == w->len && i == 1))
			lg_path_probe(w, i, i == w->len);
		if (i == w->len)
			w->done = 1;
		/* Everything asked for is granted: stop early. */
		if ((w->granted & w->need) == w->need)
			return 1;
	}
	if (i < w->len)
		lg_path_hash_byte(&w->hash, i, c);
	return 0;
}

/*
 * Resolve @path into @sc->ev.target. Returns LG_REASON_NONE and sets
 * target_len, or the reason the path cannot be checked. A path that does not
 * fit is never truncated and matched: it is denied.
 */
static __always_inline __u8 lg_path_resolve(struct lg_scratch *sc, const struct path *path)
{
	/* bpf_d_path() does not modify the path; its prototype is just not const. */
	long n = bpf_d_path((struct path *)path, sc->ev.target, LG_PATH_MAX);

	lg_event_clear_target(&sc->ev, LG_TARGET_PATH);
	if (n == -ENAMETOOLONG)
		return LG_REASON_PATH_TOO_LONG;
	/* n counts the NUL; an empty or failed resolution cannot match. */
	if (n < 2 || n > LG_PATH_MAX)
		return LG_REASON_PATH_UNRESOLVED;
	sc->ev.target_len = n - 1;
	/* Pseudo files ("pipe:[12]", "anon_inode:...") are not paths. */
	if (sc->ev.target[0] != '/')
		return LG_REASON_PATH_UNRESOLVED;
	return LG_REASON_NONE;
}

/*
 * Returns LG_REASON_NONE when the grant of @s covers @need on the resolved
 * path in @sc. @exec_open: the file is opened by execve() itself (binary or
 * ELF interpreter); an exec rule then counts as read.
 */
static __always_inline __u8 lg_path_match(const struct lg_subject *s, struct lg_scratch *sc,
					  __u32 need, bool exec_open)
{
	struct lg_path_walk w = {
		.sc = sc,
		.agent = s->agent_cgroup_id,
		.generation = s->generation,
		.len = sc->ev.target_len,
		.need = need,
	};

	lg_path_hash_init(&w.hash, s->hash_key[0], s->hash_key[1]);
	if (exec_open)
		w.need = LG_FILE_READ_FILE;
	/*
	 * len + 1 <= LG_PATH_MAX steps see every byte and the end. A walk cut
	 * short (or a bpf_loop() failure) only misses probes: what it granted
	 * came from rules that do cover the path, and anything not granted is
	 * denied.
	 */
	bpf_loop(LG_PATH_MAX, lg_path_walk_cb, &w, 0);
	if (exec_open && (w.granted & LG_FILE_EXECUTE))
		w.granted |= LG_FILE_READ_FILE;
	return (w.granted & w.need) == w.need ? LG_REASON_NONE : LG_REASON_NOT_ALLOWED;
}

/*
 * Every right the grant of @s gives on the first @len bytes of the path in
 * @sc (the whole path, or its parent directory: a prefix ending where a '/'
 * follows), LG_PATH_RULE_BELOW included. The walk does not stop early, and
 * a walk that did not reach the end sets @complete false: the caller must
 * then deny, since a mask that misses rules could make a rename look as if
 * it gave no new rights.
 */
static __always_inline __u32 lg_path_granted(const struct lg_subject *s, struct lg_scratch *sc,
					     __u32 len, bool *complete)
{
	struct lg_path_walk w = {
		.sc = sc,
		.agent = s->agent_cgroup_id,
		.generation = s->generation,
		.len = len,
		.need = ~0u, /* never all granted: no early stop */
	};

	lg_path_hash_init(&w.hash, s->hash_key[0], s->hash_key[1]);
	bpf_loop(LG_PATH_MAX, lg_path_walk_cb, &w, 0);
	*complete = w.done;
	return w.granted;
}

/*
 * The whole check of a path hook for an agent: resolve, match, decide,
 * report. Returns the hook's return value.
 */
static __always_inline int lg_check_path(const struct lg_subject *s, enum lg_hook hook,
					 const struct path *path, __u32 need, bool exec_open)
{
	struct lg_scratch *sc = lg_scratch_claim();
	__u8 reason, res;
	int ret;

	if (!sc)
		return lg_decide(s, hook, need, LG_REASON_INTERNAL, NULL);
	/*
	 * Without a live grant the path is resolved only for the event; the
	 * grant's state is the reason reported.
	 */
	reason = s->reason;
	res = lg_path_resolve(sc, path);
	if (reason == LG_REASON_NONE)
		reason = res;
	if (reason == LG_REASON_NONE)
		reason = lg_path_match(s, sc, need, exec_open);
	ret = lg_decide(s, hook, need, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

#endif /* LG_BPF_PATH_MATCH_H */

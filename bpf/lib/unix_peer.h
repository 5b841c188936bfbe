/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/unix_peer.h - is the unix socket an agent reaches one its grant
 * names?
 *
 * connect() and sendto() name a socket by a path, but the kernel follows
 * that path to an inode: a symlink, a hard link or a socket rebound at an
 * allowed path would reach any listening socket. So where the kernel has
 * found the peer (unix_stream_connect, unix_may_send), the peer's own name
 * is judged too: an abstract socket by the name it is bound to, a pathname
 * socket by the path of its inode now (unix_sk(other)->path, walked by
 * path_walk.h from the agent's root, the way file rules see paths), not
 * the name it was bound with (which may be relative, or moved since).
 */
#ifndef LG_BPF_UNIX_PEER_H
#define LG_BPF_UNIX_PEER_H

#include "net_match.h"
#include "path_walk.h"

/*
 * Put the abstract name of @addr (@len bytes after sun_family, NUL first)
 * into sc->ukey and the event ('@' first).
 */
static __always_inline __u8 lg_peer_abstract(struct lg_scratch *sc, struct unix_address *addr,
					     int len)
{
	struct lg_unix_key *key = &sc->ukey;
	struct lg_unix_scan scan = { .key = key };

	/* A sockaddr_un holds no more: a longer name is a corrupt read. */
	if (len > LG_UNIX_PATH_MAX)
		return LG_REASON_BAD_ADDRESS;
	/*
	 * A constant-size read (the verifier needs one): bytes past the name
	 * are cleared below, since the key is compared whole.
	 */
	if (bpf_probe_read_kernel(key->path, LG_UNIX_PATH_MAX, addr->name[0].sun_path))
		return LG_REASON_BAD_ADDRESS;
	key->len = len;
	if (bpf_loop(LG_UNIX_PATH_MAX, lg_unix_clear_cb, &scan, 0) != LG_UNIX_PATH_MAX)
		return LG_REASON_BAD_ADDRESS;
	__builtin_memcpy(sc->ev.target, key->path, LG_UNIX_PATH_MAX);
	sc->ev.target[0] = '@';
	sc->ev.target_len = len;
	return LG_REASON_NONE;
}

/*
 * Put the path of the inode a pathname socket is bound at into sc->ukey
 * (the walk leaves it in sc->ev.target for the event). A path no unix rule
 * can hold (longer than LG_UNIX_PATH_MAX) is allowed by none.
 */
static __always_inline __u8 lg_peer_pathname(struct lg_scratch *sc, struct unix_sock *u)
{
	struct lg_unix_key *key = &sc->ukey;
	struct lg_unix_scan scan = { .key = key };
	struct vfsmount *mnt = BPF_CORE_READ(u, path.mnt);
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
	__u32 plen;
	__u8 reason;

	reason = lg_path_build(sc, mnt, dentry, false, &plen);
	sc->ev.target_kind = LG_TARGET_UNIX;
	sc->ev.family = AF_UNIX;
	if (reason != LG_REASON_NONE)
		return reason;
	if (sc->ev.target_len > LG_UNIX_PATH_MAX)
		return LG_REASON_NOT_ALLOWED;
	__builtin_memcpy(key->path, sc->ev.target, LG_UNIX_PATH_MAX);
	key->len = sc->ev.target_len;
	if (bpf_loop(LG_UNIX_PATH_MAX, lg_unix_clear_cb, &scan, 0) != LG_UNIX_PATH_MAX)
		return LG_REASON_BAD_ADDRESS;
	return LG_REASON_NONE;
}

/*
 * The name of the unix socket @other into sc->ukey: LG_REASON_NONE, or why
 * it cannot be judged (every one a denial). *@unnamed is set for a socket
 * bound to no name at all.
 */
static __always_inline __u8 lg_peer_name(struct lg_scratch *sc, struct sock *other, bool *unnamed)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	char first = 0;
	int len;

	if (!addr) {
		*unnamed = true;
		return LG_REASON_BAD_ADDRESS;
	}
	len = BPF_CORE_READ(addr, len) - LG_SUN_PATH_OFF;
	if (len <= 0 || bpf_probe_read_kernel(&first, 1, addr->name[0].sun_path))
		return LG_REASON_BAD_ADDRESS;
	if (first == 0)
		return lg_peer_abstract(sc, addr, len);
	return lg_peer_pathname(sc, u);
}

/*
 * May the agent reach the unix socket @other with @access? Its name must
 * be one the grant gives @access on. @unnamed_ok: a peer bound to no name
 * (the other end of a socketpair(), which only its creator or whoever it
 * handed a descriptor to can reach) is allowed; otherwise it is denied.
 * Returns the hook's return value.
 */
static __always_inline int lg_check_unix_peer(const struct lg_subject *s, enum lg_hook hook,
					      __u32 access, struct sock *other, bool unnamed_ok)
{
	struct lg_scratch *sc;
	bool unnamed = false;
	__u8 reason, res;
	int ret;

	if (!other)
		return lg_decide(s, hook, access, LG_REASON_BAD_ADDRESS, NULL);
	sc = lg_scratch_claim();
	if (!sc)
		return lg_decide(s, hook, access, LG_REASON_INTERNAL, NULL);
	lg_event_clear_target(&sc->ev, LG_TARGET_UNIX);
	sc->ev.family = AF_UNIX;
	__builtin_memset(&sc->ukey, 0, sizeof(sc->ukey));
	res = lg_peer_name(sc, other, &unnamed);
	if (unnamed && unnamed_ok) {
		lg_scratch_release(sc);
		return lg_decide(s, hook, access, LG_REASON_NONE, NULL);
	}
	/* The key is built whole before its owner is set (the walk's scratch). */
	sc->ukey.cgroup_id = s->agent_cgroup_id;
	sc->ukey.generation = s->generation;
	reason = s->reason;
	if (reason == LG_REASON_NONE)
		reason = res;
	if (reason == LG_REASON_NONE)
		reason = lg_unix_match(&sc->ukey, access);
	ret = lg_decide(s, hook, access, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

#endif /* LG_BPF_UNIX_PEER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf/lib/net_match.h - does a grant cover this destination address?
 *
 * Governed families: AF_INET and AF_INET6 (prefix + port rules, IPv4 kept as
 * IPv4-mapped IPv6 so a v6 socket reaching a v4 address meets the v4 rules)
 * and AF_UNIX (socket path rules). AF_UNSPEC carries no destination (it
 * disconnects). AF_NETLINK may reach the kernel (nl_pid 0, no groups) but
 * not other processes. Every other family is refused when the socket is
 * created (socket.bpf.c): see docs/rules.md.
 */
#ifndef LG_BPF_NET_MATCH_H
#define LG_BPF_NET_MATCH_H

#include "report.h"
#include "scratch.h"

/* sockaddr sizes the kernel itself requires (sizeof(sockaddr_in), SIN6_LEN_RFC2133). */
#define LG_SIN_LEN 16
#define LG_SIN6_LEN 24
#define LG_SUN_PATH_OFF 2
/* Passed as family when the address is too short to hold one. */
#define LG_FAMILY_BAD 0xffff

static __always_inline __u8 lg_inet_parse(struct lg_event *ev, void *sa, int salen, __u16 family)
{
	ev->target_kind = LG_TARGET_INET;
	ev->family = family;
	__builtin_memset(ev->addr, 0, sizeof(ev->addr));
	if (family == AF_INET) {
		struct sockaddr_in sin;

		if (salen < LG_SIN_LEN || bpf_probe_read_kernel(&sin, sizeof(sin), sa))
			return LG_REASON_BAD_ADDRESS;
		ev->addr[10] = 0xff;
		ev->addr[11] = 0xff;
		__builtin_memcpy(&ev->addr[12], &sin.sin_addr.s_addr, 4);
		ev->port = bpf_ntohs(sin.sin_port);
		return LG_REASON_NONE;
	}
	struct sockaddr_in6 sin6;

	if (salen < LG_SIN6_LEN || bpf_probe_read_kernel(&sin6, LG_SIN6_LEN, sa))
		return LG_REASON_BAD_ADDRESS;
	__builtin_memcpy(ev->addr, &sin6.sin6_addr, 16);
	ev->port = bpf_ntohs(sin6.sin6_port);
	return LG_REASON_NONE;
}

/* Does a range of the longest matching prefix hold the port with @access? */
static __always_inline __u8 lg_inet_match(const struct lg_subject *s, const struct lg_event *ev,
					  __u32 access)
{
	struct lg_net_key key = {
		.prefixlen = LG_NET_KEY_FIXED_BITS + 128,
		.generation = s->generation,
		.cgroup_id = s->agent_cgroup_id,
	};
	struct lg_net_rule *rule;
	__u32 n;

	__builtin_memcpy(key.addr, ev->addr, 16);
	rule = bpf_map_lookup_elem(&lg_net_rules, &key);
	if (!rule)
		return LG_REASON_NOT_ALLOWED;
	n = rule->nranges;
	/* Running out of ranges (or of the loop) is not_allowed: a deny. */
	for (__u32 i = 0; i < LG_MAX_PORT_RANGES; i++) {
		/* Bounded by the array; nranges beyond it is never trusted. */
		if (i >= n)
			break;
		if (ev->port >= rule->ranges[i].lo && ev->port <= rule->ranges[i].hi &&
		    (rule->ranges[i].rights & access) == access)
			return LG_REASON_NONE;
	}
	return LG_REASON_NOT_ALLOWED;
}

struct lg_unix_scan {
	struct lg_unix_key *key;
	__u32 n;
	__u32 ended;
};

/* Clear path bytes from key->len on. */
static long lg_unix_clear_cb(__u32 i, void *ctx)
{
	struct lg_unix_scan *s = ctx;

	if (i >= LG_UNIX_PATH_MAX)
		return 1;
	if (i >= s->key->len)
		s->key->path[i] = 0;
	return 0;
}

/* A pathname ends at its first NUL or at the address length. */
static long lg_unix_scan_cb(__u32 i, void *ctx)
{
	struct lg_unix_scan *s = ctx;

	if (i >= LG_UNIX_PATH_MAX)
		return 1;
	if (!s->ended && (i >= s->n || s->key->path[i] == 0)) {
		s->ended = 1;
		s->key->len = i;
	}
	if (s->ended)
		s->key->path[i] = 0;
	else
		s->key->len = i + 1;
	return 0;
}

/*
 * Trust domains: a destination inside another domain's networks is a
 * crossing, denied so that authorization for one domain is never used in
 * another; only a new token for that domain lets the agent go there. If
 * the destination's domain says so, the crossing also suspends the grant,
 * here in the kernel, with the very denial (no userspace delay).
 */
static __always_inline __u8 lg_domain_check(const struct lg_subject *s, struct lg_event *ev)
{
	struct lg_domain_net_key key = { .prefixlen = 128 };
	struct lg_domain_net *dn;

	__builtin_memcpy(key.addr, ev->addr, 16);
	dn = bpf_map_lookup_elem(&lg_domain_nets, &key);
	/* An address in no domain's networks belongs to none: rules decide. */
	if (!dn || dn->domain == s->domain)
		return LG_REASON_NONE;
	ev->target_domain = dn->domain;
	/* Audit mode only reports: it changes nothing, suspension included. */
	if ((dn->flags & LG_DOMAIN_F_SUSPEND) && s->mode == LG_MODE_ENFORCE) {
		__u64 id = s->agent_cgroup_id;
		__u32 gen = s->generation;

		/* A full map leaves the grant unsuspended; livegrantd sees the event. */
		bpf_map_update_elem(&lg_suspended, &id, &gen, BPF_ANY);
	}
	return LG_REASON_DOMAIN_CROSSING;
}

/*
 * Copy a sockaddr_un path into @key->path the way the kernel reads it:
 * a pathname stops at the first NUL within @salen, an abstract name (first
 * byte NUL) is all @salen bytes, NUL first (the event shows '@' instead).
 */
static __always_inline __u8 lg_unix_parse(struct lg_event *ev, struct lg_unix_key *key, void *sa,
					  int salen)
{
	int n = salen - LG_SUN_PATH_OFF;

	ev->target_kind = LG_TARGET_UNIX;
	ev->family = AF_UNIX;
	ev->target_len = 0;
	/* An unnamed address: the kernel refuses it with EINVAL anyway. */
	if (n <= 0)
		return LG_REASON_BAD_ADDRESS;
	if (n > LG_UNIX_PATH_MAX)
		n = LG_UNIX_PATH_MAX;
	/*
	 * Read all of sun_path at a constant size (the address lives in a
	 * kernel sockaddr_storage, so the bytes exist) and clear what lies
	 * beyond the address length: the key is compared whole.
	 */
	if (bpf_probe_read_kernel(key->path, LG_UNIX_PATH_MAX, (char *)sa + LG_SUN_PATH_OFF))
		return LG_REASON_BAD_ADDRESS;
	if (key->path[0] == 0) {
		/* Abstract: all @n bytes, the leading NUL kept in the key. */
		struct lg_unix_scan scan = { .key = key };

		key->len = n;
		/*
		 * Both scans must visit all LG_UNIX_PATH_MAX bytes (their
		 * callbacks never stop early): a key left partly uncleared is
		 * refused, not looked up.
		 */
		if (bpf_loop(LG_UNIX_PATH_MAX, lg_unix_clear_cb, &scan, 0) != LG_UNIX_PATH_MAX)
			return LG_REASON_BAD_ADDRESS;
	} else {
		struct lg_unix_scan scan = { .key = key, .n = n };

		if (bpf_loop(LG_UNIX_PATH_MAX, lg_unix_scan_cb, &scan, 0) != LG_UNIX_PATH_MAX)
			return LG_REASON_BAD_ADDRESS;
	}
	__builtin_memcpy(ev->target, key->path, LG_UNIX_PATH_MAX);
	ev->target_len = key->len;
	if (key->path[0] == 0) {
		ev->target[0] = '@';
		return LG_REASON_NONE;
	}
	/*
	 * A relative path names a different socket in every cwd: denied.
	 * (A relative "@x" is a pathname, never the abstract name "@x".)
	 */
	if (key->path[0] != '/')
		return LG_REASON_PATH_UNRESOLVED;
	return LG_REASON_NONE;
}

/* Does the grant's entry for the socket name in @key hold @access? */
static __always_inline __u8 lg_unix_match(struct lg_unix_key *key, __u32 access)
{
	__u8 *rights = bpf_map_lookup_elem(&lg_unix_rules, key);

	return rights && (*rights & access) == access ? LG_REASON_NONE : LG_REASON_NOT_ALLOWED;
}

/*
 * Check a destination @sa of length @salen, interpreted as @family (already
 * decided by the hook from the socket and the address). @via_control is
 * NULL where the control socket exception does not apply; otherwise it is
 * set to 1 when only the exception let the destination through. Returns
 * the hook's return value.
 */
static __always_inline int lg_check_dest(const struct lg_subject *s, enum lg_hook hook,
					 __u32 access, __u16 family, void *sa, int salen,
					 __u8 *via_control)
{
	struct lg_scratch *sc = lg_scratch_claim();
	struct lg_unix_key *key;
	__u8 reason, res;
	int ret;

	if (!sc)
		return lg_decide(s, hook, access, LG_REASON_INTERNAL, NULL);
	key = &sc->ukey;
	__builtin_memset(key, 0, sizeof(*key));
	reason = s->reason;
	sc->ev.port = 0;
	sc->ev.target_domain = 0;
	sc->ev.walk_check = LG_WALK_CHECK_NONE;
	if (family == AF_INET || family == AF_INET6) {
		sc->ev.target_len = 0;
		res = lg_inet_parse(&sc->ev, sa, salen, family);
		if (reason == LG_REASON_NONE)
			reason = res;
		/*
		 * A crossing is denied whatever the grant's rules say. A bound
		 * or listening address is the host's own, not a destination:
		 * it crosses into no domain (and must not suspend a grant).
		 */
		if (reason == LG_REASON_NONE && !(access & LG_NET_LISTEN_RIGHTS))
			reason = lg_domain_check(s, &sc->ev);
		if (reason == LG_REASON_NONE)
			reason = lg_inet_match(s, &sc->ev, access);
	} else if (family == AF_UNIX) {
		__builtin_memset(sc->ev.addr, 0, sizeof(sc->ev.addr));
		res = lg_unix_parse(&sc->ev, key, sa, salen);
		/*
		 * The control socket path (the global entry) is open to every
		 * agent, but only for a stream connect (@via_control), and
		 * only provisionally: the caller marks the socket and
		 * lg_unix_connect() requires the peer to be livegrantd's own
		 * socket, so nothing else bound at that path is reached.
		 */
		if (res == LG_REASON_NONE && via_control &&
		    bpf_map_lookup_elem(&lg_unix_rules, key)) {
			*via_control = 1;
			lg_scratch_release(sc);
			return lg_decide(s, hook, access, LG_REASON_NONE, NULL);
		}
		key->cgroup_id = s->agent_cgroup_id;
		key->generation = s->generation;
		if (reason == LG_REASON_NONE)
			reason = res;
		if (reason == LG_REASON_NONE)
			reason = lg_unix_match(key, access);
	} else {
		sc->ev.target_kind = LG_TARGET_NONE;
		sc->ev.target_len = 0;
		sc->ev.family = family;
		__builtin_memset(sc->ev.addr, 0, sizeof(sc->ev.addr));
		/* Netlink to another process: no rule can allow that yet. */
		if (reason == LG_REASON_NONE && family == LG_FAMILY_BAD)
			reason = LG_REASON_BAD_ADDRESS;
		else if (reason == LG_REASON_NONE && family == AF_NETLINK)
			reason = LG_REASON_NOT_ALLOWED;
		else if (reason == LG_REASON_NONE)
			reason = LG_REASON_FAMILY;
	}
	ret = lg_decide(s, hook, access, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

/* Report a socket decision: no path or address, only what was asked for. */
static __always_inline int lg_socket_decide(const struct lg_subject *s, enum lg_hook hook,
					    __u32 access, __u8 reason, __u8 kind, __u16 family,
					    __u16 a, __u16 b)
{
	struct lg_scratch *sc;
	int ret;

	if (reason == LG_REASON_NONE)
		return lg_decide(s, hook, access, reason, NULL);
	sc = lg_scratch_claim();
	if (!sc)
		return lg_decide(s, hook, access, LG_REASON_INTERNAL, NULL);
	lg_event_clear_target(&sc->ev, kind);
	sc->ev.family = family;
	sc->ev.sock_type = a;
	sc->ev.port = b;
	ret = lg_decide(s, hook, access, reason, &sc->ev);
	lg_scratch_release(sc);
	return ret;
}

/*
 * Socket options and send control messages (same level and number) that
 * make the kernel route a packet past the checked destination, or add
 * headers a router acts on: IPv4 source routes, IPv6 routing, hop-by-hop
 * and destination option headers, the RFC 2292 forms of all of them
 * (IPV6_2292PKTOPTIONS carries them as a control buffer), and an IPv6 next
 * hop.
 */
static __always_inline bool lg_reroute_opt(int level, int name)
{
	if (level == IPPROTO_IP)
		return name == IP_OPTIONS || name == IP_RETOPTS;
	if (level != IPPROTO_IPV6)
		return false;
	switch (name) {
	case IPV6_2292HOPOPTS:
	case IPV6_2292DSTOPTS:
	case IPV6_2292RTHDR:
	case IPV6_2292PKTOPTIONS:
	case IPV6_NEXTHOP:
	case IPV6_HOPOPTS:
	case IPV6_RTHDRDSTOPTS:
	case IPV6_RTHDR:
	case IPV6_DSTOPTS:
		return true;
	}
	return false;
}

/* struct cmsghdr of a 64-bit kernel (compat senders are converted to it). */
struct lg_cmsghdr {
	__u64 len;
	int level;
	int type;
};
#define LG_CMSG_ALIGN(n) (((n) + 7) & ~7ULL)

/*
 * Walk the control buffer of a send the way the kernel does (a message
 * starts where the last one, aligned, ended; the walk ends when less than
 * a header is left). By socket_sendmsg the kernel holds the buffer
 * (____sys_sendmsg copied it, msg_control_is_user false); a user buffer is
 * still read as one. Returns LG_REASON_NONE, or LG_REASON_SOCKOPT with
 * *@level and *@type of the offending message, LG_CMSG_UNWALKABLE for a
 * malformed buffer or one with more than LG_MAX_CMSGS messages.
 */
static __always_inline __u8 lg_cmsg_reason(struct msghdr *msg, __u64 size, __u16 *level,
					   __u16 *type)
{
	bool user = BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user);
	char *ctl = BPF_CORE_READ(msg, msg_control);
	__u64 off = 0;

	*level = LG_CMSG_UNWALKABLE;
	*type = LG_CMSG_UNWALKABLE;
	for (int i = 0; i < LG_MAX_CMSGS; i++) {
		struct lg_cmsghdr h;
		long err;

		if (off >= size || size - off < sizeof(h))
			return LG_REASON_NONE;
		err = user ? bpf_probe_read_user(&h, sizeof(h), ctl + off) :
			     bpf_probe_read_kernel(&h, sizeof(h), ctl + off);
		/* The kernel refuses these too (CMSG_OK): never walked past. */
		if (err || h.len < sizeof(h) || h.len > size - off)
			return LG_REASON_SOCKOPT;
		if (lg_reroute_opt(h.level, h.type)) {
			*level = h.level;
			*type = h.type;
			return LG_REASON_SOCKOPT;
		}
		off += LG_CMSG_ALIGN(h.len);
	}
	/* Out of iterations with buffer left: a message went unseen. */
	return off >= size || size - off < sizeof(struct lg_cmsghdr) ? LG_REASON_NONE :
								       LG_REASON_SOCKOPT;
}

/*
 * Where a connected inet socket sends: its peer (IPv4 as IPv4-mapped, the
 * form the rules use), checked exactly like a connect to it, so a grant
 * that ended, changed, expired or was suspended stops the socket it once
 * allowed. A socket without a peer address sends nowhere (the kernel
 * fails the send: EDESTADDRREQ, ENOTCONN). Unix sockets replay the
 * address their connect named instead (lg_unix_replay() in net.bpf.c);
 * a netlink socket's sends reach only the peer checked at connect.
 */
static __always_inline int lg_check_peer(const struct lg_subject *s, enum lg_hook hook,
					 struct sock *sk)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__be32 v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	__u64 w[2] = {};

	if (family != AF_INET && family != AF_INET6)
		return lg_decide(s, hook, LG_NET_SEND, LG_REASON_NONE, NULL);
	if (family == AF_INET6 && bpf_core_read(w, sizeof(w), &sk->__sk_common.skc_v6_daddr))
		return lg_decide(s, hook, LG_NET_SEND, LG_REASON_INTERNAL, NULL);
	if (!w[0] && !w[1]) {
		if (!v4)
			return lg_decide(s, hook, LG_NET_SEND, LG_REASON_NONE, NULL);
		/* ::ffff:a.b.c.d, in network byte order. */
		w[1] = ((__u64)v4 << 32) | bpf_htonl(0xffff);
	}
	__builtin_memcpy(&sin6.sin6_addr, w, sizeof(w));
	sin6.sin6_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
	return lg_check_dest(s, hook, LG_NET_SEND, AF_INET6, &sin6, sizeof(sin6), NULL);
}

#endif /* LG_BPF_NET_MATCH_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/path_hash.h - the keyed hash that names path rules, shared by
 * the BPF programs and userspace so both compute the same value.
 *
 * SipHash-2-4 with its 128-bit output (Aumasson and Bernstein; the variant
 * OpenSSL's EVP_MAC "SIPHASH" computes with size 16), keyed by a 128-bit
 * secret chosen per host at the first load (lg_state.hash_key0/1).
 *
 * The hash is the rule's whole identity in the kernel: lg_path_rules stores
 * no path, so a rule entry costs its key and rights, not LG_PATH_MAX bytes.
 * That is sound because finding two paths with the same 128-bit keyed hash
 * needs the key, and a chance collision between two paths of the same
 * length, agent and generation has probability about 2^-128 per pair.
 * The key lives in the pinned lg_state map: agents are refused bpf()
 * (bpf/bpf_syscall.bpf.c), no grant may reach the pin folder, where a
 * map's pin file can be read (docs/threat-model.md, "Pins"), and agents
 * may not mount. Even a reader of the key would still need a collision of
 * SipHash-2-4 under a known key, for which no attack is known. Userspace
 * refuses a grant whose own rule paths collide (userspace/lib/enforce/grants.c).
 *
 * It is folded one byte at a time, so that the BPF path walk has the hash of
 * every prefix as it scans: lg_path_hash_byte() takes byte @i of the path,
 * and lg_path_hash_final() gives the hash of the first @len bytes without
 * disturbing the running state.
 */
#ifndef LIVEGRANT_PATH_HASH_H
#define LIVEGRANT_PATH_HASH_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/**
 * struct lg_path_hash_state - SipHash state while a path is folded.
 * @v:    the four state words.
 * @tail: the bytes of the current, not yet complete, 8-byte word.
 */
struct lg_path_hash_state {
	__u64 v[4];
	__u64 tail;
};

/* The 128-bit hash of a path: the first and second 8 output bytes. */
struct lg_path_digest {
	__u64 lo;
	__u64 hi;
};

/*
 * Always inlined: the BPF programs call these from loop callbacks, where a
 * real call would cost a frame per byte (and BPF functions return no structs).
 */
#define LG_HASH_INLINE static inline __attribute__((always_inline))

#define LG_SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

LG_HASH_INLINE void lg_sip_round(__u64 v[4])
{
	v[0] += v[1];
	v[1] = LG_SIP_ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = LG_SIP_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = LG_SIP_ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = LG_SIP_ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = LG_SIP_ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = LG_SIP_ROTL(v[2], 32);
}

/* One message word: SipHash-2-4's two compression rounds. */
LG_HASH_INLINE void lg_sip_compress(__u64 v[4], __u64 m)
{
	v[3] ^= m;
	lg_sip_round(v);
	lg_sip_round(v);
	v[0] ^= m;
}

LG_HASH_INLINE void lg_path_hash_init(struct lg_path_hash_state *s, __u64 k0, __u64 k1)
{
	s->v[0] = k0 ^ 0x736f6d6570736575ULL;
	/* 0xee: the 128-bit output variant. */
	s->v[1] = k1 ^ 0x646f72616e646f6dULL ^ 0xee;
	s->v[2] = k0 ^ 0x6c7967656e657261ULL;
	s->v[3] = k1 ^ 0x7465646279746573ULL;
	s->tail = 0;
}

/* Fold byte @i of the path (bytes are folded in order, from 0). */
LG_HASH_INLINE void lg_path_hash_byte(struct lg_path_hash_state *s, __u32 i, unsigned char c)
{
	s->tail |= (__u64)c << ((i & 7) * 8);
	if ((i & 7) == 7) {
		lg_sip_compress(s->v, s->tail);
		s->tail = 0;
	}
}

/* *@d: the hash of the @len bytes folded so far; @s is left as it was. */
LG_HASH_INLINE void lg_path_hash_final(const struct lg_path_hash_state *s, __u32 len,
				       struct lg_path_digest *d)
{
	__u64 v[4] = { s->v[0], s->v[1], s->v[2], s->v[3] };
	__u64 b = ((__u64)len << 56) | s->tail;

	lg_sip_compress(v, b);
	v[2] ^= 0xee;
	for (int r = 0; r < 4; r++)
		lg_sip_round(v);
	d->lo = v[0] ^ v[1] ^ v[2] ^ v[3];
	v[1] ^= 0xdd;
	for (int r = 0; r < 4; r++)
		lg_sip_round(v);
	d->hi = v[0] ^ v[1] ^ v[2] ^ v[3];
}

#endif /* LIVEGRANT_PATH_HASH_H */

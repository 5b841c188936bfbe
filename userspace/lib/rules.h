/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - turning a grant spec (rule strings) into map entries. Pure code:
 * no BPF, no syscalls, so the host unit tests cover all of it.
 */
#ifndef LG_RULES_H
#define LG_RULES_H

#include "livegrant.h"
#include <livegrant/path_hash.h>

/*
 * One distinct rule path with everything the grant gives on it. @path is
 * @len bytes and a NUL, as long as the path is: a grant's memory follows
 * what its rules name, not LG_PATH_MAX per entry.
 */
struct lg_path_entry {
	uint32_t len;
	uint32_t exact; /* enum lg_file_access rights on this exact path */
	uint32_t subtree; /* enum lg_file_access rights on it and below it */
	char *path;
};

/*
 * One prefix (IPv4 as IPv4-mapped IPv6) with all ports allowed within it,
 * each range with the rights granted on it.
 */
struct lg_net_entry {
	uint8_t addr[16];
	uint32_t plen; /* 0..128 over @addr */
	uint32_t nranges;
	struct lg_port_range ranges[LG_MAX_PORT_RANGES];
};

struct lg_unix_entry {
	uint32_t len;
	uint32_t rights; /* enum lg_net_access */
	char path[LG_UNIX_PATH_MAX];
};

struct lg_compiled {
	struct lg_path_entry *paths; /* rules, then LG_PATH_RULE_BELOW markers */
	size_t npaths;
	size_t cap; /* entries allocated at @paths */
	uint32_t *slots; /* hash set of @paths: index + 1, 0 when free */
	size_t nslots; /* a power of two, at least twice @npaths */
	struct lg_net_entry *nets;
	size_t nnets;
	struct lg_unix_entry *unixes;
	size_t nunix;
};

/*
 * Normalize a path rule: absolute, no "." or ".." components, repeated '/'
 * folded. A trailing '/' makes it a subtree rule and is dropped ("/" becomes
 * the empty path). @out holds LG_PATH_MAX bytes.
 */
int lg_path_rule_parse(const char *rule, char *out, uint32_t *len, bool *subtree);

/* A parsed connect rule. */
struct lg_net_rule_parsed {
	bool is_unix;
	uint8_t addr[16];
	uint32_t plen;
	uint16_t port_lo, port_hi;
	char unix_path[LG_UNIX_PATH_MAX];
	uint32_t unix_len;
};

int lg_net_rule_parse(const char *rule, struct lg_net_rule_parsed *out);
/*
 * lg_net_rule_parse() for a rule of a network kind granting @rights: a
 * listen rule may not name a pathname socket (the file rules decide where
 * one is bound).
 */
int lg_net_kind_rule_parse(uint32_t rights, const char *rule, struct lg_net_rule_parsed *out);

/*
 * Is @rule of @kind within @cap of @cap_kind: one class, the rights of
 * @kind a subset of @cap_kind's, and @rule's target inside @cap's? Rules
 * that do not parse are within nothing.
 */
bool lg_rule_within(enum lg_rule_kind kind, const char *rule, enum lg_rule_kind cap_kind,
		    const char *cap);
/* Is @rule of @kind within some rule of @caps (one list per kind)? */
bool lg_rule_covered(enum lg_rule_kind kind, const char *rule,
		     const struct lg_strv caps[LG_RULE_KIND_MAX]);

/*
 * Compile @spec: each list by its kind's class and rights
 * (livegrant/rule_kinds.h). On failure nothing is left allocated.
 */
int lg_compile(const struct lg_grant_spec *spec, struct lg_compiled *out);
void lg_compiled_free(struct lg_compiled *c);

/*
 * The keyed path hash of @len bytes of @path under the 128-bit key @key
 * (livegrant/path_hash.h): what the kernel computes for the same prefix.
 */
struct lg_path_digest lg_path_hash(const uint64_t key[2], const char *path, uint32_t len);

#endif /* LG_RULES_H */

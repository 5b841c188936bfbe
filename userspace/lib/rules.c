// SPDX-License-Identifier: GPL-2.0
/*
 * rules.c - parse and compile grant rules (syntax: docs/rules.md).
 *
 * Every error names the rule and what is wrong with it; a grant with one bad
 * rule is refused whole, never installed in part.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <livegrant/path_hash.h>

#include "rules.h"

struct lg_path_digest lg_path_hash(const uint64_t key[2], const char *path, uint32_t len)
{
	struct lg_path_hash_state s;
	struct lg_path_digest d;

	lg_path_hash_init(&s, key[0], key[1]);
	for (uint32_t i = 0; i < len; i++)
		lg_path_hash_byte(&s, i, (unsigned char)path[i]);
	lg_path_hash_final(&s, len, &d);
	return d;
}

int lg_path_rule_parse(const char *rule, char *out, uint32_t *len, bool *subtree)
{
	const char *p = rule;
	uint32_t n = 0;

	if (!rule || rule[0] != '/')
		return lg_err(
			-EINVAL,
			"path rule \"%s\" is not absolute: rules name paths as the agent sees them, starting with '/'",
			rule ? rule : "(null)");
	*subtree = rule[strlen(rule) - 1] == '/';
	while (*p) {
		const char *start, *end;
		size_t clen;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		end = strchr(start, '/');
		if (!end)
			end = start + strlen(start);
		clen = end - start;
		if ((clen == 1 && start[0] == '.') ||
		    (clen == 2 && start[0] == '.' && start[1] == '.'))
			return lg_err(
				-EINVAL,
				"path rule \"%s\" has a \".\" or \"..\" component: write the canonical path",
				rule);
		if (n + 1 + clen >= LG_PATH_MAX)
			return lg_err(
				-ENAMETOOLONG,
				"path rule \"%.64s...\" is longer than %d bytes (LG_PATH_MAX)",
				rule, LG_PATH_MAX - 1);
		out[n++] = '/';
		memcpy(out + n, start, clen);
		n += clen;
		p = end;
	}
	/* "/" alone: the empty prefix, which only a subtree rule can be. */
	out[n] = 0;
	*len = n;
	return 0;
}

static int parse_port_range(const char *rule, const char *s, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	if (!*s)
		goto bad;
	a = strtoul(s, &end, 10);
	if (end == s || a > 65535)
		goto bad;
	b = a;
	if (*end == '-') {
		const char *t = end + 1;

		b = strtoul(t, &end, 10);
		if (end == t || b > 65535 || b < a)
			goto bad;
	}
	if (*end)
		goto bad;
	*lo = a;
	*hi = b;
	return 0;
bad:
	return lg_err(-EINVAL,
		      "connect rule \"%s\": port \"%s\" is not a port (0-65535) or range LO-HI",
		      rule, s);
}

/* Parse "ADDR[/LEN]" as IPv4 (mapped into IPv6 space) or IPv6. */
static int parse_prefix(const char *rule, char *s, bool v6, struct lg_net_rule_parsed *out)
{
	char *slash = strchr(s, '/');
	unsigned long plen;
	unsigned int max = v6 ? 128 : 32;

	if (slash) {
		char *end;

		*slash = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || plen > max)
			return lg_err(-EINVAL,
				      "connect rule \"%s\": prefix length \"%s\" must be 0-%u",
				      rule, slash + 1, max);
	} else {
		plen = max;
	}
	memset(out->addr, 0, sizeof(out->addr));
	if (v6) {
		if (inet_pton(AF_INET6, s, out->addr) != 1)
			return lg_err(-EINVAL, "connect rule \"%s\": \"%s\" is not an IPv6 address",
				      rule, s);
		out->plen = plen;
	} else {
		out->addr[10] = 0xff;
		out->addr[11] = 0xff;
		if (inet_pton(AF_INET, s, out->addr + 12) != 1)
			return lg_err(-EINVAL, "connect rule \"%s\": \"%s\" is not an IPv4 address",
				      rule, s);
		out->plen = 96 + plen;
	}
	/* Host bits set beyond the prefix would make the rule ambiguous. */
	for (unsigned int bit = out->plen; bit < 128; bit++) {
		if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
			return lg_err(
				-EINVAL,
				"connect rule \"%s\": address has bits set beyond /%lu; write the network address",
				rule, plen);
	}
	return 0;
}

int lg_net_rule_parse(const char *rule, struct lg_net_rule_parsed *out)
{
	char buf[128];
	char *addr, *port = NULL;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (!rule || !*rule)
		return lg_err(-EINVAL, "connect rule is empty");
	if (!strncmp(rule, "unix:", 5)) {
		const char *p = rule + 5;

		n = strlen(p);
		if (!n || (p[0] != '/' && p[0] != '@'))
			return lg_err(
				-EINVAL,
				"connect rule \"%s\": a unix rule is unix:/absolute/path or unix:@abstract-name",
				rule);
		if (n > LG_UNIX_PATH_MAX)
			return lg_err(-ENAMETOOLONG,
				      "connect rule \"%s\": socket path longer than %d bytes", rule,
				      LG_UNIX_PATH_MAX);
		out->is_unix = true;
		memcpy(out->unix_path, p, n);
		/* The kernel key of an abstract name starts with its NUL. */
		if (p[0] == '@')
			out->unix_path[0] = 0;
		out->unix_len = n;
		return 0;
	}
	n = strlen(rule);
	if (n >= sizeof(buf))
		return lg_err(-EINVAL, "connect rule \"%.40s...\" is too long", rule);
	memcpy(buf, rule, n + 1);

	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return lg_err(-EINVAL, "connect rule \"%s\": missing ']'", rule);
		*close = 0;
		addr = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return lg_err(-EINVAL, "connect rule \"%s\": expected \":PORT\" after ']'",
				      rule);
		err = parse_prefix(rule, addr, true, out);
	} else if (strchr(buf, ':') && strchr(buf, ':') != strrchr(buf, ':')) {
		/* Bare IPv6: no port possible without brackets. */
		err = parse_prefix(rule, buf, true, out);
	} else {
		char *colon = strchr(buf, ':');

		if (colon) {
			*colon = 0;
			port = colon + 1;
		}
		err = parse_prefix(rule, buf, false, out);
	}
	if (err)
		return err;
	if (!port) {
		out->port_lo = 0;
		out->port_hi = 65535;
		return 0;
	}
	return parse_port_range(rule, port, &out->port_lo, &out->port_hi);
}

/* ---- compile ----------------------------------------------------------- */

/* FNV-1a: the set below needs spread, not secrecy (its input is the grant's own). */
static uint64_t path_key_hash(const char *p, uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

/* The slot of (@p, @len) in @c's set: where it is, or the free one where it goes. */
static uint32_t *path_slot(const struct lg_compiled *c, const char *p, uint32_t len)
{
	size_t mask = c->nslots - 1, i = path_key_hash(p, len) & mask;

	/* Never full (twice the entries), so the probe ends at a match or a free slot. */
	for (;; i = (i + 1) & mask) {
		const struct lg_path_entry *e;

		if (!c->slots[i])
			return &c->slots[i];
		e = &c->paths[c->slots[i] - 1];
		if (e->len == len && !memcmp(e->path, p, len))
			return &c->slots[i];
	}
}

/* Room for one more entry: the array, and the set kept under half full. */
static int path_room(struct lg_compiled *c)
{
	if (c->npaths >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct lg_path_entry *p = realloc(c->paths, cap * sizeof(*p));

		if (!p)
			return lg_err(-ENOMEM, "out of memory compiling a grant");
		c->paths = p;
		c->cap = cap;
	}
	if (2 * (c->npaths + 1) > c->nslots) {
		size_t n = c->nslots ? 2 * c->nslots : 64;
		uint32_t *old = c->slots;

		c->slots = calloc(n, sizeof(*c->slots));
		if (!c->slots) {
			c->slots = old;
			return lg_err(-ENOMEM, "out of memory compiling a grant");
		}
		c->nslots = n;
		for (size_t i = 0; i < c->npaths; i++)
			*path_slot(c, c->paths[i].path, c->paths[i].len) = i + 1;
		free(old);
	}
	return 0;
}

/*
 * Find the entry of @c for the path (@norm, @len), or add it. @max bounds
 * the entries (rules, or rules and markers). Returns 0 or a negative errno.
 */
static int path_entry(struct lg_compiled *c, const char *norm, uint32_t len, size_t max,
		      struct lg_path_entry **out)
{
	struct lg_path_entry *e;
	uint32_t *slot;
	int err;

	if (c->nslots) {
		slot = path_slot(c, norm, len);
		if (*slot) {
			*out = &c->paths[*slot - 1];
			return 0;
		}
	}
	if (c->npaths >= max && max == LG_MAX_PATH_RULES)
		return lg_err(-E2BIG,
			      "grant has more than %d distinct rule paths (LG_MAX_PATH_RULES)",
			      LG_MAX_PATH_RULES);
	if (c->npaths >= max)
		return lg_err(-E2BIG,
			      "grant needs more than %d path entries with the directories above "
			      "its rules (LG_MAX_PATH_ENTRIES)",
			      LG_MAX_PATH_ENTRIES);
	err = path_room(c);
	if (err)
		return err;
	e = &c->paths[c->npaths];
	memset(e, 0, sizeof(*e));
	e->path = malloc(len + 1);
	if (!e->path)
		return lg_err(-ENOMEM, "out of memory compiling a grant");
	memcpy(e->path, norm, len);
	e->path[len] = 0;
	e->len = len;
	*path_slot(c, norm, len) = ++c->npaths;
	*out = e;
	return 0;
}

static int add_path(struct lg_compiled *c, const char *rule, uint32_t access)
{
	char norm[LG_PATH_MAX];
	uint32_t len;
	bool subtree;
	struct lg_path_entry *e;
	int err = lg_path_rule_parse(rule, norm, &len, &subtree);

	if (err)
		return err;
	if (!subtree && len == 0)
		return lg_err(-EINVAL, "path rule \"%s\" is empty", rule);
	err = path_entry(c, norm, len, LG_MAX_PATH_RULES, &e);
	if (err)
		return err;
	if (subtree)
		e->subtree |= access;
	else
		e->exact |= access;
	return 0;
}

/*
 * Mark every proper prefix of every rule path (at a component boundary,
 * "" for "/" included) with LG_PATH_RULE_BELOW: the kernel refuses to move
 * a directory to a marked path, where rules below would newly cover what
 * the directory holds (bpf/file_tree.bpf.c).
 */
static int add_below_markers(struct lg_compiled *c)
{
	size_t nrules = c->npaths;

	for (size_t i = 0; i < nrules; i++) {
		char norm[LG_PATH_MAX];
		uint32_t len = c->paths[i].len;

		memcpy(norm, c->paths[i].path, len);
		for (uint32_t j = 0; j < len; j++) {
			struct lg_path_entry *e;
			int err;

			if (norm[j] != '/')
				continue;
			err = path_entry(c, norm, j, LG_MAX_PATH_ENTRIES, &e);
			if (err)
				return err;
			e->exact |= LG_PATH_RULE_BELOW;
		}
	}
	return 0;
}

static int add_paths(struct lg_compiled *c, const struct lg_strv *v, uint32_t access)
{
	for (size_t i = 0; i < v->n; i++) {
		int err = add_path(c, v->v[i], access);

		if (err)
			return err;
	}
	return 0;
}

/* Does prefix (a, alen) contain prefix (b, blen)? */
static bool prefix_contains(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	if (alen > blen)
		return false;
	for (uint32_t bit = 0; bit < alen; bit++) {
		uint8_t m = 0x80 >> (bit % 8);

		if ((a[bit / 8] & m) != (b[bit / 8] & m))
			return false;
	}
	return true;
}

static int cmp_range(const void *x, const void *y)
{
	const struct lg_port_range *a = x, *b = y;

	if (a->rights != b->rights)
		return a->rights < b->rights ? -1 : 1;
	return (int)a->lo - (int)b->lo;
}

/*
 * Sort and merge overlapping or adjacent ranges of equal rights in place:
 * a connect range and a listen range over the same ports stay two ranges,
 * so neither right leaks into the other's ports.
 */
static uint32_t merge_ranges(struct lg_port_range *r, uint32_t n)
{
	uint32_t out = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	for (uint32_t i = 1; i < n; i++) {
		if (r[i].rights == r[out].rights && (uint32_t)r[i].lo <= (uint32_t)r[out].hi + 1) {
			if (r[i].hi > r[out].hi)
				r[out].hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static void format_prefix(const struct lg_net_entry *e, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (e->plen >= 96 && !memcmp(e->addr, mapped, 12)) {
		inet_ntop(AF_INET, e->addr + 12, a, sizeof(a));
		snprintf(buf, size, "%s/%u", a, e->plen - 96);
	} else {
		inet_ntop(AF_INET6, e->addr, a, sizeof(a));
		snprintf(buf, size, "[%s/%u]", a, e->plen);
	}
}

/*
 * The LPM trie returns only the longest matching prefix, so every entry must
 * also carry the ports of each shorter prefix that contains it.
 */
static int fold_net_ranges(struct lg_compiled *c, const uint32_t *own_n,
			   struct lg_port_range (*own)[LG_MAX_PORT_RANGES * 4])
{
	for (size_t i = 0; i < c->nnets; i++) {
		struct lg_port_range all[LG_MAX_PORT_RANGES * 4];
		uint32_t n = 0;

		for (size_t j = 0; j < c->nnets; j++) {
			if (!prefix_contains(c->nets[j].addr, c->nets[j].plen, c->nets[i].addr,
					     c->nets[i].plen))
				continue;
			for (uint32_t k = 0; k < own_n[j]; k++) {
				if (n == LG_MAX_PORT_RANGES * 4) {
					n = merge_ranges(all, n);
					if (n == LG_MAX_PORT_RANGES * 4)
						goto too_many;
				}
				all[n++] = own[j][k];
			}
		}
		n = merge_ranges(all, n);
		if (n > LG_MAX_PORT_RANGES)
			goto too_many;
		memcpy(c->nets[i].ranges, all, n * sizeof(all[0]));
		c->nets[i].nranges = n;
		continue;
too_many : {
	char p[80];

	format_prefix(&c->nets[i], p, sizeof(p));
	return lg_err(
		-E2BIG,
		"network rules covering %s need more than %d separate port ranges (LG_MAX_PORT_RANGES; connect and listen ranges count apart); merge them",
		p, LG_MAX_PORT_RANGES);
}
	}
	return 0;
}

static int add_unix(struct lg_compiled *c, const struct lg_net_rule_parsed *r, uint32_t rights)
{
	for (size_t j = 0; j < c->nunix; j++) {
		if (c->unixes[j].len == r->unix_len &&
		    !memcmp(c->unixes[j].path, r->unix_path, r->unix_len)) {
			c->unixes[j].rights |= rights;
			return 0;
		}
	}
	if (c->nunix >= LG_MAX_UNIX_RULES)
		return lg_err(-E2BIG,
			      "grant has more than %d unix socket rules (LG_MAX_UNIX_RULES)",
			      LG_MAX_UNIX_RULES);
	memset(&c->unixes[c->nunix], 0, sizeof(c->unixes[0]));
	memcpy(c->unixes[c->nunix].path, r->unix_path, r->unix_len);
	c->unixes[c->nunix].rights = rights;
	c->unixes[c->nunix++].len = r->unix_len;
	return 0;
}

/* Ports each prefix's own rules name, before folding (see fold_net_ranges). */
struct own_ranges {
	struct lg_port_range (*r)[LG_MAX_PORT_RANGES * 4];
	uint32_t *n;
};

int lg_net_kind_rule_parse(uint32_t rights, const char *rule, struct lg_net_rule_parsed *out)
{
	int err = lg_net_rule_parse(rule, out);

	if (err)
		return err;
	/*
	 * Binding a pathname socket makes a file: the file rules decide it
	 * (make_sock, granted by write rules), so a listen rule names only
	 * abstract names.
	 */
	if (out->is_unix && out->unix_path[0] && (rights & LG_NET_LISTEN_RIGHTS))
		return lg_err(
			-EINVAL,
			"listen rule \"%s\": a pathname socket is bound where a write rule allows it; listen rules name abstract sockets (unix:@name) and addresses",
			rule);
	return 0;
}

static int add_connect(struct lg_compiled *c, const char *rule, uint32_t rights,
		       struct own_ranges *own)
{
	struct lg_net_rule_parsed r;
	size_t j;
	int err = lg_net_kind_rule_parse(rights, rule, &r);

	if (err)
		return err;
	if (r.is_unix)
		return add_unix(c, &r, rights);
	for (j = 0; j < c->nnets; j++)
		if (c->nets[j].plen == r.plen && !memcmp(c->nets[j].addr, r.addr, 16))
			break;
	if (j == c->nnets) {
		if (c->nnets >= LG_MAX_NET_RULES)
			return lg_err(-E2BIG,
				      "grant has more than %d network prefixes (LG_MAX_NET_RULES)",
				      LG_MAX_NET_RULES);
		memset(&c->nets[j], 0, sizeof(c->nets[j]));
		memcpy(c->nets[j].addr, r.addr, 16);
		c->nets[j].plen = r.plen;
		c->nnets++;
	}
	if (own->n[j] == LG_MAX_PORT_RANGES * 4)
		own->n[j] = merge_ranges(own->r[j], own->n[j]);
	if (own->n[j] == LG_MAX_PORT_RANGES * 4)
		return lg_err(-E2BIG, "network rule \"%s\": too many port ranges for one prefix",
			      rule);
	own->r[j][own->n[j]].lo = r.port_lo;
	own->r[j][own->n[j]].hi = r.port_hi;
	own->r[j][own->n[j]].rights = rights;
	own->n[j]++;
	return 0;
}

/*
 * The rules of every network kind, @n in all, into one set of prefixes and
 * sockets: each port range and socket name carries the rights of the kinds
 * that named it, and the ports of overlapping prefixes fold across kinds
 * as within one (ranges of different rights never merge).
 */
static int add_connects(struct lg_compiled *c, const struct lg_grant_spec *spec, size_t n)
{
	struct own_ranges own = { 0 };
	int err = 0;

	if (n) {
		own.r = calloc(n, sizeof(*own.r));
		own.n = calloc(n, sizeof(*own.n));
		if (!own.r || !own.n) {
			err = lg_err(-ENOMEM, "out of memory compiling network rules");
			goto out;
		}
	}
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX && !err; k++) {
		if (lg_rule_kind(k)->cls != LG_CLASS_NET)
			continue;
		for (size_t i = 0; i < spec->rules[k].n && !err; i++)
			err = add_connect(c, spec->rules[k].v[i], lg_rule_kind(k)->rights, &own);
	}
	if (!err)
		err = fold_net_ranges(c, own.n, own.r);
out:
	free(own.r);
	free(own.n);
	return err;
}

/* How many rules @spec holds of class @cls. */
static size_t count_rules(const struct lg_grant_spec *spec, enum lg_access_class cls)
{
	size_t n = 0;

	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++)
		if (lg_rule_kind(k)->cls == cls)
			n += spec->rules[k].n;
	return n;
}

static int add_file_kinds(struct lg_compiled *c, const struct lg_grant_spec *spec)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++) {
		const struct lg_rule_kind_info *kind = lg_rule_kind(k);
		int err;

		if (kind->cls != LG_CLASS_FILE)
			continue;
		err = add_paths(c, &spec->rules[k], kind->rights);
		if (err)
			return err;
	}
	return 0;
}

int lg_compile(const struct lg_grant_spec *spec, struct lg_compiled *out)
{
	size_t npaths = count_rules(spec, LG_CLASS_FILE);
	size_t nnets = count_rules(spec, LG_CLASS_NET);
	int err;

	memset(out, 0, sizeof(*out));
	if (npaths > LG_MAX_PATH_RULES)
		npaths = LG_MAX_PATH_RULES;
	out->cap = npaths ? npaths : 1;
	out->paths = calloc(out->cap, sizeof(*out->paths));
	out->nets = calloc(nnets ? nnets : 1, sizeof(*out->nets));
	out->unixes = calloc(nnets ? nnets : 1, sizeof(*out->unixes));
	if (!out->paths || !out->nets || !out->unixes) {
		err = lg_err(-ENOMEM, "out of memory compiling a grant");
		goto fail;
	}
	if (spec->mode != LG_MODE_ENFORCE && spec->mode != LG_MODE_AUDIT) {
		err = lg_err(-EINVAL, "grant mode %d is neither enforce nor audit", spec->mode);
		goto fail;
	}
	/* Each kind adds its rights; a write rule's include read (rule_kinds.h). */
	err = add_file_kinds(out, spec);
	if (!err)
		err = add_below_markers(out);
	if (!err)
		err = add_connects(out, spec, nnets);
	if (err)
		goto fail;
	return 0;
fail:
	lg_compiled_free(out);
	return err;
}

void lg_compiled_free(struct lg_compiled *c)
{
	for (size_t i = 0; c->paths && i < c->npaths; i++)
		free(c->paths[i].path);
	free(c->paths);
	free(c->slots);
	free(c->nets);
	free(c->unixes);
	memset(c, 0, sizeof(*c));
}

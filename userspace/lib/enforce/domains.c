// SPDX-License-Identifier: GPL-2.0
/*
 * domains.c - trust-domain networks and crossing suspensions in the kernel.
 * The programs classify every agent destination by longest-prefix match in
 * lg_domain_nets; a crossing may record a suspension in lg_suspended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "enforcer.h"
#include "rules.h"

int lg_domain_net_add(struct lg_enforcer *e, const char *cidr, uint32_t domain, uint32_t flags)
{
	struct lg_net_rule_parsed r;
	struct lg_domain_net_key key = {};
	struct lg_domain_net v = { .domain = domain, .flags = flags };
	int err = lg_net_rule_parse(cidr, &r);

	if (err)
		return err;
	if (r.is_unix || r.port_lo != 0 || r.port_hi != 65535 || !domain)
		return lg_err(-EINVAL,
			      "domain network \"%s\" must be an address prefix without a port",
			      cidr);
	key.prefixlen = r.plen;
	memcpy(key.addr, r.addr, sizeof(key.addr));
	if (bpf_map_update_elem(e->fds[LG_MAP_DOMAIN_NETS], &key, &v, BPF_ANY))
		return lg_err(-errno, "adding domain network %s failed: %s%s", cidr,
			      strerror(errno),
			      errno == ENOSPC ? " (more than LG_MAX_DOMAIN_NETS networks)" : "");
	return 0;
}

static bool key_in(const struct lg_domain_net_key *k, const struct lg_domain_net_key *keys,
		   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].prefixlen == k->prefixlen && !memcmp(keys[i].addr, k->addr, 16))
			return true;
	return false;
}

int lg_domain_nets_sync(struct lg_enforcer *e, const struct lg_domain_net_spec *nets, size_t n)
{
	struct lg_domain_net_key *keys = calloc(n ? n : 1, sizeof(*keys)), k, next;
	int fd = e->fds[LG_MAP_DOMAIN_NETS], err = 0;
	bool first = true;

	if (!keys)
		return lg_err(-ENOMEM, "out of memory");
	/* Add or update every network first: classification never has a hole. */
	for (size_t i = 0; i < n && !err; i++) {
		struct lg_net_rule_parsed r;

		err = lg_domain_net_add(e, nets[i].cidr, nets[i].domain, nets[i].flags);
		if (!err && !lg_net_rule_parse(nets[i].cidr, &r)) {
			keys[i].prefixlen = r.plen;
			memcpy(keys[i].addr, r.addr, 16);
		}
	}
	/* Then drop networks no longer configured. */
	while (!err && !bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (key_in(&k, keys, n))
			continue;
		if (bpf_map_delete_elem(fd, &k)) {
			err = lg_err(-errno, "removing an old domain network failed: %s",
				     strerror(errno));
			break;
		}
		first = true; /* the walk position is gone: start over */
	}
	free(keys);
	return err;
}

int lg_agent_suspended(struct lg_enforcer *e, uint64_t id, uint32_t *generation)
{
	*generation = 0;
	if (bpf_map_lookup_elem(e->fds[LG_MAP_SUSPENDED], &id, generation) && errno != ENOENT)
		return lg_err(-errno, "reading the suspension of agent cgroup %llu: %s",
			      (unsigned long long)id, strerror(errno));
	return 0;
}

int lg_agent_suspend(struct lg_enforcer *e, uint64_t id, uint32_t generation)
{
	if (bpf_map_update_elem(e->fds[LG_MAP_SUSPENDED], &id, &generation, BPF_ANY))
		return lg_err(-errno, "suspending agent cgroup %llu failed: %s",
			      (unsigned long long)id, strerror(errno));
	return 0;
}

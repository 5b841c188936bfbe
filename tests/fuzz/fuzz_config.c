// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_config.c - livegrantd's configuration: lg_config_parse()
 * (userspace/lib/policy/config.c), the whole of lg_config_load() after the
 * file is read: libyaml's events and document, every field's checks, the
 * rule lists, the networks' overlap across domains. The seeds are the
 * shipped example and the sections of docs/config.md; config.dict holds
 * its keys.
 */
#include "config.h"
#include "fuzz.h"

static void touch_strv(const struct lg_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		fuzz_touch(v->v[i]);
}

static void touch_rules(const struct lg_rules_config *r)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++)
		touch_strv(&r->rules[k]);
}

/* What livegrantd relies on in a configuration that loaded (main.c). */
static void check_config(const struct lg_config *c)
{
	FUZZ_ASSERT(c->path && c->state_dir && c->bpffs_dir && c->audience);
	FUZZ_ASSERT(c->n_domains > 0 && (c->agent_cgroups.n || c->kube.enabled));
	touch_strv(&c->agent_cgroups);
	touch_rules(&c->baseline);
	fuzz_touch(c->metrics_listen);
	for (size_t i = 0; i < c->n_domains; i++) {
		const struct lg_domain_config *d = &c->domains[i];

		FUZZ_ASSERT(d->name && d->trust_bundle && d->id == i + 1);
		/* Names are unique: each finds its own domain. */
		FUZZ_ASSERT(lg_config_domain(c, d->name) == d);
		fuzz_touch(d->fetch.ca_file);
		touch_strv(&d->networks);
		touch_strv(&d->require_claims);
		touch_rules(&d->ceiling);
	}
	if (c->kube.enabled) {
		FUZZ_ASSERT(c->kube.kubelet_url && c->kube.ca_file && c->kube.token_file);
		FUZZ_ASSERT(c->kube.label_keys.n == c->kube.label_values.n);
		touch_strv(&c->kube.namespaces);
		touch_strv(&c->kube.label_keys);
		touch_strv(&c->kube.label_values);
		touch_rules(&c->kube.bootstrap);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lg_config *c = NULL;

	/* As read from a file: no NUL at the end, a read past @size is ASan's. */
	if (!lg_config_parse("fuzz.yaml", (const char *)data, size, &c))
		check_config(c);
	else
		FUZZ_ASSERT(!c);
	lg_config_free(c);
	return 0;
}

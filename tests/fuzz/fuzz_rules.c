// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_rules.c - grant rules (userspace/lib/rules.c): lg_path_rule_parse(),
 * lg_net_rule_parse(), lg_net_kind_rule_parse() (unix rules included),
 * lg_rule_within() and lg_rule_covered(), and lg_compile() over the whole
 * grant, as tokens, the baseline and ceilings reach them.
 *
 * An input is a grant, one rule a line: "KIND RULE", KIND a rule kind's
 * name (exec, read, write, connect, device, readwrite, listen). Every line
 * goes through every parser whatever its kind; lines of a known kind also
 * make up the grant that is compiled, and the first few are checked
 * against the grant's lists as a ceiling.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "rules.h"

/* More rules than any map holds: past the limits is what is tested there. */
#define MAX_LINES 4096
/*
 * lg_rule_covered() parses every rule of the lists for each rule asked
 * about: a few lines' worth is all it needs, and keeps the run fast.
 */
#define MAX_COVERED 16

struct grant {
	char *lines[MAX_LINES];
	size_t n;
	const char *v[LG_RULE_KIND_MAX][MAX_LINES];
	int kind[MAX_LINES];
	struct lg_grant_spec spec;
};

static void parse_alone(const char *rule)
{
	char norm[LG_PATH_MAX];
	struct lg_net_rule_parsed r;
	uint32_t len;
	bool subtree;

	if (!lg_path_rule_parse(rule, norm, &len, &subtree))
		FUZZ_ASSERT(len < LG_PATH_MAX && strlen(norm) == len);
	if (!lg_net_rule_parse(rule, &r)) {
		FUZZ_ASSERT(r.is_unix ? r.unix_len <= LG_UNIX_PATH_MAX && r.unix_len > 0 :
					r.plen <= 128 && r.port_lo <= r.port_hi);
	}
	lg_net_kind_rule_parse(LG_NET_CONNECT_RIGHTS, rule, &r);
	lg_net_kind_rule_parse(LG_NET_LISTEN_RIGHTS, rule, &r);
}

/* Split @buf (NUL-terminated, changed) into the grant's lines. */
static void split(char *buf, struct grant *g)
{
	for (char *line = buf, *next; line && g->n < MAX_LINES; line = next) {
		char *sp;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		g->lines[g->n] = line;
		g->kind[g->n] = -1;
		sp = strchr(line, ' ');
		if (sp) {
			*sp = 0;
			g->kind[g->n] = lg_rule_kind_by_name(line);
			g->lines[g->n] = sp + 1;
		}
		if (g->kind[g->n] >= 0) {
			struct lg_strv *l = &g->spec.rules[g->kind[g->n]];

			g->v[g->kind[g->n]][l->n++] = g->lines[g->n];
			l->v = g->v[g->kind[g->n]];
		}
		g->n++;
	}
}

/* Does @rule parse as a rule of @kind's class? */
static bool parses(int kind, const char *rule)
{
	char norm[LG_PATH_MAX];
	struct lg_net_rule_parsed r;
	uint32_t len;
	bool subtree;

	if (lg_rule_kind(kind)->cls == LG_CLASS_FILE)
		return !lg_path_rule_parse(rule, norm, &len, &subtree);
	return !lg_net_rule_parse(rule, &r);
}

static void check_compiled(const struct lg_compiled *c)
{
	for (size_t i = 0; i < c->npaths; i++)
		FUZZ_ASSERT(c->paths[i].len < LG_PATH_MAX &&
			    strlen(c->paths[i].path) == c->paths[i].len);
	for (size_t i = 0; i < c->nnets; i++) {
		FUZZ_ASSERT(c->nets[i].plen <= 128 && c->nets[i].nranges <= LG_MAX_PORT_RANGES);
		for (uint32_t k = 0; k < c->nets[i].nranges; k++)
			FUZZ_ASSERT(c->nets[i].ranges[k].lo <= c->nets[i].ranges[k].hi);
	}
	for (size_t i = 0; i < c->nunix; i++)
		FUZZ_ASSERT(c->unixes[i].len <= LG_UNIX_PATH_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grant *g = calloc(1, sizeof(*g));
	char *buf = fuzz_strndup(data, size);
	struct lg_compiled c;

	if (!g)
		abort();
	split(buf, g);
	for (size_t i = 0; i < g->n; i++)
		parse_alone(g->lines[i]);
	/* The grant's own lists as a ceiling, and each rule against the one before. */
	for (size_t i = 0; i < g->n; i++) {
		/* A rule that parses is within itself, so a ceiling listing it covers it. */
		if (i < MAX_COVERED && g->kind[i] >= 0 && parses(g->kind[i], g->lines[i])) {
			FUZZ_ASSERT(
				lg_rule_within(g->kind[i], g->lines[i], g->kind[i], g->lines[i]));
			FUZZ_ASSERT(lg_rule_covered(g->kind[i], g->lines[i], g->spec.rules));
		}
		if (i)
			lg_rule_within(g->kind[i] < 0 ? 0 : g->kind[i], g->lines[i],
				       g->kind[i - 1] < 0 ? 0 : g->kind[i - 1], g->lines[i - 1]);
	}
	g->spec.mode = g->n % 2 ? LG_MODE_AUDIT : LG_MODE_ENFORCE;
	if (!lg_compile(&g->spec, &c)) {
		check_compiled(&c);
		lg_compiled_free(&c);
	}
	free(buf);
	free(g);
	return 0;
}

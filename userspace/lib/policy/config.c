// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - livegrantd's configuration file (docs/config.md).
 *
 * The file is parsed twice from one buffer. A first pass over libyaml's
 * events refuses what no field needs and what would make a value mean
 * something other than what is written where an error points: anchors and
 * aliases, tags, a second document, deep nesting. Then yaml_parser_load()
 * builds the document, and a walk driven by the field tables below fills
 * struct lg_config. Every error reads "FILE:LINE: FIELD: what is wrong; what
 * to write", FIELD being the dotted path (domains.prod.max_ttl,
 * baseline.read[2]). Content errors are -EINVAL: livegrantd refuses to start
 * rather than guess.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "denial_log_names.h"
#include "rules.h"
#include "token.h"

/* A configuration is a few kilobytes; a file near this size is not one. */
#define CFG_FILE_MAX (1024 * 1024)
/* The deepest field, domains.NAME.ceiling.connect, is a list 5 levels down. */
#define CFG_DEPTH_MAX 8
#define CFG_FIELD_MAX 256
#define CFG_FIELDS_MAX 16
/*
 * Durations fit 32 bits of seconds, so that twice one (the refresh bound of
 * a grant) in nanoseconds still fits a signed 64-bit clock value.
 */
/* An expired token stays acceptable for the leeway: keep it to clock skew. */
#define LEEWAY_MAX_S 300
/* Below this no signed token fits; above it one client could make livegrantd buffer too much. */
#define TOKEN_BYTES_MIN 1024
#define TOKEN_BYTES_MAX (1024 * 1024)
#define DOMAIN_NAME_MAX 32
#define CFG_CLAIMS_MAX 64
/* The longer of livegrantd's two sockets there (livegrantd/daemon.h). */
#define CONTROL_SOCKET "/livegrant-admin.sock"

#define DEFAULT_STATE_DIR "/run/livegrant"
#define DEFAULT_BPFFS_DIR "/sys/fs/bpf/livegrant"
#define DEFAULT_REFRESH_S 30
#define DEFAULT_LEEWAY_S 30
#define DEFAULT_DENIAL_LOG_BYTES (8ULL << 20)
#define DEFAULT_DENIAL_LOG_KEEP 5
#define DENIAL_LOG_BYTES_MIN 4096ULL
#define DENIAL_LOG_BYTES_MAX (1ULL << 30)
#define DEFAULT_KUBELET_URL "https://127.0.0.1:10250"
#define DEFAULT_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define DEFAULT_KUBE_POLL_S 5
#define DEFAULT_KUBE_TIMEOUT_S 10
/* A fetched trust bundle (trust_bundle_fetch:). */
#define DEFAULT_FETCH_REFRESH_S 300
#define DEFAULT_FETCH_MIN_INTERVAL_S 30
#define DEFAULT_FETCH_MAX_AGE_S (24 * 3600)
#define DEFAULT_FETCH_TIMEOUT_S 10
#define CFG_KUBE_TIMEOUT_MAX_S 60
#define CFG_FETCH_TIMEOUT_MAX_S 60
#define CFG_URL_MAX 400
#define CFG_KUBE_NAMESPACES_MAX 64
#define CFG_KUBE_LABELS_MAX 16
/* Configured roots; the kernel's map (LG_MAX_ROOTS) also holds agent pods. */
#define CFG_ROOTS_MAX 64
_Static_assert(CFG_ROOTS_MAX <= LG_MAX_ROOTS, "configured roots fit the kernel's root map");

#define TOP "(top level)"

/* A domain network already read, to refuse overlaps across domains. */
struct cfg_net {
	uint8_t addr[16];
	uint32_t plen;
	size_t domain; /* index in lg_config.domains */
	size_t line;
	const char *text; /* in the document, valid while loading */
};

struct cfg {
	const char *file;
	const unsigned char *buf;
	size_t len;
	yaml_document_t *doc;
	struct lg_config *c;
	struct cfg_net *nets;
	size_t nnets;
};

/* ---- errors ------------------------------------------------------------ */

static int cfg_err(const struct cfg *x, size_t line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int cfg_err(const struct cfg *x, size_t line, const char *field, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lg_err(-EINVAL, "%s:%zu: %s: %s", x->file, line, field, msg);
}

/* Prefix the message a rule or duration parser left with where it was. */
static int cfg_wrap(const struct cfg *x, size_t line, const char *field)
{
	char why[900];

	/* lg_err() formats into the buffer lg_errmsg() points to: copy first. */
	snprintf(why, sizeof(why), "%s", lg_errmsg());
	return cfg_err(x, line, field, "%s", why);
}

static int cfg_oom(const struct cfg *x)
{
	return lg_err(-ENOMEM, "%s: out of memory reading the configuration", x->file);
}

static size_t node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

static void field_name(char *buf, size_t size, const char *prefix, const char *key)
{
	int n = snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", key);

	/* Only an absurd key is this long; show that it was cut. */
	if (n < 0 || (size_t)n >= size)
		memcpy(buf + size - 4, "...", 4);
}

/* ---- durations ----------------------------------------------------------- */

/* ---- first pass: events ------------------------------------------------ */

struct scan_frame {
	bool map;
	bool want_key; /* map: the next node is a key */
	size_t idx; /* sequence: index of the next item */
	char key[64]; /* map: the key whose value comes next */
};

struct scan {
	struct scan_frame st[CFG_DEPTH_MAX];
	int depth;
	int docs;
};

/* The dotted path of the node about to be read (for a key: its mapping's). */
static void scan_path(const struct scan *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < s->depth && n < size; i++) {
		const struct scan_frame *f = &s->st[i];

		if (f->map && f->want_key)
			break;
		if (f->map)
			n += snprintf(buf + n, size - n, "%s%s", n ? "." : "", f->key);
		else
			n += snprintf(buf + n, size - n, "[%zu]", f->idx);
	}
	if (!buf[0])
		snprintf(buf, size, TOP);
}

/* A node was read whole: the enclosing collection moves on. */
static void scan_advance(struct scan *s)
{
	struct scan_frame *f;

	if (!s->depth)
		return;
	f = &s->st[s->depth - 1];
	if (f->map)
		f->want_key = !f->want_key;
	else
		f->idx++;
}

static struct scan_frame *scan_key_slot(struct scan *s)
{
	struct scan_frame *f = s->depth ? &s->st[s->depth - 1] : NULL;

	return f && f->map && f->want_key ? f : NULL;
}

/* libyaml expands "!!int" to "tag:yaml.org,2002:int": show it as written. */
static const char *short_tag(const yaml_char_t *tag)
{
	static const char core[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;

	return strncmp(t, core, sizeof(core) - 1) ? t : t + sizeof(core) - 1;
}

static int scan_node(const struct cfg *x, const struct scan *s, const yaml_event_t *ev,
		     const yaml_char_t *anchor, const yaml_char_t *tag)
{
	char field[CFG_FIELD_MAX];
	size_t line = ev->start_mark.line + 1;

	scan_path(s, field, sizeof(field));
	/*
	 * An alias makes one node appear in several places, so an error in it
	 * could not name one line, and libyaml builds cycles from recursive
	 * ones. The file is small: write values out.
	 */
	if (anchor)
		return cfg_err(
			x, line, field,
			"anchor &%s: anchors and aliases are not accepted; write every value out where it applies",
			(const char *)anchor);
	/* Every value is a string, list or mapping by where it stands. */
	if (tag)
		return cfg_err(
			x, line, field,
			"tag %s%s: tags are not accepted; write the plain value (quote it if it must stay a string)",
			short_tag(tag) != (const char *)tag ? "!!" : "", short_tag(tag));
	return 0;
}

static int scan_push(const struct cfg *x, struct scan *s, const yaml_event_t *ev, bool map)
{
	struct scan_frame *key = scan_key_slot(s);
	struct scan_frame *f;

	if (s->depth == CFG_DEPTH_MAX) {
		char field[CFG_FIELD_MAX];

		scan_path(s, field, sizeof(field));
		return cfg_err(x, ev->start_mark.line + 1, field,
			       "nested deeper than %d levels; no field is (see docs/config.md)",
			       CFG_DEPTH_MAX);
	}
	if (key)
		snprintf(key->key, sizeof(key->key), "?");
	f = &s->st[s->depth++];
	memset(f, 0, sizeof(*f));
	f->map = map;
	f->want_key = map;
	return 0;
}

static int scan_scalar(const struct cfg *x, struct scan *s, const yaml_event_t *ev)
{
	struct scan_frame *key = scan_key_slot(s);
	int err = scan_node(x, s, ev, ev->data.scalar.anchor, ev->data.scalar.tag);

	if (err)
		return err;
	if (key)
		snprintf(key->key, sizeof(key->key), "%.*s", (int)ev->data.scalar.length,
			 (const char *)ev->data.scalar.value);
	scan_advance(s);
	return 0;
}

static int scan_event(const struct cfg *x, struct scan *s, const yaml_event_t *ev)
{
	int err;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++s->docs == 1)
			return 0;
		return cfg_err(
			x, ev->start_mark.line + 1, TOP,
			"a second YAML document starts here; the configuration is one document: merge it into the first or remove it");
	case YAML_ALIAS_EVENT: {
		char field[CFG_FIELD_MAX];

		scan_path(s, field, sizeof(field));
		return cfg_err(
			x, ev->start_mark.line + 1, field,
			"alias *%s: anchors and aliases are not accepted; write the value out here",
			(const char *)ev->data.alias.anchor);
	}
	case YAML_SCALAR_EVENT:
		return scan_scalar(x, s, ev);
	case YAML_SEQUENCE_START_EVENT:
		err = scan_node(x, s, ev, ev->data.sequence_start.anchor,
				ev->data.sequence_start.tag);
		return err ? err : scan_push(x, s, ev, false);
	case YAML_MAPPING_START_EVENT:
		err = scan_node(x, s, ev, ev->data.mapping_start.anchor,
				ev->data.mapping_start.tag);
		return err ? err : scan_push(x, s, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		s->depth--;
		scan_advance(s);
		return 0;
	default:
		return 0;
	}
}

static size_t line_of_offset(const struct cfg *x, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off && i < x->len; i++)
		line += x->buf[i] == '\n';
	return line;
}

static int yaml_error(const struct cfg *x, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "not valid YAML";
	const char *hint = "check indentation, quotes and brackets";

	if (p->error == YAML_MEMORY_ERROR)
		return cfg_oom(x);
	/* The reader reports a byte offset, not a mark; value -1: no one byte. */
	if (p->error == YAML_READER_ERROR && p->problem_value >= 0)
		return cfg_err(x, line_of_offset(x, p->problem_offset), "YAML",
			       "%s (0x%x); the file must be UTF-8 text without control characters",
			       problem, (unsigned int)p->problem_value);
	if (p->error == YAML_READER_ERROR)
		return cfg_err(x, line_of_offset(x, p->problem_offset), "YAML",
			       "%s; the file must be UTF-8 text", problem);
	/* YAML forbids tabs for indentation; libyaml's message does not say so. */
	if (p->problem_mark.index < x->len && x->buf[p->problem_mark.index] == '\t')
		hint = "indent with spaces, never tabs";
	if (p->context)
		return cfg_err(x, p->problem_mark.line + 1, "YAML", "%s %s at line %zu; %s",
			       problem, p->context, p->context_mark.line + 1, hint);
	return cfg_err(x, p->problem_mark.line + 1, "YAML", "%s; %s", problem, hint);
}

static int scan_file(const struct cfg *x)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct scan s;
	bool end = false;
	int err = 0;

	memset(&s, 0, sizeof(s));
	if (!yaml_parser_initialize(&p))
		return cfg_oom(x);
	yaml_parser_set_input_string(&p, x->buf, x->len);
	while (!err && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			err = yaml_error(x, &p);
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		err = scan_event(x, &s, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!err && !s.docs)
		err = cfg_err(x, 1, TOP,
			      "the file holds no configuration; see docs/config.md for an example");
	return err;
}

/* ---- nodes --------------------------------------------------------------- */

static yaml_node_t *node_at(const struct cfg *x, int idx)
{
	return yaml_document_get_node(x->doc, idx);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* "key:" with nothing after it, or ~ / null: no value at all. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(scalar(n), nulls[i]))
			return true;
	return false;
}

static const char *node_kind(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return is_null(n) ? "nothing" : "a single value";
}

/* A scalar with a value: not null, not empty, no control characters. */
static int get_string(const struct cfg *x, const yaml_node_t *n, const char *field,
		      const char *what, const char **out)
{
	size_t len;

	if (n->type != YAML_SCALAR_NODE)
		return cfg_err(x, node_line(n), field, "expected %s, found %s", what, node_kind(n));
	if (is_null(n))
		return cfg_err(x, node_line(n), field, "has no value; write %s", what);
	len = n->data.scalar.length;
	if (!len)
		return cfg_err(x, node_line(n), field, "is empty; write %s", what);
	/* A NUL or newline in a path or audience is a mistake, never meant. */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = n->data.scalar.value[i];

		if (ch < 0x20 || ch == 0x7f)
			return cfg_err(x, node_line(n), field,
				       "contains the control character 0x%02x; write %s", ch, what);
	}
	*out = scalar(n);
	return 0;
}

static int dup_string(const struct cfg *x, const yaml_node_t *n, const char *field,
		      const char *what, char **out)
{
	const char *s = NULL;
	int err = get_string(x, n, field, what, &s);

	if (err)
		return err;
	*out = strdup(s);
	return *out ? 0 : cfg_oom(x);
}

static int expect_mapping(const struct cfg *x, const yaml_node_t *n, const char *field,
			  const char *what)
{
	if (n->type == YAML_MAPPING_NODE)
		return 0;
	if (is_null(n))
		return cfg_err(x, node_line(n), field, "has no value; write %s", what);
	return cfg_err(x, node_line(n), field, "expected %s, found %s", what, node_kind(n));
}

/* ---- lists of strings ------------------------------------------------------ */

/**
 * struct list_kind - what the items of one list field are.
 * @one:   an item, as said in errors ("a path rule such as /usr/").
 * @many:  the list ("path rules such as [/usr/, /etc/hosts]").
 * @max:   most items, checked before any (items are compared pairwise).
 * @limit: where @max comes from, for the error.
 * @check: validate an item before it is kept; @sofar is the list so far.
 */
struct list_kind {
	const char *one, *many;
	size_t max;
	const char *limit;
	int (*check)(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
		     const struct lg_strv *sofar, void *arg);
};

static int get_list(const struct cfg *x, const yaml_node_t *n, const char *field,
		    const struct list_kind *k)
{
	size_t count;

	if (n->type == YAML_SEQUENCE_NODE) {
		count = n->data.sequence.items.top - n->data.sequence.items.start;
		if (count <= k->max)
			return 0;
		return cfg_err(x, node_line(n), field, "has %zu items, more than %zu (%s)", count,
			       k->max, k->limit);
	}
	if (is_null(n))
		return cfg_err(x, node_line(n), field, "has no value; write a list of %s", k->many);
	if (n->type == YAML_SCALAR_NODE)
		return cfg_err(
			x, node_line(n), field,
			"expected a list of %s, found the single value \"%.200s\"; write [%.200s]",
			k->many, scalar(n), scalar(n));
	return cfg_err(x, node_line(n), field, "expected a list of %s, found a mapping", k->many);
}

static void strv_free(struct lg_strv *v)
{
	/* The config owns these strings; the const is for its readers. */
	for (size_t i = 0; i < v->n; i++)
		free((char *)v->v[i]);
	free((void *)v->v);
	v->v = NULL;
	v->n = 0;
}

static int parse_strv(struct cfg *x, const yaml_node_t *n, const char *field,
		      const struct list_kind *k, void *arg, struct lg_strv *out)
{
	yaml_node_item_t *items = n->data.sequence.items.start;
	size_t count;
	char **v;
	int err = get_list(x, n, field, k);

	if (err)
		return err;
	count = n->data.sequence.items.top - items;
	if (!count)
		return 0;
	v = calloc(count, sizeof(*v));
	if (!v)
		return cfg_oom(x);
	/* Owned by @out from here, so lg_config_free() frees a partial list. */
	out->v = (const char *const *)v;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = node_at(x, items[i]);
		char f[CFG_FIELD_MAX];
		const char *s = NULL;

		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		err = get_string(x, item, f, k->one, &s);
		if (!err && k->check)
			err = k->check(x, item, f, s, out, arg);
		if (err)
			return err;
		v[i] = strdup(s);
		if (!v[i])
			return cfg_oom(x);
		out->n = i + 1;
	}
	return 0;
}

/* ---- item checks ------------------------------------------------------------ */

static int check_path_rule(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
			   const struct lg_strv *sofar, void *arg)
{
	char norm[LG_PATH_MAX];
	uint32_t len;
	bool subtree;

	(void)sofar;
	(void)arg;
	if (lg_path_rule_parse(s, norm, &len, &subtree))
		return cfg_wrap(x, node_line(item), field);
	return 0;
}

/* A rule of a network kind; @arg points to the rights the kind grants. */
static int check_net_rule(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
			  const struct lg_strv *sofar, void *arg)
{
	struct lg_net_rule_parsed r;

	(void)sofar;
	if (lg_net_kind_rule_parse(*(const uint32_t *)arg, s, &r))
		return cfg_wrap(x, node_line(item), field);
	return 0;
}

/* An absolute path without "." or ".." components, normalized into @norm. */
static int check_abs_path(const struct cfg *x, const yaml_node_t *n, const char *field,
			  const char *s, char *norm)
{
	uint32_t len;
	bool subtree;

	if (s[0] != '/')
		return cfg_err(
			x, node_line(n), field,
			"\"%s\" is relative; write an absolute path (starting with '/'), since livegrantd does not run where you wrote this",
			s);
	if (lg_path_rule_parse(s, norm, &len, &subtree))
		return cfg_err(
			x, node_line(n), field,
			"\"%.200s\" is not a canonical path; write it without \".\" and \"..\" components, at most %d bytes",
			s, LG_PATH_MAX - 1);
	return 0;
}

static int check_cgroup(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
			const struct lg_strv *sofar, void *arg)
{
	char norm[LG_PATH_MAX], other[LG_PATH_MAX];
	int err = check_abs_path(x, item, field, s, norm);

	(void)arg;
	if (err)
		return err;
	/* Compare normalized: /a/b and /a//b/ are the same cgroup. */
	for (size_t i = 0; i < sofar->n; i++) {
		/* Cannot fail: every item so far passed this check. */
		check_abs_path(x, item, field, sofar->v[i], other);
		if (!strcmp(norm, other))
			return cfg_err(
				x, node_line(item), field,
				"\"%s\" is the same cgroup as \"%s\"; list each agent root once", s,
				sofar->v[i]);
	}
	return 0;
}

static int check_claim(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
		       const struct lg_strv *sofar, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sofar->n; i++)
		if (!strcmp(s, sofar->v[i]))
			return cfg_err(x, node_line(item), field,
				       "claim \"%s\" is listed twice; list each claim once", s);
	return 0;
}

static bool prefixes_overlap(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	uint32_t n = alen < blen ? alen : blen;

	/* Two prefixes overlap when the shorter one contains the longer one. */
	for (uint32_t bit = 0; bit < n; bit++) {
		uint8_t m = 0x80 >> (bit % 8);

		if ((a[bit / 8] & m) != (b[bit / 8] & m))
			return false;
	}
	return true;
}

/* The syntax of a network: an IP prefix with its length, no port. */
static int check_network_syntax(const struct cfg *x, const yaml_node_t *item, const char *field,
				const char *s)
{
	const char *c;
	int colons = 0;

	if (!strncmp(s, "unix:", 5))
		return cfg_err(
			x, node_line(item), field,
			"\"%s\" is a unix socket; a network is an IP prefix such as 10.10.0.0/16 or fd00:10::/32",
			s);
	if (s[0] == '[')
		return cfg_err(
			x, node_line(item), field,
			"\"%s\": write the prefix without brackets or port, e.g. fd00:10::/32", s);
	for (c = s; *c; c++)
		colons += *c == ':';
	/* IPv6 has at least two colons, so a single one introduces a port. */
	if (colons == 1)
		return cfg_err(
			x, node_line(item), field,
			"\"%s\" has a port; a network is a prefix without port, e.g. 10.10.0.0/16",
			s);
	if (!strchr(s, '/'))
		return cfg_err(
			x, node_line(item), field,
			"\"%s\" has no prefix length; write the network with its length, e.g. 10.10.0.0/16, or /%d for one address",
			s, colons ? 128 : 32);
	return 0;
}

static int check_network(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
			 const struct lg_strv *sofar, void *arg)
{
	const struct lg_domain_config *d = arg;
	struct lg_net_rule_parsed r;
	struct cfg_net *nets, *net;
	int err = check_network_syntax(x, item, field, s);

	(void)sofar;
	if (err)
		return err;
	if (lg_net_rule_parse(s, &r))
		return cfg_wrap(x, node_line(item), field);
	/* IPv4 is IPv4-mapped IPv6 here as in the kernel, so ::/0 overlaps it. */
	for (size_t i = 0; i < x->nnets; i++) {
		const struct cfg_net *o = &x->nets[i];

		if (o->domain == d->id - 1 || !prefixes_overlap(o->addr, o->plen, r.addr, r.plen))
			continue;
		return cfg_err(
			x, node_line(item), field,
			"%s of domain %s overlaps %s of domain %s (line %zu); an address belongs to at most one domain: narrow or split one of them",
			s, d->name, o->text, x->c->domains[o->domain].name, o->line);
	}
	nets = realloc(x->nets, (x->nnets + 1) * sizeof(*nets));
	if (!nets)
		return cfg_oom(x);
	x->nets = nets;
	net = &nets[x->nnets++];
	memcpy(net->addr, r.addr, sizeof(net->addr));
	net->plen = r.plen;
	net->domain = d->id - 1;
	net->line = node_line(item);
	net->text = s;
	return 0;
}

static const struct list_kind path_rules = {
	.one = "a path rule such as /usr/ or /etc/hosts",
	.many = "path rules such as [/usr/, /etc/hosts], [] for none",
	.max = LG_MAX_PATH_RULES,
	.limit = "LG_MAX_PATH_RULES rule paths in one grant",
	.check = check_path_rule,
};

static const struct list_kind connect_rules = {
	.one = "a connect rule such as 10.10.1.0/24:443 or unix:/run/db.sock",
	.many = "connect rules such as [10.10.1.0/24:443, unix:/run/db.sock], [] for none",
	.max = LG_MAX_NET_RULES + LG_MAX_UNIX_RULES,
	.limit = "LG_MAX_NET_RULES prefixes and LG_MAX_UNIX_RULES sockets in one grant",
	.check = check_net_rule,
};

static const struct list_kind listen_rules = {
	.one = "a listen rule such as 127.0.0.1:8080 or unix:@name",
	.many = "listen rules such as [127.0.0.1:8080, \"[::1]:8000-8100\", unix:@name], [] for none",
	.max = LG_MAX_NET_RULES + LG_MAX_UNIX_RULES,
	.limit = "LG_MAX_NET_RULES prefixes and LG_MAX_UNIX_RULES sockets in one grant",
	.check = check_net_rule,
};

static const struct list_kind cgroup_paths = {
	.one = "an absolute cgroup path such as /sys/fs/cgroup/agents",
	.many = "absolute cgroup paths such as [/sys/fs/cgroup/agents]",
	.max = CFG_ROOTS_MAX,
	.limit = "CFG_ROOTS_MAX configured agent roots; group agents under fewer roots",
	.check = check_cgroup,
};

static const struct list_kind claim_names = {
	.one = "a claim name such as approver",
	.many = "claim names such as [approver]",
	.max = CFG_CLAIMS_MAX,
	.limit = "a requirement names a few claims",
	.check = check_claim,
};

static const struct list_kind networks = {
	.one = "an IP prefix such as 10.10.0.0/16 or fd00:10::/32",
	.many = "IP prefixes such as [10.10.0.0/16, \"fd00:10::/32\"]",
	.max = LG_MAX_NET_RULES,
	.limit = "LG_MAX_NET_RULES prefixes per domain",
	.check = check_network,
};

/* ---- mappings ---------------------------------------------------------------- */

typedef int (*field_fn)(struct cfg *x, const yaml_node_t *v, const char *field, void *obj);

/**
 * struct cfg_field - one key of a mapping.
 * @key:     its name.
 * @parse:   reads the value into @obj of walk_mapping().
 * @missing: NULL for an optional key; for a required one, what to add.
 */
struct cfg_field {
	const char *key;
	field_fn parse;
	const char *missing;
};

/*
 * libyaml marks an empty value ("key:" and nothing) at the token after it,
 * often on the next line: report it at its key instead.
 */
static void mark_empty_value(const yaml_node_t *k, yaml_node_t *v)
{
	if (is_null(v))
		v->start_mark = k->start_mark;
}

static int get_key(const struct cfg *x, const yaml_node_t *k, const char *prefix, const char **key)
{
	const char *where = *prefix ? prefix : TOP;

	if (k->type != YAML_SCALAR_NODE)
		return cfg_err(x, node_line(k), where, "a key is a plain name, not %s",
			       node_kind(k));
	return get_string(x, k, where, "a key name", key);
}

static int unknown_key(const struct cfg *x, const yaml_node_t *k, const char *field,
		       const struct cfg_field *fields, size_t nfields)
{
	char known[512];
	size_t n = 0;

	known[0] = 0;
	for (size_t i = 0; i < nfields && n < sizeof(known); i++)
		n += snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "", fields[i].key);
	return cfg_err(
		x, node_line(k), field,
		"unknown key; the keys here are %s (a misspelt key is never ignored; see docs/config.md)",
		known);
}

static int walk_pair(struct cfg *x, const yaml_node_pair_t *pair, const char *prefix,
		     const struct cfg_field *fields, size_t nfields, size_t *seen, void *obj)
{
	const yaml_node_t *k = node_at(x, pair->key);
	yaml_node_t *v = node_at(x, pair->value);
	char f[CFG_FIELD_MAX];
	const char *key = NULL;
	size_t i;
	int err = get_key(x, k, prefix, &key);

	if (err)
		return err;
	field_name(f, sizeof(f), prefix, key);
	for (i = 0; i < nfields; i++)
		if (!strcmp(fields[i].key, key))
			break;
	if (i == nfields)
		return unknown_key(x, k, f, fields, nfields);
	/* libyaml keeps duplicate keys; which one wins would be a guess. */
	if (seen[i])
		return cfg_err(x, node_line(k), f, "appears twice (first at line %zu); keep one",
			       seen[i]);
	seen[i] = node_line(k);
	mark_empty_value(k, v);
	return fields[i].parse(x, v, f, obj);
}

/*
 * Read the mapping @map whose keys are @fields into @obj. @owner_line is the
 * line a missing key is reported at: the key that owns @map.
 */
static int walk_mapping(struct cfg *x, const yaml_node_t *map, const char *prefix,
			size_t owner_line, const struct cfg_field *fields, size_t nfields,
			void *obj)
{
	size_t seen[CFG_FIELDS_MAX] = { 0 };
	const yaml_node_pair_t *pair;
	int err;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		err = walk_pair(x, pair, prefix, fields, nfields, seen, obj);
		if (err)
			return err;
	}
	for (size_t i = 0; i < nfields; i++) {
		char f[CFG_FIELD_MAX];

		if (seen[i] || !fields[i].missing)
			continue;
		field_name(f, sizeof(f), prefix, fields[i].key);
		return cfg_err(x, owner_line, f, "is missing; add %s", fields[i].missing);
	}
	return 0;
}

/* ---- field values ------------------------------------------------------------ */

static int get_abs_path(const struct cfg *x, const yaml_node_t *v, const char *field,
			const char *what, char **out)
{
	char norm[LG_PATH_MAX];
	const char *s = NULL;
	int err = get_string(x, v, field, what, &s);

	if (!err)
		err = check_abs_path(x, v, field, s, norm);
	if (err)
		return err;
	*out = strdup(s);
	return *out ? 0 : cfg_oom(x);
}

static int get_duration(const struct cfg *x, const yaml_node_t *v, const char *field,
			bool allow_zero, uint64_t *out)
{
	const char *s = NULL;
	int err = get_string(x, v, field, "a duration such as 30s, 10m or 1h", &s);

	if (err)
		return err;
	if (lg_duration_parse(s, allow_zero, out))
		return cfg_wrap(x, node_line(v), field);
	return 0;
}

static int f_state_dir(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;
	int err = get_abs_path(x, v, field, "an absolute directory such as /run/livegrant",
			       &c->state_dir);

	if (err)
		return err;
	/* The control sockets live there, and sun_path is short. */
	if (strlen(c->state_dir) + strlen(CONTROL_SOCKET) >= LG_UNIX_PATH_MAX)
		return cfg_err(
			x, node_line(v), field,
			"\"%.200s\" is too long: the control socket %.200s%s must fit in %d bytes; choose a shorter directory",
			c->state_dir, c->state_dir, CONTROL_SOCKET, LG_UNIX_PATH_MAX - 1);
	return 0;
}

static int f_bpffs_dir(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;

	return get_abs_path(x, v, field,
			    "an absolute directory on bpffs such as /sys/fs/bpf/livegrant",
			    &c->bpffs_dir);
}

static int f_audience(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;

	return dup_string(x, v, field, "the audience tokens carry, e.g. livegrant://node-1",
			  &c->audience);
}

static int f_mode(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;
	const char *s = NULL;
	int err = get_string(x, v, field, "enforce or audit", &s);

	if (err)
		return err;
	if (!strcmp(s, "enforce"))
		c->mode = LG_MODE_ENFORCE;
	else if (!strcmp(s, "audit"))
		c->mode = LG_MODE_AUDIT;
	else
		return cfg_err(x, node_line(v), field,
			       "\"%.200s\" is not a mode; write enforce or audit", s);
	return 0;
}

static int f_refresh_interval(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;

	return get_duration(x, v, field, false, &c->refresh_interval_s);
}

static int f_token_leeway(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;
	int err = get_duration(x, v, field, true, &c->token_leeway_s);

	if (err)
		return err;
	if (c->token_leeway_s > LEEWAY_MAX_S)
		return cfg_err(
			x, node_line(v), field,
			"\"%s\" is more than %ds: an expired token would be accepted that long; the leeway is for clock skew, write 30s",
			scalar(v), LEEWAY_MAX_S);
	return 0;
}

static int f_max_token_bytes(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;
	unsigned long long n = 0;
	const char *s = NULL, *p;
	int err = get_string(x, v, field, "a number of bytes such as 16384", &s);

	if (err)
		return err;
	for (p = s; *p >= '0' && *p <= '9' && n <= TOKEN_BYTES_MAX; p++)
		n = n * 10 + (unsigned long long)(*p - '0');
	if (p == s || (*p && n <= TOKEN_BYTES_MAX))
		return cfg_err(x, node_line(v), field,
			       "\"%.200s\" is not a whole number of bytes; write e.g. 16384", s);
	if (n < TOKEN_BYTES_MIN || n > TOKEN_BYTES_MAX)
		return cfg_err(x, node_line(v), field,
			       "%.200s is out of range; write %d to %d (default %d)", s,
			       TOKEN_BYTES_MIN, TOKEN_BYTES_MAX, LG_TOKEN_MAX_BYTES);
	c->max_token_bytes = n;
	return 0;
}

/* A whole number in [min, max], or a config error naming the range. */
static int get_uint_range(struct cfg *x, const yaml_node_t *v, const char *field,
			  unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long n = 0;
	const char *s = NULL, *p;
	int err = get_string(x, v, field, "a whole number", &s);

	if (err)
		return err;
	for (p = s; *p >= '0' && *p <= '9' && n <= max; p++)
		n = n * 10 + (unsigned long long)(*p - '0');
	if (p == s || (*p && n <= max))
		return cfg_err(x, node_line(v), field, "\"%.200s\" is not a whole number", s);
	if (n < min || n > max)
		return cfg_err(x, node_line(v), field, "%.200s is out of range; write %llu to %llu",
			       s, min, max);
	*out = n;
	return 0;
}

static int f_denial_log_max_bytes(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	unsigned long long n;
	int err = get_uint_range(x, v, field, DENIAL_LOG_BYTES_MIN, DENIAL_LOG_BYTES_MAX, &n);

	if (!err)
		((struct lg_config *)obj)->denial_log_max_bytes = n;
	return err;
}

static int f_denial_log_keep(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	unsigned long long n;
	int err = get_uint_range(x, v, field, 1, LG_DENIAL_LOG_KEEP_MAX, &n);

	if (!err)
		((struct lg_config *)obj)->denial_log_keep = n;
	return err;
}

static int f_agent_cgroups(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;
	int err = parse_strv(x, v, field, &cgroup_paths, NULL, &c->agent_cgroups);

	if (err)
		return err;
	/* With no root nothing would be enforced: surely not what was meant. */
	if (!c->agent_cgroups.n)
		return cfg_err(
			x, node_line(v), field,
			"is empty; list at least one agent cgroup root, e.g. [/sys/fs/cgroup/agents]");
	return 0;
}

/* IPv4 "ADDR:PORT" or "[IPV6]:PORT", port 1-65535; no names: no DNS at start. */
static int f_metrics_listen(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	static const char *const what = "ADDR:PORT such as 127.0.0.1:9464 or [::1]:9464";
	struct lg_config *c = obj;
	char addr[INET6_ADDRSTRLEN + 2], bin[16], *end;
	const char *s = NULL, *colon;
	unsigned long port;
	size_t alen;
	int err = get_string(x, v, field, what, &s);

	if (err)
		return err;
	colon = strrchr(s, ':');
	alen = colon ? (size_t)(colon - s) : 0;
	if (!alen || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = 0;
	if (addr[0] == '[' && addr[alen - 1] == ']') {
		addr[alen - 1] = 0;
		if (inet_pton(AF_INET6, addr + 1, bin) != 1)
			goto bad;
	} else if (inet_pton(AF_INET, addr, bin) != 1) {
		goto bad;
	}
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || !port || port > 65535)
		goto bad;
	c->metrics_listen = strdup(s);
	return c->metrics_listen ? 0 : cfg_oom(x);
bad:
	return cfg_err(
		x, node_line(v), field,
		"\"%.200s\" is not an address and port; write %s, or remove the key to turn metrics off",
		s, what);
}

/* ---- rule sets (baseline, ceiling) ------------------------------------------ */

/* One rule kind's list: its class says which rule syntax each item has. */
static int parse_rule_list(struct cfg *x, const yaml_node_t *v, const char *field,
			   enum lg_rule_kind kind, struct lg_rules_config *r)
{
	const struct lg_rule_kind_info *k = lg_rule_kind(kind);
	const struct list_kind *syntax = k->cls != LG_CLASS_NET		    ? &path_rules :
					 (k->rights & LG_NET_LISTEN_RIGHTS) ? &listen_rules :
									      &connect_rules;
	uint32_t rights = k->rights;

	/* A network kind's rules are checked by its rights (listen: no pathnames). */
	return parse_strv(x, v, field, syntax, &rights, &r->rules[kind]);
}

/* A field parser per rule kind, and the mapping's keys, from the kind table. */
#define RULE_FIELD_FN(kid, kname, kclass, krights)                                       \
	static int f_rules_##kid(struct cfg *x, const yaml_node_t *v, const char *field, \
				 void *obj)                                              \
	{                                                                                \
		return parse_rule_list(x, v, field, LG_RULE_##kid, obj);                 \
	}
LG_RULE_KINDS(RULE_FIELD_FN)
#undef RULE_FIELD_FN

#define RULE_FIELD(kid, kname, kclass, krights) { kname, f_rules_##kid, NULL },
static const struct cfg_field rules_fields[] = { LG_RULE_KINDS(RULE_FIELD) };
#undef RULE_FIELD

/* Each rule is valid; the set as a whole must also fit one grant's limits. */
static int rules_fit(const struct cfg *x, const yaml_node_t *v, const char *field,
		     const struct lg_rules_config *r)
{
	struct lg_grant_spec spec = { .mode = LG_MODE_ENFORCE };
	struct lg_compiled comp;
	int err;

	memcpy(spec.rules, r->rules, sizeof(spec.rules));
	err = lg_compile(&spec, &comp);
	if (err == -ENOMEM)
		return err;
	if (err)
		return cfg_wrap(x, node_line(v), field);
	lg_compiled_free(&comp);
	return 0;
}

static int parse_rules(struct cfg *x, const yaml_node_t *v, const char *field,
		       struct lg_rules_config *r)
{
	char what[256];
	int err;

	snprintf(what, sizeof(what), "a mapping of rule lists (%s), e.g. {read: [/usr/]}",
		 lg_rule_kind_list());
	err = expect_mapping(x, v, field, what);
	if (!err)
		err = walk_mapping(x, v, field, node_line(v), rules_fields,
				   sizeof(rules_fields) / sizeof(rules_fields[0]), r);
	return err ? err : rules_fit(x, v, field, r);
}

static int f_baseline(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;

	return parse_rules(x, v, field, &c->baseline);
}

/* ---- domains ------------------------------------------------------------------ */

/*
 * trust_bundle: a JWKS or PEM file, or the https URL of a JWKS (an OIDC
 * jwks_uri, a SPIFFE bundle endpoint) that livegrantd fetches and
 * refreshes (trust_bundle_fetch:). Plain http is refused: whoever could
 * change the document in transit would choose whom the domain trusts.
 */
static int f_trust_bundle(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	static const char *const what =
		"the absolute path of a JWKS or PEM file, or the https URL of a JWKS";
	struct lg_domain_config *d = obj;
	const char *s = NULL, *host;
	int err;

	if (v->type != YAML_SCALAR_NODE || strncmp(scalar(v), "http", 4))
		return get_abs_path(x, v, field, what, &d->trust_bundle);
	err = get_string(x, v, field, what, &s);
	if (err)
		return err;
	if (strncmp(s, "https://", 8))
		return cfg_err(
			x, node_line(v), field,
			"\"%.200s\" is not https; write https://... (whoever could change the JWKS in transit would choose whom this domain trusts)",
			s);
	host = s + 8;
	if (!*host || *host == '/' || strpbrk(s, "@ \t\r\n#") || strlen(s) > CFG_URL_MAX)
		return cfg_err(
			x, node_line(v), field,
			"\"%.200s\" is not a usable URL: write https://HOST[:PORT]/PATH, without a user part or fragment, at most %d characters",
			s, CFG_URL_MAX);
	d->trust_bundle_url = true;
	d->trust_bundle = strdup(s);
	return d->trust_bundle ? 0 : cfg_oom(x);
}

static int f_fetch_ca_file(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_abs_path(x, v, field,
			    "the absolute path of the CA bundle that verifies the issuer's server",
			    &((struct lg_bundle_fetch_config *)obj)->ca_file);
}

static int f_fetch_refresh(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_duration(x, v, field, false, &((struct lg_bundle_fetch_config *)obj)->refresh_s);
}

static int f_fetch_min_interval(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_duration(x, v, field, false,
			    &((struct lg_bundle_fetch_config *)obj)->min_interval_s);
}

static int f_fetch_max_age(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_duration(x, v, field, false, &((struct lg_bundle_fetch_config *)obj)->max_age_s);
}

static int f_fetch_timeout(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_bundle_fetch_config *f = obj;
	int err = get_duration(x, v, field, false, &f->timeout_s);

	if (!err && f->timeout_s > CFG_FETCH_TIMEOUT_MAX_S)
		return cfg_err(
			x, node_line(v), field,
			"is longer than %ds; an issuer that slow is reported, not waited for",
			CFG_FETCH_TIMEOUT_MAX_S);
	return err;
}

static const struct cfg_field fetch_fields[] = {
	{ "ca_file", f_fetch_ca_file, NULL },		{ "refresh", f_fetch_refresh, NULL },
	{ "min_interval", f_fetch_min_interval, NULL }, { "max_age", f_fetch_max_age, NULL },
	{ "timeout", f_fetch_timeout, NULL },
};

static int f_trust_bundle_fetch(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_domain_config *d = obj;
	int err = expect_mapping(x, v, field,
				 "a mapping such as {refresh: 5m, max_age: 24h, ca_file: PATH}");

	if (err)
		return err;
	d->has_fetch = true;
	return walk_mapping(x, v, field, node_line(v), fetch_fields,
			    sizeof(fetch_fields) / sizeof(fetch_fields[0]), &d->fetch);
}

/*
 * The fetch settings agree with each other: a refetch never closer than
 * min_interval, a refresh well inside max_age (a bundle kept no longer than
 * that, so one failed refresh must not already end it).
 */
static int check_fetch(struct cfg *x, const yaml_node_t *dv, const char *f,
		       struct lg_domain_config *d)
{
	struct lg_bundle_fetch_config *b = &d->fetch;
	char ff[CFG_FIELD_MAX];
	const yaml_node_pair_t *pair;

	field_name(ff, sizeof(ff), f, "trust_bundle_fetch");
	/* Errors point at trust_bundle_fetch: when it was written, else at the domain. */
	for (pair = dv->data.mapping.pairs.start; pair < dv->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = node_at(x, pair->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), "trust_bundle_fetch"))
			dv = k;
	}
	if (d->has_fetch && !d->trust_bundle_url)
		return cfg_err(
			x, node_line(dv), ff,
			"is only for a trust_bundle that is an https URL; %s is a file, read at start",
			d->trust_bundle);
	if (!d->trust_bundle_url)
		return 0;
	if (!b->refresh_s)
		b->refresh_s = DEFAULT_FETCH_REFRESH_S;
	if (!b->min_interval_s)
		b->min_interval_s = b->refresh_s < DEFAULT_FETCH_MIN_INTERVAL_S ?
					    b->refresh_s :
					    DEFAULT_FETCH_MIN_INTERVAL_S;
	if (!b->max_age_s)
		b->max_age_s = DEFAULT_FETCH_MAX_AGE_S;
	if (!b->timeout_s)
		b->timeout_s = DEFAULT_FETCH_TIMEOUT_S;
	if (b->min_interval_s > b->refresh_s)
		return cfg_err(
			x, node_line(dv), ff,
			"min_interval (%llus) is longer than refresh (%llus); make it shorter",
			(unsigned long long)b->min_interval_s, (unsigned long long)b->refresh_s);
	if (b->max_age_s < 2 * b->refresh_s)
		return cfg_err(
			x, node_line(dv), ff,
			"max_age (%llus) is less than two refreshes (%llus): one failed fetch would end the bundle; make max_age longer or refresh shorter",
			(unsigned long long)b->max_age_s, (unsigned long long)(2 * b->refresh_s));
	return 0;
}

static int f_max_ttl(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_domain_config *d = obj;

	return get_duration(x, v, field, false, &d->max_ttl_s);
}

static int f_networks(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_domain_config *d = obj;

	return parse_strv(x, v, field, &networks, d, &d->networks);
}

static int f_require_claims(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_domain_config *d = obj;

	return parse_strv(x, v, field, &claim_names, NULL, &d->require_claims);
}

static int f_on_crossing(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_domain_config *d = obj;
	const char *s = NULL;
	int err = get_string(x, v, field, "deny or suspend", &s);

	if (err)
		return err;
	if (!strcmp(s, "deny"))
		d->on_crossing = LG_ON_CROSSING_DENY;
	else if (!strcmp(s, "suspend"))
		d->on_crossing = LG_ON_CROSSING_SUSPEND;
	else
		return cfg_err(x, node_line(v), field,
			       "\"%.200s\" is not a crossing action; write deny or suspend", s);
	return 0;
}

static int f_ceiling(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_domain_config *d = obj;

	d->has_ceiling = true;
	return parse_rules(x, v, field, &d->ceiling);
}

static const struct cfg_field domain_fields[] = {
	{ "trust_bundle", f_trust_bundle,
	  "trust_bundle: /etc/livegrant/NAME.jwks (the issuer keys trusted for this domain)" },
	{ "trust_bundle_fetch", f_trust_bundle_fetch, NULL },
	{ "max_ttl", f_max_ttl, "max_ttl: 10m (the longest token lifetime accepted)" },
	{ "networks", f_networks, NULL },
	{ "require_claims", f_require_claims, NULL },
	{ "on_crossing", f_on_crossing, NULL },
	{ "ceiling", f_ceiling, NULL },
};

static int check_domain_name(const struct cfg *x, const yaml_node_t *k, const char *field,
			     const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')
			continue;
		return cfg_err(
			x, node_line(k), field,
			"domain name \"%.200s\" has '%c'; use lowercase letters, digits, '_' and '-'",
			name, ch);
	}
	if (len > DOMAIN_NAME_MAX)
		return cfg_err(x, node_line(k), field,
			       "domain name \"%.200s\" is longer than %d characters", name,
			       DOMAIN_NAME_MAX);
	return 0;
}

static int parse_domain(struct cfg *x, const yaml_node_pair_t *pairs, size_t i)
{
	const yaml_node_t *k = node_at(x, pairs[i].key);
	yaml_node_t *v = node_at(x, pairs[i].value);
	struct lg_domain_config *d = &x->c->domains[i];
	char f[CFG_FIELD_MAX];
	const char *name = NULL;
	int err = get_key(x, k, "domains", &name);

	if (err)
		return err;
	field_name(f, sizeof(f), "domains", name);
	err = check_domain_name(x, k, f, name);
	if (err)
		return err;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(x->c->domains[j].name, name))
			return cfg_err(
				x, node_line(k), f,
				"domain defined twice (first at line %zu); merge the two entries",
				node_line(node_at(x, pairs[j].key)));
	/* Counted before anything is allocated, so lg_config_free() sees it. */
	x->c->n_domains = i + 1;
	d->id = i + 1;
	d->on_crossing = LG_ON_CROSSING_DENY;
	d->name = strdup(name);
	if (!d->name)
		return cfg_oom(x);
	mark_empty_value(k, v);
	err = expect_mapping(x, v, f, "a mapping with trust_bundle and max_ttl");
	if (err)
		return err;
	err = walk_mapping(x, v, f, node_line(k), domain_fields,
			   sizeof(domain_fields) / sizeof(domain_fields[0]), d);
	return err ? err : check_fetch(x, v, f, d);
}

static int f_domains(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_config *c = obj;
	const yaml_node_pair_t *pairs;
	size_t n;
	int err = expect_mapping(x, v, field, "a mapping of domain names to their settings");

	if (err)
		return err;
	pairs = v->data.mapping.pairs.start;
	n = v->data.mapping.pairs.top - pairs;
	if (!n)
		return cfg_err(
			x, node_line(v), field,
			"has no domain; define at least one, e.g. qa: {trust_bundle: /etc/livegrant/qa.jwks, max_ttl: 1h}");
	c->domains = calloc(n, sizeof(*c->domains));
	if (!c->domains)
		return cfg_oom(x);
	for (size_t i = 0; i < n; i++) {
		err = parse_domain(x, pairs, i);
		if (err)
			return err;
	}
	return 0;
}

/* ---- kubernetes -------------------------------------------------------------- */

/*
 * kubelet_url: https only (the pod list decides who is an agent, so its
 * source must be authenticated), no path, query or user part: livegrantd
 * appends /pods. ${NODE_NAME} and ${NODE_IP} stay as written; livegrantd
 * replaces them from its environment at start (kubelet.c).
 */
static int f_kubelet_url(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	static const char *const what = "an https URL such as https://${NODE_NAME}:10250";
	struct lg_kube_config *k = obj;
	const char *s = NULL, *host;
	int err = get_string(x, v, field, what, &s);

	if (err)
		return err;
	if (strncmp(s, "https://", 8))
		return cfg_err(
			x, node_line(v), field,
			"\"%.200s\" is not https; write %s (the pod list decides who is an agent: it must come from an authenticated kubelet)",
			s, what);
	host = s + 8;
	if (!*host || strpbrk(host, "/?#@ "))
		return cfg_err(x, node_line(v), field,
			       "\"%.200s\" has no host, or a path, query or user part; write %s", s,
			       what);
	k->kubelet_url = strdup(s);
	return k->kubelet_url ? 0 : cfg_oom(x);
}

static int f_kube_ca_file(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_abs_path(x, v, field, "the absolute path of the CA bundle of the kubelet",
			    &((struct lg_kube_config *)obj)->ca_file);
}

static int f_kube_token_file(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_abs_path(x, v, field, "the absolute path of the service-account token",
			    &((struct lg_kube_config *)obj)->token_file);
}

static int f_cgroup_driver(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_kube_config *k = obj;
	const char *s = NULL;
	int err = get_string(x, v, field, "systemd or cgroupfs", &s);

	if (err)
		return err;
	if (!strcmp(s, "systemd"))
		k->driver = LG_KUBE_SYSTEMD;
	else if (!strcmp(s, "cgroupfs"))
		k->driver = LG_KUBE_CGROUPFS;
	else
		return cfg_err(
			x, node_line(v), field,
			"\"%.200s\" is not a cgroup driver; write the kubelet's: systemd or cgroupfs",
			s);
	return 0;
}

/* A DNS label (RFC 1123), as Kubernetes names namespaces: [a-z0-9-], 1-63. */
static int check_namespace(struct cfg *x, const yaml_node_t *item, const char *field, const char *s,
			   const struct lg_strv *sofar, void *arg)
{
	size_t len = strlen(s);

	(void)arg;
	if (len > 63 || s[0] == '-' || s[len - 1] == '-' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		return cfg_err(
			x, node_line(item), field,
			"\"%.200s\" is not a namespace name; write lowercase letters, digits and '-', at most 63",
			s);
	for (size_t i = 0; i < sofar->n; i++)
		if (!strcmp(s, sofar->v[i]))
			return cfg_err(x, node_line(item), field, "\"%s\" is listed twice", s);
	return 0;
}

static const struct list_kind namespaces = {
	.one = "a namespace name such as agents",
	.many = "namespace names such as [agents]",
	.max = CFG_KUBE_NAMESPACES_MAX,
	.limit = "a selector names a few namespaces",
	.check = check_namespace,
};

static int f_kube_namespaces(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_kube_config *k = obj;
	int err = parse_strv(x, v, field, &namespaces, NULL, &k->namespaces);

	if (!err && !k->namespaces.n)
		return cfg_err(x, node_line(v), field,
			       "is empty; list the namespaces of agent pods, e.g. [agents]");
	return err;
}

/*
 * A label name or value as Kubernetes allows them: at most 63 characters
 * of [A-Za-z0-9._-] (a name may have a DNS prefix and '/'; a value may be
 * empty).
 */
static bool label_text_ok(const char *s, bool key)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	const char *name = key && strchr(s, '/') ? strchr(s, '/') + 1 : s;
	size_t len = strlen(name), plen = name == s ? 0 : (size_t)(name - s - 1);

	/* The prefix, when there is one: 1 to 253 of the same characters. */
	if (name != s && (!plen || plen > 253 || strspn(s, chars) != plen))
		return false;
	if (key && !len)
		return false;
	return len <= 63 && strspn(name, chars) == len;
}

static int set_label(struct cfg *x, struct lg_kube_config *k, size_t i, const char *f,
		     const yaml_node_t *kn, const yaml_node_t *vn)
{
	const char *key = scalar(kn), *val = vn->type == YAML_SCALAR_NODE ? scalar(vn) : NULL;

	if (!label_text_ok(key, true))
		return cfg_err(
			x, node_line(kn), f,
			"\"%.200s\" is not a label name; write [PREFIX/]NAME of letters, digits, '.', '_' and '-'",
			key);
	if (!val || !label_text_ok(val, false))
		return cfg_err(
			x, node_line(vn), f,
			"expected a label value (at most 63 letters, digits, '.', '_' and '-'; quote \"true\")");
	((const char **)k->label_keys.v)[i] = strdup(key);
	((const char **)k->label_values.v)[i] = strdup(val);
	k->label_keys.n = k->label_values.n = i + 1;
	return k->label_keys.v[i] && k->label_values.v[i] ? 0 : cfg_oom(x);
}

static int f_kube_labels(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_kube_config *k = obj;
	const yaml_node_pair_t *pairs;
	size_t n;
	int err = expect_mapping(x, v, field, "a mapping of label names to values");

	if (err)
		return err;
	pairs = v->data.mapping.pairs.start;
	n = v->data.mapping.pairs.top - pairs;
	if (n > CFG_KUBE_LABELS_MAX)
		return cfg_err(x, node_line(v), field, "has %zu labels, more than %d", n,
			       CFG_KUBE_LABELS_MAX);
	k->label_keys.v = calloc(n + 1, sizeof(char *));
	k->label_values.v = calloc(n + 1, sizeof(char *));
	if (!k->label_keys.v || !k->label_values.v)
		return cfg_oom(x);
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *kn = node_at(x, pairs[i].key), *vn = node_at(x, pairs[i].value);
		const char *key = NULL;
		char f[CFG_FIELD_MAX];

		err = get_key(x, kn, field, &key);
		if (err)
			return err;
		field_name(f, sizeof(f), field, key);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(k->label_keys.v[j], key))
				return cfg_err(x, node_line(kn), f, "appears twice; keep one");
		err = set_label(x, k, i, f, kn, vn);
		if (err)
			return err;
	}
	return 0;
}

static int f_kube_poll(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	return get_duration(x, v, field, false, &((struct lg_kube_config *)obj)->poll_interval_s);
}

static int f_kube_timeout(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_kube_config *k = obj;
	int err = get_duration(x, v, field, false, &k->timeout_s);

	if (!err && k->timeout_s > CFG_KUBE_TIMEOUT_MAX_S)
		return cfg_err(
			x, node_line(v), field,
			"is longer than %ds; a kubelet that slow is reported, not waited for",
			CFG_KUBE_TIMEOUT_MAX_S);
	return err;
}

static int f_kube_bootstrap(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_kube_config *k = obj;

	k->has_bootstrap = true;
	return parse_rules(x, v, field, &k->bootstrap);
}

static const struct cfg_field kube_fields[] = {
	{ "kubelet_url", f_kubelet_url, NULL },
	{ "ca_file", f_kube_ca_file, NULL },
	{ "token_file", f_kube_token_file, NULL },
	{ "cgroup_driver", f_cgroup_driver, NULL },
	{ "namespaces", f_kube_namespaces,
	  "namespaces: [agents] (agent pods are in one of these namespaces)" },
	{ "labels", f_kube_labels, NULL },
	{ "poll_interval", f_kube_poll, NULL },
	{ "timeout", f_kube_timeout, NULL },
	{ "bootstrap", f_kube_bootstrap, NULL },
};

static int f_kubernetes(struct cfg *x, const yaml_node_t *v, const char *field, void *obj)
{
	struct lg_kube_config *k = &((struct lg_config *)obj)->kube;
	int err = expect_mapping(x, v, field,
				 "a mapping with namespaces: and the kubelet's settings");

	if (err)
		return err;
	k->enabled = true;
	k->poll_interval_s = DEFAULT_KUBE_POLL_S;
	k->timeout_s = DEFAULT_KUBE_TIMEOUT_S;
	err = walk_mapping(x, v, field, node_line(v), kube_fields,
			   sizeof(kube_fields) / sizeof(kube_fields[0]), k);
	if (err)
		return err;
	if (!k->kubelet_url && !(k->kubelet_url = strdup(DEFAULT_KUBELET_URL)))
		return cfg_oom(x);
	if (!k->ca_file && !(k->ca_file = strdup(DEFAULT_KUBE_SA_DIR "/ca.crt")))
		return cfg_oom(x);
	if (!k->token_file && !(k->token_file = strdup(DEFAULT_KUBE_SA_DIR "/token")))
		return cfg_oom(x);
	return 0;
}

static const struct cfg_field top_fields[] = {
	{ "state_dir", f_state_dir, NULL },
	{ "bpffs_dir", f_bpffs_dir, NULL },
	{ "audience", f_audience,
	  "audience: livegrant://NODE (the \"aud\" every token for this host must carry)" },
	{ "mode", f_mode, NULL },
	{ "refresh_interval", f_refresh_interval, NULL },
	{ "token_leeway", f_token_leeway, NULL },
	{ "max_token_bytes", f_max_token_bytes, NULL },
	/* Required unless kubernetes: selects agent pods (parse_document). */
	{ "agent_cgroups", f_agent_cgroups, NULL },
	{ "baseline", f_baseline, NULL },
	{ "domains", f_domains,
	  "domains: with at least one trust domain, e.g. qa: {trust_bundle: /etc/livegrant/qa.jwks, max_ttl: 1h}" },
	{ "metrics_listen", f_metrics_listen, NULL },
	{ "denial_log_max_bytes", f_denial_log_max_bytes, NULL },
	{ "denial_log_keep", f_denial_log_keep, NULL },
	{ "kubernetes", f_kubernetes, NULL },
};

/* walk_mapping() tracks the keys it has seen in an array of this size. */
_Static_assert(sizeof(top_fields) / sizeof(top_fields[0]) <= CFG_FIELDS_MAX,
	       "CFG_FIELDS_MAX is smaller than the largest field table");
_Static_assert(sizeof(rules_fields) / sizeof(rules_fields[0]) <= CFG_FIELDS_MAX,
	       "CFG_FIELDS_MAX is smaller than the number of rule kinds");

/* ---- loading -------------------------------------------------------------- */

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, err = 0;

	*buf = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		return lg_err(err, "%s: cannot open the configuration: %s%s", path, strerror(-err),
			      err == -ENOENT ? "; pass an existing file with --config FILE" : "");
	}
	if (fstat(fd, &st)) {
		err = lg_err(-errno, "%s: cannot stat: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		err = lg_err(-EINVAL, "%s: not a regular file; pass the configuration file", path);
	} else if (st.st_size > CFG_FILE_MAX) {
		err = lg_err(-EFBIG, "%s: %lld bytes, more than %d: not a configuration file", path,
			     (long long)st.st_size, CFG_FILE_MAX);
	} else {
		*buf = malloc(st.st_size + 1);
		if (!*buf)
			err = lg_err(-ENOMEM, "%s: out of memory reading the configuration", path);
	}
	while (!err && got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = lg_err(r ? -errno : -EIO, "%s: cannot read: %s", path,
				     r ? strerror(errno) : "file shrank while being read");
			break;
		}
		got += r;
	}
	close(fd);
	if (err) {
		free(*buf);
		*buf = NULL;
		return err;
	}
	*len = got;
	return 0;
}

static int set_default(const struct cfg *x, char **field, const char *value)
{
	if (*field)
		return 0;
	*field = strdup(value);
	return *field ? 0 : cfg_oom(x);
}

static int parse_document(struct cfg *x)
{
	yaml_parser_t p;
	yaml_document_t doc;
	const yaml_node_t *root;
	int err;

	if (!yaml_parser_initialize(&p))
		return cfg_oom(x);
	yaml_parser_set_input_string(&p, x->buf, x->len);
	if (!yaml_parser_load(&p, &doc)) {
		err = yaml_error(x, &p);
		yaml_parser_delete(&p);
		return err;
	}
	x->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		err = cfg_err(x, 1, TOP, "the file holds no configuration; see docs/config.md");
	else
		err = expect_mapping(x, root, TOP,
				     "a mapping of keys such as audience: and domains:");
	if (!err)
		err = walk_mapping(x, root, "", node_line(root), top_fields,
				   sizeof(top_fields) / sizeof(top_fields[0]), x->c);
	/* With no root and no agent pods nothing would be enforced. */
	if (!err && !x->c->agent_cgroups.n && !x->c->kube.enabled)
		err = cfg_err(
			x, node_line(root), "agent_cgroups",
			"is missing; add agent_cgroups: [/sys/fs/cgroup/agents] (every process in or below these is an agent), or a kubernetes: section selecting agent pods");
	x->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return err;
}

int lg_config_parse(const char *name, const char *buf, size_t len, struct lg_config **out)
{
	struct cfg x = { .file = name, .buf = (const unsigned char *)buf, .len = len };
	struct lg_config *c;
	int err;

	*out = NULL;
	if (!name || !buf)
		return lg_err(-EINVAL, "no configuration given");
	/* The same limit as a file's, so that both ways in accept the same documents. */
	if (len > CFG_FILE_MAX)
		return lg_err(-EFBIG, "%s: %zu bytes, more than %d: not a configuration file", name,
			      len, CFG_FILE_MAX);
	c = calloc(1, sizeof(*c));
	x.c = c;
	if (!c || !(c->path = strdup(name))) {
		err = cfg_oom(&x);
		goto out;
	}
	c->mode = LG_MODE_ENFORCE;
	c->refresh_interval_s = DEFAULT_REFRESH_S;
	c->token_leeway_s = DEFAULT_LEEWAY_S;
	c->max_token_bytes = LG_TOKEN_MAX_BYTES;
	c->denial_log_max_bytes = DEFAULT_DENIAL_LOG_BYTES;
	c->denial_log_keep = DEFAULT_DENIAL_LOG_KEEP;
	err = scan_file(&x);
	if (!err)
		err = parse_document(&x);
	if (!err)
		err = set_default(&x, &c->state_dir, DEFAULT_STATE_DIR);
	if (!err)
		err = set_default(&x, &c->bpffs_dir, DEFAULT_BPFFS_DIR);
out:
	free(x.nets);
	if (err) {
		lg_config_free(c);
		return err;
	}
	*out = c;
	return 0;
}

int lg_config_load(const char *path, struct lg_config **out)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	if (!path || !*path)
		return lg_err(-EINVAL, "no configuration file given; pass --config FILE");
	err = read_file(path, &buf, &len);
	if (err)
		return err;
	err = lg_config_parse(path, (const char *)buf, len, out);
	free(buf);
	return err;
}

static void rules_free(struct lg_rules_config *r)
{
	for (unsigned int k = 0; k < LG_RULE_KIND_MAX; k++)
		strv_free(&r->rules[k]);
}

void lg_config_free(struct lg_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_domains; i++) {
		struct lg_domain_config *d = &c->domains[i];

		free(d->name);
		free(d->trust_bundle);
		free(d->fetch.ca_file);
		strv_free(&d->networks);
		strv_free(&d->require_claims);
		rules_free(&d->ceiling);
	}
	free(c->domains);
	free(c->path);
	free(c->state_dir);
	free(c->bpffs_dir);
	free(c->audience);
	strv_free(&c->agent_cgroups);
	free(c->kube.kubelet_url);
	free(c->kube.ca_file);
	free(c->kube.token_file);
	strv_free(&c->kube.namespaces);
	strv_free(&c->kube.label_keys);
	strv_free(&c->kube.label_values);
	rules_free(&c->kube.bootstrap);
	rules_free(&c->baseline);
	free(c->metrics_listen);
	free(c);
}

const struct lg_domain_config *lg_config_domain(const struct lg_config *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_domains; i++)
		if (!strcmp(c->domains[i].name, name))
			return &c->domains[i];
	return NULL;
}

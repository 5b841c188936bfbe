// SPDX-License-Identifier: GPL-2.0
/*
 * test_metrics.c - livegrantd's Prometheus endpoint
 * (userspace/livegrantd/metrics.c).
 *
 * The endpoint is started on 127.0.0.1 with a port the kernel picks and
 * scraped over real TCP connections made by the test itself. Everything
 * runs on one thread, as in livegrantd: the test polls the endpoint's
 * epoll fd and its own socket and calls lgd_metrics_run() in between. The
 * text that comes back is parsed (HELP/TYPE before samples, label
 * escapes) and its values compared with the updates made.
 */

/*
 * metrics.c is included, not linked: the Makefile builds each
 * tests/unit/test_NAME.c against the livegrant libraries only, and metrics.c is
 * part of livegrantd, not of the library. Including it also gives the
 * test its static helpers (parse_listen, put_label_value). The connection
 * timeout is shortened first so that the idle-connection test takes a
 * second, not five.
 */
#define LGD_METRICS_TIMEOUT_S 1
#include "../../userspace/livegrantd/metrics.c"

#include <poll.h>
#include <strings.h>

#include "check.h"
#include "token.h"

#define WEIRD_DOMAIN "we\"ird\\dom\nain"
#define DEADLINE_MS 5000

/* ---- a one-thread HTTP client ------------------------------------------ */

static int64_t now_ms(void)
{
	return (int64_t)(lg_monotonic_ns() / 1000000);
}

/* Wait up to @ms for the endpoint or @fd, then let the endpoint work. */
static void pump(struct lgd_metrics *m, int fd, int ms)
{
	struct pollfd p[2] = { { .fd = m->epoll_fd, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };

	poll(p, fd >= 0 ? 2 : 1, ms);
	lgd_metrics_run(m);
}

static int tcp_connect(int family, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET6 ? sizeof(*in6) : sizeof(*in4);
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = in6addr_loopback;
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	/* Loopback completes the handshake from the backlog: no accept needed. */
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send all of @req while keeping the endpoint running. */
static int send_all(struct lgd_metrics *m, int fd, const char *req, size_t len)
{
	int64_t end = now_ms() + DEADLINE_MS;

	while (len && now_ms() < end) {
		ssize_t n = send(fd, req, len, MSG_NOSIGNAL);

		if (n > 0) {
			req += n;
			len -= n;
		} else if (n < 0 && errno != EAGAIN && errno != ENOTCONN) {
			return -1; /* the server closed on us: a valid outcome for some tests */
		} else {
			pump(m, -1, 10);
		}
	}
	return len ? -1 : 0;
}

/* Read until the server closes (or resets) the connection. */
static int recv_all(struct lgd_metrics *m, int fd, char *buf, size_t size, size_t *len)
{
	int64_t end = now_ms() + DEADLINE_MS;

	*len = 0;
	while (now_ms() < end) {
		ssize_t n = recv(fd, buf + *len, size - 1 - *len, 0);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n > 0) {
			*len += n;
			if (*len == size - 1)
				break;
			continue;
		}
		if (errno != EAGAIN)
			return -1;
		pump(m, fd, 10);
	}
	buf[*len] = 0;
	return now_ms() < end ? 0 : -ETIMEDOUT;
}

struct reply {
	int status; /* 0: no status line came back */
	char raw[256 * 1024];
	size_t len;
	const char *body;
};

/* One request on a fresh connection; @req must ask the server to close. */
static int exchange(struct lgd_metrics *m, int family, const char *req, struct reply *r)
{
	int fd = tcp_connect(family, lgd_metrics_port(m)), err;
	char *end;

	memset(r, 0, sizeof(*r) - sizeof(r->raw));
	if (fd < 0)
		return -1;
	send_all(m, fd, req, strlen(req));
	err = recv_all(m, fd, r->raw, sizeof(r->raw), &r->len);
	close(fd);
	if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
		r->status = 0;
	end = strstr(r->raw, "\r\n\r\n");
	r->body = end ? end + 4 : "";
	return err;
}

static int get(struct lgd_metrics *m, const char *method, const char *path, struct reply *r)
{
	char req[256];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
		 method, path);
	return exchange(m, AF_INET, req, r);
}

/* The value of header @name (case-insensitive), up to the line end. */
static bool header(const struct reply *r, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	for (const char *p = strstr(r->raw, "\r\n"); p && p + 2 < r->body;
	     p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (!strncasecmp(line, name, n) && line[n] == ':' && eol) {
			line += n + 1;
			while (*line == ' ')
				line++;
			snprintf(out, size, "%.*s", (int)(eol - line), line);
			return true;
		}
	}
	return false;
}

/* ---- an exposition parser ---------------------------------------------- */

#define MAX_LABELS 4
#define MAX_SAMPLES 512
#define MAX_FAMILIES 32

struct sample {
	char name[64];
	int nlabels;
	char key[MAX_LABELS][32];
	char val[MAX_LABELS][128];
	double value;
};

struct family {
	char name[64];
	char type[16];
	bool help;
};

struct expo {
	struct sample s[MAX_SAMPLES];
	int n;
	struct family f[MAX_FAMILIES];
	int nf;
	int errors; /* lines that break the format; each also printed */
};

static void bad_line(struct expo *e, const char *why, const char *line, size_t len)
{
	e->errors++;
	printf("    bad exposition line (%s): %.*s\n", why, (int)len, line);
}

static struct family *family(struct expo *e, const char *name, size_t len)
{
	for (int i = 0; i < e->nf; i++)
		if (strlen(e->f[i].name) == len && !strncmp(e->f[i].name, name, len))
			return &e->f[i];
	return NULL;
}

/* "# HELP name text" or "# TYPE name type": declare before any sample. */
static void parse_comment(struct expo *e, const char *line, size_t len)
{
	bool help = !strncmp(line, "# HELP ", 7), type = !strncmp(line, "# TYPE ", 7);
	const char *name = line + 7, *sp = memchr(name, ' ', len - 7);
	struct family *f;

	if ((!help && !type) || !sp)
		return; /* other comments are allowed and ignored */
	f = family(e, name, sp - name);
	if (!f && e->nf < MAX_FAMILIES) {
		f = &e->f[e->nf++];
		snprintf(f->name, sizeof(f->name), "%.*s", (int)(sp - name), name);
	}
	if (!f)
		return bad_line(e, "too many families", line, len);
	if (help) {
		if (f->help)
			return bad_line(e, "second HELP", line, len);
		f->help = true;
	} else {
		if (f->type[0])
			return bad_line(e, "second TYPE", line, len);
		snprintf(f->type, sizeof(f->type), "%.*s", (int)(line + len - sp - 1), sp + 1);
	}
}

/* One label value after its opening quote; *p ends after the closing one. */
static bool parse_value(const char **p, const char *end, char *out, size_t size)
{
	size_t n = 0;

	for (const char *c = *p; c < end; c++) {
		char ch = *c;

		if (ch == '"') {
			out[n] = 0;
			*p = c + 1;
			return true;
		}
		if (ch == '\\') {
			if (++c == end)
				return false;
			ch = *c == 'n' ? '\n' : *c;
			if (*c != 'n' && *c != '\\' && *c != '"')
				return false;
		}
		if (n + 1 >= size)
			return false;
		out[n++] = ch;
	}
	return false;
}

static bool parse_labels(const char **p, const char *end, struct sample *s)
{
	const char *c = *p;

	while (c < end && *c != '}') {
		const char *eq = memchr(c, '=', end - c);

		if (!eq || eq + 1 >= end || eq[1] != '"' || s->nlabels == MAX_LABELS)
			return false;
		snprintf(s->key[s->nlabels], sizeof(s->key[0]), "%.*s", (int)(eq - c), c);
		c = eq + 2;
		if (!parse_value(&c, end, s->val[s->nlabels], sizeof(s->val[0])))
			return false;
		s->nlabels++;
		if (c < end && *c == ',')
			c++;
	}
	if (c == end)
		return false;
	*p = c + 1;
	return true;
}

/* The family a sample belongs to: its name, or a histogram's base name. */
static struct family *sample_family(struct expo *e, const char *name)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t len = strlen(name);
	struct family *f = family(e, name, len);

	for (size_t i = 0; !f && i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && !strcmp(name + len - sl, suffixes[i])) {
			f = family(e, name, len - sl);
			if (f && strcmp(f->type, "histogram"))
				f = NULL;
		}
	}
	return f;
}

static void parse_sample(struct expo *e, const char *line, size_t len)
{
	const char *end = line + len, *c = line;
	struct sample *s;
	struct family *f;
	char *vend;

	if (e->n == MAX_SAMPLES)
		return bad_line(e, "too many samples", line, len);
	s = &e->s[e->n];
	memset(s, 0, sizeof(*s));
	while (c < end && *c != '{' && *c != ' ')
		c++;
	snprintf(s->name, sizeof(s->name), "%.*s", (int)(c - line), line);
	if (c < end && *c == '{') {
		c++;
		if (!parse_labels(&c, end, s))
			return bad_line(e, "labels", line, len);
	}
	if (c >= end || *c != ' ')
		return bad_line(e, "no value", line, len);
	s->value = strtod(c + 1, &vend);
	if (vend != end)
		return bad_line(e, "value", line, len);
	f = sample_family(e, s->name);
	if (!f || !f->help || !f->type[0])
		return bad_line(e, "no HELP and TYPE before it", line, len);
	e->n++;
}

static void parse_expo(struct expo *e, const char *text)
{
	memset(e, 0, sizeof(*e));
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (!nl)
			bad_line(e, "no final newline", text, len);
		else if (len && text[0] == '#')
			parse_comment(e, text, len);
		else if (len)
			parse_sample(e, text, len);
		text += len + (nl ? 1 : 0);
	}
}

/*
 * The value of the sample @name whose labels are exactly the NULL-ended
 * key/value pairs that follow (unescaped); -1 if there is none.
 */
static double value(const struct expo *e, const char *name, ...)
{
	for (int i = 0; i < e->n; i++) {
		const struct sample *s = &e->s[i];
		const char *k;
		va_list ap;
		int n = 0;
		bool same = !strcmp(s->name, name);

		va_start(ap, name);
		while (same && (k = va_arg(ap, const char *))) {
			const char *v = va_arg(ap, const char *);

			same = n < s->nlabels && !strcmp(s->key[n], k) && !strcmp(s->val[n], v);
			n++;
		}
		va_end(ap);
		if (same && n == s->nlabels)
			return s->value;
	}
	return -1;
}

/* value() with its NULL end (typed, so the variadic call is well defined). */
#define VALUE(e, ...) value(e, __VA_ARGS__, (const char *)NULL)

static const char *type_of(struct expo *e, const char *name)
{
	struct family *f = family(e, name, strlen(name));

	return f && f->help ? f->type : "(undeclared)";
}

/* ---- fixtures ---------------------------------------------------------- */

static struct lg_domain_config domains[] = {
	{ .name = "qa", .id = 1 },
	{ .name = WEIRD_DOMAIN, .id = 2 },
};
static struct lg_config cfg = { .domains = domains, .n_domains = 2 };
static uint64_t kernel_ctr[LG_COUNTERS];
static int collects;

/* What livegrantd's collect callback does: gauges and kernel counters. */
static void collect(struct lgd_metrics *m, void *ctx)
{
	(void)ctx;
	collects++;
	lgd_metrics_agents_reset(m);
	lgd_metrics_agent_add(m, "active");
	lgd_metrics_agent_add(m, "active");
	lgd_metrics_agent_add(m, "reauth_required");
	lgd_metrics_agent_add(m, "no such state");
	lgd_metrics_kernel_counters(m, kernel_ctr);
}

static bool start(struct lgd_metrics *m, const char *listen_addr)
{
	int epfd = -1, err;

	if (lgd_metrics_init(m, &cfg, collect, NULL))
		return false;
	err = lgd_metrics_open(m, listen_addr, &epfd);
	if (err)
		printf("    open %s: %d: %s\n", listen_addr, err, lg_errmsg());
	return !err && epfd >= 0 && epfd == m->epoll_fd && lgd_metrics_port(m);
}

static void event(struct lgd_metrics *m, unsigned int hook, unsigned int reason,
		  unsigned int domain, unsigned int action, int times)
{
	struct lg_event ev = { .hook = hook, .reason = reason, .domain = domain, .action = action };

	while (times--)
		lgd_metrics_event(m, &ev);
}

/* ---- tests ------------------------------------------------------------- */

static void test_parse_listen(void)
{
	static const char *const good[] = { "127.0.0.1:9464", "0.0.0.0:1",  "[::1]:9464",
					    "[::]:65535",     "10.1.2.3:0", "[fd00::1]:80" };
	static const char *const bad[] = {
		"localhost:9464",  "127.0.0.1",	 "[::1]",	  "::1:9464",
		"127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:80x", "127.0.0.1:-1",
		"127.0.0.1:+80",   ":80",	 "[::1:80",	  "[1.2.3.4]:80",
		"1.2.3:80",	   "",		 "[]:80",
	};
	struct sockaddr_storage ss;
	socklen_t len;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CHECK(!parse_listen(good[i], &ss, &len), "%s should parse", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(parse_listen(bad[i], &ss, &len) == -EINVAL, "%s should be refused", bad[i]);
	CHECK(!parse_listen("[::1]:9464", &ss, &len) && ss.ss_family == AF_INET6 &&
		      ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 9464,
	      "IPv6 address and port");
}

static void test_escape(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	put_label_value(f, "a\\b\"c\nd");
	fclose(f);
	CHECK(buf != NULL, "memstream");
	if (buf)
		CHECK(!strcmp(buf, "a\\\\b\\\"c\\nd"), "escaped: %s", buf);
	free(buf);
}

/* Metrics off: livegrantd calls the updates anyway; they must do nothing. */
static void test_off(void)
{
	struct lgd_metrics m = { 0 };
	struct lg_event ev = { .hook = 1 };

	lgd_metrics_event(&m, &ev);
	lgd_metrics_token_result(&m, "accepted");
	lgd_metrics_agents_reset(&m);
	lgd_metrics_agent_add(&m, "active");
	lgd_metrics_kernel_counters(&m, kernel_ctr);
	lgd_metrics_refresh_start(&m);
	lgd_metrics_refresh_done(&m);
	lgd_metrics_run(&m);
	CHECK(!m.tokens[0] && !m.agents[0] && !m.refresh_count, "no value changed");
	CHECK(lgd_metrics_port(&m) == 0, "not open");
	CHECK(lgd_metrics_open(&m, "127.0.0.1:0", &(int){ 0 }) == -EINVAL, "open before init");
	lgd_metrics_close(&m);
	CHECK(m.epoll_fd == -1, "closed twice is fine");
}

/* Every reason the token library can give has its own series. */
static void test_token_results_cover_library(void)
{
	struct lgd_metrics m;
	size_t other = ARRAY_SIZE(token_results) - 1;

	CHECK(!lgd_metrics_init(&m, &cfg, NULL, NULL), "init");
	for (const char *const *r = lg_token_reasons(); *r; r++) {
		lgd_metrics_token_result(&m, *r);
		CHECK(!m.tokens[other], "token reason %s is missing from token_results", *r);
		m.tokens[other] = 0;
	}
	lgd_metrics_token_result(&m, "made_up");
	lgd_metrics_token_result(&m, NULL);
	CHECK(m.tokens[other] == 2, "unknown results count as other");
	lgd_metrics_close(&m);
}

static void check_families(struct expo *e)
{
	CHECK(!e->errors, "%d lines break the text format", e->errors);
	CHECK(!strcmp(type_of(e, "livegrant_denials_total"), "counter"), "denials TYPE");
	CHECK(!strcmp(type_of(e, "livegrant_agents"), "gauge"), "agents TYPE");
	CHECK(!strcmp(type_of(e, "livegrant_token_verifications_total"), "counter"), "tokens TYPE");
	CHECK(!strcmp(type_of(e, "livegrant_kernel_decisions_total"), "counter"), "kernel TYPE");
	CHECK(!strcmp(type_of(e, "livegrant_events_lost_total"), "counter"), "lost TYPE");
	CHECK(!strcmp(type_of(e, "livegrant_events_suppressed_total"), "counter"),
	      "suppressed TYPE");
	CHECK(!strcmp(type_of(e, "livegrant_refresh_seconds"), "histogram"), "refresh TYPE");
}

static void check_denials(struct expo *e, const char *body)
{
	const char *n = "livegrant_denials_total";

	CHECK(VALUE(e, n, "hook", "file_open", "reason", "not_allowed", "domain", "qa", "action",
		    "denied") == 3,
	      "file_open not_allowed qa");
	CHECK(VALUE(e, n, "hook", "connect", "reason", "domain_crossing", "domain", WEIRD_DOMAIN,
		    "action", "audited") == 1,
	      "escaped domain parses back to its name");
	CHECK(strstr(body, "domain=\"we\\\"ird\\\\dom\\nain\""),
	      "escaped domain label on the wire");
	CHECK(VALUE(e, n, "hook", "exec", "reason", "no_grant", "domain", "", "action", "denied") ==
		      2,
	      "no domain is an empty label");
	CHECK(VALUE(e, n, "hook", "unknown", "reason", "unknown", "domain", UNKNOWN_DOMAIN,
		    "action", "denied") == 1,
	      "out-of-range values fold into unknown");
	CHECK(VALUE(e, n, "hook", "exec", "reason", "no_grant", "domain", "qa", "action",
		    "denied") == -1,
	      "combinations that never happened are not listed");
}

static void check_values(struct expo *e)
{
	const char *k = "livegrant_kernel_decisions_total", *h = "livegrant_refresh_seconds_bucket";

	CHECK(VALUE(e, "livegrant_agents", "state", "active") == 2, "active agents");
	CHECK(VALUE(e, "livegrant_agents", "state", "reauth_required") == 1, "reauth");
	CHECK(VALUE(e, "livegrant_agents", "state", "other") == 1, "unknown state");
	CHECK(VALUE(e, "livegrant_agents", "state", "revoked") == 0, "zero states listed");
	CHECK(VALUE(e, "livegrant_token_verifications_total", "result", "accepted") == 2,
	      "accepted");
	CHECK(VALUE(e, "livegrant_token_verifications_total", "result", "bad_signature") == 1,
	      "bad_signature");
	CHECK(VALUE(e, "livegrant_token_verifications_total", "result", "other") == 1, "other");
	CHECK(VALUE(e, k, "hook", "file_open", "decision", "allowed") == 1000, "allowed");
	CHECK(VALUE(e, k, "hook", "connect", "decision", "denied") == 7, "denied");
	CHECK(VALUE(e, k, "hook", "exec", "decision", "audited") == 5, "audited");
	CHECK(VALUE(e, "livegrant_events_lost_total") == 11, "events lost summed over hooks");
	CHECK(VALUE(e, "livegrant_events_suppressed_total") == 2 + 3000,
	      "events suppressed summed over hooks");
	CHECK(VALUE(e, "livegrant_kernel_cached_decisions_total", "hook", "file_open") == 900,
	      "cached decisions of file_open");
	CHECK(VALUE(e, h, "le", "0.001") == 1, "first bucket");
	CHECK(VALUE(e, h, "le", "0.005") == 2, "buckets are cumulative");
	CHECK(VALUE(e, h, "le", "10") == 2, "last finite bucket");
	CHECK(VALUE(e, h, "le", "+Inf") == 3, "+Inf holds every pass");
	CHECK(VALUE(e, "livegrant_refresh_seconds_count") == 3, "count");
	CHECK(VALUE(e, "livegrant_refresh_seconds_sum") > 20.003 &&
		      VALUE(e, "livegrant_refresh_seconds_sum") < 20.004,
	      "sum");
}

static void update(struct lgd_metrics *m)
{
	event(m, LG_HOOK_FILE_OPEN, LG_REASON_NOT_ALLOWED, 1, LG_ACTION_DENIED, 3);
	event(m, LG_HOOK_CONNECT, LG_REASON_DOMAIN_CROSSING, 2, LG_ACTION_AUDITED, 1);
	event(m, LG_HOOK_EXEC, LG_REASON_NO_GRANT, 0, LG_ACTION_DENIED, 2);
	event(m, 200, 200, 9, LG_ACTION_DENIED, 1);
	lgd_metrics_token_result(m, "accepted");
	lgd_metrics_token_result(m, "accepted");
	lgd_metrics_token_result(m, "bad_signature");
	lgd_metrics_token_result(m, "not a reason");
	lgd_metrics_observe_refresh(m, 0.0005);
	lgd_metrics_observe_refresh(m, 0.003);
	lgd_metrics_observe_refresh(m, 20);
	kernel_ctr[LG_HOOK_FILE_OPEN * LG_CTR_MAX + LG_CTR_ALLOWED] = 1000;
	kernel_ctr[LG_HOOK_CONNECT * LG_CTR_MAX + LG_CTR_DENIED] = 7;
	kernel_ctr[LG_HOOK_EXEC * LG_CTR_MAX + LG_CTR_AUDITED] = 5;
	kernel_ctr[LG_HOOK_EXEC * LG_CTR_MAX + LG_CTR_EVENTS_LOST] = 4;
	kernel_ctr[LG_HOOK_SENDMSG * LG_CTR_MAX + LG_CTR_EVENTS_LOST] = 7;
	kernel_ctr[LG_HOOK_FILE_OPEN * LG_CTR_MAX + LG_CTR_CACHED] = 900;
	kernel_ctr[LG_HOOK_EXEC * LG_CTR_MAX + LG_CTR_EVENTS_SUPPRESSED] = 2;
	kernel_ctr[LG_HOOK_FILE_OPEN * LG_CTR_MAX + LG_CTR_EVENTS_SUPPRESSED] = 3000;
}

static struct reply reply;
static struct expo expo;

static void test_scrape(void)
{
	struct lgd_metrics m;
	char ctype[128] = "";

	CHECK(start(&m, "127.0.0.1:0"), "endpoint starts");
	update(&m);
	collects = 0;
	CHECK(!get(&m, "GET", "/metrics", &reply), "scrape completes");
	CHECK(reply.status == 200, "status %d", reply.status);
	CHECK(header(&reply, "Content-Type", ctype, sizeof(ctype)) &&
		      !strncmp(ctype, "text/plain; version=0.0.4", 25),
	      "content type %s", ctype);
	CHECK(collects == 1, "collect ran once per scrape (%d)", collects);
	parse_expo(&expo, reply.body);
	check_families(&expo);
	check_denials(&expo, reply.body);
	check_values(&expo);
	/* A query string is not part of the path. */
	CHECK(!get(&m, "GET", "/metrics?x=1", &reply) && reply.status == 200, "query string");
	lgd_metrics_close(&m);
}

static void test_http_errors(void)
{
	struct lgd_metrics m;
	char allow[64] = "";

	CHECK(start(&m, "127.0.0.1:0"), "endpoint starts");
	CHECK(!get(&m, "GET", "/", &reply) && reply.status == 404, "/ is 404 (%d)", reply.status);
	CHECK(!get(&m, "GET", "/metrics/x", &reply) && reply.status == 404, "/metrics/x is 404");
	CHECK(!get(&m, "POST", "/metrics", &reply) && reply.status == 405, "POST is 405 (%d)",
	      reply.status);
	CHECK(header(&reply, "Allow", allow, sizeof(allow)) && !strcmp(allow, "GET, HEAD"),
	      "Allow: %s", allow);
	CHECK(!get(&m, "DELETE", "/metrics", &reply) && reply.status == 405, "DELETE is 405");
	CHECK(!get(&m, "POST", "/nope", &reply) && reply.status == 404, "unknown path first");
	CHECK(!get(&m, "HEAD", "/metrics", &reply) && reply.status == 200 && !*reply.body,
	      "HEAD is GET without a body");
	lgd_metrics_close(&m);
}

/* A scraper cannot hold livegrantd: oversized, idle and surplus connections. */
static void test_bounds(void)
{
	static char big[LGD_METRICS_MEMORY_LIMIT * 2 + 128];
	int idle[LGD_METRICS_MAX_PER_IP], fd;
	struct lgd_metrics m;
	size_t len;
	int64_t t0;

	CHECK(start(&m, "127.0.0.1:0"), "endpoint starts");
	len = snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(big + len, 'a', sizeof(big) - len - 8);
	strcpy(big + sizeof(big) - 8, "\r\n\r\n");
	CHECK(!exchange(&m, AF_INET, big, &reply) && reply.status != 200,
	      "oversized request refused (%d)", reply.status);

	/* Idle connections up to the per-address limit ... */
	for (size_t i = 0; i < ARRAY_SIZE(idle); i++)
		idle[i] = tcp_connect(AF_INET, lgd_metrics_port(&m));
	pump(&m, -1, 50);
	/* ... do not keep the single thread from answering, until the limit. */
	fd = tcp_connect(AF_INET, lgd_metrics_port(&m));
	CHECK(!recv_all(&m, fd, reply.raw, sizeof(reply.raw), &len) && !len,
	      "a connection beyond the per-address limit is closed");
	close(fd);
	/* The idle ones are dropped after the timeout, while others are served. */
	t0 = now_ms();
	CHECK(!recv_all(&m, idle[0], reply.raw, sizeof(reply.raw), &len) && !len,
	      "idle connection closed by the server");
	CHECK(now_ms() - t0 < (LGD_METRICS_TIMEOUT_S + 2) * 1000, "within the timeout (%lld ms)",
	      (long long)(now_ms() - t0));
	for (size_t i = 0; i < ARRAY_SIZE(idle); i++)
		close(idle[i]);
	CHECK(!get(&m, "GET", "/metrics", &reply) && reply.status == 200, "served afterwards");
	lgd_metrics_close(&m);
}

static void test_ipv6_and_bind_errors(void)
{
	struct lgd_metrics m, other;
	char listen_addr[64];
	int epfd, err;

	CHECK(start(&m, "127.0.0.1:0"), "endpoint starts");
	/* The same address twice: the errno and the config field come back. */
	snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%u", lgd_metrics_port(&m));
	CHECK(!lgd_metrics_init(&other, &cfg, NULL, NULL), "init");
	err = lgd_metrics_open(&other, listen_addr, &epfd);
	CHECK(err == -EADDRINUSE && strstr(lg_errmsg(), "metrics_listen"), "in use: %d %s", err,
	      lg_errmsg());
	CHECK(lgd_metrics_open(&other, "localhost:9464", &epfd) == -EINVAL, "host name refused");
	lgd_metrics_close(&other);
	lgd_metrics_close(&m);

	if (!start(&m, "[::1]:0")) {
		printf("    (no IPv6 loopback here: IPv6 scrape not tried)\n");
		lgd_metrics_close(&m);
		return;
	}
	CHECK(!exchange(&m, AF_INET6, "GET /metrics HTTP/1.0\r\n\r\n", &reply) &&
		      reply.status == 200,
	      "IPv6 scrape (%d)", reply.status);
	/* Bound to [::1] only: IPv4 loopback on the same port finds nobody. */
	epfd = tcp_connect(AF_INET, lgd_metrics_port(&m));
	CHECK(epfd >= 0 && recv_all(&m, epfd, reply.raw, sizeof(reply.raw), &(size_t){ 0 }) < 0 &&
		      errno == ECONNREFUSED,
	      "IPv6 address binds IPv6 only");
	if (epfd >= 0)
		close(epfd);
	lgd_metrics_close(&m);
}

int main(void)
{
	RUN(test_parse_listen);
	RUN(test_escape);
	RUN(test_off);
	RUN(test_token_results_cover_library);
	RUN(test_scrape);
	RUN(test_http_errors);
	RUN(test_bounds);
	RUN(test_ipv6_and_bind_errors);
	return check_summary("metrics");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * lg-https-stub - a stand-in HTTPS server for the tests of livegrantd's
 * HTTPS clients: a kubelet's pod list (GET /pods: tests/unit/test_kubelet.c,
 * tests/kernel/kubelet.sh) and an issuer's JWKS (GET /jwks:
 * tests/unit/test_bundle_fetch.c, tests/kernel/jwks.sh).
 *
 *   lg-https-stub --dir DIR [--port-file FILE]
 *
 * At start it makes a self-signed certificate for 127.0.0.1 and localhost
 * and writes it to DIR/ca.pem (the CA file a client trusts the stub with),
 * and an unrelated one to DIR/other-ca.pem (a CA file that must fail
 * verification). It listens on an ephemeral port of 127.0.0.1, writes the
 * port to FILE and prints "listening on 127.0.0.1:PORT". Each request
 * appends "METHOD URL AUTHORIZATION" ("-" for none) to DIR/requests.log.
 *
 * A test steers it with files in DIR, read again at every request:
 *   token      if present, a GET needs "Authorization: Bearer TOKEN"
 *   pods.json  what GET /pods answers with in modes ok and slow
 *   jwks.json  what GET /jwks answers with in modes ok and slow
 *   mode       ok (the default): 200 with the file
 *              garbage: 200 with a body that is not JSON
 *              notpodlist: 200 with a Status object, not a PodList
 *              500: 500 "internal error"
 *              slow: the file after 60 s, or as soon as mode changes
 *              huge: 200 with a body of 64 MiB
 *
 * It runs until SIGTERM or SIGINT, then exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PROG "lg-https-stub"
#define JSON "application/json"
#define TEXT "text/plain"

/* Past livegrantd's cap on a body (LGD_KUBELET_MAX_BODY, 32 MiB). */
#define HUGE_SPACES (64ULL << 20)
#define HUGE_BLOCK (64 << 10)
#define SLOW_STEP_MS 100
#define SLOW_MAX_MS 60000

/* A pod list cut off inside an object, then bytes no JSON parser takes. */
static const char garbage_body[] = "{\"kind\":\"PodList\",\"items\":[{\"metadata\":"
				   "\x00\xff\xfe\x80\x01\x1b[0m\xc3\x28\x7f";
static const char status_body[] = "{\"kind\":\"Status\",\"status\":\"Failure\"}";
static const char huge_head[] = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[";

static const char *state_dir;
/* Set before the daemon stops, so that slow and huge answers end quickly. */
static atomic_bool stopping;

struct blob {
	char *data; /* NUL-terminated, malloc'd */
	size_t len;
};

struct tls_pair {
	char *cert_pem;
	char *key_pem;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static bool state_path(const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", state_dir, name);

	return n > 0 && (size_t)n < size;
}

/* ---- files ---- */

static bool write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= n;
	}
	return true;
}

static bool write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok;

	if (fd < 0)
		return false;
	ok = write_all(fd, data, len);
	return close(fd) == 0 && ok;
}

static bool read_fd(int fd, struct blob *out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1), *grown;
	ssize_t n;

	while (buf) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = '\0';
			out->data = buf;
			out->len = len;
			return true;
		}
		len += n;
		if (len == cap) {
			cap *= 2;
			grown = realloc(buf, cap + 1);
			if (!grown)
				break;
			buf = grown;
		}
	}
	free(buf);
	return false;
}

/* Reads DIR/NAME whole; false with errno (ENOENT: no such file). */
static bool read_state(const char *name, struct blob *out)
{
	char path[PATH_MAX];
	bool ok;
	int fd, err;

	if (!state_path(name, path, sizeof(path))) {
		errno = ENAMETOOLONG;
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = read_fd(fd, out);
	err = errno;
	close(fd);
	errno = ok ? 0 : err ? err : ENOMEM;
	return ok;
}

/* The token and the mode: a test writes them with echo, newline and all. */
static bool read_trimmed(const char *name, struct blob *out)
{
	if (!read_state(name, out))
		return false;
	while (out->len && isspace((unsigned char)out->data[out->len - 1]))
		out->data[--out->len] = '\0';
	return true;
}

/* ---- certificates ---- */

static const char *ssl_error(void)
{
	const char *reason = ERR_reason_error_string(ERR_peek_last_error());

	return reason ? reason : "unknown error";
}

static char *bio_string(BIO *bio)
{
	char *data, *s;
	long len = BIO_get_mem_data(bio, &data);

	if (len < 0)
		return NULL;
	s = malloc(len + 1);
	if (s) {
		memcpy(s, data, len);
		s[len] = '\0';
	}
	return s;
}

static bool add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;

	/* Self-signed: x is its own issuer (authorityKeyIdentifier wants it). */
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return false;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* Random, so that no two certificates of one name share a serial number. */
static bool set_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	bool ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	raw[0] &= 0x7f; /* a serial number is positive */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok;
}

static bool set_name_and_validity(X509 *x)
{
	X509_NAME *name = X509_get_subject_name(x);

	/* An hour back: a clock a little behind still takes the certificate. */
	return X509_set_version(x, X509_VERSION_3) == 1 && set_serial(x) &&
	       X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	       X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400) &&
	       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					  (const unsigned char *)"localhost", -1, -1, 0) == 1 &&
	       X509_set_issuer_name(x, name) == 1;
}

/* One certificate is both the CA a client trusts and the server's own. */
static bool fill_cert(X509 *x, EVP_PKEY *key)
{
	return set_name_and_validity(x) && X509_set_pubkey(x, key) == 1 &&
	       add_ext(x, NID_basic_constraints, "critical,CA:TRUE") &&
	       add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") &&
	       add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
	       add_ext(x, NID_subject_key_identifier, "hash") &&
	       add_ext(x, NID_authority_key_identifier, "keyid:always") &&
	       X509_sign(x, key, EVP_sha256()) > 0;
}

static struct tls_pair make_pair(void)
{
	struct tls_pair pair = { NULL, NULL };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *cert_bio = BIO_new(BIO_s_mem());
	BIO *key_bio = BIO_new(BIO_s_mem());

	if (key && x && cert_bio && key_bio && fill_cert(x, key) &&
	    PEM_write_bio_X509(cert_bio, x) == 1 &&
	    PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
		pair.cert_pem = bio_string(cert_bio);
		pair.key_pem = bio_string(key_bio);
	}
	BIO_free(key_bio);
	BIO_free(cert_bio);
	X509_free(x);
	EVP_PKEY_free(key);
	if (!pair.cert_pem || !pair.key_pem)
		die("cannot make a certificate: %s", ssl_error());
	return pair;
}

static void write_pem(const char *name, const char *pem)
{
	char path[PATH_MAX];

	if (!state_path(name, path, sizeof(path)))
		die("%s/%s: path too long", state_dir, name);
	if (!write_file(path, pem, strlen(pem)))
		die("cannot write %s: %s", path, strerror(errno));
}

/* ---- answers ---- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     const void *body, size_t len, enum MHD_ResponseMemoryMode mem)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body, mem);
	if (!resp) {
		if (mem == MHD_RESPMEM_MUST_FREE)
			free((void *)body);
		return MHD_NO;
	}
	ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (ret == MHD_YES)
		ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	return reply(conn, status, TEXT, text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

/* The file that answers @url ("/pods": pods.json), or NULL: not found. */
static const char *file_of(const char *url)
{
	if (!strcmp(url, "/pods"))
		return "pods.json";
	if (!strcmp(url, "/jwks"))
		return "jwks.json";
	return NULL;
}

static enum MHD_Result serve_file(struct MHD_Connection *conn, const char *name)
{
	struct blob body;

	if (!read_state(name, &body))
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the file");
	return reply(conn, MHD_HTTP_OK, JSON, body.data, body.len, MHD_RESPMEM_MUST_FREE);
}

static ssize_t read_huge(void *cls, uint64_t pos, char *buf, size_t max)
{
	const uint64_t head = sizeof(huge_head) - 1;
	uint64_t left = head + HUGE_SPACES - pos;
	size_t n = left < max ? left : max;

	(void)cls;
	if (atomic_load(&stopping))
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos < head) {
		n = head - pos < max ? head - pos : max;
		memcpy(buf, huge_head + pos, n);
		return n;
	}
	if (!n)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, ' ', n);
	return n;
}

/*
 * Streamed, not held in memory. The size is given, so a client can refuse
 * on Content-Length alone, as well as one that counts what it reads.
 */
static enum MHD_Result serve_huge(struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(sizeof(huge_head) - 1 + HUGE_SPACES, HUGE_BLOCK,
						 read_huge, NULL, NULL);
	if (!resp)
		return MHD_NO;
	ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, JSON);
	if (ret == MHD_YES)
		ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool mode_is(const char *want)
{
	struct blob mode;
	bool same;

	if (!read_trimmed("mode", &mode))
		return false;
	same = strcmp(mode.data, want) == 0;
	free(mode.data);
	return same;
}

/*
 * In small steps, so that a test can end the wait by changing the mode,
 * and shutdown does not wait a minute for this connection's thread.
 */
static void wait_while_slow(void)
{
	const struct timespec step = { 0, SLOW_STEP_MS * 1000000L };
	int waited;

	for (waited = 0; waited < SLOW_MAX_MS; waited += SLOW_STEP_MS) {
		if (atomic_load(&stopping) || !mode_is("slow"))
			break;
		nanosleep(&step, NULL);
	}
}

static enum MHD_Result answer_mode(struct MHD_Connection *conn, const char *file, const char *mode)
{
	if (!strcmp(mode, "ok"))
		return serve_file(conn, file);
	if (!strcmp(mode, "garbage"))
		return reply(conn, MHD_HTTP_OK, JSON, garbage_body, sizeof(garbage_body) - 1,
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(mode, "notpodlist"))
		return reply(conn, MHD_HTTP_OK, JSON, status_body, sizeof(status_body) - 1,
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(mode, "500"))
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error");
	if (!strcmp(mode, "slow")) {
		wait_while_slow();
		return serve_file(conn, file);
	}
	if (!strcmp(mode, "huge"))
		return serve_huge(conn);
	return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "unknown mode");
}

/* 0 when the request may go on, else the status to answer with. */
static unsigned int check_token(struct MHD_Connection *conn)
{
	static const char prefix[] = "Bearer ";
	const char *auth;
	struct blob token;
	unsigned int status = 0;

	if (!read_trimmed("token", &token))
		return errno == ENOENT ? 0 : MHD_HTTP_INTERNAL_SERVER_ERROR;
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, prefix, sizeof(prefix) - 1) ||
	    strcmp(auth + sizeof(prefix) - 1, token.data))
		status = MHD_HTTP_UNAUTHORIZED;
	free(token.data);
	return status;
}

static enum MHD_Result answer(struct MHD_Connection *conn, const char *file)
{
	unsigned int status = check_token(conn);
	struct blob mode;
	enum MHD_Result ret;

	if (status == MHD_HTTP_UNAUTHORIZED)
		return reply_text(conn, status, "Unauthorized");
	if (status)
		return reply_text(conn, status, "cannot read token");
	if (!read_trimmed("mode", &mode)) {
		if (errno == ENOENT)
			return serve_file(conn, file);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read mode");
	}
	ret = answer_mode(conn, file, mode.data);
	free(mode.data);
	return ret;
}

/* One write() on O_APPEND: lines of concurrent requests never interleave. */
static void log_request(struct MHD_Connection *conn, const char *method, const char *url)
{
	const char *auth =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char path[PATH_MAX];
	char *line;
	int len, fd;

	len = asprintf(&line, "%s %s %s\n", method, url, auth ? auth : "-");
	if (len < 0)
		return;
	fd = -1;
	if (state_path("requests.log", path, sizeof(path)))
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, len) != len)
		fprintf(stderr, PROG ": cannot log a request: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(line);
}

/*
 * MHD calls this once when the headers are in, then once per piece of a
 * body, then once more with none: log at the first call, answer at the last.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static int seen;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (!*req_cls) {
		*req_cls = &seen;
		log_request(conn, method, url);
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* no request here has a body worth reading */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) || !file_of(url))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found");
	return answer(conn, file_of(url));
}

/* ---- start and stop ---- */

static void usage(void)
{
	die("usage: " PROG " --dir DIR [--port-file FILE]");
}

static const char *parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "port-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *port_file = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			state_dir = optarg;
		else if (c == 'p')
			port_file = optarg;
		else
			usage();
	}
	if (!state_dir || optind != argc)
		usage();
	return port_file;
}

/* Thread per connection: a slow answer on one holds up no other. */
static struct MHD_Daemon *start_daemon(const struct tls_pair *tls)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = 0, /* ephemeral: tests run side by side */
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	unsigned int flags = MHD_USE_TLS | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;

	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&addr, MHD_OPTION_HTTPS_MEM_KEY, tls->key_pem,
			     MHD_OPTION_HTTPS_MEM_CERT, tls->cert_pem, MHD_OPTION_END);
	if (!d)
		die("cannot start the HTTPS daemon on 127.0.0.1");
	return d;
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	if (!info || !info->port)
		die("cannot read the port the daemon bound");
	return info->port;
}

/* Through FILE.tmp and rename(): a reader never sees half a port number. */
static void write_port_file(const char *file, uint16_t port)
{
	char tmp[PATH_MAX], line[16];
	int tlen = snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	int len = snprintf(line, sizeof(line), "%u\n", port);

	if (tlen < 0 || (size_t)tlen >= sizeof(tmp))
		die("%s: path too long", file);
	if (!write_file(tmp, line, len))
		die("cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, file))
		die("cannot rename %s to %s: %s", tmp, file, strerror(errno));
}

int main(int argc, char **argv)
{
	const char *port_file = parse_args(argc, argv);
	struct tls_pair tls, other;
	struct MHD_Daemon *d;
	sigset_t sigs;
	uint16_t port;
	int sig;

	tls = make_pair();
	other = make_pair();
	write_pem("ca.pem", tls.cert_pem);
	write_pem("other-ca.pem", other.cert_pem);
	free(other.cert_pem);
	free(other.key_pem);

	/* Blocked before MHD's threads start, so they inherit it: sigwait() here
	 * is then the only taker. A client that hangs up must not kill us. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL))
		die("cannot block SIGTERM and SIGINT");
	signal(SIGPIPE, SIG_IGN);

	d = start_daemon(&tls);
	port = bound_port(d);
	if (port_file)
		write_port_file(port_file, port);
	printf("listening on 127.0.0.1:%u\n", port);
	fflush(stdout);

	while (sigwait(&sigs, &sig))
		;
	atomic_store(&stopping, true);
	MHD_stop_daemon(d);
	free(tls.cert_pem);
	free(tls.key_pem);
	return 0;
}

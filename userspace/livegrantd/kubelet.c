// SPDX-License-Identifier: GPL-2.0
/* kubelet.c - see kubelet.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <curl/curl.h>

#include "livegrant.h"
#include "https_get.h"
#include "kubelet.h"

struct lgd_kubelet {
	const struct lg_kube_config *cfg;
	char url[512]; /* .../pods */
	const char **ns, **keys, **values; /* the selector's arrays, from cfg */
	struct lgd_kube_selector sel;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, kicked; /* under lock; stop is also read by the transfer */
	struct lgd_kubelet_result *ready; /* under lock: the newest, not taken */
	int efd;
};

/* Replace one ${VAR} at @p (of length @len) in @url by the environment's value. */
static int expand_var(const char *var, char *out, size_t size, size_t *at)
{
	const char *v = getenv(var);
	size_t n = v ? strlen(v) : 0;

	/* A value that is not a plain host would change what the URL names. */
	if (!n || strpbrk(v, "/?#@ \t\r\n"))
		return lg_err(
			-EINVAL,
			"kubernetes.kubelet_url uses ${%s}, but %s is %s in livegrantd's environment; set it (the DaemonSet sets it from the downward API)",
			var, var, v ? "not a host name" : "not set");
	if (*at + n >= size)
		return lg_err(-ENAMETOOLONG, "kubernetes.kubelet_url is too long once expanded");
	memcpy(out + *at, v, n);
	*at += n;
	return 0;
}

int lgd_kubelet_url(const struct lg_kube_config *cfg, char *out, size_t size)
{
	static const char *const vars[] = { "NODE_NAME", "NODE_IP" };
	const char *s = cfg->kubelet_url;
	size_t at = 0;

	while (*s) {
		size_t i;
		int err;

		for (i = 0; i < 2; i++) {
			size_t l = strlen(vars[i]);

			if (s[0] == '$' && s[1] == '{' && !strncmp(s + 2, vars[i], l) &&
			    s[2 + l] == '}')
				break;
		}
		if (i < 2) {
			err = expand_var(vars[i], out, size, &at);
			if (err)
				return err;
			s += 3 + strlen(vars[i]);
			continue;
		}
		if (s[0] == '$' && s[1] == '{')
			return lg_err(
				-EINVAL,
				"kubernetes.kubelet_url %s: only ${NODE_NAME} and ${NODE_IP} are replaced",
				cfg->kubelet_url);
		if (at + 1 >= size)
			return lg_err(-ENAMETOOLONG, "kubernetes.kubelet_url is too long");
		out[at++] = *s++;
	}
	out[at] = 0;
	return 0;
}

/* ---- one request (on the client's thread) ------------------------------ */

/* The token, read at every request: projected tokens are rotated. */
static int read_token(const char *path, char *out, size_t size, char *why, size_t wsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0) {
		snprintf(why, wsize, "token_file %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0 || (size_t)n == size - 1) {
		snprintf(why, wsize, "token_file %s: %s", path,
			 n < 0 ? strerror(errno) : "larger than LGD_KUBELET_MAX_TOKEN");
		return -1;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		n--;
	out[n] = 0;
	/* A header line with a control character in it would be another header. */
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x21 || out[i] == 0x7f) {
			snprintf(why, wsize, "token_file %s holds no token", path);
			return -1;
		}
	if (!n) {
		snprintf(why, wsize, "token_file %s is empty", path);
		return -1;
	}
	return 0;
}

/* What a transport outcome is as a kubelet result. */
static enum lgd_kubelet_result_kind kind_of(enum lgd_https_kind kind)
{
	switch (kind) {
	case LGD_HTTPS_OK:
		return LGD_KUBELET_OK;
	case LGD_HTTPS_UNREACHABLE:
		return LGD_KUBELET_UNREACHABLE;
	case LGD_HTTPS_TIMEOUT:
		return LGD_KUBELET_TIMEOUT;
	case LGD_HTTPS_TLS:
		return LGD_KUBELET_TLS;
	case LGD_HTTPS_TOO_LARGE:
		return LGD_KUBELET_TOO_LARGE;
	default:
		return LGD_KUBELET_INTERNAL;
	}
}

/* GET /pods: the answer into @resp, or the failure into @r. */
static void get_pods(struct lgd_kubelet *k, struct lgd_https_resp *resp,
		     struct lgd_kubelet_result *r)
{
	char *token = malloc(LGD_KUBELET_MAX_TOKEN), *auth = NULL;
	const char *headers[] = { NULL, "Accept: application/json", NULL };
	struct lgd_https_req req = {
		.url = k->url,
		/* Trust ca_file and nothing else: the system's CAs do not vouch for a kubelet. */
		.ca_file = k->cfg->ca_file,
		.headers = headers,
		.timeout_s = (unsigned int)k->cfg->timeout_s,
		.max_body = LGD_KUBELET_MAX_BODY,
		/* The kubelet itself: no redirect elsewhere, no proxy. */
		.redirects = 0,
		.no_proxy = true,
		.stop = &k->stop,
	};

	memset(resp, 0, sizeof(*resp));
	r->kind = LGD_KUBELET_INTERNAL;
	snprintf(r->error, sizeof(r->error), "out of memory");
	if (!token)
		goto out;
	if (read_token(k->cfg->token_file, token, LGD_KUBELET_MAX_TOKEN, r->error,
		       sizeof(r->error))) {
		r->kind = LGD_KUBELET_TOKEN;
		goto out;
	}
	if (asprintf(&auth, "Authorization: Bearer %s", token) < 0) {
		auth = NULL;
		goto out;
	}
	headers[0] = auth;
	lgd_https_get(&req, resp);
	r->kind = kind_of(resp->kind);
	snprintf(r->error, sizeof(r->error), "%s", resp->error);
	if (r->kind != LGD_KUBELET_OK)
		goto out;
	if (resp->status == 401 || resp->status == 403) {
		r->kind = LGD_KUBELET_UNAUTHORIZED;
		snprintf(
			r->error, sizeof(r->error),
			"GET %.300s: HTTP %ld: the kubelet refused the token; grant get on nodes/proxy to livegrantd's service account (deploy/kubernetes/rbac.yaml)",
			k->url, resp->status);
	} else if (resp->status != 200) {
		r->kind = LGD_KUBELET_HTTP_STATUS;
		snprintf(r->error, sizeof(r->error), "GET %.300s: HTTP %ld", k->url, resp->status);
	}
out:
	if (token)
		explicit_bzero(token, LGD_KUBELET_MAX_TOKEN);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	free(token);
	free(auth);
}

static struct lgd_kubelet_result *request(struct lgd_kubelet *k)
{
	struct lgd_kubelet_result *r = calloc(1, sizeof(*r));
	struct lgd_https_resp b;

	if (!r)
		return NULL;
	get_pods(k, &b, r);
	if (r->kind == LGD_KUBELET_OK) {
		r->pods = calloc(LGD_KUBE_MAX_PODS, sizeof(*r->pods));
		if (!r->pods) {
			r->kind = LGD_KUBELET_INTERNAL;
			snprintf(r->error, sizeof(r->error), "out of memory for the pod list");
		} else if (lgd_kube_pods_parse(b.body ? b.body : "", b.len, &k->sel, k->cfg->driver,
					       r->pods, LGD_KUBE_MAX_PODS, &r->n)) {
			r->kind = LGD_KUBELET_BAD_RESPONSE;
			snprintf(r->error, sizeof(r->error), "GET %.300s: %s", k->url, lg_errmsg());
		} else if (r->n) {
			/* Room for LGD_KUBE_MAX_PODS was a bound, not a need. */
			struct lgd_kube_pod *t = realloc(r->pods, r->n * sizeof(*t));

			if (t)
				r->pods = t;
		}
		/* A refused list is no list: nothing of it reaches the event loop. */
		if (r->kind != LGD_KUBELET_OK) {
			free(r->pods);
			r->pods = NULL;
			r->n = 0;
		}
	}
	lgd_https_resp_free(&b);
	r->at_ns = lg_boottime_ns();
	return r;
}

/* ---- the thread ------------------------------------------------------------ */

static void publish(struct lgd_kubelet *k, struct lgd_kubelet_result *r)
{
	uint64_t one = 1;
	struct lgd_kubelet_result *old;

	pthread_mutex_lock(&k->lock);
	old = k->ready;
	k->ready = r;
	pthread_mutex_unlock(&k->lock);
	lgd_kubelet_result_free(old);
	if (write(k->efd, &one, sizeof(one)) < 0) {
		/* The counter is far from full: the event loop reads it every time. */
	}
}

static struct timespec after_ms(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Sleep until @ms have passed, or a kick (only with @kickable), or stop. */
static bool pause_ms(struct lgd_kubelet *k, uint64_t ms, bool kickable)
{
	struct timespec until = after_ms(ms);
	bool stop;

	pthread_mutex_lock(&k->lock);
	while (!k->stop && !(kickable && k->kicked))
		if (pthread_cond_timedwait(&k->wake, &k->lock, &until) == ETIMEDOUT)
			break;
	if (kickable)
		k->kicked = false;
	stop = k->stop;
	pthread_mutex_unlock(&k->lock);
	return !stop;
}

/* No request goes out from a thread that kept capabilities. */
static struct lgd_kubelet_result *refuse(const char *why)
{
	struct lgd_kubelet_result *r = calloc(1, sizeof(*r));

	if (r) {
		r->kind = LGD_KUBELET_INTERNAL;
		snprintf(r->error, sizeof(r->error), "%s", why);
		r->at_ns = lg_boottime_ns();
	}
	return r;
}

static void *client_main(void *arg)
{
	struct lgd_kubelet *k = arg;
	/* Capabilities are per thread: this one parses what the network sends. */
	bool dropped = lgd_thread_drop_caps();

	for (;;) {
		struct lgd_kubelet_result *r =
			dropped ? request(k) :
				  refuse("the kubelet client could not drop its capabilities");

		if (r)
			publish(k, r);
		/* A kick never makes requests closer than the minimum gap. */
		if (!pause_ms(k, LGD_KUBELET_MIN_GAP_MS, false) ||
		    !pause_ms(k, k->cfg->poll_interval_s * 1000 - LGD_KUBELET_MIN_GAP_MS, true))
			break;
	}
	return NULL;
}

static void free_client(struct lgd_kubelet *k)
{
	lgd_kubelet_result_free(k->ready);
	if (k->efd >= 0)
		close(k->efd);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

int lgd_kubelet_start(const struct lg_kube_config *cfg, struct lgd_kubelet **out)
{
	struct lgd_kubelet *k = calloc(1, sizeof(*k));
	pthread_condattr_t ca;
	char base[400];
	int err;

	*out = NULL;
	if (!k)
		return lg_err(-ENOMEM, "out of memory");
	k->cfg = cfg;
	k->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->wake, &ca);
	pthread_condattr_destroy(&ca);
	k->sel = (struct lgd_kube_selector){
		.namespaces = cfg->namespaces.v,
		.nnamespaces = cfg->namespaces.n,
		.label_keys = cfg->label_keys.v,
		.label_values = cfg->label_values.v,
		.nlabels = cfg->label_keys.n,
	};
	err = k->efd < 0 ? lg_err(-errno, "eventfd: %s", strerror(errno)) :
			   lgd_kubelet_url(cfg, base, sizeof(base));
	if (!err && snprintf(k->url, sizeof(k->url), "%s/pods", base) >= (int)sizeof(k->url))
		err = lg_err(-ENAMETOOLONG, "kubernetes.kubelet_url is too long");
	if (!err && curl_global_init(CURL_GLOBAL_DEFAULT))
		err = lg_err(-ENOMEM, "libcurl could not initialize");
	else if (!err) {
		err = -pthread_create(&k->thread, NULL, client_main, k);
		if (err) {
			curl_global_cleanup();
			lg_err(err, "starting the kubelet client: %s", strerror(-err));
		}
	}
	if (err) {
		free_client(k);
		return err;
	}
	*out = k;
	return 0;
}

int lgd_kubelet_fd(const struct lgd_kubelet *k)
{
	return k->efd;
}

struct lgd_kubelet_result *lgd_kubelet_take(struct lgd_kubelet *k)
{
	struct lgd_kubelet_result *r;
	uint64_t v;

	if (read(k->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new since the last take; the slot says so too. */
	}
	pthread_mutex_lock(&k->lock);
	r = k->ready;
	k->ready = NULL;
	pthread_mutex_unlock(&k->lock);
	return r;
}

void lgd_kubelet_result_free(struct lgd_kubelet_result *r)
{
	if (!r)
		return;
	free(r->pods);
	free(r);
}

void lgd_kubelet_kick(struct lgd_kubelet *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->kicked = true;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
}

void lgd_kubelet_stop(struct lgd_kubelet *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	__atomic_store_n(&k->stop, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	free_client(k);
	curl_global_cleanup();
}

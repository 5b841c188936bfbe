/* SPDX-License-Identifier: GPL-2.0 */
/*
 * https_stub.h - unit tests' handle on lg-https-stub (tests/tools/https_stub.c):
 * a directory of its steering files, and the stub started and stopped as a
 * child. Header-only: each test that talks HTTPS includes it once.
 */
#ifndef LG_TEST_HTTPS_STUB_H
#define LG_TEST_HTTPS_STUB_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static char dir[64]; /* the stub's steering files */
static pid_t stub = -1;
static char port[16];
static char stub_path[PATH_MAX]; /* lg-https-stub, beside this test's binary */

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int start_stub(void)
{
	char pf[128];

	snprintf(pf, sizeof(pf), "%s/port", dir);
	unlink(pf);
	fflush(stdout); /* the child must not write what is buffered here again */
	stub = fork();
	if (stub == 0) {
		char log[128];

		snprintf(log, sizeof(log), "%s/stub.log", dir);
		if (!freopen("/dev/null", "w", stdout) || !freopen(log, "w", stderr))
			_exit(126);
		execl(stub_path, stub_path, "--dir", dir, "--port-file", pf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(pf, "re");

		if (f) {
			bool ok = fgets(port, sizeof(port), f) != NULL;

			fclose(f);
			port[strcspn(port, "\n")] = 0;
			if (ok && *port)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

static void stop_stub(void)
{
	if (stub > 0) {
		kill(stub, SIGTERM);
		waitpid(stub, NULL, 0);
	}
	stub = -1;
}

/* A fresh directory for @name's files, and the stub binary beside this test's. */
static int stub_init(const char *name)
{
	ssize_t n;

	snprintf(dir, sizeof(dir), "/tmp/lg-%s-XXXXXX", name);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	n = readlink("/proc/self/exe", stub_path, sizeof(stub_path) - 32);
	if (n <= 0)
		return -1;
	stub_path[n] = 0;
	strcpy(strrchr(stub_path, '/') + 1, "lg-https-stub");
	return 0;
}

static void stub_cleanup(void)
{
	char cmd[128];

	stop_stub();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
		/* A leftover temporary directory is not a test failure. */
	}
}

#endif /* LG_TEST_HTTPS_STUB_H */

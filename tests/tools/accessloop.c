// SPDX-License-Identifier: GPL-2.0
/*
 * lg-accessloop ALLOWED DENIED - run as an agent through an upgrade: open
 * ALLOWED (must succeed; "-": none) and DENIED (must fail with EACCES)
 * every 2 ms until SIGTERM, then print what it saw. Every sample that broke
 * the rule is printed with its CLOCK_BOOTTIME time, so a gap of any length
 * shows. SIGUSR1 starts the count afresh (after the test changed what
 * should be denied, say).
 *
 * Output: "started" once the first round passed, "reset" after SIGUSR1,
 * one line per broken sample, and at the end
 * "rounds=N allowed_failed=N denied_succeeded=N".
 * Static, so that the agent's grant needs one exec rule and no libraries.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop, reset;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	reset = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 0, allowed_failed = 0, denied_succeeded = 0;
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_term }, su = { .sa_handler = on_usr1 };
	int allowed;

	if (argc != 3) {
		fprintf(stderr, "usage: lg-accessloop ALLOWED|- DENIED\n");
		return 2;
	}
	allowed = strcmp(argv[1], "-");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &su, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop) {
		int fd = allowed ? open(argv[1], O_RDONLY) : -1;

		if (reset) {
			reset = 0;
			rounds = allowed_failed = denied_succeeded = 0;
			printf("reset\n");
		}
		if (!allowed) {
			/* nothing to check on this side */
		} else if (fd < 0) {
			allowed_failed++;
			printf("%.6f allowed open of %s failed: %s\n", now_s(), argv[1],
			       strerror(errno));
		} else {
			close(fd);
		}
		fd = open(argv[2], O_RDONLY);
		if (fd >= 0 || errno != EACCES) {
			denied_succeeded++;
			printf("%.6f denied open of %s: %s\n", now_s(), argv[2],
			       fd >= 0 ? "SUCCEEDED" : strerror(errno));
			if (fd >= 0)
				close(fd);
		}
		if (++rounds == 1)
			printf("started\n");
		nanosleep(&pause, NULL);
	}
	printf("rounds=%lu allowed_failed=%lu denied_succeeded=%lu\n", rounds, allowed_failed,
	       denied_succeeded);
	return 0;
}

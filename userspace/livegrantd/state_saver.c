// SPDX-License-Identifier: GPL-2.0
/*
 * state_saver.c - see state_saver.h. The writer thread touches only the
 * snapshot it was given, the state file's path (fixed at start) and its
 * own outcome fields; everything else stays on the event loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "state_file.h"
#include "state_saver.h"

int lgd_saver_open(struct lgd_saver *s)
{
	*s = (struct lgd_saver){ .done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	if (s->done_fd < 0)
		return lg_err(-errno, "eventfd: %s", strerror(errno));
	return 0;
}

/*
 * The next background write waits LGD_SAVE_PACE times as long as this one
 * took; a failed one is tried again LGD_SAVE_RETRY_MS later, not in a spin.
 */
static void outcome(struct lgd *d, int err, const char *msg)
{
	struct lgd_saver *s = &d->saver;

	s->next_ns = lg_monotonic_ns() + LGD_SAVE_PACE * s->write_ns;
	if (!err) {
		if (s->failing)
			fprintf(stderr, "livegrantd: state saved again, after %llu failed tries\n",
				(unsigned long long)s->failing);
		s->failing = 0;
		return;
	}
	s->failures++;
	if (!s->failing++)
		s->failing_since_ns = lg_boottime_ns();
	snprintf(s->error, sizeof(s->error), "%s", msg);
	s->pending = true;
	s->due_ns = lg_monotonic_ns() + LGD_SAVE_RETRY_MS * 1000000ULL;
	/* @msg names the file and the error (lgd_state_snapshot_write()): the first, then every tenth. */
	if (s->failing % 10 == 1)
		fprintf(stderr,
			"livegrantd: %s; enforcement goes on from memory; retrying every %d ms (%llu failed in a row)\n",
			msg, LGD_SAVE_RETRY_MS, (unsigned long long)s->failing);
}

/* Read the writer's signal, if it is there: 1 if it was. */
static int take_signal(struct lgd_saver *s)
{
	uint64_t n;

	if (read(s->done_fd, &n, sizeof(n)) == sizeof(n))
		return 1;
	if (errno != EAGAIN)
		fprintf(stderr, "livegrantd: reading the state writer's signal: %s\n",
			strerror(errno));
	return 0;
}

/* The writer is joined: take its outcome. */
static void reaped(struct lgd *d)
{
	struct lgd_saver *s = &d->saver;

	s->busy = false;
	lgd_state_snapshot_free(s->snap);
	s->snap = NULL;
	outcome(d, s->result, s->msg);
}

/* Join the writer (it runs, or has just signalled) and take its outcome. */
static void reap(struct lgd *d)
{
	pthread_join(d->saver.thread, NULL);
	reaped(d);
}

/* Wait for the writer, if one runs, on the caller's thread. */
static void join_writer(struct lgd *d)
{
	if (!d->saver.busy)
		return;
	reap(d);
	/*
	 * Its signal goes with it: left in the eventfd, it would later make
	 * the loop join the next writer while that one still writes.
	 */
	take_signal(&d->saver);
}

void lgd_saver_close(struct lgd *d)
{
	join_writer(d);
	if (d->saver.done_fd >= 0)
		close(d->saver.done_fd);
	d->saver.done_fd = -1;
}

static void prune(struct lgd *d)
{
	lgd_prune_revoked(&d->revoked, time(NULL) - (int64_t)d->cfg->token_leeway_s);
}

int lgd_state_save(struct lgd *d)
{
	int err;

	/* The write in flight holds an older snapshot: it must not land after this one. */
	join_writer(d);
	prune(d);
	/* Whatever was wanted is in this save. */
	d->saver.pending = false;
	d->saver.write_ns = lg_monotonic_ns();
	err = lgd_state_write(d->state_path, &d->agents, &d->revoked);
	d->saver.write_ns = lg_monotonic_ns() - d->saver.write_ns;
	outcome(d, err, err ? lg_errmsg() : NULL);
	return err;
}

void lgd_state_save_later(struct lgd *d)
{
	d->saver.pending = true;
	d->saver.due_ns = 0;
}

void lgd_state_save_soon(struct lgd *d)
{
	/* Already pending: it keeps the earlier due time. */
	if (d->saver.pending)
		return;
	d->saver.pending = true;
	d->saver.due_ns = lg_monotonic_ns() + LGD_SAVE_DELAY_MS * 1000000ULL;
}

static void *writer_main(void *arg)
{
	struct lgd *d = arg;
	struct lgd_saver *s = &d->saver;
	uint64_t one = 1, t0 = lg_monotonic_ns();

	s->result = lgd_state_snapshot_write(d->state_path, s->snap);
	s->write_ns = lg_monotonic_ns() - t0;
	snprintf(s->msg, sizeof(s->msg), "%s", s->result ? lg_errmsg() : "");
	/* The counter cannot overflow: the loop reads it before the next writer starts. */
	if (write(s->done_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "livegrantd: the state writer could not signal: %s\n",
			strerror(errno));
	return NULL;
}

/* When the wanted save may start: its due time, held back by the pace. */
static uint64_t start_ns(const struct lgd_saver *s)
{
	return s->due_ns > s->next_ns ? s->due_ns : s->next_ns;
}

static bool due(const struct lgd_saver *s)
{
	return s->pending && !s->busy && lg_monotonic_ns() >= start_ns(s);
}

void lgd_state_save_start(struct lgd *d)
{
	struct lgd_saver *s = &d->saver;
	int err;

	/*
	 * A writer that could not signal (its eventfd write failed) has
	 * still finished: found here, so that saves do not stop behind it.
	 */
	if (s->busy && !pthread_tryjoin_np(s->thread, NULL)) {
		reaped(d);
		take_signal(s);
	}
	if (!due(s))
		return;
	prune(d);
	s->snap = lgd_state_snapshot(&d->agents, &d->revoked);
	if (!s->snap) {
		outcome(d, -ENOMEM, "out of memory");
		return;
	}
	s->pending = false;
	s->busy = true;
	err = pthread_create(&s->thread, NULL, writer_main, d);
	if (!err)
		return;
	/* No thread: the save still happens, on the loop. */
	s->busy = false;
	lgd_state_snapshot_free(s->snap);
	s->snap = NULL;
	fprintf(stderr, "livegrantd: no state writer thread (%s): saving on the event loop\n",
		strerror(err));
	lgd_state_save(d);
}

void lgd_state_save_finished(struct lgd *d)
{
	/*
	 * No signal: lgd_state_save() joined the writer earlier in this
	 * batch of events and took it. With one, the writer signalled as its
	 * last act, so the join does not wait.
	 */
	if (take_signal(&d->saver) && d->saver.busy)
		reap(d);
}

int lgd_state_save_wait_ms(const struct lgd *d)
{
	const struct lgd_saver *s = &d->saver;
	uint64_t now = lg_monotonic_ns();

	/* Running: the writer's signal wakes the loop, no timeout needed. */
	if (!s->pending || s->busy)
		return -1;
	if (now >= start_ns(s))
		return 0;
	return (int)((start_ns(s) - now) / 1000000ULL) + 1;
}

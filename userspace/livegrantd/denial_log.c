// SPDX-License-Identifier: GPL-2.0
/* denial_log.c - see denial_log.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "denial_log.h"
#include "denial_log_names.h"
#include "fs_sync.h"
#include "livegrant.h"

/*
 * The log's end if it is not a newline: the half line is cut, back to the
 * last whole line (or to nothing, when the last 64 KiB hold no newline).
 */
static void cut_torn_tail(struct lgd_denial_log *l)
{
	char buf[65536];
	uint64_t end = l->size, cut;
	ssize_t n = 0;

	if (!l->size || (pread(l->fd, buf, 1, l->size - 1) == 1 && buf[0] == '\n'))
		return;
	/* Back from the end, a chunk at a time, to the last newline (or the start). */
	while (end > 0) {
		uint64_t from = end > sizeof(buf) ? end - sizeof(buf) : 0;

		n = pread(l->fd, buf, end - from, from);
		if (n <= 0)
			return;
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		if (n > 0) {
			end = from + n;
			break;
		}
		end = from;
	}
	cut = end;
	if (ftruncate(l->fd, cut)) {
		fprintf(stderr, "livegrantd: %s ends in a half line that cannot be cut: %s\n",
			l->path, strerror(errno));
		return;
	}
	fprintf(stderr, "livegrantd: %s ended in a half-written line of %llu bytes: cut\n", l->path,
		(unsigned long long)(l->size - cut));
	l->size = cut;
}

int lgd_denial_log_open(struct lgd_denial_log *l, const char *state_dir, uint64_t max_bytes,
			uint32_t keep)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s/%s", state_dir, LG_DENIAL_LOG_NAME);
	l->max_bytes = max_bytes;
	l->keep = keep;
	l->fd = open(l->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return lg_err(-errno, "denial log %s: %s", l->path, strerror(errno));
	if (!fstat(l->fd, &st))
		l->size = st.st_size;
	cut_torn_tail(l);
	return 0;
}

/* Compress @from into @to (via a temporary file renamed into place). */
static int gzip_file(const char *from, const char *to)
{
	char tmp[PATH_MAX + 32], buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t n;
	gzFile gz;

	if (in < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.tmp", to);
	gz = gzopen(tmp, "wb6");
	if (!gz) {
		close(in);
		return -EIO;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (gzwrite(gz, buf, n) != n) {
			err = -EIO;
			break;
		}
	if (n < 0)
		err = -errno;
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	close(in);
	/* On the disk before the live file is emptied: else a failing disk loses both. */
	if (!err)
		err = lgd_fsync_path(tmp);
	if (!err && rename(tmp, to))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/*
 * denials.jsonl -> .1.gz, .1.gz -> .2.gz, ..., the oldest beyond keep goes.
 * The live file is compressed first, to a name of its own: only once that
 * worked does the chain move, so a full disk costs no rotated file. A
 * failed rotation is tried again a minute later, not at every line.
 */
static void rotate(struct lgd_denial_log *l)
{
	char a[PATH_MAX + 16], b[PATH_MAX + 16], tmp[PATH_MAX + 16];
	uint64_t now = lg_boottime_ns();
	int err;

	if (l->rotate_failed_ns && now - l->rotate_failed_ns < 60ULL * 1000000000ULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.rotating.gz", l->path);
	err = gzip_file(l->path, tmp);
	if (err) {
		unlink(tmp);
		l->rotate_failed_ns = now;
		/* Keep writing to the big file rather than lose lines. */
		fprintf(stderr,
			"livegrantd: rotating %s failed: %s; the file grows past denial_log_max_bytes until a rotation works (tried again in 60 s)\n",
			l->path, strerror(-err));
		return;
	}
	l->rotate_failed_ns = 0;
	lg_denial_log_rotated(a, sizeof(a), l->path, l->keep);
	unlink(a);
	for (uint32_t i = l->keep; i > 1; i--) {
		lg_denial_log_rotated(a, sizeof(a), l->path, i - 1);
		lg_denial_log_rotated(b, sizeof(b), l->path, i);
		rename(a, b);
	}
	lg_denial_log_rotated(a, sizeof(a), l->path, 1);
	if (rename(tmp, a)) {
		fprintf(stderr, "livegrantd: rotating %s: %s\n", l->path, strerror(errno));
		unlink(tmp);
		return;
	}
	if (ftruncate(l->fd, 0))
		fprintf(stderr, "livegrantd: truncating %s: %s\n", l->path, strerror(errno));
	l->size = 0;
	/*
	 * Every line so far is in the rotated file, synced above: none is left
	 * to confirm, not even those of a sync still running on the live file.
	 */
	l->unsynced = 0;
	l->unsynced_carried = 0;
	l->sync_lines = 0;
	l->sync_carried = 0;
}

/*
 * One write of @len bytes (a line and its newline): readers never see half
 * a line. A short write is cut back off; false with errno set when the
 * bytes are not in the file.
 */
static bool write_whole(struct lgd_denial_log *l, const char *buf, size_t len)
{
	ssize_t n = write(l->fd, buf, len);
	int err = errno;

	if (n == (ssize_t)len) {
		l->size += len;
		return true;
	}
	/* Short (the disk filled mid-line): no half line stays behind. */
	if (n > 0 && ftruncate(l->fd, l->size))
		fprintf(stderr, "livegrantd: cutting a half line off %s failed: %s\n", l->path,
			strerror(errno));
	errno = n < 0 ? err : ENOSPC;
	return false;
}

/* The first failure of a run of them: said once, and counted from here. */
static void writing_stopped(struct lgd_denial_log *l, int err)
{
	if (l->write_err)
		return;
	l->write_err = err;
	l->failing_since_ns = lg_boottime_ns();
	fprintf(stderr,
		"livegrantd: cannot write the denial log %s: %s; enforcement goes on, the lines not written are counted and still go to standard output\n",
		l->path, strerror(err));
}

/* Writing works again: a summary of what is missing goes first. */
static bool writing_resumed(struct lgd_denial_log *l)
{
	char line[512];
	int len;

	/* Lines written since a sync failed may be dropped too: none until one works. */
	if (l->sync_err) {
		errno = l->sync_err;
		return false;
	}
	len = snprintf(
		line, sizeof(line),
		"{\"summary\":\"log_unwritten\",\"unwritten\":%llu,\"error\":\"%s\",\"for_s\":%llu}\n",
		(unsigned long long)l->unwritten, strerror(l->write_err),
		(unsigned long long)((lg_boottime_ns() - l->failing_since_ns) / 1000000000ULL));
	if (!write_whole(l, line, len))
		return false;
	fprintf(stderr,
		"livegrantd: writing the denial log %s again; %llu lines were not written\n",
		l->path, (unsigned long long)l->unwritten);
	/* Lost with the summary, should its sync fail: counted again then. */
	l->unsynced_carried += l->unwritten;
	l->write_err = 0;
	l->unwritten = 0;
	return true;
}

static void append(struct lgd_denial_log *l, const char *line)
{
	size_t n = strlen(line);
	char *buf;

	puts(line);
	fflush(stdout);
	if (l->fd < 0)
		return;
	if (l->size + n + 1 > l->max_bytes && l->size)
		rotate(l);
	buf = malloc(n + 1);
	if (buf) {
		memcpy(buf, line, n);
		buf[n] = '\n';
	}
	if (buf && (!l->write_err || writing_resumed(l)) && write_whole(l, buf, n + 1)) {
		l->unsynced++;
		free(buf);
		return;
	}
	writing_stopped(l, buf ? errno : ENOMEM);
	l->unwritten++;
	l->unwritten_total++;
	free(buf);
}

void lgd_denial_log_write(struct lgd_denial_log *l, const char *line)
{
	append(l, line);
}

void lgd_denial_log_summary(struct lgd_denial_log *l, json_t *o)
{
	char when[64];
	struct timespec ts;
	struct tm tm;
	char *text;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
	json_object_set_new(o, "time", json_string(when));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text)
		append(l, text);
	free(text);
}

/*
 * What a sync thread works on: its own copy of the log's descriptor and its
 * outcome, so that it touches nothing of the log's (and a thread left
 * behind at a stop touches nothing freed).
 */
struct lgd_log_sync {
	int fd;
	int result; /* errno, 0: synced; read after the join */
};

static void *sync_main(void *arg)
{
	struct lgd_log_sync *job = arg;

	job->result = fdatasync(job->fd) ? errno : 0;
	close(job->fd);
	return NULL;
}

/*
 * A sync failed: the lines it covered, written or not, may never reach the
 * disk, nor those written while it ran (the error it reports may be
 * theirs). They are counted as not written, and so are the counts of the
 * summaries among them, which would be lost with them: a loss is counted
 * rather than hidden, at the cost of counting, at worst, lines that were
 * kept. Writing stops until a sync works, tried less often the longer they
 * fail.
 */
static void sync_failed(struct lgd_denial_log *l, int err)
{
	uint64_t lines = l->sync_lines + l->unsynced;

	if (lines || !l->sync_err)
		fprintf(stderr,
			"livegrantd: syncing the denial log %s failed: %s; its last %llu lines (and the summaries of %llu missing before) may not be on the disk: counted as not written; nothing more is written until a sync works (tried again in %u s)\n",
			l->path, strerror(err), (unsigned long long)lines,
			(unsigned long long)(l->sync_carried + l->unsynced_carried),
			l->sync_backoff_s ? l->sync_backoff_s * 2 : 1);
	if (lines || l->sync_carried || l->unsynced_carried)
		l->sync_failures++;
	l->sync_err = err;
	writing_stopped(l, err);
	l->write_err = err;
	l->unwritten += lines + l->sync_carried + l->unsynced_carried;
	l->unwritten_total += lines;
	l->unsynced = 0;
	l->unsynced_carried = 0;
	l->sync_backoff_s = l->sync_backoff_s ? l->sync_backoff_s * 2 : 1;
	if (l->sync_backoff_s > LGD_LOG_SYNC_BACKOFF_MAX_S)
		l->sync_backoff_s = LGD_LOG_SYNC_BACKOFF_MAX_S;
	l->sync_retry_ns = lg_boottime_ns() + l->sync_backoff_s * 1000000000ULL;
}

/* The sync has ended with @result: take its outcome. */
static void sync_done(struct lgd_denial_log *l, int result)
{
	bool covered = l->sync_lines || l->sync_carried;

	if (result) {
		sync_failed(l, result);
		return;
	}
	/*
	 * Only a sync that confirmed lines shows the disk keeps them: one with
	 * nothing to confirm succeeds once the error was reported, on a disk
	 * that still fails. So it lets writing start again, and the backoff
	 * stays, until a sync with lines works.
	 */
	if (covered)
		l->sync_backoff_s = 0;
	if (l->sync_err)
		fprintf(stderr, "livegrantd: syncing the denial log %s works again\n", l->path);
	l->sync_err = 0;
}

/*
 * Take the sync's outcome if it has ended; with @wait_s, wait for it that
 * long. False while it runs.
 */
static bool sync_collect(struct lgd_denial_log *l, unsigned int wait_s)
{
	struct lgd_log_sync *job = l->sync_job;
	struct timespec until;
	int result;

	if (!job)
		return true;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_s;
	if (wait_s ? pthread_timedjoin_np(l->sync_thread, NULL, &until) :
		     pthread_tryjoin_np(l->sync_thread, NULL))
		return false;
	result = job->result;
	free(job);
	l->sync_job = NULL;
	sync_done(l, result);
	return true;
}

/* Sync what was written since the last sync began (or, while syncs fail, try one). */
static void sync_start(struct lgd_denial_log *l)
{
	struct lgd_log_sync *job = malloc(sizeof(*job));

	l->sync_lines = l->unsynced;
	l->sync_carried = l->unsynced_carried;
	l->unsynced = 0;
	l->unsynced_carried = 0;
	l->sync_started_ns = lg_boottime_ns();
	if (job) {
		job->result = 0;
		job->fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
	}
	if (job && job->fd >= 0 && !pthread_create(&l->sync_thread, NULL, sync_main, job)) {
		l->sync_job = job;
		return;
	}
	if (job && job->fd >= 0)
		close(job->fd);
	free(job);
	/* No thread or descriptor to spare: sync here, this once, rather than leave the lines unconfirmed. */
	sync_done(l, fdatasync(l->fd) ? errno : 0);
}

/* Is a sync due: lines to confirm, or a failed one to try again? */
static bool sync_due(const struct lgd_denial_log *l)
{
	if (l->sync_job)
		return false;
	if (l->sync_err)
		return lg_boottime_ns() >= l->sync_retry_ns;
	return l->unsynced || l->unsynced_carried;
}

void lgd_denial_log_tick(struct lgd_denial_log *l)
{
	if (l->fd < 0)
		return;
	sync_collect(l, 0);
	/*
	 * Writes fail: try once a second, so that status clears without a new
	 * line; before the sync below, which then confirms the summary.
	 */
	if (l->write_err)
		writing_resumed(l);
	if (sync_due(l))
		sync_start(l);
}

void lgd_denial_log_close(struct lgd_denial_log *l)
{
	bool synced;

	if (l->fd < 0)
		return;
	synced = sync_collect(l, LGD_LOG_SYNC_STOP_WAIT_S);
	if (synced && (l->unsynced || l->unsynced_carried)) {
		sync_start(l);
		synced = sync_collect(l, LGD_LOG_SYNC_STOP_WAIT_S);
	}
	/* A sync that never returns (a hung disk) is left to the exit; its lines are unconfirmed. */
	if (!synced) {
		fprintf(stderr,
			"livegrantd: stopping while a sync of the denial log %s has not returned after %u s: its last %llu lines may not be on the disk\n",
			l->path, LGD_LOG_SYNC_STOP_WAIT_S,
			(unsigned long long)(l->sync_lines + l->unsynced));
		pthread_detach(l->sync_thread);
		l->sync_job = NULL; /* the thread's own, freed with the process */
	}
	if (l->write_err)
		fprintf(stderr,
			"livegrantd: stopping with %llu lines not written to the denial log %s (%s): they went to standard output only\n",
			(unsigned long long)l->unwritten, l->path, strerror(l->write_err));
	close(l->fd);
	l->fd = -1;
}

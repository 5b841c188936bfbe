// SPDX-License-Identifier: GPL-2.0
/*
 * test_denial_log.c - the denial log's accounting when the disk fails
 * (userspace/livegrantd/denial_log.c): every line is either in the file
 * and synced, or counted as not written, exactly once, whatever the order
 * of failed writes, failed syncs and retries. The file is real (a
 * temporary directory); write() and fdatasync() go through stand-ins that
 * fail on demand, as a full disk or a failing one does, so that each
 * sequence is run as it is written here. tests/kernel/faults.sh shows the
 * same on a real ext4 that fails.
 *
 * The daemon's file is included, not linked (as test_state.c does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the stand-ins do: fail with this errno (0: do the real call). */
static int write_fails, sync_fails;
/* fdatasync() calls, from the log's sync thread. */
static int syncs;
/* Lines that went to standard output (every line does). */
static int printed;

static ssize_t test_write(int fd, const void *buf, size_t len)
{
	if (write_fails) {
		errno = write_fails;
		return -1;
	}
	return write(fd, buf, len);
}

static int test_fdatasync(int fd)
{
	int fail = __atomic_load_n(&sync_fails, __ATOMIC_SEQ_CST);

	__atomic_add_fetch(&syncs, 1, __ATOMIC_SEQ_CST);
	if (fail) {
		errno = fail;
		return -1;
	}
	return fdatasync(fd);
}

static int test_puts(const char *s)
{
	(void)s;
	printed++;
	return 0;
}

#define write test_write
#define fdatasync test_fdatasync
#define puts test_puts
#include "../../userspace/livegrantd/denial_log.c"
#include "../../userspace/livegrantd/fs_sync.c"
#undef write
#undef fdatasync
#undef puts

#include "check.h"

static int synced(void)
{
	return __atomic_load_n(&syncs, __ATOMIC_SEQ_CST);
}

/* One tick, and the sync it started (if any) run to its end and taken. */
static void settle(struct lgd_denial_log *l)
{
	lgd_denial_log_tick(l);
	sync_collect(l, 5);
}

/* A failed sync's retry is due now, not after its backoff. */
static void retry_now(struct lgd_denial_log *l)
{
	l->sync_retry_ns = 0;
}

static void log_lines(struct lgd_denial_log *l, int n)
{
	for (int i = 0; i < n; i++)
		lgd_denial_log_write(l, "{\"hook\":\"file_open\",\"reason\":\"no_grant\"}");
}

/*
 * The "unwritten" count of the last log_unwritten summary in the file, or
 * -1. (The stand-in's failed sync loses nothing from the file: the summary
 * a real failing disk would drop stays, so only the last one is read.)
 */
static long long last_unwritten(const struct lgd_denial_log *l)
{
	FILE *f = fopen(l->path, "r");
	char line[1024];
	long long last = -1;

	while (f && fgets(line, sizeof(line), f)) {
		const char *u = strstr(line, "\"unwritten\":");

		if (strstr(line, "log_unwritten") && u)
			last = atoll(u + strlen("\"unwritten\":"));
	}
	if (f)
		fclose(f);
	return last;
}

static uint64_t file_size(const struct lgd_denial_log *l)
{
	struct stat st;

	return stat(l->path, &st) ? 0 : (uint64_t)st.st_size;
}

static bool open_log(struct lgd_denial_log *l, char *dir)
{
	write_fails = 0;
	sync_fails = 0;
	if (!mkdtemp(dir))
		return false;
	return !lgd_denial_log_open(l, dir, 1 << 20, 5);
}

/* Lines written are synced once; nothing to confirm, no sync. */
static void test_log_lines_are_synced(void)
{
	char dir[] = "/tmp/lgd-test-log-XXXXXX";
	struct lgd_denial_log l;
	int before;

	if (!open_log(&l, dir)) {
		CHECK(0, "setup");
		return;
	}
	before = synced();
	log_lines(&l, 3);
	settle(&l);
	CHECK(synced() == before + 1, "one sync for the 3 lines: %d", synced() - before);
	CHECK(!l.write_err && l.unwritten_total == 0, "all written");
	settle(&l);
	CHECK(synced() == before + 1, "no sync with nothing written since");
	log_lines(&l, 1);
	lgd_denial_log_close(&l);
	CHECK(synced() == before + 2, "the close syncs the last line");
	check_rm_tree(dir);
}

/*
 * A sync fails: the lines it covered count as not written; nothing more is
 * written until a sync works; the summary that says so is synced too, and
 * counted again if its sync fails; the retries back off.
 */
static void test_log_failed_sync_counts_lines(void)
{
	char dir[] = "/tmp/lgd-test-log-XXXXXX";
	struct lgd_denial_log l;
	uint64_t size;
	int before;

	if (!open_log(&l, dir)) {
		CHECK(0, "setup");
		return;
	}
	log_lines(&l, 4);
	sync_fails = EIO;
	settle(&l);
	CHECK(l.write_err == EIO && l.sync_err == EIO, "the sync's failure stops writing");
	CHECK(l.unwritten == 4 && l.unwritten_total == 4,
	      "the 4 lines it covered are counted: %llu, %llu", (unsigned long long)l.unwritten,
	      (unsigned long long)l.unwritten_total);
	CHECK(l.sync_failures == 1 && l.sync_backoff_s == 1, "one failure, retried in 1 s (%u)",
	      l.sync_backoff_s);
	size = file_size(&l);
	log_lines(&l, 2);
	CHECK(file_size(&l) == size, "nothing more is written while syncs fail");
	CHECK(l.unwritten == 6 && l.unwritten_total == 6, "the 2 lines after it are counted: %llu",
	      (unsigned long long)l.unwritten);
	before = synced();
	settle(&l);
	CHECK(synced() == before, "no retry before its backoff");
	/* As fdatasync() does: the error was reported once, the retry succeeds. */
	sync_fails = 0;
	retry_now(&l);
	settle(&l);
	CHECK(synced() == before + 1 && !l.sync_err, "the retry worked");
	CHECK(l.sync_backoff_s == 1, "a retry that confirmed no line keeps the backoff");
	/* The next tick resumes with the summary of the 6; the disk still fails its sync. */
	sync_fails = EIO;
	settle(&l);
	CHECK(last_unwritten(&l) == 6, "the summary of the 6 was written: %lld",
	      last_unwritten(&l));
	CHECK(synced() == before + 2, "the summary alone is synced");
	CHECK(l.write_err == EIO && l.unwritten == 6 && l.unwritten_total == 6,
	      "the summary lost with its sync: its 6 counted again, the total unchanged (%llu, %llu)",
	      (unsigned long long)l.unwritten, (unsigned long long)l.unwritten_total);
	CHECK(l.sync_backoff_s == 2, "failures in a row back off: %u s", l.sync_backoff_s);
	CHECK(l.sync_failures == 2, "a failure that covered lines is counted: %llu",
	      (unsigned long long)l.sync_failures);
	/* A retry that fails with nothing to confirm is not counted as a failed sync. */
	retry_now(&l);
	settle(&l);
	CHECK(l.sync_failures == 2 && l.sync_backoff_s == 4, "a failed retry backs off (%u s)",
	      l.sync_backoff_s);
	/* The disk works again. */
	sync_fails = 0;
	retry_now(&l);
	settle(&l);
	settle(&l);
	CHECK(!l.write_err && !l.sync_err && l.sync_backoff_s == 0,
	      "writing again, the summary synced, the backoff reset");
	CHECK(last_unwritten(&l) == 6, "the last summary counts the 6 lines again: %lld",
	      last_unwritten(&l));
	CHECK(l.unwritten_total == 6, "6 lines not written since start, each counted once");
	lgd_denial_log_close(&l);
	check_rm_tree(dir);
}

/*
 * A full disk (writes fail) and then a failed sync of the lines written
 * once space returned: each line counted once.
 */
static void test_log_full_disk_then_failed_sync(void)
{
	char dir[] = "/tmp/lgd-test-log-XXXXXX";
	struct lgd_denial_log l;

	if (!open_log(&l, dir)) {
		CHECK(0, "setup");
		return;
	}
	write_fails = ENOSPC;
	log_lines(&l, 3);
	CHECK(l.write_err == ENOSPC && l.unwritten_total == 3, "3 lines refused by the full disk");
	write_fails = 0;
	log_lines(&l, 2);
	CHECK(!l.write_err && l.unsynced == 2 && l.unsynced_carried == 3,
	      "space returned: the summary of 3, then 2 lines, written");
	sync_fails = EIO;
	settle(&l);
	CHECK(l.unwritten == 5 && l.unwritten_total == 5,
	      "their sync failed: the 2 lines and the summary's 3 counted (%llu, %llu)",
	      (unsigned long long)l.unwritten, (unsigned long long)l.unwritten_total);
	CHECK(printed >= 5, "every line went to standard output");
	lgd_denial_log_close(&l);
	CHECK(l.fd == -1, "closed");
	check_rm_tree(dir);
}

int main(void)
{
	RUN(test_log_lines_are_synced);
	RUN(test_log_failed_sync_counts_lines);
	RUN(test_log_full_disk_then_failed_sync);
	return check_summary("denial_log");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_file_tree.c - decisions on changes of the file tree and of file
 * attributes (bpf/file_tree.bpf.c, bpf/file_attr.bpf.c), and the path walk
 * those hooks use (bpf/lib/path_walk.h) checked against bpf_d_path().
 *
 * Every attempt is a real syscall from a root worker in an agent cgroup;
 * each destructive attempt has a file of its own, and a denial is checked
 * three ways: EACCES, the event (hook, reason, path) and the file as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "worker.h"

#define T FX_DIR "/tree"
#define RO T "/ro" /* read rule */
#define RW T "/rw" /* write rule */
#define DEV RW "/dev" /* write and device rules */
#define OUT T "/out" /* no rule */

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *rules_read[] = { RO "/" };
static const char *rules_write[] = { RW "/" };
static const char *rules_device[] = { DEV "/" };
static const char *rules_exec[] = { RW "/tools/bin/" };

/* A fresh tree: ro/, rw/ (with dev/ and sub/), out/. */
static void tree_reset(void)
{
	if (system("rm -rf " T) != 0)
		return;
	mkdir(T, 0755);
	mkdir(RO, 0755);
	mkdir(RW, 0755);
	mkdir(DEV, 0755);
	mkdir(RW "/sub", 0755);
	mkdir(OUT, 0755);
}

static void put(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	if (write(fd, content, strlen(content)) < 0)
		perror(path);
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_mode;
}

/* Read the first bytes of @path into @buf (empty on failure). */
static const char *content(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

#define OLD_TIME 1000 /* the mtime every file starts with */
#define NEW_TIME 1000000 /* what the agent sets */
#define USER_XATTR "user.lg"

static const struct timespec new_times[2] = { { NEW_TIME, 0 }, { NEW_TIME, 0 } };

/* Give @path the mtime OLD_TIME (as the harness, not an agent). */
static void age(const char *path)
{
	const struct timespec old[2] = { { OLD_TIME, 0 }, { OLD_TIME, 0 } };

	if (utimensat(AT_FDCWD, path, old, 0))
		perror(path);
}

static time_t mtime_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_mtim.tv_sec;
}

static int a_utimensat(const struct worker_req *r)
{
	return utimensat(AT_FDCWD, r->path, new_times, 0) ? errno : 0;
}

static int grant_tree(bool with_exec_below)
{
	struct lg_grant_spec s = fx_spec(60000);

	s.rules[LG_RULE_READ] = STRV(rules_read);
	s.rules[LG_RULE_WRITE] = STRV(rules_write);
	s.rules[LG_RULE_DEVICE] = STRV(rules_device);
	if (with_exec_below)
		s.rules[LG_RULE_EXEC] = STRV(rules_exec);
	return lg_grant_install(fx, fx_a1, &s, NULL);
}

/* Start an agent worker under the tree grant. */
static bool start(struct worker *w, const char *comm, bool with_exec_below)
{
	tree_reset();
	if (!CHECK(grant_tree(with_exec_below) == 0, "grant: %s", lg_errmsg()))
		return false;
	return CHECK(worker_start(w, FX_A1, comm) == 0, "start worker");
}

/* A denial: EACCES and the event of @hook and @reason naming @target. */
#define DENIED(w, got, hook, reason, target, what)                                            \
	do {                                                                                  \
		if (CHECK_ERR((got), EACCES, (what)))                                         \
			CHECK(fx_wait_event_at((w)->pid, (hook), (reason), (target), 2000) != \
				      NULL,                                                   \
			      "%s: event %s/%s at %s", (what), lg_hook_name(hook),            \
			      lg_reason_name(reason), (target));                              \
	} while (0)

KTEST(tree_unlink_rmdir)
{
	struct worker w;

	if (!start(&w, "lg-unlink", false))
		return;
	put(RW "/u1", "x");
	put(RO "/u2", "keep");
	put(OUT "/u3", "keep");
	mkdir(RW "/d1", 0755);
	mkdir(RO "/d2", 0755);
	CHECK_ERR(w_fs(&w, WFS_UNLINK, RW "/u1", NULL, 0), 0, "unlink in the write folder");
	CHECK(!exists(RW "/u1"), "rw/u1 is gone");
	DENIED(&w, w_fs(&w, WFS_UNLINK, RO "/u2", NULL, 0), LG_HOOK_PATH_UNLINK,
	       LG_REASON_NOT_ALLOWED, RO "/u2", "unlink of a read-only file");
	CHECK(exists(RO "/u2"), "ro/u2 is still there");
	DENIED(&w, w_fs(&w, WFS_UNLINK, OUT "/u3", NULL, 0), LG_HOOK_PATH_UNLINK,
	       LG_REASON_NOT_ALLOWED, OUT "/u3", "unlink outside the grant");
	CHECK(exists(OUT "/u3"), "out/u3 is still there");
	CHECK_ERR(w_fs(&w, WFS_RMDIR, RW "/d1", NULL, 0), 0, "rmdir in the write folder");
	CHECK(!exists(RW "/d1"), "rw/d1 is gone");
	DENIED(&w, w_fs(&w, WFS_RMDIR, RO "/d2", NULL, 0), LG_HOOK_PATH_RMDIR,
	       LG_REASON_NOT_ALLOWED, RO "/d2", "rmdir of a read-only directory");
	CHECK(exists(RO "/d2"), "ro/d2 is still there");
	/* The write rule's own folder: its parent grants nothing. */
	DENIED(&w, w_fs(&w, WFS_RMDIR, RW, NULL, 0), LG_HOOK_PATH_RMDIR, LG_REASON_NOT_ALLOWED, RW,
	       "rmdir of the write folder itself");
	CHECK(exists(RW), "rw/ is still there");
	worker_stop(&w);
}

KTEST(tree_make)
{
	struct worker w;

	if (!start(&w, "lg-make", false))
		return;
	CHECK_ERR(w_fs(&w, WFS_MKDIR, RW "/m1", NULL, 0), 0, "mkdir in the write folder");
	CHECK(exists(RW "/m1"), "rw/m1 made");
	DENIED(&w, w_fs(&w, WFS_MKDIR, RO "/m2", NULL, 0), LG_HOOK_PATH_MKDIR,
	       LG_REASON_NOT_ALLOWED, RO "/m2", "mkdir in a read-only folder");
	CHECK(!exists(RO "/m2"), "ro/m2 not made");
	DENIED(&w, w_fs(&w, WFS_MKDIR, OUT "/m3", NULL, 0), LG_HOOK_PATH_MKDIR,
	       LG_REASON_NOT_ALLOWED, OUT "/m3", "mkdir outside the grant");
	CHECK(!exists(OUT "/m3"), "out/m3 not made");

	CHECK_ERR(w_fs(&w, WFS_MKNOD, RW "/fifo", NULL, S_IFIFO | 0644), 0, "mkfifo in rw");
	CHECK(S_ISFIFO(mode_of(RW "/fifo")), "rw/fifo is a fifo");
	DENIED(&w, w_fs(&w, WFS_MKNOD, RO "/fifo", NULL, S_IFIFO | 0644), LG_HOOK_PATH_MKNOD,
	       LG_REASON_NOT_ALLOWED, RO "/fifo", "mkfifo in ro");
	CHECK(!exists(RO "/fifo"), "ro/fifo not made");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, RW "/sock", NULL, S_IFSOCK | 0644), 0, "socket node in rw");
	CHECK(exists(RW "/sock"), "rw/sock made");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, RW "/reg", NULL, S_IFREG | 0644), 0, "mknod S_IFREG in rw");
	CHECK(exists(RW "/reg"), "rw/reg made");
	DENIED(&w, w_fs(&w, WFS_MKNOD, RO "/reg", NULL, S_IFREG | 0644), LG_HOOK_PATH_MKNOD,
	       LG_REASON_NOT_ALLOWED, RO "/reg", "mknod S_IFREG in ro");
	CHECK(!exists(RO "/reg"), "ro/reg not made");

	/* Device nodes: write does not grant them, the device rule does. */
	DENIED(&w, w_fs(&w, WFS_MKNOD, RW "/null", NULL, S_IFCHR | 0600), LG_HOOK_PATH_MKNOD,
	       LG_REASON_NOT_ALLOWED, RW "/null", "char device under a write rule");
	CHECK(!exists(RW "/null"), "rw/null not made");
	DENIED(&w, w_fs(&w, WFS_MKNOD, RW "/blk", NULL, S_IFBLK | 0600), LG_HOOK_PATH_MKNOD,
	       LG_REASON_NOT_ALLOWED, RW "/blk", "block device under a write rule");
	CHECK(!exists(RW "/blk"), "rw/blk not made");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, DEV "/null", NULL, S_IFCHR | 0600), 0,
		  "char device under a device rule");
	CHECK(S_ISCHR(mode_of(DEV "/null")), "rw/dev/null is a char device");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, DEV "/blk", NULL, S_IFBLK | 0600), 0,
		  "block device under a device rule");
	CHECK(S_ISBLK(mode_of(DEV "/blk")), "rw/dev/blk is a block device");

	CHECK_ERR(w_fs(&w, WFS_SYMLINK, RW "/sym", "/etc/passwd", 0), 0, "symlink in rw");
	CHECK(exists(RW "/sym"), "rw/sym made");
	DENIED(&w, w_fs(&w, WFS_SYMLINK, RO "/sym", "/etc/passwd", 0), LG_HOOK_PATH_SYMLINK,
	       LG_REASON_NOT_ALLOWED, RO "/sym", "symlink in ro");
	CHECK(!exists(RO "/sym"), "ro/sym not made");
	worker_stop(&w);
}

/* O_CREAT outside the grant is refused before the file exists. */
KTEST(tree_open_creat)
{
	struct worker w;

	if (!start(&w, "lg-creat", false))
		return;
	CHECK_ERR(w_open(&w, RW "/new", O_WRONLY | O_CREAT), 0, "create in rw");
	CHECK(exists(RW "/new"), "rw/new made");
	DENIED(&w, w_open(&w, RO "/new", O_WRONLY | O_CREAT), LG_HOOK_PATH_MKNOD,
	       LG_REASON_NOT_ALLOWED, RO "/new", "O_CREAT in ro");
	CHECK(!exists(RO "/new"), "ro/new does not exist after the denied O_CREAT");
	DENIED(&w, w_open(&w, OUT "/new", O_RDONLY | O_CREAT), LG_HOOK_PATH_MKNOD,
	       LG_REASON_NOT_ALLOWED, OUT "/new", "O_CREAT|O_RDONLY outside the grant");
	CHECK(!exists(OUT "/new"), "out/new does not exist after the denied O_CREAT");
	worker_stop(&w);
}

KTEST(tree_link)
{
	struct worker w;
	char buf[64];

	if (!start(&w, "lg-link", false))
		return;
	put(OUT "/secret1", "secret");
	put(RO "/l1", "ro");
	put(RW "/l2", "rw");
	/* A file outside the grant, linked into the write folder, then read. */
	DENIED(&w, w_fs(&w, WFS_LINK, OUT "/secret1", RW "/stolen", 0), LG_HOOK_PATH_LINK,
	       LG_REASON_NOT_ALLOWED, RW "/stolen", "link of an ungranted file into rw");
	CHECK(!exists(RW "/stolen"), "rw/stolen not made");
	CHECK_ERR(w_open(&w, RW "/stolen", O_RDONLY), ENOENT, "nothing to read at rw/stolen");
	/* A read-only file would become writable at its new name. */
	DENIED(&w, w_fs(&w, WFS_LINK, RO "/l1", RW "/l1", 0), LG_HOOK_PATH_LINK,
	       LG_REASON_NOT_ALLOWED, RW "/l1", "link of a read-only file into rw");
	CHECK(!exists(RW "/l1"), "rw/l1 not made");
	DENIED(&w, w_fs(&w, WFS_LINK, RW "/l2", RO "/l2", 0), LG_HOOK_PATH_LINK,
	       LG_REASON_NOT_ALLOWED, RO "/l2", "link into ro");
	CHECK(!exists(RO "/l2"), "ro/l2 not made");
	/* Within the write folder, across directories: refer is granted. */
	CHECK_ERR(w_fs(&w, WFS_LINK, RW "/l2", RW "/sub/l2", 0), 0, "link within rw");
	CHECK(!strcmp(content(RW "/sub/l2", buf, sizeof(buf)), "rw"), "rw/sub/l2 links rw/l2");
	worker_stop(&w);
}

KTEST(tree_rename)
{
	struct worker w;
	char buf[64];

	if (!start(&w, "lg-rename", false))
		return;
	put(RW "/r1", "r1");
	put(OUT "/secret2", "secret");
	put(RO "/r2", "r2");
	put(RW "/r3", "r3");
	put(RW "/sub/r4", "r4");
	CHECK_ERR(w_fs(&w, WFS_RENAME, RW "/r1", RW "/r1b", 0), 0, "rename within rw");
	CHECK(!exists(RW "/r1") && exists(RW "/r1b"), "rw/r1 is now rw/r1b");
	DENIED(&w, w_fs(&w, WFS_RENAME, OUT "/secret2", RW "/secret2", 0), LG_HOOK_PATH_RENAME,
	       LG_REASON_NOT_ALLOWED, RW "/secret2", "rename of an ungranted file into rw");
	CHECK(exists(OUT "/secret2") && !exists(RW "/secret2"), "out/secret2 stays");
	CHECK_ERR(w_open(&w, RW "/secret2", O_RDONLY), ENOENT, "nothing to read at rw/secret2");
	DENIED(&w, w_fs(&w, WFS_RENAME, RO "/r2", RW "/r2", 0), LG_HOOK_PATH_RENAME,
	       LG_REASON_NOT_ALLOWED, RW "/r2", "rename out of ro");
	CHECK(exists(RO "/r2") && !exists(RW "/r2"), "ro/r2 stays");
	DENIED(&w, w_fs(&w, WFS_RENAME, RW "/r3", RO "/r3", 0), LG_HOOK_PATH_RENAME,
	       LG_REASON_NOT_ALLOWED, RO "/r3", "rename into ro");
	CHECK(exists(RW "/r3") && !exists(RO "/r3"), "rw/r3 stays");
	CHECK_ERR(w_fs(&w, WFS_RENAME, RW "/sub/r4", RW "/r4", 0), 0, "rename across rw dirs");
	CHECK(!strcmp(content(RW "/r4", buf, sizeof(buf)), "r4"), "rw/r4 holds r4");
	worker_stop(&w);
}

KTEST(tree_rename_exchange)
{
	struct worker w;
	char buf[64];

	if (!start(&w, "lg-exchange", false))
		return;
	put(RW "/e1", "e1");
	put(RO "/e2", "e2");
	put(RW "/e3", "e3");
	put(RW "/sub/e4", "e4");
	DENIED(&w, w_fs(&w, WFS_RENAME, RW "/e1", RO "/e2", RENAME_EXCHANGE), LG_HOOK_PATH_RENAME,
	       LG_REASON_NOT_ALLOWED, RO "/e2", "exchange of rw and ro files");
	CHECK(!strcmp(content(RO "/e2", buf, sizeof(buf)), "e2"), "ro/e2 unchanged");
	CHECK(!strcmp(content(RW "/e1", buf, sizeof(buf)), "e1"), "rw/e1 unchanged");
	CHECK_ERR(w_fs(&w, WFS_RENAME, RW "/e3", RW "/sub/e4", RENAME_EXCHANGE), 0,
		  "exchange within rw");
	CHECK(!strcmp(content(RW "/e3", buf, sizeof(buf)), "e4"), "rw/e3 now holds e4");
	worker_stop(&w);
}

/*
 * Refer alone: a device-only folder may receive a char device by mknod,
 * not by a move across directories, which asks refer there too.
 */
KTEST(tree_refer_needed_across_directories)
{
	static const char *devonly[] = { DEV "/", T "/devonly/" };
	struct lg_grant_spec s = fx_spec(60000);
	const struct lg_event *ev;
	struct worker w;

	tree_reset();
	mkdir(T "/devonly", 0755);
	s.rules[LG_RULE_WRITE] = STRV(rules_write);
	s.rules[LG_RULE_DEVICE] = STRV(devonly);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-refer") == 0, "start worker");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, T "/devonly/made", NULL, S_IFCHR | 0600), 0,
		  "mknod of a char device in the device-only folder");
	CHECK(S_ISCHR(mode_of(T "/devonly/made")), "devonly/made is a char device");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, DEV "/moved", NULL, S_IFCHR | 0600), 0,
		  "mknod of a char device in rw/dev");
	DENIED(&w, w_fs(&w, WFS_RENAME, DEV "/moved", T "/devonly/moved", 0), LG_HOOK_PATH_RENAME,
	       LG_REASON_NOT_ALLOWED, T "/devonly/moved", "move into a folder without refer");
	ev = fx_wait_event_at(w.pid, LG_HOOK_PATH_RENAME, LG_REASON_NOT_ALLOWED, T "/devonly/moved",
			      100);
	if (CHECK(ev != NULL, "event"))
		CHECK(ev->access == (LG_FILE_MAKE_CHAR | LG_FILE_REFER),
		      "asked make_char,refer at the new directory (access=0x%x)", ev->access);
	CHECK(exists(DEV "/moved") && !exists(T "/devonly/moved"), "rw/dev/moved stays");
	worker_stop(&w);
}

/* Rules below the destination would newly cover a moved directory's files. */
KTEST(tree_rename_dir_onto_rules)
{
	struct worker w;

	if (!start(&w, "lg-mvdir", true))
		return;
	mkdir(RW "/dd", 0755);
	put(RW "/dd/tool", "#!/bin/sh\n");
	mkdir(RW "/ee", 0755);
	DENIED(&w, w_fs(&w, WFS_RENAME, RW "/dd", RW "/tools", 0), LG_HOOK_PATH_RENAME,
	       LG_REASON_REFER_WIDENS, RW "/tools", "directory moved above an exec rule");
	CHECK(exists(RW "/dd/tool") && !exists(RW "/tools"), "rw/dd stays");
	CHECK_ERR(w_fs(&w, WFS_RENAME, RW "/ee", RW "/ff", 0), 0, "directory moved in rw");
	CHECK(exists(RW "/ff") && !exists(RW "/ee"), "rw/ee is now rw/ff");
	/*
	 * Refer is granted at both ends, but a file of rw/ would gain exec
	 * at its new name: refused both as a link and as a rename.
	 */
	mkdir(RW "/tools", 0755);
	mkdir(RW "/tools/bin", 0755);
	put(RW "/z1", "z1");
	put(RW "/z2", "z2");
	DENIED(&w, w_fs(&w, WFS_LINK, RW "/z1", RW "/tools/bin/z1", 0), LG_HOOK_PATH_LINK,
	       LG_REASON_REFER_WIDENS, RW "/tools/bin/z1", "link that would add exec");
	CHECK(!exists(RW "/tools/bin/z1"), "rw/tools/bin/z1 not made");
	DENIED(&w, w_fs(&w, WFS_RENAME, RW "/z2", RW "/tools/bin/z2", 0), LG_HOOK_PATH_RENAME,
	       LG_REASON_REFER_WIDENS, RW "/tools/bin/z2", "rename that would add exec");
	CHECK(exists(RW "/z2") && !exists(RW "/tools/bin/z2"), "rw/z2 stays");
	worker_stop(&w);
}

KTEST(tree_attributes)
{
	struct worker w;

	if (!start(&w, "lg-attr", false))
		return;
	put(RW "/t1", "data");
	put(RO "/t2", "data");
	put(RW "/c1", "x");
	put(RO "/c2", "x");
	put(RW "/o1", "x");
	put(RO "/o2", "x");
	CHECK_ERR(w_fs(&w, WFS_TRUNCATE, RW "/t1", NULL, 0), 0, "truncate in rw");
	CHECK(size_of(RW "/t1") == 0, "rw/t1 emptied");
	DENIED(&w, w_fs(&w, WFS_TRUNCATE, RO "/t2", NULL, 0), LG_HOOK_PATH_TRUNCATE,
	       LG_REASON_NOT_ALLOWED, RO "/t2", "truncate of a read-only file");
	CHECK(size_of(RO "/t2") == 4, "ro/t2 keeps its 4 bytes");
	CHECK_ERR(w_fs(&w, WFS_CHMOD, RW "/c1", NULL, 0600), 0, "chmod in rw");
	CHECK((mode_of(RW "/c1") & 07777) == 0600, "rw/c1 is 0600");
	DENIED(&w, w_fs(&w, WFS_CHMOD, RO "/c2", NULL, 0777), LG_HOOK_PATH_CHMOD,
	       LG_REASON_NOT_ALLOWED, RO "/c2", "chmod of a read-only file");
	CHECK((mode_of(RO "/c2") & 07777) == 0644, "ro/c2 keeps 0644");
	CHECK_ERR(w_fs(&w, WFS_CHOWN, RW "/o1", NULL, 1234), 0, "chown in rw");
	{
		struct stat st;

		CHECK(stat(RW "/o1", &st) == 0 && st.st_uid == 1234, "rw/o1 owned by 1234");
	}
	DENIED(&w, w_fs(&w, WFS_CHOWN, RO "/o2", NULL, 1234), LG_HOOK_PATH_CHOWN,
	       LG_REASON_NOT_ALLOWED, RO "/o2", "chown of a read-only file");
	{
		struct stat st;

		CHECK(stat(RO "/o2", &st) == 0 && st.st_uid == 0, "ro/o2 still owned by root");
	}
	worker_stop(&w);
}

/* A non-agent does all of the above where agents may not: untouched. */
KTEST(tree_non_agent_untouched)
{
	struct worker w;

	tree_reset();
	REQUIRE(grant_tree(false) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_OTHER, "lg-other") == 0, "start non-agent");
	put(RO "/n1", "x");
	put(RO "/n2", "x");
	put(OUT "/n3", "x");
	put(RO "/n4", "x");
	CHECK_ERR(w_fs(&w, WFS_UNLINK, RO "/n1", NULL, 0), 0, "unlink");
	CHECK_ERR(w_fs(&w, WFS_MKDIR, OUT "/nd", NULL, 0), 0, "mkdir");
	CHECK_ERR(w_fs(&w, WFS_MKNOD, RO "/nc", NULL, S_IFCHR | 0600), 0, "mknod char");
	CHECK_ERR(w_fs(&w, WFS_LINK, OUT "/n3", RW "/n3", 0), 0, "link");
	CHECK_ERR(w_fs(&w, WFS_RENAME, RO "/n2", RW "/n2", 0), 0, "rename");
	CHECK_ERR(w_fs(&w, WFS_TRUNCATE, RO "/n4", NULL, 0), 0, "truncate");
	CHECK_ERR(w_fs(&w, WFS_CHMOD, RO "/n4", NULL, 0600), 0, "chmod");
	CHECK_ERR(w_open(&w, OUT "/ncreat", O_WRONLY | O_CREAT), 0, "O_CREAT");
	CHECK(!exists(RO "/n1") && exists(OUT "/nd") && exists(RW "/n3") && exists(RW "/n2") &&
		      size_of(RO "/n4") == 0 && exists(OUT "/ncreat"),
	      "every change took effect");
	CHECK(fx_count_events(w.pid, 300) == 0, "no event about a non-agent");
	worker_stop(&w);
}

/* Paths the walk cannot build whole are denied, with the reason. */
KTEST(tree_unresolved_paths_denied)
{
	static char deep[LG_PATH_MAX];
	struct worker w;
	size_t len;

	if (!start(&w, "lg-unres", false))
		return;
	/* One more directory than LG_PATH_MAX_COMPONENTS names in all. */
	snprintf(deep, sizeof(deep), "%s", RW);
	for (int i = 0; i < LG_PATH_MAX_COMPONENTS; i++) {
		len = strlen(deep);
		snprintf(deep + len, sizeof(deep) - len, "/d");
		mkdir(deep, 0755);
	}
	len = strlen(deep);
	snprintf(deep + len, sizeof(deep) - len, "/f");
	put(deep, "x");
	REQUIRE(exists(deep), "make a %zu-byte path deeper than the walk's bound", strlen(deep));
	DENIED(&w, w_fs(&w, WFS_UNLINK, deep, NULL, 0), LG_HOOK_PATH_UNLINK,
	       LG_REASON_PATH_TOO_DEEP, "", "unlink deeper than LG_PATH_MAX_COMPONENTS");
	CHECK(exists(deep), "the deep file is still there");
	/* Pipes and memfds live on internal mounts: no path reaches the root. */
	DENIED(&w, w_fs(&w, WFS_FCHMOD_PIPE, "", NULL, 0), LG_HOOK_PATH_CHMOD,
	       LG_REASON_PATH_UNRESOLVED, "", "fchmod of a pipe");
	DENIED(&w, w_fs(&w, WFS_FCHMOD_MEMFD, "", NULL, 0), LG_HOOK_PATH_CHMOD,
	       LG_REASON_PATH_UNRESOLVED, "", "fchmod of a memfd");
	worker_stop(&w);
}

/* Audit mode: the new hooks report and allow. */
KTEST(tree_audit_mode)
{
	struct lg_grant_spec s = fx_spec(60000);
	const struct lg_event *ev;
	struct worker w;

	tree_reset();
	put(RO "/a1", "x");
	s.rules[LG_RULE_READ] = STRV(rules_read);
	s.mode = LG_MODE_AUDIT;
	REQUIRE(lg_grant_install(fx, fx_a2, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A2, "lg-taudit") == 0, "start worker");
	CHECK_ERR(w_fs(&w, WFS_UNLINK, RO "/a1", NULL, 0), 0, "audit mode allows the unlink");
	CHECK(!exists(RO "/a1"), "ro/a1 is gone");
	ev = fx_wait_event_at(w.pid, LG_HOOK_PATH_UNLINK, LG_REASON_NOT_ALLOWED, RO "/a1", 2000);
	if (CHECK(ev != NULL, "audit event"))
		CHECK(ev->action == LG_ACTION_AUDITED, "action audited, got %u", ev->action);
	/* The dentry-only decisions too: the time change is reported and made. */
	put(RO "/a2", "x");
	age(RO "/a2");
	CHECK_ERR(w_call(&w, a_utimensat, 0, 0, RO "/a2"), 0, "audit mode allows the utimensat");
	CHECK(mtime_of(RO "/a2") == NEW_TIME, "ro/a2 mtime set");
	ev = fx_wait_event_at(w.pid, LG_HOOK_INODE_SETATTR, LG_REASON_NOT_ALLOWED, RO "/a2", 2000);
	if (CHECK(ev != NULL, "audit event inode_setattr"))
		CHECK(ev->action == LG_ACTION_AUDITED && ev->access == LG_FILE_CHANGE_ATTR,
		      "action audited (%u), change_attr asked (0x%x)", ev->action, ev->access);
	worker_stop(&w);
}

/* ---- extended attributes, ACLs and watches ------------------------------ */

#define ACL_XATTR "system.posix_acl_access"

/*
 * `setfacl -m u:1000:rw` in its xattr form (linux/posix_acl_xattr.h,
 * version 2, little-endian): u::rw, u:1000:rw, g::r, m::rw, o::r. The named
 * user makes it more than the mode bits, so the kernel stores it.
 */
static const struct {
	uint32_t version;
	struct {
		uint16_t tag, perm;
		uint32_t id;
	} e[5];
} acl_blob = {
	2,
	{ { 0x01, 6, ~0u }, { 0x02, 6, 1000 }, { 0x04, 4, ~0u }, { 0x10, 6, ~0u }, { 0x20, 4, ~0u } }
};

static int a_set_acl(const struct worker_req *r)
{
	return setxattr(r->path, ACL_XATTR, &acl_blob, sizeof(acl_blob), 0) ? errno : 0;
}

static int a_remove_acl(const struct worker_req *r)
{
	return removexattr(r->path, ACL_XATTR) ? errno : 0;
}

static int a_set_security(const struct worker_req *r)
{
	return setxattr(r->path, "security.test", "v", 1, 0) ? errno : 0;
}

static int a_watch(const struct worker_req *r)
{
	int fd = inotify_init1(IN_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	ret = inotify_add_watch(fd, r->path, IN_CREATE | IN_MODIFY) < 0 ? errno : 0;
	close(fd);
	return ret;
}

/* The size of @path's access ACL, -1 without one. */
static ssize_t acl_size(const char *path)
{
	return getxattr(path, ACL_XATTR, NULL, 0);
}

/* 6.1 changes ACLs through the xattr hooks, 6.2+ through inode_set_acl/remove_acl. */
static bool acls_are_xattrs(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 2);
}

static bool is_op(const struct lg_event *ev, const void *arg)
{
	return ev->target_kind == LG_TARGET_OP && ev->target_domain == *(const uint32_t *)arg;
}

/* A confined denial: EACCES and the event of @hook with operation @op. */
static void confined(struct worker *w, int got, int hook, uint32_t op, const char *what)
{
	if (CHECK_ERR(got, EACCES, what))
		CHECK(fx_wait_event_if(w->pid, hook, LG_REASON_CONFINED, is_op, &op, 2000) != NULL,
		      "%s: event %s/confined op %u", what, lg_hook_name(hook), op);
}

/* setfacl is chmod by another name: agents may change no ACL, in or out of the grant. */
KTEST(tree_xattr_acl_security)
{
	bool old = acls_are_xattrs();
	int set_hook = old ? LG_HOOK_INODE_SETXATTR : LG_HOOK_INODE_SET_ACL;
	int rm_hook = old ? LG_HOOK_INODE_REMOVEXATTR : LG_HOOK_INODE_REMOVE_ACL;
	struct worker w;
	char buf[8];
	int got;

	if (!start(&w, "lg-xattr", false))
		return;
	put(OUT "/x1", "secret");
	put(RW "/x2", "x");
	put(OUT "/x3", "x");
	put(OUT "/x4", "x");
	REQUIRE(acl_size(OUT "/x1") < 0 && errno == ENODATA, "out/x1 starts without an ACL");
	confined(&w, w_call(&w, a_set_acl, 0, 0, OUT "/x1"), set_hook, 1,
		 "setfacl on a file outside the grant");
	CHECK(acl_size(OUT "/x1") < 0 && errno == ENODATA, "out/x1 still has no ACL");
	confined(&w, w_call(&w, a_set_acl, 0, 0, RW "/x2"), set_hook, 1,
		 "setfacl on a file of the write folder");
	CHECK(acl_size(RW "/x2") < 0 && errno == ENODATA, "rw/x2 still has no ACL");
	/* An ACL the host set stays. */
	REQUIRE(setxattr(OUT "/x3", ACL_XATTR, &acl_blob, sizeof(acl_blob), 0) == 0,
		"host sets an ACL on out/x3: %s", strerror(errno));
	confined(&w, w_call(&w, a_remove_acl, 0, 0, OUT "/x3"), rm_hook, 1, "removal of an ACL");
	CHECK(acl_size(OUT "/x3") == (ssize_t)sizeof(acl_blob), "out/x3 keeps its ACL");
	/*
	 * 6.1 asks the LSMs before the capability check of security.* (a
	 * confined inode_setxattr); later kernels ask CAP_SYS_ADMIN first,
	 * which the capable hook denies (EPERM). Either way livegrant said no.
	 */
	got = w_call(&w, a_set_security, 0, 0, OUT "/x4");
	if (old || got != EPERM)
		confined(&w, got, LG_HOOK_INODE_SETXATTR, 2, "security.test xattr");
	else
		CHECK(fx_wait_event(w.pid, LG_HOOK_CAPABLE, LG_REASON_CONFINED, 2000) != NULL,
		      "security.test xattr: EPERM, event capable/confined");
	CHECK(getxattr(OUT "/x4", "security.test", buf, sizeof(buf)) < 0 && errno == ENODATA,
	      "out/x4 has no security.test");
	/* chmod in the write folder is still granted. */
	CHECK_ERR(w_fs(&w, WFS_CHMOD, RW "/x2", NULL, 0600), 0, "chmod in rw");
	worker_stop(&w);
}

/* A watch reveals a folder's names: it asks the read right there. */
KTEST(tree_notify)
{
	struct worker w;

	if (!start(&w, "lg-notify", false))
		return;
	put(OUT "/f", "x");
	put(RO "/f", "x");
	DENIED(&w, w_call(&w, a_watch, 0, 0, OUT), LG_HOOK_PATH_NOTIFY, LG_REASON_NOT_ALLOWED, OUT,
	       "inotify watch on a folder outside the grant");
	DENIED(&w, w_call(&w, a_watch, 0, 0, OUT "/f"), LG_HOOK_PATH_NOTIFY, LG_REASON_NOT_ALLOWED,
	       OUT "/f", "inotify watch on a file outside the grant");
	CHECK_ERR(w_call(&w, a_watch, 0, 0, RO), 0, "watch on the read folder");
	CHECK_ERR(w_call(&w, a_watch, 0, 0, RO "/f"), 0, "watch on a file of the read folder");
	CHECK_ERR(w_call(&w, a_watch, 0, 0, RW), 0, "watch on the write folder");
	worker_stop(&w);
}

/* Audit mode: the ACL change is reported and made. */
KTEST(tree_xattr_audit_mode)
{
	int hook = acls_are_xattrs() ? LG_HOOK_INODE_SETXATTR : LG_HOOK_INODE_SET_ACL;
	struct lg_grant_spec s = fx_spec(60000);
	const struct lg_event *ev;
	struct worker w;

	tree_reset();
	put(OUT "/z1", "x");
	s.rules[LG_RULE_READ] = STRV(rules_read);
	s.mode = LG_MODE_AUDIT;
	REQUIRE(lg_grant_install(fx, fx_a2, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A2, "lg-xaudit") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_set_acl, 0, 0, OUT "/z1"), 0, "audit mode allows the setfacl");
	CHECK(acl_size(OUT "/z1") == (ssize_t)sizeof(acl_blob), "out/z1 has the ACL");
	ev = fx_wait_event(w.pid, hook, LG_REASON_CONFINED, 2000);
	if (CHECK(ev != NULL, "audit event %s/confined", lg_hook_name(hook)))
		CHECK(ev->action == LG_ACTION_AUDITED, "action audited, got %u", ev->action);
	worker_stop(&w);
}

/* A non-agent sets ACLs and security xattrs and watches anything. */
KTEST(tree_xattr_notify_non_agent)
{
	struct worker w;
	char buf[8];

	tree_reset();
	REQUIRE(grant_tree(false) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_OTHER, "lg-oxattr") == 0, "start non-agent");
	put(OUT "/y1", "x");
	CHECK_ERR(w_call(&w, a_set_acl, 0, 0, OUT "/y1"), 0, "setfacl");
	CHECK(acl_size(OUT "/y1") == (ssize_t)sizeof(acl_blob), "out/y1 has the ACL");
	CHECK_ERR(w_call(&w, a_remove_acl, 0, 0, OUT "/y1"), 0, "ACL removal");
	CHECK(acl_size(OUT "/y1") < 0 && errno == ENODATA, "out/y1 has no ACL again");
	CHECK_ERR(w_call(&w, a_set_security, 0, 0, OUT "/y1"), 0, "security.test");
	CHECK(getxattr(OUT "/y1", "security.test", buf, sizeof(buf)) == 1, "out/y1 has it");
	CHECK_ERR(w_call(&w, a_watch, 0, 0, OUT), 0, "watch outside the grant");
	CHECK(fx_count_events(w.pid, 300) == 0, "no event about a non-agent");
	worker_stop(&w);
}

/* ---- utimes and user.* xattrs: decided at the file's paths -------------- */

/* futimens() through a descriptor opened for reading only. */
static int a_futimens_rdonly(const struct worker_req *r)
{
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	ret = futimens(fd, new_times) ? errno : 0;
	close(fd);
	return ret;
}

/* `touch FILE`: the times set to now (utimensat with no times, ATTR_TOUCH). */
static int a_touch_now(const struct worker_req *r)
{
	return utimensat(AT_FDCWD, r->path, NULL, 0) ? errno : 0;
}

/* `touch -d @NEW_TIME FILE`, the busybox applet itself: its exit status (1000 + status). */
static int a_touch_d(const struct worker_req *r)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		execl("/bin/touch", "touch", "-d", "@1000000", r->path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1000 + WEXITSTATUS(status);
}

/* futimens() of a new memfd: a file of no mount anyone can name. */
static int a_memfd_futimens(const struct worker_req *r)
{
	int fd = memfd_create("lg-attr", MFD_CLOEXEC);
	int ret;

	(void)r;
	if (fd < 0)
		return errno;
	ret = futimens(fd, new_times) ? errno : 0;
	close(fd);
	return ret;
}

static int a_set_user(const struct worker_req *r)
{
	return setxattr(r->path, USER_XATTR, "agent", 5, 0) ? errno : 0;
}

static int a_remove_user(const struct worker_req *r)
{
	return removexattr(r->path, USER_XATTR) ? errno : 0;
}

/* The value of @path's USER_XATTR into @buf ("" without one). */
static const char *user_xattr(const char *path, char *buf, size_t size)
{
	ssize_t n = getxattr(path, USER_XATTR, buf, size - 1);

	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/*
 * tmpfs (FX_DIR) stores user.* xattrs from 6.6 on; before, the kernel
 * refuses them with EOPNOTSUPP after the LSMs allowed the change.
 */
static bool tmpfs_user_xattrs(void)
{
	char buf[8];

	put(FX_DIR "/xattr-probe", "x");
	return setxattr(FX_DIR "/xattr-probe", USER_XATTR, "h", 1, 0) == 0 &&
	       !strcmp(user_xattr(FX_DIR "/xattr-probe", buf, sizeof(buf)), "h");
}

static int grant_tree_touch(void)
{
	static const char *exec_busybox[] = { "/bin/busybox" };
	struct lg_grant_spec s = fx_spec(60000);

	s.rules[LG_RULE_READ] = STRV(rules_read);
	s.rules[LG_RULE_WRITE] = STRV(rules_write);
	s.rules[LG_RULE_EXEC] = STRV(exec_busybox);
	return lg_grant_install(fx, fx_a1, &s, NULL);
}

/* A denied time change: EACCES (or touch's failure), the event at @path, the mtime kept. */
#define TIME_DENIED(w, got, want, path, what)                                                      \
	do {                                                                                       \
		DENIED_AS(w, got, want, LG_HOOK_INODE_SETATTR, LG_REASON_NOT_ALLOWED, path, what); \
		CHECK(mtime_of(path) == OLD_TIME, "%s: mtime of %s kept (%ld)", what, path,        \
		      (long)mtime_of(path));                                                       \
	} while (0)

#define DENIED_AS(w, got, want, hook, reason, target, what)                                   \
	do {                                                                                  \
		if (CHECK_ERR((got), (want), (what)))                                         \
			CHECK(fx_wait_event_at((w)->pid, (hook), (reason), (target), 2000) != \
				      NULL,                                                   \
			      "%s: event %s/%s at %s", (what), lg_hook_name(hook),            \
			      lg_reason_name(reason), (target));                              \
	} while (0)

/* utimes, utimensat, futimens and touch: change_attr at the file. */
KTEST(tree_utimes)
{
	static const char *files[] = { RO "/u1", RO "/u2", RO "/u3", RO "/u4", OUT "/u5",
				       RW "/u6", RW "/u7", RW "/u8", RW "/u9" };
	struct worker anyone = { .pid = 0 };
	struct worker w;

	tree_reset();
	REQUIRE(grant_tree_touch() == 0, "grant: %s", lg_errmsg());
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		put(files[i], "x");
		age(files[i]);
	}
	REQUIRE(mtime_of(RO "/u1") == OLD_TIME, "files start at mtime %d", OLD_TIME);
	REQUIRE(worker_start(&w, FX_A1, "lg-utimes") == 0, "start worker");
	TIME_DENIED(&w, w_call(&w, a_utimensat, 0, 0, RO "/u1"), EACCES, RO "/u1",
		    "utimensat of a read-only file");
	TIME_DENIED(&w, w_call(&w, a_futimens_rdonly, 0, 0, RO "/u2"), EACCES, RO "/u2",
		    "futimens through an O_RDONLY descriptor of a read-only file");
	TIME_DENIED(&w, w_call(&w, a_touch_now, 0, 0, RO "/u3"), EACCES, RO "/u3",
		    "touch (now) of a read-only file");
	/* touch is the worker's child: its event comes from another pid. */
	TIME_DENIED(&anyone, w_call(&w, a_touch_d, 0, 0, RO "/u4"), 1001, RO "/u4",
		    "touch -d of a read-only file");
	TIME_DENIED(&w, w_call(&w, a_utimensat, 0, 0, OUT "/u5"), EACCES, OUT "/u5",
		    "utimensat outside the grant");

	CHECK_ERR(w_call(&w, a_utimensat, 0, 0, RW "/u6"), 0, "utimensat in rw");
	CHECK(mtime_of(RW "/u6") == NEW_TIME, "rw/u6 mtime set (%ld)", (long)mtime_of(RW "/u6"));
	CHECK_ERR(w_call(&w, a_futimens_rdonly, 0, 0, RW "/u7"), 0,
		  "futimens through an O_RDONLY descriptor in rw");
	CHECK(mtime_of(RW "/u7") == NEW_TIME, "rw/u7 mtime set (%ld)", (long)mtime_of(RW "/u7"));
	CHECK_ERR(w_call(&w, a_touch_now, 0, 0, RW "/u8"), 0, "touch (now) in rw");
	CHECK(mtime_of(RW "/u8") > NEW_TIME, "rw/u8 mtime now (%ld)", (long)mtime_of(RW "/u8"));
	CHECK_ERR(w_call(&w, a_touch_d, 0, 0, RW "/u9"), 0, "touch -d in rw");
	CHECK(mtime_of(RW "/u9") == NEW_TIME, "rw/u9 mtime set (%ld)", (long)mtime_of(RW "/u9"));

	/* Writes still pass inode_setattr's neighbours: a write and an ftruncate in rw work. */
	CHECK_ERR(w_fs(&w, WFS_TRUNCATE, RW "/u6", NULL, 0), 0, "truncate in rw");
	/* No mount anyone can name: not the file tree. */
	CHECK_ERR(w_call(&w, a_memfd_futimens, 0, 0, ""), 0, "futimens of a memfd");
	worker_stop(&w);
}

/* user.* xattrs: change_attr at the file. */
KTEST(tree_xattr_user)
{
	bool stored = tmpfs_user_xattrs();
	int allowed = stored ? 0 : EOPNOTSUPP;
	struct worker w;
	char buf[16];

	if (!start(&w, "lg-uxattr", false))
		return;
	put(RO "/v1", "x");
	put(RO "/v2", "x");
	put(OUT "/v3", "x");
	put(RW "/v4", "x");
	put(RW "/v5", "x");
	if (stored) {
		REQUIRE(setxattr(RO "/v2", USER_XATTR, "host", 4, 0) == 0, "host sets ro/v2's");
		REQUIRE(setxattr(RW "/v5", USER_XATTR, "host", 4, 0) == 0, "host sets rw/v5's");
	}
	DENIED_AS(&w, w_call(&w, a_set_user, 0, 0, RO "/v1"), EACCES, LG_HOOK_INODE_SETXATTR,
		  LG_REASON_NOT_ALLOWED, RO "/v1", "user.* setxattr on a read-only file");
	CHECK(!strcmp(user_xattr(RO "/v1", buf, sizeof(buf)), ""), "ro/v1 has no user.lg");
	DENIED_AS(&w, w_call(&w, a_set_user, 0, 0, OUT "/v3"), EACCES, LG_HOOK_INODE_SETXATTR,
		  LG_REASON_NOT_ALLOWED, OUT "/v3", "user.* setxattr outside the grant");
	CHECK(!strcmp(user_xattr(OUT "/v3", buf, sizeof(buf)), ""), "out/v3 has no user.lg");
	if (stored) {
		DENIED_AS(&w, w_call(&w, a_remove_user, 0, 0, RO "/v2"), EACCES,
			  LG_HOOK_INODE_REMOVEXATTR, LG_REASON_NOT_ALLOWED, RO "/v2",
			  "user.* removexattr on a read-only file");
		CHECK(!strcmp(user_xattr(RO "/v2", buf, sizeof(buf)), "host"),
		      "ro/v2 keeps its user.lg");
	} else {
		/* Nothing to remove on this kernel's tmpfs: the LSM still decides first. */
		DENIED_AS(&w, w_call(&w, a_remove_user, 0, 0, RO "/v2"), EACCES,
			  LG_HOOK_INODE_REMOVEXATTR, LG_REASON_NOT_ALLOWED, RO "/v2",
			  "user.* removexattr on a read-only file");
	}
	CHECK_ERR(w_call(&w, a_set_user, 0, 0, RW "/v4"), allowed, "user.* setxattr in rw");
	if (stored)
		CHECK(!strcmp(user_xattr(RW "/v4", buf, sizeof(buf)), "agent"),
		      "rw/v4 has the agent's user.lg");
	CHECK_ERR(w_call(&w, a_remove_user, 0, 0, RW "/v5"), stored ? 0 : EOPNOTSUPP,
		  "user.* removexattr in rw");
	if (stored)
		CHECK(!strcmp(user_xattr(RW "/v5", buf, sizeof(buf)), ""), "rw/v5's user.lg gone");
	CHECK(fx_count_events(w.pid, 300) == 3, "three events, none for the allowed changes");
	worker_stop(&w);
}

static bool at_o1(const struct lg_event *ev, const void *arg)
{
	(void)arg;
	return ev->target_kind == LG_TARGET_PATH &&
	       (!strcmp(ev->target, OUT "/only/o1") || !strcmp(ev->target, RO "/view/o1"));
}

/*
 * One file, two paths: out/shared/ bind-mounted (by the harness, before the
 * agent runs) at rw/via/ and at ro/view/. A file of the bind at rw/via is
 * granted change_attr there, so the agent may change it by any path; one
 * reachable only through out/ and ro/ may not be changed by either.
 */
KTEST(tree_attr_bind_paths)
{
	struct worker w;

	tree_reset();
	REQUIRE(grant_tree(false) == 0, "grant: %s", lg_errmsg());
	REQUIRE(system("mkdir -p " OUT "/shared " OUT "/only " RW "/via " RO "/view") == 0,
		"make the folders");
	put(OUT "/shared/s1", "x");
	put(OUT "/shared/s2", "x");
	put(OUT "/only/o1", "x");
	age(OUT "/shared/s1");
	age(OUT "/shared/s2");
	age(OUT "/only/o1");
	REQUIRE(mount(OUT "/shared", RW "/via", NULL, MS_BIND, NULL) == 0, "bind at rw/via: %s",
		strerror(errno));
	REQUIRE(mount(OUT "/only", RO "/view", NULL, MS_BIND, NULL) == 0, "bind at ro/view: %s",
		strerror(errno));
	if (worker_start(&w, FX_A1, "lg-bind") == 0) {
		CHECK_ERR(w_call(&w, a_utimensat, 0, 0, OUT "/shared/s1"), 0,
			  "utimensat by the forbidden path of a file rw/via also reaches");
		CHECK(mtime_of(OUT "/shared/s1") == NEW_TIME, "s1 mtime set");
		CHECK_ERR(w_call(&w, a_utimensat, 0, 0, RW "/via/s2"), 0,
			  "utimensat by the allowed path");
		CHECK(mtime_of(OUT "/shared/s2") == NEW_TIME, "s2 mtime set");
		/*
		 * Denied at every path: the event names the first the search
		 * met, the original mount's (6.x lists a filesystem's mounts
		 * oldest first) or the bind's (7.x, newest first).
		 */
		CHECK_ERR(w_call(&w, a_utimensat, 0, 0, RO "/view/o1"), EACCES,
			  "utimensat of a file reachable only by ro/ and out/");
		CHECK(fx_wait_event_if(w.pid, LG_HOOK_INODE_SETATTR, LG_REASON_NOT_ALLOWED, at_o1,
				       NULL, 2000) != NULL,
		      "event inode_setattr/not_allowed at out/only/o1 or ro/view/o1");
		CHECK(mtime_of(RO "/view/o1") == OLD_TIME, "o1 mtime kept");
		worker_stop(&w);
	}
	umount2(RO "/view", MNT_DETACH);
	umount2(RW "/via", MNT_DETACH);
}

/* A descriptor the worker keeps between calls (the worker is one process). */
static int kept_fd = -1;

static int a_keep_open(const struct worker_req *r)
{
	kept_fd = open(r->path, O_RDONLY | O_CLOEXEC);
	return kept_fd < 0 ? errno : 0;
}

static int a_futimens_kept(const struct worker_req *r)
{
	int ret;

	(void)r;
	ret = futimens(kept_fd, new_times) ? errno : 0;
	close(kept_fd);
	kept_fd = -1;
	return ret;
}

/*
 * A file whose mount was detached (umount -l) after the agent opened it:
 * no mount of its namespace holds it any more, so no path can be checked
 * and the change is denied (path_unresolved), even though the folder it
 * was in is granted write.
 */
KTEST(tree_attr_no_path_denied)
{
	struct worker w;

	tree_reset();
	REQUIRE(grant_tree(false) == 0, "grant: %s", lg_errmsg());
	REQUIRE(mkdir(RW "/gone", 0755) == 0, "mkdir rw/gone");
	REQUIRE(mount("tmpfs", RW "/gone", "tmpfs", 0, "size=1m") == 0, "tmpfs: %s",
		strerror(errno));
	put(RW "/gone/f", "x");
	if (worker_start(&w, FX_A1, "lg-detach") == 0) {
		CHECK_ERR(w_call(&w, a_keep_open, 0, 0, RW "/gone/f"), 0, "open rw/gone/f");
		CHECK(umount2(RW "/gone", MNT_DETACH) == 0, "detach rw/gone: %s", strerror(errno));
		DENIED_AS(&w, w_call(&w, a_futimens_kept, 0, 0, ""), EACCES, LG_HOOK_INODE_SETATTR,
			  LG_REASON_PATH_UNRESOLVED, "", "futimens of a file of a detached mount");
		worker_stop(&w);
	}
	umount2(RW "/gone", MNT_DETACH);
}

/* A non-agent sets times and user.* xattrs anywhere: untouched. */
KTEST(tree_attr_non_agent_untouched)
{
	bool stored = tmpfs_user_xattrs();
	struct worker w;

	tree_reset();
	REQUIRE(grant_tree(false) == 0, "grant: %s", lg_errmsg());
	put(RO "/w1", "x");
	put(OUT "/w2", "x");
	age(RO "/w1");
	age(OUT "/w2");
	REQUIRE(worker_start(&w, FX_OTHER, "lg-oattr") == 0, "start non-agent");
	CHECK_ERR(w_call(&w, a_utimensat, 0, 0, RO "/w1"), 0, "utimensat of ro/w1");
	CHECK(mtime_of(RO "/w1") == NEW_TIME, "ro/w1 mtime set");
	CHECK_ERR(w_call(&w, a_futimens_rdonly, 0, 0, OUT "/w2"), 0, "futimens of out/w2");
	CHECK(mtime_of(OUT "/w2") == NEW_TIME, "out/w2 mtime set");
	CHECK_ERR(w_call(&w, a_set_user, 0, 0, OUT "/w2"), stored ? 0 : EOPNOTSUPP,
		  "user.* setxattr");
	CHECK(fx_count_events(w.pid, 300) == 0, "no event about a non-agent");
	worker_stop(&w);
}

/* ---- the path walk against bpf_d_path() --------------------------------- */

/*
 * Open @path from an agent without a grant (denied, so file_open compares
 * its own walk with bpf_d_path()) and require the event to name @want
 * with the walk found equal.
 */
static void walk_equal(struct worker *w, const char *path, int flags, const char *want)
{
	const struct lg_event *ev;

	if (!CHECK_ERR(w_open(w, path, flags), EACCES, path))
		return;
	ev = fx_wait_event_at(w->pid, LG_HOOK_FILE_OPEN, LG_REASON_NO_GRANT, want, 2000);
	if (CHECK(ev != NULL, "event for %s naming %s", path, want))
		CHECK(ev->walk_check == LG_WALK_CHECK_EQUAL, "%s: walk check %u, want equal", want,
		      ev->walk_check);
}

KTEST(tree_walk_equals_d_path)
{
	struct worker w;
	static char deep[LG_PATH_MAX];
	size_t len;
	char proc[64];

	tree_reset();
	REQUIRE(system("mkdir -p " T "/n/a/b/c " T "/bind " T "/tm " T "/over/hidden " T
		       "/m/a/b/hidden && echo x > " T "/n/a/b/c/f && echo x > " T
		       "/over/hidden/h") == 0,
		"make the tree");
	REQUIRE(mount(T "/n", T "/bind", NULL, MS_BIND, NULL) == 0, "bind mount: %s",
		strerror(errno));
	REQUIRE(mount("tmpfs", T "/tm", "tmpfs", 0, "size=1m") == 0, "tmpfs: %s", strerror(errno));
	REQUIRE(system("mkdir -p " T "/tm/x/y && echo x > " T "/tm/x/y/f") == 0, "tmpfs files");
	REQUIRE(mount("tmpfs", T "/over", "tmpfs", 0, "size=1m") == 0, "tmpfs over a dir: %s",
		strerror(errno));
	put(T "/over/top", "x");
	REQUIRE(mount(T "/tm/x", T "/m/a/b", NULL, MS_BIND, NULL) == 0,
		"bind of a tmpfs dir over a dir: %s", strerror(errno));
	REQUIRE(symlink(T "/tm/x", T "/lnk") == 0, "symlink to a dir");
	/* A path of 40 nested components inside the tmpfs. */
	snprintf(deep, sizeof(deep), "%s", T "/tm");
	for (int i = 0; i < 40; i++) {
		len = strlen(deep);
		snprintf(deep + len, sizeof(deep) - len, "/d%02d", i);
		mkdir(deep, 0755);
	}
	len = strlen(deep);
	snprintf(deep + len, sizeof(deep) - len, "/leaf");
	put(deep, "x");

	if (worker_start(&w, FX_A1, "lg-walk") == 0) {
		walk_equal(&w, "/", O_RDONLY | O_DIRECTORY, "/");
		walk_equal(&w, FX_DIR, O_RDONLY | O_DIRECTORY, FX_DIR);
		walk_equal(&w, "/etc/passwd", O_RDONLY, "/etc/passwd");
		walk_equal(&w, "/sys/fs/cgroup/cgroup.procs", O_RDONLY,
			   "/sys/fs/cgroup/cgroup.procs");
		snprintf(proc, sizeof(proc), "/proc/%d/status", (int)w.pid);
		walk_equal(&w, "/proc/self/status", O_RDONLY, proc);
		walk_equal(&w, T "/bind/a/b", O_RDONLY | O_DIRECTORY, T "/bind/a/b");
		walk_equal(&w, T "/bind/a/b/c/f", O_RDONLY, T "/bind/a/b/c/f");
		walk_equal(&w, T "/tm/x/y/f", O_RDONLY, T "/tm/x/y/f");
		walk_equal(&w, T "/tm", O_RDONLY | O_DIRECTORY, T "/tm");
		walk_equal(&w, T "/over/top", O_RDONLY, T "/over/top");
		walk_equal(&w, T "/m/a/b/y/f", O_RDONLY, T "/m/a/b/y/f");
		walk_equal(&w, T "/lnk/y/f", O_RDONLY, T "/tm/x/y/f");
		walk_equal(&w, T "/m/a/../a/./b/y/f", O_RDONLY, T "/m/a/b/y/f");
		walk_equal(&w, deep, O_RDONLY, deep);
		worker_stop(&w);
	}
	umount2(T "/m/a/b", MNT_DETACH);
	umount2(T "/over", MNT_DETACH);
	umount2(T "/tm", MNT_DETACH);
	umount2(T "/bind", MNT_DETACH);
}

/* ---- ioctls that change attributes, leases, the readwrite kind --------- */

/* The numbers bpf/file_attr.bpf.c matches that <linux/fs.h> may lack. */
#define T_FS_IOC32_SETFLAGS 0x40046602u
#define T_FS_IOC_ENABLE_VERITY 0x40806685u
#define T_FS_IOC_REMOVE_ENCRYPTION_KEY 0xc0406618u

/*
 * ioctl(open(path, O_RDONLY), arg as the command) with a zeroed argument
 * that starts with the int @port (the flags of FS_IOC_SETFLAGS).
 */
static int a_ioctl(const struct worker_req *r)
{
	union {
		int flags;
		char bytes[256];
	} u = { .flags = r->port };
	int fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	ret = ioctl(fd, (unsigned int)r->arg, &u) ? errno : 0;
	close(fd);
	return ret;
}

/* FS_IOC_FSSETXATTR adding the xflags @port, on a read-only descriptor. */
static int a_fsxattr(const struct worker_req *r)
{
	struct fsxattr fsx;
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	ret = ioctl(fd, FS_IOC_FSGETXATTR, &fsx) ? errno : 0;
	fsx.fsx_xflags |= (uint32_t)r->port;
	if (!ret)
		ret = ioctl(fd, FS_IOC_FSSETXATTR, &fsx) ? errno : 0;
	close(fd);
	return ret;
}

/* FS_IOC_SETFLAGS on a pipe: no file of the tree. */
static int a_ioctl_pipe(const struct worker_req *r)
{
	int p[2], flags = FS_APPEND_FL, ret;

	(void)r;
	if (pipe2(p, O_CLOEXEC))
		return errno;
	ret = ioctl(p[0], FS_IOC_SETFLAGS, &flags) ? errno : 0;
	close(p[0]);
	close(p[1]);
	return ret;
}

/* The lease the worker holds (workers are forks: this is the worker's). */
static int held_lease = -1;

/*
 * F_SETLEASE of type @arg on a read-only descriptor of @path, kept open
 * with its lease. The kernel makes the caller the owner, whom a lease
 * break sends SIGIO: ignored, not fatal.
 */
static int a_lease(const struct worker_req *r)
{
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);

	signal(SIGIO, SIG_IGN);
	if (fd < 0)
		return errno;
	if (fcntl(fd, F_SETLEASE, r->arg)) {
		int e = errno;

		close(fd);
		return e;
	}
	held_lease = fd;
	return 0;
}

static int a_unlease(const struct worker_req *r)
{
	int ret;

	(void)r;
	if (held_lease < 0)
		return EBADF;
	ret = fcntl(held_lease, F_SETLEASE, F_UNLCK) ? errno : 0;
	close(held_lease);
	held_lease = -1;
	return ret;
}

/* Open, write one byte and read from @path: what /dev/null is for. */
static int a_readwrite(const struct worker_req *r)
{
	int fd = open(r->path, O_RDWR | O_CLOEXEC);
	char c = 'x';
	int ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, &c, 1) != 1 || read(fd, &c, 1) < 0)
		ret = errno;
	close(fd);
	return ret;
}

/* The inode flags of @path (FS_IOC_GETFLAGS), -1 when they cannot be read. */
static int flags_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = -1;

	if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags))
		flags = -1;
	if (fd >= 0)
		close(fd);
	return flags;
}

/* Set @path's inode flags as the harness (no agent): 0 or an errno. */
static int flags_set(const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return errno;
	ret = ioctl(fd, FS_IOC_SETFLAGS, &flags) ? errno : 0;
	close(fd);
	return ret;
}

/* The host (not an agent) can still write @path. */
static bool host_writes(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, "h", 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * chattr through a descriptor open for reading: CHANGE_ATTR at the file,
 * as chmod. /tmp of the test VM is tmpfs, which has FS_IOC_SETFLAGS and
 * FS_IOC_FSSETXATTR (append, immutable, nodump, noatime) since 6.0. +i and
 * +a also need CAP_LINUX_IMMUTABLE, which the capable hook denies agents:
 * ioctl_attr decides before it, and alone for nodump and noatime.
 */
KTEST(tree_ioctl_attr)
{
	struct worker w;
	int before;

	if (!start(&w, "lg-ioctl", false))
		return;
	put(RO "/i1", "keep");
	put(RO "/i2", "keep");
	put(RO "/i3", "keep");
	put(RW "/i4", "x");
	put(RW "/i5", "x");
	before = flags_of(RO "/i1");
	REQUIRE(before >= 0, "FS_IOC_GETFLAGS on tmpfs: %s", strerror(errno));

	DENIED(&w, w_call(&w, a_ioctl, FS_IMMUTABLE_FL, FS_IOC_SETFLAGS, RO "/i1"),
	       LG_HOOK_IOCTL_ATTR, LG_REASON_NOT_ALLOWED, RO "/i1",
	       "chattr +i of a read-only file");
	CHECK(flags_of(RO "/i1") == before, "ro/i1 keeps its flags (%#x)", flags_of(RO "/i1"));
	CHECK(host_writes(RO "/i1"), "the host still writes ro/i1");
	DENIED(&w, w_call(&w, a_ioctl, FS_NODUMP_FL, FS_IOC_SETFLAGS, RO "/i1"), LG_HOOK_IOCTL_ATTR,
	       LG_REASON_NOT_ALLOWED, RO "/i1",
	       "chattr +d (no capability needed) of a read-only file");
	CHECK(flags_of(RO "/i1") == before, "ro/i1 still keeps its flags");
	DENIED(&w, w_call(&w, a_ioctl, FS_APPEND_FL, (int)T_FS_IOC32_SETFLAGS, RO "/i2"),
	       LG_HOOK_IOCTL_ATTR, LG_REASON_NOT_ALLOWED, RO "/i2",
	       "chattr +a with the 32-bit number");
	DENIED(&w, w_call(&w, a_fsxattr, FS_XFLAG_NODUMP, 0, RO "/i2"), LG_HOOK_IOCTL_ATTR,
	       LG_REASON_NOT_ALLOWED, RO "/i2", "FS_IOC_FSSETXATTR nodump of a read-only file");
	CHECK(flags_of(RO "/i2") == before, "ro/i2 keeps its flags");
	CHECK(host_writes(RO "/i2"), "the host still writes ro/i2");
	DENIED(&w, w_call(&w, a_ioctl, 0, (int)T_FS_IOC_ENABLE_VERITY, RO "/i3"),
	       LG_HOOK_IOCTL_ATTR, LG_REASON_NOT_ALLOWED, RO "/i3",
	       "fs-verity on a read-only file");
	DENIED(&w, w_call(&w, a_ioctl, 0, FS_IOC_SETFLAGS, RO), LG_HOOK_IOCTL_ATTR,
	       LG_REASON_NOT_ALLOWED, RO, "chattr of the read folder");

	/* Under the write rule: allowed, and the kernel does it. */
	CHECK_ERR(w_call(&w, a_ioctl, FS_NODUMP_FL, FS_IOC_SETFLAGS, RW "/i4"), 0,
		  "chattr +d in rw");
	CHECK(flags_of(RW "/i4") & FS_NODUMP_FL, "rw/i4 is nodump");
	CHECK_ERR(w_call(&w, a_fsxattr, FS_XFLAG_NOATIME, 0, RW "/i5"), 0,
		  "FS_IOC_FSSETXATTR noatime in rw");
	CHECK(flags_of(RW "/i5") & FS_NOATIME_FL, "rw/i5 is noatime");
	/* Past ioctl_attr, +i meets the capability agents lack. */
	CHECK_ERR(w_call(&w, a_ioctl, FS_IMMUTABLE_FL, FS_IOC_SETFLAGS, RW "/i4"), EPERM,
		  "chattr +i in rw: CAP_LINUX_IMMUTABLE denied");
	CHECK(!(flags_of(RW "/i4") & FS_IMMUTABLE_FL), "rw/i4 is not immutable");
	CHECK(flags_set(RW "/i4", 0) == 0 && flags_set(RW "/i5", 0) == 0, "the host clears them");
	/* Decided, then answered by tmpfs, which has no fs-verity. */
	CHECK_ERR(w_call(&w, a_ioctl, 0, (int)T_FS_IOC_ENABLE_VERITY, RW "/i5"), ENOTTY,
		  "fs-verity in rw reaches tmpfs: ENOTTY");

	/* The key is the filesystem's: refused outright, in the grant too. */
	confined(&w, w_call(&w, a_ioctl, 0, (int)T_FS_IOC_REMOVE_ENCRYPTION_KEY, RW "/i5"),
		 LG_HOOK_IOCTL_ATTR, T_FS_IOC_REMOVE_ENCRYPTION_KEY,
		 "removal of an encryption key");
	/* A pipe is no file of the tree: the kernel's own answer. */
	CHECK_ERR(w_call(&w, a_ioctl_pipe, 0, 0, NULL), ENOTTY, "chattr of a pipe: ENOTTY");
	/* Other ioctls are not this decision: reading the flags is allowed. */
	CHECK_ERR(w_call(&w, a_ioctl, 0, FS_IOC_GETFLAGS, RO "/i1"), 0,
		  "FS_IOC_GETFLAGS of a read-only file");
	/* A non-agent is not decided: the host sets what the agent may not. */
	CHECK(flags_set(RO "/i3", FS_NODUMP_FL) == 0 && (flags_of(RO "/i3") & FS_NODUMP_FL),
	      "the host sets nodump on ro/i3");
	CHECK(flags_set(RO "/i3", 0) == 0, "and clears it");
	worker_stop(&w);
}

/*
 * A lease makes every other opener wait for its holder: it asks the write
 * right. The host's O_NONBLOCK opens show whether a lease is held
 * (EWOULDBLOCK) without waiting for lease-break-time.
 */
KTEST(tree_lease)
{
	struct worker w;
	int fd;

	if (!start(&w, "lg-lease", false))
		return;
	put(RO "/l1", "keep");
	put(RW "/l2", "x");
	put(RW "/l3", "x");
	DENIED(&w, w_call(&w, a_lease, 0, F_RDLCK, RO "/l1"), LG_HOOK_FCNTL_LEASE,
	       LG_REASON_NOT_ALLOWED, RO "/l1", "read lease on a read-only file");
	DENIED(&w, w_call(&w, a_lease, 0, F_WRLCK, RO "/l1"), LG_HOOK_FCNTL_LEASE,
	       LG_REASON_NOT_ALLOWED, RO "/l1", "write lease on a read-only file");
	fd = open(RO "/l1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd >= 0, "the host opens ro/l1 for writing at once: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	/* Releasing is not decided: without a lease the kernel says EAGAIN. */
	CHECK_ERR(w_call(&w, a_lease, 0, F_UNLCK, RO "/l1"), EAGAIN, "F_UNLCK on ro/l1");

	CHECK_ERR(w_call(&w, a_lease, 0, F_RDLCK, RW "/l2"), 0, "read lease in rw");
	fd = open(RW "/l2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd < 0 && errno == EWOULDBLOCK, "the host's write open of rw/l2 waits on the lease");
	if (fd >= 0)
		close(fd);
	CHECK_ERR(w_call(&w, a_unlease, 0, 0, NULL), 0, "the lease released");
	CHECK_ERR(w_call(&w, a_lease, 0, F_WRLCK, RW "/l3"), 0, "write lease in rw");
	fd = open(RW "/l3", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd < 0 && errno == EWOULDBLOCK, "the host's open of rw/l3 waits on the lease");
	if (fd >= 0)
		close(fd);
	CHECK_ERR(w_call(&w, a_unlease, 0, 0, NULL), 0, "the write lease released");
	worker_stop(&w);
}

/* F_SETDELEG (7.x) and its argument, which the C library may not know yet. */
#define LG_F_SETDELEG (1024 + 16)
struct lg_delegation {
	uint32_t d_flags;
	uint16_t d_type;
	uint16_t pad;
};

/* A delegation of type r->arg on r->path (a file or a folder), held. */
static int a_deleg(const struct worker_req *r)
{
	struct lg_delegation d = { .d_type = r->arg };
	int fd = open(r->path, O_RDONLY | O_CLOEXEC);

	signal(SIGIO, SIG_IGN);
	if (fd < 0)
		return errno;
	if (fcntl(fd, LG_F_SETDELEG, &d)) {
		int e = errno;

		close(fd);
		return e;
	}
	if (held_lease >= 0)
		close(held_lease);
	held_lease = fd;
	return 0;
}

/* Does this kernel take delegations? The harness tries one itself. */
static bool kernel_delegates(const char *path)
{
	struct lg_delegation d = { .d_type = F_RDLCK };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && fcntl(fd, LG_F_SETDELEG, &d) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A delegation delays the host as a lease does (a folder's: every unlink
 * and rename in it): a file's asks write_file, a folder's remove_file,
 * whatever type the agent's memory says. Decided on every kernel: before
 * 7.x the command is refused by the kernel after the hook.
 */
KTEST(tree_delegation)
{
	struct worker w;
	bool deleg;
	int fd;

	if (!start(&w, "lg-deleg", false))
		return;
	put(RO "/d1", "keep");
	put(RW "/d2", "x");
	put(T "/probe", "p");
	deleg = kernel_delegates(T "/probe");
	DENIED(&w, w_call(&w, a_deleg, 0, F_RDLCK, RO "/d1"), LG_HOOK_FCNTL_LEASE,
	       LG_REASON_NOT_ALLOWED, RO "/d1", "read delegation of a read-only file");
	DENIED(&w, w_call(&w, a_deleg, 0, F_UNLCK, RO "/d1"), LG_HOOK_FCNTL_LEASE,
	       LG_REASON_NOT_ALLOWED, RO "/d1", "an F_UNLCK delegation asks the right too");
	DENIED(&w, w_call(&w, a_deleg, 0, F_RDLCK, RO), LG_HOOK_FCNTL_LEASE, LG_REASON_NOT_ALLOWED,
	       RO, "delegation of a read-only folder");
	fd = open(RO "/d1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd >= 0, "the host opens ro/d1 for writing at once: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	/* Allowed by livegrant: the kernel's own answer (none before 7.x). */
	CHECK_ERR(w_call(&w, a_deleg, 0, F_RDLCK, RW "/d2"), deleg ? 0 : EINVAL,
		  "read delegation in rw");
	if (deleg) {
		fd = open(RW "/d2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		CHECK(fd < 0 && errno == EWOULDBLOCK, "the host's write open of rw/d2 waits");
		if (fd >= 0)
			close(fd);
	}
	worker_stop(&w);
}

/* file_setattr(2), 7.x: inode flags by path. Its struct file_attr, version 0. */
#define LG_NR_FILE_SETATTR 469
struct lg_file_attr {
	uint64_t fa_xflags;
	uint32_t fa_extsize, fa_nextents, fa_projid, fa_cowextsize;
};

static int a_file_setattr(const struct worker_req *r)
{
	struct lg_file_attr fa = { .fa_xflags = (uint64_t)r->arg };

	return syscall(LG_NR_FILE_SETATTR, AT_FDCWD, r->path, &fa, sizeof(fa), 0) ? errno : 0;
}

/*
 * file_setattr(2) sets the flags FS_IOC_FSSETXATTR sets, with no open and
 * no ioctl: inode_file_setattr asks change_attr at the file's paths. A
 * kernel without the hook must lack the syscall too.
 */
KTEST(tree_file_setattr)
{
	struct lg_hook_set attached;
	struct worker w;
	int before;

	if (!start(&w, "lg-fsetattr", false))
		return;
	put(RO "/s1", "keep");
	put(OUT "/s2", "keep");
	put(RW "/s3", "x");
	lg_enforcer_hooks(fx, &attached, NULL);
	if (!lg_hook_set_has(&attached, LG_HOOK_INODE_FILE_SETATTR)) {
		CHECK_ERR(w_call(&w, a_file_setattr, 0, FS_XFLAG_NODUMP, RO "/s1"), ENOSYS,
			  "no inode_file_setattr hook: no file_setattr(2) either");
		worker_stop(&w);
		return;
	}
	before = flags_of(RO "/s1");
	DENIED(&w, w_call(&w, a_file_setattr, 0, FS_XFLAG_NODUMP, RO "/s1"),
	       LG_HOOK_INODE_FILE_SETATTR, LG_REASON_NOT_ALLOWED, RO "/s1",
	       "file_setattr nodump of a read-only file");
	CHECK(flags_of(RO "/s1") == before, "ro/s1's flags unchanged");
	CHECK_ERR(w_call(&w, a_file_setattr, 0, FS_XFLAG_NOATIME, OUT "/s2"), EACCES,
		  "file_setattr noatime of a file outside the grant");
	CHECK(!(flags_of(OUT "/s2") & FS_NOATIME_FL), "out/s2 has no noatime flag");
	CHECK_ERR(w_call(&w, a_file_setattr, 0, FS_XFLAG_NODUMP, RW "/s3"), 0,
		  "file_setattr nodump in rw");
	CHECK(flags_of(RW "/s3") & FS_NODUMP_FL, "rw/s3 is nodump now");
	worker_stop(&w);
}

static const char *rules_devnull[] = { "/dev/null", RW "/data" };

/*
 * The baseline's /dev/null: readwrite lets an agent read and write it and
 * nothing else; write on the same exact path also grants its attributes.
 * The real /dev/null is the target, with changes that change nothing
 * (mode 0666, owner root, flags 0) should one be let through.
 */
KTEST(tree_readwrite_devnull)
{
	struct lg_grant_spec s = fx_spec(60000);
	mode_t mode = mode_of("/dev/null") & 07777;
	struct worker w;
	char buf[16];

	tree_reset();
	put(RW "/data", "old");
	s.rules[LG_RULE_READWRITE] = STRV(rules_devnull);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-devnull") == 0, "start worker");
	CHECK_ERR(w_call(&w, a_readwrite, 0, 0, "/dev/null"), 0, "read and write /dev/null");
	CHECK_ERR(w_open(&w, "/dev/null", O_WRONLY | O_TRUNC), 0, "/dev/null with O_TRUNC");
	DENIED(&w, w_fs(&w, WFS_CHMOD, "/dev/null", NULL, (int)mode), LG_HOOK_PATH_CHMOD,
	       LG_REASON_NOT_ALLOWED, "/dev/null", "chmod of /dev/null");
	DENIED(&w, w_fs(&w, WFS_CHOWN, "/dev/null", NULL, 0), LG_HOOK_PATH_CHOWN,
	       LG_REASON_NOT_ALLOWED, "/dev/null", "chown of /dev/null");
	DENIED(&w, w_call(&w, a_ioctl, 0, FS_IOC_SETFLAGS, "/dev/null"), LG_HOOK_IOCTL_ATTR,
	       LG_REASON_NOT_ALLOWED, "/dev/null", "chattr of /dev/null");
	CHECK((mode_of("/dev/null") & 07777) == mode, "/dev/null keeps mode %o", mode);
	/* A regular file: its content, not its attributes or its name. */
	CHECK_ERR(w_call(&w, a_readwrite, 0, 0, RW "/data"), 0, "read and write rw/data");
	CHECK(!strncmp(content(RW "/data", buf, sizeof(buf)), "x", 1), "rw/data written: %s", buf);
	DENIED(&w, w_fs(&w, WFS_CHMOD, RW "/data", NULL, 0600), LG_HOOK_PATH_CHMOD,
	       LG_REASON_NOT_ALLOWED, RW "/data", "chmod of a readwrite file");
	DENIED(&w, w_fs(&w, WFS_UNLINK, RW "/data", NULL, 0), LG_HOOK_PATH_UNLINK,
	       LG_REASON_NOT_ALLOWED, RW "/data", "unlink of a readwrite file");
	CHECK(exists(RW "/data"), "rw/data is still there");
	worker_stop(&w);

	/* write on the exact path: the same, and its attributes too. */
	s.rules[LG_RULE_READWRITE] = (struct lg_strv){ 0 };
	s.rules[LG_RULE_WRITE] = STRV(rules_devnull);
	REQUIRE(lg_grant_install(fx, fx_a1, &s, NULL) == 0, "grant: %s", lg_errmsg());
	REQUIRE(worker_start(&w, FX_A1, "lg-devnull-w") == 0, "start worker");
	CHECK_ERR(w_fs(&w, WFS_CHMOD, "/dev/null", NULL, (int)mode), 0,
		  "chmod of /dev/null under a write rule");
	CHECK_ERR(w_fs(&w, WFS_CHMOD, RW "/data", NULL, 0600), 0, "chmod of rw/data under write");
	/* An exact rule grants nothing at the folder: no unlink. */
	DENIED(&w, w_fs(&w, WFS_UNLINK, RW "/data", NULL, 0), LG_HOOK_PATH_UNLINK,
	       LG_REASON_NOT_ALLOWED, RW "/data", "unlink of a file with an exact write rule");
	worker_stop(&w);
}

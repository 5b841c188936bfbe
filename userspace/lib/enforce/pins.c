// SPDX-License-Identifier: GPL-2.0
/*
 * pins.c - the pin directory as sets: find the newest complete set, pin a
 * new one beside it, retire the others (include/livegrant/manifest.h).
 *
 * The order of writes is what makes upgrades safe: a set's manifest is
 * pinned after its maps and links, and an old set is retired only once a
 * newer one is complete, so a crash at any point leaves at least one
 * complete, attached set (or nothing, if nothing was ever complete).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "livegrant.h"
#include "pins.h"

#define SET_PREFIX "set-"

int lg_mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(tmp))
		return lg_err(-ENAMETOOLONG, "directory %s is too long", dir);
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return lg_err(-errno, "mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return lg_err(-errno, "mkdir %s: %s", tmp, strerror(errno));
	return 0;
}

static int join(char *buf, size_t size, const char *dir, const char *kind, const char *name)
{
	int n = kind ? snprintf(buf, size, "%s/%s/%s", dir, kind, name) :
		       snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return lg_err(-ENAMETOOLONG, "pin path under %s is too long", dir);
	return 0;
}

int lg_pins_set_path(const char *pin_dir, uint64_t seq, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/" SET_PREFIX "%" PRIu64, pin_dir, seq);

	if (n < 0 || (size_t)n >= size)
		return lg_err(-ENAMETOOLONG, "pin directory %s is too long", pin_dir);
	return 0;
}

int lg_pins_put(int fd, const char *dir, const char *kind, const char *name)
{
	char path[PATH_MAX];
	int err = join(path, sizeof(path), dir, kind, name);

	if (!err && bpf_obj_pin(fd, path))
		err = lg_err(-errno, "pinning %s failed: %s", path, strerror(errno));
	return err;
}

int lg_pins_map_get(const struct lg_pinset *set, const char *name)
{
	char path[PATH_MAX];
	int fd, err = join(path, sizeof(path), set->dir, "maps", name);

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	return fd;
}

bool lg_pins_link_exists(const struct lg_pinset *set, const char *prog)
{
	char path[PATH_MAX];

	return !join(path, sizeof(path), set->dir, "links", prog) && !access(path, F_OK);
}

/*
 * The manifest of the set in @dir. A manifest from a later version may be
 * longer: the fields this version knows are its prefix.
 */
int lg_manifest_parse(const void *buf, size_t size, struct lg_manifest_v2 *out)
{
	const struct lg_manifest *v1 = &out->v1;

	memset(out, 0, sizeof(*out));
	if (size < sizeof(*v1))
		return -EPROTO;
	memcpy(out, buf, size < sizeof(*out) ? size : sizeof(*out));
	if (v1->magic != LG_MANIFEST_MAGIC || v1->version < 1 || v1->nprogs > LG_MANIFEST_MAX_PROGS)
		return -EPROTO;
	if (v1->version == 1) {
		/* No extension, whatever a longer value may hold after it. */
		out->nprogs_ext = 0;
		out->pad = 0;
		memset(out->progs_ext, 0, sizeof(out->progs_ext));
		return 0;
	}
	if (size < sizeof(*out) || out->nprogs_ext > LG_MANIFEST_EXT_PROGS ||
	    (out->nprogs_ext && v1->nprogs < LG_MANIFEST_MAX_PROGS))
		return -EPROTO;
	return 0;
}

int lg_manifest_add(struct lg_manifest_v2 *m, const char *name)
{
	size_t len = strlen(name);
	char *slot;

	if (len >= LG_MANIFEST_NAME_LEN)
		return -ENAMETOOLONG;
	if (m->v1.nprogs < LG_MANIFEST_MAX_PROGS)
		slot = m->v1.progs[m->v1.nprogs++];
	else if (m->nprogs_ext < LG_MANIFEST_EXT_PROGS)
		slot = m->progs_ext[m->nprogs_ext++];
	else
		return -ENOSPC;
	memset(slot, 0, LG_MANIFEST_NAME_LEN);
	memcpy(slot, name, len);
	return 0;
}

unsigned int lg_manifest_nprogs(const struct lg_manifest_v2 *m)
{
	return m->v1.nprogs + m->nprogs_ext;
}

const char *lg_manifest_prog(const struct lg_manifest_v2 *m, unsigned int i)
{
	return i < LG_MANIFEST_MAX_PROGS ? m->v1.progs[i] : m->progs_ext[i - LG_MANIFEST_MAX_PROGS];
}

static int read_manifest(const char *dir, struct lg_manifest_v2 *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	char path[PATH_MAX];
	void *buf;
	int fd, err = join(path, sizeof(path), dir, NULL, "manifest");

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err && info.value_size < sizeof(struct lg_manifest))
		err = -EPROTO;
	buf = err ? NULL : calloc(1, info.value_size);
	if (!err && !buf)
		err = -ENOMEM;
	if (!err && bpf_map_lookup_elem(fd, &zero, buf))
		err = -errno;
	if (!err)
		err = lg_manifest_parse(buf, info.value_size, m);
	free(buf);
	close(fd);
	return err;
}

/*
 * The set of a build before manifests: maps/ and links/ right under the
 * pin directory. Complete when lg_state is there and some link is: that
 * build pinned maps first and links last.
 */
static int read_legacy(const char *pin_dir, struct lg_manifest_v2 *m)
{
	struct lg_state st;
	char path[PATH_MAX];
	struct dirent *de;
	__u32 zero = 0;
	DIR *dir;
	int fd, err = join(path, sizeof(path), pin_dir, "maps", "lg_state");

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/*
	 * struct lg_state only grew (ABI 5 appended control_cookie): the
	 * fields read here are where every ABI version has them.
	 */
	err = bpf_map_lookup_elem(fd, &zero, &st) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	memset(m, 0, sizeof(*m));
	m->v1.magic = LG_MANIFEST_MAGIC;
	m->v1.abi_version = st.abi_version;
	m->v1.seq = LG_PINS_LEGACY_SEQ;
	snprintf(m->v1.build_id, sizeof(m->v1.build_id), "legacy-abi-%u", st.abi_version);
	if (join(path, sizeof(path), pin_dir, NULL, "links"))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		/* A name too long is not one of livegrant's programs. */
		if (lg_manifest_add(m, de->d_name) == -ENOSPC)
			break;
	}
	closedir(dir);
	return lg_manifest_nprogs(m) ? 0 : -ENOENT;
}

static bool parse_seq(const char *name, uint64_t *seq)
{
	char *end;

	if (strncmp(name, SET_PREFIX, strlen(SET_PREFIX)))
		return false;
	name += strlen(SET_PREFIX);
	if (*name < '0' || *name > '9')
		return false;
	errno = 0;
	*seq = strtoull(name, &end, 10);
	return !errno && !*end;
}

int lg_pins_newest(const char *pin_dir, struct lg_pinset *out)
{
	struct lg_manifest_v2 m;
	struct dirent *de;
	bool found = false;
	int err;
	DIR *dir = opendir(pin_dir);

	if (!dir)
		return errno == ENOENT ? -ENOENT :
					 lg_err(-errno, "%s: %s", pin_dir, strerror(errno));
	while ((de = readdir(dir))) {
		char path[PATH_MAX];
		uint64_t seq;

		if (!parse_seq(de->d_name, &seq) ||
		    join(path, sizeof(path), pin_dir, NULL, de->d_name))
			continue;
		err = read_manifest(path, &m);
		/* No manifest: a set a crash left half-written, never in force. */
		if (err == -ENOENT || err == -EPROTO || (!err && m.v1.seq != seq))
			continue;
		/* Anything else (EACCES, EMFILE): we cannot tell which set is in force. */
		if (err) {
			closedir(dir);
			return lg_err(err, "reading the manifest of %s failed: %s", path,
				      strerror(-err));
		}
		if (found && out->m.v1.seq >= seq)
			continue;
		found = true;
		out->legacy = false;
		out->m = m;
		snprintf(out->dir, sizeof(out->dir), "%s", path);
	}
	closedir(dir);
	if (!found && !read_legacy(pin_dir, &m)) {
		found = true;
		out->legacy = true;
		out->m = m;
		snprintf(out->dir, sizeof(out->dir), "%s", pin_dir);
	}
	return found ? 0 : -ENOENT;
}

/* Unlink every pin in @dir/@sub, then @dir/@sub itself. */
static int clear_dir(const char *dir, const char *sub)
{
	char path[PATH_MAX], pin[PATH_MAX];
	struct dirent *de;
	int err = join(path, sizeof(path), dir, NULL, sub);
	DIR *d;

	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : lg_err(-errno, "%s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (join(pin, sizeof(pin), path, NULL, de->d_name))
			continue;
		if (unlink(pin) && errno != ENOENT && !err)
			err = lg_err(-errno, "unlink %s: %s", pin, strerror(errno));
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT && !err)
		err = lg_err(-errno, "rmdir %s: %s", path, strerror(errno));
	return err;
}

/*
 * How long retiring a set waits for its programs to leave their hooks. A
 * detach is one trampoline update per hook, made by a kernel worker after
 * the pin is gone: milliseconds on hardware, seconds under emulation. A
 * link still there after LG_RETIRE_HELD_MS is held open by a process (a
 * running livegrantd holds its own): nothing detaches it until that
 * process closes it, so waiting longer would not help.
 */
#define LG_RETIRE_DETACH_MS 30000
#define LG_RETIRE_HELD_MS 10000
#define LG_RETIRE_POLL_MS 20

void lg_pins_set_ids(const char *set_dir, struct lg_set_ids *ids)
{
	char path[PATH_MAX], pin[PATH_MAX];
	struct dirent *de;
	DIR *d;

	ids->n = 0;
	if (join(path, sizeof(path), set_dir, NULL, "links"))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && ids->n < LG_SET_MAX_LINKS) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (de->d_name[0] == '.' || join(pin, sizeof(pin), path, NULL, de->d_name))
			continue;
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id) {
			ids->link[ids->n] = info.id;
			ids->prog[ids->n++] = info.prog_id;
		}
		close(fd);
	}
	closedir(d);
}

/*
 * How many of @ids (links, or programs) still exist, or a negative errno
 * when the kernel will not say (looking an id up needs CAP_SYS_ADMIN).
 * Each lookup takes a reference: given back at once.
 */
static int ids_left(const uint32_t *ids, size_t n, bool links)
{
	int left = 0;

	for (size_t i = 0; i < n; i++) {
		int fd = links ? bpf_link_get_fd_by_id(ids[i]) : bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0)
			close(fd);
		else if (errno != ENOENT)
			return -errno;
		left += fd >= 0;
	}
	return left;
}

int lg_pins_progs_left(const struct lg_set_ids *ids)
{
	return ids_left(ids->prog, ids->n, false);
}

/*
 * Wait until the programs of the retired set @dir are gone. Unpinning a
 * link only schedules its release, and the kernel frees the link's id
 * before it detaches the program: only the program's own id, freed once
 * the release has detached it and dropped the link's reference, says that
 * no hook calls it any more. Until then the old programs go on deciding
 * with the old maps, so a grant given since in the new ones would be
 * denied by them (they only deny more; their events are still read).
 * 0, or an error saying why they are still attached.
 */
static int wait_detached(const char *dir, const struct lg_set_ids *ids)
{
	uint64_t start = lg_monotonic_ns();

	for (;;) {
		uint64_t ms = (lg_monotonic_ns() - start) / 1000000;
		int progs = lg_pins_progs_left(ids), links = 0;

		/* Links are asked about only once their release is overdue. */
		if (progs > 0 && ms >= LG_RETIRE_HELD_MS)
			links = ids_left(ids->link, ids->n, true);
		/* Unprivileged: nothing can be told, and waiting would only stall. */
		if (progs < 0 || links < 0) {
			fprintf(stderr,
				"livegrant: cannot tell whether the programs of %s left their hooks: %s\n",
				dir, strerror(progs < 0 ? -progs : -links));
			return 0;
		}
		if (!progs)
			return 0;
		if (links)
			return lg_err(
				-EBUSY,
				"%d links of %s are held open by a running process (livegrantd?): its programs stay attached until that process stops",
				links, dir);
		if (ms >= LG_RETIRE_DETACH_MS)
			return lg_err(
				-ETIMEDOUT,
				"%d programs of %s are still attached %d s after their links were unpinned (they only deny, beside the set in force)",
				progs, dir, LG_RETIRE_DETACH_MS / 1000);
		usleep(LG_RETIRE_POLL_MS * 1000);
	}
}

/*
 * Links first, and (@wait) their programs off every hook before the maps
 * go and before this returns: the caller's new set then decides alone.
 * The maps are removed whatever the wait says: the programs hold theirs.
 */
static int retire_set(const char *dir, bool legacy, bool wait)
{
	struct lg_set_ids ids = { .n = 0 };
	char path[PATH_MAX];
	int err, werr = 0;

	if (wait)
		lg_pins_set_ids(dir, &ids);
	err = clear_dir(dir, "links");
	if (!err)
		werr = wait_detached(dir, &ids);
	if (!err && !join(path, sizeof(path), dir, NULL, "manifest") && unlink(path) &&
	    errno != ENOENT)
		err = lg_err(-errno, "unlink %s: %s", path, strerror(errno));
	if (!err)
		err = clear_dir(dir, "maps");
	if (!err && !legacy && rmdir(dir) && errno != ENOENT)
		err = lg_err(-errno, "rmdir %s: %s", dir, strerror(errno));
	return err ? err : werr;
}

bool lg_pins_has_manifest(const char *set_dir)
{
	struct lg_manifest_v2 m;

	return !read_manifest(set_dir, &m);
}

int lg_pins_retire_set(const char *set_dir, bool wait)
{
	return retire_set(set_dir, false, wait);
}

bool lg_pins_wait_failed(int err)
{
	return err == -EBUSY || err == -ETIMEDOUT;
}

/* Keep in *@err the error that counts: a pin not removed over programs not yet detached. */
static void keep_worst(int *err, int e)
{
	if (e && (!*err || lg_pins_wait_failed(*err)))
		*err = e;
}

int lg_pins_retire(const char *pin_dir, uint64_t keep, bool wait)
{
	struct dirent *de;
	int err = 0;
	DIR *dir = opendir(pin_dir);

	if (!dir)
		return errno == ENOENT ? 0 : lg_err(-errno, "%s: %s", pin_dir, strerror(errno));
	while ((de = readdir(dir))) {
		char path[PATH_MAX];
		uint64_t seq;

		if (!parse_seq(de->d_name, &seq) || seq == keep ||
		    join(path, sizeof(path), pin_dir, NULL, de->d_name))
			continue;
		keep_worst(&err, retire_set(path, false, wait));
	}
	closedir(dir);
	if (keep != LG_PINS_LEGACY_SEQ) {
		keep_worst(&err, retire_set(pin_dir, true, wait));
	}
	/* Also after a wait that failed: the pins are gone, and so is their folder. */
	if (keep == UINT64_MAX && rmdir(pin_dir) && errno != ENOENT && !err)
		err = lg_err(-errno, "rmdir %s: %s", pin_dir, strerror(errno));
	return err;
}

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
 * the pin is gone: milliseconds on hardware, seconds under emulation.
 */
#define LG_RETIRE_DETACH_MS 30000
#define LG_RETIRE_POLL_MS 20

/* Links a set can hold: one per program its manifest can list. */
#define LG_SET_MAX_LINKS (LG_MANIFEST_MAX_PROGS + LG_MANIFEST_EXT_PROGS)

/* The ids of the programs the links pinned in @dir/links/ hold: how many. */
static size_t link_prog_ids(const char *dir, uint32_t *ids, size_t max)
{
	char path[PATH_MAX], pin[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (join(path, sizeof(path), dir, NULL, "links"))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (de->d_name[0] == '.' || join(pin, sizeof(pin), path, NULL, de->d_name))
			continue;
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id)
			ids[n++] = info.prog_id;
		close(fd);
	}
	closedir(d);
	return n;
}

/* Does program @id still exist? Looking it up takes a reference: given back at once. */
static bool prog_exists(uint32_t id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return errno != ENOENT;
	close(fd);
	return true;
}

/*
 * Wait until the programs @ids of the retired set @dir are gone. Unpinning
 * a link only schedules its release, and the kernel frees the link's id
 * before it detaches the program: only the program's own id, freed once
 * the release has detached it and dropped the link's reference, says that
 * no hook calls it any more. Until then the old programs go on deciding
 * with the old maps, so a grant given since in the new ones would be
 * denied by them (they only deny more; their events are still read).
 */
static void wait_detached(const char *dir, const uint32_t *ids, size_t n)
{
	for (int waited = 0;; waited += LG_RETIRE_POLL_MS) {
		size_t left = 0;

		for (size_t i = 0; i < n; i++)
			left += prog_exists(ids[i]);
		if (!left)
			return;
		if (waited >= LG_RETIRE_DETACH_MS) {
			fprintf(stderr,
				"livegrant: %zu programs of the retired set %s still exist after %d ms: they deny beside the new ones until the kernel detaches them\n",
				left, dir, LG_RETIRE_DETACH_MS);
			return;
		}
		usleep(LG_RETIRE_POLL_MS * 1000);
	}
}

/*
 * Links first, and (@wait) their programs off every hook before the maps
 * go and before this returns: the caller's new set then decides alone.
 */
static int retire_set(const char *dir, bool legacy, bool wait)
{
	uint32_t ids[LG_SET_MAX_LINKS];
	size_t nids = wait ? link_prog_ids(dir, ids, LG_SET_MAX_LINKS) : 0;
	char path[PATH_MAX];
	int err = clear_dir(dir, "links");

	if (!err)
		wait_detached(dir, ids, nids);

	if (!err && !join(path, sizeof(path), dir, NULL, "manifest") && unlink(path) &&
	    errno != ENOENT)
		err = lg_err(-errno, "unlink %s: %s", path, strerror(errno));
	if (!err)
		err = clear_dir(dir, "maps");
	if (!err && !legacy && rmdir(dir) && errno != ENOENT)
		err = lg_err(-errno, "rmdir %s: %s", dir, strerror(errno));
	return err;
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

int lg_pins_retire(const char *pin_dir, uint64_t keep)
{
	struct dirent *de;
	int err = 0, e;
	DIR *dir = opendir(pin_dir);

	if (!dir)
		return errno == ENOENT ? 0 : lg_err(-errno, "%s: %s", pin_dir, strerror(errno));
	while ((de = readdir(dir))) {
		char path[PATH_MAX];
		uint64_t seq;

		if (!parse_seq(de->d_name, &seq) || seq == keep ||
		    join(path, sizeof(path), pin_dir, NULL, de->d_name))
			continue;
		e = retire_set(path, false, true);
		if (e && !err)
			err = e;
	}
	closedir(dir);
	if (keep != LG_PINS_LEGACY_SEQ) {
		e = retire_set(pin_dir, true, true);
		if (e && !err)
			err = e;
	}
	if (!err && keep == UINT64_MAX && rmdir(pin_dir) && errno != ENOENT)
		err = lg_err(-errno, "rmdir %s: %s", pin_dir, strerror(errno));
	return err;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pins.h - the pin directory: sets of pinned maps and links, each with its
 * manifest (include/livegrant/manifest.h has the layout). Private to the
 * library; loader.c is its user.
 */
#ifndef LG_PINS_H
#define LG_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <livegrant/manifest.h>

/* The set that builds before the manifest pinned (maps/ and links/). */
#define LG_PINS_LEGACY_SEQ 0

/**
 * struct lg_pinset - one complete set found under a pin directory.
 * @legacy: pinned by a build before manifests; @m is reconstructed (its
 *          programs from links/, its ABI version from lg_state).
 * @dir:    the directory holding maps/ and links/.
 */
struct lg_pinset {
	bool legacy;
	char dir[PATH_MAX];
	struct lg_manifest_v2 m;
};

/*
 * A manifest map's value of @size bytes (version 1, 2 or a later one,
 * whose known fields are a prefix) into @out, as version 2: 0, or -EPROTO
 * when it is no well-formed manifest.
 */
int lg_manifest_parse(const void *buf, size_t size, struct lg_manifest_v2 *out);
/* Append program @name to @m: 0, -ENAMETOOLONG or -ENOSPC. */
int lg_manifest_add(struct lg_manifest_v2 *m, const char *name);
/* Programs @m lists, in both parts. */
unsigned int lg_manifest_nprogs(const struct lg_manifest_v2 *m);
/* The @i-th program of @m: LG_MANIFEST_NAME_LEN bytes, NUL-padded. */
const char *lg_manifest_prog(const struct lg_manifest_v2 *m, unsigned int i);

/*
 * The newest complete set under @pin_dir into @out: 0, -ENOENT when there
 * is none, or another negative errno.
 */
int lg_pins_newest(const char *pin_dir, struct lg_pinset *out);
/* A new fd for the map @name of @set, or a negative errno. */
int lg_pins_map_get(const struct lg_pinset *set, const char *name);
/* Is a link of @prog pinned in @set? */
bool lg_pins_link_exists(const struct lg_pinset *set, const char *prog);
/* "<pin_dir>/set-<seq>" into @buf. */
int lg_pins_set_path(const char *pin_dir, uint64_t seq, char *buf, size_t size);
/* Pin @fd at "<dir>/<kind>/<name>" (kind: "maps", "links" or NULL). */
int lg_pins_put(int fd, const char *dir, const char *kind, const char *name);
/*
 * Remove every set under @pin_dir but set @keep (UINT64_MAX: all of them,
 * and @pin_dir itself), each one links first. With @wait, return once
 * their programs are off every hook: -EBUSY when a process still holds a
 * set's links (10 s), -ETIMEDOUT when the kernel has not detached them in
 * 30 s; the pins are removed either way.
 */
int lg_pins_retire(const char *pin_dir, uint64_t keep, bool wait);
/* Links a set can hold: one per program its manifest can list. */
#define LG_SET_MAX_LINKS (LG_MANIFEST_MAX_PROGS + LG_MANIFEST_EXT_PROGS)

/* A set's links and the programs they hold, by kernel id. */
struct lg_set_ids {
	uint32_t link[LG_SET_MAX_LINKS];
	uint32_t prog[LG_SET_MAX_LINKS];
	size_t n;
};

/* The ids of the links pinned in @set_dir/links/ and of their programs. */
void lg_pins_set_ids(const char *set_dir, struct lg_set_ids *ids);
/*
 * How many of @ids' programs still exist (on a hook, or about to leave
 * it), or a negative errno when the kernel will not say (no CAP_SYS_ADMIN).
 */
int lg_pins_progs_left(const struct lg_set_ids *ids);
/* Is @err of lg_pins_retire*() a wait that failed (the pins removed all the same)? */
bool lg_pins_wait_failed(int err);
/* Is the set in @set_dir complete (its manifest pinned and readable)? */
bool lg_pins_has_manifest(const char *set_dir);
/*
 * Remove the one set in @set_dir, links first; @wait: return once its
 * programs are off every hook (not for a set whose links this process
 * still holds: they stay attached until it closes them).
 */
int lg_pins_retire_set(const char *set_dir, bool wait);
int lg_mkdir_p(const char *dir);

#endif /* LG_PINS_H */

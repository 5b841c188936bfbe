/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/manifest.h - what a set of pins says about itself.
 *
 * Every build of livegrant pins its maps and links as one *set* under the
 * pin directory, and pins a manifest with it, last:
 *
 *   <pin_dir>/set-<seq>/maps/<map>      the maps
 *   <pin_dir>/set-<seq>/links/<program> one link per attached program
 *   <pin_dir>/set-<seq>/manifest        a frozen one-element array map
 *                                       holding struct lg_manifest
 *
 * A set whose manifest is pinned is complete; the newest complete set is
 * the one in force. A new build pins its own set beside it before it
 * removes the old one, so at every moment some complete set is attached.
 *
 * Unlike abi.h this layout is read by every later and earlier build: never
 * change struct lg_manifest, only add a new LG_MANIFEST_VERSION after it.
 * A later version appends fields after the ones an earlier version knows,
 * and every reader takes the prefix it knows from a longer value.
 *
 * Version 2 (ABI 6, LG_HOOK_CAPACITY 128) is struct lg_manifest_v2:
 * struct lg_manifest unchanged as its prefix, whose @nprogs/@progs hold the
 * first (at most LG_MANIFEST_MAX_PROGS) programs, then the rest in
 * @progs_ext. A version 1 reader (builds up to ABI 5) sees a well-formed
 * manifest of another build id and ABI: it replaces that set, never adopts
 * it, so the programs it does not see listed are retired with the set
 * (retiring removes links/ as a directory, not by the manifest's list). A
 * version 2 reader reads a version 1 manifest as one with no @progs_ext.
 *
 * Builds before the manifest (up to commit 9a58c45, ABI 3) pinned one set
 * without a manifest directly under the pin directory (maps/ and links/);
 * the loader recognizes that as set 0.
 */
#ifndef LIVEGRANT_MANIFEST_H
#define LIVEGRANT_MANIFEST_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define LG_MANIFEST_MAGIC 0x464d474cu /* "LGMF" little endian */
#define LG_MANIFEST_VERSION 2
#define LG_MANIFEST_MAX_PROGS 64
#define LG_MANIFEST_NAME_LEN 48
#define LG_MANIFEST_BUILD_LEN 64

/**
 * struct lg_manifest - value of a set's manifest map.
 * @magic, @version: LG_MANIFEST_MAGIC and LG_MANIFEST_VERSION.
 * @abi_version:     LG_ABI_VERSION of the set's maps.
 * @nprogs:          entries of @progs used.
 * @seq:             the set's sequence number (its directory name).
 * @created_s:       CLOCK_REALTIME seconds when the set was pinned.
 * @build_id:        "<release>-<hash of the BPF object>": two sets with the
 *                   same build id hold the same programs.
 * @progs:           names of the programs linked under links/.
 */
struct lg_manifest {
	__u32 magic;
	__u32 version;
	__u32 abi_version;
	__u32 nprogs;
	__u64 seq;
	__u64 created_s;
	char build_id[LG_MANIFEST_BUILD_LEN];
	char progs[LG_MANIFEST_MAX_PROGS][LG_MANIFEST_NAME_LEN];
};

_Static_assert(sizeof(struct lg_manifest) ==
		       32 + LG_MANIFEST_BUILD_LEN + LG_MANIFEST_MAX_PROGS * LG_MANIFEST_NAME_LEN,
	       "struct lg_manifest has padding");
_Static_assert(sizeof(struct lg_manifest) == 3168, "struct lg_manifest (version 1) never changes");

/*
 * Programs past the first LG_MANIFEST_MAX_PROGS. A number of the layout,
 * not of this build: version 2 is frozen like version 1, whatever
 * LG_HOOK_CAPACITY becomes (more hooks than the two parts hold need a
 * version 3; loader.c asserts they fit).
 */
#define LG_MANIFEST_EXT_PROGS 64

/**
 * struct lg_manifest_v2 - value of a version 2 manifest map.
 * @v1:         version 1, unchanged: @v1.nprogs programs in @v1.progs.
 * @nprogs_ext: entries of @progs_ext used; nonzero only when @v1.progs is
 *              full.
 * @pad:        zero.
 * @progs_ext:  names of the programs after the first LG_MANIFEST_MAX_PROGS.
 */
struct lg_manifest_v2 {
	struct lg_manifest v1;
	__u32 nprogs_ext;
	__u32 pad;
	char progs_ext[LG_MANIFEST_EXT_PROGS][LG_MANIFEST_NAME_LEN];
};

_Static_assert(sizeof(struct lg_manifest_v2) ==
		       sizeof(struct lg_manifest) + 8 +
			       LG_MANIFEST_EXT_PROGS * LG_MANIFEST_NAME_LEN,
	       "struct lg_manifest_v2 has padding");
_Static_assert(sizeof(struct lg_manifest_v2) == 3168 + 8 + 64 * 48,
	       "struct lg_manifest_v2 (version 2) never changes");
_Static_assert(__builtin_offsetof(struct lg_manifest_v2, v1) == 0,
	       "version 1 is the prefix of version 2");

#endif /* LIVEGRANT_MANIFEST_H */

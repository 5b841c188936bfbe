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
#define LG_MANIFEST_VERSION 1
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

#endif /* LIVEGRANT_MANIFEST_H */

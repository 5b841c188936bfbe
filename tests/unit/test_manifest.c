// SPDX-License-Identifier: GPL-2.0
/*
 * test_manifest.c - the pin manifest (include/livegrant/manifest.h) across
 * versions: what this build writes (version 2) is a well-formed version 1
 * manifest to a build that knows only version 1, a version 1 manifest of
 * an older build reads back whole, and malformed values are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pins.h"
#include "livegrant/limits.h"

static void fill(struct lg_manifest_v2 *m, unsigned int n)
{
	memset(m, 0, sizeof(*m));
	m->v1.magic = LG_MANIFEST_MAGIC;
	m->v1.version = LG_MANIFEST_VERSION;
	m->v1.abi_version = 6;
	m->v1.seq = 7;
	snprintf(m->v1.build_id, sizeof(m->v1.build_id), "test-build");
	for (unsigned int i = 0; i < n; i++) {
		char name[LG_MANIFEST_NAME_LEN];

		snprintf(name, sizeof(name), "lg_prog_%u", i);
		if (lg_manifest_add(m, name))
			break;
	}
}

/*
 * What read_manifest() of a version 1 build (ABI 5 and before) made of a
 * value: the prefix, accepted when magic, version >= 1 and nprogs <= 64.
 */
static int v1_reader(const void *buf, size_t size, struct lg_manifest *m)
{
	if (size < sizeof(*m))
		return -EPROTO;
	memcpy(m, buf, sizeof(*m));
	if (m->magic != LG_MANIFEST_MAGIC || m->version < 1 || m->nprogs > LG_MANIFEST_MAX_PROGS)
		return -EPROTO;
	return 0;
}

static void add_fills_both_parts(void)
{
	char name[LG_MANIFEST_NAME_LEN + 1];
	struct lg_manifest_v2 m;

	fill(&m, LG_MANIFEST_MAX_PROGS + LG_MANIFEST_EXT_PROGS);
	CHECK(m.v1.nprogs == LG_MANIFEST_MAX_PROGS, "prefix full: %u", m.v1.nprogs);
	CHECK(m.nprogs_ext == LG_MANIFEST_EXT_PROGS, "extension full: %u", m.nprogs_ext);
	CHECK(lg_manifest_nprogs(&m) == LG_MANIFEST_MAX_PROGS + LG_MANIFEST_EXT_PROGS &&
		      LG_HOOK_CAPACITY <= lg_manifest_nprogs(&m),
	      "both parts full: every hook id has room");
	CHECK(lg_manifest_add(&m, "one_more") == -ENOSPC, "no room past both parts");
	CHECK(!strcmp(lg_manifest_prog(&m, 0), "lg_prog_0"), "first in the prefix");
	CHECK(!strcmp(lg_manifest_prog(&m, LG_MANIFEST_MAX_PROGS), "lg_prog_64"),
	      "65th in the extension: %s", lg_manifest_prog(&m, LG_MANIFEST_MAX_PROGS));
	CHECK(!strcmp(m.progs_ext[0], "lg_prog_64"), "extension's first slot");
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fill(&m, 1);
	CHECK(lg_manifest_add(&m, name) == -ENAMETOOLONG, "a name must leave room for NUL");
	CHECK(lg_manifest_nprogs(&m) == 1, "a refused name is not added");
	name[sizeof(name) - 2] = '\0';
	CHECK(lg_manifest_add(&m, name) == 0 && lg_manifest_nprogs(&m) == 2, "47 bytes fit");
}

static void v2_round_trip(void)
{
	struct lg_manifest_v2 m, r;

	fill(&m, 70);
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == 0, "v2 reads back");
	CHECK(lg_manifest_nprogs(&r) == 70 && r.v1.nprogs == 64 && r.nprogs_ext == 6,
	      "70 programs: %u + %u", r.v1.nprogs, r.nprogs_ext);
	CHECK(!strcmp(lg_manifest_prog(&r, 69), "lg_prog_69"), "the last one");
	CHECK(r.v1.seq == 7 && !strcmp(r.v1.build_id, "test-build"), "header kept");
	fill(&m, 3);
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == 0 && lg_manifest_nprogs(&r) == 3,
	      "a short list stays in the prefix");
}

/* A build of ABI 5 or before reading this build's manifest. */
static void v2_through_v1_reader(void)
{
	struct lg_manifest_v2 m;
	struct lg_manifest old;

	fill(&m, 70);
	CHECK(v1_reader(&m, sizeof(m), &old) == 0, "a v1 reader accepts a v2 value");
	CHECK(old.nprogs == LG_MANIFEST_MAX_PROGS, "it sees at most 64 programs: %u", old.nprogs);
	CHECK(old.seq == 7 && old.abi_version == 6, "and the set's seq and ABI");
	CHECK(!strcmp(old.build_id, "test-build"), "and its build id (not its own: it replaces)");
	for (unsigned int i = 0; i < old.nprogs; i++)
		CHECK(memchr(old.progs[i], '\0', LG_MANIFEST_NAME_LEN) != NULL,
		      "name %u is NUL-terminated", i);
	fill(&m, 5);
	CHECK(v1_reader(&m, sizeof(m), &old) == 0 && old.nprogs == 5, "a short v2 list");
}

/* A manifest of an older build (version 1, 3168 bytes) read by this one. */
static void v1_read_by_v2(void)
{
	struct lg_manifest old = { .magic = LG_MANIFEST_MAGIC, .version = 1, .abi_version = 5 };
	struct lg_manifest_v2 r;
	unsigned char *big;

	old.seq = 3;
	old.nprogs = LG_MANIFEST_MAX_PROGS;
	for (unsigned int i = 0; i < old.nprogs; i++)
		snprintf(old.progs[i], LG_MANIFEST_NAME_LEN, "old_%u", i);
	CHECK(lg_manifest_parse(&old, sizeof(old), &r) == 0, "v1 value accepted");
	CHECK(lg_manifest_nprogs(&r) == 64 && r.nprogs_ext == 0, "its 64 programs, no extension");
	CHECK(r.v1.abi_version == 5 && r.v1.seq == 3, "header");
	CHECK(!strcmp(lg_manifest_prog(&r, 63), "old_63"), "the last one");
	/* A v1 value is read as v1 even when something follows it. */
	big = calloc(1, sizeof(r) + 64);
	CHECK(big != NULL, "alloc");
	if (!big)
		return;
	memcpy(big, &old, sizeof(old));
	memset(big + sizeof(old), 0xff, sizeof(r) + 64 - sizeof(old));
	CHECK(lg_manifest_parse(big, sizeof(r) + 64, &r) == 0 && r.nprogs_ext == 0,
	      "bytes after a v1 value are not an extension");
	free(big);
}

static void malformed(void)
{
	struct lg_manifest_v2 m, r;
	unsigned char *later;

	fill(&m, 70);
	CHECK(lg_manifest_parse(&m, sizeof(m.v1) - 1, &r) == -EPROTO, "shorter than v1");
	CHECK(lg_manifest_parse(&m, sizeof(m.v1), &r) == -EPROTO, "v2 without its extension");
	m.nprogs_ext = LG_MANIFEST_EXT_PROGS + 1;
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == -EPROTO, "nprogs_ext too large");
	fill(&m, 70);
	m.v1.nprogs = 10;
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == -EPROTO,
	      "extension with the prefix not full");
	fill(&m, 3);
	m.v1.nprogs = LG_MANIFEST_MAX_PROGS + 1;
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == -EPROTO, "nprogs too large");
	fill(&m, 3);
	m.v1.magic = 0;
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == -EPROTO, "bad magic");
	fill(&m, 3);
	m.v1.version = 0;
	CHECK(lg_manifest_parse(&m, sizeof(m), &r) == -EPROTO, "version 0");
	/* A later version: longer, its known fields a prefix. */
	later = calloc(1, sizeof(m) + 128);
	CHECK(later != NULL, "alloc");
	if (!later)
		return;
	fill(&m, 66);
	m.v1.version = 3;
	memcpy(later, &m, sizeof(m));
	CHECK(lg_manifest_parse(later, sizeof(m) + 128, &r) == 0 && lg_manifest_nprogs(&r) == 66,
	      "a later, longer version reads as its v2 prefix");
	free(later);
}

int main(void)
{
	RUN(add_fills_both_parts);
	RUN(v2_round_trip);
	RUN(v2_through_v1_reader);
	RUN(v1_read_by_v2);
	RUN(malformed);
	return check_summary("manifest");
}

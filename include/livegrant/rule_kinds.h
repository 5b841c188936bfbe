/* SPDX-License-Identifier: GPL-2.0 */
/*
 * livegrant/rule_kinds.h - the one table of rule kinds.
 *
 * A grant, a token's "allow", the configured baseline and a domain's
 * ceiling all hold one rule list per kind, named as in this table. Every
 * place that reads, checks, compiles or shows rules iterates the table, so
 * adding a kind is one row here plus what its class cannot do yet (see
 * docs/rules.md, "Adding a rule kind").
 *
 * X(ID, name, class, rights):
 *   ID      LG_RULE_<ID> in enum lg_rule_kind; the row order is the order
 *           lists are shown and checked in.
 *   name    the list's name in tokens ("allow.<name>"), the configuration
 *           (baseline.<name>, ceiling.<name>) and the CLI. Stable: never
 *           rename one.
 *   class   LG_CLASS_FILE: path rules (docs/rules.md), compiled into
 *           lg_path_rules with @rights. LG_CLASS_NET: connect rule syntax,
 *           compiled into lg_net_rules and lg_unix_rules, which carry no
 *           rights: @rights must be LG_NET_RULE_RIGHTS.
 *   rights  what one rule of the kind grants on its target, in the class's
 *           bit space (livegrant/abi.h).
 *
 * A ceiling rule of kind C covers a token rule of kind K when both are of
 * one class, rights(K) is a subset of rights(C) and the target is within
 * the ceiling rule's: so a write ceiling also covers read rules.
 */
#ifndef LIVEGRANT_RULE_KINDS_H
#define LIVEGRANT_RULE_KINDS_H

#include "abi.h"

#define LG_RULE_KINDS(X)                                                   \
	X(EXEC, "exec", LG_CLASS_FILE, LG_FILE_EXECUTE)                    \
	X(READ, "read", LG_CLASS_FILE, LG_FILE_READ_RIGHTS)                \
	X(WRITE, "write", LG_CLASS_FILE, LG_FILE_WRITE_RIGHTS)             \
	X(CONNECT, "connect", LG_CLASS_NET, LG_NET_CONNECT_RIGHTS)         \
	X(DEVICE, "device", LG_CLASS_FILE, LG_FILE_DEVICE_RIGHTS)          \
	X(READWRITE, "readwrite", LG_CLASS_FILE, LG_FILE_READWRITE_RIGHTS) \
	X(LISTEN, "listen", LG_CLASS_NET, LG_NET_LISTEN_RIGHTS)

#define LG_RULE_KIND_ENUM(id, name, class, rights) LG_RULE_##id,
enum lg_rule_kind { LG_RULE_KINDS(LG_RULE_KIND_ENUM) LG_RULE_KIND_MAX };
#undef LG_RULE_KIND_ENUM

/* The net maps hold only LG_NET_RULE_RIGHTS (abi.h). */
#define LG_RULE_KIND_CHECK(id, name, class, rights)                                      \
	_Static_assert((class) != LG_CLASS_NET || ((rights) & ~LG_NET_RULE_RIGHTS) == 0, \
		       "rule kind " name ": the network rule maps cannot hold these rights");
LG_RULE_KINDS(LG_RULE_KIND_CHECK)
#undef LG_RULE_KIND_CHECK

#endif /* LIVEGRANT_RULE_KINDS_H */

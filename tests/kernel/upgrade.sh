#!/bin/sh
# tests/kernel/upgrade.sh - upgrades and downgrades with agents at work: no
# moment where an allowed action fails or a denied one succeeds.
#
# An agent opens a file its grant allows and one it does not, every 2 ms,
# while livegrantd is replaced, in turn, by:
#   1. the last release before pin manifests (UPGRADE_FROM, ABI 3) -> this
#      build: new maps, every grant carried over (start: replaced);
#   2. this build -> the same tree with one more hook (make
#      LG_TEST_EXTRA_HOOK=1): same maps, one more program (start: upgraded);
#      that build also has a hook no kernel has, reported as not enforced;
#   3. and back: the extra program goes (start: upgraded);
#   4. this build restarted: the pins are adopted as they are.
# The refresh interval is 6 s, so a grant lapses 12 s after the last refresh
# (this build's livegrantd refreshes once more as it stops; the old release
# does not, so its switch has 6 to 12 s): each switch must carry the grants
# across well inside that. The steps before the grants are bridged (the
# kernel checks, the BTF parses, the take-over) take 1 to 4 s under
# emulation with another suite's VM on the same cores, and up to 6 s beside
# two (the first switch's grant lapsed for 0.1 s in a CI run when the
# interval was 4 s: the old release's last refresh was up to 4 s before it
# stopped). Each build runs longer than an interval (steady 7), so that
# each one's own refresh keeps the grant too.
# Run from the repository root inside the guest (tests/run does it):
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/upgrade.sh
# Ends with "upgrade: N passed, N failed".

. tests/kernel/lib.sh

LEGACY=$B/upgrade/livegrantd-9a58c45
EXTRA=$B/upgrade/livegrantd-extra
NEW=$B/livegrantd
LOOP=$B/tests/lg-accessloop
PINS=/sys/fs/bpf/livegrant

claims() { # SUB: an agent allowed to run the loop and read the workspace
	printf '{"iss":"https://issuer.qa.example","sub":"%s","aud":"livegrant://test-node","domain":"qa","task":"upgrade test","allow":{"exec":["/bin/busybox","%s","%s"],"read":["/tmp/lgt/ws/"]}}' \
		"$1" "$LG" "$LOOP"
}

setup() {
	setup_keys || return 1
	for b in $LEGACY $EXTRA $NEW $LOOP; do
		[ -x "$b" ] || { echo "    $b is missing: make upgrade-builds"; return 1; }
	done
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: $PINS
audience: livegrant://test-node
mode: enforce
refresh_interval: 6s
agent_cgroups: [$ROOT]
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/]
domains:
  qa:
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
EOF
}

# switch_to BINARY: stop the running livegrantd, start BINARY in its place.
# The time from the old one's exit to the new one answering is printed.
switch_to() {
	stop_lgd
	t0=$(cut -d' ' -f1 /proc/uptime)
	start_bin $1 || return 1
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "    $(basename "$1") up after $(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}') s (uptime $t0 to $t1)"
}

started_as() { contains $W/lgd.log "start: $1"; }
attached() { contains $W/status.txt "^programs: $1 attached"; }
# NHOOKS, NHOOKS_ON (lib.sh): the hooks of this build's registry, and those
# this kernel has (the extra build has two more, one of which no kernel has).
# one_set: exactly one set of pins, nothing of the legacy layout left.
one_set() {
	n=$(ls -d $PINS/set-* 2>/dev/null | wc -l)
	[ "$n" -eq 1 ] && [ ! -e $PINS/maps ] && [ ! -e $PINS/links ] && return 0
	echo "    pins:"
	ls -R $PINS | sed 's/^/    | /'
	return 1
}
has_link() { ls $PINS/set-*/links/ | grep -qx "$1"; }
no_link() { ! has_link "$1"; }
# steady SECONDS: let the agent work under this build (past a refresh interval).
steady() { sleep "$1"; }

check "setup: keys, config, three builds" setup
[ "$fail" -eq 0 ] || { summary upgrade; exit 1; }
# --- the release before manifests --------------------------------------
check "the old release (9a58c45) starts" start_bin $LEGACY
check "  and pins without a manifest" sh -c "[ -d $PINS/links ] && [ -d $PINS/maps ]"

mint loop "$(claims spiffe://example.org/agent/upgrade)"
start_accessloop up1 $W/loop.jwt
check "the agent works under the old release" contains $W/loop.out '^started'
steady 2

# --- 1. old release -> this build: new maps -----------------------------
check "this build replaces the old release's pins" switch_to $NEW
check "  it saw pins of another ABI: start: replaced" started_as replaced
check "  all $NHOOKS_ON programs this kernel takes attached" attached "$NHOOKS_ON of $NHOOKS"
check "  the old layout is gone, one set remains" one_set
check "  what the old programs denied meanwhile is logged, not lost" \
	contains $W/lgd.log 'events recorded by the replaced pins logged'
steady 7

# --- 2. this build -> one more hook ------------------------------------
check "a build with one more hook takes over" switch_to $EXTRA
check "  same maps, new programs: start: upgraded" started_as upgraded
check "  $((NHOOKS_ON + 1)) of its $((NHOOKS + 2)) programs attached" attached "$((NHOOKS_ON + 1)) of $((NHOOKS + 2))"
check "  the new hook's program is pinned" has_link lg_test_extra
check "  the hook this kernel lacks is left out" no_link lg_test_missing
check "  and said to be not enforced, by status" \
	contains $W/status.txt '^NOT ENFORCED: hook test_missing (lsm/livegrant_test_no_such_hook)'
check "  by livegrantd's log" \
	contains $W/lgd.log 'NOT ENFORCED on this kernel: hook test_missing'
$B/upgrade/livegrant-extra check-kernel >$W/ck.txt 2>&1
rc=$?
check "  and by check-kernel, which still passes (the hook is optional)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'hook test_missing .*NOT ENFORCED' $W/ck.txt && grep -q 'hook test_extra .*enforced' $W/ck.txt"
check "  one set remains" one_set
steady 7

# --- 3. and back --------------------------------------------------------
check "the build without it takes over again" switch_to $NEW
check "  start: upgraded" started_as upgraded
check "  $NHOOKS_ON programs attached" attached "$NHOOKS_ON of $NHOOKS"
check "  the extra program is gone" no_link lg_test_extra
check "  one set remains" one_set
steady 7

# --- 4. a plain restart --------------------------------------------------
check "a restart of the same build" switch_to $NEW
check "  adopts the pins as they are" started_as adopted
check "  one set remains" one_set
steady 2

stop_accessloop up1
sed 's/^/    loop: /' $W/loop.out | tail -n 12
check "the agent sampled throughout (over 2000 rounds)" \
	sh -c "grep -q '^rounds=' $W/loop.out && [ \$(sed -n 's/^rounds=\([0-9]*\).*/\1/p' $W/loop.out) -gt 2000 ]"
check "its allowed open never failed" contains $W/loop.out 'allowed_failed=0 ' ||
	grep '"target":"/tmp/lgt/ws/a"' $W/events.jsonl | head -n 3 | sed 's/^/    denied: /'
check "its denied open never succeeded" contains $W/loop.out 'denied_succeeded=0$'
check "its denials are seen by the last build" \
	contains $W/events.jsonl '"target":"/tmp/lgt/secret".*"reason":"not_allowed"'

# A new agent can still enroll, and the program it opens is judged.
mint fresh "$(claims spiffe://example.org/agent/after)"
as_agent up2 $W/fresh.jwt -- /bin/cat /tmp/lgt/ws/a >$W/up2.out 2>&1
check "a new agent enrolls after the switches" contains $W/up2.out '^data'
as_agent up2 $W/fresh.jwt -- /bin/cat /tmp/lgt/secret >$W/up2b.out 2>&1
check "and is denied outside its grant" contains $W/up2b.out 'Permission denied'

stop_lgd
summary upgrade

#!/bin/sh
# tests/kernel/lib.sh - helpers the in-VM shell suites share (sourced from
# the repository root inside the guest): checks, livegrantd start and stop,
# minting tokens with the development issuer, running commands as agents.

# LG_TEST_BUILD: another tree of the same binaries (tests/sanitize-daemon.sh).
B=${LG_TEST_BUILD:-$PWD/build}
LG=$B/livegrant
ISSUER=$B/livegrant-issuer
W=/tmp/lgd
ROOT=/sys/fs/cgroup/agents
SOCK=/run/livegrant/livegrant.sock
export LIVEGRANT_SOCKET=$SOCK
pass=0
fail=0
LGD_PID=
# The hooks of this build (one "  hook" line each in check-kernel), so the
# suites need no count that every new hook would have to change, and
# NHOOKS_ON of them this kernel has (an optional hook it lacks, such as
# inode_set_acl before 6.2, is "NOT ENFORCED" and not attached).
LG_CK=$($B/livegrant check-kernel 2>&1)
# Root with no capability at all, effective, permitted or inheritable, and
# none to regain: util-linux's setpriv (tests/run adds it to the guest).
NOCAPS="/usr/bin/setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all --"
NHOOKS=$(printf '%s\n' "$LG_CK" | grep -c '^  hook ')
NHOOKS_ON=$(printf '%s\n' "$LG_CK" | grep -c '^  hook .* enforced$')

check() { # NAME COMMAND...: passes when COMMAND succeeds
	name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		return 1
	fi
}

# contains FILE PATTERN: grep -q, showing the file on failure
contains() {
	grep -q -- "$2" "$1" && return 0
	echo "    '$2' not in $1:"
	sed 's/^/    | /' "$1" | tail -n 15
	return 1
}

# Numeric checks that show both sides when they fail.
at_most() { [ "$1" -le "$2" ] && return 0; echo "    $1 > $2"; return 1; }
at_least() { [ "$1" -ge "$2" ] && return 0; echo "    $1 < $2"; return 1; }
equal() { [ "$1" -eq "$2" ] && return 0; echo "    $1 != $2"; return 1; }
# wait_for FILE PATTERN [TENTHS]: until FILE holds PATTERN, or TENTHS of a
# second (20) have passed; the caller checks (events reach the log through
# livegrantd's loop).
wait_for() {
	for _ in $(seq 1 "${3:-20}"); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# field FILE KEY: the number after KEY= on FILE's last line that has it
field() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" $1 | tail -n 1; }
# now_ms: milliseconds since boot (busybox has no date +%N)
now_ms() { awk '{printf "%d", $1 * 1000}' /proc/uptime; }

lacks() {
	! grep -q -- "$2" "$1" && return 0
	echo "    '$2' unexpectedly in $1:"
	grep -- "$2" "$1" | sed 's/^/    | /' | tail -n 5
	return 1
}

start_lgd() {
	$B/livegrantd --config $W/config.yaml >>$W/events.jsonl 2>>$W/lgd.log &
	LGD_PID=$!
	# Loading every program takes the verifier tens of seconds under
	# emulation on newer kernels: wait up to 120 s, unless it exits.
	for _ in $(seq 1 1200); do
		[ -S $SOCK ] && $LG status >/dev/null 2>&1 && return 0
		kill -0 $LGD_PID 2>/dev/null || break
		sleep 0.1
	done
	echo "    livegrantd did not come up:"
	sed 's/^/    | /' $W/lgd.log
	return 1
}

# start_bin BINARY: start that livegrantd build with $W/config.yaml (its
# log in $W/lgd.log, emptied first) and wait until it answers; its status
# is left in $W/status.txt.
start_bin() {
	: >$W/lgd.log
	$1 --config $W/config.yaml >>$W/events.jsonl 2>>$W/lgd.log &
	LGD_PID=$!
	for _ in $(seq 1 1200); do
		[ -S $SOCK ] && $LG status >$W/status.txt 2>&1 && return 0
		kill -0 $LGD_PID 2>/dev/null || break
		sleep 0.1
	done
	echo "    $1 did not come up:"
	sed 's/^/    | /' $W/lgd.log
	return 1
}

# sample_lgd: livegrantd's open fds and RSS (KiB), every 0.2 s until it
# exits, into $W/samples (run it in the background); peak_fds and peak_rss
# (KiB, the kernel's high-water mark) read the peaks.
sample_lgd() {
	while kill -0 $LGD_PID 2>/dev/null; do
		echo "$(ls /proc/$LGD_PID/fd 2>/dev/null | wc -l) $(awk '/^VmRSS/ {print $2}' /proc/$LGD_PID/status)"
		sleep 0.2
	done >$W/samples
}
peak_fds() { sort -n $W/samples | tail -n 1 | cut -d' ' -f1; }
peak_rss() { awk '/^VmHWM/ {print $2}' /proc/$LGD_PID/status; }

stop_lgd() {
	[ -n "$LGD_PID" ] || return 0
	kill -TERM "$LGD_PID" 2>/dev/null
	wait "$LGD_PID" 2>/dev/null
	LGD_PID=
}

# mint NAME CLAIMS_JSON [KEY KID] [issuer args...]: token into $W/NAME.jwt
mint() {
	n=$1 c=$2 key=${3:-$W/qa} kid=${4:-qa-1}
	shift 4 2>/dev/null || shift $#
	printf '%s\n' "$c" >$W/$n.json
	$ISSUER mint --key $key.key --kid $kid --claims $W/$n.json "$@" >$W/$n.jwt 2>$W/$n.err
}

loop_agent() { # NAME TOKEN LOG: read a granted file every 0.2 s, in the background
	as_agent "$1" "$2" -- /bin/sh -c \
		'while :; do if cat /tmp/lgt/ws/a >/dev/null 2>&1; then echo ok; else echo denied; fi; sleep 0.2; done' \
		>"$3" 2>&1 &
}
stop_agent() { echo 1 >$ROOT/$1/cgroup.kill; }
last_is() { # LOG LINE: the last ok/denied line of LOG is LINE
	tr -d '\000' <"$1" | grep -x 'ok\|denied' | tail -n 1 | grep -qx "$2" && return 0
	echo "    last lines of $1:"
	tail -n 3 "$1" | tr -d '\000' | sed 's/^/    | /'
	return 1
}


# as_agent NAME [TOKEN] -- CMD...: run CMD through livegrant exec
as_agent() {
	n=$1
	shift
	if [ "$1" != -- ]; then
		t="--token $1"
		shift
	else
		t=
	fi
	shift
	# shellcheck disable=SC2086
	$LG exec --cgroup "$n" $t -- "$@"
}

setup_keys() { # qa (EdDSA), prod (ES256) and an untrusted EdDSA key, with JWKS
	rm -rf $W /tmp/lgt
	mkdir -p $W /tmp/lgt/ws/out /run/livegrant
	echo data >/tmp/lgt/ws/a
	echo secret >/tmp/lgt/secret
	$ISSUER keygen --alg EdDSA --out $W/qa || return 1
	$ISSUER keygen --alg ES256 --out $W/prod || return 1
	$ISSUER keygen --alg EdDSA --out $W/evil || return 1
	$ISSUER jwks --kid qa-1 $W/qa.pub >$W/qa.jwks || return 1
	$ISSUER jwks --kid prod-1 $W/prod.pub >$W/prod.jwks || return 1
}

# start_https_stub DIR: lg-https-stub steered by the files in DIR, in the
# background (STUB_PID); its port in PORT, its CA in DIR/ca.pem.
start_https_stub() {
	rm -f $1/port
	$B/tests/lg-https-stub --dir $1 --port-file $1/port >$1/stub.log 2>&1 &
	STUB_PID=$!
	for _ in $(seq 1 100); do
		[ -s $1/port ] && PORT=$(cat $1/port) && return 0
		sleep 0.1
	done
	sed 's/^/    | /' $1/stub.log
	return 1
}

# start_accessloop NAME TOKEN: lg-accessloop (tests/tools/accessloop.c) as
# agent NAME in the background, reading /tmp/lgt/ws/a (to be allowed) and
# /tmp/lgt/secret (to be denied) every 2 ms, its output in $W/loop.out;
# returns once it says "started" (or after 10 s: the caller checks).
start_accessloop() {
	as_agent $1 $2 -- $B/tests/lg-accessloop /tmp/lgt/ws/a /tmp/lgt/secret >$W/loop.out 2>&1 &
	for _ in $(seq 1 100); do
		grep -q '^started' $W/loop.out 2>/dev/null && return 0
		sleep 0.1
	done
}

# stop_accessloop NAME: end agent NAME's loop; it prints its "rounds=" line.
stop_accessloop() {
	# livegrant exec may sit between the shell and the loop: signal the loop.
	kill -TERM $(cat $ROOT/$1/cgroup.procs) 2>/dev/null
	for _ in $(seq 1 50); do
		grep -q '^rounds=' $W/loop.out && return 0
		sleep 0.1
	done
}

summary() { # NAME: the suite's closing line and exit status
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

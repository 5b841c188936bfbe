#!/bin/sh
# tests/kernel/upgrade_state.sh - what the kernel decided while no livegrantd
# ran survives the next start, whichever way it takes over the pins; and a
# start that cannot take over changes nothing.
#   A. 9a58c45 -> this build (replaced): an agent crosses into a suspending
#      domain while livegrantd is down; the old programs suspend it. After
#      the switch it must still be suspended, its crossing logged.
#   B. this build -> one more hook (upgraded): the same.
#   C. a second livegrantd on the same state_dir is refused, and so is one
#      started while the old release (which takes no lock) still runs.
#   D. a start refused by its configuration keeps no grant alive.
#   E. a suspended agent, sampled every 2 ms, stays suspended at every
#      moment of adopted and upgraded restarts.
# Run from the repository root inside the guest (tests/run does it):
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/upgrade_state.sh
# Ends with "upgrade_state: N passed, N failed".

. tests/kernel/lib.sh

LEGACY=$B/upgrade/livegrantd-9a58c45
EXTRA=$B/upgrade/livegrantd-extra
NEW=$B/livegrantd
NP=$B/tests/lg-netprobe
LOOP=$B/tests/lg-accessloop
PINS=/sys/fs/bpf/livegrant
PROD4=10.20.1.1
QA4=10.10.1.1

config() { # EXTRA_ROOT: the config, with a second (nested) root if given
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: $PINS
audience: livegrant://test-node
refresh_interval: 2s
agent_cgroups: [$ROOT$1]
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/, /bin/busybox, $LG, $NP, $LOOP]
domains:
  qa:
    networks: [10.10.0.0/16]
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
  prod:
    networks: [10.20.0.0/16]
    trust_bundle: $W/prod.jwks
    max_ttl: 10m
    on_crossing: suspend
EOF
}

setup() {
	setup_keys || return 1
	ip addr add $QA4/32 dev lo && ip addr add $PROD4/32 dev lo || return 1
	$NP listen $PROD4 443 >/dev/null 2>&1 &
	$NP listen $QA4 443 >/dev/null 2>&1 &
	config ""
}

start_bin_after_stop() { stop_lgd && start_bin "$1"; }
# signal_loop SIG NAME: send SIG to the lg-accessloop in agent cgroup NAME.
signal_loop() {
	for p in $(cat $ROOT/$2/cgroup.procs); do
		tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -q lg-accessloop && kill -$1 $p
	done
}

# in_cg NAME CMD...: run CMD in agent cgroup NAME, without livegrantd.
in_cg() {
	n=$1
	shift
	sh -c 'echo $$ >'"$ROOT/$n"'/cgroup.procs && exec "$@"' sh "$@"
}
qa() { printf '{"iss":"https://issuer.qa.example","sub":"spiffe://example.org/agent/%s","aud":"livegrant://test-node","domain":"qa","task":"t","allow":{"read":["/tmp/lgt/ws/"],"connect":["10.10.0.0/16:443"]}}' "$1"; }
fresh() { # forget everything: pins, state, agents
	stop_lgd
	$LG unpin $PINS >/dev/null 2>&1
	rm -f /run/livegrant/state.json
}

# suspended_across FROM TO NAME START: the crossing case for one switch.
suspended_across() {
	from=$1 to=$2 n=$3 how=$4
	check "$n: $from starts" start_bin $from
	mint $n "$(qa $n)"
	as_agent $n $W/$n.jwt -- /bin/cat /tmp/lgt/ws/a >$W/$n.0 2>&1
	check "$n: the agent reads inside its grant" contains $W/$n.0 '^data'
	stop_lgd
	in_cg $n $NP connect $PROD4 443 >$W/$n.1 2>&1
	check "$n: with livegrantd down, its crossing into prod is denied" \
		contains $W/$n.1 'Permission denied'
	in_cg $n /bin/cat /tmp/lgt/ws/a >$W/$n.2 2>&1
	check "$n: and the old programs suspended it" contains $W/$n.2 'Permission denied'
	check "$n: $to takes over" start_bin $to
	check "$n:   start: $how" contains $W/lgd.log "start: $how"
	in_cg $n /bin/cat /tmp/lgt/ws/a >$W/$n.3 2>&1
	check "$n:   the agent is still suspended" contains $W/$n.3 'Permission denied'
	sleep 4.5
	in_cg $n /bin/cat /tmp/lgt/ws/a >$W/$n.4 2>&1
	check "$n:   and still after two refreshes" contains $W/$n.4 'Permission denied'
	in_cg $n $NP connect $QA4 443 >$W/$n.5 2>&1
	check "$n:   even inside its own domain" contains $W/$n.5 'Permission denied'
	$LG agents --json >$W/$n.agents 2>&1
	check "$n:   livegrant agents: reauth_required, suspended" \
		sh -c "grep -A12 '\"cgroup\": \"$ROOT/$n\"' $W/$n.agents | grep -q '\"state\": \"reauth_required\"' &&
			grep -A12 '\"cgroup\": \"$ROOT/$n\"' $W/$n.agents | grep -q '\"suspended\": true'"
	check "$n:   the crossing made while it was down is in the log" \
		contains $W/events.jsonl "\"cgroup\":\"$ROOT/$n\".*\"reason\":\"domain_crossing\""
}

check "setup: keys, listeners on lo, config" setup
[ "$fail" -eq 0 ] || { summary upgrade_state; exit 1; }

# Each section goes on from the pins the last one left where it can: a
# start that loads every program takes 20 to 40 s under emulation beside
# another guest, and a start that adopts the pins a few.
suspended_across $LEGACY $NEW repl replaced
stop_lgd
suspended_across $NEW $EXTRA upgr upgraded

# --- C. one livegrantd per state_dir -----------------------------------------
# The first: B's build with one more hook, still running.
check "C: a livegrantd runs" sh -c "[ -n '$LGD_PID' ] && kill -0 '$LGD_PID'"
first=$LGD_PID
mint c "$(qa c)"
$NEW --config $W/config.yaml --takeover-wait 1 >/dev/null 2>$W/second.log
rc=$?
check "C: a second one on the same state_dir waits, then is refused, naming the first" \
	sh -c "[ $rc -ne 0 ] && grep -q 'waiting up to 1s' $W/second.log && grep -q 'another livegrantd (pid $first)' $W/second.log"
as_agent c $W/c.jwt -- /bin/cat /tmp/lgt/ws/a >$W/c.0 2>&1
check "C: the first still enrolls and enforces" contains $W/c.0 '^data'
LGD_PID=$first
fresh
check "C: the old release (no lock) runs" start_bin $LEGACY
mint r "$(qa r)"
as_agent r $W/r.jwt -- /bin/cat /tmp/lgt/ws/a >$W/r.0 2>&1
check "C: an agent enrolls under it" contains $W/r.0 '^data'

$NEW --config $W/config.yaml --takeover-wait 1 >/dev/null 2>$W/over-legacy.log
rc=$?
check "C: this build will not run beside it" \
	sh -c "[ $rc -ne 0 ] && grep -q 'already answers on' $W/over-legacy.log"
# A rolling restart: the new one starts first and takes over when the old stops.
old_pid=$LGD_PID
$NEW --config $W/config.yaml >>$W/events.jsonl 2>$W/rolling.log &
new_pid=$!
sleep 2
check "C: started before the old one stopped, this build waits" \
	contains $W/rolling.log 'waiting up to 30s'
as_agent r -- /bin/cat /tmp/lgt/ws/a >$W/r.1 2>&1
check "C: meanwhile the old release still serves agents" contains $W/r.1 '^data'
LGD_PID=$old_pid
stop_lgd
LGD_PID=$new_pid
# It loads every program first: up to 120 s under emulation on newer kernels.
for _ in $(seq 1 1200); do
	grep -q 'enforcing' $W/rolling.log && $LG status >/dev/null 2>&1 && break
	sleep 0.1
done
check "C: once it stopped, this build takes over" \
	sh -c "grep -q 'taking over' $W/rolling.log && grep -q 'start: replaced' $W/rolling.log"
as_agent r -- /bin/cat /tmp/lgt/ws/a >$W/r.2 2>&1
check "C: and its agent keeps its grant" contains $W/r.2 '^data'
mint c "$(qa c)"
as_agent c $W/c.jwt -- /bin/cat /tmp/lgt/ws/a >$W/c.0 2>&1
check "C: and enrolls new agents" contains $W/c.0 '^data'

# --- D. a start refused by its configuration keeps no grant alive ----------
stop_lgd
config ", $ROOT/c"
$NEW --config $W/config.yaml >/dev/null 2>$W/bad.log
rc=$?
check "D: a start with nested roots is refused" \
	sh -c "[ $rc -ne 0 ] && grep -q 'are nested' $W/bad.log"
$NEW --config $W/config.yaml >/dev/null 2>&1
$NEW --config $W/config.yaml >/dev/null 2>&1
sleep 4.5
in_cg c /bin/cat /tmp/lgt/ws/a >$W/c.1 2>&1
check "D: refused starts kept nothing alive: the grant lapsed on time" \
	contains $W/c.1 'Permission denied'

# --- E. suspended at every moment of a restart ----------------------------
config ""
# C's pins, which the refused starts of D left as they were: adopted.
check "E: livegrantd starts" start_bin $NEW
mint e "$(qa e)"
as_agent e $W/e.jwt -- $LOOP - /tmp/lgt/ws/a >$W/e.loop 2>&1 &
for _ in $(seq 1 100); do
	grep -q '^started' $W/e.loop 2>/dev/null && break
	sleep 0.1
done
in_cg e $NP connect $PROD4 443 >$W/e.1 2>&1
check "E: the agent crosses into prod and is suspended" contains $W/e.1 'Permission denied'
sleep 0.5
signal_loop USR1 e
sleep 0.3
check "E: the sampling agent counts afresh" contains $W/e.loop '^reset'
check "E: restart (adopted)" start_bin_after_stop $NEW
check "E: upgrade (one more hook)" start_bin_after_stop $EXTRA
check "E: and back" start_bin_after_stop $NEW
sleep 1
signal_loop TERM e
for _ in $(seq 1 50); do
	grep -q '^rounds=' $W/e.loop && break
	sleep 0.1
done
tail -n 3 $W/e.loop | sed 's/^/    loop: /'
check "E: sampled throughout (over 500 rounds)" \
	sh -c "[ \"\$(sed -n 's/^rounds=\([0-9]*\).*/\1/p' $W/e.loop | tail -n 1)\" -gt 500 ] 2>/dev/null"
check "E: its granted file was never readable while suspended" contains $W/e.loop 'denied_succeeded=0$'

summary upgrade_state

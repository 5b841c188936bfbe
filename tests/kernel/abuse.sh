#!/bin/sh
# tests/kernel/abuse.sh - livegrantd's control socket under abuse, in the VM,
# with agents at work (build/tests/lg-sockabuse makes the hostile clients):
#   1. one agent floods: 500 connections held and four processes
#      reconnecting without pause;
#   2. 120 connections whose peer exited before livegrantd accepted them;
#   3. hostile requests: garbage, a NUL, deep nesting, 70 KiB, truncated,
#      one byte at a time, and clients that never read;
#   4. 1,000 clients at once, each an agent cgroup of its own.
# Meanwhile a bystander agent reads its granted file every 2 ms (its grant
# lapses 4 s after a missed refresh) and an honest agent presents tokens,
# timed. livegrantd's open descriptors and memory are sampled throughout.
# Each phase prints its figures.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/abuse.sh
# Ends with "abuse: N passed, N failed".

. tests/kernel/lib.sh

AB=$B/tests/lg-sockabuse
LOOP=$B/tests/lg-accessloop
METRICS=http://127.0.0.1:9464/metrics
# One agent's connections (control.c: LGD_MAX_CONNS_PER_AGENT), all of them.
PER_AGENT=8
MAX_CONNS=256

claims() { # SUB: may run the tools, and read the workspace
	printf '{"iss":"https://issuer.qa.example","sub":"spiffe://example.org/agent/%s","aud":"livegrant://test-node","domain":"qa","task":"abuse test","allow":{"exec":["/bin/busybox","%s","%s","%s"],"read":["/tmp/lgt/ws/"]}}' \
		"$1" "$LG" "$AB" "$LOOP"
}

setup() {
	setup_keys || return 1
	for b in $AB $LOOP; do
		[ -x "$b" ] || { echo "    $b is missing: make"; return 1; }
	done
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
refresh_interval: 2s
agent_cgroups: [$ROOT]
metrics_listen: 127.0.0.1:9464
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/]
  readwrite: [/dev/null]
domains:
  qa:
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
EOF
	for n in by flood; do
		mint $n "$(claims $n)" || return 1
	done
	for i in $(seq 1 12); do
		mint honest$i "$(claims honest$i)" || return 1
	done
}

# honest N FIRST: N honest agents present one token each, one after another;
# each one's time from the start of livegrant exec to the exec is a sample.
# Prints "honest: ok=N of N max_ms=N".
honest() {
	ok=0 max=0
	for i in $(seq $2 $(($2 + $1 - 1))); do
		t0=$(now_ms)
		as_agent honest$i $W/honest$i.jwt -- /bin/busybox true >>$W/honest.log 2>&1 && ok=$((ok + 1))
		ms=$(($(now_ms) - t0))
		[ $ms -gt $max ] && max=$ms
	done
	echo "honest: ok=$ok of $1 max_ms=$max"
}

rejected() { # REASON: livegrantd's count of connections turned away for REASON
	wget -qO- $METRICS | sed -n "s/^livegrant_control_rejected_total{reason=\"$1\"} //p"
}
open_conns() { wget -qO- $METRICS | sed -n 's/^livegrant_control_connections //p'; }

check "setup: keys, config, tokens" setup
check "livegrantd starts" start_lgd
sample_lgd &
start_accessloop by $W/by.jwt
check "the bystander agent works" contains $W/loop.out '^started'

# --- 1. one agent floods ---------------------------------------------------
# (An agent writes no file of ours: its tools print to the stdout it inherits.)
as_agent flood $W/flood.jwt -- /bin/busybox sh -c "
	$AB hold $SOCK 500 14 &
	for i in 1 2 3 4; do $AB reconnect $SOCK 12 & done
	wait" >$W/flood.out 2>&1 &
FLOOD=$!
# The connections livegrantd holds, every 0.3 s while the flood lasts.
(while kill -0 $FLOOD 2>/dev/null; do open_conns; sleep 0.3; done >$W/conns.out) &
sleep 2
honest 5 1 >$W/h1.out
echo "    during the flood: $(cat $W/h1.out)"
wait $FLOOD
grep '^busy=' $W/flood.out >$W/hold.out
sleep 0.5
peak_conns=$(sort -n $W/conns.out | tail -n 1)
connects=$(sed -n 's/^connects=//p' $W/flood.out | awk '{s += $1} END {print s + 0}')
echo "    flood: 500 held open: $(cat $W/hold.out); $connects connects by 4 reconnecting processes;" \
	"turned away: $(rejected agent_cap) agent_cap, $(rejected full) full; livegrantd held at most $peak_conns at once"
check "every honest presentation succeeded during the flood" contains $W/h1.out 'ok=5 of 5'
check "  each within 3 s" at_most "$(field $W/h1.out max_ms)" 3000
# Its $PER_AGENT, and an honest agent's one.
check "livegrantd held at most $PER_AGENT of the flooding agent's connections at once" \
	at_most "$peak_conns" $((PER_AGENT + 1))
check "  the others were told it is busy, or refused at connect (the queue was full)" \
	at_least $(($(field $W/hold.out busy) + $(field $W/hold.out failed))) 450
check "  or timed out, $PER_AGENT at a time (5 s each)" at_most "$(field $W/hold.out timed_out)" $((PER_AGENT * 4))
check "  and counted in the metrics" at_least "$(rejected agent_cap)" 400
check "the reconnecting processes kept connecting (the loop kept accepting)" at_least $connects 100

# --- 2. peers that exited before the accept -------------------------------
before=$(rejected unattested)
# livegrantd stopped meanwhile, so that every connector is gone before the
# accept (at most 128 wait in the queue; the rest are refused at connect).
# (livegrant exec presents first: the tool waits 1.5 s, livegrantd is stopped after 1.)
as_agent flood $W/flood.jwt -- $AB orphans $SOCK 120 1500 >$W/orphans.out 2>&1 &
ORPHANS=$!
sleep 1
kill -STOP $LGD_PID
wait $ORPHANS
kill -CONT $LGD_PID
sleep 1
# The connections are still open (a child of each connector holds it).
open_now=$(open_conns)
unattested=$(($(rejected unattested) - before))
echo "    $(cat $W/orphans.out): $unattested answered unattested; $open_now connections held while they stay open"
check "120 connections whose peer exited: answered unattested" at_least $unattested 100
check "  none of them held" at_most "$open_now" 1
honest 1 6 >$W/h2.out
check "  and an honest agent presents after them" contains $W/h2.out 'ok=1 of 1'

# --- 3. hostile requests ----------------------------------------------------
as_agent flood $W/flood.jwt -- $AB garbage $SOCK >$W/garbage.out 2>&1
sed 's/^/    garbage: /' $W/garbage.out
check "no hostile request hangs livegrantd's answer" contains $W/garbage.out ' hung=0$'
check "  every one is answered or closed" \
	sh -c "[ $(field $W/garbage.out answered) -ge 10 ] && [ $(field $W/garbage.out sent) -eq 11 ]"
check "  the oversized one is refused as too large" contains $W/garbage.out 'oversized: answered.*too_large'
as_agent flood $W/flood.jwt -- $AB noread $SOCK 8 4 >$W/noread.out 2>&1 &
NOREAD=$!
sleep 1
honest 1 7 >$W/h3.out
wait $NOREAD
echo "    $(cat $W/noread.out) clients that never read; honest meanwhile: $(cat $W/h3.out)"
check "clients that never read hold nothing up" contains $W/h3.out 'ok=1 of 1'

# --- 4. 1,000 clients at once ---------------------------------------------
$AB many $SOCK $ROOT 1000 >$W/many.out 2>&1 &
MANY=$!
sleep 1.5
honest 3 8 >$W/h4.out
wait $MANY
echo "    $(cat $W/many.out)"
echo "    honest meanwhile: $(cat $W/h4.out)"
check "1,000 clients at once: every one got an answer" contains $W/many.out ' noreply=0 '
check "  an honest agent presented meanwhile" contains $W/h4.out 'ok=3 of 3'

# --- the bystander and livegrantd's resources -------------------------------
honest 1 11 >$W/h5.out
check "livegrantd still answers: an honest agent presents" contains $W/h5.out 'ok=1 of 1'
check "  and status answers" sh -c "$LG status >$W/status.txt 2>&1"
grep '^control socket' $W/status.txt | sed 's/^/    /'
stop_accessloop by
echo "    bystander: $(grep '^rounds=' $W/loop.out)"
check "the bystander's allowed open never failed (its grant never lapsed)" contains $W/loop.out 'allowed_failed=0 '
check "  and its denied open never succeeded" contains $W/loop.out 'denied_succeeded=0$'
peak_fds=$(peak_fds)
peak_rss=$(peak_rss)
echo "    livegrantd: peak $peak_fds open descriptors, peak RSS $((peak_rss / 1024)) MiB ($(wc -l <$W/samples) samples)"
check "livegrantd's descriptors stayed bounded (at most $MAX_CONNS connections and its own)" \
	at_most "$peak_fds" $((MAX_CONNS + 64))
check "  and its memory (peak RSS under 96 MiB)" at_most "$peak_rss" $((96 * 1024))
stop_lgd
summary abuse

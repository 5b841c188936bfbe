#!/bin/sh
# tests/kernel/load.sh - livegrantd under load, in the VM, with valid tokens
# (abuse.sh's 1,000 clients present tokens that cannot verify):
#   1. 1,000 agents present valid tokens at once (lg-present-load -a, each
#      a cgroup of its own, all let go together). Every one must be
#      admitted; one turned away as busy presents again after the
#      retry_after_ms it was told, as `livegrant present` does. The time
#      from the release to each grant is a sample;
#   2. more waves of 1,000 at once, until LOAD_AGENTS (2,000; 10,000 by hand:
#      LOAD_AGENTS=10000 LOAD_INTERVAL=10) are registered, each with a live grant;
#   3. livegrantd refreshes all of them for four intervals: the passes must
#      keep to the interval and every agent must still be active.
# Throughout, a bystander agent reads its granted file every 2 ms (its grant
# lapses two intervals after a missed refresh), `livegrant status` is timed
# each second, and livegrantd's open descriptors and memory are sampled.
# Each phase prints its figures.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/load.sh
# Ends with "load: N passed, N failed".

. tests/kernel/lib.sh

LOAD=$B/tests/lg-present-load
LOOP=$B/tests/lg-accessloop
METRICS=http://127.0.0.1:9464/metrics
AGENTS=${LOAD_AGENTS:-2000}
WAVE=${LOAD_WAVE:-1000}
INTERVAL=${LOAD_INTERVAL:-3} # s: grants lapse two intervals after the last refresh
HOLD=4     # intervals refreshed with the whole fleet live
MAX_CONNS=256 # control.c: LGD_MAX_CONNS
ADMIN_SOCK=/run/livegrant/livegrant-admin.sock
# The largest bucket of livegrant_refresh_seconds below the interval.
if [ "$INTERVAL" -gt 10 ]; then LE=10; elif [ "$INTERVAL" -gt 2 ]; then LE=2.5; else LE=1; fi

claims() { # SUB: may run the tools, and read the workspace
	printf '{"iss":"https://issuer.qa.example","sub":"spiffe://example.org/agent/%s","aud":"livegrant://test-node","domain":"qa","task":"load test","allow":{"exec":["/bin/busybox","%s","%s"],"read":["/tmp/lgt/ws/"]}}' \
		"$1" "$LG" "$LOOP"
}

setup() {
	setup_keys || return 1
	for b in $LOAD $LOOP; do
		[ -x "$b" ] || { echo "    $b is missing: make"; return 1; }
	done
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
refresh_interval: ${INTERVAL}s
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
	mint by "$(claims by)" || return 1
	claims fleet >$W/fleet.json
	$ISSUER mint --key $W/qa.key --kid qa-1 --ttl 1h --claims $W/fleet.json \
		--count $AGENTS >$W/tokens.txt || return 1
	[ "$(sort -u $W/tokens.txt | wc -l)" -eq "$AGENTS" ]
}

# time_status: `livegrant status` on the admin socket, once a second until
# $W/stop exists; each one's milliseconds, or "fail" and what it said, a
# line each in $W/status_ms. Asked there by name: the CLI's fallback to the
# agent socket (its default when the admin socket does not answer) must not
# hide an admin socket that fails.
time_status() {
	while [ ! -e $W/stop ]; do
		t0=$(now_ms)
		if timeout 10 $LG status --socket $ADMIN_SOCK >/dev/null 2>$W/status.err; then
			echo $(($(now_ms) - t0))
		else
			echo "fail after $(($(now_ms) - t0)) ms: $(head -c 200 $W/status.err)"
		fi
		sleep 1
	done >$W/status_ms
}

# scrape FILE: one scrape, so that figures read together agree (a pass can
# end between two scrapes); metric FILE NAME: NAME's value in it.
scrape() { wget -qO- $METRICS >"$1"; }
metric() { sed -n "s/^$2 //p" "$1"; }
ms_of() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; } # NS: in ms
# active_agents: how many agents `livegrant agents` lists active (its
# output in $W/agents.json, what it said on failure in $W/agents.err)
active_agents() {
	$LG agents --json >$W/agents.json 2>$W/agents.err || sed 's/^/    | /' $W/agents.err >&2
	grep -c '"state": "active"' $W/agents.json
}

check "setup: keys, config, $AGENTS tokens" setup
check "livegrantd starts" start_lgd
own_fds=$(ls /proc/$LGD_PID/fd | wc -l)
sample_lgd &
time_status &
start_accessloop by $W/by.jwt
check "the bystander agent works" contains $W/loop.out '^started'

# --- 1. 1,000 agents present at once ---------------------------------------
$LOAD -S $SOCK -R $ROOT -T $W/tokens.txt -p fleet -n $WAVE -a >$W/wave0.out 2>&1
rc=$?
w0=$(grep '^at_once ' $W/wave0.out)
echo "    figure: $WAVE at once: $w0"
echo "    figure: presentation latency: median $(ms_of "$(field $W/wave0.out median_ns)") ms," \
	"p99 $(ms_of "$(field $W/wave0.out p99_ns)") ms, max $(ms_of "$(field $W/wave0.out max_ns)") ms;" \
	"$(field $W/wave0.out retried) told to wait and presented again"
check "$WAVE agents presenting valid tokens at once: every one admitted" \
	sh -c "[ $rc -eq 0 ] && grep -q '^at_once n=$WAVE admitted=$WAVE refused=0 no_reply=0 ' $W/wave0.out" ||
	sed 's/^/    | /' $W/wave0.out | tail -n 12
check "  and each holds an active grant" equal "$(active_agents)" $((WAVE + 1))

# --- 2. the fleet grows to $AGENTS ------------------------------------------
t0=$(now_ms)
grown=$WAVE failed_waves=0
while [ $grown -lt "$AGENTS" ]; do
	n=$WAVE
	[ $((grown + n)) -gt "$AGENTS" ] && n=$((AGENTS - grown))
	$LOAD -S $SOCK -R $ROOT -T $W/tokens.txt -p fleet -o $grown -n $n -a >$W/wave.out 2>&1 ||
		{ failed_waves=$((failed_waves + 1)); sed 's/^/    | /' $W/wave.out | tail -n 12; }
	grown=$((grown + n))
done
grow_s=$((($(now_ms) - t0) / 1000))
echo "    figure: the last wave ($n at once, $((grown - n)) agents live): $(grep '^at_once ' $W/wave.out)"
echo "    figure: $((AGENTS - WAVE)) more agents presented in $grow_s s"
check "$AGENTS agents registered: every wave admitted whole" equal $failed_waves 0

# --- 3. refreshing the whole fleet -----------------------------------------
# An interval first: a pass that began during the last wave (its slices
# shared the loop with presentations) is not one of the fleet's at rest.
sleep $INTERVAL
scrape $W/m0
sleep $((HOLD * INTERVAL))
scrape $W/m1
c0=$(metric $W/m0 livegrant_refresh_seconds_count)
s0=$(metric $W/m0 livegrant_refresh_seconds_sum)
b0=$(metric $W/m0 "livegrant_refresh_seconds_bucket{le=\"$LE\"}")
c1=$(metric $W/m1 livegrant_refresh_seconds_count)
s1=$(metric $W/m1 livegrant_refresh_seconds_sum)
b1=$(metric $W/m1 "livegrant_refresh_seconds_bucket{le=\"$LE\"}")
passes=$((c1 - c0))
mean=$(awk -v a="$s0" -v b="$s1" -v n="$passes" 'BEGIN { if (n > 0) printf "%.3f", (b - a) / n; else print 0 }')
echo "    figure: $passes refresh passes over $((AGENTS + 1)) agents in $((HOLD * INTERVAL)) s, mean $mean s" \
	"(interval ${INTERVAL} s); $((b1 - b0)) of them within $LE s"
check "the refresh interval is held with $AGENTS agents: a pass at least every interval" \
	at_least "$passes" $((HOLD - 1))
check "  and no pass took longer than $LE s (the interval is $INTERVAL s)" equal $((b1 - b0)) "$passes"
t0=$(now_ms)
active=$(active_agents)
echo "    figure: livegrant agents listed $active active agents in $(($(now_ms) - t0)) ms"
check "  every agent still holds an active grant" equal "$active" $((AGENTS + 1))

# --- the bystander, the SRE's view and livegrantd's resources ---------------
touch $W/stop
stop_accessloop by
echo "    bystander: $(grep '^rounds=' $W/loop.out)"
check "the bystander sampled throughout (over 2000 rounds)" at_least "$(field $W/loop.out rounds)" 2000
check "  its allowed open never failed (its grant never lapsed)" contains $W/loop.out 'allowed_failed=0 '
check "  and its denied open never succeeded" contains $W/loop.out 'denied_succeeded=0$'
sleep 1
slowest=$(grep -v fail $W/status_ms | sort -n | tail -n 1)
echo "    figure: livegrant status answered $(grep -vc fail $W/status_ms) times, slowest ${slowest:-?} ms," \
	"$(grep -c fail $W/status_ms) failed"
check "livegrant status answered every second throughout" lacks $W/status_ms fail
check "  within 2 s each time" at_most "${slowest:-99999}" 2000
peak_fds=$(peak_fds)
peak_rss=$(peak_rss)
echo "    figure: livegrantd: peak $peak_fds open descriptors, peak RSS $((peak_rss / 1024)) MiB" \
	"with $((AGENTS + 1)) agents ($(wc -l <$W/samples) samples)"
check "livegrantd's descriptors stayed bounded (its own $own_fds, at most $MAX_CONNS connections and 8 more)" \
	at_most "$peak_fds" $((own_fds + MAX_CONNS + 8))
check "  and its memory (peak RSS under 160 MiB)" at_most "$peak_rss" $((160 * 1024))
stop_lgd
summary load

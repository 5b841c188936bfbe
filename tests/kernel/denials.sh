#!/bin/sh
# tests/kernel/denials.sh - the denial log and `livegrant denials`, in the VM:
# JSON and table output, filters, --follow, rotation into gzip files read
# back in order, and a flood that is rate-limited with a counted summary.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/denials.sh
# Ends with "denials: N passed, N failed".

. tests/kernel/lib.sh

NP=$B/tests/lg-netprobe
LOG=/run/livegrant/denials.jsonl

setup() {
	setup_keys || return 1
	cat >$W/config.yaml <<EOF2
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
refresh_interval: 5s
agent_cgroups: [$ROOT]
metrics_listen: 127.0.0.1:9464
denial_log_max_bytes: 4096
denial_log_keep: 3
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/, /bin/busybox, $LG, $NP]
domains:
  qa:
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
EOF2
}

claims() {
	printf '{"sub":"spiffe://example.org/agent/%s","aud":"livegrant://test-node","domain":"qa","allow":{"read":["/tmp/lgt/ws/"]}}' "$1"
}

# json_has FILE FIELD...: every line of FILE carries every FIELD
json_has() {
	f=$1
	shift
	for k in "$@"; do
		n=$(grep -c "\"$k\":" "$f")
		t=$(grep -c . "$f")
		[ "$n" = "$t" ] && [ "$t" -gt 0 ] || {
			echo "    field $k in $n of $t lines of $f"
			return 1
		}
	done
}

check "setup" setup
# The files must exist: a missing file fails before the open hook runs.
i=0
while [ $i -lt 30 ]; do
	: >/tmp/lgt/r-$i
	i=$((i + 1))
done
: >/tmp/lgt/follow-marker
: >/tmp/lgt/after-flood
check "livegrantd starts" start_lgd
mint t1 "$(claims d1)"
as_agent d1 $W/t1.jwt -- /bin/true
i=0
while [ $i -lt 30 ]; do
	as_agent d1 -- $NP open /tmp/lgt/r-$i 1 >/dev/null
	i=$((i + 1))
done
sleep 1
check "the log rotated into gzip files" test -s $LOG.1.gz
check "rotated files are gzip" sh -c "gzip -dc $LOG.1.gz | grep -q '\"reason\":\"not_allowed\"'"
$LG denials --json >$W/all.json
check "denials reads across rotated files: the first denial" contains $W/all.json '"target":"/tmp/lgt/r-0"'
check "... and the last" contains $W/all.json '"target":"/tmp/lgt/r-29"'
first=$(grep -n 'r-0"' $W/all.json | cut -d: -f1)
lastl=$(grep -n 'r-29"' $W/all.json | cut -d: -f1)
check "oldest first" test "$first" -lt "$lastl"
$LG denials --json --limit 3 >$W/lim.json
check "--limit 3 gives the 3 newest" sh -c "[ \$(grep -c . $W/lim.json) = 3 ] && grep -q 'r-29' $W/lim.json"
check "JSON lines carry the stable fields" json_has $W/lim.json time agent cgroup domain pid uid comm hook target access reason action
check "time is RFC 3339 with nanoseconds" contains $W/lim.json '"time":"20[0-9-]*T[0-9:]*\.[0-9]\{9\}Z"'
$LG denials >$W/table.txt
check "table output has a header and rows" sh -c "grep -q '^TIME *AGENT' $W/table.txt && grep -q 'spiffe://example.org/agent/d1.*not_allowed *denied' $W/table.txt"
as_agent d2 -- /bin/true >/dev/null 2>&1
sleep 0.5
$LG denials --json --reason no_grant >$W/nogrant.json
check "--reason filters" sh -c "grep -q no_grant $W/nogrant.json && ! grep -q not_allowed $W/nogrant.json"
$LG denials --json --agent d1 --since 1h >$W/agent.json
check "--agent (cgroup name) and --since filter" sh -c "grep -q agent/d1 $W/agent.json && ! grep -q '/d2\"' $W/agent.json"

# --follow gets a denial made after it started.
$LG denials --follow --json >$W/follow.json 2>&1 &
fp=$!
sleep 1
as_agent d1 -- $NP open /tmp/lgt/follow-marker 1 >/dev/null
for _ in $(seq 1 30); do
	grep -q follow-marker $W/follow.json && break
	sleep 0.2
done
kill $fp 2>/dev/null
check "--follow receives a denial made after it started" contains $W/follow.json follow-marker

# A flood from one agent is rate-limited, counted, and does not stop others.
mint t3 "$(claims d3)"
as_agent d3 $W/t3.jwt -- $NP open /tmp/lgt/secret 3000 >$W/flood.out
as_agent d1 -- $NP open /tmp/lgt/after-flood 1 >/dev/null
# livegrantd works through the flood's events first, and writes the
# flood's rate_limited summary on its next tick: under emulation and load
# that takes seconds. Wait for both (up to 15 s), not a fixed time.
# The log rotates every 4 KiB here, so look through `livegrant denials`,
# which reads the rotated files too.
sleep 2
for _ in $(seq 1 65); do
	$LG denials --json >$W/after-flood.json 2>&1
	grep -q after-flood $W/after-flood.json && grep -q '"summary":"rate_limited"' $W/after-flood.json &&
		break
	sleep 0.2
done
check "the flood really hit the kernel" contains $W/flood.out "3000 of 3000 opens failed"
$LG denials --json --reason rate_limited >$W/rl.json
check "a rate_limited summary counts what was not logged" contains $W/rl.json '"suppressed":[1-9]'
check "another agent's denial right after the flood is logged" contains $W/after-flood.json after-flood
supp=$(sed -n 's/.*"suppressed":\([0-9]*\).*/\1/p' $W/rl.json | awk '{s+=$1} END {print s+0}')
echo "    figure: flood of 3000 denials from one agent: $supp not logged, counted in rate_limited summaries"
check "most of the flood was suppressed (burst $((200)) lines)" test "$supp" -ge 2000

# The metrics endpoint counts what happened above.
wget -qO $W/metrics.txt http://127.0.0.1:9464/metrics
check "metrics: denials by hook, reason and domain" \
	contains $W/metrics.txt 'livegrant_denials_total{.*hook="file_open".*reason="not_allowed".*domain="qa".*} [1-9]'
check "metrics: token verifications" contains $W/metrics.txt 'livegrant_token_verifications_total{result="accepted"} [1-9]'
check "metrics: agents by state" contains $W/metrics.txt 'livegrant_agents{state="active"} [1-9]'
check "metrics: agent cgroups without a token count as no_grant" \
	contains $W/metrics.txt '^livegrant_agents{state="no_grant"} 1$'
check "metrics: kernel decisions" contains $W/metrics.txt 'livegrant_kernel_decisions_total{.*decision="denied".*} [1-9]'
check "metrics: events lost is exported" contains $W/metrics.txt '^livegrant_events_lost_total [0-9]'

summary denials

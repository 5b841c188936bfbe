#!/bin/sh
# tests/bench/controller.sh - the controller's figures (docs/performance.md),
# in the VM, against a real livegrantd: how long a presented token takes to
# be verified and installed, how long a refresh pass over every agent takes,
# and whether presentations stall while refresh passes run.
#
#   tools/vmrun --add $PWD/tests/kernel --add $PWD/tests/bench -- \
#       sh tests/bench/controller.sh AGENTS [JSON]
#
# 1. AGENTS agents present one token each (a grant of 64 path and 32
#    network rules), one after another: the "install" samples.
# 2. With all of them live and livegrantd refreshing every REFRESH (10s),
#    EXTRA (50) more present, GAP_MS (300) apart, across at least one
#    refresh pass: the "during refresh" samples.
# 3. livegrantd's own histogram (livegrant_refresh_seconds) gives the
#    refresh passes' count and mean; every agent must still hold a live
#    grant at the end.
# 4. CROSS (20) of the agents, QA-authorized, each connect once to an
#    address of the prod domain, CROSS_GAP_MS (200) apart: each connect
#    must be denied, and livegrantd logs how long after the kernel's denial
#    it marked the agent reauth_required (crossing.c): the "crossing"
#    samples, taken with every agent live.
# Every presentation must succeed; any failure fails the run.

. tests/kernel/lib.sh

N=${1:-1000}
JSON=${2:-}
LOAD=$B/tests/lg-present-load
METRICS=http://127.0.0.1:9464/metrics
REFRESH=${REFRESH:-10s}
EXTRA=${EXTRA:-50}
GAP_MS=${GAP_MS:-300}
CROSS=${CROSS:-20}
[ "$CROSS" -le "$N" ] || CROSS=$N # only the first N agents hold a QA grant
CROSS_GAP_MS=${CROSS_GAP_MS:-200}

die() {
	echo "controller: $*" >&2
	[ -f $W/lgd.log ] && tail -n 20 $W/lgd.log >&2
	stop_lgd
	exit 1
}

# 32 read folders, 30 write folders, one more read folder, one exec rule,
# 32 TCP ports: the grant lg-bench's agent holds (docs/performance.md).
claims() {
	r= w= p=
	for i in $(seq 0 31); do r="$r\"/tmp/lgt/r$i/\","; done
	for i in $(seq 0 29); do w="$w\"/tmp/lgt/w$i/\","; done
	for i in $(seq 0 31); do p="$p\"127.0.0.1:$((7100 + i))\","; done
	printf '{"iss":"https://issuer.qa.example","sub":"spiffe://example.org/agent/load","aud":"livegrant://test-node","domain":"qa","task":"load","allow":{"read":[%s"/tmp/lgt/ws/"],"write":[%s],"exec":["/bin/busybox"],"connect":[%s]}}' \
		"$r" "${w%,}" "${p%,}"
}

metric() { # NAME: its value in the metrics text
	grep "^$1 " $W/metrics.txt | awk '{print $2}'
}

setup_keys || die "keys"
cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
mode: enforce
refresh_interval: $REFRESH
metrics_listen: 127.0.0.1:9464
agent_cgroups: [$ROOT]
domains:
  qa:
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
  prod:
    networks: [10.20.0.0/16]
    trust_bundle: $W/prod.jwks
    max_ttl: 10m
EOF
claims >$W/claims.json
$ISSUER mint --key $W/qa.key --kid qa-1 --ttl 1h --claims $W/claims.json \
	--count $((N + EXTRA)) >$W/tokens.txt || die "minting $((N + EXTRA)) tokens failed"
[ "$(sort -u $W/tokens.txt | wc -l)" -eq $((N + EXTRA)) ] || die "tokens are not distinct"
start_lgd || die "livegrantd did not start"

t0=$(date +%s)
$LOAD -S $SOCK -R $ROOT -T $W/tokens.txt -n $N >$W/install.txt || die "presentations failed"
t1=$(date +%s)
wget -q -O $W/metrics.txt $METRICS || die "no metrics"
c0=$(metric livegrant_refresh_seconds_count)
s0=$(metric livegrant_refresh_seconds_sum)
$LOAD -S $SOCK -R $ROOT -T $W/tokens.txt -o $N -n $EXTRA -g $GAP_MS -p during \
	>$W/during.txt || die "presentations during refresh failed"
sleep 3
wget -q -O $W/metrics.txt $METRICS || die "no metrics"
c1=$(metric livegrant_refresh_seconds_count)
s1=$(metric livegrant_refresh_seconds_sum)
$LG agents --json >$W/agents.json 2>&1
agents_rc=$?
active=$(grep -c '"state": "active"' $W/agents.json)
$LOAD -R $ROOT -X 10.20.0.1:443 -n $CROSS -g $CROSS_GAP_MS >$W/cross.txt ||
	die "a crossing into prod was not denied"
sleep 1
stop_lgd
# The latencies livegrantd logged, one per crossing, in ms.
sed -n 's/.*reauth_required.*, \([0-9.]*\) ms after the denial.*/\1/p' $W/lgd.log | sort -n >$W/cross_ms.txt
crossed=$(wc -l <$W/cross_ms.txt)
cross_at() { # QUANTILE: that quantile of the crossing latencies
	awk -v q="$1" '{ v[NR] = $1 } END { i = int(q * (NR - 1) + 0.5) + 1; if (NR) print v[i]; else print 0 }' $W/cross_ms.txt
}

passes=$((c1 - c0))
inst=$(tail -n 1 $W/install.txt)
during=$(tail -n 1 $W/during.txt)
mean=$(awk -v a="$s0" -v b="$s1" -v n="$passes" 'BEGIN { if (n > 0) printf "%.6f", (b - a) / n; else print 0 }')
echo "controller: $N agents presented in $((t1 - t0)) s"
echo "controller: install ($N, one after another): $inst"
echo "controller: during refresh ($EXTRA, $N to $((N + EXTRA)) agents live): $during"
echo "controller: $passes refresh passes over $((N + EXTRA)) agents, mean $mean s"
echo "controller: crossing -> reauth_required ($crossed of $CROSS, $((N + EXTRA)) agents live): median $(cross_at 0.5) ms p90 $(cross_at 0.9) ms max $(cross_at 1) ms"
if [ -n "$JSON" ]; then
	kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	cat >"$JSON" <<EOF
{"agents": $N, "extra": $EXTRA, "refresh_interval": "$REFRESH",
 "install_ns": {"n": $(kv n "$inst"), "median": $(kv median_ns "$inst"), "p90": $(kv p90_ns "$inst"), "p99": $(kv p99_ns "$inst"), "max": $(kv max_ns "$inst")},
 "during_refresh_ns": {"n": $(kv n "$during"), "median": $(kv median_ns "$during"), "p90": $(kv p90_ns "$during"), "p99": $(kv p99_ns "$during"), "max": $(kv max_ns "$during")},
 "refresh": {"passes": $passes, "agents": $((N + EXTRA)), "mean_s": $mean},
 "crossing_ms": {"n": $crossed, "median": $(cross_at 0.5), "p90": $(cross_at 0.9), "max": $(cross_at 1)}}
EOF
fi
[ $agents_rc -eq 0 ] || { tail -c 300 $W/agents.json >&2; die "livegrant agents failed"; }
[ "$active" -eq $((N + EXTRA)) ] || die "$active of $((N + EXTRA)) agents are active at the end"
[ "$passes" -ge 1 ] || die "no refresh pass ran while the last $EXTRA presented"
[ "$crossed" -eq "$CROSS" ] || die "livegrantd logged $crossed of $CROSS crossings"
echo "controller: ok"

#!/bin/sh
# tests/kernel/domains.sh - trust domains in the VM: a QA agent trying to
# reach prod is stopped in the kernel and must get a prod token, verified
# against prod's bundle and prod's rules; then QA is a crossing in turn.
# Listeners on addresses of both domains live on lo.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/domains.sh
# Ends with "domains: N passed, N failed".

. tests/kernel/lib.sh

NP=$B/tests/lg-netprobe
QA4=10.10.1.1
QA6=fd00:10::1
PROD4=10.20.1.1
PROD6=fd00:20::1

setup() {
	setup_keys || return 1
	mkdir -p /srv/deploy
	ip addr add $QA4/32 dev lo && ip addr add $PROD4/32 dev lo &&
		ip -6 addr add $QA6/128 dev lo && ip -6 addr add $PROD6/128 dev lo || return 1
	for a in $QA4 $QA6 $PROD4 $PROD6; do
		$NP listen $a 443 >/dev/null 2>&1 &
		$NP listen $a 53 >/dev/null 2>&1 &
	done
	sleep 0.5
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
refresh_interval: 2s
agent_cgroups: [$ROOT]
metrics_listen: 127.0.0.1:9464
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/, /bin/busybox, $LG, $NP]
domains:
  qa:
    networks: [10.10.0.0/16, "fd00:10::/32"]
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
  prod:
    networks: [10.20.0.0/16, "fd00:20::/32"]
    trust_bundle: $W/prod.jwks
    max_ttl: 10m
    require_claims: [approver]
    on_crossing: suspend
    ceiling:
      write: [/srv/deploy/]
      connect: ["10.20.0.0/16:443", "[fd00:20::/32]:443"]
EOF
}

qa_claims() {
	printf '{"sub":"spiffe://example.org/agent/deployer","aud":"livegrant://test-node","domain":"qa","task":"test the release","allow":{"read":["/tmp/lgt/ws/"],"connect":["10.10.0.0/16:443","[fd00:10::/32]:443","10.10.0.0/16:53","%s:443","[%s]:443","%s:53"]}}' \
		$PROD4 $PROD6 $PROD4
}

prod_claims() { # EXTRA_JSON
	printf '{"sub":"spiffe://example.org/agent/deployer","aud":"livegrant://test-node","domain":"prod","task":"deploy release 812","allow":{"write":["/srv/deploy/"],"connect":["10.20.0.0/16:443","[fd00:20::/32]:443"]}%s}' "$1"
}

agent() { as_agent dep -- "$@"; } # act as the agent, without presenting anything

check "setup: keys, addresses, listeners, config" setup
check "livegrantd starts" start_lgd

mint qa "$(qa_claims)"
as_agent dep $W/qa.jwt -- $NP connect $QA4 443 >$W/o1 2>&1
check "QA agent reaches its QA service (IPv4)" contains $W/o1 "connected"
agent $NP connect $QA6 443 >$W/o2 2>&1
check "QA agent reaches its QA service (IPv6)" contains $W/o2 "connected"
agent $NP send $QA4 53 >$W/o3 2>&1
check "QA agent sends UDP inside QA" contains $W/o3 "sent"

# ---- QA -> prod: a crossing, even though the QA token lists the address --
t0=$($NP now)
agent $NP connect $PROD4 443 >$W/o4 2>&1
t0b=$($NP now)
check "TCP/IPv4 to prod is denied although the QA token lists it" contains $W/o4 "Permission denied"
# Time from the denied connect until the CLI shows reauth_required.
state=
for _ in $(seq 1 200); do
	$LG agents --json >$W/agents.json 2>&1
	grep -q '"state": "reauth_required"' $W/agents.json && state=1 && break
	sleep 0.01
done
t1=$($NP now)
check "state becomes reauth_required" test -n "$state"
lat=$(sed -n 's/.*reauth_required.*, \([0-9.]*\) ms after the denial.*/\1/p' $W/lgd.log | head -n 1)
check "livegrantd logs the crossing with its latency" test -n "$lat"
echo "    figure: denied crossing -> reauth_required in livegrantd: $lat ms (kernel event time to state change)"
check "with prod as the target domain" contains $W/agents.json '"reauth_domain": "prod"'
# The denial happened between t0 (before the agent started) and t0b (after it
# exited): the latency lies between the two figures.
echo "    figure: denied crossing -> reauth_required visible to the CLI: between $(((t1 - t0b) / 1000000)) and $(((t1 - t0) / 1000000)) ms (TCG VM, CLI polled every 10 ms)"
sleep 0.3
check "the denial says domain_crossing and names both domains" \
	contains $W/events.jsonl '"domain":"qa".*"target":"10.20.1.1:443".*"reason":"domain_crossing".*"target_domain":"prod"'
# UDP and IPv6 crossings, each by a QA agent of its own (the first crossing
# above suspended "dep"; these must be denied as crossings, not suspensions).
mint qa_u "$(qa_claims)"
as_agent udp $W/qa_u.jwt -- $NP send $PROD4 53 >$W/o5 2>&1
check "UDP to prod is denied" contains $W/o5 "send 10.20.1.1:53: Permission denied"
mint qa_6 "$(qa_claims)"
as_agent v6 $W/qa_6.jwt -- $NP connect $PROD6 443 >$W/o6 2>&1
check "TCP/IPv6 to prod is denied" contains $W/o6 "connect fd00:20::1:443: Permission denied"
sleep 0.3
check "the UDP denial is a domain_crossing" contains $W/events.jsonl '"target":"10.20.1.1:53".*"reason":"domain_crossing"'
check "the IPv6 denial is a domain_crossing" contains $W/events.jsonl '"target":"\[fd00:20::1\]:443".*"reason":"domain_crossing"'

# ---- suspend: prod's on_crossing stops the agent's file access too -----
agent /bin/cat /tmp/lgt/ws/a >$W/o7 2>&1
check "with on_crossing: suspend, the QA grant is suspended (exec denied)" contains $W/o7 "Permission denied"
check "the grant shows as suspended" contains $W/agents.json '"suspended": true'
sleep 0.3
check "suspended actions are denied with reason suspended" contains $W/events.jsonl '"reason":"suspended"'
wget -qO $W/metrics1.txt http://127.0.0.1:9464/metrics
# dep, udp and v6 each crossed into prod, whose on_crossing suspends.
check "metrics count the suspended agents" contains $W/metrics1.txt '^livegrant_agents{state="suspended"} 3$'

as_agent dep $W/qa.jwt -- /bin/true >$W/o7b 2>&1
check "a suspended agent cannot lift the suspension with its QA token" \
	contains $W/o7b "token refused: reauth_required"
agent /bin/cat /tmp/lgt/ws/a >$W/o7c 2>&1
check "and stays suspended" contains $W/o7c "Permission denied"

# ---- prod tokens that must be refused ------------------------------------
refused() { # TOKEN REASON
	as_agent dep "$1" -- $NP connect $PROD4 443 >$W/r.out 2>&1
	contains $W/r.out "token refused: $2" && lacks $W/r.out connected
}
mint p_qakey "$(prod_claims ',"approver":"alice"')" $W/qa qa-1
check "a prod token signed by the QA key is refused" refused $W/p_qakey.jwt unknown_kid
mint p_noappr "$(prod_claims)" $W/prod prod-1
check "a prod token without an approver is refused" refused $W/p_noappr.jwt missing_claim
mint p_empty "$(prod_claims ',"approver":""')" $W/prod prod-1
check "an empty approver does not count" refused $W/p_empty.jwt missing_claim
mint p_ceiling "$(prod_claims ',"approver":"alice"' | sed 's|"write":\["/srv/deploy/"\]|"write":["/srv/deploy/","/etc/"]|')" $W/prod prod-1
check "a prod token beyond the ceiling is refused" refused $W/p_ceiling.jwt beyond_ceiling
check "the refusal names the rule" contains $W/r.out '"/etc/"'
mint p_ttl "$(prod_claims ',"approver":"alice"')" $W/prod prod-1 --ttl 1h
check "a prod token longer than prod's max_ttl is refused" refused $W/p_ttl.jwt ttl_too_long
mint p_unknown "$(prod_claims ',"approver":"alice"' | sed 's|"domain":"prod"|"domain":"staging"|')" $W/prod prod-1
check "a token for an unknown domain is refused" refused $W/p_unknown.jwt unknown_domain
agent $NP connect $PROD4 443 >$W/o8 2>&1
check "after refused tokens the agent still cannot reach prod" contains $W/o8 "Permission denied"

# ---- a valid prod token: prod is reachable, QA is now the crossing --------
mint prod "$(prod_claims ',"approver":"alice"')" $W/prod prod-1
as_agent dep $W/prod.jwt -- $NP connect $PROD4 443 >$W/o9 2>&1
check "with a prod token the agent reaches prod (IPv4)" contains $W/o9 "connected"
agent $NP connect $PROD6 443 >$W/o10 2>&1
check "with a prod token the agent reaches prod (IPv6)" contains $W/o10 "connected"
$LG agents --json >$W/agents2.json 2>&1
check "the agent is active in domain prod only" contains $W/agents2.json '"domain": "prod"'
check "and no longer suspended" contains $W/agents2.json '"suspended": false'
agent $NP connect $QA4 443 >$W/o11 2>&1
check "prod -> QA is a crossing now" contains $W/o11 "Permission denied"
sleep 0.3
check "denied with domain_crossing toward qa" \
	contains $W/events.jsonl '"domain":"prod".*"target":"10.10.1.1:443".*"reason":"domain_crossing".*"target_domain":"qa"'
agent /bin/true >$W/o12 2>&1
check "QA's on_crossing is deny: the prod grant is not suspended" lacks $W/o12 "Permission denied"

# Repeated crossings into a deny domain change nothing after the first: they
# must not make livegrantd rewrite (and fsync) its state file each time.
# Every save renames a new file into place, so the inode tells.
# The grant presented above is saved within LGD_SAVE_DELAY_MS (500 ms): let
# that save happen first.
sleep 1
ino0=$(stat -c %i /run/livegrant/state.json)
agent /bin/sh -c "i=0; while [ \$i -lt 50 ]; do $NP connect $QA4 443; i=\$((i + 1)); done" >$W/o13 2>&1
sleep 0.5
check "a flood of crossings was denied" sh -c "[ \$(grep -c 'Permission denied' $W/o13) -eq 50 ]"
check "a flood of identical crossings does not rewrite the state file" \
	test "$(stat -c %i /run/livegrant/state.json)" = "$ino0"

summary domains

#!/bin/sh
# tools/demo.sh - the narrated livegrant demo, run inside the test VM by
# `make demo`. Every step checks that the kernel did what the narration says;
# any step that does not makes the demo fail.

. tests/kernel/lib.sh

NP=$B/tests/lg-netprobe
QA=10.10.1.1
PROD=10.20.1.1
step=0

say() {
	step=$((step + 1))
	printf '\n==> %d. %s\n' "$step" "$*"
}

must() { # DESCRIPTION COMMAND...: run, show, and stop the demo if it fails
	d=$1
	shift
	if "$@"; then
		echo "    ok: $d"
	else
		echo "DEMO FAILED at step $step: $d"
		echo "demo: $((step - 1)) passed, 1 failed"
		exit 1
	fi
}

show() { sed 's/^/    | /' "$1"; }

say "An issuer key for each trust domain: qa (EdDSA) and prod (ES256)"
must "keys and trust bundles" setup_keys
ls $W/*.jwks | sed 's/^/    | /'

say "A host with QA and prod networks, and services in both"
ip addr add $QA/32 dev lo
ip addr add $PROD/32 dev lo
$NP listen $QA 443 >/dev/null 2>&1 &
$NP listen $PROD 443 >/dev/null 2>&1 &
mkdir -p /srv/deploy /workspace/out
echo "integration test input" >/workspace/input
cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://demo-node
refresh_interval: 2s
agent_cgroups: [$ROOT]
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/, /bin/busybox, $LG, $NP]
domains:
  qa:
    networks: [10.10.0.0/16]
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
  prod:
    networks: [10.20.0.0/16]
    trust_bundle: $W/prod.jwks
    max_ttl: 10m
    require_claims: [approver]
    on_crossing: suspend
    ceiling:
      write: [/srv/deploy/]
      connect: ["10.20.0.0/16:443"]
EOF
show $W/config.yaml
must "livegrantd is enforcing" start_lgd

say "The QA issuer grants the agent its task: read /workspace/, write /workspace/out/, reach QA"
mint qa '{"sub":"spiffe://example.org/agent/codegen-7","aud":"livegrant://demo-node","domain":"qa","task":"run the integration tests of PR 812","allow":{"read":["/workspace/"],"write":["/workspace/out/"],"connect":["10.10.0.0/16:443"]}}'
as_agent codegen-7 $W/qa.jwt -- /bin/sh -c 'cat /workspace/input && echo result >/workspace/out/report' >$W/s1 2>&1
show $W/s1
must "the agent works inside its QA grant" grep -q "integration test input" $W/s1
as_agent codegen-7 -- $NP connect $QA 443 >$W/s2 2>&1
show $W/s2
must "it reaches the QA service" grep -q connected $W/s2

say "It tries to write outside its grant"
as_agent codegen-7 -- /bin/sh -c 'echo x >/workspace/input' >$W/s3 2>&1
show $W/s3
must "the kernel denies the write" grep -q "Permission denied" $W/s3

say "It tries to reach prod with its QA authorization"
as_agent codegen-7 -- $NP connect $PROD 443 >$W/s4 2>&1
show $W/s4
must "the kernel stops the crossing" grep -q "Permission denied" $W/s4
sleep 0.5
must "reason domain_crossing" grep -q '"reason":"domain_crossing"' /run/livegrant/denials.jsonl
$LG agents >$W/s5 2>&1
show $W/s5
must "livegrant agents shows reauth_required" grep -q reauth_required $W/s5

say "A prod token, approved by a human, verified against prod's issuer and rules"
mint prod '{"sub":"spiffe://example.org/agent/codegen-7","aud":"livegrant://demo-node","domain":"prod","task":"deploy release 812","approver":"alice@example.org","allow":{"write":["/srv/deploy/"],"connect":["10.20.0.0/16:443"]}}' $W/prod prod-1 --ttl 15s
as_agent codegen-7 $W/prod.jwt -- $NP connect $PROD 443 >$W/s6 2>&1
show $W/s6
must "the agent reaches prod" grep -q connected $W/s6
$LG grants spiffe://example.org/agent/codegen-7 >$W/s7 2>&1
show $W/s7
must "its grant is prod's, and only prod's" grep -q "domain prod" $W/s7

say "The prod token expires (15 s): its grant lapses, in the kernel too"
sleep 17
as_agent codegen-7 -- $NP connect $PROD 443 >$W/s8 2>&1
show $W/s8
must "the next action is denied" grep -q "Permission denied" $W/s8

say "What was denied, and why"
sleep 0.5
$LG denials >$W/s9 2>&1
show $W/s9
must "the denial table has the write, the crossing and the expiry" \
	sh -c "grep -q 'not_allowed' $W/s9 && grep -q 'domain_crossing' $W/s9 && grep -Eq 'expired|no_grant' $W/s9"

stop_lgd
printf '\nlivegrant demo: all %d steps behaved as narrated.\n' "$step"
echo "demo: $step passed, 0 failed"

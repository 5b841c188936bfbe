#!/bin/sh
# Runs in a guest booted WITHOUT bpf in lsm= (tests/run does that): attaching
# LSM programs would succeed there and enforce nothing, so every livegrant
# entry point must refuse loudly, and the kernel test suite must fail rather
# than pass or skip.
pass=0
fail=0
check() {
	if eval "$2"; then
		pass=$((pass + 1))
		echo "ok   $1"
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		echo "$out" | sed 's/^/    | /'
	fi
}

grep -q bpf /sys/kernel/security/lsm && echo "FAIL: bpf is active in this guest; boot it without"
check "bpf is not an active LSM in this guest" '! grep -q bpf /sys/kernel/security/lsm'

out=$(build/livegrant check-kernel 2>&1)
rc=$?
check "check-kernel exits 1 and names the fix" \
	'[ $rc -eq 1 ] && echo "$out" | grep -q "BPF LSM is not active: add .bpf. to the kernel.s lsm= boot parameter"'

out=$(build/livegrant check-kernel --json 2>&1)
rc=$?
check "check-kernel --json: not ok, lsm_list failed, the trial not run" \
	'[ $rc -eq 1 ] && echo "$out" | grep -q "\"ok\": false" && echo "$out" | tr -d "\n " | grep -q "\"name\":\"lsm_list\",\"state\":\"fail\"" && echo "$out" | tr -d "\n " | grep -q "\"name\":\"lsm_trial\",\"state\":\"skipped\""'

mkdir -p /tmp/nolsm
build/livegrant-issuer keygen --alg EdDSA --out /tmp/nolsm/k >/dev/null
build/livegrant-issuer jwks --kid k /tmp/nolsm/k.pub >/tmp/nolsm/k.jwks
cat >/tmp/nolsm/config.yaml <<EOF
state_dir: /run/lg-nolsm
bpffs_dir: /sys/fs/bpf/lg-nolsm
audience: livegrant://nolsm
agent_cgroups: [/sys/fs/cgroup/agents]
domains:
  qa:
    trust_bundle: /tmp/nolsm/k.jwks
    max_ttl: 1h
EOF
out=$(build/livegrantd --config /tmp/nolsm/config.yaml 2>&1)
rc=$?
check "livegrantd refuses to start" '[ $rc -ne 0 ] && echo "$out" | grep -q "BPF LSM is not active"'
check "livegrantd pinned nothing" '[ ! -e /sys/fs/bpf/lg-nolsm ]'

out=$(build/tests/lg-ktest 2>&1)
rc=$?
check "kernel tests fail rather than skip" '[ $rc -ne 0 ] && echo "$out" | grep -q ": 0 passed, 1 failed"'

echo "nolsm: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# tests/kernel/kubelet.sh - agent pods from the kubelet, in the VM: a stand-in
# kubelet (build/tests/lg-kubelet-stub) serves a recorded-shape /pods over
# HTTPS with a bearer token, and the pod cgroups are laid out as the kubelet
# lays them out, under the systemd driver and then the cgroupfs one.
# livegrantd must govern exactly the selected pods, one agent per pod,
# keep them governed through every bad answer and a restart without the
# kubelet, and forget a pod only once its cgroup is gone.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/kubelet.sh
# Ends with "kubelet: N passed, N failed".

. tests/kernel/lib.sh

STUB=$B/tests/lg-kubelet-stub
K=/tmp/kubelet
CG=/sys/fs/cgroup
# The pods: A (agents, labelled: an agent pod, Burstable), B (another
# namespace: not one, Guaranteed), C and E (agents, labelled, listed before
# their cgroups exist: their init step starts before they are governed, as
# in a kubelet's pod start), D (cgroupfs driver).
UA=3b2f6a4e-1c0d-4d6e-9a51-6f1f0c2b7a11
UB=9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e22
UC=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c33
UD=5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a44
UE=6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b55
us() { echo "$1" | tr - _; } # systemd writes a UID's '-' as '_'
PA=$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(us $UA).slice
PB=$CG/kubepods.slice/kubepods-pod$(us $UB).slice
PC=$CG/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$(us $UC).slice
PE=$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(us $UE).slice
PD=$CG/kubepods/burstable/pod$UD # cgroupfs driver

pod_json() { # UID NAMESPACE NAME QOS LABELLED
	l=
	[ "$5" = yes ] && l='"labels":{"livegrant.io/agent":"true","app":"agent"},'
	printf '{"metadata":{"name":"%s","namespace":"%s","uid":"%s",%s"creationTimestamp":"2026-12-01T10:00:00Z"},"spec":{"nodeName":"test-node","containers":[{"name":"main","image":"busybox"}]},"status":{"phase":"Running","qosClass":"%s","podIP":"10.244.0.7"}}' \
		"$3" "$2" "$1" "$l" "$4"
}

pods() { # POD_JSON...: the PodList the stub serves from now on
	items=$(printf '%s,' "$@")
	printf '{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[%s]}\n' "${items%,}" \
		>$K/pods.json.tmp && mv $K/pods.json.tmp $K/pods.json
}

mode() { echo "$1" >$K/mode; }

start_stub() {
	rm -f $K/port
	$STUB --dir $K --port-file $K/port >$K/stub.log 2>&1 &
	STUB_PID=$!
	for _ in $(seq 1 100); do
		[ -s $K/port ] && PORT=$(cat $K/port) && return 0
		sleep 0.1
	done
	sed 's/^/    | /' $K/stub.log
	return 1
}

config() { # DRIVER
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
refresh_interval: 2s
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/, /bin/busybox, $LG]
domains:
  qa:
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
kubernetes:
  kubelet_url: https://\${NODE_IP}:$PORT
  ca_file: $K/ca.pem
  token_file: $K/sa-token
  cgroup_driver: $1
  namespaces: [agents]
  labels: {livegrant.io/agent: "true"}
  poll_interval: 2s
  timeout: 2s
EOF
}

setup() {
	setup_keys || return 1
	rm -rf $K && mkdir -p $K || return 1
	echo sa-token-0123456789 >$K/token
	cp $K/token $K/sa-token
	mkdir -p $PA/cri-containerd-aaa.scope $PA/cri-containerd-bbb.scope \
		$PB/cri-containerd-ccc.scope || return 1
	pods "$(pod_json $UA agents agent-a Burstable yes)" \
		"$(pod_json $UB default web-b Guaranteed yes)" \
		"$(pod_json $UC agents agent-c BestEffort yes)" \
		"$(pod_json $UE agents agent-e Burstable yes)"
	start_stub || return 1
	export NODE_IP=127.0.0.1
	config systemd
}

# in CGROUP CMD...: run CMD (a shell command line) as a process of CGROUP
in_cg() {
	cg=$1
	shift
	sh -c "echo \$\$ >$cg/cgroup.procs && $*"
}

status_json() { $LG status --json >$W/status.json 2>&1; }
# governed_pods: the UIDs livegrantd lists as agent pods
has_pod() { status_json && grep -q "\"uid\": *\"$1\"" $W/status.json; }
lacks_pod() { status_json && ! grep -q "\"uid\": *\"$1\"" $W/status.json; }
last_result_is() { # KIND: waits up to 8 s for the kubelet's last result to be KIND
	for _ in $(seq 1 80); do
		status_json && grep -q "\"last_result\": *\"$1\"" $W/status.json && return 0
		sleep 0.1
	done
	echo "    last_result is not $1:"
	grep -E 'last_result|"error"' $W/status.json | sed 's/^/    | /'
	return 1
}
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds
	n=$(($1 * 10))
	shift
	for _ in $(seq 1 $n); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@"
}

# denied CGROUP FILE: a process of CGROUP cannot open FILE. Its error
# message cannot be relied on (without a grant its writes are denied too),
# so the denial log is checked for the agent's events separately.
denied() {
	in_cg "$1" "read l <$2" 2>/dev/null || return 0
	echo "    $2 was readable from $1"
	return 1
}
readable() { in_cg "$1" "read l <$2 && [ \"\$l\" = data ]"; }

check "setup: keys, stand-in kubelet, pod cgroups (systemd driver), config" setup
check "livegrantd starts with a kubernetes: section and no agent_cgroups" start_lgd
check "the kubelet's first list is read (ok)" last_result_is ok
check "agent pod A is governed" has_pod $UA
check "pod B of another namespace is not an agent" lacks_pod $UB
check "pods C and E, listed before their cgroups exist, are pending" \
	contains $W/status.json '"pending": 2'
check "the token went to the kubelet as a bearer token" \
	contains $K/requests.log "GET /pods Bearer sa-token-0123456789"
check "a process of pod A's container holds no grant: its open is denied" \
	denied $PA/cri-containerd-aaa.scope /tmp/lgt/ws/a
check "a process of pod B is not touched" readable $PB/cri-containerd-ccc.scope /tmp/lgt/ws/a
check "the denial log names pod A's cgroup, reason no_grant" \
	wait_for 5 sh -c "$LG denials --json >$W/denials.txt 2>&1 && grep 'kubepods-burstable-pod$(us $UA).slice' $W/denials.txt | grep -q no_grant"
$LG denials >$W/denials-text.txt 2>&1
check "  livegrant denials shows the pod's cgroup as who was denied" \
	contains $W/denials-text.txt "kubepods-burstable-pod$(us $UA).slice .*no_grant"

# ---- the init step: livegrant wait, then one grant for the whole pod --------
mkdir -p $PC/cri-containerd-init.scope $PC/cri-containerd-main.scope
in_cg $PC/cri-containerd-init.scope "exec $LG wait --timeout 20s" >/dev/null 2>&1
check "livegrant wait in pod C's init container returns 0 once C is governed" [ $? -eq 0 ]
check "pod C is listed governed" has_pod $UC
mint qa '{"sub":"spiffe://example.org/agent/pod-e","aud":"livegrant://test-node","domain":"qa","task":"kubelet test","allow":{"read":["/tmp/lgt/ws/"]}}'
mkdir -p $PE/cri-containerd-init.scope $PE/cri-containerd-main.scope
in_cg $PE/cri-containerd-init.scope "exec $LG wait --timeout 20s --token $W/qa.jwt" >/dev/null 2>&1
check "livegrant wait --token in pod E's init container presents the token (exit 0)" [ $? -eq 0 ]
check "pod E's main container reads under the pod's grant at its first action" \
	readable $PE/cri-containerd-main.scope /tmp/lgt/ws/a
check "and is denied what the grant does not name" \
	denied $PE/cri-containerd-main.scope /tmp/lgt/secret
$LG agents >$W/agents.txt 2>&1
grep "pod$(us $UE).slice" $W/agents.txt >$W/agent-e.txt
check "livegrant agents shows pod E's cgroup as the agent holding the grant" \
	contains $W/agent-e.txt "pod-e"

# ---- bad answers never un-govern a registered pod --------------------------
# Every kind of bad answer is the unit test's (tests/unit/test_kubelet.c);
# here, that one garbled and one hung answer change nothing in the kernel,
# and that a hung kubelet holds up neither the status nor a decision.
for bad in garbage:bad_response slow:timeout; do
	m=${bad%%:*} kind=${bad#*:}
	mode "$m"
	check "kubelet answers $m: reported as $kind" last_result_is "$kind"
	check "  pod A stays governed" has_pod $UA
	check "  a new process of pod C (no grant) is still denied" \
		denied $PC/cri-containerd-main.scope /tmp/lgt/ws/a
done
mode ok
pods "$(pod_json ../../../../agents agents evil Burstable yes)" "$(pod_json $UA agents agent-a Burstable yes)"
check "a pod list with a UID that is a path is refused whole (bad_response)" last_result_is bad_response
check "  pod A stays governed" has_pod $UA
check "  pod C stays governed" has_pod $UC
pods "$(pod_json $UA agents agent-a Burstable yes)" "$(pod_json $UC agents agent-c BestEffort yes)" \
	"$(pod_json $UE agents agent-e Burstable yes)"
echo other-token >$K/token
check "a refused token is reported (unauthorized)" last_result_is unauthorized
check "  naming the RBAC to grant" contains $W/status.json "nodes/proxy"
cp $K/token $K/sa-token
check "a rotated token file is read at the next request" last_result_is ok
kill $STUB_PID
check "kubelet down: reported (unreachable)" last_result_is unreachable
check "  pod E stays governed" denied $PE/cri-containerd-main.scope /tmp/lgt/secret

# ---- a restart with no kubelet: the pods are found again --------------------
stop_lgd
check "livegrantd restarts with the kubelet down" start_lgd
check "  pod A is governed again (from the kernel's root map)" has_pod $UA
check "  pod C too" has_pod $UC
check "  pod E's grant is restored" readable $PE/cri-containerd-main.scope /tmp/lgt/ws/a
check "  a new process of pod C is denied" denied $PC/cri-containerd-main.scope /tmp/lgt/ws/a
check "  the log says why" contains $W/lgd.log "governed again"

# ---- a pod dropped from the list stays governed until its cgroup goes -------
check "the kubelet comes back (on another port)" start_stub
config systemd
stop_lgd
check "livegrantd restarts against it" start_lgd
pods "$(pod_json $UA agents agent-a Burstable yes)" "$(pod_json $UE agents agent-e Burstable yes)"
check "  a list without pod C is read" last_result_is ok
check "  pod C, still running, stays governed" denied $PC/cri-containerd-main.scope /tmp/lgt/ws/a
check "  its denials are logged against pod C's cgroup" \
	wait_for 5 sh -c "$LG denials --json >$W/denials.txt 2>&1 && grep -q 'pod$(us $UC).slice' $W/denials.txt"
rmdir $PC/cri-containerd-init.scope $PC/cri-containerd-main.scope $PC
check "pod C's cgroup removed: it is forgotten" wait_for 5 lacks_pod $UC
check "  the log says so" contains $W/lgd.log "agent pod .*$UC.* is gone"

# ---- the cgroupfs driver -----------------------------------------------------
stop_lgd
mkdir -p $PD/0123abcd
pods "$(pod_json $UA agents agent-a Burstable yes)" "$(pod_json $UD agents agent-d Burstable yes)"
config cgroupfs
check "livegrantd starts with cgroup_driver: cgroupfs" start_lgd
check "pod D (kubepods/burstable/pod<UID>) is governed" wait_for 8 has_pod $UD
check "  a process of its container is denied" denied $PD/0123abcd /tmp/lgt/ws/a

stop_lgd
kill $STUB_PID 2>/dev/null
summary kubelet

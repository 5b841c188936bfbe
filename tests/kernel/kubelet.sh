#!/bin/sh
# tests/kernel/kubelet.sh - agent pods from the kubelet, in the VM: a stand-in
# kubelet (build/tests/lg-https-stub) serves a recorded-shape /pods over
# HTTPS with a bearer token, and the pod cgroups are laid out as the kubelet
# lays them out, under the systemd driver and then the cgroupfs one.
# livegrantd must govern exactly the selected pods, one agent per pod,
# keep them governed through every bad answer and a restart without the
# kubelet, and forget a pod only once its cgroup is gone.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/kubelet.sh
# Ends with "kubelet: N passed, N failed".

. tests/kernel/lib.sh

K=/tmp/kubelet
CG=/sys/fs/cgroup
# The pods: A (agents, labelled: an agent pod, Burstable), B (another
# namespace: not one, Guaranteed), F (listed, its cgroup never made), C and
# E (their init step starts, then the kubelet lists them: see init_step),
# D (the same under the cgroupfs driver).
UA=3b2f6a4e-1c0d-4d6e-9a51-6f1f0c2b7a11
UB=9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e22
UC=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c33
UD=5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a44
UE=6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b55
UF=7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c66
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

start_stub() { start_https_stub $K; }

config() { # DRIVER [BOOTSTRAP_YAML]
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
${2:-}
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
		"$(pod_json $UF agents agent-f BestEffort yes)"
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

# A process brought into a pod from outside (here by this shell, in a
# kubelet by the container runtime) is an agent from its first exec there
# on (bpf/lib/agent.h): as_pod CGROUP SCRIPT moves in, then execs busybox
# sh to run SCRIPT, as a container's program.
as_pod() { in_cg "$1" "exec /bin/busybox sh -c '$2'"; }
# denied CGROUP FILE: that program cannot open FILE (or, without a grant,
# cannot even start). Its error message cannot be relied on (without a
# grant its writes are denied too): the denial log is checked apart.
denied() {
	[ -d "$1" ] || {
		echo "    no cgroup $1"
		return 1
	}
	as_pod "$1" "read l <$2" 2>/dev/null || return 0
	echo "    $2 was readable from $1"
	return 1
}
fails() { ! "$@" 2>/dev/null; }
readable() { as_pod "$1" "read l <$2 && [ \"\$l\" = data ]"; }

# init_step CGROUP [TOKEN]: a pod's init container, livegrant wait, started
# before livegrantd governs the pod (its pid in WAIT_PID): without a
# bootstrap allowance (kubernetes.bootstrap, the cgroupfs part below) the
# init step must exec before its pod is registered, so the test lists the
# pod only after this.
init_step() {
	t=
	[ -n "${2:-}" ] && t="--token $2"
	in_cg "$1" "exec $LG wait --timeout 20s $t" >/dev/null 2>&1 &
	WAIT_PID=$!
	sleep 0.3
}
# init_done NAME: the init step's exit status must be 0
init_done() {
	wait $WAIT_PID
	rc=$?
	[ $rc -eq 0 ] || tail -n 5 $W/lgd.log | sed 's/^/    | /'
	[ $rc -eq 0 ]
}

check "setup: keys, stand-in kubelet, pod cgroups (systemd driver), config" setup
check "livegrantd starts with a kubernetes: section and no agent_cgroups" start_lgd
check "the kubelet's first list is read (ok)" last_result_is ok
check "agent pod A is governed" has_pod $UA
check "pod B of another namespace is not an agent" lacks_pod $UB
check "pod F, listed before its cgroup exists, is pending" \
	contains $W/status.json '"pending": 1'
check "the token went to the kubelet as a bearer token" \
	contains $K/requests.log "GET /pods Bearer sa-token-0123456789"
check "a process of pod A's container holds no grant: its open is denied" \
	denied $PA/cri-containerd-aaa.scope /tmp/lgt/ws/a
check "a process of pod B is not touched" readable $PB/cri-containerd-ccc.scope /tmp/lgt/ws/a
check "  but root in pod B is no administrator of livegrantd (a pod is not the host)" \
	fails in_cg $PB/cri-containerd-ccc.scope "exec $LG agents"
check "the denial log names pod A's cgroup, reason no_grant" \
	wait_for 5 sh -c "$LG denials --json >$W/denials.txt 2>&1 && grep 'kubepods-burstable-pod$(us $UA).slice' $W/denials.txt | grep -q no_grant"
$LG denials >$W/denials-text.txt 2>&1
check "  livegrant denials shows the pod's cgroup as who was denied" \
	contains $W/denials-text.txt "kubepods-burstable-pod$(us $UA).slice .*no_grant"

# ---- who in a pod is an agent ------------------------------------------------
check "a task brought into pod A from outside is not judged before its exec (the runtime's setup)" \
	in_cg $PA/cri-containerd-aaa.scope "read l </tmp/lgt/ws/a"
check "  nor are its children before they exec" \
	in_cg $PA/cri-containerd-aaa.scope "(read l </tmp/lgt/ws/a)"

# ---- the init step: livegrant wait, then one grant for the whole pod --------
mkdir -p $PC/cri-containerd-init.scope $PC/cri-containerd-main.scope $PC/cri-containerd-old.scope
# A process of pod C from before it is governed: blocked on a FIFO until then.
mkfifo $W/go
in_cg $PC/cri-containerd-old.scope "read x <$W/go; read l </tmp/lgt/ws/a" 2>/dev/null &
OLD_PID=$!
init_step $PC/cri-containerd-init.scope
pods "$(pod_json $UA agents agent-a Burstable yes)" "$(pod_json $UB default web-b Guaranteed yes)" \
	"$(pod_json $UF agents agent-f BestEffort yes)" "$(pod_json $UC agents agent-c BestEffort yes)"
check "livegrant wait in pod C's init container returns 0 once C is governed" init_done
check "pod C is listed governed" has_pod $UC
echo go >$W/go
wait $OLD_PID
check "a process that was in pod C before it was governed is judged from then on" [ $? -ne 0 ]
mint qa '{"sub":"spiffe://example.org/agent/pod-e","aud":"livegrant://test-node","domain":"qa","task":"kubelet test","allow":{"read":["/tmp/lgt/ws/"]}}'
mkdir -p $PE/cri-containerd-init.scope $PE/cri-containerd-main.scope
init_step $PE/cri-containerd-init.scope $W/qa.jwt
pods "$(pod_json $UA agents agent-a Burstable yes)" "$(pod_json $UB default web-b Guaranteed yes)" \
	"$(pod_json $UF agents agent-f BestEffort yes)" "$(pod_json $UC agents agent-c BestEffort yes)" \
	"$(pod_json $UE agents agent-e Burstable yes)"
check "livegrant wait --token in pod E's init container presents the token (exit 0)" init_done
check "pod E's main container reads under the pod's grant at its first action" \
	readable $PE/cri-containerd-main.scope /tmp/lgt/ws/a
check "and is denied what the grant does not name" \
	denied $PE/cri-containerd-main.scope /tmp/lgt/secret
check "  its children are judged too (marked at their fork)" \
	as_pod $PE/cri-containerd-main.scope "(read l </tmp/lgt/secret) && exit 1; exit 0"
# The runtime's tasks not judged yet are out of an agent's reach: tracing or
# signalling one would let the agent run code nothing judges.
mkdir -p $PE/cri-containerd-rt.scope $PE/cri-containerd-side.scope
# (the judged one blocks on a FIFO its grant lets it read)
mkfifo $W/rt /tmp/lgt/ws/side
# Each writes its own pid before it moves in ($! would be a subshell's).
sh -c "echo \$\$ >$W/rt.pid; echo \$\$ >$PE/cri-containerd-rt.scope/cgroup.procs && read x <$W/rt" \
	2>/dev/null &
RT_BG=$!
sh -c "echo \$\$ >$W/side.pid; echo \$\$ >$PE/cri-containerd-side.scope/cgroup.procs && exec /bin/busybox sh -c 'read x </tmp/lgt/ws/side'" \
	2>/dev/null &
SIDE_BG=$!
sleep 0.5
RT_PID=$(cat $W/rt.pid) SIDE_PID=$(cat $W/side.pid)
check "an agent may signal another agent process of its pod" \
	as_pod $PE/cri-containerd-main.scope "kill -0 $SIDE_PID"
check "  but not the runtime's task not judged yet (out of scope)" \
	fails as_pod $PE/cri-containerd-main.scope "kill -0 $RT_PID"
check "  (which this shell, outside every agent, may signal)" kill -0 $RT_PID
echo x >$W/rt
echo x >/tmp/lgt/ws/side
wait $RT_BG $SIDE_BG
rm -f /tmp/lgt/ws/side
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
rmdir $PC/cri-containerd-init.scope $PC/cri-containerd-main.scope $PC/cri-containerd-old.scope $PC
check "pod C's cgroup removed: it is forgotten" wait_for 5 lacks_pod $UC
check "  the log says so" contains $W/lgd.log "agent pod .*$UC.* is gone"

# ---- the cgroupfs driver, and a real OCI runtime -------------------------------
# Pod D's init step (livegrant wait --token) starts as the kubelet starts
# it, before the pod is governed; then crun, the OCI runtime, starts two
# containers in the governed pod. The runtime's setup (mounts, pivot_root)
# is not the agent's; the container's first action, the exec of its
# program, already is: judged by the pod's grant. (--no-pivot: the VM's
# root is an initramfs, where pivot_root(2) fails; crun then moves the
# rootfs over / with mount and chroot instead, setup all the same.)
stop_lgd
# With a bootstrap allowance the init step may start after the pod is
# governed, as a kubelet may start it: livegrant, its libraries and the
# token's directory, nothing else.
mkdir -p $PD/init $W/tokens
pods "$(pod_json $UA agents agent-a Burstable yes)" "$(pod_json $UD agents agent-d Burstable yes)"
# Every pod may do what bootstrap allows: a rule reaching the pods' cgroups
# (cgroup.procs, cgroup.kill) or livegrant's own files is a start error.
config cgroupfs "  bootstrap:
    write: [/sys/fs/cgroup/]"
$B/livegrantd --config $W/config.yaml >$W/bad-bootstrap.log 2>&1
check "a bootstrap rule reaching the pods' cgroups refuses the start, naming it" \
	sh -c "[ $? -ne 0 ] && grep -q 'kubernetes.bootstrap' $W/bad-bootstrap.log"
config cgroupfs "  bootstrap:
    exec: [$LG, /lib/, /lib64/, /usr/lib/, /usr/lib64/]
    read: [/lib/, /lib64/, /usr/lib/, /etc/ld.so.cache, $W/tokens/]"
check "livegrantd starts with cgroup_driver: cgroupfs and a bootstrap allowance" start_lgd
check "pod D (kubepods/burstable/pod<UID>) is governed at the first list" wait_for 8 has_pod $UD
$LG status | grep "$UD" >$W/pod-d.txt
check "  holding its bootstrap grant (livegrant status)" contains $W/pod-d.txt "(bootstrap grant)"
check "  which lets nothing else start (busybox's exec is denied)" denied $PD/init /tmp/lgt/ws/a
mint podd '{"sub":"spiffe://example.org/agent/pod-d","aud":"livegrant://test-node","domain":"qa","task":"crun test","allow":{"read":["/data/ws/"]}}'
cp $W/podd.jwt $W/tokens/podd.jwt
in_cg $PD/init "exec $LG wait --timeout 20s --token $W/tokens/podd.jwt" >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 5 $W/lgd.log | sed 's/^/    | /'
check "pod D's init step, started after the pod is governed, presents its token (exit $rc)" \
	[ $rc -eq 0 ]
check "  the token's grant ends the bootstrap grant" \
	wait_for 5 sh -c "$LG status | grep '$UD' >$W/pod-d.txt && ! grep -q 'bootstrap grant' $W/pod-d.txt"

bundle() { # DIR ARGS_JSON: an OCI bundle of busybox in the pod's cgroup
	mkdir -p $1/rootfs/bin $1/rootfs/proc $1/rootfs/dev $1/rootfs/data
	cp /bin/busybox $1/rootfs/bin/busybox
	cp /bin/busybox $1/rootfs/bin/other
	cat >$1/config.json <<EOF
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $2,
             "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true},
 "root": {"path": "rootfs"},
 "hostname": "agent",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/data", "type": "bind", "source": "/tmp/lgt", "options": ["rbind", "ro"]}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}],
           "cgroupsPath": "/kubepods/burstable/pod$UD/$(basename $1)"}}
EOF
}
bundle /tmp/oci/ctr1 '["/bin/busybox", "sh", "-c", "read l </data/ws/a || exit 11; read m </data/secret && exit 12; exit 0"]'
crun run --no-pivot --bundle /tmp/oci/ctr1 ctr1 >$W/crun1.out 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/    | /' $W/crun1.out
check "crun starts a container in the governed pod: its setup is not judged, its program reads inside the grant and is denied outside it (exit $rc)" \
	[ $rc -eq 0 ]
bundle /tmp/oci/ctr2 '["/bin/other"]'
crun run --no-pivot --bundle /tmp/oci/ctr2 ctr2 >$W/crun2.out 2>&1
rc=$?
check "a container whose program the grant does not name cannot start: its first action, the exec, is denied (exit $rc)" \
	[ $rc -ne 0 ]
check "  the denial log has that exec, from pod D" \
	wait_for 5 sh -c "$LG denials --json >$W/denials.txt 2>&1 && grep 'pod$UD' $W/denials.txt | grep -q '/bin/other'"
crun delete -f ctr1 >/dev/null 2>&1
crun delete -f ctr2 >/dev/null 2>&1

stop_lgd
kill $STUB_PID 2>/dev/null
summary kubelet

#!/bin/sh
# tests/kernel/flood.sh - one agent's denial flood against everyone else, in
# the VM, and what the kernel's per-agent event budget (bpf/lib/report.h)
# makes of it:
#   1. two processes of one agent are denied without pause while a second
#      agent is denied 5 times, a bystander reads its granted file every
#      2 ms (its grant lapses 4 s after a missed refresh) and an SRE runs
#      `livegrant agents`, timed. Every one of the second agent's denials
#      must be logged whole, the bystander must not notice, and the flood's
#      attempts must equal its lines logged + suppressed + lost, exactly;
#   2. livegrantd stopped, then killed with -9, while agents are denied:
#      the denials waiting in the ring are logged after the restart, and
#      the budgets' counts are reported once, neither repeated nor missed;
#   3. an agent cgroup removed and made again under the same name: the new
#      one gets nothing of the old one's grant.
# Each phase prints its figures.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/flood.sh
# Ends with "flood: N passed, N failed".

. tests/kernel/lib.sh

NP=$B/tests/lg-netprobe
LOOP=$B/tests/lg-accessloop
METRICS=http://127.0.0.1:9464/metrics
EV=$W/events.jsonl
# Denied opens per flooding process (two of them): long enough to outlast
# several refresh intervals under emulation.
FLOOD_N=${FLOOD_N:-60000}

claims() { # SUB: may run the tools, and read the workspace
	printf '{"iss":"https://issuer.qa.example","sub":"spiffe://example.org/agent/%s","aud":"livegrant://test-node","domain":"qa","task":"flood test","allow":{"exec":["/bin/busybox","%s","%s","%s"],"read":["/tmp/lgt/ws/"]}}' \
		"$1" "$LG" "$NP" "$LOOP"
}

setup() {
	setup_keys || return 1
	for b in $NP $LOOP; do
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
	for n in by flood sec; do
		mint $n "$(claims $n)" || return 1
	done
	# The files must exist: a missing one fails before the open hook runs.
	for f in flood-secret sec-1 sec-2 sec-3 sec-4 sec-5 late-1 late-2 late-3 late-4 late-5; do
		echo x >/tmp/lgt/$f
	done
}

# sum_of FIELD ID SUMMARY: FIELD summed over SUMMARY lines of the agent whose
# cgroup id is ID (a summary's cgroup_id is the agent's)
sum_of() {
	grep "\"summary\":\"$3\"" $EV | grep "\"cgroup_id\":$2," |
		sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | awk '{s += $1} END {print s + 0}'
}
cg_id() { stat -c %i $ROOT/$1; } # NAME: the agent cgroup's id
# logged TARGET: whole denial lines of TARGET
logged() { grep -c "\"target\":\"$1\"" $EV; }
# attempts FILE: denied opens the lg-netprobe runs in FILE made ("N of N opens failed")
attempts() { sed -n 's/^\([0-9]*\) of [0-9]* opens failed$/\1/p' $1 | awk '{s += $1} END {print s + 0}'; }
tried() { sed -n 's/^[0-9]* of \([0-9]*\) opens failed$/\1/p' $1 | awk '{s += $1} END {print s + 0}'; }
metric() { wget -qO- $METRICS | sed -n "s/^$1 //p"; }
# settled N TARGET ID: wait (up to 30 s) until TARGET's lines logged +
# suppressed + lost for agent ID reach N: livegrantd reads the ring in slices
# and writes the budgets' summaries once a second.
settled() {
	for _ in $(seq 1 150); do
		[ $(($(logged $2) + $(sum_of suppressed $3 rate_limited) + $(sum_of lost $3 events_lost))) -ge "$1" ] &&
			return 0
		sleep 0.2
	done
	return 1
}

check "setup: keys, config, tokens" setup
check "livegrantd starts" start_lgd
start_accessloop by $W/by.jwt
check "the bystander agent works" contains $W/loop.out '^started'
as_agent sec $W/sec.jwt -- /bin/busybox true
check "the second agent has its grant" sh -c "$LG agents | grep -q 'agent/sec .*active'"
SEC_ID=$(cg_id sec)

# --- 1. one agent floods ---------------------------------------------------
# (An agent writes no file of ours: its tools print to the stdout it inherits.)
as_agent flood $W/flood.jwt -- /bin/busybox sh -c "
	$NP open /tmp/lgt/flood-secret $FLOOD_N &
	$NP open /tmp/lgt/flood-secret $FLOOD_N &
	wait" >$W/flood.out 2>&1 &
FLOOD=$!
flood_t0=$(now_ms)
sleep 2
FLOOD_ID=$(cg_id flood)
# While it lasts: the second agent is denied 5 times, and `livegrant agents`
# is timed each second.
max_agents=0 slow=0 i=1
while kill -0 $FLOOD 2>/dev/null || [ $i -le 5 ]; do
	if [ $i -le 5 ]; then
		as_agent sec -- $NP open /tmp/lgt/sec-$i 1 >>$W/sec.out 2>&1
		i=$((i + 1))
	fi
	t0=$(now_ms)
	timeout 10 $LG agents >$W/agents.out 2>&1 || slow=$((slow + 1))
	ms=$(($(now_ms) - t0))
	[ $ms -gt $max_agents ] && max_agents=$ms
	sleep 1
done
wait $FLOOD
flood_s=$((($(now_ms) - flood_t0 + 999) / 1000))
made=$(attempts $W/flood.out)
check "the flood really happened ($((2 * FLOOD_N)) opens)" equal "$(tried $W/flood.out)" $((2 * FLOOD_N)) ||
	sed 's/^/    | /' $W/flood.out
check "  and was denied every time" equal "$made" $((2 * FLOOD_N))
settled $made /tmp/lgt/flood-secret $FLOOD_ID
f_logged=$(logged /tmp/lgt/flood-secret)
f_supp=$(sum_of suppressed $FLOOD_ID rate_limited)
f_lost=$(sum_of lost $FLOOD_ID events_lost)
echo "    figure: flood: $made attempts; $f_logged logged, $f_supp suppressed (rate_limited), $f_lost lost;" \
	"kernel: $(metric livegrant_events_suppressed_total) suppressed, $(metric livegrant_events_lost_total) lost in all"
check "every attempt is accounted for: logged + suppressed + lost = attempts" \
	equal $((f_logged + f_supp + f_lost)) "$made"
echo "    figure: the flood lasted about $flood_s s: at most $((200 + 100 * (flood_s + 1))) lines within its budget"
check "  the flood's lines were cut to its budget (a burst of 200, then 100/s)" \
	at_most "$f_logged" $((200 + 100 * (flood_s + 1)))
check "  and some were suppressed" at_least "$f_supp" 1
# last_total FIELD: the running total of the flood's last summary
last_total() {
	grep "\"cgroup_id\":$FLOOD_ID," $EV | grep "\"${1}_total\"" | tail -n 1 |
		sed -n "s/.*\"${1}_total\":\([0-9]*\).*/\1/p"
}
check "  the last summary's running total is the sum of the summaries" \
	equal "$(last_total suppressed)" "$f_supp"
sec_logged=0
for i in 1 2 3 4 5; do
	[ "$(logged /tmp/lgt/sec-$i)" -ge 1 ] && sec_logged=$((sec_logged + 1))
done
echo "    figure: second agent: 5 denials during the flood, $sec_logged logged whole"
check "every one of the second agent's 5 denials was logged whole" equal $sec_logged 5
check "  none of them was suppressed or lost" \
	equal $(($(sum_of suppressed $SEC_ID rate_limited) + $(sum_of lost $SEC_ID events_lost))) 0
echo "    figure: livegrant agents during the flood: slowest ${max_agents} ms, $slow over 10 s"
check "livegrant agents answered every time during the flood" equal $slow 0
check "  each within 3 s" at_most $max_agents 3000
stop_accessloop by
echo "    figure: bystander: $(tail -n 1 $W/loop.out)"
check "the bystander never noticed: allowed_failed=0 denied_succeeded=0" \
	contains $W/loop.out 'allowed_failed=0 denied_succeeded=0'
check "status shows what the budgets suppressed" \
	sh -c "$LG status | grep -q 'suppressed over agents. budgets: [1-9]'"

# --- 2. livegrantd stopped, then killed, with events waiting -------------
# The agents wait for a file they may see (a stat, no open) so that they
# run while livegrantd cannot: livegrant exec itself needs it.
as_agent sec -- /bin/busybox sh -c "
	while [ ! -e /tmp/lgt/ws/go ]; do sleep 0.1; done
	for i in 1 2 3 4 5; do $NP open /tmp/lgt/late-\$i 1; done" >$W/late.out 2>&1 &
LATE=$!
as_agent flood -- /bin/busybox sh -c "
	while [ ! -e /tmp/lgt/ws/go ]; do sleep 0.1; done
	$NP open /tmp/lgt/flood-secret 3000" >$W/flood2.out 2>&1 &
FLOOD2=$!
sleep 1
kill -STOP $LGD_PID
: >/tmp/lgt/ws/go
wait $LATE
wait $FLOOD2
kill -KILL $LGD_PID
kill -CONT $LGD_PID 2>/dev/null
wait $LGD_PID 2>/dev/null
made2=$(($(attempts $W/flood2.out) + made))
check "livegrantd starts again after kill -9" start_lgd
check "  and adopted the pinned programs and maps" contains $W/lgd.log 'adopted'
settled $made2 /tmp/lgt/flood-secret $FLOOD_ID
late_logged=0
for i in 1 2 3 4 5; do
	[ "$(logged /tmp/lgt/late-$i)" -ge 1 ] && late_logged=$((late_logged + 1))
done
f_logged=$(logged /tmp/lgt/flood-secret)
f_supp=$(sum_of suppressed $FLOOD_ID rate_limited)
f_lost=$(sum_of lost $FLOOD_ID events_lost)
echo "    figure: while livegrantd was stopped and killed: 5 denials of a second agent, $late_logged logged after the restart;" \
	"the flood's attempts in all: $made2; $f_logged logged, $f_supp suppressed, $f_lost lost"
check "the denials that waited in the ring were logged after the restart" equal $late_logged 5
check "across kill -9, every attempt is accounted for once: logged + suppressed + lost = attempts" \
	equal $((f_logged + f_supp + f_lost)) $made2
check "  and the last summary's running total is still the sum of the summaries" \
	equal "$(last_total suppressed)" "$f_supp"

# --- 3. an agent cgroup removed and its name reused -----------------------
old_id=$(stat -c %i $ROOT/flood 2>/dev/null)
stop_agent flood
for _ in $(seq 1 50); do
	rmdir $ROOT/flood 2>/dev/null && break
	sleep 0.1
done
check "the flooding agent's cgroup is removed" test ! -e $ROOT/flood
# livegrantd forgets an agent whose cgroup is gone at its next refresh.
for _ in $(seq 1 50); do
	$LG agents >$W/agents2.out 2>&1
	grep -q 'agent/flood' $W/agents2.out || break
	sleep 0.2
done
check "livegrantd forgot the removed agent" lacks $W/agents2.out 'agent/flood'
# Its event budget is retired at a sweep (every 10 s) and removed at the
# next: up to 20 s. The kernel's own totals must match the log's.
for _ in $(seq 1 150); do
	grep -q "event budget of agent cgroup id $FLOOD_ID removed" $W/lgd.log && break
	sleep 0.2
done
gone_line=$(grep "event budget of agent cgroup id $FLOOD_ID removed" $W/lgd.log)
echo "    figure: ${gone_line#livegrantd: }"
check "the removed agent's event budget was removed too" test -n "$gone_line"
# Every denial line of the agent, whatever its target (the flood's, and any other).
f_lines=$(grep "\"cgroup_id\":$FLOOD_ID," $EV | grep -vc '"summary"')
kernel_says=$(echo "$gone_line" | sed -n 's/.*: \([0-9]*\) sent, \([0-9]*\) suppressed, \([0-9]*\) lost$/\1 \2 \3/p')
check "  its kernel totals are the log's: sent = lines logged, suppressed and lost = the summaries'" \
	test "$kernel_says" = "$f_lines $f_supp $f_lost" || echo "    kernel: $kernel_says; log: $f_lines $f_supp $f_lost"
as_agent flood -- $NP open /tmp/lgt/ws/a 1 >$W/reuse.out 2>&1
new_id=$(stat -c %i $ROOT/flood 2>/dev/null)
echo "    figure: cgroup $ROOT/flood: id $old_id, then $new_id under the same name"
check "a new cgroup of the same name is another cgroup" test "$old_id" != "$new_id"
# The old grant let it run lg-netprobe: the new cgroup may not even exec it.
check "  and gets nothing of the old one's grant (its exec is refused)" \
	contains $W/reuse.out 'exec .*lg-netprobe failed: Permission denied'
no_grant_seen() {
	grep "\"cgroup_id\":$new_id," $EV | grep "\"target\":\"$NP\"" | grep -q '"reason":"no_grant"'
}
for _ in $(seq 1 25); do no_grant_seen && break; sleep 0.2; done
check "  denied as an agent with no grant" no_grant_seen || {
	grep "\"cgroup_id\":$new_id," $EV | tail -n 3 | sed 's/^/    | /'
	tail -n 3 $EV | sed 's/^/    | /'
}

stop_lgd
summary flood

#!/bin/sh
# tests/kernel/bench_smoke.sh - make bench must keep working: one short round
# of lg-bench (tests/bench/), whose every iteration checks its own result
# (an allowed open opened, a denied one was refused), then the parts of the
# JSON that docs/performance.md reads; then the controller's benchmark
# (tests/bench/controller.sh) with a dozen agents. Figures from so short a
# run mean nothing and are not judged; make bench measures.
. tests/kernel/lib.sh

J=/tmp/bench-smoke.json
out=/tmp/bench-smoke.out
$B/tests/lg-bench -r 1 -s 0.05 -a 200 -j $J >$out 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/    | /' $out | tail -n 20
check "lg-bench ran every phase and every iteration gave the expected result" [ $rc -eq 0 ]
for key in '"per_hook"' '"wall_clock"' '"scale"' '"verified_insns"' '"method"' \
	'"subject": "agent-denied"' '"landlock"' '"agent_ns_per_doubling"'; do
	check "bench.json holds $key" contains $J "$key"
done
check "the table names the floor" contains $out "empty program ns"
check "the verifier's instruction counts are printed" contains $out "instructions processed"

# The controller's figures: a real livegrantd, agents presenting tokens.
C=/tmp/controller-smoke.json
REFRESH=2s EXTRA=8 GAP_MS=500 sh tests/bench/controller.sh 12 $C >$out 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/    | /' $out | tail -n 20
check "controller.sh: every presentation admitted, refresh passes ran, all agents active" [ $rc -eq 0 ]
for key in '"install_ns"' '"during_refresh_ns"' '"p99"' '"mean_s"' '"crossing_ms"'; do
	check "controller.json holds $key" contains $C "$key"
done
summary bench-smoke

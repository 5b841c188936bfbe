#!/bin/sh
# tests/sanitize-daemon.sh [SUITE] - a suite of livegrantd's own
# (tests/kernel/SUITE.sh: livegrantd, the default, or faults) with
# livegrantd and the issuer built under ASan and UBSan, in the VM:
#   make sanitize-vm
# runs tools/vmrun --add build.sanitize/vm -- sh tests/sanitize-daemon.sh.
# build.sanitize/vm holds the sanitized livegrantd and livegrant-issuer and
# the plain CLI and test tools: the CLI runs inside agent cgroups, where
# ASan's runtime is denied what it reads at start (/proc/self/maps) as any
# agent is, and the static tools cannot link ASan. Every report is written
# to a file (log_path); one more check, that there is none, is added to the
# suite's own. Ends with "NAME-sanitized: N passed, N failed", NAME the
# suite's own (daemon, faults).
#
# Leaks are looked for too: livegrantd frees what it made as it exits
# (teardown() in main.c), so LeakSanitizer reports only real leaks, at each
# of the suite's stops.
suite=${1:-livegrantd}
vm=$PWD/build.sanitize/vm
logs=/tmp/lgd-sanitizer
rm -rf $logs
mkdir -p $logs
export LG_TEST_BUILD=$vm
# ASan and UBSan make livegrantd's start slower: a restart gets 10 s.
export LGD_TEST_REFRESH_S=5
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
# The name the suite's closing line gives (summary NAME).
name=$(sed -n 's/^summary \([a-z-]*\).*/\1/p' tests/kernel/$suite.sh | tail -n 1)
[ -n "$name" ] || { echo "tests/sanitize-daemon.sh: no suite tests/kernel/$suite.sh"; exit 2; }
sh tests/kernel/$suite.sh >$logs/suite.out 2>&1
cat $logs/suite.out
line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" $logs/suite.out | tail -n 1)
p=$(echo "$line" | sed -n "s/^$name: \([0-9]*\) passed.*/\1/p")
f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
[ -n "$p" ] || { p=0; f=1; echo "FAIL the $name suite ended without its summary line"; }
reports=$(ls $logs | grep -E '^(asan|ubsan)\.' || true)
if [ -z "$reports" ]; then
	p=$((p + 1))
	echo "ok   no sanitizer report from livegrantd or the issuer"
else
	f=$((f + 1))
	echo "FAIL sanitizer reports:"
	for r in $reports; do
		echo "--- $r"
		head -n 40 $logs/$r
	done
fi
echo "$name-sanitized: $p passed, $f failed"
[ "$f" -eq 0 ]

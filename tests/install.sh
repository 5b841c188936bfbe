#!/bin/bash
# tests/install.sh - `make install` on the build host (no VM): every file in
# place with its mode, the systemd unit clean under `systemd-analyze verify`
# with the install's own paths, the man pages rendering without a warning,
# and bash completion completing. Run by tests/run; prints one summary line.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
check() { # NAME COMMAND...
	local name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
	fi
}

T=$(mktemp -d /tmp/lg-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
# The install's own prefix, so that the unit's paths exist for the verifier.
P=$T/usr
E=$T/etc
make -s install PREFIX=$P SYSCONFDIR=$E >$T/make.out 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/    | /' $T/make.out
check "make install PREFIX=... SYSCONFDIR=... succeeds" [ $rc -eq 0 ]

mode_is() { # FILE MODE
	[ -f "$1" ] && [ "$(stat -c %a "$1")" = "$2" ] && return 0
	echo "    $1: $(stat -c %a "$1" 2>&1)"
	return 1
}
check "livegrantd in sbin, 0755" mode_is $P/sbin/livegrantd 755
check "livegrant in bin, 0755" mode_is $P/bin/livegrant 755
check "the unit, 0644" mode_is $P/lib/systemd/system/livegrantd.service 644
check "the example config, 0644" mode_is $E/livegrant/livegrant.yaml.example 644
check "no livegrant.yaml written: only the example" [ ! -e $E/livegrant/livegrant.yaml ]
# A second install over a host that has its own config leaves it as it is.
echo "audience: livegrant://mine" >$E/livegrant/livegrant.yaml
make -s install PREFIX=$P SYSCONFDIR=$E >$T/make2.out 2>&1
check "a second install leaves the host's own livegrant.yaml untouched" \
	bash -c "[ \"\$(cat $E/livegrant/livegrant.yaml)\" = 'audience: livegrant://mine' ]"
for m in man8/livegrantd.8 man8/livegrant.8 man5/livegrant.yaml.5; do
	check "man page $m, 0644" mode_is $P/share/man/$m 644
done
check "bash completion, 0644" mode_is $P/share/bash-completion/completions/livegrant 644

unit=$P/lib/systemd/system/livegrantd.service
check "the unit runs the installed livegrantd with the installed config" \
	grep -q "^ExecStart=$P/sbin/livegrantd --config $E/livegrant/livegrant.yaml\$" $unit
check "the unit has no @placeholder@ left" bash -c "! grep -q '@[A-Z]*@' $unit"
MANPATH=$P/share/man systemd-analyze verify $unit >$T/verify.out 2>&1
rc=$?
[ -s $T/verify.out ] && sed 's/^/    | /' $T/verify.out
check "systemd-analyze verify: exit 0, not a line of output" bash -c "[ $rc -eq 0 ] && [ ! -s $T/verify.out ]"
check "the unit restarts on failure and starts after the bpffs mount" \
	bash -c "grep -q '^Restart=on-failure' $unit && grep -q '^RequiresMountsFor=.*/sys/fs/bpf' $unit"
check "started means enforcing (Type=notify), and agents can reach the socket (no umask 077)" \
	bash -c "grep -q '^Type=notify' $unit && ! grep -q '^UMask=0077' $unit"

for m in man8/livegrantd.8 man8/livegrant.8 man5/livegrant.yaml.5; do
	groff -man -ww -z -Tutf8 $P/share/man/$m >$T/groff.out 2>&1
	man --warnings -l $P/share/man/$m >$T/man.txt 2>>$T/groff.out
	[ -s $T/groff.out ] && sed 's/^/    | /' $T/groff.out
	check "man page $m renders without a warning" \
		bash -c "[ ! -s $T/groff.out ] && grep -q '^NAME' $T/man.txt"
done

complete_of() { # WORDS...: what completion offers for the last word
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _livegrant; echo "${COMPREPLY[*]}"' \
		_ $P/share/bash-completion/completions/livegrant "$@"
}
check "completion: livegrant che -> check-kernel" bash -c "[ \"$(complete_of livegrant che)\" = check-kernel ]"
check "completion: livegrant denials --fo -> --follow" \
	bash -c "[ \"$(complete_of livegrant denials --fo)\" = --follow ]"

echo "install: $pass passed, $fail failed"
[ $fail -eq 0 ]

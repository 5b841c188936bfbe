#!/bin/sh
# tests/kernel/jwks.sh - trust bundles fetched from issuers over HTTPS, in
# the VM, with agents at work: two stand-in issuers (build/tests/lg-https-stub)
# serve the JWKS of domains prod and edge; stage's issuer is one whose
# certificate the configured CA does not vouch for.
#   prod: a key rotation (a token of the new key enrolls after one refetch),
#         the old key retired (its agent's grant lapses), unknown kids that
#         cost at most one fetch per min_interval, a restart during an
#         outage (the cached keys);
#   edge: an outage and a hostile document that change no key, until
#         max_age, and then no key at all (its agent's grant lapses, new
#         tokens are refused), until the issuer is back;
#   stage: bad TLS, never a key.
#   tools/vmrun --add $PWD/tests/kernel -- sh tests/kernel/jwks.sh
# Ends with "jwks: N passed, N failed".

. tests/kernel/lib.sh

J1=/tmp/issuer-prod
J2=/tmp/issuer-edge

claims() { # DOMAIN SUB
	printf '{"sub":"spiffe://example.org/agent/%s","aud":"livegrant://test-node","domain":"%s","task":"fetched bundles","allow":{"read":["/tmp/lgt/ws/"]}}' \
		"$2" "$1"
}

serve() { # DIR ARGS...: the JWKS (livegrant-issuer jwks ARGS) DIR's stub serves from now on
	d=$1
	shift
	$ISSUER jwks "$@" >$d/jwks.json.tmp && mv $d/jwks.json.tmp $d/jwks.json
}

setup() {
	setup_keys || return 1
	$ISSUER keygen --alg ES256 --out $W/prod2 || return 1
	$ISSUER keygen --alg EdDSA --out $W/edge || return 1
	mkdir -p $J1 $J2
	serve $J1 --kid prod-1 $W/prod.pub || return 1
	serve $J2 --kid edge-1 $W/edge.pub || return 1
	start_https_stub $J1 && P1=$PORT && S1=$STUB_PID || return 1
	start_https_stub $J2 && P2=$PORT && S2=$STUB_PID || return 1
	cat >$W/config.yaml <<EOF
state_dir: /run/livegrant
bpffs_dir: /sys/fs/bpf/livegrant
audience: livegrant://test-node
refresh_interval: 2s
agent_cgroups: [$ROOT]
metrics_listen: 127.0.0.1:9464
baseline:
  read: [/usr/, /lib/, /lib64/, /etc/ld.so.cache]
  exec: [/lib/, /lib64/, /usr/lib/, /usr/lib64/, /bin/busybox, $LG]
  readwrite: [/dev/null]
domains:
  qa:
    trust_bundle: $W/qa.jwks
    max_ttl: 1h
  prod:
    trust_bundle: https://127.0.0.1:$P1/jwks
    trust_bundle_fetch: {ca_file: $J1/ca.pem, refresh: 60s, min_interval: 1s, max_age: 10m, timeout: 2s}
    max_ttl: 1h
  edge:
    trust_bundle: https://localhost:$P2/jwks
    trust_bundle_fetch: {ca_file: $J2/ca.pem, refresh: 2s, min_interval: 1s, max_age: 7s, timeout: 2s}
    max_ttl: 1h
  stage:
    trust_bundle: https://127.0.0.1:$P1/jwks
    trust_bundle_fetch: {ca_file: $J1/other-ca.pem, refresh: 60s, max_age: 10m, timeout: 2s}
    max_ttl: 1h
EOF
}

st() { $LG status >$W/st.txt 2>&1; }
bundle_line() { st; grep "^  $1 " $W/st.txt; }
bundle_says() { # DOMAIN PATTERN
	bundle_line "$1" | grep -q -- "$2" && return 0
	echo "    status of $1: $(bundle_line "$1")"
	return 1
}
fetches() { grep -c '^GET /jwks ' $1/requests.log; }
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds
	s=$1
	shift
	for _ in $(seq 1 $((s * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}
scrape() { wget -qO $W/metrics.txt http://127.0.0.1:9464/metrics; }

check "setup: keys, two issuers over HTTPS, config" setup
[ "$fail" -eq 0 ] || { summary jwks; exit 1; }
check "livegrantd starts" start_lgd
check "prod's keys are fetched from its issuer" bundle_says prod 'url https://127.0.0.1:.*: 1 keys.*last fetch ok'
check "edge's too" bundle_says edge ': 1 keys.*last fetch ok'
check "stage: bad TLS is reported, and no key is taken" bundle_says stage 'NONE IN FORCE.*last fetch tls'
mint stage "$(claims stage s1)" $W/prod prod-1
as_agent s1 $W/stage.jwt -- /bin/cat /tmp/lgt/ws/a >$W/s1.out 2>&1
check "  a stage token is refused: no_trust_bundle" contains $W/s1.out 'token refused: no_trust_bundle'

# --- prod: rotation -----------------------------------------------------
mint p1 "$(claims prod p1)" $W/prod prod-1
loop_agent p1 $W/p1.jwt $W/p1.log
check "an agent with a token of prod-1 works" wait_for 10 last_is $W/p1.log ok
serve $J1 --kid prod-1 $W/prod.pub --kid prod-2 $W/prod2.pub
n0=$(fetches $J1)
mint p2 "$(claims prod p2)" $W/prod2 prod-2
as_agent p2 $W/p2.jwt -- /bin/cat /tmp/lgt/ws/a >$W/p2.out 2>&1
check "the issuer rotates: a token of prod-2 enrolls" contains $W/p2.out '^data'
check "  once livegrantd fetched the keys again for its kid" contains $W/p2.out 'presenting again in'
echo "    prod's issuer was asked $(($(fetches $J1) - n0)) time(s) for the new kid"
check "  prod-1's agent is untouched" last_is $W/p1.log ok

# Unknown kids (an agent making them up) cost one fetch per min_interval.
serve $J1 --kid prod-2 $W/prod2.pub
mint bogus "$(claims prod bogus)" $W/prod2 prod-9
n0=$(fetches $J1)
t0=$(cut -d' ' -f1 /proc/uptime)
pids=
for i in $(seq 1 20); do
	as_agent bogus$i $W/bogus.jwt -- /bin/true >$W/bogus$i.out 2>&1 &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
t1=$(cut -d' ' -f1 /proc/uptime)
n=$(($(fetches $J1) - n0))
secs=$(echo "$t0 $t1" | awk '{printf "%d", $2 - $1 + 1}')
refused=$(cat $W/bogus*.out | grep -c 'token refused: unknown_kid')
echo "    20 agents at once presenting an unknown kid (each up to 3 times): $refused refused in ${secs}s, $n fetch(es)"
check "  at most one fetch per second (min_interval)" sh -c "[ $n -ge 1 ] && [ $n -le $secs ]"
check "  each is refused: unknown_kid" [ "$refused" -eq 20 ]
# That refetch found prod-1 retired: its agent's grant lapses at its next refresh.
check "prod-1 retired by the issuer: its agent is denied" wait_for 8 last_is $W/p1.log denied
as_agent p2 $W/p2.jwt -- /bin/cat /tmp/lgt/ws/a >$W/p2b.out 2>&1
check "  prod-2's agent enrolls still" contains $W/p2b.out '^data'

# --- edge: an outage, a hostile document, max_age -----------------------
mint e1 "$(claims edge e1)" $W/edge edge-1
loop_agent e1 $W/e1.jwt $W/e1.log
check "an agent with an edge token works" wait_for 10 last_is $W/e1.log ok
echo 500 >$J2/mode
check "edge's issuer fails: the failure is in status, with its reason" \
	wait_for 5 bundle_says edge '1 keys.*last fetch http_status (.*HTTP 500'
check "  the keys stay: its agent still works" last_is $W/e1.log ok
scrape
check "  and in the metrics" contains $W/metrics.txt '^livegrant_trust_bundle_fetches_total{domain="edge",result="http_status"} [1-9]'
printf '{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"edge-9","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}' >$J2/jwks.json
echo ok >$J2/mode
check "a hostile document (a private key) is refused whole: bad_document" \
	wait_for 5 bundle_says edge '1 keys.*last fetch bad_document (.*private key'
check "  the keys stay: its agent still works" last_is $W/e1.log ok
check "past max_age (7s) without a good fetch: no keys" wait_for 8 bundle_says edge 'NONE IN FORCE'
check "  its agent's grant lapses" wait_for 6 last_is $W/e1.log denied
mint e2 "$(claims edge e2)" $W/edge edge-1
as_agent e2 $W/e2.jwt -- /bin/cat /tmp/lgt/ws/a >$W/e2.out 2>&1
check "  a new edge token is refused: no_trust_bundle" contains $W/e2.out 'token refused: no_trust_bundle'
scrape
check "  keys 0 in the metrics" contains $W/metrics.txt '^livegrant_trust_bundle_keys{domain="edge"} 0$'
serve $J2 --kid edge-1 $W/edge.pub
check "the issuer is back: the keys return" wait_for 8 bundle_says edge ': 1 keys.*last fetch ok'
as_agent e2 $W/e2.jwt -- /bin/cat /tmp/lgt/ws/a >$W/e2b.out 2>&1
check "  and the edge token enrolls" contains $W/e2b.out '^data'

# --- a restart while prod's issuer is down -------------------------------
kill $S1
stop_lgd
check "livegrantd restarts while prod's issuer is down" start_lgd
check "  prod's keys come from the cache" bundle_says prod '1 keys.*from the cache.*last fetch unreachable'
as_agent p2 $W/p2.jwt -- /bin/cat /tmp/lgt/ws/a >$W/p3.out 2>&1
check "  prod-2's agent presents and works" contains $W/p3.out '^data'
stop_lgd
kill $S2 2>/dev/null
summary jwks

#!/bin/bash
# tests/deploy.sh - the Kubernetes manifests, offline (no cluster): npm
# installs the pinned validator (tests/deploy/package-lock.json) into
# build/deploy-test, which checks deploy/kubernetes against the Kubernetes
# OpenAPI schemas and the DaemonSet's promised shape (tests/deploy/validate.mjs).
set -u
cd "$(dirname "$0")/.."
T=build/deploy-test
mkdir -p $T
cp tests/deploy/package.json tests/deploy/package-lock.json tests/deploy/validate.mjs $T/
if ! (cd $T && npm ci --ignore-scripts --no-audit --no-fund >npm.log 2>&1); then
	sed 's/^/    | /' $T/npm.log | tail -n 20
	echo "FAIL npm ci of the validator (tests/deploy/package-lock.json)"
	echo "deploy: 0 passed, 1 failed"
	exit 1
fi
node $T/validate.mjs deploy/kubernetes build/livegrantd

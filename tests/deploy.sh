#!/bin/bash
# tests/deploy.sh - the Kubernetes manifests and the image, offline (no
# cluster, no container engine): npm installs the pinned validator
# (tests/deploy/package-lock.json) into build/deploy-test, which checks
# deploy/kubernetes against the Kubernetes OpenAPI schemas and the shape of
# the DaemonSet, its RBAC and its token, and deploy/container/Containerfile
# against the binaries: ldd and dpkg -S name the package of every library
# $BUILD/livegrantd and $BUILD/livegrant load, which the runtime stage must
# install (tests/deploy/validate.mjs). A missing binary is a failure.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
T=$B/deploy-test
mkdir -p $T
cp tests/deploy/package.json tests/deploy/package-lock.json tests/deploy/validate.mjs $T/
if ! (cd $T && npm ci --ignore-scripts --no-audit --no-fund >npm.log 2>&1); then
	sed 's/^/    | /' $T/npm.log | tail -n 20
	echo "FAIL npm ci of the validator (tests/deploy/package-lock.json)"
	echo "deploy: 0 passed, 1 failed"
	exit 1
fi
node $T/validate.mjs deploy/kubernetes $B/livegrantd $B/livegrant \
	deploy/container/Containerfile tools/install-deps
